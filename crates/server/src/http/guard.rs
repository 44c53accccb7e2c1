//! What every request passes through before its handler: the CSRF guard for cookie-carrying
//! writes, and the security headers every response gets.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::http::auth::bearer_token;
use crate::http::error::ApiError;

/// Refuses cross-site writes. A request that changes something must come from this site
/// (`Sec-Fetch-Site` says so, or the `Origin` matches the `Host`) unless it is an API call
/// carrying an API token — which the API then judges by that token alone, never by a cookie.
/// Any other `Authorization` header proves nothing: a forged form post can't set one, but a
/// script on another site can send `Authorization: Basic …` along with the victim's cookie.
/// SameSite=Lax cookies are the second line.
pub(crate) async fn csrf_guard(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = request.uri().path();
    let api_token = path.starts_with("/api/") && bearer_token(request.headers()).is_some();
    // Event ingestion never reads the session cookie, so a forged request gains nothing.
    let ingestion = path.starts_with("/v1/");
    // The help desk's and issue tracker's webhooks prove themselves with a shared secret.
    let webhook = crate::features::tickets::WEBHOOK_PATHS.contains(&path);
    if unsafe_method && !api_token && !ingestion && !webhook && !same_site(request.headers()) {
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
/// styles), no sniffing, no framing, no referrer leaks; `no-store` on everything but the
/// static assets (pages and API answers hold customer data and must not linger in a shared
/// or browser cache); HSTS when the public URL is https.
pub(crate) async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let asset = request.uri().path().starts_with("/assets/");
    // A customer link's secret is in its path: no page it leads to may pass it on.
    let customer_link = request.uri().path().starts_with("/c/");
    let mut res = next.run(request).await;
    let h = res.headers_mut();
    if !asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    // A page that must stand alone (the QBR pack, saved or printed as one file) sets a stricter
    // policy of its own, which allows its one inline style by hash.
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(if customer_link { "no-referrer" } else { "same-origin" }),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
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
}
