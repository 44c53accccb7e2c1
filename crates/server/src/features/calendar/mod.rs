//! Calendar feeds and the calendar view: a private iCalendar (RFC 5545) feed per user and per
//! account at a secret URL, revocable; and the coming weeks of meetings across one's book.

mod api;
pub(crate) mod ics;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lodestar_store::{CalendarFeed, FeedOwner, Store};
use rand::RngCore;

use crate::AppState;
use crate::http::error::ApiError;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/calendar", get(web::calendar))
        .route("/calendar/feed", post(web::renew))
        .route("/calendar/feed/revoke", post(web::revoke))
        .route("/feeds/{file}", get(ics::feed))
        .route("/accounts/{id}/calendar-feed", post(web::renew_account))
        .route("/accounts/{id}/calendar-feed/revoke", post(web::revoke_account))
}

/// A new feed for `owner` at a fresh secret (256 random bits), ending its old URL.
pub(crate) async fn renew(store: &Store, owner: FeedOwner) -> Result<CalendarFeed, ApiError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Ok(store.renew_calendar_feed(owner, &URL_SAFE_NO_PAD.encode(bytes)).await?)
}

/// The feed's URL: under the configured public URL, else the host the request came to.
pub(crate) fn feed_url(state: &AppState, headers: &HeaderMap, feed: &CalendarFeed) -> String {
    format!(
        "{}/feeds/{}.ics",
        crate::http::pages::public_base(state, headers),
        feed.secret
    )
}
