//! Product usage (F-10 – F-12): Segment-compatible ingestion, usage on the API, the usage part
//! of the account page and the falling-accounts page.

mod api;
mod follower;
pub mod ingest;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new().route("/usage", get(web::drops))
}
