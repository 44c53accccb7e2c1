//! Customer retrospectives (F-34): what a retrospective meeting adds — the answers to the three
//! questions, the challenges vented with their suspected root causes, the promises of both
//! sides made in it, whether anyone with decision power attended — and closing it, which
//! books the next one and emails the customer's attendees what was agreed.

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::notify::{EmailMessage, Subject};
use lodestar_domain::promise::{PromiseFields, PromiseOwner};
use lodestar_domain::retro::{
    AgreedPromise, ChallengeFields, NextDate, RetroAnswers, has_decision_power, promises_email,
};
use lodestar_domain::vocabulary::{ContactRole, Level, MeetingKind, SuspectedCause};
use lodestar_domain::{ChallengeId, ContactId, MeetingId, SprintId, UserId, Valid};

use super::meetings::{Attendee, Meeting, meeting_in};
use super::notify::enqueue_email;
use super::promises::{Promise, insert_promise, promises_where};
use super::sprints::{RetroPeople, book_retro};
use super::timeline::{TimelineKind, record};
use super::{parse, parse_opt, stored_note};
use crate::query::Query;
use crate::{PromiseFilter, Result, Store, StoreError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: ChallengeId,
    pub fields: ChallengeFields,
    pub created_at: DateTime<Utc>,
}

/// A customer attendee, with whether they can decide for the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetroAttendee {
    pub contact_id: ContactId,
    pub name: String,
    pub role: Option<ContactRole>,
    pub decides: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SprintRetro {
    pub meeting: Meeting,
    /// The sprint it belongs to, by id and number.
    pub sprint: Option<(SprintId, i64)>,
    pub answers: RetroAnswers,
    pub challenges: Vec<Challenge>,
    /// Both sides' promises made in it.
    pub promises: Vec<Promise>,
    pub customer_attendees: Vec<RetroAttendee>,
    /// The next retrospective, once this one is closed.
    pub next: Option<(MeetingId, DateTime<Utc>)>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
}

impl SprintRetro {
    /// Seed 000: the group must be able to build and establish a consensus.
    pub fn decision_power_present(&self) -> bool {
        self.customer_attendees.iter().any(|a| a.decides)
    }

    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }
}

type RetroRow = (
    Option<i64>,
    Option<i64>,
    String,
    String,
    String,
    Option<i64>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<String>,
);

