//! The account timeline (F-06): one chronological story per account. Edits are stored as
//! they happen; contract changes and the launch and first-value dates are read from their
//! own records and merged in, so nothing is kept twice.

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::account::{Account, ChangedValue, FieldChange};
use lodestar_domain::contract::Contract;
use lodestar_domain::vocabulary::MeetingKind;
use lodestar_domain::{AccountId, UserId};
use serde::Serialize;

use crate::query::Query;
use crate::{Result, Store, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// Someone changed the account's fields.
    Edit,
    /// New business, expansion, contraction, churn or renewal on a contract.
    ContractChange,
    Launch,
    FirstValue,
    /// A key behaviour reached (F-12).
    Milestone,
    /// The CSM's read of the relationship (F-20).
    Pulse,
    /// The account was marked churned (F-25).
    Churn,
    /// A meeting with the customer, or a note of a conversation (F-37).
    Meeting,
    /// A promise, ours or the customer's, was done.
    PromiseDone,
    /// An email went to the customer (a reminder of their promise).
    EmailSent,
    /// The success plan was started, changed, shared, reviewed or approved (F-31).
    Plan,
    /// A deal was handed from Sales to CS, accepted, or its rejection asked for or decided (F-65);
    /// onboarding started, or the customer answered whether it is complete (F-36).
    Handoff,
    /// A goal was set or changed, or a part of its ecosystem added, rated or removed (F-30).
    Goal,
    /// Value received on a goal was recorded.
    ValueReceived,
    /// A contact answered a survey (F-40).
    Survey,
    /// A bug or feature request was asked for, moved or shipped (F-43).
    Request,
    /// A sprint started, a quick win was recorded, or a retrospective closed (F-33, F-34).
    Sprint,
    /// A renewal closed, or an expansion opportunity was opened, won or lost (F-62).
    Renewal,
}

