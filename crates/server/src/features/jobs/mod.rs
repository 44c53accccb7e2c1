//! Background jobs as admins see them: what is queued, running, done and failed, and a retry
//! for a failed job. (The queue is the store's; the runner is `crate::jobs`.)

mod api;
pub(crate) mod ops;
mod web;

pub(crate) use api::router as api_router;
pub(crate) use web::router as web_router;
