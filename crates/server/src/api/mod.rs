//! The JSON API under `/api/v1`, one module per resource, and the helpers they share.

pub mod accounts;
pub mod contacts;
pub mod contracts;
pub mod health;
pub mod reviews;
pub mod risk;
pub mod usage;
pub mod users;

use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use lodestar_domain::access::Actor;
use lodestar_domain::{AccountId, FieldError};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;

/// A numeric id from the path, or the reason it is not one.
pub(crate) type IdPath = Result<Path<i64>, PathRejection>;

pub(crate) fn path_id(id: IdPath) -> Result<i64, ApiError> {
    id.map(|Path(id)| id).map_err(|e| bad("id", e.body_text()))
}

pub(crate) fn bad(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        field: Some(field.to_owned()),
        reason: reason.into(),
    }
}

pub(crate) fn account_not_found(id: AccountId) -> ApiError {
    ApiError::NotFound(format!("account {id} does not exist"))
}

/// The account a path names, which must exist (400 for a malformed id, 404 for an unknown one).
pub(crate) async fn existing_account(state: &AppState, id: IdPath) -> Result<AccountId, ApiError> {
    let id = AccountId(path_id(id)?);
    state.store.account(id).await?.ok_or_else(|| account_not_found(id))?;
    Ok(id)
}

/// Refuses unless `actor` may change account `id` (and so its contacts and contracts).
pub(crate) async fn require_account_write(state: &AppState, actor: &Actor, id: AccountId) -> Result<(), ApiError> {
    let account = state.store.account(id).await?.ok_or_else(|| account_not_found(id))?;
    if actor.can_write_account(account.fields.owner_id) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("this account is in another CSM's book"))
    }
}

/// Refuses unless `actor` runs the book of business (leaders and admins).
pub(crate) fn require_leader(actor: &Actor, what: &'static str) -> Result<(), ApiError> {
    if actor.can_manage_all_accounts() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(what))
    }
}

/// A count that JSON may spell `40` or `40.0` (both are integers to JSON Schema).
pub(crate) fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let value = n
        .as_u64()
        .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64));
    value
        .and_then(|v| u32::try_from(v).ok())
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number between 0 and 4294967295")))
}

/// The value of a parsed field, or `None` with its problem added to `errors`.
pub(crate) fn checked<T>(errors: &mut Vec<FieldError>, field: &'static str, parsed: Result<T, String>) -> Option<T> {
    parsed.map_err(|reason| errors.push(FieldError { field, reason })).ok()
}

/// Like [`checked`], for an optional text field parsed with the domain's `FromStr`.
pub(crate) fn checked_opt<T: std::str::FromStr<Err = String>>(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: Option<String>,
) -> Option<T> {
    value.and_then(|v| checked(errors, field, v.parse()))
}

/// Parses an optional vocabulary value from the query string.
pub(crate) fn vocab<T: std::str::FromStr<Err = String>>(
    field: &str,
    value: Option<String>,
) -> Result<Option<T>, ApiError> {
    value.map(|v| v.parse().map_err(|e: String| bad(field, e))).transpose()
}
