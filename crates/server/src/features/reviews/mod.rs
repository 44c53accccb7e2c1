//! QBRs, EBRs and check-ins (F-35): the accounts overdue for what their experience level
//! promises,
//! the business reviews ahead with the senior-sponsor check, a review's agenda assembled from
//! the account's records with the CSM's gut-check of the renewal, and the pack shared with the
//! customer's attendees afterwards through customer links. (A red health score opens a
//! reactive QBR task: the store does it where scores are written.)

mod api;
pub(crate) mod ops;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// How far ahead the business reviews are listed.
pub(crate) const AHEAD_WEEKS: i64 = 8;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/reviews", get(web::index))
        .route("/meetings/{id}/review", get(web::show))
        .route("/meetings/{id}/review/outlook", post(web::set_outlook))
        .route(
            "/meetings/{id}/review/pack",
            get(web::preview_pack).post(web::share_pack),
        )
}
