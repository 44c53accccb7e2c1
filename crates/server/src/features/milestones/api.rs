//! Milestones (F-13) on the API: their definitions (admins) and an account's progress.

use axum::extract::State;
use axum::http::StatusCode;
use lodestar_domain::MilestoneId;
use lodestar_domain::milestone::{MilestoneStatus, Threshold};
use lodestar_store::Milestone;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{MilestoneInput, milestone_fields};
use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, DeleteProblems, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account_milestones))
        .routes(routes!(list_milestones, create_milestone))
        .routes(routes!(delete_milestone))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneOutput {
    id: i64,
    name: String,
    feature: String,
    threshold_kind: String,
    threshold: u32,
    within_days: u32,
    first_value: bool,
}

impl From<Milestone> for MilestoneOutput {
    fn from(m: Milestone) -> Self {
        let (kind, threshold) = match m.fields.threshold {
            Threshold::Times(n) => ("times", n),
            Threshold::People(n) => ("people", n),
        };
        MilestoneOutput {
            id: m.id.0,
            name: m.fields.name.to_string(),
            feature: m.fields.feature,
            threshold_kind: kind.into(),
            threshold,
            within_days: m.fields.within_days,
            first_value: m.fields.first_value,
        }
    }
}

/// The milestones (key behaviours) every account is measured on.
#[utoipa::path(get, path = "/api/v1/milestones", tag = "usage",
    responses(
        (status = 200, description = "Every milestone", body = [MilestoneOutput]),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn list_milestones(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<Vec<MilestoneOutput>>, ApiError> {
    Ok(axum::Json(
        state.store.milestones().await?.into_iter().map(Into::into).collect(),
    ))
}

/// Define a milestone (admins). Accounts whose events already show it get it at once.
#[utoipa::path(post, path = "/api/v1/milestones", tag = "usage", request_body = MilestoneInput,
    responses(
        (status = 201, description = "Created", body = MilestoneOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn create_milestone(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<MilestoneInput>,
) -> Result<(StatusCode, axum::Json<MilestoneOutput>), ApiError> {
    super::ops::require_admin(&actor)?;
    let input = body.read()?;
    let fields = milestone_fields(input)?;
    let created = state.store.create_milestone(fields).await?;
    Ok((StatusCode::CREATED, axum::Json(created.into())))
}

/// Remove a milestone (admins); what it did to accounts stays on their timelines.
#[utoipa::path(delete, path = "/api/v1/milestones/{id}", tag = "usage", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        DeleteProblems,
    ),
    security(("bearer" = [])))]
async fn delete_milestone(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    let id = path_id(id)?;
    super::ops::require_admin(&actor)?;
    state.store.delete_milestone(MilestoneId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountMilestoneOutput {
    milestone: MilestoneOutput,
    /// achieved (with `on`), pending or missed (with progress, target and due), or
    /// no_launch_date.
    #[schema(value_type = Object)]
    status: MilestoneStatus,
}

/// Where an account stands on every milestone.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/milestones", tag = "usage", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Each milestone with the account's status", body = [AccountMilestoneOutput]),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn account_milestones(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<AccountMilestoneOutput>>, ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    let statuses = state.store.account_milestones(id, state.store.today()).await?;
    Ok(axum::Json(
        statuses
            .into_iter()
            .map(|(m, status)| AccountMilestoneOutput {
                milestone: m.into(),
                status,
            })
            .collect(),
    ))
}
