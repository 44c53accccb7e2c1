//! The quarterly line-by-line review (F-24): agendas, notes, action items carried over.

mod api;
pub(crate) mod ops;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/lxl", get(web::reviews).post(web::start))
        .route("/lxl/{id}", get(web::review))
        .route("/lxl/{id}/accounts/{account}", get(web::line))
        .route("/lxl/{id}/accounts/{account}/add", post(web::add_to_review))
        .route("/lxl/{id}/accounts/{account}/notes", post(web::save_notes))
        .route("/lxl/{id}/accounts/{account}/items", post(web::add_item))
        .route("/action-items/{id}/status", post(web::set_item_status))
}
