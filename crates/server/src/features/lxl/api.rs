//! LxL reviews (F-24) on the API: reviews, their agendas, line notes and action items.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::review::Quarter;
use lodestar_domain::vocabulary::{ActionStatus, AgendaReason};
use lodestar_domain::{AccountId, Invalid, UserId};
use lodestar_domain::{PromiseId, ReviewId};
use lodestar_store::{ActionItem, LineFilter, LxlLine, LxlReview};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{action_item_fields, line_notes};
use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::page_limit;
use crate::http::params::{IdPath, allowed, bad, path_id, vocab};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reviews, start_review))
        .routes(routes!(get_review))
        .routes(routes!(list_lines, add_line))
        .routes(routes!(save_notes))
        .routes(routes!(list_review_items))
        .routes(routes!(add_item))
        .routes(routes!(set_item_status))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewOutput {
    id: i64,
    /// e.g. 2026-Q4.
    quarter: String,
    started_by: Option<String>,
    started_on: NaiveDate,
    /// Accounts on the agenda.
    lines: i64,
    /// Lines whose CSM has written something.
    prepared: i64,
    /// Action items agreed at this review still open.
    open_items: i64,
}

impl From<LxlReview> for ReviewOutput {
    fn from(r: LxlReview) -> Self {
        ReviewOutput {
            id: r.id.0,
            quarter: r.quarter.to_string(),
            started_by: r.started_by,
            started_on: r.started_on,
            lines: r.lines,
            prepared: r.prepared,
            open_items: r.open_items,
        }
    }
}

/// Every LxL review, the latest quarter first.
#[utoipa::path(get, path = "/api/v1/lxl-reviews", tag = "reviews",
    responses((status = 200, description = "Reviews", body = [ReviewOutput]), ReadProblems),
    security(("bearer" = [])))]
