//! Explained health (F-20, F-21): the account's score and why, pulses and problems, scorecards
//! and risk settings.

mod api;
pub(crate) mod ops;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/pulse", post(web::record_pulse))
        .route("/accounts/{id}/problem", post(web::set_problem))
        .route("/admin/health", get(web::admin))
        .route("/admin/health/scorecards", post(web::create_scorecard))
        .route("/admin/health/scorecards/{id}", post(web::update_scorecard))
        .route("/admin/health/scorecards/{id}/delete", post(web::delete_scorecard))
        .route("/admin/health/exposures", post(web::set_exposures))
        .route("/admin/health/thresholds", post(web::set_thresholds))
}
