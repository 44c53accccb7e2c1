//! Contacts (F-02): the API, and the form that adds one to an account (the account page lists
//! them).

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new().route("/accounts/{id}/contacts/new", get(web::new_form).post(web::create))
}
