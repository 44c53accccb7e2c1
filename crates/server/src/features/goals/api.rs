//! Goals and value on the API: an account's goals, each goal's ecosystem and ratings, value
//! received with its history, and the portfolio's goals at risk.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::{GoalId, GoalPartId, UserId};
use lodestar_store::{Goal, GoalPart, ValueEntry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, GoalInput, goal_fields, new_part, rating, value_received};
use crate::AppState;
use crate::features::accounts::ops::{existing_in_path, writable};
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, bad, path_id, whole_number};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_goals, create_goal))
        .routes(routes!(goals_at_risk))
        .routes(routes!(get_goal, update_goal))
        .routes(routes!(add_part))
        .routes(routes!(remove_part))
        .routes(routes!(rate_part))
        .routes(routes!(record_value))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartOutput {
    id: i64,
    /// our_product, other_product, service or customer_process.
    #[schema(example = "our_product")]
    kind: &'static str,
    name: String,
    metric: String,
    /// below, meeting or exceeding; null until rated.
    #[schema(example = "below")]
    rating: Option<&'static str>,
    rated_at: Option<DateTime<Utc>>,
    rated_by: Option<String>,
}

impl From<GoalPart> for PartOutput {
    fn from(p: GoalPart) -> Self {
        PartOutput {
            id: p.id.0,
            kind: p.fields.kind.as_str(),
            name: p.fields.name.to_string(),
            metric: p.fields.metric.to_string(),
            rating: p.rating.map(|r| r.as_str()),
            rated_at: p.rated_at,
            rated_by: p.rated_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValueOutput {
    /// none, partial or full.
    #[schema(example = "partial")]
    level: &'static str,
    /// Partial value: the share received (1–99).
    percent: Option<u8>,
    /// Partial value: how much, in words.
    how_much: Option<String>,
    #[schema(example = "Partial (60%, 150 of 200 demo requests)")]
    summary: String,
    note: String,
    recorded_at: DateTime<Utc>,
    recorded_by: Option<String>,
}

impl From<ValueEntry> for ValueOutput {
    fn from(v: ValueEntry) -> Self {
        ValueOutput {
            level: v.value.level().as_str(),
            percent: v.value.percent(),
            how_much: v.value.how_much().map(ToString::to_string),
            summary: v.value.describe(),
            note: v.note.to_string(),
            recorded_at: v.recorded_at,
            recorded_by: v.recorded_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GoalOutput {
    id: i64,
    account_id: i64,
    account_name: String,
    /// The account's CSM.
    owner_id: Option<i64>,
    owner_name: Option<String>,
    #[schema(example = "200 demo requests a month")]
    title: String,
    #[schema(example = "Demo requests per month")]
    metric: String,
    baseline: Option<String>,
    target: String,
    due_on: NaiveDate,
    /// How much the problem behind the goal hurts: 1 (not important) to 5 (on fire).
    severity: u8,
    /// active, achieved, missed or dropped.
    #[schema(example = "active")]
    status: &'static str,
    /// In progress with a part of its ecosystem below expectations.
    at_risk: bool,
    /// The products, services and processes the goal needs.
    ecosystem: Vec<PartOutput>,
    /// The latest value received.
    value: Option<ValueOutput>,
    /// Every value received, the latest first (one goal's answer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    value_history: Option<Vec<ValueOutput>>,
    created_by: Option<String>,
    updated_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Goal> for GoalOutput {
    fn from(g: Goal) -> Self {
        GoalOutput {
            at_risk: g.at_risk(),
            id: g.id.0,
            account_id: g.account_id.0,
            account_name: g.account_name,
            owner_id: g.account_owner_id.map(|u| u.0),
            owner_name: g.account_owner,
            title: g.fields.title.to_string(),
            metric: g.fields.metric.to_string(),
            baseline: g.fields.baseline.map(|b| b.to_string()),
            target: g.fields.target.to_string(),
            due_on: g.fields.due_on,
            severity: g.fields.severity.get(),
            status: g.fields.status.as_str(),
            ecosystem: g.parts.into_iter().map(Into::into).collect(),
            value: g.value.map(Into::into),
            value_history: None,
            created_by: g.created_by,
            updated_by: g.updated_by,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartInput {
    /// our_product, other_product, service or customer_process.
    #[schema(example = "other_product")]
    kind: String,
    #[schema(example = "Salesforce")]
    name: String,
    /// What this part must deliver for the goal.
    #[schema(example = "Every lead routed within an hour")]
    metric: String,
    /// below, meeting or exceeding; leave out until it can be judged.
    #[serde(default)]
    rating: Option<String>,
}

impl PartInput {
    fn part(&self) -> Result<lodestar_store::NewPart, ApiError> {
        new_part(
            &self.kind,
            &self.name,
            &self.metric,
            self.rating.as_deref().unwrap_or_default(),
        )
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalBody {
    /// The outcome the customer wants.
    #[schema(example = "200 demo requests a month")]
    title: String,
    #[schema(example = "Demo requests per month")]
    metric: String,
    /// Where the metric stands now; leave out when not known yet.
    #[serde(default)]
    baseline: Option<String>,
    #[schema(example = "200")]
    target: String,
    due_on: Option<NaiveDate>,
    /// 1 (not important) to 5 (on fire).
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 1, maximum = 5)]
    severity: Option<u32>,
    /// active (default), achieved, missed or dropped.
    #[serde(default)]
    status: Option<String>,
    /// The ecosystem the goal needs (on creation only; later through its parts' routes).
    #[serde(default)]
    ecosystem: Vec<PartInput>,
}

impl GoalBody {
    fn fields(&self) -> Result<lodestar_domain::Valid<lodestar_domain::goal::GoalFields>, ApiError> {
        goal_fields(GoalInput {
            title: &self.title,
            metric: &self.metric,
            baseline: self.baseline.as_deref().unwrap_or_default(),
            target: &self.target,
            due_on: self.due_on,
            severity: self.severity,
            status: self.status.as_deref().unwrap_or_default(),
        })
    }
}

/// An account's goals: those in progress first, then by due date.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/goals", tag = "goals", params(("id" = i64, Path)),
    responses((status = 200, description = "The goals", body = Vec<GoalOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_goals(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<GoalOutput>>, ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    let goals = state.store.goals_of_account(id).await?;
    Ok(axum::Json(goals.into_iter().map(Into::into).collect()))
}

/// Set a goal on an account (its CSM, leaders and admins), with the ecosystem it needs.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/goals", tag = "goals", params(("id" = i64, Path)),
    request_body = GoalBody,
    responses((status = 201, description = "Set", body = GoalOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_goal(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<GoalBody>,
) -> Result<(StatusCode, axum::Json<GoalOutput>), ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    writable(&state.store, &actor, id).await?;
    let input = body.read()?;
    let fields = input.fields()?;
    let parts = input
        .ecosystem
        .iter()
        .map(PartInput::part)
        .collect::<Result<Vec<_>, _>>()?;
    let goal = ops::create(&state.store, &actor, id, fields, parts).await?;
    Ok((StatusCode::CREATED, axum::Json(goal.into())))
}

/// One goal, with its whole value history.
#[utoipa::path(get, path = "/api/v1/goals/{id}", tag = "goals", params(("id" = i64, Path)),
    responses((status = 200, description = "The goal", body = GoalOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_goal(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<GoalOutput>, ApiError> {
    let id = GoalId(path_id(id)?);
    let goal = state.store.goal(id).await?;
    let history = state.store.value_history(id).await?;
    let mut out = GoalOutput::from(goal);
    out.value_history = Some(history.into_iter().map(Into::into).collect());
    Ok(axum::Json(out))
}

/// Replace a goal's fields (status included); what changed goes on the account's timeline. The
/// ecosystem is changed through its parts' routes.
#[utoipa::path(put, path = "/api/v1/goals/{id}", tag = "goals", params(("id" = i64, Path)),
    request_body = GoalBody,
    responses((status = 200, description = "Changed", body = GoalOutput), WriteProblems),
    security(("bearer" = [])))]
async fn update_goal(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<GoalBody>,
) -> Result<axum::Json<GoalOutput>, ApiError> {
    let id = GoalId(path_id(id)?);
    ops::changeable(&state.store, &actor, id).await?;
    let input = body.read()?;
    if !input.ecosystem.is_empty() {
        return Err(bad(
            "ecosystem",
            "parts are added with POST /api/v1/goals/{id}/parts once the goal exists",
        ));
    }
    Ok(axum::Json(
        ops::update(&state.store, &actor, id, input.fields()?).await?.into(),
    ))
}

/// Add a part to a goal's ecosystem (whoever may change the goal's account).
#[utoipa::path(post, path = "/api/v1/goals/{id}/parts", tag = "goals", params(("id" = i64, Path)),
    request_body = PartInput,
    responses((status = 201, description = "Added", body = PartOutput), WriteProblems),
    security(("bearer" = [])))]
async fn add_part(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<PartInput>,
) -> Result<(StatusCode, axum::Json<PartOutput>), ApiError> {
    let id = GoalId(path_id(id)?);
    ops::changeable(&state.store, &actor, id).await?;
    let part = body.read()?.part()?;
    let added = ops::add_part(&state.store, &actor, id, part).await?;
    Ok((StatusCode::CREATED, axum::Json(added.into())))
}

type PartPath = Result<Path<(i64, i64)>, axum::extract::rejection::PathRejection>;

fn part_path(path: PartPath) -> Result<(GoalId, GoalPartId), ApiError> {
    let Path((goal, part)) = path.map_err(|e| bad("id", e.body_text()))?;
    Ok((GoalId(goal), GoalPartId(part)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    /// below, meeting or exceeding (expectations).
    #[schema(example = "below")]
    rating: String,
}

/// Rate a part of a goal's ecosystem against its metric; a changed rating goes on the
/// account's timeline.
#[utoipa::path(put, path = "/api/v1/goals/{id}/parts/{part_id}/rating", tag = "goals",
    params(("id" = i64, Path), ("part_id" = i64, Path)), request_body = RatingInput,
    responses((status = 200, description = "Rated", body = PartOutput), WriteProblems),
    security(("bearer" = [])))]
async fn rate_part(
    State(state): State<AppState>,
    Caller(actor): Caller,
    path: PartPath,
    body: Json<RatingInput>,
) -> Result<axum::Json<PartOutput>, ApiError> {
    let (goal, part) = part_path(path)?;
    ops::changeable_part(&state.store, &actor, goal, part).await?;
    let rating = rating(&body.read()?.rating)?;
    Ok(axum::Json(
        ops::rate_part(&state.store, &actor, goal, part, rating).await?.into(),
    ))
}

/// Remove a part from a goal's ecosystem (recorded in the audit log).
#[utoipa::path(delete, path = "/api/v1/goals/{id}/parts/{part_id}", tag = "goals",
    params(("id" = i64, Path), ("part_id" = i64, Path)),
    responses((status = 204, description = "Removed"), WriteProblems),
    security(("bearer" = [])))]
async fn remove_part(State(state): State<AppState>, who: Who, path: PartPath) -> Result<StatusCode, ApiError> {
    let (goal, part) = part_path(path)?;
    ops::remove_part(&state, &who.origin, &who.actor, goal, part).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueInput {
    /// none, partial or full.
    #[schema(example = "partial")]
    level: String,
    /// Partial value: the share received, 1–99.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 1, maximum = 99)]
    percent: Option<u32>,
    /// Partial value: how much, in words (a percent, words, or both).
    #[serde(default)]
    #[schema(example = "150 of 200 demo requests")]
    how_much: Option<String>,
    #[serde(default)]
    note: String,
}

/// Record value received on a goal: none, partial (how much) or full. Entries are only added;
/// the latest is the goal's value. Recorded in the audit log.
#[utoipa::path(post, path = "/api/v1/goals/{id}/value", tag = "goals", params(("id" = i64, Path)),
    request_body = ValueInput,
    responses((status = 201, description = "Recorded", body = ValueOutput), WriteProblems),
    security(("bearer" = [])))]
async fn record_value(
    State(state): State<AppState>,
    who: Who,
    id: IdPath,
    body: Json<ValueInput>,
) -> Result<(StatusCode, axum::Json<ValueOutput>), ApiError> {
    let id = GoalId(path_id(id)?);
    ops::changeable(&state.store, &who.actor, id).await?;
    let input = body.read()?;
    let (value, note) = value_received(
        &input.level,
        input.percent,
        input.how_much.as_deref().unwrap_or_default(),
        &input.note,
    )?;
    let entry = ops::record_value(&state, &who.origin, &who.actor, id, value, note).await?;
    Ok((StatusCode::CREATED, axum::Json(entry.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AtRiskQuery {
    /// One CSM's book; the whole portfolio when left out.
    pub owner_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AtRiskGoal {
    goal: GoalOutput,
    /// The parts of its ecosystem below expectations: where the risk comes from.
    below: Vec<PartOutput>,
}

/// The portfolio's goals at risk: in progress, with a part of their ecosystem rated below
/// expectations; the most severe first, then the soonest due. Every role reads every account;
/// `owner_id` narrows to one CSM's book.
#[utoipa::path(get, path = "/api/v1/goals/at-risk", tag = "goals", params(AtRiskQuery),
    responses((status = 200, description = "The goals at risk", body = Vec<AtRiskGoal>), ReadProblems),
    security(("bearer" = [])))]
async fn goals_at_risk(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<AtRiskQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<AtRiskGoal>>, ApiError> {
    let Query(q) = query?;
    let goals = state.store.goals_at_risk(q.owner_id.map(UserId)).await?;
    Ok(axum::Json(
        goals
            .into_iter()
            .map(|g| {
                let below = g
                    .parts
                    .iter()
                    .filter(|p| p.rating == Some(lodestar_domain::goal::PartRating::Below))
                    .cloned()
                    .map(Into::into)
                    .collect();
                AtRiskGoal { goal: g.into(), below }
            })
            .collect(),
    ))
}
