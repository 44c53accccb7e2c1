//! Promises: what our team and the customer's people said they would do, by when.

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::Invalid;
use lodestar_domain::notify::{EmailMessage, Subject};
use lodestar_domain::promise::{PromiseFact, PromiseFields, PromiseOwner, Side, Standing};
use lodestar_domain::vocabulary::{ActionStatus, TaskSource};
use lodestar_domain::{AccountId, ContactId, JobId, MeetingId, PromiseId, ReviewId, UserId};

use super::notify::enqueue_email;
use super::parse;
use super::timeline::TimelineKind;
use crate::query::Query;
use crate::{Backend, Result, Store, StoreError, Tx};

/// Migration 13's Rust step: the LxL action items are promises now. A done item's day is the
/// day it was closed; PostgreSQL's identity must continue after the ids the items kept.
pub(crate) async fn finish_moving_action_items(tx: &mut Tx) -> Result<()> {
    let done: Vec<(i64, DateTime<Utc>)> =
        Query::sql("SELECT id, closed_at FROM promises WHERE status = 'done' AND closed_at IS NOT NULL")
            .fetch_all(tx)
            .await?;
    for (id, closed_at) in done {
        let day: NaiveDate = closed_at.date_naive();
        Query::sql("UPDATE promises SET done_on = $1 WHERE id = $2")
            .bind(day)
            .bind(id)
            .execute(tx)
            .await?;
    }
    if tx.backend() == Backend::Postgres {
        Query::sql(
            "SELECT setval(pg_get_serial_sequence('promises', 'id'), COALESCE((SELECT MAX(id) FROM promises), 0) + 1, false)",
        )
        .execute(tx)
        .await?;
    }
    Ok(())
}

/// A promise as stored, with the names a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promise {
    pub id: PromiseId,
    pub account_id: AccountId,
    pub account_name: String,
    /// The account's CSM, who may move any promise on it.
    pub account_owner_id: Option<UserId>,
    pub meeting_id: Option<MeetingId>,
    pub review_id: Option<ReviewId>,
    pub description: String,
    pub owner: PromiseOwner,
    /// The owner's name (a user's or a contact's).
    pub owner_name: String,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    pub done_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl Promise {
    pub fn standing(&self, today: NaiveDate) -> Standing {
        Standing::of(self.status, self.due_on, self.done_on, today)
    }
}

/// Which promises to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromiseFilter {
    pub id: Option<PromiseId>,
    pub account: Option<AccountId>,
    pub meeting: Option<MeetingId>,
    /// Promises owned by this user.
    pub owned_by: Option<UserId>,
    /// Promises on accounts in this CSM's book.
    pub in_book_of: Option<UserId>,
    pub side: Option<Side>,
    pub status: Option<ActionStatus>,
    /// Due before this day (with `status` open: overdue).
    pub due_before: Option<NaiveDate>,
}

/// A contact's name as the domain's `display_name` writes it (names, else the email), in SQL.
macro_rules! contact_name {
    () => {
        "COALESCE(NULLIF(TRIM(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, '')), ''), c.email, '')"
    };
}
pub(crate) use contact_name;

const SELECT_PROMISES: &str = concat!(
    "SELECT p.id, p.account_id, a.name AS account_name, a.owner_id AS account_owner, \
     p.meeting_id, p.review_id, p.description, p.owner_user_id, p.owner_contact_id, COALESCE(u.name, ",
    contact_name!(),
    ") AS owner_name, \
     p.due_on, p.status, p.done_on, p.created_at, p.closed_at FROM promises p JOIN accounts a ON a.id = p.account_id \
     LEFT JOIN users u ON u.id = p.owner_user_id LEFT JOIN contacts c ON c.id = p.owner_contact_id"
);

