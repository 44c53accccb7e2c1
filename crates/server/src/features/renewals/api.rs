//! Renewals and expansion on the API: the renewal pipeline, a renewal's calls and close, the
//! forecast of a period against what happened, expansion opportunities, and the routing policy.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::renewal::{CategoryLine, ExpansionLine};
use lodestar_domain::vocabulary::{OpportunityKind, OpportunityStage, Route};
use lodestar_domain::{AccountId, ContractId, OpportunityId, UserId};
use lodestar_store::{Forecast, MadeCall, Opportunity, OpportunityFilter, Renewal, RenewalDetail};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, OpportunityInput};
use crate::AppState;
use crate::features::accounts::ops::{existing_in_path, writable};
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, page_limit, path_id, vocab};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pipeline))
        .routes(routes!(get_renewal))
        .routes(routes!(call_renewal))
        .routes(routes!(close_renewal))
        .routes(routes!(forecast))
        .routes(routes!(list_opportunities))
        .routes(routes!(create_opportunity))
        .routes(routes!(get_opportunity, update_opportunity))
        .routes(routes!(list_routes))
        .routes(routes!(set_route))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalCallOutput {
    /// The gut-check: likely, unsure or at_risk.
    outlook: &'static str,
    /// commit, best_case, pipeline or omitted.
    category: &'static str,
    /// The ARR expected at renewal, a decimal string.
    forecast_arr: String,
    note: String,
    made_by: Option<String>,
    made_at: DateTime<Utc>,
}

