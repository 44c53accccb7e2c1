//! Coverage (F-42): an account's contacts by level and function with the gaps ("three high,
//! three wide"), and the executive sponsor programme for the top fifth of accounts by ARR.
//! Both are read-only views of records kept elsewhere (contacts, the account's sponsor), so
//! there is no `ops` module: every role reads them.

mod api;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/coverage", get(web::account))
        .route("/sponsors", get(web::programme))
}
