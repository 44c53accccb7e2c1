//! Support tickets (F-43): the help desk's tickets kept by their external id — written by the
//! CSV import and the Zendesk webhook alike, so the same ticket sent twice is one row — and
//! what they say of an account: its open tickets, wait times and topics, and its support load
//! (a health measure).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lodestar_domain::text::{Email, ExternalId, Name};
use lodestar_domain::ticket::{Tag, TicketFact, TicketFields, TicketStats};
use lodestar_domain::{AccountId, TicketId, Valid};

use super::{UpsertSummary, existing_keys, parse};
use crate::bulk::{Value, insert_rows};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// A stored ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    pub account_name: String,
    pub fields: TicketFields,
    pub solved_at: Option<DateTime<Utc>>,
}

/// How many tickets a page lists.
pub const TICKETS_PER_PAGE: i64 = 25;

const COLUMNS: &[&str] = &[
    "external_id",
    "account_id",
    "subject",
    "status",
    "priority",
    "requester_email",
    "tags",
    "opened_at",
    "changed_at",
    "solved_at",
];

#[derive(sqlx::FromRow)]
struct TicketRow {
    id: i64,
    account_name: String,
    external_id: String,
    account_id: i64,
    subject: String,
    status: String,
    priority: String,
    requester_email: Option<String>,
    tags: String,
    opened_at: DateTime<Utc>,
    changed_at: DateTime<Utc>,
    solved_at: Option<DateTime<Utc>>,
}

fn corrupt(column: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {e}"))
}

fn tags_of(column: &str, text: &str) -> Result<Vec<Tag>> {
    text.split_whitespace()
        .map(|t| Tag::parse(t).map_err(|e| corrupt(column, e)))
        .collect()
}

fn ticket_of(row: TicketRow) -> Result<Ticket> {
    Ok(Ticket {
        id: TicketId(row.id),
        account_name: row.account_name,
        solved_at: row.solved_at,
        fields: TicketFields {
            external_id: ExternalId::parse(&row.external_id).map_err(|e| corrupt("tickets.external_id", e))?,
            account_id: AccountId(row.account_id),
            subject: Name::parse(&row.subject).map_err(|e| corrupt("tickets.subject", e))?,
            status: parse("tickets.status", &row.status)?,
            priority: parse("tickets.priority", &row.priority)?,
            requester_email: row
                .requester_email
                .as_deref()
                .map(|e| Email::parse(e).map_err(|e| corrupt("tickets.requester_email", e)))
                .transpose()?,
            tags: tags_of("tickets.tags", &row.tags)?,
            opened_at: row.opened_at,
            updated_at: row.changed_at,
        },
    })
}

fn ticket_row(t: &TicketFields) -> Vec<Value> {
    let tags: Vec<&str> = t.tags.iter().map(Tag::as_str).collect();
    vec![
        t.external_id.as_str().into(),
        t.account_id.into(),
        t.subject.as_str().into(),
        t.status.as_str().into(),
        t.priority.as_str().into(),
        t.requester_email.as_ref().map(Email::as_str).into(),
        tags.join(" ").into(),
        t.opened_at.into(),
        t.updated_at.into(),
        t.solved_at().into(),
    ]
}

#[derive(sqlx::FromRow)]
struct FactRow {
    account_id: i64,
    status: String,
    priority: String,
    opened_at: DateTime<Utc>,
    solved_at: Option<DateTime<Utc>>,
    tags: String,
}

/// Every ticket's facts for the numbers, by account: of the accounts `filter` (`AND
/// account_id IN (…)`, or nothing for all) keeps.
pub(crate) async fn ticket_facts(tx: &mut Tx, filter: &str) -> Result<HashMap<i64, Vec<TicketFact>>> {
    let rows: Vec<FactRow> = Query::sql(format!(
        "SELECT account_id, status, priority, opened_at, solved_at, tags FROM tickets WHERE 1 = 1{filter}"
    ))
    .fetch_all(tx)
    .await?;
    let mut out: HashMap<i64, Vec<TicketFact>> = HashMap::new();
    for row in rows {
        out.entry(row.account_id).or_default().push(TicketFact {
            status: parse("tickets.status", &row.status)?,
            priority: parse("tickets.priority", &row.priority)?,
            opened_at: row.opened_at,
            solved_at: row.solved_at,
            tags: row.tags.split_whitespace().map(str::to_owned).collect(),
        });
    }
    Ok(out)
}

const SELECT_TICKETS: &str = "SELECT t.id, a.name AS account_name, t.external_id, t.account_id, t.subject, t.status, \
     t.priority, t.requester_email, t.tags, t.opened_at, t.changed_at, t.solved_at \
     FROM tickets t JOIN accounts a ON a.id = t.account_id";

