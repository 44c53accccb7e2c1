//! Revenue (F-63, F-64): retention of a period and retention curves, from the subscription
//! history `lodestar import subscriptions` brings in.

mod api;
pub mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/revenue/retention", get(web::retention))
        .route("/revenue/curves", get(web::curves))
}
