//! What the notification API and pages both do: a person's own settings, and the webhook
//! targets (admins), each change of a target with its audit entry.

use std::collections::BTreeSet;

use base64::Engine;
use lodestar_domain::access::Actor;
use lodestar_domain::notify::{Channels, TimeZone, WebhookFields, WebhookUrl};
use lodestar_domain::vocabulary::{AuditKind, NotificationKind};
use lodestar_domain::{FieldError, Invalid, JobId, UserId, Valid, WebhookId};
use lodestar_store::{NotificationSettings, Store, WebhookTarget};

use crate::AppState;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::{allowed, checked};

/// Settings are a person's own: an integration token (which is nobody) has none.
pub(crate) fn require_person(actor: &Actor) -> Result<UserId, ApiError> {
    actor
        .user
        .ok_or(ApiError::Forbidden("an integration token has no notification settings"))
}

pub(crate) fn require_webhook_admin(actor: &Actor) -> Result<(), ApiError> {
    allowed(actor.can_administer(), "only admins manage webhooks")
}

/// A choice for one kind, as sent.
pub(crate) struct ChannelsInput {
    pub kind: String,
    pub email: bool,
    pub webhook: bool,
}

/// Saves `user`'s time zone and choices, every problem named at once.
pub(crate) async fn save_settings(
    store: &Store,
    user: UserId,
    time_zone: &str,
    choices: Vec<ChannelsInput>,
) -> Result<NotificationSettings, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let zone = checked(&mut errors, "time_zone", TimeZone::parse(time_zone));
    let mut channels = Vec::new();
    for choice in choices {
        if let Some(kind) = checked(&mut errors, "kinds", choice.kind.parse::<NotificationKind>()) {
            channels.push((
                kind,
                Channels {
                    email: choice.email,
                    webhook: choice.webhook,
                },
            ));
        }
    }
    match zone {
        Some(zone) if errors.is_empty() => Ok(store.set_notification_settings(user, zone, &channels).await?),
        _ => Err(Invalid { errors }.into()),
    }
}

/// A webhook target's fields as sent: every problem named at once.
pub(crate) fn webhook_fields(
    name: &str,
    url: &str,
    enabled: bool,
    allow_private: bool,
    kinds: &[String],
) -> Result<Valid<WebhookFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let name = checked(&mut errors, "name", name.parse());
    let url = checked(&mut errors, "url", WebhookUrl::parse(url));
    let kinds: BTreeSet<NotificationKind> = kinds
        .iter()
        .filter_map(|k| checked(&mut errors, "kinds", k.parse()))
        .collect();
    match (name, url) {
        (Some(name), Some(url)) if errors.is_empty() => Ok(WebhookFields {
            name,
            url,
            enabled,
            allow_private,
            kinds,
        }
        .validate()?),
        _ => Err(Invalid { errors }.into()),
    }
}

fn subject(id: WebhookId) -> Option<String> {
    Some(format!("webhook {id}"))
}

/// A target in the audit log: its URL by host only, since a webhook URL (Slack's) often
/// carries a token, and the log keeps everything forever.
fn describe(fields: &WebhookFields) -> String {
    let kinds: Vec<&str> = fields.kinds.iter().map(|k| k.as_str()).collect();
    format!(
        "\"{}\" → {} ({}{}; {})",
        fields.name,
        fields.url.url().host_str().unwrap_or_default(),
        if fields.enabled { "on" } else { "off" },
        if fields.allow_private {
            ", private addresses allowed"
        } else {
            ""
        },
        kinds.join(", ")
    )
}

/// Creates a target with a fresh signing secret: the target and the secret, shown this once.
pub(crate) async fn create_webhook(
    state: &AppState,
    origin: &Origin,
    fields: Valid<WebhookFields>,
) -> Result<(WebhookTarget, String), ApiError> {
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let target = state.store.create_webhook_target(fields, &secret).await?;
    let detail = describe(&target.fields);
    state
        .audit(origin, AuditKind::WebhookCreated, subject(target.id), detail)
        .await?;
    Ok((target, secret))
}

pub(crate) async fn update_webhook(
    state: &AppState,
    origin: &Origin,
    id: WebhookId,
    fields: Valid<WebhookFields>,
) -> Result<WebhookTarget, ApiError> {
    let target = state.store.update_webhook_target(id, fields).await?;
    let detail = describe(&target.fields);
    state
        .audit(origin, AuditKind::WebhookChanged, subject(id), detail)
        .await?;
    Ok(target)
}

pub(crate) async fn delete_webhook(state: &AppState, origin: &Origin, id: WebhookId) -> Result<(), ApiError> {
    let target = state.store.webhook_target(id).await?;
    state.store.delete_webhook_target(id).await?;
    let detail = format!("\"{}\"", target.fields.name);
    state
        .audit(origin, AuditKind::WebhookDeleted, subject(id), detail)
        .await
}

/// Queues a test message to an enabled target (a turned-off target is posted nothing).
pub(crate) async fn test_webhook(store: &Store, id: WebhookId) -> Result<JobId, ApiError> {
    let target = store.webhook_target(id).await?;
    if !target.fields.enabled {
        return Err(ApiError::Conflict(format!(
            "webhook \"{}\" is turned off; turn it on to send it a test",
            target.fields.name
        )));
    }
    Ok(store.enqueue_webhook_test(id).await?)
}
