//! Contracts and ARR history (F-03) on the API; the account page shows them.

mod api;
pub(crate) mod ops;

pub(crate) use api::router as api_router;
