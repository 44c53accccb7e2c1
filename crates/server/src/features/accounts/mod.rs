//! Accounts (F-01): the list, the account page, creating and editing; the permission rules
//! of an account's book.

mod api;
pub(crate) mod ops;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(web::list))
        .route("/accounts/new", get(web::new_form).post(web::create))
        .route("/accounts/{id}", get(web::show))
        .route("/accounts/{id}/edit", get(web::edit_form).post(web::edit))
}
