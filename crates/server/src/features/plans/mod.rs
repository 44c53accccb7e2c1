//! Success and value plans (F-31) on our side: write the plan and its tactics (three active at
//! most), share it with a customer contact through a customer link, see what they did with it.

pub(crate) mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/plan", get(web::show).post(web::create))
        .route("/plans/{id}", post(web::update))
        .route("/plans/{id}/tactics", post(web::add_tactic))
        .route("/plans/{id}/tactics/from-library", post(web::add_library_tactic))
        .route("/tactics/{id}/state", post(web::set_tactic_state))
        .route("/plans/{id}/share", post(web::share))
        .route("/plans/{id}/comments", post(web::comment))
}
