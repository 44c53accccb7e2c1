//! Search (F-07): one box over accounts, contacts, meetings, notes and promises — the page
//! `/search?q=` (what the top bar's box submits) and `GET /api/v1/search`.

mod api;
mod ops;
mod web;

pub(crate) use api::router as api_router;
pub(crate) use web::router as web_router;
