//! Notifications (F-52): each person's choices and time zone, the webhook targets, and the
//! messages themselves, queued as jobs in the transaction of the change that causes them.
//!
//! Other features tell people things by calling [`notify_user`] (or [`enqueue_email`]) inside
//! their own transaction: the messages exist exactly when the change does, and are sent by the
//! server's job runner — never while a request waits.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::notify::{
    Channels, EmailMessage, Notification, TimeZone, WebhookFields, digest_day, slack_message,
};
use lodestar_domain::text::Email;
use lodestar_domain::vocabulary::NotificationKind;
use lodestar_domain::{JobId, UserId, Valid, WebhookId};
use serde::{Deserialize, Serialize};

use super::parse;
use crate::jobs::{NewJob, enqueue};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// The job kind that sends one email (its payload is the [`EmailMessage`]).
pub const EMAIL_JOB: &str = "email";
/// The job kind that posts to one webhook target (its payload is a [`WebhookDelivery`]).
pub const WEBHOOK_JOB: &str = "webhook";
/// The job kind that composes and sends one person's digest for one day (a [`DigestRun`]).
pub const DIGEST_JOB: &str = "daily_digest";

/// A post to a webhook target: the Slack-compatible JSON body, signed when it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub target: WebhookId,
    pub body: serde_json::Value,
}

/// One person's digest of one local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestRun {
    pub user: UserId,
    pub day: NaiveDate,
}

/// A person's notification settings: their time zone and, for every kind, how it reaches them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSettings {
    pub time_zone: TimeZone,
    /// Every kind, in the vocabulary's order.
    pub channels: Vec<(NotificationKind, Channels)>,
}

/// A webhook target as stored (its signing secret is read only by the sender).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub id: WebhookId,
    pub fields: WebhookFields,
    /// The latest delivery attempt, and why it failed (none: it was answered with 2xx).
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: i64,
    name: String,
    url: String,
    enabled: i64,
    allow_private: i64,
    kinds: String,
    last_attempt_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const WEBHOOK_COLUMNS: &str =
    "id, name, url, enabled, allow_private, kinds, last_attempt_at, last_error, created_at, updated_at";

impl TryFrom<WebhookRow> for WebhookTarget {
    type Error = StoreError;

