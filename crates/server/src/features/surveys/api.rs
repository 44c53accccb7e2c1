//! Surveys on the API: create and send them, read their answers, the NPS report, the
//! verbatims (every user reads them) and beta candidates.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use lodestar_domain::survey::{NpsBand, NpsGrouping};
use lodestar_domain::vocabulary::SurveyKind;
use lodestar_domain::{ContactId, Invalid, SurveyId};
use lodestar_store::{BetaCandidate, LinkTarget, NpsLine, Survey, SurveyAnswer};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, Sent};
use crate::AppState;
use crate::features::accounts::ops::existing_in_path;
use crate::features::plans::api::LinkOutput;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, page_limit, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_surveys, create_survey))
        .routes(routes!(get_survey))
        .routes(routes!(send_survey))
        .routes(routes!(nps_report))
        .routes(routes!(verbatims))
        .routes(routes!(beta_candidates))
        .routes(routes!(tag_beta, untag_beta))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyOutput {
    id: i64,
    account_id: i64,
    account_name: String,
    /// nps, csat or micro.
    kind: &'static str,
    question: String,
    /// The lowest score the survey takes.
    lowest: i32,
    /// The highest score the survey takes.
    highest: i32,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    /// Links sent, and answers given through them.
    sent: u32,
    answered: u32,
}

