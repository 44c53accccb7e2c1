//! Bugs and feature requests (F-43, seed 004): written down from an account, linked to every
//! account that wants them (their ARR summed is the demand), their status moved by hand or by
//! the Jira issue that tracks them. When one ships, each linked account's CSM is told — a
//! notification and a task, the accounts renewing within 90 days first — and the accounts'
//! timelines say so.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lodestar_domain::error::Invalid;
use lodestar_domain::notify::{Notification, Subject};
use lodestar_domain::review::ActionText;
use lodestar_domain::text::Name;
use lodestar_domain::ticket::{Asker, JiraKey, RequestFields, alert_order, renews_soon};
use lodestar_domain::vocabulary::{NotificationKind, RequestStatus, TaskSource};
use lodestar_domain::{AccountId, Cents, ContactId, RequestId, UserId, Valid};

use super::notify::notify_user;
use super::tasks::{TaskFields, insert_task};
use super::timeline::{TimelineKind, record};
use super::{parse, stored_note};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// An account that asked for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAccount {
    pub account_id: AccountId,
    pub name: String,
    pub arr: Cents,
    pub renewal_date: Option<NaiveDate>,
    /// The account's CSM, who is told when the request ships.
    pub owner_id: Option<UserId>,
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRequest {
    pub id: RequestId,
    pub fields: RequestFields,
    pub status: RequestStatus,
    pub shipped_at: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The accounts that asked for it, the largest ARR first.
    pub accounts: Vec<RequestAccount>,
}

impl ProductRequest {
    /// The ARR of the accounts that asked for it, summed.
    pub fn demand(&self) -> Cents {
        Cents(self.accounts.iter().map(|a| a.arr.0).sum())
    }
}

/// What a status change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub request: ProductRequest,
    /// When it shipped just now: the accounts whose CSM was told, in the order they were.
    pub told: Vec<AccountId>,
}

/// How many requests a page of the product view lists.
pub const REQUESTS_PER_PAGE: usize = 50;

/// A shipped request's task is due at once for an account renewing soon, within a week else.
const TELL_WITHIN_DAYS: i64 = 7;

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    title: String,
    kind: String,
    detail: String,
    jira_key: Option<String>,
    status: String,
    shipped_at: Option<DateTime<Utc>>,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    request_id: i64,
    account_id: i64,
    name: String,
    arr_cents: i64,
    renewal_date: Option<NaiveDate>,
    owner_id: Option<i64>,
    owner: Option<String>,
}

const SELECT_REQUESTS: &str = "SELECT r.id, r.title, r.kind, r.detail, r.jira_key, r.status, r.shipped_at, \
     u.name AS created_by, r.created_at, r.updated_at FROM product_requests r LEFT JOIN users u ON u.id = r.created_by";

fn corrupt(column: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {e}"))
}

async fn requests_where(tx: &mut Tx, conditions: Vec<Query>) -> Result<Vec<ProductRequest>> {
    let rows: Vec<RequestRow> = Query::sql(SELECT_REQUESTS)
        .where_all(conditions)
        .push(" ORDER BY r.id")
        .fetch_all(tx)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut links: HashMap<i64, Vec<RequestAccount>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let found: Vec<LinkRow> = Query::sql(
            "SELECT l.request_id, a.id AS account_id, a.name, a.arr_cents, a.renewal_date, a.owner_id, \
             o.name AS owner FROM product_request_accounts l JOIN accounts a ON a.id = l.account_id \
             LEFT JOIN users o ON o.id = a.owner_id WHERE l.request_id IN (",
        )
        .list(chunk.iter().copied())
        .push(") ORDER BY a.arr_cents DESC, a.id")
        .fetch_all(tx)
        .await?;
        for l in found {
            links.entry(l.request_id).or_default().push(RequestAccount {
                account_id: AccountId(l.account_id),
                name: l.name,
                arr: Cents(l.arr_cents),
                renewal_date: l.renewal_date,
                owner_id: l.owner_id.map(UserId),
                owner: l.owner,
            });
        }
    }
    rows.into_iter()
        .map(|row| {
            Ok(ProductRequest {
                id: RequestId(row.id),
                fields: RequestFields {
                    title: Name::parse(&row.title).map_err(|e| corrupt("product_requests.title", e))?,
                    kind: parse("product_requests.kind", &row.kind)?,
                    detail: stored_note("product_requests.detail", &row.detail)?,
                    jira_key: row
                        .jira_key
                        .as_deref()
                        .map(|k| JiraKey::parse(k).map_err(|e| corrupt("product_requests.jira_key", e)))
                        .transpose()?,
                },
                status: parse("product_requests.status", &row.status)?,
                shipped_at: row.shipped_at,
                created_by: row.created_by,
                created_at: row.created_at,
                updated_at: row.updated_at,
                accounts: links.remove(&row.id).unwrap_or_default(),
            })
        })
        .collect()
}

