//! The agile cycle (F-33, F-34; seeds 000 and 003): an account's sprints of at most three
//! goals with their quick wins, the re-engagement of a slipping account after its root cause
//! is looked for, customer retrospectives run from the three questions to the next date, and
//! the portfolio board by lifecycle stage and sprint.

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/sprints", get(web::account).post(web::start))
        .route("/sprint-goals/{id}", post(web::move_goal))
        .route("/sprints/{id}/wins", post(web::add_win))
        .route("/sprints", get(web::board))
        .route("/sprints/settings", post(web::set_settings))
        .route("/meetings/{id}/retrospective", get(web::retro).post(web::retro_post))
}
