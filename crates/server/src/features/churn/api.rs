//! Churn (F-25) on the API: marking an account churned, its retrospective, the list of churns.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_store::Retrospective;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{churn_fields, retrospective_notes};
use crate::AppState;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::IdPath;
use crate::http::params::page_limit;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(mark_churned))
        .routes(routes!(get_retrospective, save_retrospective))
        .routes(routes!(list_retrospectives))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChurnInput {
    /// The day the customer was lost (not in the future).
    churned_on: NaiveDate,
    /// budget, no_value, champion_left, competitor, product_gap, service, business_change or
    /// other.
    #[schema(example = "budget")]
    reason: String,
    /// In the team's words.
    #[serde(default)]
    #[schema(example = "New CFO consolidated tools after the merger")]
    detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetrospectiveOutput {
    account_id: i64,
    account_name: String,
    owner: Option<String>,
    churned_on: NaiveDate,
    reason: String,
    detail: String,
    /// The ARR its contracts carried when they churned.
    arr_lost: String,
    recorded_by: Option<String>,
    recorded_at: DateTime<Utc>,
    /// Whether an LxL started on or before the churn had it on its agenda as a risk.
    flagged_in_lxl: bool,
    /// What could have been done to prevent it.
    prevention: String,
    exit_interview: String,
    learnings: String,
    /// The playbook the learnings should change.
    playbook: String,
    updated_at: Option<DateTime<Utc>>,
}

impl From<Retrospective> for RetrospectiveOutput {
    fn from(r: Retrospective) -> Self {
        RetrospectiveOutput {
            account_id: r.account_id.0,
            account_name: r.account_name,
            owner: r.owner,
            churned_on: r.churned_on,
            reason: r.reason.as_str().to_owned(),
            detail: r.detail.to_string(),
            arr_lost: r.arr_lost.to_string(),
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
            flagged_in_lxl: r.flagged,
            prevention: r.notes.prevention.to_string(),
            exit_interview: r.notes.exit_interview.to_string(),
            learnings: r.notes.learnings.to_string(),
            playbook: r.notes.playbook.to_string(),
            updated_at: r.updated_at,
        }
    }
}

/// Mark an account churned (its CSM, leaders and admins): its contracts with ARR churn to
/// zero on that day, its stage becomes Churned, and its retrospective opens.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/churn", tag = "reviews", params(("id" = i64, Path)),
    request_body = ChurnInput,
    responses((status = 201, description = "Churned; the retrospective", body = RetrospectiveOutput), WriteProblems),
    security(("bearer" = [])))]
async fn mark_churned(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
    body: Json<ChurnInput>,
) -> Result<(StatusCode, axum::Json<RetrospectiveOutput>), ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let input = body.read()?;
    let fields = churn_fields(
        Some(input.churned_on),
        &input.reason,
        &input.detail,
        state.store.today(),
    )?;
    let retro = super::ops::mark_churned(&state, &origin, &actor, id, fields).await?;
    Ok((StatusCode::CREATED, axum::Json(retro.into())))
}

/// An account's churn retrospective.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/retrospective", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, description = "The retrospective", body = RetrospectiveOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_retrospective(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<RetrospectiveOutput>, ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    let retro = state
        .store
        .retrospective(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("account {id} has not churned")))?;
    Ok(axum::Json(retro.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrospectiveInput {
    /// What could have been done to prevent it.
    #[serde(default)]
    prevention: String,
    #[serde(default)]
    exit_interview: String,
    #[serde(default)]
    learnings: String,
    /// The playbook the learnings should change.
    #[serde(default)]
    playbook: String,
}

/// Save what the team learned (the account's CSM, leaders and admins).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/retrospective", tag = "reviews", params(("id" = i64, Path)),
    request_body = RetrospectiveInput,
    responses((status = 200, description = "Saved", body = RetrospectiveOutput), WriteProblems),
    security(("bearer" = [])))]
async fn save_retrospective(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<RetrospectiveInput>,
) -> Result<axum::Json<RetrospectiveOutput>, ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let input = body.read()?;
    let notes = retrospective_notes(
        &input.prevention,
        &input.exit_interview,
        &input.learnings,
        &input.playbook,
    )?;
    Ok(axum::Json(state.store.save_retrospective(id, notes).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RetrospectiveQuery {
    /// Only churns no LxL surfaced as a risk before they happened.
    pub never_flagged: Option<bool>,
    #[param(minimum = 0)]
    pub offset: Option<u32>,
    /// Page size, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetrospectivePage {
    items: Vec<RetrospectiveOutput>,
    total: i64,
}

/// Churns and their retrospectives, the latest first.
#[utoipa::path(get, path = "/api/v1/retrospectives", tag = "reviews", params(RetrospectiveQuery),
    responses((status = 200, description = "A page of churns", body = RetrospectivePage), ReadProblems),
    security(("bearer" = [])))]
async fn list_retrospectives(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<RetrospectiveQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<RetrospectivePage>, ApiError> {
    let Query(q) = query?;
    let (items, total) = state
        .store
        .retrospectives(
            q.never_flagged.unwrap_or(false),
            q.offset.unwrap_or(0),
            page_limit(q.limit, 50)?,
        )
        .await?;
    Ok(axum::Json(RetrospectivePage {
        items: items.into_iter().map(Into::into).collect(),
        total,
    }))
}