impl From<&MadeCall> for RenewalCallOutput {
    fn from(c: &MadeCall) -> Self {
        RenewalCallOutput {
            outlook: c.call.outlook.as_str(),
            category: c.call.category.as_str(),
            forecast_arr: c.call.forecast_arr.to_string(),
            note: c.call.note.to_string(),
            made_by: c.made_by.clone(),
            made_at: c.made_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalCloseOutput {
    /// renewed or churned.
    result: &'static str,
    /// The ARR it renewed at (0.00 when it churned), a decimal string.
    renewed_arr: String,
    decided_on: NaiveDate,
    note: String,
    recorded_by: Option<String>,
    recorded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalOutput {
    contract_id: i64,
    contract_external_id: String,
    contract_name: Option<String>,
    account_id: i64,
    account_name: String,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    tier: Option<&'static str>,
    /// red, yellow or green; none before the account is scored.
    health: Option<&'static str>,
    /// The contract's ARR, up for renewal, a decimal string.
    arr: String,
    end_date: NaiveDate,
    /// The latest call, if one was made.
    call: Option<RenewalCallOutput>,
    /// How it closed, once it did.
    closed: Option<RenewalCloseOutput>,
}

impl From<&Renewal> for RenewalOutput {
    fn from(r: &Renewal) -> Self {
        RenewalOutput {
            contract_id: r.contract_id.0,
            contract_external_id: r.contract_external_id.clone(),
            contract_name: r.contract_name.clone(),
            account_id: r.account_id.0,
            account_name: r.account_name.clone(),
            owner_id: r.owner_id.map(|o| o.0),
            owner_name: r.owner.clone(),
            tier: r.tier.map(|t| t.as_str()),
            health: r.health.map(|b| b.as_str()),
            arr: r.arr.to_string(),
            end_date: r.end_date,
            call: r.call.as_ref().map(Into::into),
            closed: r.closed.as_ref().map(|c| RenewalCloseOutput {
                result: c.close.result.as_str(),
                renewed_arr: c.close.renewed_arr.to_string(),
                decided_on: c.close.decided_on,
                note: c.close.note.to_string(),
                recorded_by: c.recorded_by.clone(),
                recorded_at: c.recorded_at,
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalDetailOutput {
    #[serde(flatten)]
    renewal: RenewalOutput,
    /// Every call made on it, the latest first.
    calls: Vec<RenewalCallOutput>,
}

impl From<RenewalDetail> for RenewalDetailOutput {
    fn from(d: RenewalDetail) -> Self {
        RenewalDetailOutput {
            renewal: (&d.renewal).into(),
            calls: d.calls.iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PipelineQuery {
    /// 30, 60, 90 or 180: contracts ending within this many days (90 when left out), plus
    /// those that ended in the last 90 days with no result recorded.
    pub within_days: Option<u32>,
    /// One CSM's book; the whole portfolio when left out.
    pub owner_id: Option<i64>,
}

/// The renewal pipeline: contracts ending within the window whose renewal has not closed, and
/// those that ended in the last 90 days with no result recorded, the soonest first, each with the latest
/// call (gut-check, forecast category, ARR expected).
#[utoipa::path(get, path = "/api/v1/renewals", tag = "renewals", params(PipelineQuery),
    responses((status = 200, description = "The renewals", body = Vec<RenewalOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn pipeline(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<PipelineQuery>, QueryRejection>,
) -> Result<axum::Json<Vec<RenewalOutput>>, ApiError> {
    let Query(q) = query?;
    let within = ops::window(q.within_days)?;
    let found = state
        .store
        .renewal_pipeline(q.owner_id.map(UserId), state.store.today(), within)
        .await?;
    Ok(axum::Json(found.iter().map(Into::into).collect()))
}

/// A contract's renewal with every call made on it.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/renewal", tag = "renewals", params(("id" = i64, Path)),
    responses((status = 200, description = "The renewal", body = RenewalDetailOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_renewal(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<RenewalDetailOutput>, ApiError> {
    let detail = state.store.renewal(ContractId(path_id(id)?)).await?;
    Ok(axum::Json(detail.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewalCallBody {
    /// The gut-check: likely, unsure or at_risk.
    #[schema(example = "likely")]
    outlook: String,
    /// commit, best_case, pipeline or omitted. A renewal at risk is not a commit.
    #[schema(example = "commit")]
    category: String,
    /// The ARR expected at renewal, e.g. "48000" or "48,000.00"; 0 when omitted.
    #[schema(example = "48000")]
    forecast_arr: String,
    #[serde(default)]
    note: String,
}

/// Make a call on a renewal (the account's CSM, leaders and admins): the calls before it stay
/// in its history, so the forecast a period began with can be held against what happened.
/// 409 once the renewal closed.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/renewal/calls", tag = "renewals", params(("id" = i64, Path)),
    request_body = RenewalCallBody,
    responses((status = 201, description = "Called", body = RenewalDetailOutput), WriteProblems),
    security(("bearer" = [])))]
async fn call_renewal(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<RenewalCallBody>,
) -> Result<(StatusCode, axum::Json<RenewalDetailOutput>), ApiError> {
    let contract = ContractId(path_id(id)?);
    ops::changeable_renewal(&state, &actor, contract).await?;
    let b = body.read()?;
    let call = ops::call(&b.outlook, &b.category, &b.forecast_arr, &b.note)?;
    let detail = state.store.call_renewal(contract, call, actor.user).await?;
    Ok((StatusCode::CREATED, axum::Json(detail.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewalCloseBody {
    /// renewed or churned.
    #[schema(example = "renewed")]
    result: String,
    /// The ARR it renewed at: more than 0 when renewed, 0 when churned.
    #[schema(example = "52000")]
    renewed_arr: String,
    /// The day it was decided, not after today; today when left out.
    decided_on: Option<NaiveDate>,
    #[serde(default)]
    note: String,
}

/// Record how a renewal closed (the account's CSM, leaders and admins); audited and on the
/// account's timeline. 409 when it closed already.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/renewal/close", tag = "renewals", params(("id" = i64, Path)),
    request_body = RenewalCloseBody,
    responses((status = 200, description = "Closed", body = RenewalDetailOutput), WriteProblems),
    security(("bearer" = [])))]
async fn close_renewal(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
    body: Json<RenewalCloseBody>,
) -> Result<axum::Json<RenewalDetailOutput>, ApiError> {
    let contract = ContractId(path_id(id)?);
    ops::changeable_renewal(&state, &actor, contract).await?;
    let b = body.read()?;
    let close = ops::close(&b.result, &b.renewed_arr, b.decided_on, &b.note, state.store.today())?;
    let detail = ops::close_renewal(&state, &actor, &origin, contract, close).await?;
    Ok(axum::Json(detail.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// The period's first day.
    pub from: NaiveDate,
    /// The day after the period's last.
    pub to: NaiveDate,
    /// One CSM's book; the whole portfolio when left out.
    pub owner_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryLineOutput {
    /// The category the renewals carried when the period began; null: not called by then.
    category: Option<&'static str>,
    renewals: u32,
    forecast_arr: String,
    renewed_arr: String,
    churned: u32,
    /// Still open: no result recorded.
    open: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpansionOutput {
    /// Open opportunities expected to close in the period.
    open: u32,
    open_amount: String,
    /// Won and lost in the period.
    won: u32,
    won_amount: String,
    lost: u32,
    lost_amount: String,
}

impl From<ExpansionLine> for ExpansionOutput {
    fn from(e: ExpansionLine) -> Self {
        ExpansionOutput {
            open: e.open,
            open_amount: e.open_amount.to_string(),
            won: e.won,
            won_amount: e.won_amount.to_string(),
            lost: e.lost,
            lost_amount: e.lost_amount.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalForecastOutput {
    from: NaiveDate,
    to: NaiveDate,
    /// Renewals due in the period and their contracts' ARR.
    due: u32,
    due_arr: String,
    /// As called when the period began: commit, and commit plus best case.
    commit_arr: String,
    best_case_arr: String,
    renewed: u32,
    renewed_arr: String,
    churned: u32,
    open: u32,
    /// Renewed ARR (each capped at its contract's ARR) over the ARR of the renewals closed,
    /// in per mille.
    gross_renewal_per_mille: Option<i64>,
    /// Renewed ARR over the commit called at the start, in per mille.
    commit_attainment_per_mille: Option<i64>,
    by_category: Vec<CategoryLineOutput>,
    expansion: ExpansionOutput,
}

impl From<Forecast> for RenewalForecastOutput {
    fn from(f: Forecast) -> Self {
        let r = f.renewals;
        let line =
            |(category, l): (Option<lodestar_domain::vocabulary::ForecastCategory>, CategoryLine)| CategoryLineOutput {
                category: category.map(|c| c.as_str()),
                renewals: l.renewals,
                forecast_arr: l.forecast_arr.to_string(),
                renewed_arr: l.renewed_arr.to_string(),
                churned: l.churned,
                open: l.open,
            };
        RenewalForecastOutput {
            from: f.from,
            to: f.to,
            due: r.due,
            due_arr: r.due_arr.to_string(),
            commit_arr: r.commit_arr.to_string(),
            best_case_arr: r.best_case_arr.to_string(),
            renewed: r.renewed,
            renewed_arr: r.renewed_arr.to_string(),
            churned: r.churned,
            open: r.open,
            gross_renewal_per_mille: r.gross_renewal_per_mille,
            commit_attainment_per_mille: r.commit_attainment_per_mille,
            by_category: r.by_category.into_iter().map(line).collect(),
            expansion: f.expansion.into(),
        }
    }
}

/// The forecast of `[from, to)` against what happened: the renewals due in it, each at the
/// call it carried when the period began, against how they closed; and the expansion expected
/// to close in it against what was won and lost.
#[utoipa::path(get, path = "/api/v1/renewals/forecast", tag = "renewals", params(ForecastQuery),
    responses((status = 200, description = "The forecast", body = RenewalForecastOutput), ReadProblems),
    security(("bearer" = [])))]
async fn forecast(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<ForecastQuery>, QueryRejection>,
) -> Result<axum::Json<RenewalForecastOutput>, ApiError> {
    let Query(q) = query?;
    if q.to <= q.from || (q.to - q.from).num_days() > 366 * 2 {
        return Err(lodestar_domain::Invalid::field("to", "must be after from, at most two years later").into());
    }
    let found = state
        .store
        .renewal_forecast(q.from, q.to, q.owner_id.map(UserId))
        .await?;
    Ok(axum::Json(found.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunityOutput {
    id: i64,
    account_id: i64,
    account_name: String,
    /// price_increase, consumption, organic_seats, new_division or new_product.
    kind: &'static str,
    /// Whether it sells something new (a cross-sell) rather than more of the same.
    cross_sell: bool,
    title: String,
    /// The ARR it would add, a decimal string.
    amount: String,
    expected_close: NaiveDate,
    /// identified, qualified, proposal, won or lost.
    stage: &'static str,
    closed_on: Option<NaiveDate>,
    note: String,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    /// Why this owner: the routing policy applied when it was opened.
    routed: String,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Opportunity> for OpportunityOutput {
    fn from(o: Opportunity) -> Self {
        OpportunityOutput {
            id: o.id.0,
            account_id: o.account_id.0,
            account_name: o.account_name,
            kind: o.fields.kind.as_str(),
            cross_sell: lodestar_domain::renewal::is_cross_sell(o.fields.kind),
            title: o.fields.title.to_string(),
            amount: o.fields.amount.to_string(),
            expected_close: o.fields.expected_close,
            stage: o.fields.stage.as_str(),
            closed_on: o.closed_on,
            note: o.fields.note.to_string(),
            owner_id: o.owner_id.map(|u| u.0),
            owner_name: o.owner,
            routed: o.routed,
            created_by: o.created_by,
            created_at: o.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OpportunityQuery {
    pub account_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// price_increase, consumption, organic_seats, new_division or new_product.
    pub kind: Option<String>,
    /// identified, qualified, proposal, won or lost.
    pub stage: Option<String>,
    /// Only those not won or lost.
    pub open: Option<bool>,
    #[param(minimum = 0)]
    pub offset: Option<u32>,
    /// Page size, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunityPage {
    items: Vec<OpportunityOutput>,
    total: i64,
}

/// Upsell and cross-sell opportunities, the soonest expected close first.
#[utoipa::path(get, path = "/api/v1/opportunities", tag = "renewals", params(OpportunityQuery),
    responses((status = 200, description = "A page of opportunities", body = OpportunityPage), ReadProblems),
    security(("bearer" = [])))]
async fn list_opportunities(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<OpportunityQuery>, QueryRejection>,
) -> Result<axum::Json<OpportunityPage>, ApiError> {
    let Query(q) = query?;
    let filter = OpportunityFilter {
        account: q.account_id.map(AccountId),
        owner: q.owner_id.map(UserId),
        kind: vocab::<OpportunityKind>("kind", q.kind)?,
        stage: vocab::<OpportunityStage>("stage", q.stage)?,
        open_only: q.open.unwrap_or(false),
    };
    let (total, items) = state
        .store
        .opportunities(&filter, page_limit(q.limit, 50)?, q.offset.unwrap_or(0))
        .await?;
    Ok(axum::Json(OpportunityPage {
        items: items.into_iter().map(Into::into).collect(),
        total,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpportunityBody {
    /// price_increase, consumption, organic_seats, new_division or new_product.
    #[schema(example = "organic_seats")]
    kind: String,
    #[schema(example = "40 more seats for the EMEA rollout")]
    title: String,
    /// The ARR it would add, e.g. "12000".
    #[schema(example = "12000")]
    amount: String,
    expected_close: Option<NaiveDate>,
    /// identified (when left out), qualified, proposal, won or lost.
    #[serde(default)]
    stage: String,
    #[serde(default)]
    note: String,
}

impl OpportunityBody {
    fn input(&self) -> OpportunityInput<'_> {
        OpportunityInput {
            kind: &self.kind,
            title: &self.title,
            amount: &self.amount,
            expected_close: self.expected_close,
            stage: &self.stage,
            note: &self.note,
        }
    }
}

/// Open an opportunity on an account (its CSM, leaders and admins). The owner is routed by the
/// kind of growth: by default price increases, consumption and organic seats to the account's
/// CSM, a new division or product to its account executive (its CSM when it has none).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/opportunities", tag = "renewals", params(("id" = i64, Path)),
    request_body = OpportunityBody,
    responses((status = 201, description = "Opened", body = OpportunityOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_opportunity(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<OpportunityBody>,
) -> Result<(StatusCode, axum::Json<OpportunityOutput>), ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    writable(&state.store, &actor, id).await?;
    let fields = ops::opportunity_fields(body.read()?.input(), state.store.today())?;
    let opportunity = state.store.create_opportunity(id, fields, actor.user).await?;
    Ok((StatusCode::CREATED, axum::Json(opportunity.into())))
}

#[utoipa::path(get, path = "/api/v1/opportunities/{id}", tag = "renewals", params(("id" = i64, Path)),
    responses((status = 200, description = "The opportunity", body = OpportunityOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_opportunity(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<OpportunityOutput>, ApiError> {
    let found = state.store.opportunity(OpportunityId(path_id(id)?)).await?;
    Ok(axum::Json(found.into()))
}

/// Replace an opportunity's fields (its owner, and whoever may change its account): moving it
/// to won or lost dates its close and writes it on the account's timeline.
#[utoipa::path(put, path = "/api/v1/opportunities/{id}", tag = "renewals", params(("id" = i64, Path)),
    request_body = OpportunityBody,
    responses((status = 200, description = "Changed", body = OpportunityOutput), WriteProblems),
    security(("bearer" = [])))]
async fn update_opportunity(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<OpportunityBody>,
) -> Result<axum::Json<OpportunityOutput>, ApiError> {
    let id = OpportunityId(path_id(id)?);
    ops::movable(&state.store, &actor, id).await?;
    let fields = ops::opportunity_fields(body.read()?.input(), state.store.today())?;
    let changed = state.store.update_opportunity(id, fields, actor.user).await?;
    Ok(axum::Json(changed.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RouteOutput {
    /// price_increase, consumption, organic_seats, new_division or new_product.
    kind: &'static str,
    /// csm or ae.
    route: &'static str,
}

fn routes_output(all: Vec<(OpportunityKind, Route)>) -> Vec<RouteOutput> {
    all.into_iter()
        .map(|(kind, route)| RouteOutput {
            kind: kind.as_str(),
            route: route.as_str(),
        })
        .collect()
}

/// Who works each kind of expansion (the defaults until an admin sets one: more of the same —
/// price, consumption, organic seats — to the CSM; a new division or product to the AE).
#[utoipa::path(get, path = "/api/v1/opportunity-routes", tag = "renewals",
    responses((status = 200, description = "The routing policy", body = Vec<RouteOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_routes(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<Vec<RouteOutput>>, ApiError> {
    Ok(axum::Json(routes_output(state.store.opportunity_routes().await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteBody {
    /// csm or ae.
    #[schema(example = "ae")]
    route: String,
}

/// Set who works one kind of expansion from now on (admins; audited). Opportunities already
/// open keep their owner. Returns the whole policy.
#[utoipa::path(put, path = "/api/v1/opportunity-routes/{kind}", tag = "renewals",
    params(("kind" = String, Path, description = "price_increase, consumption, organic_seats, new_division or new_product")),
    request_body = RouteBody,
    responses((status = 200, description = "Set", body = Vec<RouteOutput>), WriteProblems),
    security(("bearer" = [])))]
async fn set_route(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    Path(kind): Path<String>,
    body: Json<RouteBody>,
) -> Result<axum::Json<Vec<RouteOutput>>, ApiError> {
    ops::may_route(&actor)?;
    let b = body.read()?;
    let all = ops::set_route(&state, &actor, &origin, &kind, &b.route).await?;
    Ok(axum::Json(routes_output(all)))
}