    fn try_from(r: WebhookRow) -> Result<WebhookTarget> {
        let kinds = r
            .kinds
            .split_whitespace()
            .map(|k| parse("webhook_targets.kinds", k))
            .collect::<Result<BTreeSet<NotificationKind>>>()?;
        Ok(WebhookTarget {
            id: WebhookId(r.id),
            fields: WebhookFields {
                name: parse("webhook_targets.name", &r.name)?,
                url: parse("webhook_targets.url", &r.url)?,
                enabled: r.enabled == 1,
                allow_private: r.allow_private == 1,
                kinds,
            },
            last_attempt_at: r.last_attempt_at,
            last_error: r.last_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn kinds_text(kinds: &BTreeSet<NotificationKind>) -> String {
    kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" ")
}

fn flag(on: bool) -> i64 {
    i64::from(on)
}

/// Queues `message` in the caller's transaction, once per `once_key` when one is given. Nothing
/// is queued when this server sends no email (no SMTP server configured): `None` then, as for a
/// key already used.
pub(crate) async fn enqueue_email(
    tx: &mut Tx,
    message: &EmailMessage,
    once_key: Option<String>,
) -> Result<Option<JobId>> {
    if !tx.outbox().email {
        return Ok(None);
    }
    let payload = serde_json::to_value(message).expect("an email serialises");
    let mut job = NewJob::new(EMAIL_JOB, payload, tx.now());
    job.dedupe_key = once_key;
    enqueue(tx, &job).await
}

/// Tells person `user` about `notification` as they chose for its kind: an email (when this
/// server sends email) and a post to each enabled webhook target that carries the kind. All
/// queued in the caller's transaction; a deactivated person is told nothing.
pub(crate) async fn notify_user(tx: &mut Tx, user: UserId, notification: &Notification) -> Result<()> {
    let person: Option<(String, String, Option<DateTime<Utc>>)> =
        Query::sql("SELECT email, name, deactivated_at FROM users WHERE id = $1")
            .bind(user)
            .fetch_optional(tx)
            .await?;
    let (email, name, deactivated_at) = person.ok_or(StoreError::NotFound {
        what: "user",
        key: user.to_string(),
    })?;
    if deactivated_at.is_some() {
        return Ok(());
    }
    let channels = channels_for(tx, user, notification.kind).await?;
    let public_url = tx.outbox().public_url.clone();
    let key = |channel: &str| notification.once_key.as_ref().map(|k| format!("{k}:{channel}"));
    if channels.email {
        let to: Email = parse("users.email", &email)?;
        let message = notification.email_to(to, public_url.as_deref());
        enqueue_email(tx, &message, key("email")).await?;
    }
    if channels.webhook {
        let body = notification.webhook_body(&name, public_url.as_deref());
        for target in carrying(tx, notification.kind).await? {
            let delivery = WebhookDelivery {
                target,
                body: body.clone(),
            };
            enqueue_webhook(tx, &delivery, key(&format!("webhook:{target}"))).await?;
        }
    }
    Ok(())
}

/// Posts `notification` to every enabled webhook target that carries its kind (a message to
/// a channel, not to a person), once per key when it has one. Returns how many targets.
pub(crate) async fn post_to_webhooks(tx: &mut Tx, notification: &Notification) -> Result<usize> {
    let public_url = tx.outbox().public_url.clone();
    let body = notification.webhook_body("the team", public_url.as_deref());
    let targets = carrying(tx, notification.kind).await?;
    for target in &targets {
        let delivery = WebhookDelivery {
            target: *target,
            body: body.clone(),
        };
        let key = notification.once_key.as_ref().map(|k| format!("{k}:webhook:{target}"));
        enqueue_webhook(tx, &delivery, key).await?;
    }
    Ok(targets.len())
}

async fn enqueue_webhook(tx: &mut Tx, delivery: &WebhookDelivery, once_key: Option<String>) -> Result<Option<JobId>> {
    let payload = serde_json::to_value(delivery).expect("a delivery serialises");
    let mut job = NewJob::new(WEBHOOK_JOB, payload, tx.now());
    job.dedupe_key = once_key;
    enqueue(tx, &job).await
}

/// How `user` chose to get `kind` (the defaults when they never chose).
async fn channels_for(tx: &mut Tx, user: UserId, kind: NotificationKind) -> Result<Channels> {
    let row: Option<(i64, i64)> =
        Query::sql("SELECT email, webhook FROM notification_preferences WHERE user_id = $1 AND kind = $2")
            .bind(user)
            .bind(kind.as_str())
            .fetch_optional(tx)
            .await?;
    Ok(row.map_or_else(Channels::default, |(email, webhook)| Channels {
        email: email == 1,
        webhook: webhook == 1,
    }))
}

/// The enabled webhook targets that carry `kind`.
async fn carrying(tx: &mut Tx, kind: NotificationKind) -> Result<Vec<WebhookId>> {
    let rows: Vec<(i64, String)> = Query::sql("SELECT id, kinds FROM webhook_targets WHERE enabled = 1 ORDER BY id")
        .fetch_all(tx)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, kinds)| kinds.split_whitespace().any(|k| k == kind.as_str()))
        .map(|(id, _)| WebhookId(id))
        .collect())
}

impl Store {
    /// [`notify_user`] in a transaction of its own (a job that has something to say).
    pub async fn notify(&self, user: UserId, notification: &Notification) -> Result<()> {
        let mut tx = self.begin_write().await?;
        notify_user(&mut tx, user, notification).await?;
        tx.commit().await
    }

