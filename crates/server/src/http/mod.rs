//! The HTTP plumbing every feature shares: errors as problem+json (the one place errors become
//! HTTP), JSON bodies, callers (API tokens) and signed-in people (sessions), reading path and
//! query values, the CSRF guard and security headers, request logs, embedded assets.

pub mod assets;
pub mod auth;
pub mod error;
pub(crate) mod forms;
pub(crate) mod guard;
pub(crate) mod json;
pub(crate) mod nav;
pub(crate) mod pages;
pub(crate) mod params;
pub(crate) mod request_log;
