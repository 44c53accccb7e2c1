//! What every page shares: the signed-in person (or a redirect to sign-in), rendering a
//! template, choices for a select, and the way back after a form.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::access::Actor;
use lodestar_domain::user::User;

use crate::AppState;
use crate::http::auth::{Origin, client_address, token_hash};
use crate::http::error::ApiError;
use lodestar_store::SessionUser;
use serde::{Deserialize, Serialize};

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
    /// Who and from where, for the audit log.
    pub origin: Origin,
    /// The message a form left for this page after its redirect.
    pub flash: Flash,
}

/// A message for the page after a form's redirect, kept in the session (never in the URL: a
/// page prints no text it was handed in a link). `slot` says where on the page it belongs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Flash(Option<(String, String)>);

impl Flash {
    /// The message for `slot`, if there is one.
    pub(crate) fn for_slot(&self, slot: &str) -> Option<String> {
        self.0
            .as_ref()
            .filter(|(s, _)| s == slot)
            .map(|(_, message)| message.clone())
    }
}

/// A flash a handler attaches to its response; [`keep_flash`] stores it in the session.
#[derive(Debug, Clone)]
struct FlashMessage(Flash);

/// Stores the flash a response carries in the session of the request that made it.
pub(crate) async fn keep_flash(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let session = crate::features::team::session::session_secret(request.headers()).map(token_hash);
    let mut res = next.run(request).await;
    if let (Some(FlashMessage(flash)), Some(session)) = (res.extensions_mut().remove::<FlashMessage>(), session) {
        let text = serde_json::to_string(&flash).expect("a flash serialises");
        if let Err(e) = state.store.set_flash(&session, &text).await {
            return ApiError::from(e).into_response();
        }
    }
    res
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match crate::features::team::session::session_user(state, &parts.headers).await {
            Ok(Some(SessionUser { user, flash })) => Ok(SignedIn {
                flash: flash
                    .and_then(|text| serde_json::from_str(&text).ok())
                    .unwrap_or_default(),
                actor: Actor {
                    role: user.fields.role,
                    user: Some(user.id),
                },
                origin: Origin::of_user(&user, client_address(parts, state)),
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

/// Where links that leave the browser point (calendar feeds, customer links): the configured
/// public URL, else the host the request came to.
pub(crate) fn public_base(state: &AppState, headers: &axum::http::HeaderMap) -> String {
    state.config.public_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = if state.config.https { "https" } else { "http" };
        format!("{scheme}://{host}")
    })
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
/// left in the session's flash under `slot` for the page to show.
pub(crate) fn back_after_form(
    url: &str,
    slot: &str,
    anchor: &str,
    result: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    let error = result.err().map(user_problem).transpose()?;
    let mut res = Redirect::to(&format!("{url}#{anchor}")).into_response();
    if let Some(message) = error {
        res.extensions_mut()
            .insert(FlashMessage(Flash(Some((slot.to_owned(), message)))));
    }
    Ok(res)
}

/// A form's page: 422 when it comes back refused (with what was typed kept in it), else 200.
pub(crate) fn form_answer(refused: bool, html: Html) -> Response {
    let status = if refused {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    (status, html).into_response()
}

/// One option of a `<select>`.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The book filter of the portfolio pages: the whole portfolio, or one's own book.
pub(crate) fn book_choices(mine: bool) -> Vec<Choice> {
    [("all", "Whole portfolio", !mine), ("mine", "My book", mine)]
        .into_iter()
        .map(|(value, label, selected)| Choice {
            value: value.into(),
            label: label.into(),
            selected,
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(url_encode("/accounts?q=a b&x=1"), "/accounts%3Fq%3Da%20b%26x%3D1");
    }
}
