//! Browser sign-in: argon2id passwords, server-side sessions behind an HttpOnly cookie,
//! throttled failures that never reveal whether an email exists, and rotation at sign-in.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lodestar_domain::text::Email;
use lodestar_domain::user::User;
use lodestar_store::Store;
use rand::RngCore;
use serde::Deserialize;

use crate::http::auth::token_hash;
use crate::http::error::ApiError;
use crate::http::pages::{Html, render};
use crate::{AppState, password};

pub(crate) const COOKIE_NAME: &str = "lodestar_session";
/// A session ends this long after sign-in.
const SESSION_HOURS: i64 = 12;
/// More failed sign-ins than this for one email within the window are refused.
const MAX_FAILURES: i64 = 5;
const FAILURE_WINDOW_MINUTES: i64 = 15;

/// The session secret from the request's cookies.
pub(crate) fn session_secret(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
}

/// The signed-in user of the request, if its session is live.
pub(crate) async fn session_user(store: &Store, headers: &HeaderMap) -> Result<Option<User>, ApiError> {
    match session_secret(headers) {
        Some(secret) => Ok(store.session_user(&token_hash(secret)).await?),
        None => Ok(None),
    }
}

fn cookie(value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age={max_age}"
    ))
    .expect("a cookie is a valid header")
}

#[derive(askama::Template)]
#[template(path = "team/sign_in.html")]
struct SignInPage {
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// Only local paths: a sign-in link must not send people to another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/accounts".to_owned(),
    }
}

pub(crate) async fn sign_in_form(Query(q): Query<NextQuery>) -> Result<Html, ApiError> {
    render(&SignInPage {
        error: None,
        email: String::new(),
        next: safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, ApiError> {
    let next = safe_next(form.next.as_deref());
    let typed = form.email.trim().to_lowercase();
    let page = |error: &str| SignInPage {
        error: Some(error.to_owned()),
        email: typed.clone(),
        next: next.clone(),
    };
    let since = state.store.now() - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
    if state.store.sign_in_failures_since(&typed, since).await? >= MAX_FAILURES {
        let mut res = (
            StatusCode::TOO_MANY_REQUESTS,
            render(&page(&format!(
                "Too many failed sign-ins for this email. Try again in {FAILURE_WINDOW_MINUTES} minutes."
            )))?,
        )
            .into_response();
        res.headers_mut()
            .insert("retry-after", HeaderValue::from(FAILURE_WINDOW_MINUTES * 60));
        return Ok(res);
    }
    let found = match Email::parse(&typed) {
        Ok(email) => state.store.password_hash(&email).await?,
        Err(_) => None,
    };
    // Verify even when there is no such user, so the answer takes as long either way.
    let stored = found
        .as_ref()
        .and_then(|(_, h)| h.clone())
        .unwrap_or_else(|| password::dummy_hash().to_owned());
    let ok = password::verify(&form.password, &stored) && found.as_ref().is_some_and(|(_, h)| h.is_some());
    let Some((user, _)) = found.filter(|_| ok) else {
        state.store.record_sign_in_failure(&typed).await?;
        return Ok((StatusCode::UNAUTHORIZED, render(&page("Email or password is wrong."))?).into_response());
    };
    state.store.clear_sign_in_failures(&typed).await?;
    // Rotate: whatever session the browser had ends; a fresh secret starts.
    if let Some(old) = session_secret(&headers) {
        state.store.delete_session(&token_hash(old)).await?;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let expires = state.store.now() + chrono::Duration::hours(SESSION_HOURS);
    state
        .store
        .create_session(user.id, &token_hash(&secret), expires)
        .await?;
    let mut res = Redirect::to(&next).into_response();
    res.headers_mut()
        .insert(SET_COOKIE, cookie(&secret, SESSION_HOURS * 3600));
    Ok(res)
}

pub(crate) async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(secret) = session_secret(&headers) {
        state.store.delete_session(&token_hash(secret)).await?;
    }
    let mut res = Redirect::to("/sign-in").into_response();
    res.headers_mut().insert(SET_COOKIE, cookie("", 0));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/accounts/7")), "/accounts/7");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "accounts"] {
            assert_eq!(safe_next(Some(bad)), "/accounts", "{bad}");
        }
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_static("a=1; lodestar_session=abc; b=2"));
        assert_eq!(session_secret(&h), Some("abc"));
    }
}
