//! Reading what a request carries: path ids, query values, fields of a body, each refused with
//! the field named.

use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use lodestar_domain::FieldError;
use serde::Deserialize;

use crate::http::error::ApiError;
use lodestar_domain::Invalid;
use lodestar_domain::text::Note;

/// `?owner_id=`: one CSM's book; the whole portfolio when left out.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BookQuery {
    /// One CSM's book; the whole portfolio when left out.
    pub owner_id: Option<i64>,
}

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

/// Reads free-text fields, naming every one that is too long or holds control characters.
pub(crate) fn notes<const N: usize>(fields: [(&'static str, &str); N]) -> Result<[Note; N], ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let parsed = fields.map(|(field, text)| checked(&mut errors, field, Note::parse(text)).unwrap_or_default());
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(Invalid { errors }.into())
    }
}

/// How many items a page holds: `limit` when it is 1–500, `default` when it is not given.
pub(crate) fn page_limit(limit: Option<u32>, default: u32) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(default);
    if (1..=500).contains(&limit) {
        Ok(limit)
    } else {
        Err(bad("limit", "must be between 1 and 500"))
    }
}

/// `Ok` when `may`, else 403 with `why`: how a feature's `ops` states one permission rule.
pub(crate) fn allowed(may: bool, why: &'static str) -> Result<(), ApiError> {
    if may { Ok(()) } else { Err(ApiError::Forbidden(why)) }
}
