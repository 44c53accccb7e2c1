//! Champion health (F-41): each contact's engagement, delight and influence with the facts
//! behind them, the quadrant chart per account, and the alerts (a high-influence contact who
//! dislikes our solution, a champion who left) across a book. Also where bounced emails are
//! reported, since a bounce is how a champion's leaving is noticed.

mod api;
mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/champions", get(web::account))
        .route("/contacts/{id}/outlook", post(web::set_outlook))
        .route("/champions", get(web::alerts))
}
