//! Meetings and notes (F-37), with their attendees and the promises made in them, and the
//! private calendar feeds that carry meetings into people's calendars.

use chrono::{DateTime, Utc};
use lodestar_domain::meeting::{MeetingFields, parse_time_zone};
use lodestar_domain::promise::PromiseFields;
use lodestar_domain::text::Name;
use lodestar_domain::{AccountId, ContactId, MeetingId, UserId, Valid};

use super::promises::{contact_name, insert_promise};
use super::{parse, stored_note};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// One person at a meeting, from our team or the customer's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attendee {
    User {
        id: UserId,
        name: String,
        email: String,
    },
    Contact {
        id: ContactId,
        name: String,
        email: Option<String>,
    },
}

impl Attendee {
    pub fn name(&self) -> &str {
        match self {
            Attendee::User { name, .. } | Attendee::Contact { name, .. } => name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: MeetingId,
    pub account_id: AccountId,
    pub account_name: String,
    /// The account's CSM: whose book (and calendar) the meeting is in.
    pub account_owner_id: Option<UserId>,
    pub fields: MeetingFields,
    pub attendees: Vec<Attendee>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Rises each time the meeting moves or is cancelled (RFC 5545's SEQUENCE).
    pub sequence: i64,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which meetings to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingFilter {
    pub id: Option<MeetingId>,
    pub account: Option<AccountId>,
    /// Meetings in this user's book or that they attend.
    pub involving: Option<UserId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Keep cancelled meetings (calendar feeds must, to tell calendars they are off).
    pub with_cancelled: bool,
    /// Appointments only: leave notes out.
    pub appointments_only: bool,
}

const SELECT_MEETINGS: &str = "SELECT m.id, m.account_id, a.name AS account_name, a.owner_id AS account_owner, m.kind, \
     m.title, m.starts_at, m.duration_minutes, m.time_zone, m.notes, m.cancelled_at, m.sequence, u.name AS created_by, \
     m.created_at, m.updated_at FROM meetings m JOIN accounts a ON a.id = m.account_id \
     LEFT JOIN users u ON u.id = m.created_by";

#[derive(sqlx::FromRow)]
struct MeetingRow {
    id: i64,
    account_id: i64,
    account_name: String,
    account_owner: Option<i64>,
    kind: String,
    title: String,
    starts_at: DateTime<Utc>,
    duration_minutes: i64,
    time_zone: String,
    notes: String,
    cancelled_at: Option<DateTime<Utc>>,
    sequence: i64,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn meeting_of(row: MeetingRow, attendees: Vec<Attendee>) -> Result<Meeting> {
    let corrupt = |column: &str, e: String| StoreError::Corrupt(format!("meetings.{column}: {e}"));
    let users = attendees
        .iter()
        .filter_map(|a| match a {
            Attendee::User { id, .. } => Some(*id),
            Attendee::Contact { .. } => None,
        })
        .collect();
    let contacts = attendees
        .iter()
        .filter_map(|a| match a {
            Attendee::Contact { id, .. } => Some(*id),
            Attendee::User { .. } => None,
        })
        .collect();
    Ok(Meeting {
        id: MeetingId(row.id),
        account_id: AccountId(row.account_id),
        account_name: row.account_name,
        account_owner_id: row.account_owner.map(UserId),
        fields: MeetingFields {
            kind: parse("meetings.kind", &row.kind)?,
            title: Name::parse(&row.title).map_err(|e| corrupt("title", e))?,
            starts_at: row.starts_at,
            duration_minutes: u32::try_from(row.duration_minutes).map_err(|e| corrupt("duration", e.to_string()))?,
            time_zone: parse_time_zone(&row.time_zone).map_err(|e| corrupt("time_zone", e))?,
            notes: stored_note("meetings.notes", &row.notes)?,
            users,
            contacts,
        },
        attendees,
        cancelled_at: row.cancelled_at,
        sequence: row.sequence,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

async fn attendees_of(tx: &mut Tx, ids: &[i64]) -> Result<Vec<(i64, Attendee)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let name = concat!("COALESCE(u.name, ", contact_name!(), ")");
    /// Meeting, user or contact, name, email.
    type Row = (i64, Option<i64>, Option<i64>, String, Option<String>);
    let rows: Vec<Row> = Query::sql(format!(
        "SELECT t.meeting_id, t.user_id, t.contact_id, {name}, COALESCE(u.email, c.email) \
         FROM meeting_attendees t LEFT JOIN users u ON u.id = t.user_id LEFT JOIN contacts c ON c.id = t.contact_id \
         WHERE t.meeting_id IN ("
    ))
    .list(ids.iter().copied())
    .push(format!(") ORDER BY t.meeting_id, t.user_id IS NULL, {name}"))
    .fetch_all(tx)
    .await?;
    rows.into_iter()
        .map(|(meeting, user, contact, name, email)| {
            let attendee = match (user, contact) {
                (Some(id), _) => Attendee::User {
                    id: UserId(id),
                    name,
                    email: email.unwrap_or_default(),
                },
                (None, Some(id)) => Attendee::Contact {
                    id: ContactId(id),
                    name,
                    email,
                },
                (None, None) => return Err(StoreError::Corrupt("meeting_attendees: a row names no one".into())),
            };
            Ok((meeting, attendee))
        })
        .collect()
}

pub(crate) async fn meetings_where(tx: &mut Tx, filter: &MeetingFilter, order: &str) -> Result<Vec<Meeting>> {
    let mut conditions = Vec::new();
    if let Some(id) = filter.id {
        conditions.push(Query::sql("m.id = ").value(id.0));
    }
    if let Some(account) = filter.account {
        conditions.push(Query::sql("m.account_id = ").value(account.0));
    }
    if let Some(user) = filter.involving {
        conditions.push(
            Query::sql("(a.owner_id = ")
                .value(user.0)
                .push(" OR EXISTS (SELECT 1 FROM meeting_attendees t WHERE t.meeting_id = m.id AND t.user_id = ")
                .value(user.0)
                .push("))"),
        );
    }
    if let Some(from) = filter.from {
        conditions.push(Query::sql("m.starts_at >= ").value(from));
    }
    if let Some(to) = filter.to {
        conditions.push(Query::sql("m.starts_at < ").value(to));
    }
    if !filter.with_cancelled {
        conditions.push(Query::sql("m.cancelled_at IS NULL"));
    }
    if filter.appointments_only {
        conditions.push(Query::sql("m.kind NOT IN ('note', 'email_note')"));
    }
    let rows: Vec<MeetingRow> = Query::sql(SELECT_MEETINGS)
        .where_all(conditions)
        .push(format!(" ORDER BY {order}"))
        .fetch_all(tx)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut by_meeting: std::collections::HashMap<i64, Vec<Attendee>> = std::collections::HashMap::new();
    for (meeting, attendee) in attendees_of(tx, &ids).await? {
        by_meeting.entry(meeting).or_default().push(attendee);
    }
    rows.into_iter()
        .map(|row| {
            let people = by_meeting.remove(&row.id).unwrap_or_default();
            meeting_of(row, people)
        })
        .collect()
}

pub(crate) async fn meeting_in(tx: &mut Tx, id: MeetingId) -> Result<Meeting> {
    let filter = MeetingFilter {
        id: Some(id),
        with_cancelled: true,
        ..MeetingFilter::default()
    };
    meetings_where(tx, &filter, "m.id")
        .await?
        .pop()
        .ok_or(StoreError::NotFound {
            what: "meeting",
            key: id.to_string(),
        })
}

/// Refuses attendees who are not users, or not contacts of `account`.
async fn check_attendees(tx: &mut Tx, account: AccountId, fields: &MeetingFields) -> Result<()> {
    for user in &fields.users {
        let found: Option<i64> = Query::sql("SELECT id FROM users WHERE id = $1")
            .bind(user.0)
            .scalar_optional(tx)
            .await?;
        if found.is_none() {
            return Err(lodestar_domain::Invalid::field("users", format!("there is no user {user}")).into());
        }
    }
    for contact in &fields.contacts {
        let of: Option<i64> = Query::sql("SELECT account_id FROM contacts WHERE id = $1")
            .bind(contact.0)
            .scalar_optional(tx)
            .await?;
        if of != Some(account.0) {
            return Err(lodestar_domain::Invalid::field(
                "contacts",
                format!("contact {contact} is not one of this account's contacts"),
            )
            .into());
        }
    }
    Ok(())
}

async fn write_attendees(tx: &mut Tx, meeting: i64, fields: &MeetingFields) -> Result<()> {
    Query::sql("DELETE FROM meeting_attendees WHERE meeting_id = $1")
        .bind(meeting)
        .execute(tx)
        .await?;
    let users = fields.users.iter().map(|u| ("user_id", u.0));
    let contacts = fields.contacts.iter().map(|c| ("contact_id", c.0));
    for (column, id) in users.chain(contacts) {
        Query::sql(format!(
            "INSERT INTO meeting_attendees (meeting_id, {column}) VALUES ($1, $2)"
        ))
        .bind(meeting)
        .bind(id)
        .execute(tx)
        .await?;
    }
    Ok(())
}

pub(crate) async fn account_exists(tx: &mut Tx, account: AccountId) -> Result<()> {
    let found: Option<i64> = Query::sql("SELECT id FROM accounts WHERE id = $1")
        .bind(account.0)
        .scalar_optional(tx)
        .await?;
    found.map(|_| ()).ok_or(StoreError::NotFound {
        what: "account",
        key: account.to_string(),
    })
}

/// Writes a meeting with its attendees (each checked to be ours or the account's).
pub(crate) async fn insert_meeting(
    tx: &mut Tx,
    account: AccountId,
    fields: &MeetingFields,
    by: Option<UserId>,
) -> Result<MeetingId> {
    account_exists(tx, account).await?;
    check_attendees(tx, account, fields).await?;
    let now = tx.now();
    let id: i64 = Query::sql(
        "INSERT INTO meetings (account_id, kind, title, starts_at, duration_minutes, time_zone, notes, sequence, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $9) RETURNING id",
    )
    .bind(account.0)
    .bind(fields.kind.as_str())
    .bind(fields.title.as_str())
    .bind(fields.starts_at)
    .bind(i64::from(fields.duration_minutes))
    .bind(fields.time_zone.name())
    .bind(fields.notes.as_str())
    .bind(by.map(|u| u.0))
    .bind(now)
    .scalar_one(tx)
    .await?;
    write_attendees(tx, id, fields).await?;
    Ok(MeetingId(id))
}

impl Store {
    /// Logs a meeting (or a note) on `account` with the promises made in it, in one
    /// transaction: nothing is half-written when one of them is refused.
    pub async fn create_meeting(
        &self,
        account: AccountId,
        fields: Valid<MeetingFields>,
        promises: Vec<PromiseFields>,
        by: Option<UserId>,
    ) -> Result<Meeting> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        let id = insert_meeting(&mut tx, account, &fields, by).await?.0;
        for promise in promises {
            insert_promise(&mut tx, account, Some(MeetingId(id)), None, promise, by).await?;
        }
        let meeting = meeting_in(&mut tx, MeetingId(id)).await?;
        tx.commit().await?;
        Ok(meeting)
    }

    /// Changes a meeting. Moving it (another start or length) raises its sequence, so
    /// calendars that hold it take the new time.
    pub async fn update_meeting(&self, id: MeetingId, fields: Valid<MeetingFields>) -> Result<Meeting> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        let before = meeting_in(&mut tx, id).await?;
        refuse_closed_retrospective(&mut tx, id).await?;
        check_attendees(&mut tx, before.account_id, &fields).await?;
        let moved = before.fields.starts_at != fields.starts_at
            || before.fields.duration_minutes != fields.duration_minutes
            || before.fields.time_zone != fields.time_zone;
        Query::sql(
            "UPDATE meetings SET kind = $1, title = $2, starts_at = $3, duration_minutes = $4, time_zone = $5, \
             notes = $6, sequence = sequence + $7, updated_at = $8 WHERE id = $9",
        )
        .bind(fields.kind.as_str())
        .bind(fields.title.as_str())
        .bind(fields.starts_at)
        .bind(i64::from(fields.duration_minutes))
        .bind(fields.time_zone.name())
        .bind(fields.notes.as_str())
        .bind(i64::from(moved))
        .bind(tx.now())
        .bind(id.0)
        .execute(&mut tx)
        .await?;
        write_attendees(&mut tx, id.0, &fields).await?;
        let meeting = meeting_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(meeting)
    }

    /// Calls a meeting off; it stays on the record (and in calendars, as cancelled).
    pub async fn cancel_meeting(&self, id: MeetingId) -> Result<Meeting> {
        let mut tx = self.begin_write().await?;
        let before = meeting_in(&mut tx, id).await?;
        if before.cancelled_at.is_some() {
            return Err(StoreError::Conflict(format!("meeting {id} is already cancelled")));
        }
        refuse_closed_retrospective(&mut tx, id).await?;
        Query::sql("UPDATE meetings SET cancelled_at = $1, updated_at = $1, sequence = sequence + 1 WHERE id = $2")
            .bind(tx.now())
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        let meeting = meeting_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(meeting)
    }

    pub async fn meeting(&self, id: MeetingId) -> Result<Meeting> {
        let mut tx = self.begin_snapshot().await?;
        meeting_in(&mut tx, id).await
    }

    /// Meetings meeting `filter`, the latest first.
    pub async fn meetings(&self, filter: &MeetingFilter) -> Result<Vec<Meeting>> {
        let mut tx = self.begin_snapshot().await?;
        meetings_where(&mut tx, filter, "m.starts_at DESC, m.id DESC").await
    }

    /// Meetings meeting `filter`, the earliest first (a calendar).
    pub async fn meetings_ahead(&self, filter: &MeetingFilter) -> Result<Vec<Meeting>> {
        let mut tx = self.begin_snapshot().await?;
        meetings_where(&mut tx, filter, "m.starts_at, m.id").await
    }
}

/// A closed retrospective is a record of what the customer said and of the next date agreed;
/// moving or cancelling its meeting afterwards would rewrite that record.
async fn refuse_closed_retrospective(tx: &mut Tx, id: MeetingId) -> Result<()> {
    let closed: Option<i64> =
        Query::sql("SELECT meeting_id FROM retrospectives WHERE meeting_id = $1 AND closed_at IS NOT NULL")
            .bind(id.0)
            .scalar_optional(tx)
            .await?;
    match closed {
        Some(_) => Err(StoreError::Conflict(format!(
            "meeting {id} is a closed retrospective; its record stays as it was closed"
        ))),
        None => Ok(()),
    }
}
