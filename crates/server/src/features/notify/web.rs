//! The pages: `/me/notifications` (a person's time zone and choices) and `/admin/webhooks`
//! (the targets, whether email is on, a test button).

use std::collections::HashSet;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use lodestar_domain::WebhookId;
use lodestar_domain::notify::TimeZone;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::NotificationKind;
use lodestar_store::{FeedOwner, NotificationSettings, WebhookTarget};
use serde::Deserialize;

use super::ops::{self, ChannelsInput};
use crate::AppState;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, back_after_form, render, user_problem};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/me/notifications", get(settings_page).post(save_settings))
        .route("/admin/webhooks", get(webhooks_page).post(create_webhook))
        .route("/admin/webhooks/{id}", post(update_webhook))
        .route("/admin/webhooks/{id}/delete", post(delete_webhook))
        .route("/admin/webhooks/{id}/test", post(test_webhook))
}

struct KindRow {
    kind: &'static str,
    label: &'static str,
    email: bool,
    webhook: bool,
}

#[derive(askama::Template)]
#[template(path = "notify/notifications.html")]
struct SettingsPage {
    me: User,
    time_zone: String,
    zones: Vec<&'static str>,
    kinds: Vec<KindRow>,
    email_available: bool,
    saved: bool,
    error: Option<String>,
    /// The person's private calendar feed, shown here with their other settings.
    feed_url: Option<String>,
}

async fn settings_view(
    state: &AppState,
    headers: &HeaderMap,
    me: User,
    settings: &NotificationSettings,
    saved: bool,
    error: Option<String>,
) -> Result<Html, ApiError> {
    let feed = state.store.calendar_feed(FeedOwner::User(me.id)).await?;
    render(&SettingsPage {
        feed_url: feed.map(|f| crate::features::calendar::feed_url(state, headers, &f)),
        me,
        time_zone: settings.time_zone.to_string(),
        zones: TimeZone::names().collect(),
        kinds: settings
            .channels
            .iter()
            .map(|(kind, channels)| KindRow {
                kind: kind.as_str(),
                label: kind.label(),
                email: channels.email,
                webhook: channels.webhook,
            })
            .collect(),
        email_available: state.config.mail.is_some(),
        saved,
        error,
    })
}

async fn settings_page(
    State(state): State<AppState>,
    SignedIn { user: me, .. }: SignedIn,
    headers: HeaderMap,
) -> Result<Html, ApiError> {
    let settings = state.store.notification_settings(me.id).await?;
    settings_view(&state, &headers, me, &settings, false, None).await
}

/// The settings form: `time_zone`, and `email`/`webhook` once per kind ticked (a checkbox not
/// ticked is not sent, so every kind is set: ticked or not).
async fn save_settings(
    State(state): State<AppState>,
    SignedIn { user: me, .. }: SignedIn,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let ticked = |channel: &str| -> HashSet<&str> {
        form.iter()
            .filter(|(name, _)| name == channel)
            .map(|(_, kind)| kind.as_str())
            .collect()
    };
    let (email, webhook) = (ticked("email"), ticked("webhook"));
    let choices = NotificationKind::ALL
        .iter()
        .map(|kind| ChannelsInput {
            kind: kind.as_str().to_owned(),
            email: email.contains(kind.as_str()),
            webhook: webhook.contains(kind.as_str()),
        })
        .collect();
    let zone = form
        .iter()
        .find(|(name, _)| name == "time_zone")
        .map_or("", |(_, zone)| zone.as_str());
    match ops::save_settings(&state.store, me.id, zone, choices).await {
        Ok(settings) => Ok(settings_view(&state, &headers, me, &settings, true, None)
            .await?
            .into_response()),
        Err(e) => {
            let error = user_problem(e)?;
            let settings = state.store.notification_settings(me.id).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                settings_view(&state, &headers, me, &settings, false, Some(error)).await?,
            )
                .into_response())
        }
    }
}

