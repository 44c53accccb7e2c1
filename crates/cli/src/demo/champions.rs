//! Demo champion health (F-41): on one account, five people placed by what they did — one in
//! each quadrant of engagement × delight, the influential VP among them caring about the
//! problem but disliking our solution (the alert), and a champion who went quiet months ago and
//! whose address now bounces (inferred to have left). The CSM has answered the 12-month
//! question for two of them.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use lodestar_domain::contact::ContactFields;
use lodestar_domain::meeting::MeetingFields;
use lodestar_domain::survey::SurveyFields;
use lodestar_domain::text::{Email, ExternalId, Label, Name, Note};
use lodestar_domain::ticket::TicketFields;
use lodestar_domain::vocabulary::{
    ContactRole, ContactStatus, Influence, MeetingKind, SurveyKind, TicketPriority, TicketStatus,
};
use lodestar_domain::{AccountId, ContactId};
use lodestar_store::{ImportedAnswer, Store};

/// How one demo person engaged: meetings and answers days ago, tickets (opened days ago, solved
/// after how many days).
struct Person {
    first: &'static str,
    last: &'static str,
    title: &'static str,
    role: ContactRole,
    influence: Option<Influence>,
    meetings_days_ago: &'static [i64],
    answers: &'static [(i64, i64, &'static str)],
    tickets: &'static [(i64, Option<i64>, &'static str)],
    will_own: Option<bool>,
    bounced: bool,
}

const PEOPLE: [Person; 5] = [
    Person {
        first: "Priya",
        last: "Raman",
        title: "Head of Operations",
        role: ContactRole::Champion,
        influence: Some(Influence::High),
        meetings_days_ago: &[20, 50],
        answers: &[
            (60, 10, "The weekly ops review runs on your dashboard now."),
            (150, 9, ""),
        ],
        tickets: &[
            (10, Some(0), "Add two new regions to the report"),
            (30, Some(1), "Invite the Lisbon team"),
            (60, Some(1), "Export to the BI tool"),
        ],
        will_own: Some(true),
        bounced: false,
    },
    Person {
        first: "Marcus",
        last: "Webb",
        title: "VP Finance",
        role: ContactRole::DecisionMaker,
        influence: Some(Influence::High),
        meetings_days_ago: &[15, 70],
        answers: &[
            (
                25,
                3,
                "We need the board numbers without three exports and a spreadsheet.",
            ),
            (120, 4, "Invoices still do not match the usage report."),
        ],
        tickets: &[
            (20, None, "Usage report disagrees with the invoice"),
            (45, Some(12), "Cost-centre split missing in exports"),
            (80, Some(9), "Currency rounding in the finance view"),
        ],
        will_own: Some(true),
        bounced: false,
    },
    Person {
        first: "Lena",
        last: "Fischer",
        title: "Analyst",
        role: ContactRole::User,
        influence: Some(Influence::Low),
        meetings_days_ago: &[],
        answers: &[(40, 9, "Saves me an afternoon every week.")],
        tickets: &[],
        will_own: None,
        bounced: false,
    },
    Person {
        first: "Tom",
        last: "Becker",
        title: "Operations Specialist",
        role: ContactRole::User,
        influence: None,
        meetings_days_ago: &[],
        answers: &[(35, 2, "Too slow on the warehouse tablets.")],
        tickets: &[],
        will_own: None,
        bounced: false,
    },
    Person {
        first: "Sofia",
        last: "Marin",
        title: "Director of Customer Support",
        role: ContactRole::Champion,
        influence: Some(Influence::Medium),
        meetings_days_ago: &[120],
        answers: &[],
        tickets: &[],
        will_own: Some(false),
        bounced: true,
    },
];

fn at_noon(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon")).and_utc()
}

fn email_of(p: &Person) -> anyhow::Result<Email> {
    Email::parse(&format!("{}.{}@champions.example", p.first, p.last).to_lowercase()).map_err(anyhow::Error::msg)
}

