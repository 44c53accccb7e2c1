//! Health on the API (F-20, F-21): the measures, the scorecards (admins), an account's score
//! with its explanation and history, and the inputs people give — pulses, problem severity,
//! industry exposure and price thresholds.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::ScorecardId;
use lodestar_domain::health::{Exposure, PulseLevel, Severity};
use lodestar_domain::vocabulary::Tier;
use lodestar_domain::{Cents, FieldError, Invalid};
use lodestar_store::{AccountHealth, MeasureInfo, Pulse, Scorecard, health_measures};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{MeasureWeightIo, ScorecardInput, require_risk_settings, require_scorecard_admin, scorecard_fields};
use crate::AppState;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, DeleteProblems, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, checked, path_id};
use lodestar_domain::vocabulary::AuditKind;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_measures))
        .routes(routes!(list_scorecards, create_scorecard))
        .routes(routes!(replace_scorecard, delete_scorecard))
        .routes(routes!(account_health))
        .routes(routes!(list_pulses, record_pulse))
        .routes(routes!(set_problem))
        .routes(routes!(list_exposures, set_exposures))
        .routes(routes!(list_price_thresholds, set_price_thresholds))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureOutput {
    key: &'static str,
    label: &'static str,
    /// What the value is, and so what the thresholds are in.
    unit: &'static str,
    help: &'static str,
    default_weight: u32,
    default_zero_at: f64,
    default_full_at: f64,
}

impl From<MeasureInfo> for MeasureOutput {
    fn from(m: MeasureInfo) -> Self {
        MeasureOutput {
            key: m.key,
            label: m.label,
            unit: m.unit,
            help: m.help,
            default_weight: m.default_weight,
            default_zero_at: m.default_zero_at,
            default_full_at: m.default_full_at,
        }
    }
}

/// The measures a scorecard can weigh.
#[utoipa::path(get, path = "/api/v1/health/measures", tag = "health",
    responses((status = 200, description = "Every measure", body = [MeasureOutput]), ReadProblems),
    security(("bearer" = [])))]
async fn list_measures(Caller(_actor): Caller) -> axum::Json<Vec<MeasureOutput>> {
    axum::Json(health_measures().into_iter().map(Into::into).collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScorecardOutput {
    id: i64,
    name: String,
    tier: Option<String>,
    lifecycle_stage: Option<String>,
    red_below: u32,
    green_from: u32,
    /// The card for every account no other card fits; it cannot be removed.
    is_default: bool,
    measures: Vec<MeasureWeightIo>,
}

impl From<Scorecard> for ScorecardOutput {
    fn from(c: Scorecard) -> Self {
        let is_default = c.is_default();
        let f = c.fields;
        ScorecardOutput {
            id: c.id.0,
            name: f.name.to_string(),
            tier: f.tier.map(|t| t.as_str().to_owned()),
            lifecycle_stage: f.lifecycle_stage.map(|s| s.as_str().to_owned()),
            red_below: f.bands.red_below,
            green_from: f.bands.green_from,
            is_default,
            measures: f
                .measures
                .into_iter()
                .map(|m| MeasureWeightIo {
                    measure: m.measure,
                    weight: m.weight,
                    zero_at: m.zero_at,
                    full_at: m.full_at,
                })
                .collect(),
        }
    }
}

/// Every scorecard, the default one first.
#[utoipa::path(get, path = "/api/v1/scorecards", tag = "health",
    responses((status = 200, description = "Every scorecard", body = [ScorecardOutput]), ReadProblems),
    security(("bearer" = [])))]
