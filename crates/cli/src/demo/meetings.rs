//! Demo meetings, notes, promises and tasks: every account of the first books has a logged
//! conversation with promises on both sides in every state (kept on time, kept late, overdue,
//! open), meetings ahead (some today), one cancelled; the demo admin sits in on a few and has
//! tasks of their own — so Today, Tasks and the calendar are full on first start.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate, NaiveTime};
use lodestar_domain::meeting::{MeetingFields, local_start};
use lodestar_domain::promise::{PromiseFields, PromiseOwner};
use lodestar_domain::review::ActionText;
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{ActionStatus, MeetingKind, Role};
use lodestar_domain::{AccountId, ContactId, UserId};
use lodestar_store::{PromiseFilter, Store, TaskFields};

/// Accounts that get meetings and promises.
const ACCOUNTS: usize = 24;
/// Of those, the first few have the demo admin at their meetings (and promises to keep).
const WITH_ADMIN: usize = 4;

const KINDS: [MeetingKind; 6] = [
    MeetingKind::CheckIn,
    MeetingKind::Qbr,
    MeetingKind::Status,
    MeetingKind::Call,
    MeetingKind::Kickoff,
    MeetingKind::EmailNote,
];

const NOTES: [&str; 3] = [
    "## What we heard\n- Rollout to the **EMEA team** is stuck on SSO\n- They want a usage report for their CFO\n\n## Next\nCheck in again in four weeks.",
    "## Goals\n1. Cut onboarding time for new hires by half\n2. One dashboard for the weekly ops review\n\nTheir admin is new; offer a training session.",
    "Quick call: renewal is on track, but procurement wants a **multi-year** option. Pricing to follow.",
];

fn text(s: &str) -> ActionText {
    ActionText::parse(s).expect("demo promises are valid")
}

fn at(day: NaiveDate, hour: u32) -> chrono::DateTime<chrono::Utc> {
    local_start(
        day,
        NaiveTime::from_hms_opt(hour, 0, 0).expect("an hour"),
        chrono_tz::UTC,
    )
    .expect("UTC has every hour")
}

pub async fn load(store: &Store, today: NaiveDate) -> anyhow::Result<()> {
    let users = store.users().await?;
    let Some(admin) = users.iter().find(|u| u.fields.role == Role::Admin).map(|u| u.id) else {
        return Ok(());
    };
    let mut contacts: BTreeMap<AccountId, Vec<ContactId>> = BTreeMap::new();
    for c in store.contacts().await? {
        contacts.entry(c.fields.account_id).or_default().push(c.id);
    }
    for (i, (account, people)) in contacts.into_iter().take(ACCOUNTS).enumerate() {
        let Some(record) = store.account(account).await? else {
            continue;
        };
        let owner = record.fields.owner_id.unwrap_or(admin);
        let ours = if i < WITH_ADMIN { admin } else { owner };
        let contact = people[0];
        let kind = KINDS[i % KINDS.len()];
        let past = today - Days::new(3 + 2 * i as u64);
        let mut attendees = vec![owner];
        if i < WITH_ADMIN {
            attendees.push(admin);
        }
        let fields = MeetingFields {
            kind,
            title: Name::parse(&format!("{} with {}", kind.label(), record.fields.name)).expect("a valid title"),
            starts_at: at(past, 15),
            duration_minutes: if kind.is_appointment() { 45 } else { 0 },
            time_zone: chrono_tz::UTC,
            notes: Note::parse(NOTES[i % NOTES.len()]).expect("demo notes are valid"),
            users: attendees.clone(),
            contacts: vec![contact],
        }
        .validate()?;
        let promise = |description: &str, owner: PromiseOwner, due: NaiveDate| PromiseFields {
            description: text(description),
            owner,
            due_on: due,
        };
        let promises = vec![
            promise(
                "Send the ROI summary for their CFO",
                PromiseOwner::Us(ours),
                today - Days::new(2),
            ),
            promise(
                "Share the list of admins",
                PromiseOwner::Customer(contact),
                today - Days::new(5),
            ),
            promise(
                "Book the training session",
                PromiseOwner::Us(ours),
                today - Days::new(10),
            ),
            promise(
                "Confirm the rollout date",
                PromiseOwner::Customer(contact),
                today + Days::new(5),
            ),
            promise("Prepare the QBR deck", PromiseOwner::Us(ours), today + Days::new(7)),
        ];
        let meeting = store.create_meeting(account, fields, promises, Some(owner)).await?;
        let made = store
            .promises(&PromiseFilter {
                meeting: Some(meeting.id),
                ..PromiseFilter::default()
            })
            .await?;
        // Kept late (the training) and kept on time (the rollout date); the rest stay open.
        for p in made
            .iter()
            .filter(|p| p.description.starts_with("Book") || p.description.starts_with("Confirm"))
        {
            store.set_promise_status(p.id, ActionStatus::Done).await?;
        }

        let ahead = if i < WITH_ADMIN {
            today
        } else {
            today + Days::new(1 + (i as u64 % 14))
        };
        let next = MeetingFields {
            kind: MeetingKind::CheckIn,
            title: Name::parse(&format!("Monthly check-in · {}", record.fields.name)).expect("a valid title"),
            starts_at: at(ahead, 16),
            duration_minutes: 30,
            time_zone: chrono_tz::UTC,
            notes: Note::default(),
            users: attendees,
            contacts: vec![contact],
        }
        .validate()?;
        let next = store.create_meeting(account, next, Vec::new(), Some(owner)).await?;
        if i == 1 {
            store.cancel_meeting(next.id).await?;
        }
    }
    for (title, due) in [
        ("Review the renewal pipeline for next month", today),
        ("Write up the churn learnings for the playbook", today - Days::new(3)),
        ("Plan the customer advisory board", today + Days::new(10)),
    ] {
        store
            .create_task(
                UserId(admin.0),
                TaskFields {
                    title: text(title),
                    account: None,
                    due_on: Some(due),
                },
            )
            .await?;
    }
    Ok(())
}
