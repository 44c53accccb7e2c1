//! Churn and its retrospective (F-25): marking an account churned, the retrospective,
//! never-flagged churns.

mod api;
pub(crate) mod ops;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/churn", post(web::mark_churned))
        .route(
            "/accounts/{id}/retrospective",
            get(web::retrospective).post(web::save_retrospective),
        )
        .route("/retrospectives", get(web::retrospectives))
}
