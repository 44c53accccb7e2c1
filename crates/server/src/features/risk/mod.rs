//! Portfolio risk (F-23): at-risk accounts, renewals by band and exposure, the re-forecast and
//! its loss rates.

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/risk", get(web::show))
        .route("/risk/loss-rates", post(web::set_loss_rates))
}
