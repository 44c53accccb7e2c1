//! The admin page of milestones: the definitions, a form for a new one, and the events still
//! waiting for an account.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::MilestoneId;
use lodestar_domain::milestone::Threshold;
use lodestar_domain::user::User;
use serde::Deserialize;

use crate::AppState;
use crate::features::milestones::ops::{MilestoneInput, milestone_fields};
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, render};

struct DefinedMilestone {
    id: i64,
    name: String,
    rule: String,
    first_value: bool,
}

struct WaitingEvent {
    at: String,
    kind: String,
    user: String,
    group: String,
}

#[derive(askama::Template)]
#[template(path = "milestones/admin_milestones.html")]
struct AdminUsagePage {
    me: User,
    milestones: Vec<DefinedMilestone>,
    error: Option<String>,
    unmatched_total: i64,
    unmatched: Vec<WaitingEvent>,
}

async fn admin_page(state: &AppState, me: User, error: Option<String>) -> Result<Html, ApiError> {
    let milestones = state
        .store
        .milestones()
        .await?
        .into_iter()
        .map(|m| DefinedMilestone {
            id: m.id.0,
            rule: rule(m.fields.threshold, &m.fields.feature, m.fields.within_days),
            name: m.fields.name.to_string(),
            first_value: m.fields.first_value,
        })
        .collect();
    let unmatched_total = state.store.usage_counts().await?.unmatched;
    let unmatched = state
        .store
        .unmatched_events(50)
        .await?
        .into_iter()
        .map(|e| WaitingEvent {
            at: e.occurred_at.format("%Y-%m-%d %H:%M").to_string(),
            kind: e.feature.unwrap_or(e.kind),
            user: e.user_key,
            group: e.group_id.unwrap_or_else(|| "—".into()),
        })
        .collect();
    render(&AdminUsagePage {
        me,
        milestones,
        error,
        unmatched_total,
        unmatched,
    })
}

pub(crate) async fn admin(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
) -> Result<Response, ApiError> {
    super::ops::require_admin(&actor)?;
    Ok(admin_page(&state, me, None).await?.into_response())
}

#[derive(Deserialize)]
pub(crate) struct MilestoneForm {
    name: String,
    feature: String,
    threshold_kind: String,
    threshold: String,
    within_days: String,
    first_value: Option<String>,
}

pub(crate) async fn create_milestone(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Form(form): Form<MilestoneForm>,
) -> Result<Response, ApiError> {
    super::ops::require_admin(&actor)?;
    let number = |field: &str, text: &str| {
        text.trim()
            .parse::<u32>()
            .map_err(|_| format!("{field}: {text:?} is not a whole number"))
    };
    let input = number("At least", &form.threshold).and_then(|threshold| {
        number("Within days", &form.within_days).map(|within_days| MilestoneInput {
            name: form.name,
            feature: form.feature,
            threshold_kind: form.threshold_kind,
            threshold,
            within_days,
            first_value: form.first_value.is_some(),
        })
    });
    let result = match input {
        Ok(input) => match milestone_fields(input) {
            Ok(fields) => state.store.create_milestone(fields).await.map_err(ApiError::from),
            Err(e) => Err(e),
        },
        Err(message) => Err(ApiError::BadRequest {
            field: None,
            reason: message,
        }),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/usage").into_response()),
        Err(e @ (ApiError::Invalid(_) | ApiError::BadRequest { .. } | ApiError::Conflict(_))) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            admin_page(&state, me, Some(e.message())).await?,
        )
            .into_response()),
        Err(other) => Err(other),
    }
}

pub(crate) async fn delete_milestone(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    super::ops::require_admin(&actor)?;
    state.store.delete_milestone(MilestoneId(id)).await?;
    Ok(Redirect::to("/admin/usage").into_response())
}

pub(crate) fn rule(threshold: Threshold, feature: &str, within_days: u32) -> String {
    match threshold {
        Threshold::Times(n) => format!("{feature} ×{n} within {within_days} days of launch"),
        Threshold::People(n) => format!("{feature} by {n} people within {within_days} days of launch"),
    }
}
