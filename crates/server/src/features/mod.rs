//! The features, one module each. A feature owns its operations (`ops`: actor and input in,
//! result out — where its permission checks and input rules live, once), its API handlers and
//! its web handlers, which both call those operations, and its templates folder. Routes of
//! every feature are merged here.

pub mod jobs;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Each feature's API routes with their OpenAPI descriptions.
pub(crate) fn api_routers() -> Vec<OpenApiRouter<AppState>> {
    vec![jobs::api_router()]
}

/// Each feature's pages.
pub(crate) fn web_router() -> Router<AppState> {
    Router::new().merge(jobs::web_router())
}
