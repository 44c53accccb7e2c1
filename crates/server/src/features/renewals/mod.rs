//! Renewals and expansion (F-62): the renewal pipeline in 30/60/90/180-day windows with the
//! CSM's call on each renewal (gut-check, forecast category, ARR expected) kept as a history;
//! how each renewal closed; a quarter's forecast held against what happened; and upsell and
//! cross-sell opportunities, their owner routed by the kind of growth (seed 004).

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/renewals", get(web::pipeline))
        .route("/forecast", get(web::forecast))
        .route("/contracts/{id}/renewal", get(web::renewal).post(web::act_on_renewal))
        .route("/opportunities", get(web::opportunities))
        .route("/opportunities/routes", post(web::set_route))
        .route("/opportunities/{id}", get(web::edit).post(web::update))
        .route("/accounts/{id}/opportunities", get(web::account).post(web::create))
}