async fn retro_in(tx: &mut Tx, id: MeetingId) -> Result<SprintRetro> {
    let meeting = meeting_in(tx, id).await?;
    if meeting.fields.kind != MeetingKind::Retrospective {
        return Err(StoreError::Conflict(format!(
            "meeting {id} is a {}, not a retrospective",
            meeting.fields.kind.label()
        )));
    }
    // A retrospective logged as a plain meeting has no row yet: it reads as a new one.
    let row: Option<RetroRow> = Query::sql(
        "SELECT r.sprint_id, s.number, r.continue_or_start, r.stop_doing, r.ideas, r.next_meeting_id, n.starts_at, \
         r.closed_at, u.name FROM retrospectives r LEFT JOIN sprints s ON s.id = r.sprint_id \
         LEFT JOIN meetings n ON n.id = r.next_meeting_id LEFT JOIN users u ON u.id = r.closed_by \
         WHERE r.meeting_id = $1",
    )
    .bind(id)
    .fetch_optional(tx)
    .await?;
    let (sprint, number, keep, stop, ideas, next, next_at, closed_at, closed_by) = row.unwrap_or((
        None,
        None,
        String::new(),
        String::new(),
        String::new(),
        None,
        None,
        None,
        None,
    ));
    let challenges: Vec<(i64, String, String, DateTime<Utc>)> = Query::sql(
        "SELECT id, description, suspected_cause, created_at FROM retro_challenges WHERE meeting_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(tx)
    .await?;
    let challenges = challenges
        .into_iter()
        .map(|(cid, description, cause, created_at)| {
            Ok(Challenge {
                id: ChallengeId(cid),
                fields: ChallengeFields {
                    description: parse("retro_challenges.description", &description)?,
                    suspected_cause: parse::<SuspectedCause>("retro_challenges.suspected_cause", &cause)?,
                },
                created_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let contact_ids: Vec<i64> = meeting
        .attendees
        .iter()
        .filter_map(|a| match a {
            Attendee::Contact { id, .. } => Some(id.0),
            Attendee::User { .. } => None,
        })
        .collect();
    let mut customer_attendees = Vec::new();
    if !contact_ids.is_empty() {
        let rows: Vec<(i64, Option<String>, Option<String>)> =
            Query::sql("SELECT id, role, influence FROM contacts WHERE id IN (")
                .list(contact_ids.iter().copied())
                .push(")")
                .fetch_all(tx)
                .await?;
        for attendee in &meeting.attendees {
            let Attendee::Contact { id: contact, name, .. } = attendee else {
                continue;
            };
            let (_, role, influence) = rows.iter().find(|r| r.0 == contact.0).cloned().unwrap_or_default();
            let role: Option<ContactRole> = parse_opt("contacts.role", role)?;
            let influence: Option<Level> = parse_opt("contacts.influence", influence)?;
            customer_attendees.push(RetroAttendee {
                contact_id: *contact,
                name: name.clone(),
                role,
                decides: has_decision_power(role, influence),
            });
        }
    }
    let promises = promises_where(
        tx,
        &PromiseFilter {
            meeting: Some(id),
            ..PromiseFilter::default()
        },
    )
    .await?;
    Ok(SprintRetro {
        sprint: sprint.zip(number).map(|(s, n)| (SprintId(s), n)),
        answers: RetroAnswers {
            continue_or_start: stored_note("retrospectives.continue_or_start", &keep)?,
            stop: stored_note("retrospectives.stop_doing", &stop)?,
            ideas: stored_note("retrospectives.ideas", &ideas)?,
        },
        challenges,
        promises,
        customer_attendees,
        next: next.zip(next_at).map(|(n, at)| (MeetingId(n), at)),
        closed_at,
        closed_by,
        meeting,
    })
}

/// The retrospective, refusing a change once it is closed (what was agreed stays agreed).
async fn open_retro(tx: &mut Tx, id: MeetingId) -> Result<SprintRetro> {
    let retro = retro_in(tx, id).await?;
    if retro.is_closed() {
        return Err(StoreError::Conflict(format!(
            "retrospective {id} is closed: record what follows at the next one"
        )));
    }
    if retro.meeting.cancelled_at.is_some() {
        return Err(StoreError::Conflict(format!("meeting {id} was cancelled")));
    }
    Ok(retro)
}

/// Makes sure the retrospective has its row (one logged as a plain meeting has none yet).
async fn ensure_row(tx: &mut Tx, id: MeetingId) -> Result<()> {
    Query::sql(
        "INSERT INTO retrospectives (meeting_id, updated_at) VALUES ($1, $2) ON CONFLICT (meeting_id) DO NOTHING",
    )
    .bind(id)
    .bind(tx.now())
    .execute(tx)
    .await?;
    Ok(())
}

impl Store {
    /// Retrospective meeting `id`; another kind of meeting is a conflict.
    pub async fn sprint_retro(&self, id: MeetingId) -> Result<SprintRetro> {
        let mut tx = self.begin_snapshot().await?;
        retro_in(&mut tx, id).await
    }

    /// Writes the answers to the three questions.
    pub async fn save_retro_answers(&self, id: MeetingId, answers: RetroAnswers) -> Result<SprintRetro> {
        let mut tx = self.begin_write().await?;
        open_retro(&mut tx, id).await?;
        ensure_row(&mut tx, id).await?;
        Query::sql(
            "UPDATE retrospectives SET continue_or_start = $1, stop_doing = $2, ideas = $3, updated_at = $4 \
             WHERE meeting_id = $5",
        )
        .bind(answers.continue_or_start.as_str())
        .bind(answers.stop.as_str())
        .bind(answers.ideas.as_str())
        .bind(tx.now())
        .bind(id)
        .execute(&mut tx)
        .await?;
        let retro = retro_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(retro)
    }

    /// Records a challenge the customer vented.
    pub async fn add_retro_challenge(&self, id: MeetingId, fields: ChallengeFields) -> Result<SprintRetro> {
        let mut tx = self.begin_write().await?;
        open_retro(&mut tx, id).await?;
        ensure_row(&mut tx, id).await?;
        Query::sql(
            "INSERT INTO retro_challenges (meeting_id, description, suspected_cause, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(fields.description.as_str())
        .bind(fields.suspected_cause.as_str())
        .bind(tx.now())
        .execute(&mut tx)
        .await?;
        let retro = retro_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(retro)
    }

    /// Records a promise made at the retrospective, by either side (ours is its owner's task).
    pub async fn add_retro_promise(
        &self,
        id: MeetingId,
        fields: PromiseFields,
        by: Option<UserId>,
    ) -> Result<SprintRetro> {
        let mut tx = self.begin_write().await?;
        let retro = open_retro(&mut tx, id).await?;
        insert_promise(&mut tx, retro.meeting.account_id, Some(id), None, fields, by).await?;
        let retro = retro_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(retro)
    }

    /// Closes the retrospective: books the next one at `next` (same people, same zone, same
    /// sprint while it runs), emails each customer attendee with an address what both sides
    /// agreed, and writes the timeline — one transaction. Returns the retrospective and how
    /// many emails were queued.
    pub async fn close_retrospective(
        &self,
        id: MeetingId,
        next: Valid<NextDate>,
        by: Option<UserId>,
    ) -> Result<(SprintRetro, usize)> {
        let next = next.into_inner();
        let mut tx = self.begin_write().await?;
        let retro = open_retro(&mut tx, id).await?;
        ensure_row(&mut tx, id).await?;
        let account = retro.meeting.account_id;
        let next_day = next
            .starts_at
            .with_timezone(&retro.meeting.fields.time_zone)
            .date_naive();
        let still_running: Option<(i64, i64)> = match retro.sprint {
            Some((sprint, number)) => {
                Query::sql("SELECT id, number FROM sprints WHERE id = $1 AND COALESCE(ended_on, ends_on) >= $2")
                    .bind(sprint)
                    .bind(next_day)
                    .fetch_optional(&mut tx)
                    .await?
                    .map(|(s, _): (i64, i64)| (s, number))
            }
            None => None,
        };
        // The next one gathers the same people as this one, in the same zone.
        let people = RetroPeople {
            users: retro.meeting.fields.users.clone(),
            contacts: retro.meeting.fields.contacts.clone(),
            zone: retro.meeting.fields.time_zone,
        };
        let sprint = still_running.map(|(s, n)| (SprintId(s), n));
        let next_meeting = book_retro(&mut tx, account, sprint, next.starts_at, people, by).await?;
        let now = tx.now();
        Query::sql("UPDATE retrospectives SET next_meeting_id = $1, closed_at = $2, closed_by = $3, updated_at = $2 WHERE meeting_id = $4")
            .bind(next_meeting)
            .bind(now)
            .bind(by)
            .bind(id)
            .execute(&mut tx)
            .await?;
        let sent = email_agreed_promises(&mut tx, &retro, next.starts_at, by).await?;
        let when = next
            .starts_at
            .with_timezone(&retro.meeting.fields.time_zone)
            .format("%A %-d %B %Y, %H:%M");
        let text = format!(
            "Retrospective closed: {} promises agreed, {} challenges heard; next on {when}",
            retro.promises.len(),
            retro.challenges.len()
        );
        record(&mut tx, account, now, by, TimelineKind::Sprint, &text).await?;
        let closed = retro_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok((closed, sent))
    }

    /// Upcoming and recent retrospectives of an account, the latest first.
    pub async fn account_retrospectives(
        &self,
        account: lodestar_domain::AccountId,
    ) -> Result<Vec<(MeetingId, DateTime<Utc>, bool)>> {
        let mut tx = self.begin_snapshot().await?;
        let rows: Vec<(i64, DateTime<Utc>, Option<DateTime<Utc>>)> = Query::sql(
            "SELECT m.id, m.starts_at, r.closed_at FROM meetings m LEFT JOIN retrospectives r ON r.meeting_id = m.id \
             WHERE m.account_id = $1 AND m.kind = 'retrospective' AND m.cancelled_at IS NULL ORDER BY m.starts_at DESC, m.id DESC",
        )
        .bind(account)
        .fetch_all(&mut tx)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, at, closed)| (MeetingId(id), at, closed.is_some()))
            .collect())
    }
}

/// One email per customer attendee with an address: both sides' promises and the next date.
async fn email_agreed_promises(
    tx: &mut Tx,
    retro: &SprintRetro,
    next: DateTime<Utc>,
    by: Option<UserId>,
) -> Result<usize> {
    if !tx.outbox().email {
        return Ok(0);
    }
    let sender: String = match by.or(retro.meeting.account_owner_id) {
        Some(u) => {
            Query::sql("SELECT name FROM users WHERE id = $1")
                .bind(u)
                .scalar_one(tx)
                .await?
        }
        None => "Your Customer Success team".to_owned(),
    };
    let agreed: Vec<AgreedPromise> = retro
        .promises
        .iter()
        .map(|p| AgreedPromise {
            owner: p.owner_name.clone(),
            description: p.description.clone(),
            due_on: p.due_on,
            ours: matches!(p.owner, PromiseOwner::Us(_)),
        })
        .collect();
    let zone = retro.meeting.fields.time_zone;
    let next_words = format!("{} ({zone})", next.with_timezone(&zone).format("%A %-d %B %Y, %H:%M"));
    let held_on: NaiveDate = retro.meeting.fields.starts_at.with_timezone(&zone).date_naive();
    let mut sent = 0;
    for attendee in &retro.customer_attendees {
        let (first_name, email): (Option<String>, Option<String>) =
            Query::sql("SELECT first_name, email FROM contacts WHERE id = $1")
                .bind(attendee.contact_id)
                .fetch_one(tx)
                .await?;
        let Some(email) = email else { continue };
        let message = EmailMessage {
            to: parse("contacts.email", &email)?,
            subject: Subject::parse(&format!(
                "What we agreed at our retrospective on {}",
                held_on.format("%-d %B")
            ))
            .map_err(|e| StoreError::Corrupt(format!("retrospective subject: {e}")))?,
            text_body: promises_email(first_name.as_deref(), held_on, &agreed, &next_words, &sender),
            html_body: None,
        };
        let key = format!("retro-promises:{}:{}", retro.meeting.id, attendee.contact_id);
        if enqueue_email(tx, &message, Some(key)).await?.is_some() {
            sent += 1;
        }
    }
    Ok(sent)
}