impl Store {
    /// Writes tickets by their external id in one transaction: a new id adds a ticket, a known
    /// one is updated in place (the import and the webhook alike, so sending one twice changes
    /// nothing) unless what is sent changed before what is stored (an event arriving late).
    /// The accounts they are on, before and after, are rescored.
    pub async fn upsert_tickets(&self, tickets: Vec<Valid<TicketFields>>) -> Result<UpsertSummary> {
        let mut tx = self.begin_write().await?;
        let keys: Vec<String> = tickets.iter().map(|t| t.external_id.to_string()).collect();
        let existing = existing_keys(&mut tx, "tickets", "external_id", &keys).await?;
        let mut touched: Vec<i64> = tickets.iter().map(|t| t.account_id.0).collect();
        for chunk in keys.chunks(500) {
            let before: Vec<i64> = Query::sql("SELECT account_id FROM tickets WHERE external_id IN (")
                .list(chunk.iter().map(String::as_str))
                .push(")")
                .scalars(&mut tx)
                .await?;
            touched.extend(before);
        }
        // Like `upsert_by_key`, but a change older than the stored one is left out: webhooks
        // may arrive out of order, and an old export must not undo a newer state.
        let now = tx.now();
        let rows = tickets
            .iter()
            .map(|t| {
                let mut row = ticket_row(t);
                row.extend([now.into(), now.into()]);
                row
            })
            .collect();
        let mut all = COLUMNS.to_vec();
        all.extend(["created_at", "updated_at"]);
        let set: Vec<String> = COLUMNS[1..]
            .iter()
            .chain(&["updated_at"])
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let tail = format!(
            "ON CONFLICT (external_id) DO UPDATE SET {} WHERE excluded.changed_at >= tickets.changed_at",
            set.join(", ")
        );
        insert_rows(&mut tx, "tickets", &all, rows, &tail).await?;
        tx.touch_accounts(touched);
        tx.commit().await?;
        Ok(UpsertSummary::of(&keys, |k| existing.contains(k), 0))
    }

    /// An account's tickets, open ones first, then the newest; a page of [`TICKETS_PER_PAGE`]
    /// (0-based `page`).
    pub async fn tickets_of_account(&self, account: AccountId, page: i64) -> Result<Vec<Ticket>> {
        let mut tx = self.begin_snapshot().await?;
        let rows: Vec<TicketRow> = Query::sql(SELECT_TICKETS)
            .push(" WHERE t.account_id = ")
            .value(account.0)
            .push(format!(
                " ORDER BY CASE WHEN t.solved_at IS NULL THEN 0 ELSE 1 END, t.opened_at DESC, t.id DESC \
                 LIMIT {TICKETS_PER_PAGE} OFFSET {}",
                page.max(0) * TICKETS_PER_PAGE
            ))
            .fetch_all(&mut tx)
            .await?;
        rows.into_iter().map(ticket_of).collect()
    }

    /// Every ticket, by external id (the export).
    pub async fn tickets(&self) -> Result<Vec<Ticket>> {
        let mut tx = self.begin_snapshot().await?;
        let rows: Vec<TicketRow> = Query::sql(SELECT_TICKETS)
            .push(" ORDER BY t.external_id")
            .fetch_all(&mut tx)
            .await?;
        rows.into_iter().map(ticket_of).collect()
    }

    /// A ticket by the help desk's id.
    pub async fn ticket_by_external_id(&self, key: &ExternalId) -> Result<Option<Ticket>> {
        let mut tx = self.begin_snapshot().await?;
        let row: Option<TicketRow> = Query::sql(SELECT_TICKETS)
            .push(" WHERE t.external_id = ")
            .value(key.as_str())
            .fetch_optional(&mut tx)
            .await?;
        row.map(ticket_of).transpose()
    }

    /// An account's support picture now: open tickets, wait times, top topics.
    pub async fn ticket_stats(&self, account: AccountId) -> Result<TicketStats> {
        let mut tx = self.begin_snapshot().await?;
        let now = tx.now();
        let facts = ticket_facts(&mut tx, &format!(" AND account_id = {}", account.0))
            .await?
            .remove(&account.0)
            .unwrap_or_default();
        Ok(TicketStats::over(&facts, now))
    }

    /// The account a help-desk ticket belongs to: the one whose external id is the ticket's
    /// organization's external id, else the account of a contact with the requester's email.
    pub async fn ticket_account(
        &self,
        organization: Option<&str>,
        requester: Option<&Email>,
    ) -> Result<Option<AccountId>> {
        let mut tx = self.begin_snapshot().await?;
        if let Some(org) = organization.filter(|o| !o.trim().is_empty()) {
            let found: Option<i64> = Query::sql("SELECT id FROM accounts WHERE external_id = $1")
                .bind(org.trim())
                .scalar_optional(&mut tx)
                .await?;
            if found.is_some() {
                return Ok(found.map(AccountId));
            }
        }
        let Some(email) = requester else {
            return Ok(None);
        };
        let found: Option<i64> = Query::sql("SELECT MIN(account_id) FROM contacts WHERE email = $1")
            .bind(email.as_str())
            .scalar_one(&mut tx)
            .await?;
        Ok(found.map(AccountId))
    }
}
