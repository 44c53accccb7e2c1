//! Segmentation (F-60): the tier formula admins edit, the preview of which accounts it would
//! move (a table, before anything changes), and applying it in one audited step.

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/segmentation", get(web::index))
        .route("/segmentation/apply", post(web::apply))
}
