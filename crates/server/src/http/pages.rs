//! What every page shares: the signed-in person (or a redirect to sign-in), rendering a
//! template, choices for a select, and the way back after a form.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::access::Actor;
use lodestar_domain::user::User;

use crate::AppState;
use crate::http::error::ApiError;
use serde::Deserialize;

/// A rendered page.
pub(crate) type Html = axum::response::Html<String>;

pub(crate) fn render(t: &impl askama::Template) -> Result<Html, ApiError> {
    t.render()
        .map(axum::response::Html)
        .map_err(|e| ApiError::Internal(format!("template: {e}")))
}

/// The signed-in person of a page request; without a live session the browser is sent to
/// the sign-in page and back here afterwards.
pub(crate) struct SignedIn {
    pub user: User,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match crate::features::team::session::session_user(&state.store, &parts.headers).await {
            Ok(Some(user)) => Ok(SignedIn {
                actor: Actor {
                    role: user.fields.role,
                    user: Some(user.id),
                },
                user,
            }),
            Ok(None) => {
                let here = parts.uri.path_and_query().map_or("/accounts", |p| p.as_str());
                let next: String = url_encode(here);
                Err(Redirect::to(&format!("/sign-in?next={next}")).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Percent-encodes a query value.
pub(crate) fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The form's problem as text, or the error that is not the user's to fix.
pub(crate) fn user_problem(e: ApiError) -> Result<String, ApiError> {
    match e {
        e @ (ApiError::Invalid(_) | ApiError::BadRequest { .. } | ApiError::Conflict(_) | ApiError::NotFound(_)) => {
            Ok(e.message())
        }
        other => Err(other),
    }
}

/// After a form posted from `url`: back there, at `anchor`, with the form's problem (if any)
/// in the query parameter `param` for the page to show.
pub(crate) fn back_after_form(
    url: &str,
    param: &str,
    anchor: &str,
    result: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    let error = result.err().map(user_problem).transpose()?;
    let sep = if url.contains('?') { '&' } else { '?' };
    let query = error
        .map(|e| format!("{sep}{param}={}", url_encode(&e)))
        .unwrap_or_default();
    Ok(Redirect::to(&format!("{url}{query}#{anchor}")).into_response())
}

/// One option of a `<select>`.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub(crate) fn choices<T: Copy + PartialEq>(
    all: &[T],
    current: Option<T>,
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: value(*v).to_owned(),
            label: label(*v).to_owned(),
            selected: current == Some(*v),
        })
        .collect()
}

/// The `error` query parameter a page shows after a form sent the browser back.
#[derive(Deserialize, Default)]
pub(crate) struct ErrorQuery {
    pub(crate) error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(url_encode("/accounts?q=a b&x=1"), "/accounts%3Fq%3Da%20b%26x%3D1");
    }
}