async fn list_scorecards(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<Vec<ScorecardOutput>>, ApiError> {
    Ok(axum::Json(
        state.store.scorecards().await?.into_iter().map(Into::into).collect(),
    ))
}

/// Add a scorecard for a segment and stage (admins); every account is rescored.
#[utoipa::path(post, path = "/api/v1/scorecards", tag = "health", request_body = ScorecardInput,
    responses((status = 201, description = "Created", body = ScorecardOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_scorecard(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<ScorecardInput>,
) -> Result<(StatusCode, axum::Json<ScorecardOutput>), ApiError> {
    require_scorecard_admin(&actor)?;
    let fields = scorecard_fields(body.read()?)?;
    let created = super::ops::create_scorecard(&state, &origin, fields).await?;
    Ok((StatusCode::CREATED, axum::Json(created.into())))
}

/// Replace a scorecard (admins); every account is rescored.
#[utoipa::path(put, path = "/api/v1/scorecards/{id}", tag = "health", params(("id" = i64, Path)),
    request_body = ScorecardInput,
    responses((status = 200, description = "Replaced", body = ScorecardOutput), WriteProblems),
    security(("bearer" = [])))]
async fn replace_scorecard(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
    body: Json<ScorecardInput>,
) -> Result<axum::Json<ScorecardOutput>, ApiError> {
    let id = path_id(id)?;
    require_scorecard_admin(&actor)?;
    let fields = scorecard_fields(body.read()?)?;
    let card = super::ops::update_scorecard(&state, &origin, ScorecardId(id), fields).await?;
    Ok(axum::Json(card.into()))
}

/// Remove a scorecard (admins; never the default one); its accounts fall back to the next
/// card that fits.
#[utoipa::path(delete, path = "/api/v1/scorecards/{id}", tag = "health", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), DeleteProblems),
    security(("bearer" = [])))]
