//! One log line per request, and a request id that ties it to every line logged while the
//! request ran: the caller's `X-Request-Id` when it is a plausible id (a proxy's), otherwise a
//! new one. The id is returned in `X-Request-Id`, so a user reporting an error can quote it.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::AppState;

const HEADER: &str = "x-request-id";

pub(crate) async fn request_log(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_plausible_id(v))
        .map_or_else(|| format!("{:016x}", rand::random::<u64>()), str::to_owned);
    // The route's pattern, not the path: ids in paths would make every line unique.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str)
        .to_owned();
    let method = request.method().clone();
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    span.in_scope(|| tracing::info!(status, ms = seconds * 1000.0, "request done"));
    state.metrics.observe_request(method.as_str(), &route, status, seconds);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// Up to 64 letters, digits, `-`, `_` or `.`: anything else (a log-injection attempt, a
/// novel) is replaced by a fresh id.
fn is_plausible_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plausible_ids_are_taken_from_the_caller() {
        assert!(is_plausible_id("4bf92f3577b34da6a3ce929d0e0e4736"));
        assert!(is_plausible_id("req_01.abc-9"));
        assert!(!is_plausible_id(""));
        assert!(!is_plausible_id("a b"));
        assert!(!is_plausible_id("x\nforged line"));
        assert!(!is_plausible_id(&"a".repeat(65)));
    }
}
