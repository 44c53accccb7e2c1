//! Handoff and deal quality (F-65): a closed deal handed from Sales to CS with the customer's
//! goals and pain points, the CS-qualification criteria checked and the deal-desk exceptions;
//! accepted at kickoff, or rejected on unmet criteria with a leader's approval; the team's
//! qualification list; the deals with their exceptions beside how each account renewed.

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/handoff", get(web::account).post(web::create))
        .route("/handoffs", get(web::list))
        .route("/handoffs/qualification", post(web::set_criteria))
        .route("/handoffs/{id}/criteria", post(web::tick))
        .route("/handoffs/{id}/accept", post(web::accept))
        .route("/handoffs/{id}/rejection", post(web::request_rejection))
        .route("/handoffs/{id}/decision", post(web::decide))
}
