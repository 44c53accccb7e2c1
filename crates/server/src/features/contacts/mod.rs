//! Contacts (F-02) on the API; the account page shows them.

mod api;
pub(crate) mod ops;

pub(crate) use api::router as api_router;
