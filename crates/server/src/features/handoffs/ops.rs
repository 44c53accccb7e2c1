//! What the handoff API and pages both do: read a handoff's input with every problem named,
//! check who may act (whoever may change the account hands off, edits, accepts and asks for a
//! rejection; leaders decide a rejection and keep the qualification list), and act.

use chrono::NaiveDate;
use lodestar_domain::access::Actor;
use lodestar_domain::handoff::{
    Criterion, DealException, ExceptionKind, HandoffFields, HandoffId, Rejection, criteria_list,
};
use lodestar_domain::text::{Label, Note};
use lodestar_domain::{AccountId, FieldError, Invalid, Valid};
use lodestar_store::{Handoff, Store};

use crate::features::accounts::ops::writable;
use crate::http::error::ApiError;
use crate::http::params::{allowed, checked};

/// A handoff's input as text, before any of it is trusted.
pub(crate) struct HandoffInput<'a> {
    pub signed_on: Option<NaiveDate>,
    pub goals: &'a str,
    pub pain_points: &'a str,
    /// Each criterion's name and whether it was met.
    pub criteria: Vec<(&'a str, bool)>,
    /// Each exception's kind and detail; rows left blank are skipped.
    pub exceptions: Vec<(&'a str, &'a str)>,
}

pub(crate) fn handoff_fields(input: HandoffInput<'_>) -> Result<Valid<HandoffFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let signed_on = checked(
        &mut errors,
        "signed_on",
        input.signed_on.ok_or("is required".to_owned()),
    );
    let goals = checked(&mut errors, "goals", Note::parse(input.goals));
    let pain_points = checked(&mut errors, "pain_points", Note::parse(input.pain_points));
    let criteria: Vec<Option<Criterion>> = input
        .criteria
        .iter()
        .map(|(name, met)| {
            checked(&mut errors, "criteria", Label::parse(name)).map(|name| Criterion { name, met: *met })
        })
        .collect();
    let exceptions: Vec<Option<DealException>> = input
        .exceptions
        .iter()
        .filter(|(kind, detail)| !(kind.trim().is_empty() && detail.trim().is_empty()))
        .map(|(kind, detail)| {
            let kind = checked(&mut errors, "exceptions", kind.parse::<ExceptionKind>());
            let detail = checked(&mut errors, "exceptions", Label::parse(detail));
            kind.zip(detail).map(|(kind, detail)| DealException { kind, detail })
        })
        .collect();
    match (signed_on, goals, pain_points) {
        (Some(signed_on), Some(goals), Some(pain_points)) if errors.is_empty() => Ok(HandoffFields {
            signed_on,
            goals,
            pain_points,
            criteria: criteria.into_iter().flatten().collect(),
            exceptions: exceptions.into_iter().flatten().collect(),
        }
        .validate()?),
        _ => Err(Invalid { errors }.into()),
    }
}

/// The criteria named in a rejection or a team list, each a label.
pub(crate) fn labels<'a>(names: impl Iterator<Item = &'a str>) -> Result<Vec<Label>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let labels: Vec<Option<Label>> = names
        .filter(|n| !n.trim().is_empty())
        .map(|n| checked(&mut errors, "criteria", Label::parse(n)))
        .collect();
    if errors.is_empty() {
        Ok(labels.into_iter().flatten().collect())
    } else {
        Err(Invalid { errors }.into())
    }
}

/// Leaders keep the team's list and decide rejections: asked before any body is read.
pub(crate) fn may_lead(actor: &Actor) -> Result<(), ApiError> {
    allowed(
        actor.can_manage_all_accounts(),
        "only leaders decide rejected deals and keep the qualification list",
    )
}

pub(crate) async fn set_criteria(store: &Store, actor: &Actor, names: Vec<Label>) -> Result<Vec<Label>, ApiError> {
    may_lead(actor)?;
    Ok(store.set_qualification_criteria(criteria_list(names)?).await?)
}

/// Hands a closed deal on an account in `actor`'s reach to CS.
pub(crate) async fn create(
    store: &Store,
    actor: &Actor,
    account: AccountId,
    fields: Valid<HandoffFields>,
) -> Result<Handoff, ApiError> {
    writable(store, actor, account).await?;
    Ok(store.create_handoff(account, fields, actor.user).await?)
}

/// The handoff, if `actor` may change its account.
pub(crate) async fn changeable(store: &Store, actor: &Actor, id: HandoffId) -> Result<Handoff, ApiError> {
    let handoff = store.handoff(id).await?;
    writable(store, actor, handoff.account_id).await?;
    Ok(handoff)
}

pub(crate) async fn update(
    store: &Store,
    actor: &Actor,
    id: HandoffId,
    fields: Valid<HandoffFields>,
) -> Result<Handoff, ApiError> {
    changeable(store, actor, id).await?;
    Ok(store.update_handoff(id, fields, actor.user).await?)
}

/// Ticks the criteria named in `met` and clears the others, the rest of the handoff kept.
pub(crate) async fn tick(store: &Store, actor: &Actor, id: HandoffId, met: &[&str]) -> Result<Handoff, ApiError> {
    let handoff = changeable(store, actor, id).await?;
    let mut fields = handoff.fields();
    for c in &mut fields.criteria {
        c.met = met.iter().any(|m| m.eq_ignore_ascii_case(c.name.as_str()));
    }
    Ok(store.update_handoff(id, fields.validate()?, actor.user).await?)
}

pub(crate) async fn accept(store: &Store, actor: &Actor, id: HandoffId) -> Result<Handoff, ApiError> {
    changeable(store, actor, id).await?;
    Ok(store.accept_handoff(id, actor.user).await?)
}

/// The CSM asks to reject the deal on the unmet criteria named.
pub(crate) async fn request_rejection(
    store: &Store,
    actor: &Actor,
    id: HandoffId,
    criteria: Vec<Label>,
    reason: &str,
) -> Result<Handoff, ApiError> {
    let handoff = changeable(store, actor, id).await?;
    let reason = Note::parse(reason).map_err(|e| Invalid::field("reason", e))?;
    let rejection = Rejection::new(&handoff.fields(), criteria, reason)?;
    Ok(store.request_rejection(id, rejection, actor.user).await?)
}

/// A leader approves the rejection or declines it (the deal then stands, accepted).
pub(crate) async fn decide(
    store: &Store,
    actor: &Actor,
    id: HandoffId,
    approve: bool,
    note: &str,
) -> Result<Handoff, ApiError> {
    may_lead(actor)?;
    let note = Note::parse(note).map_err(|e| Invalid::field("note", e))?;
    Ok(store.decide_rejection(id, approve, note, actor.user).await?)
}
