//! What the plans API and pages both do: read a plan's and a tactic's input with every problem
//! named, check who may write (whoever writes to the account), share and revoke links.

use axum::http::HeaderMap;
use chrono::NaiveDate;
use lodestar_domain::access::Actor;
use lodestar_domain::plan::{PlanFields, TacticFields};
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{AuditKind, LinkAction, TacticState};
use lodestar_domain::{AccountId, ContactId, FieldError, Invalid, PlanId, PlanTacticId, TacticId, Valid};
use lodestar_store::{CommentAuthor, CustomerLink, LinkTarget, SuccessPlan};

use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::features::customer;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::checked;

pub(crate) fn plan_fields(title: &str, summary: &str) -> Result<PlanFields, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let title = checked(&mut errors, "title", Name::parse(title));
    let summary = checked(&mut errors, "summary", Note::parse(summary));
    match (title, summary) {
        (Some(title), Some(summary)) if errors.is_empty() => Ok(PlanFields { title, summary }),
        _ => Err(Invalid { errors }.into()),
    }
}

pub(crate) fn tactic_fields(
    title: &str,
    description: &str,
    due_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Valid<TacticFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let title = checked(&mut errors, "title", Name::parse(title));
    let description = checked(&mut errors, "description", Note::parse(description));
    match (title, description) {
        (Some(title), Some(description)) if errors.is_empty() => Ok(TacticFields {
            title,
            description,
            due_on,
        }
        .validate(today)?),
        _ => Err(Invalid { errors }.into()),
    }
}

/// The plan, if `actor` may change it.
pub(crate) async fn changeable(state: &AppState, actor: &Actor, id: PlanId) -> Result<SuccessPlan, ApiError> {
    let plan = state.store.success_plan(id).await?;
    writable(&state.store, actor, plan.account_id).await?;
    Ok(plan)
}

pub(crate) async fn create(
    state: &AppState,
    actor: &Actor,
    account: AccountId,
    fields: PlanFields,
) -> Result<SuccessPlan, ApiError> {
    writable(&state.store, actor, account).await?;
    Ok(state.store.create_success_plan(account, fields, actor.user).await?)
}

pub(crate) async fn update(
    state: &AppState,
    actor: &Actor,
    id: PlanId,
    fields: PlanFields,
) -> Result<SuccessPlan, ApiError> {
    changeable(state, actor, id).await?;
    Ok(state.store.update_success_plan(id, fields, actor.user).await?)
}

pub(crate) async fn add_tactic(
    state: &AppState,
    actor: &Actor,
    id: PlanId,
    fields: Valid<TacticFields>,
    tactic_state: TacticState,
) -> Result<SuccessPlan, ApiError> {
    changeable(state, actor, id).await?;
    Ok(state.store.add_tactic(id, fields, tactic_state, actor.user).await?)
}

/// Adds a tactic of the playbook library to the plan in one step.
pub(crate) async fn add_library_tactic(
    state: &AppState,
    actor: &Actor,
    id: PlanId,
    library: TacticId,
    due_on: Option<NaiveDate>,
    tactic_state: TacticState,
) -> Result<SuccessPlan, ApiError> {
    changeable(state, actor, id).await?;
    Ok(state
        .store
        .add_library_tactic(id, library, due_on, tactic_state, actor.user)
        .await?)
}

pub(crate) async fn set_tactic_state(
    state: &AppState,
    actor: &Actor,
    id: PlanTacticId,
    tactic_state: TacticState,
) -> Result<SuccessPlan, ApiError> {
    let plan = state.store.plan_of_tactic(id).await?;
    writable(&state.store, actor, plan.account_id).await?;
    Ok(state.store.set_tactic_state(id, tactic_state).await?)
}

pub(crate) async fn comment(state: &AppState, actor: &Actor, id: PlanId, body: &str) -> Result<SuccessPlan, ApiError> {
    changeable(state, actor, id).await?;
    let user = actor.user.ok_or(ApiError::Forbidden(
        "a comment comes from a person; an API token has none",
    ))?;
    let body = Note::parse(body).map_err(|e| Invalid::field("body", e))?;
    Ok(state
        .store
        .comment_on_success_plan(id, CommentAuthor::User(user), body)
        .await?)
}

/// A new link for `contact` to read, comment on, review and approve the plan; a draft becomes
/// "shared". Returns the link and its address, which holds the secret: show it once.
pub(crate) async fn share(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    headers: &HeaderMap,
    id: PlanId,
    contact: Option<i64>,
    days: Option<u32>,
) -> Result<(SuccessPlan, CustomerLink, String), ApiError> {
    changeable(state, actor, id).await?;
    let contact =
        contact.ok_or_else(|| Invalid::field("contact_id", "is required: who reads and approves the plan?"))?;
    let days = customer::days(days)?;
    let target = LinkTarget::SuccessPlan(id);
    let (link, secret) = customer::new_link(
        target,
        ContactId(contact),
        vec![LinkAction::Comment, LinkAction::Review, LinkAction::Approve],
        days,
        state.store.now(),
    );
    let (plan, link) = state.store.share_success_plan(id, link, actor.user).await?;
    state
        .audit(
            origin,
            AuditKind::CustomerLinkCreated,
            Some(format!("customer link {}", link.id)),
            format!(
                "success plan {} of account {} shared with {} for {days} days",
                plan.id, plan.account_id, link.contact_name
            ),
        )
        .await?;
    let url = customer::link_url(state, headers, target, &secret);
    Ok((plan, link, url))
}
