//! The audit log as admins read it: a page and `GET /api/v1/audit`, newest first, filtered by
//! actor, kind and dates. (The log is the store's; features append to it through
//! `AppState::audit`.)

mod api;
mod ops;
mod web;

pub(crate) use api::router as api_router;
pub(crate) use web::router as web_router;