#[derive(sqlx::FromRow)]
struct PromiseRow {
    id: i64,
    account_id: i64,
    account_name: String,
    account_owner: Option<i64>,
    meeting_id: Option<i64>,
    review_id: Option<i64>,
    description: String,
    owner_user_id: Option<i64>,
    owner_contact_id: Option<i64>,
    owner_name: Option<String>,
    due_on: NaiveDate,
    status: String,
    done_on: Option<NaiveDate>,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

fn promise_of(row: PromiseRow) -> Result<Promise> {
    let owner = match (row.owner_user_id, row.owner_contact_id) {
        (Some(user), _) => PromiseOwner::Us(UserId(user)),
        (None, Some(contact)) => PromiseOwner::Customer(ContactId(contact)),
        (None, None) => return Err(StoreError::Corrupt(format!("promise {} has no owner", row.id))),
    };
    Ok(Promise {
        id: PromiseId(row.id),
        account_id: AccountId(row.account_id),
        account_name: row.account_name,
        account_owner_id: row.account_owner.map(UserId),
        meeting_id: row.meeting_id.map(MeetingId),
        review_id: row.review_id.map(ReviewId),
        description: row.description,
        owner,
        owner_name: row.owner_name.unwrap_or_default(),
        due_on: row.due_on,
        status: parse("promises.status", &row.status)?,
        done_on: row.done_on,
        created_at: row.created_at,
        closed_at: row.closed_at,
    })
}

pub(crate) async fn promises_where(tx: &mut Tx, filter: &PromiseFilter) -> Result<Vec<Promise>> {
    let mut conditions = Vec::new();
    if let Some(id) = filter.id {
        conditions.push(Query::sql("p.id = ").value(id.0));
    }
    if let Some(account) = filter.account {
        conditions.push(Query::sql("p.account_id = ").value(account.0));
    }
    if let Some(meeting) = filter.meeting {
        conditions.push(Query::sql("p.meeting_id = ").value(meeting.0));
    }
    if let Some(user) = filter.owned_by {
        conditions.push(Query::sql("p.owner_user_id = ").value(user.0));
    }
    if let Some(user) = filter.in_book_of {
        conditions.push(Query::sql("a.owner_id = ").value(user.0));
    }
    match filter.side {
        Some(Side::Ours) => conditions.push(Query::sql("p.owner_user_id IS NOT NULL")),
        Some(Side::Theirs) => conditions.push(Query::sql("p.owner_contact_id IS NOT NULL")),
        None => {}
    }
    if let Some(status) = filter.status {
        conditions.push(Query::sql("p.status = ").value(status.as_str()));
    }
    if let Some(day) = filter.due_before {
        conditions.push(Query::sql("p.due_on < ").value(day));
    }
    let rows: Vec<PromiseRow> = Query::sql(SELECT_PROMISES)
        .where_all(conditions)
        .push(" ORDER BY p.due_on, p.id")
        .fetch_all(tx)
        .await?;
    rows.into_iter().map(promise_of).collect()
}

pub(crate) async fn promise_in(tx: &mut Tx, id: PromiseId) -> Result<Promise> {
    let filter = PromiseFilter {
        id: Some(id),
        ..PromiseFilter::default()
    };
    promises_where(tx, &filter).await?.pop().ok_or(StoreError::NotFound {
        what: "promise",
        key: id.to_string(),
    })
}

/// Writes a promise on `account` (made in `meeting` or at `review`, or on its own). A promise
/// of ours is also a task on its owner's list.
pub(crate) async fn insert_promise(
    tx: &mut Tx,
    account: AccountId,
    meeting: Option<MeetingId>,
    review: Option<ReviewId>,
    fields: PromiseFields,
    by: Option<UserId>,
) -> Result<PromiseId> {
    let (user, contact) = match fields.owner {
        PromiseOwner::Us(user) => {
            let found: Option<i64> = Query::sql("SELECT id FROM users WHERE id = $1")
                .bind(user.0)
                .scalar_optional(tx)
                .await?;
            if found.is_none() {
                return Err(Invalid::field("owner_user_id", format!("there is no user {user}")).into());
            }
            (Some(user.0), None)
        }
        PromiseOwner::Customer(contact) => {
            let of: Option<i64> = Query::sql("SELECT account_id FROM contacts WHERE id = $1")
                .bind(contact.0)
                .scalar_optional(tx)
                .await?;
            if of != Some(account.0) {
                return Err(Invalid::field(
                    "owner_contact_id",
                    format!("contact {contact} is not one of this account's contacts"),
                )
                .into());
            }
            (None, Some(contact.0))
        }
    };
    let now = tx.now();
    let id: i64 = Query::sql(
        "INSERT INTO promises (account_id, meeting_id, review_id, description, owner_user_id, owner_contact_id, \
         due_on, status, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(account.0)
    .bind(meeting.map(|m| m.0))
    .bind(review.map(|r| r.0))
    .bind(fields.description.as_str())
    .bind(user)
    .bind(contact)
    .bind(fields.due_on)
    .bind(ActionStatus::Open.as_str())
    .bind(by.map(|u| u.0))
    .bind(now)
    .scalar_one(tx)
    .await?;
    if let Some(user) = user {
        Query::sql(
            "INSERT INTO tasks (user_id, account_id, promise_id, title, source, due_on, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(user)
        .bind(account.0)
        .bind(id)
        .bind(fields.description.as_str())
        .bind(TaskSource::Promise.as_str())
        .bind(fields.due_on)
        .bind(now)
        .execute(tx)
        .await?;
    }
    tx.touch_accounts([account.0]);
    Ok(PromiseId(id))
}

/// Moves a promise to `status`: done today, dropped, or open again. Its task follows.
pub(crate) async fn set_promise_status_in(tx: &mut Tx, id: PromiseId, status: ActionStatus) -> Result<Promise> {
    let before = promise_in(tx, id).await?;
    let now = tx.now();
    let closed_at = (status != ActionStatus::Open).then_some(now);
    let done_on = (status == ActionStatus::Done).then(|| now.date_naive());
    Query::sql("UPDATE promises SET status = $1, closed_at = $2, done_on = $3 WHERE id = $4")
        .bind(status.as_str())
        .bind(closed_at)
        .bind(done_on)
        .bind(id.0)
        .execute(tx)
        .await?;
    Query::sql("UPDATE tasks SET done_at = $1 WHERE promise_id = $2")
        .bind(closed_at)
        .bind(id.0)
        .execute(tx)
        .await?;
    tx.touch_accounts([before.account_id.0]);
    promise_in(tx, id).await
}

/// Every promise on the accounts of the measure's scope, as the "promises kept" measure reads
/// them (the domain decides which fall in its window).
pub(crate) async fn promise_facts(tx: &mut Tx, account_filter: &str) -> Result<Vec<(i64, PromiseFact)>> {
    let sql = format!(
        "SELECT account_id, owner_user_id IS NOT NULL, status, due_on, done_on FROM promises WHERE 1 = 1{account_filter}"
    );
    let rows: Vec<(i64, bool, String, NaiveDate, Option<NaiveDate>)> = Query::sql(sql).fetch_all(tx).await?;
    rows.into_iter()
        .map(|(account, ours, status, due_on, done_on)| {
            Ok((
                account,
                PromiseFact {
                    side: if ours { Side::Ours } else { Side::Theirs },
                    status: parse("promises.status", &status)?,
                    due_on,
                    done_on,
                },
            ))
        })
        .collect()
}

impl Store {
    /// A promise made outside a meeting.
    pub async fn add_promise(&self, account: AccountId, fields: PromiseFields, by: Option<UserId>) -> Result<Promise> {
        let mut tx = self.begin_write().await?;
        let id = insert_promise(&mut tx, account, None, None, fields, by).await?;
        let promise = promise_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(promise)
    }

    pub async fn set_promise_status(&self, id: PromiseId, status: ActionStatus) -> Result<Promise> {
        let mut tx = self.begin_write().await?;
        let promise = set_promise_status_in(&mut tx, id, status).await?;
        tx.commit().await?;
        Ok(promise)
    }

    pub async fn promise(&self, id: PromiseId) -> Result<Promise> {
        let mut tx = self.begin_snapshot().await?;
        promise_in(&mut tx, id).await
    }

    /// Promises meeting `filter`, the soonest due first.
    pub async fn promises(&self, filter: &PromiseFilter) -> Result<Vec<Promise>> {
        let mut tx = self.begin_snapshot().await?;
        promises_where(&mut tx, filter).await
    }
}

impl Store {
    /// Emails the customer contact who owns promise `id` a reminder of it, from `from` (one of
    /// ours), and puts it on the account's timeline. Once a day per promise; only an open
    /// promise of the customer's, to a contact with an email, on a server that sends email.
    pub async fn remind_customer(&self, id: PromiseId, from: UserId) -> Result<JobId> {
        let mut tx = self.begin_write().await?;
        let promise = promise_in(&mut tx, id).await?;
        let PromiseOwner::Customer(contact) = promise.owner else {
            return Err(StoreError::Conflict(
                "this is a promise of ours: it is on its owner's task list".into(),
            ));
        };
        if promise.status != ActionStatus::Open {
            return Err(StoreError::Conflict(format!("promise {id} is no longer open")));
        }
        if !tx.outbox().email {
            return Err(StoreError::Conflict(
                "this server sends no email: set LODESTAR_SMTP_URL and LODESTAR_MAIL_FROM".into(),
            ));
        }
        let (first_name, email): (Option<String>, Option<String>) =
            Query::sql("SELECT first_name, email FROM contacts WHERE id = $1")
                .bind(contact.0)
                .fetch_one(&mut tx)
                .await?;
        let Some(email) = email else {
            return Err(Invalid::field(
                "owner_contact_id",
                format!("{} has no email address on record", promise.owner_name),
            )
            .into());
        };
        let sender: String = Query::sql("SELECT name FROM users WHERE id = $1")
            .bind(from.0)
            .scalar_one(&mut tx)
            .await?;
        let today = tx.now().date_naive();
        let message = EmailMessage {
            to: parse("contacts.email", &email)?,
            subject: Subject::parse(&format!("Reminder: {}", promise.description))
                .map_err(|e| StoreError::Corrupt(format!("promises.description: {e}")))?,
            text_body: reminder_text(first_name.as_deref(), &promise, &sender),
            html_body: None,
        };
        let job = enqueue_email(&mut tx, &message, Some(format!("promise-reminder:{id}:{today}")))
            .await?
            .ok_or_else(|| StoreError::Conflict(format!("{} was already reminded today", promise.owner_name)))?;
        let text = format!("Reminder sent to {}: {}", promise.owner_name, promise.description);
        let at = tx.now();
        super::timeline::record(
            &mut tx,
            promise.account_id,
            at,
            Some(from),
            TimelineKind::EmailSent,
            &text,
        )
        .await?;
        tx.commit().await?;
        Ok(job)
    }
}

/// A short, human reminder: what they said they would do, by when, and who asks.
fn reminder_text(first_name: Option<&str>, promise: &Promise, sender: &str) -> String {
    let greeting = first_name.map_or_else(|| "Hello,".to_owned(), |n| format!("Hi {n},"));
    format!(
        "{greeting}\n\nA friendly reminder: you said you would \"{}\" by {}. \
         Could you let me know where it stands, or when it will be done?\n\nThank you,\n{sender}\n",
        promise.description,
        promise.due_on.format("%A, %d %B %Y"),
    )
}
