//! The team and its access (F-04, F-05): users, sign-in and sessions, the team page, and the
//! admin pages for users and API tokens.

mod admin;
pub(crate) mod api;
pub(crate) mod ops;
mod password_page;
pub(crate) mod session;
mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(session::sign_in_form).post(session::sign_in))
        .route("/sign-out", post(session::sign_out))
        .route("/team", get(web::show))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route(
            "/admin/users/{id}/deactivate",
            post(|State(s), who, Path(id)| admin::set_active(s, who, id, false)),
        )
        .route(
            "/admin/users/{id}/reactivate",
            post(|State(s), who, Path(id)| admin::set_active(s, who, id, true)),
        )
        .route("/me/password", get(password_page::form).post(password_page::change))
        .route("/admin/tokens", get(admin::tokens).post(admin::create_token))
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
}
