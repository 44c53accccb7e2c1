//! Meetings and notes (F-37) and the promises made in them: logged on an account, shown on its
//! page and timeline, moved and cancelled; promises tracked per side.

pub(crate) mod api;
pub(crate) mod markdown;
pub(crate) mod ops;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route(
            "/accounts/{id}/meetings/new",
            get(web::new_meeting).post(web::create_meeting),
        )
        .route("/meetings/{id}/edit", get(web::edit_meeting).post(web::update_meeting))
        .route("/meetings/{id}/cancel", post(web::cancel_meeting))
        .route("/accounts/{id}/promises", post(web::add_promise))
        .route("/promises/{id}/status", post(web::set_promise_status))
        .route("/promises/{id}/remind", post(web::remind_customer))
}
