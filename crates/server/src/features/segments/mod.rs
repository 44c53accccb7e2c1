//! Segmentation (F-60): the tier formula admins edit, the preview of which accounts it would
//! move (a table, before anything changes), and applying it in one audited step; experience
//! levels with their entitlements (QBR and check-in cadences, named or pooled CSM), the level
//! each tier gets, and an account placed in another.

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/segmentation", get(web::index))
        .route("/segmentation/apply", post(web::apply))
        .route("/segmentation/levels", post(web::save_level))
        .route("/segmentation/tier-levels", post(web::set_tier_level))
        .route("/accounts/{id}/experience-level", post(web::place_account))
}
