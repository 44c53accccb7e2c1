//! `/me/password`: a person changes their own password. The current one is required; their
//! other sessions end, this one stays.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use lodestar_domain::user::User;
use serde::Deserialize;

use crate::AppState;
use crate::http::auth::token_hash;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, render, user_problem};

#[derive(askama::Template)]
#[template(path = "team/password.html")]
struct PasswordPage {
    me: User,
    error: Option<String>,
    changed: bool,
}

pub(crate) async fn form(SignedIn { user: me, .. }: SignedIn) -> Result<Html, ApiError> {
    render(&PasswordPage {
        me,
        error: None,
        changed: false,
    })
}

#[derive(Deserialize)]
pub(crate) struct ChangeForm {
    current_password: String,
    new_password: String,
    repeat_password: String,
}

pub(crate) async fn change(
    State(state): State<AppState>,
    SignedIn { user: me, origin, .. }: SignedIn,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> Result<Response, ApiError> {
    let result = if form.new_password != form.repeat_password {
        Err(lodestar_domain::Invalid::field("repeat_password", "does not match the new password").into())
    } else {
        let keep = super::session::session_secret(&headers).map(token_hash);
        super::ops::change_own_password(
            &state,
            &origin,
            &me,
            form.current_password,
            form.new_password,
            keep.as_deref(),
        )
        .await
    };
    let (status, error) = match result {
        Ok(()) => (StatusCode::OK, None),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, Some(user_problem(e)?)),
    };
    let page = PasswordPage {
        me,
        changed: error.is_none(),
        error,
    };
    Ok((status, render(&page)?).into_response())
}
