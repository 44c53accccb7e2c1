//! What the onboarding API and pages both do: read a plan's and a task's input with every
//! problem named, check who may change it (whoever may change the account), act, and share the
//! plan with a customer contact through a link (recorded in the audit log).

use axum::http::HeaderMap;
use chrono::NaiveDate;
use lodestar_domain::access::Actor;
use lodestar_domain::onboarding::{OnboardingFields, OnboardingId, TaskFields, TaskSide, standard_tasks};
use lodestar_domain::text::{Label, Name, Note};
use lodestar_domain::vocabulary::{AuditKind, LinkAction};
use lodestar_domain::{AccountId, ContactId, FieldError, Invalid, Valid};
use lodestar_store::{CustomerLink, LinkTarget, Onboarding, Store};

use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::features::customer;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::checked;

fn required<T>(value: Option<T>) -> Result<T, String> {
    value.ok_or_else(|| "is required".to_owned())
}

pub(crate) fn onboarding_fields(
    signed_on: Option<NaiveDate>,
    target_on: Option<NaiveDate>,
    risks: &str,
) -> Result<Valid<OnboardingFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let signed_on = checked(&mut errors, "signed_on", required(signed_on));
    let target_on = checked(&mut errors, "target_on", required(target_on));
    let risks = checked(&mut errors, "risks", Note::parse(risks));
    match (signed_on, target_on, risks) {
        (Some(signed_on), Some(target_on), Some(risks)) if errors.is_empty() => Ok(OnboardingFields {
            signed_on,
            target_on,
            risks,
        }
        .validate()?),
        _ => Err(Invalid { errors }.into()),
    }
}

pub(crate) fn task_fields(
    title: &str,
    side: &str,
    owner: &str,
    due_on: Option<NaiveDate>,
) -> Result<TaskFields, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let title = checked(&mut errors, "title", Name::parse(title));
    let side = checked(&mut errors, "side", side.parse::<TaskSide>());
    let owner = checked(&mut errors, "owner", Label::parse(owner));
    let due_on = checked(&mut errors, "due_on", required(due_on));
    match (title, side, owner, due_on) {
        (Some(title), Some(side), Some(owner), Some(due_on)) if errors.is_empty() => Ok(TaskFields {
            title,
            side,
            owner,
            due_on,
        }),
        _ => Err(Invalid { errors }.into()),
    }
}

/// Starts onboarding on an account in `actor`'s reach: the kickoff and the sponsor's midway
/// touchpoint first (owned by the account's CSM), then the tasks given.
pub(crate) async fn start(
    store: &Store,
    actor: &Actor,
    account: AccountId,
    fields: Valid<OnboardingFields>,
    tasks: Vec<TaskFields>,
) -> Result<Onboarding, ApiError> {
    let found = writable(store, actor, account).await?;
    let owner = match found.fields.owner_id {
        Some(id) => store
            .users_by_ids(&[id])
            .await?
            .pop()
            .map(|u| u.fields.name.to_string()),
        None => None,
    };
    let csm = Label::parse(owner.as_deref().unwrap_or("Our CSM")).map_err(|e| Invalid::field("owner", e))?;
    let mut all = standard_tasks(&fields, &csm);
    all.extend(tasks);
    Ok(store.create_onboarding(account, fields, all, actor.user).await?)
}

/// The plan, if `actor` may change its account.
pub(crate) async fn changeable(store: &Store, actor: &Actor, id: OnboardingId) -> Result<Onboarding, ApiError> {
    let found = store.onboarding(id).await?;
    writable(store, actor, found.account_id).await?;
    Ok(found)
}

pub(crate) async fn add_task(
    store: &Store,
    actor: &Actor,
    id: OnboardingId,
    task: TaskFields,
) -> Result<Onboarding, ApiError> {
    changeable(store, actor, id).await?;
    Ok(store.add_onboarding_task(id, task).await?)
}

/// Ticks a task of either side off (or back on) in the name of the signed-in user.
pub(crate) async fn tick(
    store: &Store,
    actor: &Actor,
    who: &str,
    id: OnboardingId,
    task: i64,
    done: bool,
) -> Result<Onboarding, ApiError> {
    changeable(store, actor, id).await?;
    Ok(store.tick_onboarding_task(id, task, done, who, None).await?)
}

/// A new link for `contact` to tick off their tasks and answer whether onboarding is complete.
/// Returns the link and its address, which holds the secret: show it once.
pub(crate) async fn share(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    headers: &HeaderMap,
    id: OnboardingId,
    contact: Option<i64>,
    days: Option<u32>,
) -> Result<(CustomerLink, String), ApiError> {
    let found = changeable(&state.store, actor, id).await?;
    let contact = contact.ok_or_else(|| Invalid::field("contact_id", "is required: who works the plan with us?"))?;
    let days = customer::days(days)?;
    let target = LinkTarget::Onboarding(id);
    let (link, secret) = customer::new_link(
        target,
        ContactId(contact),
        vec![LinkAction::Tick, LinkAction::Answer],
        days,
        state.store.now(),
    );
    let link = state.store.create_customer_link(&link, actor.user).await?;
    state
        .audit(
            origin,
            AuditKind::CustomerLinkCreated,
            Some(format!("customer link {}", link.id)),
            format!(
                "onboarding plan {id} of account {} shared with {} for {days} days",
                found.account_id, link.contact_name
            ),
        )
        .await?;
    Ok((link, customer::link_url(state, headers, target, &secret)))
}
