//! How an operator tunes the server: session lengths, sign-in throttling, where the client
//! address comes from behind a proxy, and whether the public URL is https.

use axum::http::HeaderName;
use lodestar_store::{SessionLimits, SignInLimits};

/// A header name as an operator types it (`X-Forwarded-For`), checked.
pub fn header_name(text: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(text.trim().as_bytes()).map_err(|_| format!("{text:?} is not a header name"))
}

#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    pub sessions: SessionLimits,
    pub sign_in: SignInLimits,
    /// The header a trusted reverse proxy writes the client address into (`X-Forwarded-For`,
    /// `X-Real-IP`). Unset, the address is the TCP peer's: a header anyone can send must not
    /// decide whose sign-in failures count.
    pub client_address_header: Option<HeaderName>,
    /// Lodestar's public URL is https: browsers are told to use nothing else (HSTS).
    pub https: bool,
    /// Lodestar's public URL without a trailing slash, for links that leave the browser
    /// (calendar feeds); unset, links are made from the request's Host header.
    pub public_url: Option<String>,
}
