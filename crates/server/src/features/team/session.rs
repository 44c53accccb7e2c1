//! Browser sign-in: argon2id passwords checked off the async workers, server-side sessions
//! behind an HttpOnly `__Host-` cookie that end after 12 hours or 2 idle ones, sign-in
//! attempts throttled per email and client address that never reveal whether an email
//! exists, and rotation at sign-in.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lodestar_domain::text::Email;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::AuditKind;
use lodestar_store::{AuditActor, AuditRecord, SessionUser};
use rand::RngCore;
use serde::Deserialize;

use crate::http::auth::{ClientAddress, Origin, token_hash};
use crate::http::error::ApiError;
use crate::http::pages::{Html, render};
use crate::{AppState, password};

/// `__Host-`: the browser keeps it only if it came over https, for this exact host, with
/// path `/` — no subdomain or plain-http page can plant or overwrite it.
pub(crate) const COOKIE_NAME: &str = "__Host-lodestar_session";
/// The longest email kept in the sign-in log (RFC 5321's limit for a whole address).
const EMAIL_MAX: usize = 254;

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

/// The signed-in user of the request, if its session is live (neither expired nor idle).
pub(crate) async fn session_user(state: &AppState, headers: &HeaderMap) -> Result<Option<SessionUser>, ApiError> {
    match session_secret(headers) {
        Some(secret) => Ok(state
            .store
            .session_user(&token_hash(secret), state.config.sessions.idle)
            .await?),
        None => Ok(None),
    }
}

fn cookie(value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age={max_age}"
    ))
    .expect("a cookie is a valid header")
}

/// Starts a new session for `user` and answers with its cookie set (and the redirect `to`).
pub(crate) async fn start_session(state: &AppState, user: &User, to: &str) -> Result<Response, ApiError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let lifetime = state.config.sessions.lifetime;
    state
        .store
        .create_session(user.id, &token_hash(&secret), state.store.now() + lifetime)
        .await?;
    let mut res = Redirect::to(to).into_response();
    res.headers_mut()
        .insert(SET_COOKIE, cookie(&secret, lifetime.num_seconds()));
    Ok(res)
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

/// Only a path on this site: a sign-in link must not send people elsewhere. Browsers ignore
/// tabs and newlines and read `\` as `/`, so `/\t/evil.example` or `/\\evil.example` would
/// leave the site; anything but printable ASCII is refused outright.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/') && !n.starts_with("//") && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_owned()
        }
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

/// The typed email as it is counted and logged: trimmed, lower case, at most [`EMAIL_MAX`]
/// characters whatever was sent.
fn typed_email(raw: &str) -> String {
    raw.trim().chars().take(EMAIL_MAX).collect::<String>().to_lowercase()
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, ApiError> {
    let next = safe_next(form.next.as_deref());
    let typed = typed_email(&form.email);
    let page = |error: &str| SignInPage {
        error: Some(error.to_owned()),
        email: typed.clone(),
        next: next.clone(),
    };
    let limits = state.config.sign_in;
    let Some(attempt) = state.store.begin_sign_in(&typed, client.as_deref(), limits).await? else {
        let minutes = limits.window.num_minutes();
        let mut res = (
            StatusCode::TOO_MANY_REQUESTS,
            render(&page(&format!(
                "Too many failed sign-ins. Try again in {minutes} minutes."
            )))?,
        )
            .into_response();
        res.headers_mut()
            .insert("retry-after", HeaderValue::from(limits.window.num_seconds()));
        return Ok(res);
    };
    let found = match Email::parse(&typed) {
        Ok(email) => state.store.password_hash(&email).await?,
        Err(_) => None,
    };
    // Verify even when there is no such user, so the answer takes as long either way.
    let stored = found.as_ref().and_then(|(_, h)| h.clone());
    let checked_against = stored.clone().unwrap_or_else(|| password::dummy_hash().to_owned());
    let right = password::verify_off_thread(form.password, checked_against).await && stored.is_some();
    let Some((user, _)) = found.filter(|_| right) else {
        let actor = AuditActor {
            user_id: None,
            label: typed.clone(),
        };
        let record = AuditRecord {
            actor: &actor,
            client: client.as_deref(),
            kind: AuditKind::SignInFailed,
            subject: None,
            detail: "wrong email or password, or a deactivated user".into(),
        };
        state.store.audit(&record).await?;
        return Ok((StatusCode::UNAUTHORIZED, render(&page("Email or password is wrong."))?).into_response());
    };
    state.store.sign_in_succeeded(attempt, &typed).await?;
    // Rotate: whatever session the browser had ends; a fresh secret starts.
    if let Some(old) = session_secret(&headers) {
        state.store.delete_session(&token_hash(old)).await?;
    }
    let origin = Origin::of_user(&user, client);
    state
        .store
        .audit(&origin.record(AuditKind::SignIn, None, "web"))
        .await?;
    start_session(&state, &user, &next).await
}

pub(crate) async fn sign_out(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(secret) = session_secret(&headers) {
        if let Some(SessionUser { user, .. }) = session_user(&state, &headers).await? {
            let origin = Origin::of_user(&user, client);
            state
                .store
                .audit(&origin.record(AuditKind::SignOut, None, "web"))
                .await?;
        }
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
        assert_eq!(safe_next(Some("/accounts?q=a%20b")), "/accounts?q=a%20b");
        for bad in [
            "//x",
            "/\\x",
            "/\t/x",
            "/\n/x",
            "/\r/x",
            "/\u{0}x",
            "/\u{7f}x",
            "/ /x",
            "https://x",
            "x",
            "/é",
        ] {
            assert_eq!(safe_next(Some(bad)), "/accounts", "{bad}");
        }
    }

    #[test]
    fn typed_emails_are_bounded() {
        assert_eq!(typed_email("  Ana@X.io "), "ana@x.io");
        assert_eq!(typed_email(&"a".repeat(10_000)).len(), EMAIL_MAX);
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; lodestar_session=old; __Host-lodestar_session=abc; b=2"),
        );
        assert_eq!(session_secret(&h), Some("abc"));
    }
}
