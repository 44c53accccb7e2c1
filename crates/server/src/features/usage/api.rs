//! Product usage on the API (F-11 to F-13): an account's usage per day, week and feature, its
//! people, its milestones; the milestone definitions; the accounts whose active users fell;
//! and, for admins, the events still waiting for an account.

use axum::extract::{Query, State};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems};
use crate::http::params::{IdPath, bad};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account_usage))
        .routes(routes!(account_people))
        .routes(routes!(usage_drops))
        .routes(routes!(unmatched_events))
}

/// The longest span one request covers.
const MAX_DAYS: u64 = 731;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// First day (UTC), inclusive; default 180 days before `to`.
    from: Option<NaiveDate>,
    /// Last day (UTC), inclusive; default today.
    to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageDayOutput {
    day: NaiveDate,
    /// Track, page and screen calls that day.
    events: i64,
    /// People with at least one of those calls that day.
    active_users: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeatureDayOutput {
    /// The track event, or the page or screen name.
    feature: String,
    day: NaiveDate,
    events: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageWeekOutput {
    /// The Monday the week starts on.
    week_start: NaiveDate,
    active_users: i64,
    events: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountUsage {
    account_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    /// The 26 weeks up to `to`, oldest first, weeks without activity included.
    weeks: Vec<UsageWeekOutput>,
    /// Features the account used in the 30 days up to `to`.
    features_used_30_days: Vec<String>,
    /// Features anyone used in the 90 days up to `to`: the breadth to compare with.
    features_known_90_days: Vec<String>,
    /// Days with activity, oldest first.
    days: Vec<UsageDayOutput>,
    /// Feature use per day, oldest first.
    features: Vec<FeatureDayOutput>,
}

/// An account's usage per day and per feature.
///
/// Counts events once the server has applied them, normally within a second of the ingestion
/// answer (`lodestar_usage_blocks_pending` on `/metrics` shows what waits).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/usage", tag = "usage", params(("id" = i64, Path), UsageQuery),
    responses(
        (status = 200, description = "Usage per day and per feature", body = AccountUsage),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn account_usage(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
    query: Result<Query<UsageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<AccountUsage>, ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    let Query(query) = query?;
    let to = query.to.unwrap_or_else(|| state.store.today());
    let from = match query.from {
        Some(from) => from,
        None => to
            .checked_sub_days(Days::new(180))
            .ok_or_else(|| bad("to", "is too early"))?,
    };
    if from > to {
        return Err(bad("from", format!("{from} is after to ({to})")));
    }
    if (to - from).num_days() as u64 >= MAX_DAYS {
        return Err(bad("from", format!("the span may cover at most {MAX_DAYS} days")));
    }
    let days = state.store.usage_days(id, from, to).await?;
    let features = state.store.feature_days(id, from, to).await?;
    let weeks = state.store.usage_weeks(id, to, 26).await?;
    let (used, known) = state.store.feature_breadth(id, to).await?;
    Ok(axum::Json(AccountUsage {
        account_id: id.0,
        from,
        to,
        weeks: weeks
            .into_iter()
            .map(|w| UsageWeekOutput {
                week_start: w.week_start,
                active_users: w.active_users,
                events: w.events,
            })
            .collect(),
        features_used_30_days: used,
        features_known_90_days: known,
        days: days
            .into_iter()
            .map(|d| UsageDayOutput {
                day: d.day,
                events: d.events,
                active_users: d.active_users,
            })
            .collect(),
        features: features
            .into_iter()
            .map(|f| FeatureDayOutput {
                feature: f.feature,
                day: f.day,
                events: f.events,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonOutput {
    /// The Segment userId (or anonymousId).
    user_key: String,
    name: Option<String>,
    email: Option<String>,
    last_active: Option<NaiveDate>,
    active_days_30: i64,
    events_30: i64,
    /// Milestone features this person has never used on the account.
    missing_features: Vec<String>,
}

/// The people using the product on an account: who is active, who misses the key behaviours.
///
/// Counts events once the server has applied them, normally within a second of the ingestion
/// answer (`lodestar_usage_blocks_pending` on `/metrics` shows what waits).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/people", tag = "usage", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The account's people, most active first", body = [PersonOutput]),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn account_people(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<PersonOutput>>, ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    let people = state.store.account_people(id, state.store.today()).await?;
    Ok(axum::Json(
        people
            .into_iter()
            .map(|p| PersonOutput {
                user_key: p.user_key,
                name: p.name,
                email: p.email,
                last_active: p.last_active,
                active_days_30: p.active_days_30,
                events_30: p.events_30,
                missing_features: p.missing_features,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DropQuery {
    /// The smallest fall that counts, as a share (0.3 = 30 %); default 0.3.
    share: Option<f64>,
    /// How many accounts to return, 1 to 500; default 100.
    limit: Option<u32>,
    /// How many of the steepest to skip first (the next page: `offset` + `limit`); default 0.
    offset: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageDropOutput {
    account_id: i64,
    name: String,
    /// People active in the 7 days four weeks ago.
    active_before: i64,
    /// People active in the last 7 days.
    active_now: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DropPage {
    /// How many accounts fell by more than the share in all.
    total: usize,
    /// Steepest first, from `offset`, at most `limit` of them.
    items: Vec<UsageDropOutput>,
}

/// Accounts whose weekly active users fell by more than `share` over four weeks, a page at a
/// time.
///
/// Counts events once the server has applied them, normally within a second of the ingestion
/// answer (`lodestar_usage_blocks_pending` on `/metrics` shows what waits).
#[utoipa::path(get, path = "/api/v1/usage/drops", tag = "usage", params(DropQuery),
    responses(
        (status = 200, description = "Falling accounts, steepest first", body = DropPage),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn usage_drops(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<DropQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<DropPage>, ApiError> {
    let Query(query) = query?;
    let share = query.share.unwrap_or(0.3);
    if !(share > 0.0 && share < 1.0) {
        return Err(bad("share", "must be between 0 and 1 (0.3 = 30 %)"));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(bad("limit", "must be between 1 and 500"));
    }
    let drops = state.store.usage_drops(state.store.today(), share).await?;
    Ok(axum::Json(DropPage {
        total: drops.len(),
        items: drops
            .into_iter()
            .skip(query.offset.unwrap_or(0) as usize)
            .take(limit as usize)
            .map(|d| UsageDropOutput {
                account_id: d.account_id.0,
                name: d.name,
                active_before: d.active_before,
                active_now: d.active_now,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedEventOutput {
    message_id: String,
    kind: String,
    feature: Option<String>,
    user_key: String,
    /// The account external id the event named, if any.
    group_id: Option<String>,
    occurred_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedPage {
    /// How many events wait for an account in all.
    total: i64,
    /// The most recent of them (at most 200).
    items: Vec<UnmatchedEventOutput>,
}

/// Events kept without an account (admins): they attach when the account or the person's
/// group call arrives.
///
/// Counts events once the server has applied them, normally within a second of the ingestion
/// answer (`lodestar_usage_blocks_pending` on `/metrics` shows what waits).
#[utoipa::path(get, path = "/api/v1/usage/unmatched", tag = "usage",
    responses(
        (status = 200, description = "The most recent unmatched events", body = UnmatchedPage),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn unmatched_events(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<axum::Json<UnmatchedPage>, ApiError> {
    if !actor.can_administer() {
        return Err(ApiError::Forbidden("only an admin sees unmatched events"));
    }
    let total = state.store.usage_counts().await?.unmatched;
    let items = state.store.unmatched_events(200).await?;
    Ok(axum::Json(UnmatchedPage {
        total,
        items: items
            .into_iter()
            .map(|e| UnmatchedEventOutput {
                message_id: e.message_id,
                kind: e.kind,
                feature: e.feature,
                user_key: e.user_key,
                group_id: e.group_id,
                occurred_at: e.occurred_at,
            })
            .collect(),
    }))
}