struct KindChoice {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

fn kind_choices(target: Option<&WebhookTarget>) -> Vec<KindChoice> {
    NotificationKind::ALL
        .iter()
        .map(|kind| KindChoice {
            value: kind.as_str(),
            label: kind.label(),
            checked: target.is_some_and(|t| t.fields.kinds.contains(kind)),
        })
        .collect()
}

struct TargetRow {
    id: i64,
    name: String,
    url: String,
    enabled: bool,
    allow_private: bool,
    kinds: Vec<KindChoice>,
    carries: String,
    last_attempt: String,
    last_error: Option<String>,
}

impl From<&WebhookTarget> for TargetRow {
    fn from(t: &WebhookTarget) -> Self {
        let carries: Vec<&str> = t.fields.kinds.iter().map(|k| k.label()).collect();
        TargetRow {
            id: t.id.0,
            name: t.fields.name.to_string(),
            url: t.fields.url.to_string(),
            enabled: t.fields.enabled,
            allow_private: t.fields.allow_private,
            kinds: kind_choices(Some(t)),
            carries: carries.join(", "),
            last_attempt: t
                .last_attempt_at
                .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
            last_error: t.last_error.clone(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "notify/webhooks.html")]
struct WebhooksPage {
    me: User,
    targets: Vec<TargetRow>,
    new_kinds: Vec<KindChoice>,
    /// How email goes out, or none when it does not.
    email: Option<String>,
    /// A target just created: its name and its secret, shown this once.
    created: Option<(String, String)>,
    /// The target a test message was just queued for.
    tested: Option<String>,
    error: Option<String>,
}

async fn webhooks_view(
    state: &AppState,
    me: User,
    created: Option<(String, String)>,
    tested: Option<WebhookId>,
    error: Option<String>,
) -> Result<Html, ApiError> {
    let targets = state.store.webhook_targets().await?;
    let tested = tested.and_then(|id| targets.iter().find(|t| t.id == id).map(|t| t.fields.name.to_string()));
    render(&WebhooksPage {
        me,
        targets: targets.iter().map(TargetRow::from).collect(),
        new_kinds: kind_choices(None),
        email: state
            .config
            .mail
            .as_ref()
            .map(|m| format!("through {} from {}", m.shown_as, m.from)),
        created,
        tested,
        error,
    })
}

#[derive(Deserialize)]
struct WebhooksParams {
    tested: Option<i64>,
}

async fn webhooks_page(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
    Query(params): Query<WebhooksParams>,
) -> Result<Html, ApiError> {
    ops::require_webhook_admin(&actor)?;
    webhooks_view(&state, me, None, params.tested.map(WebhookId), flash.for_slot("error")).await
}

/// A target's form: `name`, `url`, `kinds` once per kind ticked, `enabled` and `allow_private`
/// when ticked.
fn target_fields(
    form: &[(String, String)],
) -> Result<lodestar_domain::Valid<lodestar_domain::notify::WebhookFields>, ApiError> {
    let value = |field: &str| {
        form.iter()
            .find(|(name, _)| name == field)
            .map_or("", |(_, v)| v.as_str())
    };
    let kinds: Vec<String> = form
        .iter()
        .filter(|(name, _)| name == "kinds")
        .map(|(_, kind)| kind.clone())
        .collect();
    ops::webhook_fields(
        value("name"),
        value("url"),
        !value("enabled").is_empty(),
        !value("allow_private").is_empty(),
        &kinds,
    )
}

async fn create_webhook(
    State(state): State<AppState>,
    SignedIn {
        user: me,
        actor,
        origin,
        ..
    }: SignedIn,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    ops::require_webhook_admin(&actor)?;
    let created = match target_fields(&form) {
        Ok(fields) => ops::create_webhook(&state, &origin, fields).await,
        Err(e) => Err(e),
    };
    match created {
        // Shown once, on this response only (which, like every page, is never cached).
        Ok((target, secret)) => {
            Ok(
                webhooks_view(&state, me, Some((target.fields.name.to_string(), secret)), None, None)
                    .await?
                    .into_response(),
            )
        }
        Err(e) => {
            let error = user_problem(e)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                webhooks_view(&state, me, None, None, Some(error)).await?,
            )
                .into_response())
        }
    }
}

async fn update_webhook(
    State(state): State<AppState>,
    SignedIn { actor, origin, .. }: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    ops::require_webhook_admin(&actor)?;
    let result = match target_fields(&form) {
        Ok(fields) => ops::update_webhook(&state, &origin, WebhookId(id), fields)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    back_after_form("/admin/webhooks", "error", &format!("webhook-{id}"), result)
}

async fn delete_webhook(
    State(state): State<AppState>,
    SignedIn { actor, origin, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    ops::require_webhook_admin(&actor)?;
    let result = ops::delete_webhook(&state, &origin, WebhookId(id)).await;
    back_after_form("/admin/webhooks", "error", "webhooks", result)
}

async fn test_webhook(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    ops::require_webhook_admin(&actor)?;
    match ops::test_webhook(&state.store, WebhookId(id)).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/webhooks?tested={id}#webhook-{id}")).into_response()),
        Err(e) => back_after_form("/admin/webhooks", "error", &format!("webhook-{id}"), Err(e)),
    }
}
