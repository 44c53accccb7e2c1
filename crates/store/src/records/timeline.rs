//! The account timeline (F-06): one chronological story per account. Edits are stored as
//! they happen; contract changes and the launch and first-value dates are read from their
//! own records and merged in, so nothing is kept twice.

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::account::{Account, ChangedValue, FieldChange};
use lodestar_domain::contract::Contract;
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
    rows.into_iter()
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
        .collect()
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
