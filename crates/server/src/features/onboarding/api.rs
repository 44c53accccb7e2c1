//! Onboarding on the API: an account's plans, a plan started with its tasks, tasks added and
//! ticked off, the plan shared with a customer contact, and the onboarding times per segment.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::onboarding::OnboardingId;
use lodestar_store::{Onboarding, OnboardingTimes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, onboarding_fields, task_fields};
use crate::AppState;
use crate::features::accounts::ops::{existing_in_path, writable};
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, bad, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_onboarding, start_onboarding))
        .routes(routes!(get_onboarding))
        .routes(routes!(add_task))
        .routes(routes!(tick_task))
        .routes(routes!(share_onboarding))
        .routes(routes!(onboarding_times))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnboardingTaskOutput {
    id: i64,
    title: String,
    /// ours or customer.
    #[schema(example = "customer")]
    side: &'static str,
    owner: String,
    due_on: NaiveDate,
    done_at: Option<DateTime<Utc>>,
    /// Who ticked it off: a user, or the contact through their link.
    done_by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnboardingOutput {
    id: i64,
    account_id: i64,
    account_name: String,
    signed_on: NaiveDate,
    /// Four business days after signature.
    kickoff_due_on: NaiveDate,
    /// The executive sponsor's touchpoint, halfway to the target.
    midway_on: NaiveDate,
    target_on: NaiveDate,
    risks: String,
    tasks: Vec<OnboardingTaskOutput>,
    /// The customer's answer: is the technical implementation complete? Null until they answer.
    technical_done: Option<bool>,
    /// And the process integration?
    process_done: Option<bool>,
    answered_by: Option<String>,
    answered_at: Option<DateTime<Utc>>,
    /// Set only when the customer said both are complete.
    completed_on: Option<NaiveDate>,
    days_to_first_value: Option<i64>,
    days_to_complete: Option<i64>,
    created_at: DateTime<Utc>,
}

impl From<Onboarding> for OnboardingOutput {
    fn from(o: Onboarding) -> Self {
        OnboardingOutput {
            days_to_first_value: o.days_to_first_value(),
            days_to_complete: o.days_to_complete(),
            id: o.id.0,
            account_id: o.account_id.0,
            account_name: o.account_name,
            signed_on: o.fields.signed_on,
            kickoff_due_on: o.kickoff_due_on,
            midway_on: o.midway_on,
            target_on: o.fields.target_on,
            risks: o.fields.risks.to_string(),
            tasks: o
                .tasks
                .into_iter()
                .map(|t| OnboardingTaskOutput {
                    id: t.id,
                    title: t.fields.title.to_string(),
                    side: t.fields.side.as_str(),
                    owner: t.fields.owner.to_string(),
                    due_on: t.fields.due_on,
                    done_at: t.done_at,
                    done_by: t.done_by,
                })
                .collect(),
            technical_done: o.verdict.map(|v| v.technical),
            process_done: o.verdict.map(|v| v.process),
            answered_by: o.answered_by,
            answered_at: o.answered_at,
            completed_on: o.completed_on,
            created_at: o.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingTaskBody {
    #[schema(example = "Connect single sign-on")]
    title: String,
    /// ours or customer.
    #[schema(example = "customer")]
    side: String,
    #[schema(example = "Priya (their IT lead)")]
    owner: String,
    due_on: Option<NaiveDate>,
}

impl OnboardingTaskBody {
    fn fields(&self) -> Result<lodestar_domain::onboarding::TaskFields, ApiError> {
        task_fields(&self.title, &self.side, &self.owner, self.due_on)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingBody {
    /// The day the customer signed.
    signed_on: Option<NaiveDate>,
    /// When onboarding should be complete.
    target_on: Option<NaiveDate>,
    /// What could get in the way (the customer sees it).
    #[serde(default)]
    risks: String,
    /// Tasks beyond the kickoff and the sponsor's touchpoint, which every plan starts with.
    #[serde(default)]
    tasks: Vec<OnboardingTaskBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingTickBody {
    /// true: done; false: open again.
    done: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingShareBody {
    /// The customer contact who works the plan with us (one of the account's).
    contact_id: Option<i64>,
    /// How long the link lives: 1 to 180 days, 30 by default.
    expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnboardingSharedOutput {
    /// The address to give the contact. It holds the link's secret and is shown only here.
    url: String,
    link_id: i64,
    contact_name: String,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnboardingTimesOutput {
    /// The tier, or "no tier".
    segment: String,
    projects: usize,
    completed: usize,
    median_days_to_first_value: Option<i64>,
    median_days_to_complete: Option<i64>,
}

impl From<OnboardingTimes> for OnboardingTimesOutput {
    fn from(t: OnboardingTimes) -> Self {
        OnboardingTimesOutput {
            segment: t.segment,
            projects: t.projects,
            completed: t.completed,
            median_days_to_first_value: t.median_days_to_first_value,
            median_days_to_complete: t.median_days_to_complete,
        }
    }
}

fn onboarding_of(id: IdPath) -> Result<OnboardingId, ApiError> {
    Ok(OnboardingId(path_id(id)?))
}

/// An account's onboarding plans, the latest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/onboarding", tag = "onboarding", params(("id" = i64, Path)),
    responses((status = 200, description = "The plans", body = Vec<OnboardingOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_onboarding(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<OnboardingOutput>>, ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    let found = state.store.onboardings_of_account(id).await?;
    Ok(axum::Json(found.into_iter().map(Into::into).collect()))
}

/// Start an account's onboarding (its CSM, leaders and admins): the kickoff (due four business
/// days after signature) and the sponsor's midway touchpoint come first, then the tasks given.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/onboarding", tag = "onboarding", params(("id" = i64, Path)),
    request_body = OnboardingBody,
    responses((status = 201, description = "Started", body = OnboardingOutput), WriteProblems),
    security(("bearer" = [])))]
async fn start_onboarding(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<OnboardingBody>,
) -> Result<(StatusCode, axum::Json<OnboardingOutput>), ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    writable(&state.store, &actor, id).await?;
    let input = body.read()?;
    let fields = onboarding_fields(input.signed_on, input.target_on, &input.risks)?;
    let tasks = input
        .tasks
        .iter()
        .map(OnboardingTaskBody::fields)
        .collect::<Result<Vec<_>, _>>()?;
    let started = ops::start(&state.store, &actor, id, fields, tasks).await?;
    Ok((StatusCode::CREATED, axum::Json(started.into())))
}

#[utoipa::path(get, path = "/api/v1/onboarding/{id}", tag = "onboarding", params(("id" = i64, Path)),
    responses((status = 200, description = "The plan", body = OnboardingOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_onboarding(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<OnboardingOutput>, ApiError> {
    Ok(axum::Json(state.store.onboarding(onboarding_of(id)?).await?.into()))
}

/// Add a task, ours or the customer's (409 once the customer called onboarding complete).
#[utoipa::path(post, path = "/api/v1/onboarding/{id}/tasks", tag = "onboarding", params(("id" = i64, Path)),
    request_body = OnboardingTaskBody,
    responses((status = 201, description = "Added", body = OnboardingOutput), WriteProblems),
    security(("bearer" = [])))]
async fn add_task(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<OnboardingTaskBody>,
) -> Result<(StatusCode, axum::Json<OnboardingOutput>), ApiError> {
    let id = onboarding_of(id)?;
    ops::changeable(&state.store, &actor, id).await?;
    let task = body.read()?.fields()?;
    let changed = ops::add_task(&state.store, &actor, id, task).await?;
    Ok((StatusCode::CREATED, axum::Json(changed.into())))
}

/// Tick a task off, or open it again (409 once the customer called onboarding complete).
#[utoipa::path(post, path = "/api/v1/onboarding/{id}/tasks/{task_id}/done", tag = "onboarding",
    params(("id" = i64, Path), ("task_id" = i64, Path)),
    request_body = OnboardingTickBody,
    responses((status = 200, description = "Ticked", body = OnboardingOutput), WriteProblems),
    security(("bearer" = [])))]
async fn tick_task(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    path: Result<Path<(i64, i64)>, axum::extract::rejection::PathRejection>,
    body: Json<OnboardingTickBody>,
) -> Result<axum::Json<OnboardingOutput>, ApiError> {
    let Path((id, task)) = path.map_err(|e| bad("id", e.body_text()))?;
    let id = OnboardingId(id);
    ops::changeable(&state.store, &actor, id).await?;
    let done = body.read()?.done;
    let who = origin.actor.label.clone();
    Ok(axum::Json(
        ops::tick(&state.store, &actor, &who, id, task, done).await?.into(),
    ))
}

/// Share the plan with one of the account's contacts: a new customer link where they tick off
/// their tasks and say whether onboarding is complete (its address is in this answer only).
#[utoipa::path(post, path = "/api/v1/onboarding/{id}/share", tag = "onboarding", params(("id" = i64, Path)),
    request_body = OnboardingShareBody,
    responses((status = 201, description = "Shared", body = OnboardingSharedOutput), WriteProblems),
    security(("bearer" = [])))]
async fn share_onboarding(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    headers: HeaderMap,
    id: IdPath,
    body: Json<OnboardingShareBody>,
) -> Result<(StatusCode, axum::Json<OnboardingSharedOutput>), ApiError> {
    let id = onboarding_of(id)?;
    ops::changeable(&state.store, &actor, id).await?;
    let b = body.read()?;
    let (link, url) = ops::share(&state, &actor, &origin, &headers, id, b.contact_id, b.expires_in_days).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(OnboardingSharedOutput {
            url,
            link_id: link.id.0,
            contact_name: link.contact_name,
            expires_at: link.expires_at,
        }),
    ))
}

/// Time to first value and to onboarding completion (days from signature, medians) per
/// segment.
#[utoipa::path(get, path = "/api/v1/onboarding-times", tag = "onboarding",
    responses((status = 200, description = "Per segment", body = Vec<OnboardingTimesOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn onboarding_times(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<Vec<OnboardingTimesOutput>>, ApiError> {
    let times = state.store.onboarding_times().await?;
    Ok(axum::Json(times.into_iter().map(Into::into).collect()))
}
