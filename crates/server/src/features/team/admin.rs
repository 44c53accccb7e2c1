//! Admin pages: the team's user accounts and the API tokens. Admins only.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::text::{Email, Name};
use lodestar_domain::user::{User, UserFields};
use lodestar_domain::vocabulary::{Role, TokenScope};
use lodestar_domain::{Invalid, TokenId, UserId};
use serde::Deserialize;

use crate::AppState;
use crate::http::error::ApiError;
use crate::http::pages::{Choice, choices, user_problem};
use crate::http::pages::{Html, SignedIn, render};

struct UserRow {
    id: i64,
    name: String,
    email: String,
    role: String,
    manager: String,
    can_sign_in: bool,
    active: bool,
    is_me: bool,
}

#[derive(askama::Template)]
#[template(path = "team/admin_users.html")]
struct UsersPage {
    me: User,
    users: Vec<UserRow>,
    roles: Vec<Choice>,
    error: Option<String>,
    notice: Option<&'static str>,
    form: NewUserForm,
}

#[derive(Deserialize, Default)]
pub(crate) struct NewUserForm {
    email: String,
    name: String,
    role: String,
    password: String,
}

/// What the users page says after an action, by a fixed code (never text from the query).
#[derive(Deserialize, Default)]
pub(crate) struct Done {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "deactivated" => Some("The user is deactivated: they are signed out and their tokens stopped."),
        "reactivated" => Some("The user is active again."),
        "password" => Some("The password is set and the user's sessions ended."),
        _ => None,
    }
}

async fn users_page(
    state: &AppState,
    me: User,
    form: NewUserForm,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<Html, ApiError> {
    let users = state.store.users().await?;
    let names: HashMap<_, _> = users.iter().map(|u| (u.id, u.fields.name.to_string())).collect();
    let with_password = state.store.users_with_password().await?;
    let deactivated = state.store.deactivated_users().await?;
    let rows = users
        .iter()
        .map(|u| UserRow {
            id: u.id.0,
            active: !deactivated.contains(&u.id),
            is_me: u.id == me.id,
            name: u.fields.name.to_string(),
            email: u.fields.email.to_string(),
            role: u.fields.role.label().to_owned(),
            manager: u
                .fields
                .manager_id
                .and_then(|m| names.get(&m).cloned())
                .unwrap_or_default(),
            can_sign_in: with_password.contains(&u.id),
        })
        .collect();
    let roles = choices(Role::ALL, form.role.parse().ok(), Role::as_str, Role::label);
    render(&UsersPage {
        me,
        users: rows,
        roles,
        error,
        notice,
        form,
    })
}

pub(crate) async fn users(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Query(done): Query<Done>,
) -> Result<Response, ApiError> {
    super::ops::require_user_admin(&actor)?;
    Ok(users_page(
        &state,
        me,
        NewUserForm {
            role: "csm".into(),
            ..Default::default()
        },
        None,
        notice(done.done.as_deref()),
    )
    .await?
    .into_response())
}

pub(crate) async fn add_user(
    State(state): State<AppState>,
    SignedIn {
        user: me,
        actor,
        origin,
        ..
    }: SignedIn,
    Form(form): Form<NewUserForm>,
) -> Result<Response, ApiError> {
    super::ops::require_user_admin(&actor)?;
    let fields = UserFields {
        email: Email::parse(&form.email).map_err(|e| Invalid::field("email", e))?,
        name: Name::parse(&form.name).map_err(|e| Invalid::field("name", e))?,
        role: form.role.parse().map_err(|e| Invalid::field("role", e))?,
        manager_id: None,
        capacity: None,
    }
    .validate(None);
    let result = match fields {
        Ok(valid) => super::ops::create_user(&state, &origin, valid, Some(form.password.clone()))
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    match result.map_err(user_problem) {
        Ok(()) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e) => {
            let form = NewUserForm {
                password: String::new(),
                ..form
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                users_page(&state, me, form, Some(e?), None).await?,
            )
                .into_response())
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    password: String,
}

/// An admin sets someone's password (they forgot it, or it leaked); their sessions end.
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    SignedIn {
        user: me,
        actor,
        origin,
        ..
    }: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, ApiError> {
    super::ops::require_user_admin(&actor)?;
    match super::ops::reset_password(&state, &origin, UserId(id), form.password).await {
        Ok(()) => Ok(Redirect::to("/admin/users?done=password").into_response()),
        Err(e) => {
            let error = user_problem(e)?;
            let form = NewUserForm {
                role: "csm".into(),
                ..Default::default()
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                users_page(&state, me, form, Some(error), None).await?,
            )
                .into_response())
        }
    }
}

/// The Deactivate and Reactivate buttons: `active` is which one was pressed.
pub(crate) async fn set_active(
    state: AppState,
    SignedIn { actor, origin, .. }: SignedIn,
    id: i64,
    active: bool,
) -> Result<Response, ApiError> {
    super::ops::require_user_admin(&actor)?;
    super::ops::set_active(&state, &origin, UserId(id), active).await?;
    let done = if active { "reactivated" } else { "deactivated" };
    Ok(Redirect::to(&format!("/admin/users?done={done}")).into_response())
}

struct TokenRow {
    id: i64,
    prefix: String,
    name: String,
    role: String,
    scope: String,
    created: String,
    active: bool,
}

#[derive(askama::Template)]
#[template(path = "team/admin_tokens.html")]
struct TokensPage {
    me: User,
    tokens: Vec<TokenRow>,
    roles: Vec<Choice>,
    scopes: Vec<Choice>,
    new_secret: Option<String>,
    error: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    me: User,
    new_secret: Option<String>,
    error: Option<String>,
) -> Result<Html, ApiError> {
    let tokens = state
        .store
        .tokens()
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.0,
            prefix: t.prefix,
            name: t.name,
            role: t.role.label().to_owned(),
            scope: t.scope.label().to_owned(),
            created: t.created_at.format("%Y-%m-%d %H:%M").to_string(),
            active: t.revoked_at.is_none(),
        })
        .collect();
    let roles = choices(Role::ALL, Some(Role::Viewer), Role::as_str, Role::label);
    let scopes = choices(
        TokenScope::ALL,
        Some(TokenScope::Api),
        TokenScope::as_str,
        TokenScope::label,
    );
    render(&TokensPage {
        me,
        tokens,
        roles,
        scopes,
        new_secret,
        error,
    })
}

