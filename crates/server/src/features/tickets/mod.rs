//! Tickets and feature requests (F-43, seed 004): support tickets per account — from the CSV
//! import and the Zendesk webhook — with their numbers and the support-load health measure;
//! bugs and feature requests linked to the accounts that asked for them, ranked by ARR
//! demand, moved by hand or by the Jira webhook, and the CSMs told when one ships.

mod api;
pub(crate) mod ops;
pub(crate) mod web;
mod webhooks;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// The webhooks' paths: they carry their own proof (a secret, a signature), never a session
/// cookie or an API token, so the CSRF guard lets them through.
pub(crate) const WEBHOOK_PATHS: [&str; 2] = ["/api/v1/webhooks/zendesk", "/api/v1/webhooks/jira"];

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/tickets", get(web::account_tickets))
        .route("/accounts/{id}/requests", post(web::create_request))
        .route("/accounts/{id}/requests/link", post(web::link_request))
        .route("/requests", get(web::requests))
        .route("/requests/{id}/status", post(web::set_status))
}