async fn request_in(tx: &mut Tx, id: RequestId) -> Result<ProductRequest> {
    requests_where(tx, vec![Query::sql("r.id = ").value(id.0)])
        .await?
        .pop()
        .ok_or(StoreError::NotFound {
            what: "request",
            key: id.to_string(),
        })
}

async fn account_name(tx: &mut Tx, account: AccountId) -> Result<String> {
    let found: Option<String> = Query::sql("SELECT name FROM accounts WHERE id = $1")
        .bind(account.0)
        .scalar_optional(tx)
        .await?;
    found.ok_or(StoreError::NotFound {
        what: "account",
        key: account.to_string(),
    })
}

/// "“SAML single sign-on”": how texts name a request.
fn quoted(request: &RequestFields) -> String {
    format!("“{}”", request.title)
}

/// Links `account` to `request`; `asked_by` is the person there who asked (one of its
/// contacts), when known.
async fn link(
    tx: &mut Tx,
    request: &ProductRequest,
    account: AccountId,
    asked_by: Option<ContactId>,
    by: Option<UserId>,
) -> Result<()> {
    account_name(tx, account).await?;
    if let Some(contact) = asked_by {
        let at: Option<(i64,)> = Query::sql("SELECT account_id FROM contacts WHERE id = $1")
            .bind(contact.0)
            .fetch_optional(tx)
            .await?;
        if at.map(|(a,)| a) != Some(account.0) {
            return Err(Invalid::field(
                "asked_by",
                format!("contact {contact} is not one of this account's contacts"),
            )
            .into());
        }
    }
    let now = tx.now();
    Query::sql(
        "INSERT INTO product_request_accounts (request_id, account_id, contact_id, linked_by, linked_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(request.id.0)
    .bind(account.0)
    .bind(asked_by.map(|c| c.0))
    .bind(by)
    .bind(now)
    .execute(tx)
    .await?;
    let text = format!(
        "Asked for {} {} ({})",
        request.fields.kind.label().to_lowercase(),
        quoted(&request.fields),
        request.status.label().to_lowercase()
    );
    record(tx, account, now, by, TimelineKind::Request, &text).await
}

/// Tells each asking account's CSM that `request` shipped — a notification and a task — the
/// accounts renewing within 90 days first; returns the accounts told, in that order.
async fn tell_shipped(tx: &mut Tx, request: &ProductRequest) -> Result<Vec<AccountId>> {
    let today = tx.today();
    let askers = alert_order(
        request
            .accounts
            .iter()
            .map(|a| Asker {
                account_id: a.account_id,
                renewal_date: a.renewal_date,
                arr: a.arr,
            })
            .collect(),
        today,
    );
    let by_id: HashMap<AccountId, &RequestAccount> = request.accounts.iter().map(|a| (a.account_id, a)).collect();
    let mut told = Vec::new();
    for asker in askers {
        let account = by_id[&asker.account_id];
        let Some(owner) = account.owner_id else {
            continue;
        };
        let soon = renews_soon(account.renewal_date, today);
        let what = quoted(&request.fields);
        let renewal = match account.renewal_date {
            Some(day) if soon => format!(" They renew on {day}: a good moment to say it."),
            _ => String::new(),
        };
        let text = format!(
            "{} {what}, which {} asked for, has shipped. Tell them.{renewal}",
            request.fields.kind.label(),
            account.name
        );
        let subject = format!("Shipped: {} - tell {}", request.fields.title, account.name);
        let notification = Notification {
            kind: NotificationKind::RequestShipped,
            subject: Subject::parse(&subject.chars().take(200).collect::<String>())
                .map_err(|e| corrupt("request shipped subject", e))?,
            text,
            link: Some(format!("/accounts/{}", account.account_id)),
            once_key: Some(format!("request-shipped:{}:{}", request.id, account.account_id)),
        };
        notify_user(tx, owner, &notification).await?;
        let title = format!("Tell {} that {what} shipped", account.name);
        let task = TaskFields {
            title: ActionText::parse(&title.chars().take(500).collect::<String>())
                .map_err(|e| corrupt("request shipped task", e))?,
            account: Some(account.account_id),
            due_on: Some(if soon {
                today
            } else {
                today + Duration::days(TELL_WITHIN_DAYS)
            }),
        };
        insert_task(tx, owner, &task, TaskSource::RequestShipped).await?;
        told.push(account.account_id);
    }
    Ok(told)
}

impl Store {
    /// Writes down a bug or feature request that `account` (`asked_by` there) asked for.
    pub async fn create_request(
        &self,
        fields: Valid<RequestFields>,
        account: AccountId,
        asked_by: Option<ContactId>,
        by: Option<UserId>,
    ) -> Result<ProductRequest> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        account_name(&mut tx, account).await?;
        let now = tx.now();
        let id: i64 = Query::sql(
            "INSERT INTO product_requests (title, kind, detail, jira_key, status, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(fields.title.as_str())
        .bind(fields.kind.as_str())
        .bind(fields.detail.as_str())
        .bind(fields.jira_key.as_ref().map(JiraKey::as_str))
        .bind(RequestStatus::Open.as_str())
        .bind(by)
        .bind(now)
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        let request = request_in(&mut tx, RequestId(id)).await?;
        link(&mut tx, &request, account, asked_by, by).await?;
        let request = request_in(&mut tx, RequestId(id)).await?;
        tx.commit().await?;
        Ok(request)
    }

    /// Links one more account (`asked_by` there) that asks for a request (409 when it is
    /// linked already).
    pub async fn link_request(
        &self,
        id: RequestId,
        account: AccountId,
        asked_by: Option<ContactId>,
        by: Option<UserId>,
    ) -> Result<ProductRequest> {
        let mut tx = self.begin_write().await?;
        let request = request_in(&mut tx, id).await?;
        link(&mut tx, &request, account, asked_by, by).await?;
        let request = request_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(request)
    }

    pub async fn request(&self, id: RequestId) -> Result<ProductRequest> {
        let mut tx = self.begin_snapshot().await?;
        request_in(&mut tx, id).await
    }

    /// The request a Jira issue tracks.
    pub async fn request_by_jira_key(&self, key: &JiraKey) -> Result<Option<ProductRequest>> {
        let mut tx = self.begin_snapshot().await?;
        Ok(
            requests_where(&mut tx, vec![Query::sql("r.jira_key = ").value(key.as_str())])
                .await?
                .pop(),
        )
    }

    /// The requests an account asked for: open ones first, then the newest.
    pub async fn requests_of_account(&self, account: AccountId) -> Result<Vec<ProductRequest>> {
        let mut tx = self.begin_snapshot().await?;
        let mut found = requests_where(
            &mut tx,
            vec![
                Query::sql("r.id IN (SELECT request_id FROM product_request_accounts WHERE account_id = ")
                    .value(account.0)
                    .push(")"),
            ],
        )
        .await?;
        found.sort_by_key(|r| (!r.status.is_open(), std::cmp::Reverse(r.id)));
        Ok(found)
    }

    /// The open requests (neither shipped nor declined), the largest ARR demand first; a page
    /// of [`REQUESTS_PER_PAGE`] (0-based `page`) and whether more follow.
    pub async fn open_requests_by_demand(&self, page: usize) -> Result<(Vec<ProductRequest>, bool)> {
        let mut tx = self.begin_snapshot().await?;
        let open: Vec<&str> = RequestStatus::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| s.as_str())
            .collect();
        let mut found = requests_where(&mut tx, vec![Query::sql("r.status IN (").list(open).push(")")]).await?;
        found.sort_by_key(|r| {
            (
                std::cmp::Reverse(r.demand().0),
                std::cmp::Reverse(r.accounts.len()),
                r.id,
            )
        });
        let start = page.saturating_mul(REQUESTS_PER_PAGE).min(found.len());
        let more = found.len() > start + REQUESTS_PER_PAGE;
        Ok((found.drain(start..).take(REQUESTS_PER_PAGE).collect(), more))
    }

    /// Moves a request to `status`, by hand (`by`) or by its Jira issue. A change is written on
    /// each asking account's timeline; shipping (from any other status) tells each account's
    /// CSM. Setting the status it has changes nothing.
    pub async fn set_request_status(
        &self,
        id: RequestId,
        status: RequestStatus,
        by: Option<UserId>,
    ) -> Result<StatusChange> {
        let mut tx = self.begin_write().await?;
        let before = request_in(&mut tx, id).await?;
        if before.status == status {
            return Ok(StatusChange {
                request: before,
                told: Vec::new(),
            });
        }
        let now = tx.now();
        let shipped_at = if status == RequestStatus::Shipped {
            Some(now)
        } else {
            None
        };
        Query::sql("UPDATE product_requests SET status = $1, shipped_at = $2, updated_at = $3 WHERE id = $4")
            .bind(status.as_str())
            .bind(shipped_at)
            .bind(now)
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        let text = format!(
            "{} {}: {} → {}",
            before.fields.kind.label(),
            quoted(&before.fields),
            before.status.label(),
            status.label()
        );
        for account in &before.accounts {
            record(&mut tx, account.account_id, now, by, TimelineKind::Request, &text).await?;
        }
        let request = request_in(&mut tx, id).await?;
        let told = if status == RequestStatus::Shipped {
            tell_shipped(&mut tx, &request).await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        Ok(StatusChange { request, told })
    }
}
