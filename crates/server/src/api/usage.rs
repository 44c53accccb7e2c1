//! `/api/v1/accounts/{id}/usage`: an account's product usage per day and per feature (F-11),
//! the data behind the usage views.

use axum::extract::{Query, State};
use chrono::{Days, NaiveDate};
use lodestar_domain::AccountId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{IdPath, account_not_found, bad, path_id};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ReadProblems};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(account_usage))
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
pub struct AccountUsage {
    account_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    /// Days with activity, oldest first.
    days: Vec<UsageDayOutput>,
    /// Feature use per day, oldest first.
    features: Vec<FeatureDayOutput>,
}

/// An account's usage per day and per feature.
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
    let id = AccountId(path_id(id)?);
    let Query(query) = query.map_err(|e| ApiError::BadRequest {
        field: None,
        reason: e.body_text(),
    })?;
    let to = query.to.unwrap_or_else(|| chrono::Utc::now().date_naive());
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
    state.store.account(id).await?.ok_or_else(|| account_not_found(id))?;
    let days = state.store.usage_days(id, from, to).await?;
    let features = state.store.feature_days(id, from, to).await?;
    Ok(axum::Json(AccountUsage {
        account_id: id.0,
        from,
        to,
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
