//! The playbook library (F-32) on the API: the library, outcomes, risk playbooks, outreach
//! emails and the change requests of churn retrospectives.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use lodestar_domain::playbook::{OutreachApproach, PlaybookTarget, segment_warning};
use lodestar_domain::vocabulary::Tier;
use lodestar_domain::{ContactId, OutcomeId, PlaybookChangeId};
use lodestar_store::{LibraryOutcome, Outreach, PlaybookChange, RiskPlaybook};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, OutcomeInput};
use crate::AppState;
use crate::features::accounts::ops::existing_in_path;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, DeleteProblems, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_library))
        .routes(routes!(create_outcome))
        .routes(routes!(get_outcome, update_outcome, delete_outcome))
        .routes(routes!(save_risk_playbook))
        .routes(routes!(preview_outreach))
        .routes(routes!(send_outreach))
        .routes(routes!(request_change))
        .routes(routes!(resolve_change))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TacticOutput {
    /// Stays the same while the outcome is edited: what a success plan refers to.
    id: i64,
    title: String,
    description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseStudyOutput {
    title: String,
    customer: String,
    text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoiOutput {
    label: String,
    #[schema(example = "2.5")]
    value: String,
    unit: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeOutput {
    id: i64,
    #[schema(example = "enterprise")]
    tier: String,
    title: String,
    description: String,
    tactics: Vec<TacticOutput>,
    case_studies: Vec<CaseStudyOutput>,
    roi_figures: Vec<RoiOutput>,
    updated_by: Option<String>,
    updated_at: DateTime<Utc>,
}

impl From<LibraryOutcome> for OutcomeOutput {
    fn from(o: LibraryOutcome) -> Self {
        let f = o.outcome.fields;
        OutcomeOutput {
            id: o.outcome.id.0,
            tier: f.tier.as_str().to_owned(),
            title: f.title.to_string(),
            description: f.description.to_string(),
            tactics: f
                .tactics
                .into_iter()
                .map(|t| TacticOutput {
                    id: t.id.map_or(0, |id| id.0),
                    title: t.title.to_string(),
                    description: t.description.to_string(),
                })
                .collect(),
            case_studies: f
                .case_studies
                .into_iter()
                .map(|c| CaseStudyOutput {
                    title: c.title.to_string(),
                    customer: c.customer.to_string(),
                    text: c.text.to_string(),
                })
                .collect(),
            roi_figures: f
                .roi_figures
                .into_iter()
                .map(|r| RoiOutput {
                    label: r.label.to_string(),
                    value: r.value.to_string(),
                    unit: r.unit.to_string(),
                })
                .collect(),
            updated_by: o.updated_by,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentOutput {
    #[schema(example = "enterprise")]
    tier: String,
    label: String,
    /// Said when the segment has fewer than 3 outcomes.
    warning: Option<String>,
    outcomes: Vec<OutcomeOutput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RiskPlaybookOutput {
    /// open_question, menu_of_options or open_channel.
    #[schema(example = "open_question")]
    approach: String,
    label: String,
    /// The industry exposure it is for: high, moderate or low.
    #[schema(example = "high")]
    exposure: String,
    /// What the approach asks of the email.
    guidance: String,
    /// None until a leader writes the template.
    subject: Option<String>,
    body: Option<String>,
    updated_by: Option<String>,
    updated_at: Option<DateTime<Utc>>,
}

impl RiskPlaybookOutput {
    fn of(approach: OutreachApproach, written: Option<RiskPlaybook>) -> Self {
        let (subject, body, updated_by, updated_at) = match written {
            Some(p) => (
                Some(p.template.subject),
                Some(p.template.body.to_string()),
                p.updated_by,
                Some(p.updated_at),
            ),
            None => (None, None, None, None),
        };
        RiskPlaybookOutput {
            approach: approach.as_str().to_owned(),
            label: approach.label().to_owned(),
            exposure: approach.exposure().as_str().to_owned(),
            guidance: approach.guidance().to_owned(),
            subject,
            body,
            updated_by,
            updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybookChangeOutput {
    id: i64,
    /// The churned account whose retrospective asks for it.
    account_id: i64,
    account_name: String,
    /// The outcome to change…
    outcome_id: Option<i64>,
    /// …or the risk playbook.
    approach: Option<String>,
    /// The outcome's title or the risk playbook's name.
    target: String,
    note: String,
    requested_by: Option<String>,
    requested_at: DateTime<Utc>,
    resolved_by: Option<String>,
    resolved_at: Option<DateTime<Utc>>,
}

impl From<PlaybookChange> for PlaybookChangeOutput {
    fn from(c: PlaybookChange) -> Self {
        let (outcome_id, approach) = match c.target {
            PlaybookTarget::Outcome(id) => (Some(id.0), None),
            PlaybookTarget::Risk(a) => (None, Some(a.as_str().to_owned())),
        };
        PlaybookChangeOutput {
            id: c.id.0,
            account_id: c.account_id.0,
            account_name: c.account_name,
            outcome_id,
            approach,
            target: c.target_title,
            note: c.note.to_string(),
            requested_by: c.requested_by,
            requested_at: c.requested_at,
            resolved_by: c.resolved_by,
            resolved_at: c.resolved_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryOutput {
    /// Every segment (tier), strategic first, with its outcomes.
    segments: Vec<SegmentOutput>,
    /// One per exposure level: open_question (high), menu_of_options (moderate), open_channel (low).
    risk_playbooks: Vec<RiskPlaybookOutput>,
    /// Changes churn retrospectives ask for, not resolved yet.
    open_change_requests: Vec<PlaybookChangeOutput>,
}

/// The playbook library: each segment's outcomes, the risk playbooks, the open change requests.
#[utoipa::path(get, path = "/api/v1/playbooks", tag = "playbooks",
    responses((status = 200, description = "The library", body = LibraryOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_library(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<LibraryOutput>, ApiError> {
    let library = state.store.playbook_library().await?;
    let mut outcomes = library.outcomes;
    let segments = Tier::ALL
        .iter()
        .map(|tier| {
            let mine: Vec<OutcomeOutput> = outcomes
                .extract_if(.., |o| o.outcome.fields.tier == *tier)
                .map(Into::into)
                .collect();
            SegmentOutput {
                tier: tier.as_str().to_owned(),
                label: tier.label().to_owned(),
                warning: segment_warning(*tier, mine.len()),
                outcomes: mine,
            }
        })
        .collect();
    let mut written = library.risk_playbooks;
    let risk_playbooks = OutreachApproach::ALL
        .iter()
        .map(|a| {
            let found = written.iter().position(|p| p.approach == *a).map(|i| written.remove(i));
            RiskPlaybookOutput::of(*a, found)
        })
        .collect();
    Ok(axum::Json(LibraryOutput {
        segments,
        risk_playbooks,
        open_change_requests: library.open_changes.into_iter().map(Into::into).collect(),
    }))
}

/// Add an outcome to a segment (leaders and admins). A segment keeps at most 5: a sixth is
/// refused (422 on `tier`).
#[utoipa::path(post, path = "/api/v1/playbooks/outcomes", tag = "playbooks",
    request_body = OutcomeInput,
    responses((status = 201, description = "Added", body = OutcomeOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_outcome(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<OutcomeInput>,
) -> Result<(StatusCode, axum::Json<OutcomeOutput>), ApiError> {
    ops::may_edit(&actor)?;
    let fields = body.read()?.into_fields()?;
    let outcome = ops::create_outcome(&state.store, &actor, fields).await?;
    Ok((StatusCode::CREATED, axum::Json(outcome.into())))
}

/// One outcome with its tactics, case studies and ROI figures.
#[utoipa::path(get, path = "/api/v1/playbooks/outcomes/{id}", tag = "playbooks", params(("id" = i64, Path)),
    responses((status = 200, description = "The outcome", body = OutcomeOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_outcome(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<OutcomeOutput>, ApiError> {
    let id = OutcomeId(path_id(id)?);
    Ok(axum::Json(state.store.playbook_outcome(id).await?.into()))
}

/// Rewrite an outcome (leaders and admins). Tactics listed with their `id` keep it; tactics
/// without one are added; stored tactics left out are removed.
#[utoipa::path(put, path = "/api/v1/playbooks/outcomes/{id}", tag = "playbooks", params(("id" = i64, Path)),
    request_body = OutcomeInput,
    responses((status = 200, description = "Saved", body = OutcomeOutput), WriteProblems),
    security(("bearer" = [])))]
async fn update_outcome(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<OutcomeInput>,
) -> Result<axum::Json<OutcomeOutput>, ApiError> {
    let id = OutcomeId(path_id(id)?);
    ops::may_edit(&actor)?;
    state.store.playbook_outcome(id).await?;
    let fields = body.read()?.into_fields()?;
    Ok(axum::Json(
        ops::update_outcome(&state.store, &actor, id, fields).await?.into(),
    ))
}

/// Remove an outcome with its tactics, case studies, figures and change requests (leaders and
/// admins).
#[utoipa::path(delete, path = "/api/v1/playbooks/outcomes/{id}", tag = "playbooks", params(("id" = i64, Path)),
    responses((status = 204, description = "Removed"), DeleteProblems),
    security(("bearer" = [])))]
async fn delete_outcome(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    let id = OutcomeId(path_id(id)?);
    ops::delete_outcome(&state.store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskPlaybookInput {
    /// One line; may use {{account.name}}, {{contact.first_name}}, {{csm.name}},
    /// {{renewal_date}} and {{arr}}.
    #[schema(example = "{{account.name}}: your renewal")]
    subject: String,
    /// Plain text with the same placeholders.
    #[schema(example = "Hi {{contact.first_name}},\n\nYour renewal is planned for {{renewal_date}}…")]
    body: String,
}

/// Write the outreach template of a risk playbook (leaders and admins). An unknown placeholder
/// is refused, named (422).
#[utoipa::path(put, path = "/api/v1/playbooks/risk/{approach}", tag = "playbooks",
    params(("approach" = String, Path, description = "open_question, menu_of_options or open_channel")),
    request_body = RiskPlaybookInput,
    responses((status = 200, description = "Saved", body = RiskPlaybookOutput), WriteProblems),
    security(("bearer" = [])))]
async fn save_risk_playbook(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(approach): Path<String>,
    body: Json<RiskPlaybookInput>,
) -> Result<axum::Json<RiskPlaybookOutput>, ApiError> {
    ops::may_edit(&actor)?;
    let approach = approach
        .parse::<OutreachApproach>()
        .map_err(|e| ApiError::NotFound(format!("no risk playbook {approach:?}: {e}")))?;
    let input = body.read()?;
    let saved = ops::save_risk_playbook(&state.store, &actor, approach, &input.subject, &input.body).await?;
    Ok(axum::Json(RiskPlaybookOutput::of(approach, Some(saved))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutreachInput {
    /// open_question, menu_of_options or open_channel.
    #[schema(example = "open_question")]
    approach: String,
    /// One of the account's contacts.
    contact_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutreachOutput {
    approach: String,
    contact_id: i64,
    contact_name: String,
    /// None: the contact has no email address, so it cannot be sent.
    to: Option<String>,
    subject: String,
    /// Plain text.
    body: String,
}

impl From<Outreach> for OutreachOutput {
    fn from(o: Outreach) -> Self {
        OutreachOutput {
            approach: o.approach.as_str().to_owned(),
            contact_id: o.contact_id.0,
            contact_name: o.contact_name,
            to: o.to.map(|e| e.to_string()),
            subject: o.email.subject.to_string(),
            body: o.email.body,
        }
    }
}

/// The outreach email a risk playbook makes for one of the account's contacts, filled in and
/// not sent (whoever writes to the account).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/outreach/preview", tag = "playbooks", params(("id" = i64, Path)),
    request_body = OutreachInput,
    responses((status = 200, description = "The email as it would be sent", body = OutreachOutput), WriteProblems),
    security(("bearer" = [])))]
async fn preview_outreach(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<OutreachInput>,
) -> Result<axum::Json<OutreachOutput>, ApiError> {
    let account = existing_in_path(&state.store, id).await?;
    ops::outreach_sender(&state.store, &actor, account).await?;
    let input = body.read()?;
    let approach = ops::approach(&input.approach)?;
    let outreach = ops::preview(&state.store, &actor, account, approach, ContactId(input.contact_id)).await?;
    Ok(axum::Json(outreach.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutreachSent {
    /// The email job (see `/api/v1/jobs`).
    job_id: i64,
    email: OutreachOutput,
}

/// Send a risk playbook's outreach email to one of the account's contacts (whoever writes to
/// the account; once a day per contact and approach), logged on the account's timeline. 409
/// when this server sends no email, the risk playbook is not written yet or it was sent today;
/// 422 when the contact has no email address or the account lacks a detail the template uses.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/outreach", tag = "playbooks", params(("id" = i64, Path)),
    request_body = OutreachInput,
    responses((status = 202, description = "The email is queued", body = OutreachSent), WriteProblems),
    security(("bearer" = [])))]
async fn send_outreach(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<OutreachInput>,
) -> Result<(StatusCode, axum::Json<OutreachSent>), ApiError> {
    let account = existing_in_path(&state.store, id).await?;
    ops::outreach_sender(&state.store, &actor, account).await?;
    let input = body.read()?;
    let approach = ops::approach(&input.approach)?;
    let (job, outreach) = ops::send(&state.store, &actor, account, approach, ContactId(input.contact_id)).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(OutreachSent {
            job_id: job.0,
            email: outreach.into(),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaybookChangeInput {
    /// The outcome that should change…
    outcome_id: Option<i64>,
    /// …or the risk playbook: open_question, menu_of_options or open_channel.
    approach: Option<String>,
    /// What should change, and why.
    #[schema(example = "Ask for the CFO before every renewal above $100k")]
    note: String,
}

/// A churned account's retrospective asks for a playbook to change (whoever writes to the
/// account). The library shows the request until a leader resolves it.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/playbook-changes", tag = "playbooks", params(("id" = i64, Path)),
    request_body = PlaybookChangeInput,
    responses((status = 201, description = "Requested", body = PlaybookChangeOutput), WriteProblems),
    security(("bearer" = [])))]
async fn request_change(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<PlaybookChangeInput>,
) -> Result<(StatusCode, axum::Json<PlaybookChangeOutput>), ApiError> {
    let account = existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let input = body.read()?;
    let target = ops::target(input.outcome_id, input.approach.as_deref())?;
    let change = ops::request_change(&state.store, &actor, account, target, &input.note).await?;
    Ok((StatusCode::CREATED, axum::Json(change.into())))
}

/// Mark a change request done (leaders and admins).
#[utoipa::path(post, path = "/api/v1/playbook-changes/{id}/resolve", tag = "playbooks", params(("id" = i64, Path)),
    responses((status = 200, description = "Resolved", body = PlaybookChangeOutput), WriteProblems),
    security(("bearer" = [])))]
async fn resolve_change(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<axum::Json<PlaybookChangeOutput>, ApiError> {
    let id = PlaybookChangeId(path_id(id)?);
    Ok(axum::Json(ops::resolve_change(&state.store, &actor, id).await?.into()))
}
