//! Handoff and deal quality on the API: the team's qualification list, an account's handoffs
//! (a closed deal handed to CS), acceptance at kickoff, a rejection asked for and decided, and
//! every deal with its exceptions beside the account's renewal outcome.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::handoff::{HandoffId, HandoffState};
use lodestar_store::Handoff;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, HandoffInput, handoff_fields, labels};
use crate::AppState;
use crate::features::accounts::ops::{existing_in_path, writable};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_criteria, set_criteria))
        .routes(routes!(list_account_handoffs))
        .routes(routes!(create_handoff))
        .routes(routes!(list_handoffs))
        .routes(routes!(get_handoff, update_handoff))
        .routes(routes!(accept_handoff))
        .routes(routes!(request_rejection))
        .routes(routes!(decide_rejection))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualificationCriteria {
    /// The CS-qualification criteria every new handoff starts from, in order.
    #[schema(example = json!(["Executive sponsor named", "Success criteria agreed in writing"]))]
    criteria: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandoffCriterionOutput {
    name: String,
    met: bool,
    /// Named by the CSM's rejection as not met.
    cited: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealExceptionItem {
    /// discount, payment_terms, special_terms, scope or other.
    #[schema(example = "discount")]
    kind: String,
    #[schema(example = "20% off year one")]
    detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalOutcomeOutput {
    /// The latest renewal, expansion, contraction or churn after signature; null while none.
    #[schema(example = "renewal")]
    kind: Option<&'static str>,
    on: Option<NaiveDate>,
    /// The account's next renewal.
    renewal_date: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandoffOutput {
    id: i64,
    account_id: i64,
    account_name: String,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    signed_on: NaiveDate,
    /// Four business days after signature.
    kickoff_due_on: NaiveDate,
    goals: String,
    pain_points: String,
    /// handed_off, accepted, rejection_requested or rejected.
    #[schema(example = "handed_off")]
    state: &'static str,
    criteria: Vec<HandoffCriterionOutput>,
    exceptions: Vec<DealExceptionItem>,
    rejection_reason: Option<String>,
    rejection_requested_by: Option<String>,
    rejection_requested_at: Option<DateTime<Utc>>,
    decided_by: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    decision_note: Option<String>,
    /// How the account's contracts moved after the deal: shown beside its exceptions.
    outcome: RenewalOutcomeOutput,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Handoff> for HandoffOutput {
    fn from(h: Handoff) -> Self {
        HandoffOutput {
            id: h.id.0,
            account_id: h.account_id.0,
            account_name: h.account_name,
            owner_id: h.account_owner_id.map(|u| u.0),
            owner_name: h.account_owner,
            signed_on: h.signed_on,
            kickoff_due_on: h.kickoff_due_on,
            goals: h.goals.to_string(),
            pain_points: h.pain_points.to_string(),
            state: h.state.as_str(),
            criteria: h
                .criteria
                .into_iter()
                .map(|c| HandoffCriterionOutput {
                    name: c.name.to_string(),
                    met: c.met,
                    cited: c.cited,
                })
                .collect(),
            exceptions: h
                .exceptions
                .into_iter()
                .map(|e| DealExceptionItem {
                    kind: e.kind.as_str().to_owned(),
                    detail: e.detail.to_string(),
                })
                .collect(),
            rejection_reason: h.rejection_reason.map(|n| n.to_string()),
            rejection_requested_by: h.rejection_requested_by,
            rejection_requested_at: h.rejection_requested_at,
            decided_by: h.decided_by,
            decided_at: h.decided_at,
            decision_note: h.decision_note.map(|n| n.to_string()),
            outcome: RenewalOutcomeOutput {
                kind: h.outcome.kind.map(|k| k.as_str()),
                on: h.outcome.on,
                renewal_date: h.outcome.renewal_date,
            },
            created_by: h.created_by,
            created_at: h.created_at,
            updated_at: h.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffCriterionInput {
    name: String,
    #[serde(default)]
    met: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffBody {
    /// The day the customer signed.
    signed_on: Option<NaiveDate>,
    /// The goals the customer bought for, as Sales heard them.
    #[schema(example = "Halve the time to onboard a franchise")]
    goals: String,
    #[serde(default)]
    #[schema(example = "Three spreadsheets and a shared inbox")]
    pain_points: String,
    /// The criteria as checked. Left out: the team's list, with those named in `met` met.
    #[serde(default)]
    criteria: Option<Vec<HandoffCriterionInput>>,
    /// With the team's list: the criteria that were met.
    #[serde(default)]
    met: Vec<String>,
    /// Discounts and special terms granted to close the deal.
    #[serde(default)]
    exceptions: Vec<DealExceptionItem>,
}

impl HandoffBody {
    async fn fields(
        &self,
        state: &AppState,
    ) -> Result<lodestar_domain::Valid<lodestar_domain::handoff::HandoffFields>, ApiError> {
        let team: Vec<String> = match &self.criteria {
            Some(_) => Vec::new(),
            None => state
                .store
                .qualification_criteria()
                .await?
                .iter()
                .map(ToString::to_string)
                .collect(),
        };
        let criteria: Vec<(&str, bool)> = match &self.criteria {
            Some(list) => list.iter().map(|c| (c.name.as_str(), c.met)).collect(),
            None => {
                if let Some(unknown) = self
                    .met
                    .iter()
                    .find(|m| !team.iter().any(|t| t.eq_ignore_ascii_case(m)))
                {
                    return Err(lodestar_domain::Invalid::field(
                        "met",
                        format!("{unknown:?} is not on the team's qualification list"),
                    )
                    .into());
                }
                team.iter()
                    .map(|t| (t.as_str(), self.met.iter().any(|m| m.eq_ignore_ascii_case(t))))
                    .collect()
            }
        };
        handoff_fields(HandoffInput {
            signed_on: self.signed_on,
            goals: &self.goals,
            pain_points: &self.pain_points,
            criteria,
            exceptions: self
                .exceptions
                .iter()
                .map(|e| (e.kind.as_str(), e.detail.as_str()))
                .collect(),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffRejectionBody {
    /// The criteria of this handoff that were not met.
    #[schema(example = json!(["Success criteria agreed in writing"]))]
    criteria: Vec<String>,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffDecisionBody {
    /// true: the deal is rejected; false: the rejection is declined and the deal stands.
    approve: bool,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoffQuery {
    /// Only handoffs in this state.
    state: Option<String>,
}

fn handoff_of(id: IdPath) -> Result<HandoffId, ApiError> {
    Ok(HandoffId(path_id(id)?))
}

/// The team's CS-qualification list.
#[utoipa::path(get, path = "/api/v1/qualification-criteria", tag = "handoffs",
    responses((status = 200, description = "The list", body = QualificationCriteria), ReadProblems),
    security(("bearer" = [])))]
async fn get_criteria(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<QualificationCriteria>, ApiError> {
    let criteria = state.store.qualification_criteria().await?;
    Ok(axum::Json(QualificationCriteria {
        criteria: criteria.iter().map(ToString::to_string).collect(),
    }))
}

/// Replace the team's CS-qualification list (leaders and admins); handoffs already made keep
/// theirs.
#[utoipa::path(put, path = "/api/v1/qualification-criteria", tag = "handoffs",
    request_body = QualificationCriteria,
    responses((status = 200, description = "Replaced", body = QualificationCriteria), WriteProblems),
    security(("bearer" = [])))]
async fn set_criteria(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<QualificationCriteria>,
) -> Result<axum::Json<QualificationCriteria>, ApiError> {
    ops::may_lead(&actor)?;
    let input = body.read()?;
    let names = labels(input.criteria.iter().map(String::as_str))?;
    let kept = ops::set_criteria(&state.store, &actor, names).await?;
    Ok(axum::Json(QualificationCriteria {
        criteria: kept.iter().map(ToString::to_string).collect(),
    }))
}

/// An account's handoffs, the latest deal first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/handoffs", tag = "handoffs", params(("id" = i64, Path)),
    responses((status = 200, description = "The handoffs", body = Vec<HandoffOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_account_handoffs(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<HandoffOutput>>, ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    let found = state.store.handoffs_of_account(id).await?;
    Ok(axum::Json(found.into_iter().map(Into::into).collect()))
}

/// Close a deal: hand it to CS with the goals, pain points, criteria checked and exceptions
/// (the account's CSM, leaders and admins). The kickoff is due four business days after
/// signature.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/handoff", tag = "handoffs", params(("id" = i64, Path)),
    request_body = HandoffBody,
    responses((status = 201, description = "Handed off", body = HandoffOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_handoff(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<HandoffBody>,
) -> Result<(StatusCode, axum::Json<HandoffOutput>), ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    writable(&state.store, &actor, id).await?;
    let fields = body.read()?.fields(&state).await?;
    let handoff = ops::create(&state.store, &actor, id, fields).await?;
    Ok((StatusCode::CREATED, axum::Json(handoff.into())))
}

/// Every handoff (in one state when asked): rejections awaiting a leader first, then the
/// latest deals, each with its exceptions and the account's renewal outcome.
#[utoipa::path(get, path = "/api/v1/handoffs", tag = "handoffs", params(HandoffQuery),
    responses((status = 200, description = "The handoffs", body = Vec<HandoffOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_handoffs(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    Query(q): Query<HandoffQuery>,
) -> Result<axum::Json<Vec<HandoffOutput>>, ApiError> {
    let filter = q
        .state
        .as_deref()
        .map(str::parse::<HandoffState>)
        .transpose()
        .map_err(|e| lodestar_domain::Invalid::field("state", e))?;
    let found = state.store.handoffs(filter).await?;
    Ok(axum::Json(found.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/handoffs/{id}", tag = "handoffs", params(("id" = i64, Path)),
    responses((status = 200, description = "The handoff", body = HandoffOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_handoff(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<HandoffOutput>, ApiError> {
    Ok(axum::Json(state.store.handoff(handoff_of(id)?).await?.into()))
}

/// Replace what was handed over (criteria ticked, exceptions, goals); refused (409) while a
/// rejection is asked for or decided.
#[utoipa::path(put, path = "/api/v1/handoffs/{id}", tag = "handoffs", params(("id" = i64, Path)),
    request_body = HandoffBody,
    responses((status = 200, description = "Changed", body = HandoffOutput), WriteProblems),
    security(("bearer" = [])))]
async fn update_handoff(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<HandoffBody>,
) -> Result<axum::Json<HandoffOutput>, ApiError> {
    let id = handoff_of(id)?;
    ops::changeable(&state.store, &actor, id).await?;
    let fields = body.read()?.fields(&state).await?;
    Ok(axum::Json(ops::update(&state.store, &actor, id, fields).await?.into()))
}

/// Accept the deal at kickoff (409 unless it was just handed off).
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/accept", tag = "handoffs", params(("id" = i64, Path)),
    responses((status = 200, description = "Accepted", body = HandoffOutput), WriteProblems),
    security(("bearer" = [])))]
async fn accept_handoff(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<axum::Json<HandoffOutput>, ApiError> {
    let id = handoff_of(id)?;
    Ok(axum::Json(ops::accept(&state.store, &actor, id).await?.into()))
}

/// Ask to reject the deal at kickoff, naming the criteria that were not met (the account's
/// CSM; 409 unless it was just handed off). A leader decides.
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/rejection", tag = "handoffs", params(("id" = i64, Path)),
    request_body = HandoffRejectionBody,
    responses((status = 200, description = "Asked for", body = HandoffOutput), WriteProblems),
    security(("bearer" = [])))]
async fn request_rejection(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<HandoffRejectionBody>,
) -> Result<axum::Json<HandoffOutput>, ApiError> {
    let id = handoff_of(id)?;
    ops::changeable(&state.store, &actor, id).await?;
    let input = body.read()?;
    let criteria = labels(input.criteria.iter().map(String::as_str))?;
    Ok(axum::Json(
        ops::request_rejection(&state.store, &actor, id, criteria, &input.reason)
            .await?
            .into(),
    ))
}

/// Decide a rejection (leaders and admins): approve it, or decline it and the deal stands
/// (409 unless a rejection awaits).
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/decision", tag = "handoffs", params(("id" = i64, Path)),
    request_body = HandoffDecisionBody,
    responses((status = 200, description = "Decided", body = HandoffOutput), WriteProblems),
    security(("bearer" = [])))]
async fn decide_rejection(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<HandoffDecisionBody>,
) -> Result<axum::Json<HandoffOutput>, ApiError> {
    ops::may_lead(&actor)?;
    let id = handoff_of(id)?;
    let input = body.read()?;
    Ok(axum::Json(
        ops::decide(&state.store, &actor, id, input.approve, &input.note)
            .await?
            .into(),
    ))
}
