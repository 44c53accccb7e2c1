//! Admin pages: the team's user accounts and the API tokens. Admins only.

use lodestar_domain::TokenId;
use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::text::{Email, Name};
use lodestar_domain::user::{User, UserFields};
use lodestar_domain::vocabulary::Role;
use serde::Deserialize;

use crate::http::auth;
use crate::http::error::ApiError;
use crate::http::pages::{Choice, choices};
use crate::http::pages::{Html, SignedIn, render};
use crate::{AppState, password};

struct UserRow {
    name: String,
    email: String,
    role: String,
    manager: String,
    can_sign_in: bool,
}

#[derive(askama::Template)]
#[template(path = "team/admin_users.html")]
struct UsersPage {
    me: User,
    users: Vec<UserRow>,
    roles: Vec<Choice>,
    error: Option<String>,
    form: NewUserForm,
}

#[derive(Deserialize, Default)]
pub(crate) struct NewUserForm {
    email: String,
    name: String,
    role: String,
    password: String,
}

async fn users_page(state: &AppState, me: User, form: NewUserForm, error: Option<String>) -> Result<Html, ApiError> {
    let users = state.store.users().await?;
    let names: HashMap<_, _> = users.iter().map(|u| (u.id, u.fields.name.to_string())).collect();
    let with_password = state.store.users_with_password().await?;
    let rows = users
        .iter()
        .map(|u| UserRow {
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
        form,
    })
}

pub(crate) async fn users(
    State(state): State<AppState>,
    SignedIn { user: me, actor }: SignedIn,
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
    )
    .await?
    .into_response())
}

pub(crate) async fn add_user(
    State(state): State<AppState>,
    SignedIn { user: me, actor }: SignedIn,
    Form(form): Form<NewUserForm>,
) -> Result<Response, ApiError> {
    super::ops::require_user_admin(&actor)?;
    let parsed = (|| -> Result<(UserFields, String), String> {
        let fields = UserFields {
            email: Email::parse(&form.email).map_err(|e| format!("Email: {e}"))?,
            name: Name::parse(&form.name).map_err(|e| format!("Name: {e}"))?,
            role: form.role.parse().map_err(|e| format!("Role: {e}"))?,
            manager_id: None,
            capacity: None,
        };
        let hash = password::hash(&form.password).map_err(|e| format!("Password: {e}"))?;
        Ok((fields, hash))
    })();
    let result = match parsed {
        Err(e) => Err(e),
        Ok((fields, hash)) => match fields.validate(None) {
            Err(e) => Err(e.to_string()),
            Ok(valid) => match state.store.create_user(valid).await {
                Ok(user) => state
                    .store
                    .set_password_hash(user.id, &hash)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            },
        },
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e) => {
            let form = NewUserForm {
                password: String::new(),
                ..form
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                users_page(&state, me, form, Some(e)).await?,
            )
                .into_response())
        }
    }
}

struct TokenRow {
    id: i64,
    prefix: String,
    name: String,
    role: String,
    created: String,
    active: bool,
}

#[derive(askama::Template)]
#[template(path = "team/admin_tokens.html")]
struct TokensPage {
    me: User,
    tokens: Vec<TokenRow>,
    roles: Vec<Choice>,
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
            created: t.created_at.format("%Y-%m-%d %H:%M").to_string(),
            active: t.revoked_at.is_none(),
        })
        .collect();
    let roles = choices(Role::ALL, Some(Role::Viewer), Role::as_str, Role::label);
    render(&TokensPage {
        me,
        tokens,
        roles,
        new_secret,
        error,
    })
}

pub(crate) async fn tokens(
    State(state): State<AppState>,
    SignedIn { user: me, actor }: SignedIn,
) -> Result<Response, ApiError> {
    super::ops::require_token_admin(&actor)?;
    Ok(tokens_page(&state, me, None, None).await?.into_response())
}

#[derive(Deserialize)]
pub(crate) struct NewTokenForm {
    name: String,
    role: String,
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    SignedIn { user: me, actor }: SignedIn,
    Form(form): Form<NewTokenForm>,
) -> Result<Response, ApiError> {
    super::ops::require_token_admin(&actor)?;
    let parsed = Name::parse(&form.name).map_err(|e| format!("Name: {e}")).and_then(|n| {
        form.role
            .parse::<Role>()
            .map(|r| (n, r))
            .map_err(|e| format!("Role: {e}"))
    });
    match parsed {
        Ok((name, role)) => {
            let (_, secret) = auth::issue_token(&state.store, &name, role, None).await?;
            // Shown once, on this response only; the page is never cached.
            let mut res = tokens_page(&state, me, Some(secret), None).await?.into_response();
            res.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(res)
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
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    super::ops::require_token_admin(&actor)?;
    state.store.revoke_token(TokenId(id)).await?;
    Ok(Redirect::to("/admin/tokens").into_response())
}
