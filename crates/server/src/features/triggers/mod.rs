//! Triggers (F-51): rules admins write — "when <signal> [and <condition>] then <actions>" — run
//! by the job queue (`jobs::trigger_sweep`), never inside a request; a dry run shows what a
//! rule hits now, and every firing is recorded with its cause.

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/admin/triggers", get(web::rules).post(web::create))
        .route("/admin/triggers/run", post(web::run_now))
        .route("/admin/triggers/{id}", get(web::rule).post(web::update))
        .route("/admin/triggers/{id}/delete", post(web::delete))
}
