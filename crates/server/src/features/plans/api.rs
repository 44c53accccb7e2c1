//! Success plans, their tactics and their customer links on the API.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::vocabulary::TacticState;
use lodestar_domain::{CustomerLinkId, PlanId, PlanTacticId};
use lodestar_store::{CustomerLink, LinkTarget, SuccessPlan};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops;
use crate::AppState;
use crate::features::accounts::ops::existing_in_path;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_plan, create_plan))
        .routes(routes!(update_plan))
        .routes(routes!(add_tactic))
        .routes(routes!(add_library_tactic))
        .routes(routes!(set_tactic_state))
        .routes(routes!(comment))
        .routes(routes!(list_links, share))
        .routes(routes!(revoke_link))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanTacticOutput {
    id: i64,
    /// The playbook library's tactic it was taken from.
    library_tactic_id: Option<i64>,
    title: String,
    description: String,
    /// active, parked or done.
    state: &'static str,
    due_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignOffOutput {
    version: i64,
    contact_id: i64,
    contact_name: String,
    /// reviewed or approved.
    kind: &'static str,
    signature: String,
    signed_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentOutput {
    version: i64,
    author: String,
    from_customer: bool,
    body: String,
    created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOutput {
    id: i64,
    account_id: i64,
    account_name: String,
    title: String,
    /// Markdown as written.
    summary: String,
    /// draft, shared, reviewed or approved.
    state: &'static str,
    /// Rises with each change of the title, summary or tactics.
    version: i64,
    /// The customer's approval of the current version, if there is one. An approval of an
    /// earlier version is in `sign_offs` but does not count.
    approval: Option<SignOffOutput>,
    tactics: Vec<PlanTacticOutput>,
    sign_offs: Vec<SignOffOutput>,
    comments: Vec<CommentOutput>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn sign_off(s: &lodestar_store::SignOff) -> SignOffOutput {
    SignOffOutput {
        version: s.version,
        contact_id: s.contact_id.0,
        contact_name: s.contact_name.clone(),
        kind: match s.kind {
            lodestar_store::SignOffKind::Reviewed => "reviewed",
            lodestar_store::SignOffKind::Approved => "approved",
        },
        signature: s.signature.clone(),
        signed_at: s.signed_at,
    }
}

impl From<SuccessPlan> for PlanOutput {
    fn from(p: SuccessPlan) -> Self {
        PlanOutput {
            id: p.id.0,
            account_id: p.account_id.0,
            approval: p.approval().map(sign_off),
            account_name: p.account_name,
            title: p.fields.title.to_string(),
            summary: p.fields.summary.to_string(),
            state: p.state.as_str(),
            version: p.version,
            tactics: p
                .tactics
                .into_iter()
                .map(|t| PlanTacticOutput {
                    id: t.id.0,
                    library_tactic_id: t.library_tactic_id.map(|l| l.0),
                    title: t.fields.title.to_string(),
                    description: t.fields.description.to_string(),
                    state: t.state.as_str(),
                    due_on: t.fields.due_on,
                })
                .collect(),
            sign_offs: p.sign_offs.iter().map(sign_off).collect(),
            comments: p
                .comments
                .into_iter()
                .map(|c| CommentOutput {
                    version: c.version,
                    author: c.author,
                    from_customer: c.from_customer,
                    body: c.body,
                    created_at: c.created_at,
                })
                .collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LinkOutput {
    id: i64,
    contact_id: i64,
    contact_name: String,
    /// What the contact may do besides reading: comment, review, approve.
    actions: Vec<&'static str>,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<CustomerLink> for LinkOutput {
    fn from(l: CustomerLink) -> Self {
        LinkOutput {
            id: l.id.0,
            contact_id: l.contact_id.0,
            contact_name: l.contact_name,
            actions: l.actions.iter().map(|a| a.as_str()).collect(),
            expires_at: l.expires_at,
            revoked_at: l.revoked_at,
            last_used_at: l.last_used_at,
            created_by: l.created_by,
            created_at: l.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    #[schema(example = "Cut onboarding time for new hires in half")]
    title: String,
    /// The customer's desired outcomes and how we get there, in Markdown.
    #[serde(default)]
    summary: String,
}

/// An account's success plan.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/plan", tag = "plans", params(("id" = i64, Path)),
    responses((status = 200, description = "The plan", body = PlanOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_plan(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<PlanOutput>, ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    let plan = state
        .store
        .success_plan_of(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("account {id} has no success plan yet")))?;
    Ok(axum::Json(plan.into()))
}

/// Start an account's success plan (a draft, version 1); an account has one plan.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/plan", tag = "plans", params(("id" = i64, Path)),
    request_body = PlanBody,
    responses((status = 201, description = "Started", body = PlanOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_plan(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<PlanBody>,
) -> Result<(StatusCode, axum::Json<PlanOutput>), ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let b = body.read()?;
    let plan = ops::create(&state, &actor, id, ops::plan_fields(&b.title, &b.summary)?).await?;
    Ok((StatusCode::CREATED, axum::Json(plan.into())))
}

/// Change the plan's title and summary: a new version, which the customer has not approved.
#[utoipa::path(put, path = "/api/v1/plans/{id}", tag = "plans", params(("id" = i64, Path)),
    request_body = PlanBody,
    responses((status = 200, description = "Changed", body = PlanOutput), WriteProblems),
    security(("bearer" = [])))]
async fn update_plan(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<PlanBody>,
) -> Result<axum::Json<PlanOutput>, ApiError> {
    let id = PlanId(path_id(id)?);
    ops::changeable(&state, &actor, id).await?;
    let b = body.read()?;
    Ok(axum::Json(
        ops::update(&state, &actor, id, ops::plan_fields(&b.title, &b.summary)?)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TacticBody {
    #[schema(example = "Train the admins on reporting")]
    title: String,
    #[serde(default)]
    description: String,
    /// The milestone: by when it should show its result.
    due_on: Option<NaiveDate>,
    /// active (the default; at most three at once) or parked.
    state: Option<String>,
}

/// Add a tactic (a new version). A fourth active tactic is refused (409) with the three named:
/// finish or park one first, or add it parked.
#[utoipa::path(post, path = "/api/v1/plans/{id}/tactics", tag = "plans", params(("id" = i64, Path)),
    request_body = TacticBody,
    responses((status = 201, description = "Added", body = PlanOutput), WriteProblems),
    security(("bearer" = [])))]
async fn add_tactic(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<TacticBody>,
) -> Result<(StatusCode, axum::Json<PlanOutput>), ApiError> {
    let id = PlanId(path_id(id)?);
    ops::changeable(&state, &actor, id).await?;
    let b = body.read()?;
    let tactic_state = tactic_state(b.state.as_deref())?;
    let fields = ops::tactic_fields(&b.title, &b.description, b.due_on, state.store.today())?;
    let plan = ops::add_tactic(&state, &actor, id, fields, tactic_state).await?;
    Ok((StatusCode::CREATED, axum::Json(plan.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LibraryTacticBody {
    /// A tactic of the playbook library (`GET /api/v1/playbooks`).
    tactic_id: i64,
    due_on: Option<NaiveDate>,
    /// active (the default) or parked.
    state: Option<String>,
}

/// Add a tactic of the playbook library to the plan in one step (its title and description
/// copied; a new version). A fourth active tactic is refused (409).
#[utoipa::path(post, path = "/api/v1/plans/{id}/tactics/from-library", tag = "plans", params(("id" = i64, Path)),
    request_body = LibraryTacticBody,
    responses((status = 201, description = "Added", body = PlanOutput), WriteProblems),
    security(("bearer" = [])))]
async fn add_library_tactic(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<LibraryTacticBody>,
) -> Result<(StatusCode, axum::Json<PlanOutput>), ApiError> {
    let id = PlanId(path_id(id)?);
    ops::changeable(&state, &actor, id).await?;
    let b = body.read()?;
    let tactic_state = tactic_state(b.state.as_deref())?;
    let plan = ops::add_library_tactic(
        &state,
        &actor,
        id,
        lodestar_domain::TacticId(b.tactic_id),
        b.due_on,
        tactic_state,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(plan.into())))
}

fn tactic_state(text: Option<&str>) -> Result<TacticState, ApiError> {
    text.map_or(Ok(TacticState::Active), |t| {
        t.parse()
            .map_err(|e: String| lodestar_domain::Invalid::field("state", e).into())
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TacticStateBody {
    /// active, parked or done.
    state: String,
}

/// Work, park or finish a tactic (progress: the version stays). Making a fourth active is
/// refused (409).
#[utoipa::path(post, path = "/api/v1/tactics/{id}/state", tag = "plans", params(("id" = i64, Path)),
    request_body = TacticStateBody,
    responses((status = 200, description = "Moved", body = PlanOutput), WriteProblems),
    security(("bearer" = [])))]
async fn set_tactic_state(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<TacticStateBody>,
) -> Result<axum::Json<PlanOutput>, ApiError> {
    let id = PlanTacticId(path_id(id)?);
    let plan = state.store.plan_of_tactic(id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, plan.account_id).await?;
    let b = body.read()?;
    let to = tactic_state(Some(&b.state))?;
    Ok(axum::Json(ops::set_tactic_state(&state, &actor, id, to).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    body: String,
}

/// Comment on the plan's current version (as one of us; customers comment through their link).
#[utoipa::path(post, path = "/api/v1/plans/{id}/comments", tag = "plans", params(("id" = i64, Path)),
    request_body = CommentBody,
    responses((status = 201, description = "Commented", body = PlanOutput), WriteProblems),
    security(("bearer" = [])))]
async fn comment(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<CommentBody>,
) -> Result<(StatusCode, axum::Json<PlanOutput>), ApiError> {
    let id = PlanId(path_id(id)?);
    ops::changeable(&state, &actor, id).await?;
    let b = body.read()?;
    let plan = ops::comment(&state, &actor, id, &b.body).await?;
    Ok((StatusCode::CREATED, axum::Json(plan.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    /// The customer contact who reads, reviews and approves the plan (one of the account's).
    contact_id: Option<i64>,
    /// How long the link lives: 1 to 180 days, 30 by default.
    expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SharedOutput {
    /// The address to give the contact. It holds the link's secret and is shown only here.
    url: String,
    link: LinkOutput,
    plan: PlanOutput,
}

/// Share the plan with one of the account's contacts: a new customer link (its address is in
/// this answer only); a draft becomes "shared".
#[utoipa::path(post, path = "/api/v1/plans/{id}/share", tag = "plans", params(("id" = i64, Path)),
    request_body = ShareBody,
    responses((status = 201, description = "Shared", body = SharedOutput), WriteProblems),
    security(("bearer" = [])))]
async fn share(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    headers: HeaderMap,
    id: IdPath,
    body: Json<ShareBody>,
) -> Result<(StatusCode, axum::Json<SharedOutput>), ApiError> {
    let id = PlanId(path_id(id)?);
    ops::changeable(&state, &actor, id).await?;
    let b = body.read()?;
    let (plan, link, url) = ops::share(&state, &actor, &origin, &headers, id, b.contact_id, b.expires_in_days).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(SharedOutput {
            url,
            link: link.into(),
            plan: plan.into(),
        }),
    ))
}

/// Every link to the plan, live or not (their secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/plans/{id}/links", tag = "plans", params(("id" = i64, Path)),
    responses((status = 200, description = "The links", body = Vec<LinkOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_links(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<LinkOutput>>, ApiError> {
    let id = PlanId(path_id(id)?);
    ops::changeable(&state, &actor, id).await?;
    let links = state.store.customer_links_to(LinkTarget::SuccessPlan(id)).await?;
    Ok(axum::Json(links.into_iter().map(Into::into).collect()))
}

/// Withdraw a customer link now: it answers 404 from then on.
#[utoipa::path(post, path = "/api/v1/customer-links/{id}/revoke", tag = "plans", params(("id" = i64, Path)),
    responses((status = 200, description = "Revoked", body = LinkOutput), WriteProblems),
    security(("bearer" = [])))]
async fn revoke_link(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
) -> Result<axum::Json<LinkOutput>, ApiError> {
    let id = CustomerLinkId(path_id(id)?);
    Ok(axum::Json(
        crate::features::customer::links::revoke(&state, &actor, &origin, id)
            .await?
            .into(),
    ))
}
