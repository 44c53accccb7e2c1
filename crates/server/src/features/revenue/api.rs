//! Revenue on the API (F-63, F-64): retention of a period by group and over time, and retention
//! curves by an account attribute. Leaders, admins and executives see every account; a CSM
//! sees their own book; AEs and viewers are refused before the query is read.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::NaiveDate;
use lodestar_domain::revenue::Step;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, DriversReport, RetentionBy, RetentionParams, RetentionReport, SurvivalBy, SurvivalReport};
use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems};
use crate::http::params::bad;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(retention))
        .routes(routes!(survival))
        .routes(routes!(sticky_drivers))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RetentionQuery {
    /// The period's first day; default a year before `to`.
    pub from: Option<NaiveDate>,
    /// The day after the period (the period is `[from, to)`); default today.
    pub to: Option<NaiveDate>,
    /// Group by tier (or segment), industry, csm or cohort (the quarter of the first subscription).
    pub by: Option<String>,
    /// Each point of the series: month, quarter (default) or year.
    pub step: Option<String>,
}

/// Net and gross revenue retention, logo churn and MRR churn of the period `[from, to)`, with
/// the counts and sums behind each figure, for the whole book, for each step of the period and
/// for each group. Start-cohort definitions: the cohort is the accounts active on `from` (one of
/// their subscriptions has `start_date ≤ from < end_date`, or no end date), their MRR on a day
/// is the sum over the subscriptions running that day; NRR = the cohort's MRR on `to` ÷ its
/// MRR on `from`; GRR = the same with each account capped at its start MRR; logo churn = cohort
/// accounts with no subscription on `to` ÷ cohort accounts; MRR churn = (churned MRR +
/// downsold MRR) ÷ start MRR, downsold MRR being the drop of accounts active on both days whose
/// MRR fell. Accounts that joined during the period are not counted.
#[utoipa::path(get, path = "/api/v1/revenue/retention", tag = "revenue", params(RetentionQuery),
    responses((status = 200, description = "Revenue retention of the period", body = RetentionReport), ReadProblems),
    security(("bearer" = [])))]
async fn retention(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<RetentionQuery>, QueryRejection>,
) -> Result<axum::Json<RetentionReport>, ApiError> {
    ops::scope(&actor)?;
    let Query(q) = query?;
    let to = q.to.unwrap_or_else(|| state.store.today());
    let from = q.from.unwrap_or_else(|| to - chrono::Months::new(12));
    let by = q.by.as_deref().map(RetentionBy::parse).transpose()?;
    let step = match q.step.as_deref() {
        None => Step::Quarter,
        Some(s) => s.parse().map_err(|e: String| bad("step", e))?,
    };
    let params = RetentionParams::new(from, to, by, step)?;
    Ok(axum::Json(ops::retention(&state.store, &actor, params).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SurvivalQuery {
    /// Split by all (default), tier, industry, size, region, csm, contract_size, had_qbr, or a
    /// custom field (`channel`, `custom.KEY`).
    pub by: Option<String>,
    /// Accounts still subscribed on this day are censored there; default today.
    pub as_of: Option<NaiveDate>,
}

/// Kaplan–Meier retention curves: the share of accounts still subscribed after each day of
/// tenure, per group, with the at-risk counts and a 95 % log-log confidence band from
/// Greenwood's variance. Tenure runs from an account's first subscription's start to the end of
/// its last one (it churns then); an account still subscribed on `as_of` is censored there.
#[utoipa::path(get, path = "/api/v1/revenue/survival", tag = "revenue", params(SurvivalQuery),
    responses((status = 200, description = "Retention curves", body = SurvivalReport), ReadProblems),
    security(("bearer" = [])))]
async fn survival(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<SurvivalQuery>, QueryRejection>,
) -> Result<axum::Json<SurvivalReport>, ApiError> {
    ops::scope(&actor)?;
    let Query(q) = query?;
    let by = SurvivalBy::parse(q.by.as_deref().unwrap_or("all"))?;
    Ok(axum::Json(ops::survival(&state.store, &actor, by, q.as_of).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DriversQuery {
    /// The window after an account's first subscription that counts; default 90.
    #[param(minimum = 1, maximum = 3650)]
    pub days: Option<u32>,
    /// Retained means still subscribed on this day; default today.
    pub as_of: Option<NaiveDate>,
}

/// Sticky drivers: for each milestone, QBR and product feature, the retention of accounts that
/// reached or used it within the first `days` of their first subscription against those that
/// did not, with both sample sizes, the difference in percentage points and Cohen's h. Only
/// accounts whose window ended by `as_of` are compared; retained means still subscribed then.
#[utoipa::path(get, path = "/api/v1/revenue/sticky-drivers", tag = "revenue", params(DriversQuery),
    responses((status = 200, description = "Early behaviours by how much they separate retained from churned accounts", body = DriversReport), ReadProblems),
    security(("bearer" = [])))]
async fn sticky_drivers(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<DriversQuery>, QueryRejection>,
) -> Result<axum::Json<DriversReport>, ApiError> {
    ops::scope(&actor)?;
    let Query(q) = query?;
    Ok(axum::Json(
        ops::sticky_drivers(&state.store, &actor, q.days.unwrap_or(90), q.as_of).await?,
    ))
}
