//! Milestones (F-13): definitions (admins), an account's progress, first value ending Land.

mod api;
pub(crate) mod ops;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/admin/usage", get(web::admin).post(web::create_milestone))
        .route("/admin/milestones/{id}/delete", post(web::delete_milestone))
}
