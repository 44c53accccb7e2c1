//! Capacity (F-61): each owner's book against the tier benchmarks and the meeting hours their
//! accounts' experience levels promise, over- and under-loaded people highlighted, and the
//! rebalancing a leader applies in one step.

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/capacity", get(web::index))
        .route("/capacity/benchmarks", post(web::set_benchmark))
        .route("/capacity/meeting-hours", post(web::set_meeting_hours))
        .route("/capacity/rebalance", post(web::apply))
}
