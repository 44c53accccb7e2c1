//! Capacity on the API: the team's books against the benchmarks, the benchmarks themselves,
//! the suggested rebalancing and applying it.

use axum::extract::{Path, State};
use lodestar_domain::capacity::{Benchmarks, Move};
use lodestar_domain::{AccountId, UserId};
use lodestar_store::{CsmBook, RebalanceSuggestion, TeamCapacity};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops;
use crate::AppState;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::whole_number;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(team_capacity))
        .routes(routes!(set_benchmark))
        .routes(routes!(set_meeting_hours))
        .routes(routes!(suggested_rebalancing, apply_rebalancing))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BenchmarkOutput {
    /// strategic, enterprise, mid_tier or long_tail.
    tier: &'static str,
    /// The low end of the accounts one CSM serves in this tier.
    min_accounts: u32,
    /// The top: a book of only this tier is full at this many.
    max_accounts: u32,
    /// How long one of the tier's review meetings takes.
    review_minutes: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BenchmarksOutput {
    tiers: Vec<BenchmarkOutput>,
    /// Customer meeting hours a month one CSM has.
    meeting_hours_per_month: u32,
}

impl From<Benchmarks> for BenchmarksOutput {
    fn from(b: Benchmarks) -> Self {
        BenchmarksOutput {
            tiers: b
                .tiers
                .iter()
                .map(|t| BenchmarkOutput {
                    tier: t.tier.as_str(),
                    min_accounts: t.min_accounts,
                    max_accounts: t.max_accounts,
                    review_minutes: t.review_minutes,
                })
                .collect(),
            meeting_hours_per_month: b.meeting_hours_per_month,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierCount {
    /// strategic, enterprise, mid_tier or long_tail; null for accounts without a tier.
    tier: Option<&'static str>,
    accounts: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CsmLoadOutput {
    user_id: i64,
    name: String,
    /// csm, associate_csm or leader.
    role: &'static str,
    manager_id: Option<i64>,
    /// A personal capacity replaces the tier benchmarks for this person.
    capacity: Option<u32>,
    accounts: u32,
    per_tier: Vec<TierCount>,
    arr_cents: i64,
    /// 1.0 is a full book at the top of the benchmarks.
    share_of_max: f64,
    /// 1.0 is a book at their low end.
    share_of_min: f64,
    /// under, within or over.
    loading: &'static str,
    /// Review meeting hours a month the book's experience levels promise.
    promised_hours_per_month: f64,
    /// More than the meeting hours a CSM has.
    meeting_hours_over: bool,
}

impl From<&CsmBook> for CsmLoadOutput {
    fn from(b: &CsmBook) -> Self {
        let mut per_tier: Vec<TierCount> = b
            .book
            .accounts
            .iter()
            .map(|(tier, n)| TierCount {
                tier: tier.map(|t| t.as_str()),
                accounts: *n,
            })
            .collect();
        per_tier.sort_by_key(|t| t.tier);
        CsmLoadOutput {
            user_id: b.user.0,
            name: b.name.clone(),
            role: b.role.as_str(),
            manager_id: b.manager_id.map(|m| m.0),
            capacity: b.capacity,
            accounts: b.book.total(),
            per_tier,
            arr_cents: b.book.arr.0,
            share_of_max: b.load.share_of_max,
            share_of_min: b.load.share_of_min,
            loading: b.load.loading.as_str(),
            promised_hours_per_month: b.load.promised_hours_per_month,
            meeting_hours_over: b.load.meeting_hours_over,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamCapacityOutput {
    benchmarks: BenchmarksOutput,
    /// Everyone active who may own accounts, the most loaded first.
    people: Vec<CsmLoadOutput>,
}

impl From<TeamCapacity> for TeamCapacityOutput {
    fn from(t: TeamCapacity) -> Self {
        TeamCapacityOutput {
            people: t.books.iter().map(Into::into).collect(),
            benchmarks: t.benchmarks.into(),
        }
    }
}

/// Each owner's book against the tier benchmarks and the review meeting hours its accounts' experience levels promise
/// (leaders, admins and executives).
#[utoipa::path(get, path = "/api/v1/capacity", tag = "capacity",
    responses((status = 200, description = "The team's books", body = TeamCapacityOutput), ReadProblems),
    security(("bearer" = [])))]
async fn team_capacity(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<axum::Json<TeamCapacityOutput>, ApiError> {
    ops::may_see(&actor)?;
    Ok(axum::Json(state.store.team_capacity().await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkBody {
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = u32, example = 8)]
    min_accounts: Option<u32>,
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = u32, example = 12)]
    max_accounts: Option<u32>,
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = u32, example = 90)]
    review_minutes: Option<u32>,
}

/// Set a tier's benchmark (leaders and admins). Returns every benchmark.
#[utoipa::path(put, path = "/api/v1/capacity/benchmarks/{tier}", tag = "capacity",
    params(("tier" = String, Path, description = "strategic, enterprise, mid_tier or long_tail")),
    request_body = BenchmarkBody,
    responses((status = 200, description = "Set", body = BenchmarksOutput), WriteProblems),
    security(("bearer" = [])))]
async fn set_benchmark(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    Path(tier): Path<String>,
    body: Json<BenchmarkBody>,
) -> Result<axum::Json<BenchmarksOutput>, ApiError> {
    ops::may_change(&actor)?;
    let b = body.read()?;
    let benchmark = ops::benchmark(&tier, b.min_accounts, b.max_accounts, b.review_minutes)?;
    Ok(axum::Json(
        ops::set_benchmark(&state, &actor, &origin, benchmark).await?.into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingHoursBody {
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = u32, example = 40)]
    meeting_hours_per_month: Option<u32>,
}

/// Set the customer meeting hours a month each CSM has (leaders and admins).
#[utoipa::path(put, path = "/api/v1/capacity/meeting-hours", tag = "capacity",
    request_body = MeetingHoursBody,
    responses((status = 200, description = "Set", body = BenchmarksOutput), WriteProblems),
    security(("bearer" = [])))]
async fn set_meeting_hours(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<MeetingHoursBody>,
) -> Result<axum::Json<BenchmarksOutput>, ApiError> {
    ops::may_change(&actor)?;
    let b = body.read()?;
    Ok(axum::Json(
        ops::set_meeting_hours(&state, &actor, &origin, b.meeting_hours_per_month)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    account_id: i64,
    /// The owner the suggestion moves it from: applying refuses a move whose account has
    /// changed hands since.
    from_id: i64,
    to_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedMove {
    account_id: i64,
    account_name: String,
    tier: Option<&'static str>,
    arr_cents: i64,
    from_id: i64,
    to_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RebalancingOutput {
    /// The fewest moves that bring everyone within their benchmark, keeping the ARR spread
    /// smallest; apply them as they are.
    moves: Vec<SuggestedMove>,
    /// Over their benchmark with nobody having room for their accounts.
    still_over: Vec<i64>,
    /// The largest book's ARR minus the smallest's, before and after the moves.
    arr_spread_before_cents: i64,
    arr_spread_after_cents: i64,
}

impl From<RebalanceSuggestion> for RebalancingOutput {
    fn from(s: RebalanceSuggestion) -> Self {
        RebalancingOutput {
            moves: s
                .plan
                .moves
                .iter()
                .zip(&s.accounts)
                .map(|(m, a)| SuggestedMove {
                    account_id: m.account.0,
                    account_name: a.name.clone(),
                    tier: a.tier.map(|t| t.as_str()),
                    arr_cents: a.arr.0,
                    from_id: m.from.0,
                    to_id: m.to.0,
                })
                .collect(),
            still_over: s.plan.still_over.iter().map(|u| u.0).collect(),
            arr_spread_before_cents: s.plan.arr_spread_before.0,
            arr_spread_after_cents: s.plan.arr_spread_after.0,
        }
    }
}

/// The moves that would bring every owner within their benchmark (leaders, admins and
/// executives).
#[utoipa::path(get, path = "/api/v1/capacity/rebalancing", tag = "capacity",
    responses((status = 200, description = "The suggestion", body = RebalancingOutput), ReadProblems),
    security(("bearer" = [])))]
async fn suggested_rebalancing(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<axum::Json<RebalancingOutput>, ApiError> {
    ops::may_see(&actor)?;
    Ok(axum::Json(state.store.suggested_rebalancing().await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RebalancingBody {
    moves: Vec<MoveBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RebalancedOutput {
    moved: usize,
}

/// Apply moves (leaders and admins): in one transaction, each account still with its
/// `from_id` (409 otherwise, nothing moved), each change on the account's timeline.
#[utoipa::path(post, path = "/api/v1/capacity/rebalancing", tag = "capacity",
    request_body = RebalancingBody,
    responses((status = 200, description = "Applied", body = RebalancedOutput), WriteProblems),
    security(("bearer" = [])))]
async fn apply_rebalancing(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<RebalancingBody>,
) -> Result<axum::Json<RebalancedOutput>, ApiError> {
    ops::may_change(&actor)?;
    let b = body.read()?;
    let moves: Vec<Move> = b
        .moves
        .iter()
        .map(|m| Move {
            account: AccountId(m.account_id),
            from: UserId(m.from_id),
            to: UserId(m.to_id),
        })
        .collect();
    let moved = ops::apply(&state, &actor, &origin, &moves).await?;
    Ok(axum::Json(RebalancedOutput { moved }))
}