pub(crate) async fn tokens(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
) -> Result<Response, ApiError> {
    super::ops::require_token_admin(&actor)?;
    Ok(tokens_page(&state, me, None, None).await?.into_response())
}

#[derive(Deserialize)]
pub(crate) struct NewTokenForm {
    name: String,
    role: String,
    scope: Option<String>,
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    SignedIn {
        user: me,
        actor,
        origin,
        ..
    }: SignedIn,
    Form(form): Form<NewTokenForm>,
) -> Result<Response, ApiError> {
    super::ops::require_token_admin(&actor)?;
    let parsed = (|| -> Result<(Name, Role, TokenScope), String> {
        let name = Name::parse(&form.name).map_err(|e| format!("Name: {e}"))?;
        let role = form.role.parse().map_err(|e| format!("Role: {e}"))?;
        let scope = form
            .scope
            .as_deref()
            .map_or(Ok(TokenScope::Api), str::parse)
            .map_err(|e| format!("Scope: {e}"))?;
        Ok((name, role, scope))
    })();
    match parsed {
        Ok((name, role, scope)) => {
            let (_, secret) = super::ops::create_token(&state, &origin, &name, role, scope).await?;
            // Shown once, on this response only (which, like every page, is never cached).
            Ok(tokens_page(&state, me, Some(secret), None).await?.into_response())
        }
        Err(e) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            tokens_page(&state, me, None, Some(e)).await?,
        )
            .into_response()),
    }
}

pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    SignedIn { actor, origin, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    super::ops::require_token_admin(&actor)?;
    super::ops::revoke_token(&state, &origin, TokenId(id)).await?;
    Ok(Redirect::to("/admin/tokens").into_response())
}
