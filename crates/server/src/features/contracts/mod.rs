//! Contracts and ARR history (F-03): the API, and the forms that add a contract to an account
//! and record a change of its ARR (the account page lists them).

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route(
            "/accounts/{id}/contracts/new",
            get(web::new_contract_form).post(web::create_contract),
        )
        .route(
            "/accounts/{id}/contracts/{contract}/changes/new",
            get(web::new_change_form).post(web::record_change),
        )
}