    pub async fn notification_settings(&self, user: UserId) -> Result<NotificationSettings> {
        let zone: Option<String> = Query::sql("SELECT time_zone FROM users WHERE id = $1")
            .bind(user)
            .scalar_optional_on(self)
            .await?;
        let zone = zone.ok_or(StoreError::NotFound {
            what: "user",
            key: user.to_string(),
        })?;
        let rows: Vec<(String, i64, i64)> =
            Query::sql("SELECT kind, email, webhook FROM notification_preferences WHERE user_id = $1")
                .bind(user)
                .fetch_all_on(self)
                .await?;
        let mut chosen: HashMap<NotificationKind, Channels> = HashMap::new();
        for (kind, email, webhook) in rows {
            // A kind a newer Lodestar wrote: kept in the table, not shown.
            if let Ok(kind) = kind.parse() {
                chosen.insert(
                    kind,
                    Channels {
                        email: email == 1,
                        webhook: webhook == 1,
                    },
                );
            }
        }
        Ok(NotificationSettings {
            time_zone: parse("users.time_zone", &zone)?,
            channels: NotificationKind::ALL
                .iter()
                .map(|k| (*k, chosen.get(k).copied().unwrap_or_default()))
                .collect(),
        })
    }

    /// Sets `user`'s time zone and their choice for each kind in `channels` (kinds left out
    /// keep theirs).
    pub async fn set_notification_settings(
        &self,
        user: UserId,
        time_zone: TimeZone,
        channels: &[(NotificationKind, Channels)],
    ) -> Result<NotificationSettings> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        let changed = Query::sql("UPDATE users SET time_zone = $1, updated_at = $2 WHERE id = $3")
            .bind(time_zone.as_str())
            .bind(now)
            .bind(user)
            .execute(&mut tx)
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                key: user.to_string(),
            });
        }
        for (kind, chosen) in channels {
            Query::sql(
                "INSERT INTO notification_preferences (user_id, kind, email, webhook, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, kind) DO UPDATE SET \
                 email = excluded.email, webhook = excluded.webhook, updated_at = excluded.updated_at",
            )
            .bind(user)
            .bind(kind.as_str())
            .bind(flag(chosen.email))
            .bind(flag(chosen.webhook))
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        self.notification_settings(user).await
    }

    /// Every webhook target, by name.
    pub async fn webhook_targets(&self) -> Result<Vec<WebhookTarget>> {
        let rows: Vec<WebhookRow> = Query::sql(format!("SELECT {WEBHOOK_COLUMNS} FROM webhook_targets"))
            .fetch_all_on(self)
            .await?;
        let mut targets = rows
            .into_iter()
            .map(WebhookTarget::try_from)
            .collect::<Result<Vec<_>>>()?;
        targets.sort_by(|a, b| a.fields.name.as_str().cmp(b.fields.name.as_str()));
        Ok(targets)
    }

    pub async fn webhook_target(&self, id: WebhookId) -> Result<WebhookTarget> {
        self.webhook_target_with_secret(id).await.map(|(target, _)| target)
    }

    /// A target and the secret its posts are signed with: for the sender only.
    pub async fn webhook_target_with_secret(&self, id: WebhookId) -> Result<(WebhookTarget, String)> {
        #[derive(sqlx::FromRow)]
        struct WithSecret {
            #[sqlx(flatten)]
            target: WebhookRow,
            secret: String,
        }
        let row: Option<WithSecret> = Query::sql(format!(
            "SELECT {WEBHOOK_COLUMNS}, secret FROM webhook_targets WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional_on(self)
        .await?;
        let row = row.ok_or(StoreError::NotFound {
            what: "webhook target",
            key: id.to_string(),
        })?;
        Ok((row.target.try_into()?, row.secret))
    }

    /// Creates a target that signs its posts with `secret` (made and shown once by the caller).
    pub async fn create_webhook_target(&self, fields: Valid<WebhookFields>, secret: &str) -> Result<WebhookTarget> {
        let now = self.now();
        let id: i64 = Query::sql(
            "INSERT INTO webhook_targets (name, url, secret, enabled, allow_private, kinds, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(fields.name.as_str())
        .bind(fields.url.as_str())
        .bind(secret)
        .bind(flag(fields.enabled))
        .bind(flag(fields.allow_private))
        .bind(kinds_text(&fields.kinds))
        .bind(now)
        .scalar_one_on(self)
        .await?;
        self.webhook_target(WebhookId(id)).await
    }

    /// Replaces a target's fields; its secret stays.
    pub async fn update_webhook_target(&self, id: WebhookId, fields: Valid<WebhookFields>) -> Result<WebhookTarget> {
        let changed = Query::sql(
            "UPDATE webhook_targets SET name = $1, url = $2, enabled = $3, allow_private = $4, kinds = $5, \
             updated_at = $6 WHERE id = $7",
        )
        .bind(fields.name.as_str())
        .bind(fields.url.as_str())
        .bind(flag(fields.enabled))
        .bind(flag(fields.allow_private))
        .bind(kinds_text(&fields.kinds))
        .bind(self.now())
        .bind(id)
        .execute_on(self)
        .await?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "webhook target",
                key: id.to_string(),
            });
        }
        self.webhook_target(id).await
    }

    /// Deletes a target; posts still queued for it are dropped when their turn comes.
    pub async fn delete_webhook_target(&self, id: WebhookId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        super::delete_by_id(&mut tx, "webhook_targets", "webhook target", id.0).await?;
        tx.commit().await
    }

    /// Records how a delivery attempt to `id` went: `error` is why it failed, none when the
    /// receiver answered 2xx.
    pub async fn record_webhook_attempt(&self, id: WebhookId, error: Option<&str>) -> Result<()> {
        Query::sql("UPDATE webhook_targets SET last_attempt_at = $1, last_error = $2 WHERE id = $3")
            .bind(self.now())
            .bind(error)
            .bind(id)
            .execute_on(self)
            .await?;
        Ok(())
    }

    /// Queues a test message to target `id`, the button an admin presses after setting it up.
    pub async fn enqueue_webhook_test(&self, id: WebhookId) -> Result<JobId> {
        let target = self.webhook_target(id).await?;
        let text = format!(
            "Test message from Lodestar: the webhook \"{}\" works.",
            target.fields.name
        );
        let delivery = WebhookDelivery {
            target: id,
            body: slack_message(&text, &lodestar_domain::notify::escape_slack(&text)),
        };
        let mut tx = self.begin_write().await?;
        let job = enqueue_webhook(&mut tx, &delivery, None)
            .await?
            .expect("a job without a dedupe key is always queued");
        tx.commit().await?;
        Ok(job)
    }

    /// Queues the digest of every active person for whom it is morning at `at` and who gets
    /// the digest somewhere (by email when this server sends email, or on a webhook that
    /// carries it): once per person and local day, however many times it is asked. How many
    /// were newly queued.
    pub async fn enqueue_digests(&self, at: DateTime<Utc>) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let people: Vec<(i64, String)> =
            Query::sql("SELECT id, time_zone FROM users WHERE deactivated_at IS NULL ORDER BY id")
                .fetch_all(&mut tx)
                .await?;
        let to_webhooks = !carrying(&mut tx, NotificationKind::DailyDigest).await?.is_empty();
        let mut queued = 0;
        for (id, zone) in people {
            let zone: TimeZone = parse("users.time_zone", &zone)?;
            let Some(day) = digest_day(at, zone) else { continue };
            let user = UserId(id);
            let channels = channels_for(&mut tx, user, NotificationKind::DailyDigest).await?;
            if !((channels.email && tx.outbox().email) || (channels.webhook && to_webhooks)) {
                continue;
            }
            let run = DigestRun { user, day };
            let payload = serde_json::to_value(run).expect("a digest run serialises");
            let job = NewJob::new(DIGEST_JOB, payload, tx.now()).once_per(digest_key(user, day));
            if enqueue(&mut tx, &job).await?.is_some() {
                queued += 1;
            }
        }
        tx.commit().await?;
        Ok(queued)
    }
}

/// A person's digest of a day is sent once: its job, and the messages it queues, carry this key.
pub fn digest_key(user: UserId, day: NaiveDate) -> String {
    format!("{DIGEST_JOB}:{user}:{day}")
}
