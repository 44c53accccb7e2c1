//! Surveys (F-40) on our side: write an NPS, CSAT or micro survey for an account, send it to
//! its contacts (by email, or links shown once), read the answers; the NPS report by account,
//! segment and period with response rates; the verbatims every user reads; beta candidates.
//! Contacts answer at `/c/surveys/…` (`features/customer/survey.rs`).

pub(crate) mod api;
pub(crate) mod ops;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/surveys", get(web::index))
        .route("/surveys/{id}", get(web::show))
        .route("/surveys/{id}/send", post(web::send))
        .route("/accounts/{id}/surveys", post(web::create))
        .route("/contacts/{id}/beta-candidate", post(web::tag_beta))
}