impl From<Survey> for SurveyOutput {
    fn from(s: Survey) -> Self {
        SurveyOutput {
            id: s.id.0,
            account_id: s.account_id.0,
            account_name: s.account_name,
            kind: s.kind.as_str(),
            question: s.question,
            lowest: s.kind.range().0,
            highest: s.kind.range().1,
            created_by: s.created_by,
            created_at: s.created_at,
            sent: s.sent,
            answered: s.answered,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerOutput {
    id: i64,
    survey_id: Option<i64>,
    account_id: i64,
    account_name: String,
    contact_id: Option<i64>,
    contact_name: Option<String>,
    kind: &'static str,
    question: String,
    score: i32,
    /// promoter, passive or detractor, for an NPS answer.
    band: Option<&'static str>,
    comment: Option<String>,
    answered_at: DateTime<Utc>,
    /// Whether the contact is tagged as a beta candidate.
    beta_candidate: bool,
    /// The file's id of an imported answer.
    external_id: Option<String>,
}

impl From<SurveyAnswer> for AnswerOutput {
    fn from(a: SurveyAnswer) -> Self {
        AnswerOutput {
            id: a.id.0,
            survey_id: a.survey_id.map(|s| s.0),
            account_id: a.account_id.0,
            account_name: a.account_name,
            contact_id: a.contact_id.map(|c| c.0),
            contact_name: a.contact_name,
            kind: a.kind.as_str(),
            question: a.question,
            score: a.score,
            band: (a.kind == SurveyKind::Nps).then(|| NpsBand::of(a.score).as_str()),
            comment: a.comment,
            answered_at: a.answered_at,
            beta_candidate: a.beta_candidate,
            external_id: a.external_id,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyBody {
    /// nps (0–10), csat (1–5) or micro (1–5, with its question).
    #[schema(example = "nps")]
    kind: String,
    /// A micro survey's one question; NPS and CSAT ask the standard one.
    #[serde(default)]
    question: String,
}

/// An account's surveys, newest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/surveys", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, description = "The surveys", body = Vec<SurveyOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_surveys(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<SurveyOutput>>, ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    let surveys = state.store.surveys_of_account(id).await?;
    Ok(axum::Json(surveys.into_iter().map(Into::into).collect()))
}

/// Write a survey for an account (then send it to its contacts).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/surveys", tag = "surveys", params(("id" = i64, Path)),
    request_body = SurveyBody,
    responses((status = 201, description = "Written", body = SurveyOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_survey(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<SurveyBody>,
) -> Result<(StatusCode, axum::Json<SurveyOutput>), ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let b = body.read()?;
    let survey = ops::create(&state, &actor, id, ops::survey_fields(&b.kind, &b.question)?).await?;
    Ok((StatusCode::CREATED, axum::Json(survey.into())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyDetailOutput {
    survey: SurveyOutput,
    answers: Vec<AnswerOutput>,
    /// Every link sent (their secrets are never shown again).
    links: Vec<LinkOutput>,
}

/// A survey with its answers and links.
#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, description = "The survey", body = SurveyDetailOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_survey(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<SurveyDetailOutput>, ApiError> {
    let id = SurveyId(path_id(id)?);
    let survey = state.store.survey(id).await?;
    let answers = state.store.survey_answers(id).await?;
    let links = state.store.customer_links_to(LinkTarget::Survey(id)).await?;
    Ok(axum::Json(SurveyDetailOutput {
        survey: survey.into(),
        answers: answers.into_iter().map(Into::into).collect(),
        links: links.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    /// The account's contacts to ask; each gets a link of their own and answers once.
    contact_ids: Vec<i64>,
    /// How long the links live: 1 to 180 days, 30 by default.
    expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SentLink {
    contact_name: String,
    /// The address to give the contact: it holds the link's secret and is shown only here.
    url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SentOutput {
    /// Whom an email with their link was queued for (when this server sends email).
    emailed: Vec<String>,
    /// Otherwise the links to hand over, shown this once.
    links: Vec<SentLink>,
}

/// Send the survey to contacts of its account. With SMTP configured each gets an email whose
/// link is made as it is sent (the secret is never stored; a failed send withdraws it);
/// without, the links are in this answer, once.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/send", tag = "surveys", params(("id" = i64, Path)),
    request_body = SendBody,
    responses((status = 201, description = "Sent", body = SentOutput), WriteProblems),
    security(("bearer" = [])))]
async fn send_survey(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    headers: HeaderMap,
    id: IdPath,
    body: Json<SendBody>,
) -> Result<(StatusCode, axum::Json<SentOutput>), ApiError> {
    let id = SurveyId(path_id(id)?);
    ops::sendable(&state, &actor, id).await?;
    let b = body.read()?;
    let sent = ops::send(&state, &actor, &origin, &headers, id, &b.contact_ids, b.expires_in_days).await?;
    let out = match sent {
        Sent::Emailed(to) => SentOutput {
            emailed: to,
            links: Vec::new(),
        },
        Sent::Links(links) => SentOutput {
            emailed: Vec::new(),
            links: links
                .into_iter()
                .map(|(contact_name, url)| SentLink { contact_name, url })
                .collect(),
        },
    };
    Ok((StatusCode::CREATED, axum::Json(out)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct NpsParams {
    /// account (the default), tier, month or quarter.
    pub(crate) by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NpsLineOutput {
    /// The account's name, the tier or the period (`2026-03`, `2026-Q1`).
    label: String,
    account_id: Option<i64>,
    /// −100 to 100; none without answers.
    nps: Option<i32>,
    promoters: u32,
    passives: u32,
    detractors: u32,
    /// NPS links sent, answered through them, and the share answered (%).
    sent: u32,
    answered: u32,
    response_rate: Option<u32>,
}

impl From<NpsLine> for NpsLineOutput {
    fn from(l: NpsLine) -> Self {
        NpsLineOutput {
            label: l.label,
            account_id: l.account_id.map(|a| a.0),
            nps: l.tally.nps(),
            promoters: l.tally.promoters,
            passives: l.tally.passives,
            detractors: l.tally.detractors,
            sent: l.tally.sent,
            answered: l.tally.answered,
            response_rate: l.tally.response_rate(),
        }
    }
}

pub(crate) fn grouping(by: Option<&str>) -> Result<NpsGrouping, ApiError> {
    Ok(NpsGrouping::parse(by.unwrap_or_default()).map_err(|e| Invalid::field("by", e))?)
}

/// NPS by account, segment (tier) or period, with response rates (answers ÷ links sent).
#[utoipa::path(get, path = "/api/v1/surveys/nps", tag = "surveys", params(NpsParams),
    responses((status = 200, description = "The report", body = Vec<NpsLineOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn nps_report(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    params: Result<Query<NpsParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<NpsLineOutput>>, ApiError> {
    let Query(params) = params?;
    let lines = state.store.nps_report(grouping(params.by.as_deref())?).await?;
    Ok(axum::Json(lines.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct VerbatimParams {
    /// Words the comment or the account's name holds.
    pub(crate) q: Option<String>,
    /// 1–500, 50 by default.
    pub(crate) limit: Option<u32>,
    pub(crate) offset: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerbatimsOutput {
    total: u64,
    answers: Vec<AnswerOutput>,
}

/// The comments of every survey answer, newest first: readable by every user (seed 001).
#[utoipa::path(get, path = "/api/v1/surveys/verbatims", tag = "surveys", params(VerbatimParams),
    responses((status = 200, description = "The verbatims", body = VerbatimsOutput), ReadProblems),
    security(("bearer" = [])))]
async fn verbatims(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    params: Result<Query<VerbatimParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<VerbatimsOutput>, ApiError> {
    let Query(params) = params?;
    let limit = page_limit(params.limit, 50)?;
    let (total, answers) = state
        .store
        .survey_verbatims(params.q.as_deref(), limit, params.offset.unwrap_or_default())
        .await?;
    Ok(axum::Json(VerbatimsOutput {
        total,
        answers: answers.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BetaCandidateOutput {
    contact_id: i64,
    contact_name: String,
    email: Option<String>,
    account_id: i64,
    account_name: String,
    note: String,
    tagged_by: Option<String>,
    tagged_at: DateTime<Utc>,
}

impl From<BetaCandidate> for BetaCandidateOutput {
    fn from(b: BetaCandidate) -> Self {
        BetaCandidateOutput {
            contact_id: b.contact_id.0,
            contact_name: b.contact_name,
            email: b.email,
            account_id: b.account_id.0,
            account_name: b.account_name,
            note: b.note,
            tagged_by: b.tagged_by,
            tagged_at: b.tagged_at,
        }
    }
}

/// The contacts tagged as beta candidates, most recent first.
#[utoipa::path(get, path = "/api/v1/surveys/beta-candidates", tag = "surveys",
    responses((status = 200, description = "The candidates", body = Vec<BetaCandidateOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn beta_candidates(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<Vec<BetaCandidateOutput>>, ApiError> {
    let all = state.store.beta_candidates().await?;
    Ok(axum::Json(all.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BetaBody {
    /// Why: what they wrote, what they would test.
    #[serde(default)]
    note: String,
}

/// Tag a contact as a beta candidate (again: the note is replaced).
#[utoipa::path(put, path = "/api/v1/contacts/{id}/beta-candidate", tag = "surveys", params(("id" = i64, Path)),
    request_body = BetaBody,
    responses((status = 204, description = "Tagged"), WriteProblems),
    security(("bearer" = [])))]
async fn tag_beta(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<BetaBody>,
) -> Result<StatusCode, ApiError> {
    let id = ContactId(path_id(id)?);
    may_tag(&state, &actor, id).await?;
    let b = body.read()?;
    ops::tag_beta(&state, &actor, id, true, &b.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a contact's beta-candidate tag.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}/beta-candidate", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 204, description = "Untagged"), WriteProblems),
    security(("bearer" = [])))]
async fn untag_beta(State(state): State<AppState>, Caller(actor): Caller, id: IdPath) -> Result<StatusCode, ApiError> {
    let id = ContactId(path_id(id)?);
    ops::tag_beta(&state, &actor, id, false, "").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The permission check before the body is read.
async fn may_tag(state: &AppState, actor: &lodestar_domain::access::Actor, id: ContactId) -> Result<(), ApiError> {
    let found = state
        .store
        .contact(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("contact {id} does not exist")))?;
    crate::features::accounts::ops::writable(&state.store, actor, found.fields.account_id).await?;
    Ok(())
}
