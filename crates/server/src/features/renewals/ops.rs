//! What the renewals API and pages both do: read a call, a close or an opportunity with every
//! problem named, check who may act (whoever may change the account calls and closes its
//! renewals and opens opportunities on it; an opportunity's owner moves it too, even an AE;
//! admins set the routing policy), and act — auditing a renewal's close and a policy change.

use chrono::NaiveDate;
use lodestar_domain::access::Actor;
use lodestar_domain::renewal::{OpportunityFields, RenewalCall, RenewalClose, WINDOWS};
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{AuditKind, OpportunityKind, Route};
use lodestar_domain::{Cents, ContractId, FieldError, Invalid, OpportunityId, Valid};
use lodestar_store::{Opportunity, RenewalDetail, Store};

use crate::AppState;
use crate::features::accounts::ops::{existing, writable};
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::{allowed, bad, checked};

/// The pipeline's window: one of 30, 60, 90 or 180 days (90 when not given).
pub(crate) fn window(days: Option<u32>) -> Result<u32, ApiError> {
    match days {
        None => Ok(90),
        Some(d) if WINDOWS.contains(&d) => Ok(d),
        Some(_) => Err(bad("within_days", "must be 30, 60, 90 or 180")),
    }
}

/// An amount typed as text (`12,000.50`), required.
fn amount(errors: &mut Vec<FieldError>, field: &'static str, text: &str) -> Option<Cents> {
    let text = text.trim();
    if text.is_empty() {
        errors.push(FieldError {
            field,
            reason: "is required".into(),
        });
        return None;
    }
    checked(errors, field, Cents::parse(text))
}

/// A renewal call as typed.
pub(crate) fn call(
    outlook: &str,
    category: &str,
    forecast_arr: &str,
    note: &str,
) -> Result<Valid<RenewalCall>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let outlook = checked(&mut errors, "outlook", outlook.parse());
    let category = checked(&mut errors, "category", category.parse());
    let forecast_arr = amount(&mut errors, "forecast_arr", forecast_arr);
    let note = checked(&mut errors, "note", Note::parse(note));
    match (outlook, category, forecast_arr, note) {
        (Some(outlook), Some(category), Some(forecast_arr), Some(note)) if errors.is_empty() => Ok(RenewalCall {
            outlook,
            category,
            forecast_arr,
            note,
        }
        .validate()?),
        _ => Err(Invalid { errors }.into()),
    }
}

/// A renewal's close as typed; the day defaults to today.
pub(crate) fn close(
    result: &str,
    renewed_arr: &str,
    decided_on: Option<NaiveDate>,
    note: &str,
    today: NaiveDate,
) -> Result<Valid<RenewalClose>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let result = checked(&mut errors, "result", result.parse());
    let renewed_arr = amount(&mut errors, "renewed_arr", renewed_arr);
    let note = checked(&mut errors, "note", Note::parse(note));
    match (result, renewed_arr, note) {
        (Some(result), Some(renewed_arr), Some(note)) if errors.is_empty() => Ok(RenewalClose {
            result,
            renewed_arr,
            decided_on: decided_on.unwrap_or(today),
            note,
        }
        .validate(today)?),
        _ => Err(Invalid { errors }.into()),
    }
}

/// An opportunity as typed.
pub(crate) struct OpportunityInput<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub amount: &'a str,
    pub expected_close: Option<NaiveDate>,
    /// Identified when left empty.
    pub stage: &'a str,
    pub note: &'a str,
}

pub(crate) fn opportunity_fields(
    input: OpportunityInput<'_>,
    today: NaiveDate,
) -> Result<Valid<OpportunityFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let kind = checked(&mut errors, "kind", input.kind.parse());
    let title = checked(&mut errors, "title", Name::parse(input.title));
    let amount = amount(&mut errors, "amount", input.amount);
    let expected_close = checked(
        &mut errors,
        "expected_close",
        input.expected_close.ok_or_else(|| "is required".to_owned()),
    );
    let stage = match input.stage.trim() {
        "" => Some(lodestar_domain::vocabulary::OpportunityStage::Identified),
        text => checked(&mut errors, "stage", text.parse()),
    };
    let note = checked(&mut errors, "note", Note::parse(input.note));
    match (kind, title, amount, expected_close, stage, note) {
        (Some(kind), Some(title), Some(amount), Some(expected_close), Some(stage), Some(note)) if errors.is_empty() => {
            Ok(OpportunityFields {
                kind,
                title,
                amount,
                expected_close,
                stage,
                note,
            }
            .validate(today)?)
        }
        _ => Err(Invalid { errors }.into()),
    }
}

/// The contract's renewal, if `actor` may change its account.
pub(crate) async fn changeable_renewal(
    state: &AppState,
    actor: &Actor,
    contract: ContractId,
) -> Result<RenewalDetail, ApiError> {
    let detail = state.store.renewal(contract).await?;
    writable(&state.store, actor, detail.renewal.account_id).await?;
    Ok(detail)
}

/// Records how a renewal closed, audited: it moves the team's retention figures.
pub(crate) async fn close_renewal(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    contract: ContractId,
    close: Valid<RenewalClose>,
) -> Result<RenewalDetail, ApiError> {
    let detail = state.store.close_renewal(contract, close, actor.user).await?;
    if let Some(closed) = &detail.renewal.closed {
        state
            .audit(
                origin,
                AuditKind::RenewalClosed,
                Some(format!("contract {}", detail.renewal.contract_external_id)),
                format!(
                    "{} of {}: {} at {} ARR (was {})",
                    closed.close.result.label(),
                    detail.renewal.account_name,
                    closed.close.decided_on,
                    closed.close.renewed_arr.whole_dollars(),
                    detail.renewal.arr.whole_dollars()
                ),
            )
            .await?;
    }
    Ok(detail)
}

/// The opportunity, if `actor` may move it: its owner, or whoever may change its account.
pub(crate) async fn movable(store: &Store, actor: &Actor, id: OpportunityId) -> Result<Opportunity, ApiError> {
    let opportunity = store.opportunity(id).await?;
    let account = existing(store, opportunity.account_id).await?;
    let owner = opportunity.owner_id;
    allowed(
        owner.is_some_and(|o| actor.user == Some(o)) || actor.can_write_account(account.fields.owner_id),
        "only the opportunity's owner and whoever may change its account move it",
    )?;
    Ok(opportunity)
}

/// Only admins set the routing policy.
pub(crate) fn may_route(actor: &Actor) -> Result<(), ApiError> {
    allowed(
        actor.can_administer(),
        "only admins set who works each kind of expansion",
    )
}

/// Sets who works one kind of expansion (admins), audited.
pub(crate) async fn set_route(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    kind: &str,
    route: &str,
) -> Result<Vec<(OpportunityKind, Route)>, ApiError> {
    may_route(actor)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let kind: Option<OpportunityKind> = checked(&mut errors, "kind", kind.parse());
    let route: Option<Route> = checked(&mut errors, "route", route.parse());
    let (Some(kind), Some(route)) = (kind, route) else {
        return Err(Invalid { errors }.into());
    };
    let all = state.store.set_opportunity_route(kind, route).await?;
    state
        .audit(
            origin,
            AuditKind::RoutingChanged,
            Some(format!("opportunity kind {}", kind.as_str())),
            format!("{} opportunities go to {}", kind.label(), route.label().to_lowercase()),
        )
        .await?;
    Ok(all)
}
