//! Portfolio risk on the API (F-23): the at-risk list, revenue up for renewal by health band
//! and by industry exposure, the churn re-forecast, and the loss rates leaders set for it.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use lodestar_domain::UserId;
use lodestar_domain::health::Exposure;
use lodestar_domain::risk::{LossRates, Tally};
use lodestar_store::PortfolioRisk;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::loss_rates_from;
use crate::AppState;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::bad;
use lodestar_domain::vocabulary::AuditKind;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(portfolio_risk))
        .routes(routes!(get_loss_rates, set_loss_rates))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RiskQuery {
    /// One CSM's book; absent for the whole portfolio.
    pub owner_id: Option<i64>,
    /// Days ahead the re-forecast looks; default 365.
    #[param(minimum = 1, maximum = 730)]
    pub horizon_days: Option<u32>,
    /// How many at-risk accounts to list, most ARR first; default 25.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TallyOutput {
    accounts: u32,
    /// Their ARR, as a decimal amount.
    arr: String,
}

impl From<Tally> for TallyOutput {
    fn from(t: Tally) -> Self {
        TallyOutput {
            accounts: t.accounts,
            arr: t.arr.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AtRiskOutput {
    account_id: i64,
    name: String,
    owner: Option<String>,
    arr: String,
    renewal_date: Option<NaiveDate>,
    score: u32,
    /// The measure costing the score most points.
    main_drag: Option<String>,
    /// The fact behind it.
    main_drag_fact: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SplitOutput {
    /// A band (red, yellow, green) or exposure (high, moderate, low); `unscored` or `not_set`
    /// for the rest.
    key: &'static str,
    #[serde(flatten)]
    tally: TallyOutput,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalWindowOutput {
    /// Renewals from today up to this many days ahead.
    days: u32,
    total: TallyOutput,
    by_band: Vec<SplitOutput>,
    by_exposure: Vec<SplitOutput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastLineOutput {
    /// high, moderate, low or not_set.
    exposure: &'static str,
    current: TallyOutput,
    /// What renews within the horizon: the only ARR that can be lost in it.
    renewing: TallyOutput,
    loss_percent: u32,
    expected_loss: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastOutput {
    horizon_days: u32,
    lines: Vec<ForecastLineOutput>,
    current_arr: String,
    expected_loss: String,
    /// ARR at the end of the horizon if every level loses its rate of what renews.
    forecast_arr: String,
    /// Expected loss as a percentage of today's ARR.
    churn_rate_percent: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RiskOutput {
    at_risk: Vec<AtRiskOutput>,
    /// Every red account (the list above holds the largest).
    at_risk_total: TallyOutput,
    renewals: Vec<RenewalWindowOutput>,
    forecast: ForecastOutput,
}

fn exposure_key(e: Option<Exposure>) -> &'static str {
    e.map_or("not_set", Exposure::as_str)
}

impl From<PortfolioRisk> for RiskOutput {
    fn from(r: PortfolioRisk) -> Self {
        let f = r.forecast;
        let churn_rate_percent = f.churn_rate_percent();
        RiskOutput {
            at_risk: r
                .at_risk
                .into_iter()
                .map(|a| {
                    let (main_drag, main_drag_fact) = a.main_drag.unzip();
                    AtRiskOutput {
                        account_id: a.id.0,
                        name: a.name,
                        owner: a.owner,
                        arr: a.arr.to_string(),
                        renewal_date: a.renewal_date,
                        score: a.score,
                        main_drag,
                        main_drag_fact,
                    }
                })
                .collect(),
            at_risk_total: r.at_risk_total.into(),
            renewals: r
                .renewals
                .into_iter()
                .map(|w| RenewalWindowOutput {
                    days: w.days,
                    total: w.total.into(),
                    by_band: w
                        .by_band
                        .into_iter()
                        .map(|(b, t)| SplitOutput {
                            key: b.map_or("unscored", |b| b.as_str()),
                            tally: t.into(),
                        })
                        .collect(),
                    by_exposure: w
                        .by_exposure
                        .into_iter()
                        .map(|(e, t)| SplitOutput {
                            key: exposure_key(e),
                            tally: t.into(),
                        })
                        .collect(),
                })
                .collect(),
            forecast: ForecastOutput {
                horizon_days: f.horizon_days,
                lines: f
                    .lines
                    .into_iter()
                    .map(|l| ForecastLineOutput {
                        exposure: exposure_key(l.exposure),
                        current: l.current.into(),
                        renewing: l.renewing.into(),
                        loss_percent: l.loss_rate.percent(),
                        expected_loss: l.expected_loss.to_string(),
                    })
                    .collect(),
                current_arr: f.current_arr.to_string(),
                expected_loss: f.expected_loss.to_string(),
                forecast_arr: f.forecast_arr.to_string(),
                churn_rate_percent,
            },
        }
    }
}

/// Portfolio risk: the largest red accounts, revenue up for renewal in 30/60/90/180 days by
/// health band and by industry exposure, and the churn re-forecast.
#[utoipa::path(get, path = "/api/v1/risk", tag = "risk", params(RiskQuery),
    responses((status = 200, description = "The portfolio's risk", body = RiskOutput), ReadProblems),
    security(("bearer" = [])))]
async fn portfolio_risk(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<RiskQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<RiskOutput>, ApiError> {
    let Query(q) = query?;
    let horizon = q.horizon_days.unwrap_or(365);
    if !(1..=730).contains(&horizon) {
        return Err(bad("horizon_days", "must be between 1 and 730"));
    }
    let limit = q.limit.unwrap_or(25);
    if !(1..=500).contains(&limit) {
        return Err(bad("limit", "must be between 1 and 500"));
    }
    let risk = state
        .store
        .portfolio_risk(q.owner_id.map(UserId), state.store.today(), horizon, limit)
        .await?;
    Ok(axum::Json(risk.into()))
}

/// The expected share of renewing ARR lost, per exposure level, in whole percent.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LossRatesIo {
    #[schema(example = 25, minimum = 0, maximum = 100)]
    high: u32,
    #[schema(example = 10, minimum = 0, maximum = 100)]
    moderate: u32,
    #[schema(example = 5, minimum = 0, maximum = 100)]
    low: u32,
    /// For accounts whose industry has no exposure set.
    #[schema(example = 10, minimum = 0, maximum = 100)]
    not_set: u32,
}

impl From<LossRates> for LossRatesIo {
    fn from(r: LossRates) -> Self {
        LossRatesIo {
            high: r.high.percent(),
            moderate: r.moderate.percent(),
            low: r.low.percent(),
            not_set: r.not_set.percent(),
        }
    }
}

/// The churn re-forecast's loss rates.
#[utoipa::path(get, path = "/api/v1/settings/loss-rates", tag = "risk",
    responses((status = 200, description = "Loss rates per exposure level", body = LossRatesIo), ReadProblems),
    security(("bearer" = [])))]
async fn get_loss_rates(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<LossRatesIo>, ApiError> {
    Ok(axum::Json(state.store.loss_rates().await?.into()))
}

/// Set the loss rates (leaders and admins).
#[utoipa::path(put, path = "/api/v1/settings/loss-rates", tag = "risk", request_body = LossRatesIo,
    responses((status = 204, description = "Set"), WriteProblems),
    security(("bearer" = [])))]
async fn set_loss_rates(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<LossRatesIo>,
) -> Result<StatusCode, ApiError> {
    crate::features::health::ops::require_risk_settings(&actor)?;
    let input = body.read()?;
    let rates = loss_rates_from([
        ("high", input.high),
        ("moderate", input.moderate),
        ("low", input.low),
        ("not_set", input.not_set),
    ])?;
    state.store.set_loss_rates(rates).await?;
    state
        .audit(&origin, AuditKind::SettingsChanged, None, "loss rates")
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
