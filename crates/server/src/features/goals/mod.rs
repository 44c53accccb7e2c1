//! Goals and value (F-30): an account's goals with the ecosystem each needs, rated part by
//! part, and the value received; shown on the account page and its timeline, and the
//! portfolio's goals at risk.

mod api;
pub(crate) mod ops;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/goals", post(web::create_goal))
        .route("/goals/at-risk", get(web::at_risk))
        .route("/goals/{id}/edit", post(web::update_goal))
        .route("/goals/{id}/parts", post(web::add_part))
        .route("/goals/{id}/parts/{part_id}/rating", post(web::rate_part))
        .route("/goals/{id}/parts/{part_id}/remove", post(web::remove_part))
        .route("/goals/{id}/value", post(web::record_value))
}