async fn list_reviews(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<Vec<ReviewOutput>>, ApiError> {
    Ok(axum::Json(
        state.store.lxl_reviews().await?.into_iter().map(Into::into).collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartReviewInput {
    /// The quarter reviewed, e.g. 2026-Q4; default the current one.
    #[schema(example = "2026-Q4")]
    quarter: Option<String>,
}

/// Start the quarter's review (leaders and admins): the agenda takes every live account that
/// is at risk (red), expansion-ready (green with high growth potential or in Expand) or renews
/// within six months, with its figures as they stand now.
#[utoipa::path(post, path = "/api/v1/lxl-reviews", tag = "reviews", request_body = StartReviewInput,
    responses((status = 201, description = "Started", body = ReviewOutput), WriteProblems),
    security(("bearer" = [])))]
async fn start_review(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<StartReviewInput>,
) -> Result<(StatusCode, axum::Json<ReviewOutput>), ApiError> {
    super::ops::require_review_starter(&actor)?;
    let today = state.store.today();
    let input = body.read()?;
    let quarter = match input.quarter {
        Some(q) => q.parse::<Quarter>().map_err(|e| Invalid::field("quarter", e))?,
        None => Quarter::of(today),
    };
    let review = state.store.start_lxl_review(quarter, actor.user, today).await?;
    Ok((StatusCode::CREATED, axum::Json(review.into())))
}

/// One review.
#[utoipa::path(get, path = "/api/v1/lxl-reviews/{id}", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, description = "The review", body = ReviewOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_review(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<ReviewOutput>, ApiError> {
    Ok(axum::Json(state.store.lxl_review(ReviewId(path_id(id)?)).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineOutput {
    account_id: i64,
    account_name: String,
    owner_id: Option<i64>,
    owner: Option<String>,
    /// at_risk, expansion_ready, renewal_soon or added.
    reasons: Vec<String>,
    /// The score, band, ARR and renewal when the review started.
    score: Option<u32>,
    band: Option<String>,
    arr: String,
    renewal_date: Option<NaiveDate>,
    history: String,
    challenges: String,
    /// Specific asks of the business.
    asks: String,
    updated_at: Option<DateTime<Utc>>,
}

impl From<LxlLine> for LineOutput {
    fn from(l: LxlLine) -> Self {
        LineOutput {
            account_id: l.account_id.0,
            account_name: l.account_name,
            owner_id: l.owner_id.map(|u| u.0),
            owner: l.owner,
            reasons: l.reasons.iter().map(|r| r.as_str().to_owned()).collect(),
            score: l.score,
            band: l.band.map(|b| b.as_str().to_owned()),
            arr: l.arr.to_string(),
            renewal_date: l.renewal_date,
            history: l.notes.history.to_string(),
            challenges: l.notes.challenges.to_string(),
            asks: l.notes.asks.to_string(),
            updated_at: l.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinePage {
    items: Vec<LineOutput>,
    /// Lines matching the filters in all.
    total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LineQuery {
    /// One CSM's lines.
    pub owner_id: Option<i64>,
    /// at_risk, expansion_ready, renewal_soon or added.
    pub reason: Option<String>,
    #[param(minimum = 0)]
    pub offset: Option<u32>,
    /// Page size, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// A review's agenda, most ARR first.
#[utoipa::path(get, path = "/api/v1/lxl-reviews/{id}/lines", tag = "reviews", params(("id" = i64, Path), LineQuery),
    responses((status = 200, description = "A page of the agenda", body = LinePage), ReadProblems),
    security(("bearer" = [])))]
async fn list_lines(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
    query: Result<Query<LineQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<LinePage>, ApiError> {
    let id = path_id(id)?;
    let Query(q) = query?;
    let filter = LineFilter {
        owner: q.owner_id.map(UserId),
        reason: vocab::<AgendaReason>("reason", q.reason)?,
    };
    state.store.lxl_review(ReviewId(id)).await?;
    let (lines, total) = state
        .store
        .lxl_lines(ReviewId(id), filter, q.offset.unwrap_or(0), page_limit(q.limit, 50)?)
        .await?;
    Ok(axum::Json(LinePage {
        items: lines.into_iter().map(Into::into).collect(),
        total,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddLineInput {
    account_id: i64,
}

/// Put an account on the agenda by hand (its CSM, leaders and admins): at risk because the
/// CSM can sense it.
#[utoipa::path(post, path = "/api/v1/lxl-reviews/{id}/lines", tag = "reviews", params(("id" = i64, Path)),
    request_body = AddLineInput,
    responses((status = 201, description = "Added", body = LineOutput), WriteProblems),
    security(("bearer" = [])))]
async fn add_line(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<AddLineInput>,
) -> Result<(StatusCode, axum::Json<LineOutput>), ApiError> {
    let id = path_id(id)?;
    // The body names the account: first refuse whoever may write none.
    allowed(actor.can_write_some_account(), "your role does not change accounts")?;
    let account = AccountId(body.read()?.account_id);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let line = state.store.add_to_lxl_review(ReviewId(id), account).await?;
    Ok((StatusCode::CREATED, axum::Json(line.into())))
}

/// What the CSM presents for a line (seed 001: a brief history, key challenges, specific asks
/// of the business).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineNotesInput {
    #[serde(default)]
    #[schema(example = "Signed in 2024, renewed once; usage fell after their reorg.")]
    history: String,
    #[serde(default)]
    #[schema(example = "Our champion left in May; the new VP questions the price.")]
    challenges: String,
    #[serde(default)]
    #[schema(example = "Our CEO to call their CFO before the renewal.")]
    asks: String,
}

/// Save a line's history, challenges and asks (the account's CSM, leaders and admins).
#[utoipa::path(put, path = "/api/v1/lxl-reviews/{id}/lines/{account_id}", tag = "reviews",
    params(("id" = i64, Path), ("account_id" = i64, Path)), request_body = LineNotesInput,
    responses((status = 200, description = "Saved", body = LineOutput), WriteProblems),
    security(("bearer" = [])))]
async fn save_notes(
    State(state): State<AppState>,
    Caller(actor): Caller,
    path: Result<Path<(i64, i64)>, axum::extract::rejection::PathRejection>,
    body: Json<LineNotesInput>,
) -> Result<axum::Json<LineOutput>, ApiError> {
    let Path((review, account)) = path.map_err(|e| bad("id", e.body_text()))?;
    let account = AccountId(account);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let input = body.read()?;
    let notes = line_notes(&input.history, &input.challenges, &input.asks)?;
    Ok(axum::Json(
        state
            .store
            .save_lxl_notes(ReviewId(review), account, notes)
            .await?
            .into(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionItemOutput {
    id: i64,
    review_id: i64,
    /// The review that agreed it.
    quarter: String,
    account_id: i64,
    account_name: String,
    description: String,
    owner_id: i64,
    owner: String,
    due_on: NaiveDate,
    /// open, done or dropped.
    status: String,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

impl From<ActionItem> for ActionItemOutput {
    fn from(i: ActionItem) -> Self {
        ActionItemOutput {
            id: i.id.0,
            review_id: i.review_id.0,
            quarter: i.quarter.to_string(),
            account_id: i.account_id.0,
            account_name: i.account_name,
            description: i.description,
            owner_id: i.owner_id.0,
            owner: i.owner,
            due_on: i.due_on,
            status: i.status.as_str().to_owned(),
            created_at: i.created_at,
            closed_at: i.closed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewItemsOutput {
    /// Agreed at this review.
    agreed: Vec<ActionItemOutput>,
    /// From earlier reviews: every item of the previous one, and older ones still open.
    carried_over: Vec<ActionItemOutput>,
}

/// The action items a review agreed, and those it goes over from earlier reviews.
#[utoipa::path(get, path = "/api/v1/lxl-reviews/{id}/action-items", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, description = "Action items", body = ReviewItemsOutput), ReadProblems),
    security(("bearer" = [])))]
async fn list_review_items(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<ReviewItemsOutput>, ApiError> {
    let id = path_id(id)?;
    let carried_over = state.store.carried_over_items(ReviewId(id)).await?;
    let agreed = state.store.review_action_items(ReviewId(id)).await?;
    Ok(axum::Json(ReviewItemsOutput {
        agreed: agreed.into_iter().map(Into::into).collect(),
        carried_over: carried_over.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItemInput {
    #[schema(example = "CEO calls their CFO")]
    description: String,
    owner_id: i64,
    due_on: NaiveDate,
}

/// Agree an action item on a line (the account's CSM, leaders and admins).
#[utoipa::path(post, path = "/api/v1/lxl-reviews/{id}/lines/{account_id}/action-items", tag = "reviews",
    params(("id" = i64, Path), ("account_id" = i64, Path)), request_body = ActionItemInput,
    responses((status = 201, description = "Agreed", body = ActionItemOutput), WriteProblems),
    security(("bearer" = [])))]
async fn add_item(
    State(state): State<AppState>,
    Caller(actor): Caller,
    path: Result<Path<(i64, i64)>, axum::extract::rejection::PathRejection>,
    body: Json<ActionItemInput>,
) -> Result<(StatusCode, axum::Json<ActionItemOutput>), ApiError> {
    let Path((review, account)) = path.map_err(|e| bad("id", e.body_text()))?;
    let account = AccountId(account);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let input = body.read()?;
    let fields = action_item_fields(&input.description, Some(input.owner_id), Some(input.due_on))?;
    let item = state.store.add_action_item(ReviewId(review), account, fields).await?;
    Ok((StatusCode::CREATED, axum::Json(item.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionStatusInput {
    /// open, done or dropped.
    #[schema(example = "done")]
    status: String,
}

/// Close, drop or reopen an action item (its owner, the account's CSM, leaders and admins).
#[utoipa::path(put, path = "/api/v1/action-items/{id}/status", tag = "reviews", params(("id" = i64, Path)),
    request_body = ActionStatusInput,
    responses((status = 200, description = "Updated", body = ActionItemOutput), WriteProblems),
    security(("bearer" = [])))]
async fn set_item_status(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<ActionStatusInput>,
) -> Result<axum::Json<ActionItemOutput>, ApiError> {
    let id = path_id(id)?;
    super::ops::movable_item(&state.store, &actor, PromiseId(id)).await?;
    let status: ActionStatus = body.read()?.status.parse().map_err(|e| Invalid::field("status", e))?;
    Ok(axum::Json(
        state.store.set_action_status(PromiseId(id), status).await?.into(),
    ))
}