impl TimelineKind {
    fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Edit => "edit",
            TimelineKind::ContractChange => "contract_change",
            TimelineKind::Launch => "launch",
            TimelineKind::FirstValue => "first_value",
            TimelineKind::Milestone => "milestone",
            TimelineKind::Pulse => "pulse",
            TimelineKind::Churn => "churn",
            TimelineKind::Meeting => "meeting",
            TimelineKind::PromiseDone => "promise_done",
            TimelineKind::EmailSent => "email_sent",
            TimelineKind::Plan => "plan",
            TimelineKind::Handoff => "handoff",
            TimelineKind::Goal => "goal",
            TimelineKind::ValueReceived => "value_received",
            TimelineKind::Survey => "survey",
            TimelineKind::Request => "request",
            TimelineKind::Sprint => "sprint",
            TimelineKind::Renewal => "renewal",
        }
    }

    fn parse(text: &str) -> Option<TimelineKind> {
        [
            TimelineKind::Edit,
            TimelineKind::ContractChange,
            TimelineKind::Launch,
            TimelineKind::FirstValue,
            TimelineKind::Milestone,
            TimelineKind::Pulse,
            TimelineKind::Churn,
            TimelineKind::Meeting,
            TimelineKind::PromiseDone,
            TimelineKind::EmailSent,
            TimelineKind::Plan,
            TimelineKind::Handoff,
            TimelineKind::Goal,
            TimelineKind::ValueReceived,
            TimelineKind::Survey,
            TimelineKind::Request,
            TimelineKind::Sprint,
            TimelineKind::Renewal,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// One line of an account's story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub on: NaiveDate,
    /// The moment, for entries recorded as they happened; dated facts have only a day.
    pub at: Option<DateTime<Utc>>,
    pub kind: TimelineKind,
    /// Who did it, by name, when a person did.
    pub actor: Option<String>,
    pub text: String,
}

/// The account's story, newest first: stored `entries` merged with what its `contracts` and
/// its launch and first-value dates tell.
pub fn assemble_timeline(
    account: &Account,
    contracts: &[Contract],
    mut entries: Vec<TimelineEntry>,
) -> Vec<TimelineEntry> {
    let dated = |on, kind, text: String| TimelineEntry {
        on,
        at: None,
        kind,
        actor: None,
        text,
    };
    for c in contracts {
        let label = c
            .fields
            .name
            .as_ref()
            .map_or_else(|| c.fields.external_id.to_string(), |n| n.to_string());
        for ch in c.changes.changes() {
            entries.push(dated(
                ch.effective_date,
                TimelineKind::ContractChange,
                format!(
                    "{label} — {}: ARR {} → {}",
                    ch.kind.label(),
                    ch.arr_before.whole_dollars(),
                    ch.arr_after.whole_dollars()
                ),
            ));
        }
    }
    let f = &account.fields;
    if let Some(d) = f.launch_date {
        entries.push(dated(d, TimelineKind::Launch, "Went live".into()));
    }
    if let Some(d) = f.first_value_date {
        entries.push(dated(d, TimelineKind::FirstValue, "Reached first value".into()));
    }
    entries.sort_by_key(|e| std::cmp::Reverse((e.on, e.at)));
    entries
}

impl Store {
    /// The stored entries of an account's timeline (edits), newest first; the fields of one
    /// edit in form order.
    pub async fn timeline_entries(&self, account: AccountId) -> Result<Vec<TimelineEntry>> {
        let mut tx = self.begin_snapshot().await?;
        timeline_entries_in(&mut tx, account).await
    }
}

pub(crate) async fn timeline_entries_in(tx: &mut Tx, account: AccountId) -> Result<Vec<TimelineEntry>> {
    let rows: Vec<(DateTime<Utc>, String, Option<String>, String)> = Query::sql(
        "SELECT t.occurred_at, t.kind, u.name, t.text FROM account_timeline t \
             LEFT JOIN users u ON u.id = t.actor_id WHERE t.account_id = $1 \
             ORDER BY t.occurred_at DESC, t.id ASC",
    )
    .bind(account.0)
    .fetch_all(tx)
    .await?;
    let mut entries = rows
        .into_iter()
        .map(|(at, kind, actor, text)| {
            Ok(TimelineEntry {
                on: at.date_naive(),
                at: Some(at),
                kind: TimelineKind::parse(&kind)
                    .ok_or_else(|| crate::StoreError::Corrupt(format!("account_timeline.kind: {kind:?}")))?,
                actor,
                text,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    entries.extend(meetings_and_promises(tx, account).await?);
    entries.extend(super::goals::timeline_entries(tx, account).await?);
    Ok(entries)
}

/// The account's meetings and notes and its promises done, read from their own tables.
async fn meetings_and_promises(tx: &mut Tx, account: AccountId) -> Result<Vec<TimelineEntry>> {
    /// When, kind, title, cancelled when, logged by.
    type MeetingRow = (DateTime<Utc>, String, String, Option<DateTime<Utc>>, Option<String>);
    let meetings: Vec<MeetingRow> = Query::sql(
        "SELECT m.starts_at, m.kind, m.title, m.cancelled_at, u.name FROM meetings m \
         LEFT JOIN users u ON u.id = m.created_by WHERE m.account_id = $1",
    )
    .bind(account.0)
    .fetch_all(tx)
    .await?;
    let mut entries = Vec::with_capacity(meetings.len());
    for (at, kind, title, cancelled, actor) in meetings {
        let kind: MeetingKind = super::parse("meetings.kind", &kind)?;
        let off = if cancelled.is_some() { " (cancelled)" } else { "" };
        entries.push(TimelineEntry {
            on: at.date_naive(),
            at: Some(at),
            kind: TimelineKind::Meeting,
            actor,
            text: format!("{}: {title}{off}", kind.label()),
        });
    }
    let name = concat!("COALESCE(u.name, ", super::promises::contact_name!(), ")");
    let done: Vec<(NaiveDate, String, Option<String>)> = Query::sql(format!(
        "SELECT p.done_on, p.description, {name} FROM promises p LEFT JOIN users u ON u.id = p.owner_user_id \
         LEFT JOIN contacts c ON c.id = p.owner_contact_id WHERE p.account_id = $1 AND p.done_on IS NOT NULL"
    ))
    .bind(account.0)
    .fetch_all(tx)
    .await?;
    entries.extend(done.into_iter().map(|(on, description, owner)| TimelineEntry {
        on,
        at: None,
        kind: TimelineKind::PromiseDone,
        actor: owner,
        text: format!("Promise kept: {description}"),
    }));
    Ok(entries)
}

/// Records an edit of `account` by `actor`: one entry per changed field, naming people and
/// accounts as they are called at the time of the edit.
pub(crate) async fn record_edit(
    tx: &mut Tx,
    account: AccountId,
    actor: Option<UserId>,
    changes: &[FieldChange],
) -> Result<()> {
    let at = tx.now();
    for change in changes {
        let text = format!(
            "{}: {} → {}",
            change.label,
            describe(tx, &change.before).await?,
            describe(tx, &change.after).await?
        );
        record(tx, account, at, actor, TimelineKind::Edit, &text).await?;
    }
    Ok(())
}

/// Adds one entry to an account's story.
pub(crate) async fn record(
    tx: &mut Tx,
    account: AccountId,
    at: DateTime<Utc>,
    actor: Option<UserId>,
    kind: TimelineKind,
    text: &str,
) -> Result<()> {
    Query::sql(
        "INSERT INTO account_timeline (account_id, occurred_at, actor_id, kind, text) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(account.0)
    .bind(at)
    .bind(actor.map(|u| u.0))
    .bind(kind.as_str())
    .bind(text)
    .execute(tx)
    .await?;
    Ok(())
}

async fn describe(tx: &mut Tx, value: &ChangedValue) -> Result<String> {
    let (table, id) = match value {
        ChangedValue::Empty => return Ok("—".into()),
        ChangedValue::Text(t) => return Ok(t.clone()),
        ChangedValue::User(u) => ("users", u.0),
        ChangedValue::Account(a) => ("accounts", a.0),
    };
    let sql = format!("SELECT name FROM {table} WHERE id = $1");
    let name: Option<(String,)> = Query::sql(&sql).bind(id).fetch_optional(tx).await?;
    let name = name.map(|(name,)| name);
    Ok(name.unwrap_or_else(|| format!("#{id}")))
}
