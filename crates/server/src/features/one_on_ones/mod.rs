//! Team 1:1s (F-66): the monthly 1:1 between a leader and each person who reports to them on
//! seed 004's look around / look back / look forward template, with the person's book figures
//! filled in; long-term goals with their status history; and anonymous feedback to
//! leadership. A 1:1 is its own record, not a meeting: meetings belong to an account and
//! invite its customer contacts, while a 1:1 is between two colleagues and private to them.

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/one-on-ones", get(web::index).post(web::record))
        .route("/one-on-ones/new", get(web::new))
        .route("/one-on-ones/{id}", get(web::show).post(web::update))
        .route("/career-goals", post(web::add_goal))
        .route("/career-goals/{id}/status", post(web::set_goal_status))
        .route("/feedback", post(web::submit_feedback))
}
