//! The playbook library (F-32): each segment's outcomes with tactics, case studies and ROI
//! figures; the risk playbooks' outreach emails, previewed and sent from an account; the changes
//! churn retrospectives ask of the library.

mod api;
pub(crate) mod ops;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/playbooks", get(web::library))
        .route(
            "/playbooks/outcomes/new",
            get(web::new_outcome).post(web::create_outcome),
        )
        .route(
            "/playbooks/outcomes/{id}/edit",
            get(web::edit_outcome).post(web::update_outcome),
        )
        .route("/playbooks/outcomes/{id}/delete", post(web::delete_outcome))
        .route("/playbooks/risk/{approach}", post(web::save_risk_playbook))
        .route("/playbook-changes/{id}/resolve", post(web::resolve_change))
        .route("/accounts/{id}/outreach", get(web::outreach).post(web::send_outreach))
        .route("/accounts/{id}/playbook-changes", post(web::request_change))
}
