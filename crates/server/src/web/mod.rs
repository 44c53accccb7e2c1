//! The web UI: server-rendered pages (askama templates, compile-checked), a little htmx, and
//! ECharts for charts — both vendored and embedded in the binary. Every page asks the same
//! `Actor` rules as the API; a page shows only the controls its viewer may use.

mod accounts;
mod admin;
mod assets;
mod health;
mod reviews;
mod risk;
pub(crate) mod session;
mod team;
mod usage;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use lodestar_domain::access::Actor;
use lodestar_domain::user::User;

use crate::AppState;
use crate::error::ApiError;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/accounts") }))
        .route("/sign-in", get(session::sign_in_form).post(session::sign_in))
        .route("/sign-out", axum::routing::post(session::sign_out))
        .route("/accounts", get(accounts::list))
        .route("/accounts/{id}", get(accounts::show))
        .route("/accounts/{id}/edit", get(accounts::edit_form).post(accounts::edit))
        .route("/team", get(team::show))
        .route("/usage", get(usage::drops))
        .route("/accounts/{id}/pulse", axum::routing::post(health::record_pulse))
        .route("/accounts/{id}/problem", axum::routing::post(health::set_problem))
        .route("/risk", get(risk::show))
        .route("/lxl", get(reviews::reviews).post(reviews::start))
        .route("/lxl/{id}", get(reviews::review))
        .route("/lxl/{id}/accounts/{account}", get(reviews::line))
        .route(
            "/lxl/{id}/accounts/{account}/add",
            axum::routing::post(reviews::add_to_review),
        )
        .route(
            "/lxl/{id}/accounts/{account}/notes",
            axum::routing::post(reviews::save_notes),
        )
        .route(
            "/lxl/{id}/accounts/{account}/items",
            axum::routing::post(reviews::add_item),
        )
        .route(
            "/action-items/{id}/status",
            axum::routing::post(reviews::set_item_status),
        )
        .route("/accounts/{id}/churn", axum::routing::post(reviews::mark_churned))
        .route(
            "/accounts/{id}/retrospective",
            get(reviews::retrospective).post(reviews::save_retrospective),
        )
        .route("/retrospectives", get(reviews::retrospectives))
        .route("/risk/loss-rates", axum::routing::post(risk::set_loss_rates))
        .route("/admin/health", get(health::admin))
        .route(
            "/admin/health/scorecards",
            axum::routing::post(health::create_scorecard),
        )
        .route(
            "/admin/health/scorecards/{id}",
            axum::routing::post(health::update_scorecard),
        )
        .route(
            "/admin/health/scorecards/{id}/delete",
            axum::routing::post(health::delete_scorecard),
        )
        .route("/admin/health/exposures", axum::routing::post(health::set_exposures))
        .route("/admin/health/thresholds", axum::routing::post(health::set_thresholds))
        .route("/admin/usage", get(usage::admin).post(usage::create_milestone))
        .route(
            "/admin/milestones/{id}/delete",
            axum::routing::post(usage::delete_milestone),
        )
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/tokens", get(admin::tokens).post(admin::create_token))
        .route("/admin/tokens/{id}/revoke", axum::routing::post(admin::revoke_token))
        .route("/assets/{name}", get(assets::serve))
}

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
        match session::session_user(&state.store, &parts.headers).await {
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

/// Refuses cross-site writes. A request that changes something and does not carry an API
/// token (so it relies on the browser's cookie) must come from this site: `Sec-Fetch-Site`
/// says so, or the `Origin` matches the `Host`. SameSite=Lax cookies are the second line.
pub(crate) async fn csrf_guard(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let has_token = request.headers().contains_key(header::AUTHORIZATION);
    // Event ingestion never reads the session cookie, so a forged request gains nothing.
    let ingestion = request.uri().path().starts_with("/v1/");
    if unsafe_method && !has_token && !ingestion && !same_site(request.headers()) {
        return ApiError::Forbidden("cross-site request refused").into_response();
    }
    next.run(request).await
}

fn same_site(headers: &axum::http::HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin" || site == "none";
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, o)| o == host),
        _ => false,
    }
}

/// Headers every response gets: a strict Content-Security-Policy (only our own scripts and
/// styles), no sniffing, no framing, no referrer leaks.
pub(crate) async fn security_headers(State(_): State<AppState>, request: Request, next: Next) -> Response {
    let mut res = next.run(request).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
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

/// Whether `actor` may change account `id` (404 when there is no such account).
pub(crate) async fn may_write_account(
    state: &AppState,
    actor: &Actor,
    id: lodestar_domain::AccountId,
) -> Result<bool, ApiError> {
    let account = state
        .store
        .account(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("account {id} does not exist")))?;
    Ok(actor.can_write_account(account.fields.owner_id))
}

/// A page for "you may not": shown instead of a control that should not have been used.
pub(crate) fn forbidden(why: &'static str) -> Response {
    (StatusCode::FORBIDDEN, ApiError::Forbidden(why)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_site_needs_fetch_metadata_or_a_matching_origin() {
        let mut h = axum::http::HeaderMap::new();
        assert!(!same_site(&h), "no evidence is refused");
        h.insert(header::HOST, HeaderValue::from_static("lodestar.example"));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://lodestar.example"));
        assert!(same_site(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_site(&h));
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(url_encode("/accounts?q=a b&x=1"), "/accounts%3Fq%3Da%20b%26x%3D1");
    }
}
