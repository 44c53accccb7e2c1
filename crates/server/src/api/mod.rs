//! The JSON API under `/api/v1`, one module per resource.

pub mod accounts;
pub mod users;