async fn delete_scorecard(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    let id = path_id(id)?;
    require_scorecard_admin(&actor)?;
    super::ops::delete_scorecard(&state, &origin, ScorecardId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureScoreOutput {
    measure: String,
    label: String,
    weight: u32,
    /// Its share of the score after re-weighting (0–1; 0 when left out).
    share: f64,
    /// The number the thresholds apply to; absent when the measure had no data.
    value: Option<f64>,
    /// The fact behind the value, in words.
    fact: Option<String>,
    /// 0–100; absent when left out.
    points: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthChangeOutput {
    label: String,
    before: Option<String>,
    after: Option<String>,
    /// What the change did to the score, in score points.
    effect: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthPointOutput {
    day: NaiveDate,
    score: u32,
    band: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountHealthOutput {
    account_id: i64,
    /// 0–100; absent when no measure has data (or the account churned).
    score: Option<u32>,
    /// red, yellow or green.
    band: Option<String>,
    scorecard_id: Option<i64>,
    scorecard: Option<String>,
    /// The day the score is as of.
    scored_on: Option<NaiveDate>,
    measures: Vec<MeasureScoreOutput>,
    /// Which measures had no data and what that did to the weights.
    left_out: Option<String>,
    /// The snapshot "changes" compares with: the last one at least a week old.
    since: Option<NaiveDate>,
    changes: Vec<HealthChangeOutput>,
    /// The score per day over the last 180 days, oldest first.
    history: Vec<HealthPointOutput>,
}

impl AccountHealthOutput {
    fn new(account_id: i64, h: AccountHealth) -> Self {
        let current = h.current;
        AccountHealthOutput {
            account_id,
            score: current.as_ref().map(|c| c.health.score),
            band: current.as_ref().map(|c| c.health.band.as_str().to_owned()),
            scorecard_id: current.as_ref().map(|c| c.scorecard_id),
            scorecard: current.as_ref().map(|c| c.scorecard.clone()),
            scored_on: current.as_ref().map(|c| c.day),
            left_out: current.as_ref().and_then(|c| c.health.missing_note()),
            measures: current
                .map(|c| c.health.measures)
                .unwrap_or_default()
                .into_iter()
                .map(|m| MeasureScoreOutput {
                    share: m.share,
                    value: m.reading.as_ref().map(|r| r.value),
                    fact: m.reading.map(|r| r.fact),
                    points: m.points,
                    measure: m.measure,
                    label: m.label,
                    weight: m.weight,
                })
                .collect(),
            since: h.since,
            changes: h
                .changes
                .into_iter()
                .map(|c| HealthChangeOutput {
                    label: c.label,
                    before: c.before,
                    after: c.after,
                    effect: c.effect,
                })
                .collect(),
            history: h
                .history
                .into_iter()
                .map(|p| HealthPointOutput {
                    day: p.day,
                    score: p.score,
                    band: p.band.as_str().to_owned(),
                })
                .collect(),
        }
    }
}

/// An account's health score: each measure's value, points and weight, what changed since
/// last week, and the history.
///
/// Counts events once the server has applied them and rescored the account, normally within
/// a second of the ingestion answer (`lodestar_usage_blocks_pending` and
/// `lodestar_usage_accounts_unsettled` on `/metrics` show what waits).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/health", tag = "health", params(("id" = i64, Path)),
    responses((status = 200, description = "The score and its explanation", body = AccountHealthOutput), ReadProblems),
    security(("bearer" = [])))]
async fn account_health(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<AccountHealthOutput>, ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    let health = state.store.account_health(id, state.store.today()).await?;
    Ok(axum::Json(AccountHealthOutput::new(id.0, health)))
}

/// The CSM's read of the relationship.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PulseInput {
    /// 1 very negative, 2 negative, 3 neutral, 4 positive, 5 very positive.
    #[schema(example = 2, minimum = 1, maximum = 5)]
    pub(crate) level: u8,
    /// Why: a pulse always has a reason.
    #[schema(example = "Our champion is leaving next month")]
    pub(crate) reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PulseOutput {
    id: i64,
    level: u8,
    label: &'static str,
    reason: String,
    author: Option<String>,
    recorded_at: DateTime<Utc>,
}

impl From<Pulse> for PulseOutput {
    fn from(p: Pulse) -> Self {
        PulseOutput {
            id: p.id.0,
            level: p.level.get(),
            label: p.level.label(),
            reason: p.reason,
            author: p.author,
            recorded_at: p.recorded_at,
        }
    }
}

/// The account's pulses, newest first (the last 50).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/pulses", tag = "health", params(("id" = i64, Path)),
    responses((status = 200, description = "Pulses, newest first", body = [PulseOutput]), ReadProblems),
    security(("bearer" = [])))]
async fn list_pulses(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<PulseOutput>>, ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    Ok(axum::Json(
        state.store.pulses(id, 50).await?.into_iter().map(Into::into).collect(),
    ))
}

/// Record a pulse; the account is rescored at once.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/pulses", tag = "health", params(("id" = i64, Path)),
    request_body = PulseInput,
    responses((status = 201, description = "Recorded", body = PulseOutput), WriteProblems),
    security(("bearer" = [])))]
async fn record_pulse(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<PulseInput>,
) -> Result<(StatusCode, axum::Json<PulseOutput>), ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let input = body.read()?;
    let level = PulseLevel::new(input.level).map_err(|e| Invalid::field("level", e))?;
    let pulse = state.store.record_pulse(id, level, &input.reason, actor.user).await?;
    Ok((StatusCode::CREATED, axum::Json(pulse.into())))
}

/// The account's current problem.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemInput {
    /// 1 not important … 5 on fire; null clears it.
    #[schema(example = 4, minimum = 1, maximum = 5)]
    pub(crate) severity: Option<u8>,
    #[serde(default)]
    #[schema(example = "Data sync failing since the last release")]
    pub(crate) note: String,
}

/// Set (or clear) the account's problem severity; the account is rescored at once.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/problem", tag = "health", params(("id" = i64, Path)),
    request_body = ProblemInput,
    responses((status = 204, description = "Set"), WriteProblems),
    security(("bearer" = [])))]
