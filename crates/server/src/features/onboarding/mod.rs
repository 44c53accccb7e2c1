//! Onboarding (F-36): an account's customer-facing project plan — tasks on both sides with
//! owners and dates, the risks, the kickoff due four business days after signature and the
//! sponsor's midway touchpoint — shared through a customer link where the contact ticks off
//! their tasks and says whether onboarding is complete; the time to first value and to
//! completion per account and segment.

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/onboarding", get(web::account).post(web::start))
        .route("/onboarding/{id}/tasks", post(web::add_task))
        .route("/onboarding/{id}/tasks/{task}/done", post(web::tick))
        .route("/onboarding/{id}/share", post(web::share))
}