/// Places the five people on `account`; returns how many.
pub async fn load(store: &Store, account: AccountId, today: NaiveDate) -> anyhow::Result<usize> {
    let record = store
        .account(account)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo account {account} is gone"))?;
    let owner = record.fields.owner_id;
    let mut contacts = Vec::new();
    for (i, p) in PEOPLE.iter().enumerate() {
        contacts.push(
            ContactFields {
                external_id: ExternalId::parse(&format!("CHAMPION-{}", i + 1)).map_err(anyhow::Error::msg)?,
                account_id: account,
                first_name: Some(Label::parse(p.first).map_err(anyhow::Error::msg)?),
                last_name: Some(Label::parse(p.last).map_err(anyhow::Error::msg)?),
                email: Some(email_of(p)?),
                title: Some(Label::parse(p.title).map_err(anyhow::Error::msg)?),
                role: Some(p.role),
                influence: p.influence,
                status: ContactStatus::Active,
                left_on: None,
            }
            .validate()?,
        );
    }
    store.upsert_contacts(contacts).await?;
    let placed: Vec<(ContactId, &Person)> = store
        .contacts_of(account)
        .await?
        .into_iter()
        .filter_map(|c| {
            let n: usize = c.fields.external_id.as_str().strip_prefix("CHAMPION-")?.parse().ok()?;
            Some((c.id, &PEOPLE[n - 1]))
        })
        .collect();

    let question = SurveyFields::new(SurveyKind::Nps, "").map_err(anyhow::Error::msg)?;
    let mut answers = Vec::new();
    let mut tickets = Vec::new();
    for (contact, p) in &placed {
        for (n, days) in p.meetings_days_ago.iter().enumerate() {
            let meeting = MeetingFields {
                kind: MeetingKind::Call,
                title: Name::parse(&format!("Call with {} {}", p.first, p.last)).map_err(anyhow::Error::msg)?,
                starts_at: at_noon(today - Duration::days(*days)),
                duration_minutes: 30,
                time_zone: chrono_tz::UTC,
                notes: Note::parse(if n == 0 {
                    "Walked through their priorities for the quarter."
                } else {
                    ""
                })
                .map_err(anyhow::Error::msg)?,
                users: owner.into_iter().collect(),
                contacts: vec![*contact],
            }
            .validate()?;
            store.create_meeting(account, meeting, Vec::new(), owner).await?;
        }
        for (n, (days, score, comment)) in p.answers.iter().enumerate() {
            answers.push(ImportedAnswer {
                external_id: format!("demo-champion-{contact}-{n}"),
                account_external_id: record.fields.external_id.to_string(),
                contact_email: Some(email_of(p)?.to_string()),
                kind: SurveyKind::Nps,
                question: question.question_text().to_owned(),
                score: i32::try_from(*score)?,
                comment: (!comment.is_empty()).then(|| (*comment).to_owned()),
                answered_on: today - Duration::days(*days),
            });
        }
        for (n, (days, solved_after, subject)) in p.tickets.iter().enumerate() {
            let opened = at_noon(today - Duration::days(*days));
            let solved = solved_after.map(|after| opened + Duration::days(after) + Duration::hours(2));
            tickets.push(
                TicketFields {
                    external_id: ExternalId::parse(&format!("CHAMPION-{contact}-{n}")).map_err(anyhow::Error::msg)?,
                    account_id: account,
                    subject: Name::parse(subject).map_err(anyhow::Error::msg)?,
                    status: if solved.is_some() {
                        TicketStatus::Solved
                    } else {
                        TicketStatus::Open
                    },
                    priority: TicketPriority::Normal,
                    requester_email: Some(email_of(p)?),
                    tags: Vec::new(),
                    opened_at: opened,
                    updated_at: solved.unwrap_or(opened),
                }
                .validate()?,
            );
        }
        if p.will_own.is_some() {
            store.set_relationship_outlook(*contact, p.will_own, owner).await?;
        }
        if p.bounced {
            store
                .record_email_bounce(
                    &email_of(p)?,
                    "550 5.1.1 The email account that you tried to reach does not exist",
                )
                .await?;
        }
    }
    store.import_survey_answers(&answers).await?;
    store.upsert_tickets(tickets).await?;
    Ok(placed.len())
}