async fn set_problem(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<ProblemInput>,
) -> Result<StatusCode, ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let input = body.read()?;
    let severity = input
        .severity
        .map(Severity::new)
        .transpose()
        .map_err(|e| Invalid::field("severity", e))?;
    state.store.set_problem(id, severity, &input.note, actor.user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExposureIo {
    #[schema(example = "Hospitality")]
    industry: String,
    /// low, moderate or high; null when not set.
    #[schema(example = "high")]
    exposure: Option<String>,
    /// Accounts in the industry (ignored on input).
    #[serde(default)]
    accounts: i64,
}

/// Every industry with its exposure.
#[utoipa::path(get, path = "/api/v1/settings/industry-exposures", tag = "health",
    responses((status = 200, description = "Industries", body = [ExposureIo]), ReadProblems),
    security(("bearer" = [])))]
async fn list_exposures(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<Vec<ExposureIo>>, ApiError> {
    Ok(axum::Json(
        state
            .store
            .industry_exposures()
            .await?
            .into_iter()
            .map(|e| ExposureIo {
                industry: e.industry,
                exposure: e.exposure.map(|x| x.as_str().to_owned()),
                accounts: e.accounts,
            })
            .collect(),
    ))
}

/// Set industries' exposure (leaders and admins); the industries listed change, every
/// account is rescored.
#[utoipa::path(put, path = "/api/v1/settings/industry-exposures", tag = "health", request_body = [ExposureIo],
    responses((status = 204, description = "Set"), WriteProblems),
    security(("bearer" = [])))]
async fn set_exposures(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<Vec<ExposureIo>>,
) -> Result<StatusCode, ApiError> {
    require_risk_settings(&actor)?;
    let mut errors = Vec::new();
    let input = body.read()?;
    let settings: Vec<(String, Option<Exposure>)> = input
        .into_iter()
        .filter_map(|e| {
            let exposure = match e.exposure {
                None => Some(None),
                Some(x) => checked(&mut errors, "exposure", Exposure::parse(&x)).map(Some),
            }?;
            Some((e.industry, exposure))
        })
        .collect();
    if !errors.is_empty() {
        return Err(Invalid { errors }.into());
    }
    state.store.set_industry_exposures(&settings).await?;
    state
        .audit(&origin, AuditKind::SettingsChanged, None, "industry exposures")
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceThresholdIo {
    #[schema(example = "mid_tier")]
    tier: String,
    /// The ARR below which a customer of this segment pays too little, as a decimal amount;
    /// null when not set.
    #[schema(example = "10000.00")]
    min_arr: Option<String>,
}

/// Every segment with its price threshold.
#[utoipa::path(get, path = "/api/v1/settings/price-thresholds", tag = "health",
    responses((status = 200, description = "Segments", body = [PriceThresholdIo]), ReadProblems),
    security(("bearer" = [])))]
async fn list_price_thresholds(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<Vec<PriceThresholdIo>>, ApiError> {
    Ok(axum::Json(
        state
            .store
            .price_thresholds()
            .await?
            .into_iter()
            .map(|t| PriceThresholdIo {
                tier: t.tier.as_str().to_owned(),
                min_arr: t.min_arr.map(|c| c.to_string()),
            })
            .collect(),
    ))
}

/// Set segments' price thresholds (leaders and admins); every account is rescored.
#[utoipa::path(put, path = "/api/v1/settings/price-thresholds", tag = "health", request_body = [PriceThresholdIo],
    responses((status = 204, description = "Set"), WriteProblems),
    security(("bearer" = [])))]
async fn set_price_thresholds(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<Vec<PriceThresholdIo>>,
) -> Result<StatusCode, ApiError> {
    require_risk_settings(&actor)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut settings = Vec::new();
    let input = body.read()?;
    for t in input {
        let tier = checked(&mut errors, "tier", t.tier.parse::<Tier>());
        let min_arr = match t.min_arr {
            None => Some(None),
            Some(a) => checked(&mut errors, "min_arr", Cents::parse(&a)).map(Some),
        };
        if let (Some(tier), Some(min_arr)) = (tier, min_arr) {
            settings.push((tier, min_arr));
        }
    }
    if !errors.is_empty() {
        return Err(Invalid { errors }.into());
    }
    state.store.set_price_thresholds(&settings).await?;
    state
        .audit(&origin, AuditKind::SettingsChanged, None, "price thresholds")
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
