//! Notifications on the API: `/api/v1/me/notifications` (a person's own settings) and
//! `/api/v1/webhooks` (the targets, admins).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use lodestar_domain::WebhookId;
use lodestar_store::{NotificationSettings, WebhookTarget};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, ChannelsInput};
use crate::AppState;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, DeleteProblems, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, path_id};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, replace_webhook, delete_webhook))
        .routes(routes!(test_webhook))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KindChannels {
    /// promise_due, customer_promise_overdue, meeting_reminder, account_turned_red or daily_digest.
    kind: String,
    label: String,
    /// Sent by email (when the server sends email).
    email: bool,
    /// Posted to the webhooks that carry this kind.
    webhook: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSettingsOutput {
    /// IANA time zone; the daily digest comes at 07:00 there.
    time_zone: String,
    /// Whether this server sends email at all (an SMTP server is configured).
    email_available: bool,
    kinds: Vec<KindChannels>,
}

fn settings_output(state: &AppState, settings: NotificationSettings) -> NotificationSettingsOutput {
    NotificationSettingsOutput {
        time_zone: settings.time_zone.to_string(),
        email_available: state.config.mail.is_some(),
        kinds: settings
            .channels
            .into_iter()
            .map(|(kind, channels)| KindChannels {
                kind: kind.to_string(),
                label: kind.label().to_owned(),
                email: channels.email,
                webhook: channels.webhook,
            })
            .collect(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindChannelsInput {
    kind: String,
    email: bool,
    webhook: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettingsInput {
    /// IANA time zone, e.g. Europe/Berlin or UTC.
    #[schema(example = "Europe/Berlin")]
    time_zone: String,
    /// The kinds to set; kinds left out keep their current choice.
    kinds: Vec<KindChannelsInput>,
}

/// Your notification settings: time zone, and how each kind of notification reaches you.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "notifications",
    responses((status = 200, description = "Your settings", body = NotificationSettingsOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_settings(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<axum::Json<NotificationSettingsOutput>, ApiError> {
    let user = ops::require_person(&actor)?;
    let settings = state.store.notification_settings(user).await?;
    Ok(axum::Json(settings_output(&state, settings)))
}

/// Set your time zone and how each kind of notification reaches you.
#[utoipa::path(put, path = "/api/v1/me/notifications", tag = "notifications", request_body = NotificationSettingsInput,
    responses((status = 200, description = "Your settings, saved", body = NotificationSettingsOutput), WriteProblems),
    security(("bearer" = [])))]
async fn put_settings(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<NotificationSettingsInput>,
) -> Result<axum::Json<NotificationSettingsOutput>, ApiError> {
    let user = ops::require_person(&actor)?;
    let input = body.read()?;
    let choices = input
        .kinds
        .into_iter()
        .map(|k| ChannelsInput {
            kind: k.kind,
            email: k.email,
            webhook: k.webhook,
        })
        .collect();
    let settings = ops::save_settings(&state.store, user, &input.time_zone, choices).await?;
    Ok(axum::Json(settings_output(&state, settings)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOutput {
    id: i64,
    name: String,
    url: String,
    enabled: bool,
    /// It may post to loopback, private and link-local addresses.
    allow_private: bool,
    /// The notification kinds it carries.
    kinds: Vec<String>,
    /// When a post was last attempted.
    last_attempt_at: Option<DateTime<Utc>>,
    /// Why that attempt failed; null when it was answered with 2xx.
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<WebhookTarget> for WebhookOutput {
    fn from(t: WebhookTarget) -> Self {
        WebhookOutput {
            id: t.id.0,
            name: t.fields.name.to_string(),
            url: t.fields.url.to_string(),
            enabled: t.fields.enabled,
            allow_private: t.fields.allow_private,
            kinds: t.fields.kinds.iter().map(ToString::to_string).collect(),
            last_attempt_at: t.last_attempt_at,
            last_error: t.last_error,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookOutput {
    #[serde(flatten)]
    webhook: WebhookOutput,
    /// Signs every post (see X-Lodestar-Signature). Shown only in this answer.
    secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    name: String,
    /// Where posts go: an https:// (or http://) URL, e.g. a Slack incoming webhook.
    url: String,
    /// Default true.
    enabled: Option<bool>,
    /// Let it post to loopback, private and link-local addresses (a receiver inside your
    /// network). Default false.
    allow_private: Option<bool>,
    /// The notification kinds it carries: promise_due, customer_promise_overdue,
    /// meeting_reminder, account_turned_red, daily_digest.
    kinds: Vec<String>,
}

impl WebhookInput {
    fn fields(self) -> Result<lodestar_domain::Valid<lodestar_domain::notify::WebhookFields>, ApiError> {
        ops::webhook_fields(
            &self.name,
            &self.url,
            self.enabled.unwrap_or(true),
            self.allow_private.unwrap_or(false),
            &self.kinds,
        )
    }
}

/// The webhook targets, by name (admins).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "notifications",
    responses((status = 200, description = "Every target", body = Vec<WebhookOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_webhooks(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<axum::Json<Vec<WebhookOutput>>, ApiError> {
    ops::require_webhook_admin(&actor)?;
    let targets = state.store.webhook_targets().await?;
    Ok(axum::Json(targets.into_iter().map(Into::into).collect()))
}

/// Add a webhook target (admins). Its signing secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "notifications", request_body = WebhookInput,
    responses((status = 201, description = "Created, with its secret", body = CreatedWebhookOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_webhook(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<WebhookInput>,
) -> Result<(StatusCode, axum::Json<CreatedWebhookOutput>), ApiError> {
    ops::require_webhook_admin(&actor)?;
    let fields = body.read()?.fields()?;
    let (target, secret) = ops::create_webhook(&state, &origin, fields).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedWebhookOutput {
            webhook: target.into(),
            secret,
        }),
    ))
}

/// One webhook target (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, description = "The target", body = WebhookOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_webhook(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<axum::Json<WebhookOutput>, ApiError> {
    ops::require_webhook_admin(&actor)?;
    let id = WebhookId(path_id(id)?);
    Ok(axum::Json(state.store.webhook_target(id).await?.into()))
}

/// Replace a webhook target's fields (admins); its secret stays.
#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "notifications", params(("id" = i64, Path)),
    request_body = WebhookInput,
    responses((status = 200, description = "The target", body = WebhookOutput), WriteProblems),
    security(("bearer" = [])))]
async fn replace_webhook(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
    body: Json<WebhookInput>,
) -> Result<axum::Json<WebhookOutput>, ApiError> {
    ops::require_webhook_admin(&actor)?;
    let id = WebhookId(path_id(id)?);
    let fields = body.read()?.fields()?;
    Ok(axum::Json(
        ops::update_webhook(&state, &origin, id, fields).await?.into(),
    ))
}

/// Delete a webhook target (admins); posts still queued for it are dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), DeleteProblems),
    security(("bearer" = [])))]
async fn delete_webhook(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    ops::require_webhook_admin(&actor)?;
    ops::delete_webhook(&state, &origin, WebhookId(path_id(id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedTest {
    /// The job that posts it (see /api/v1/jobs).
    job_id: i64,
}

/// Queue a test message to a webhook target (admins; 409 when it is turned off).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 202, description = "Queued", body = QueuedTest), WriteProblems),
    security(("bearer" = [])))]
async fn test_webhook(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<(StatusCode, axum::Json<QueuedTest>), ApiError> {
    ops::require_webhook_admin(&actor)?;
    let job = ops::test_webhook(&state.store, WebhookId(path_id(id)?)).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(QueuedTest { job_id: job.0 })))
}
