//! `/api/v1/users`: the team, readable by every signed-in caller.

use axum::extract::State;
use axum::http::StatusCode;
use lodestar_domain::UserId;
use lodestar_domain::text::Email;
use lodestar_domain::user::User;
use lodestar_domain::user::UserFields;
use lodestar_domain::{Invalid, Valid};
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, DeleteProblems, ReadProblems, WriteProblems};

use crate::http::json::{Json, patched};
use crate::http::params::{IdPath, checked, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, replace_user, patch_user, delete_user))
        .routes(routes!(reset_password))
        .routes(routes!(deactivate_user))
        .routes(routes!(reactivate_user))
        .routes(routes!(change_own_password))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOutput {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// admin, leader, csm, associate_csm, ae, executive or viewer.
    pub role: String,
    pub manager_id: Option<i64>,
    /// The most accounts this person should own.
    pub capacity: Option<u32>,
    /// Their IANA time zone, which they set themselves (`PUT /api/v1/me/notifications`).
    pub time_zone: String,
}

impl From<User> for UserOutput {
    fn from(u: User) -> Self {
        let f = u.fields;
        UserOutput {
            id: u.id.0,
            email: f.email.to_string(),
            name: f.name.to_string(),
            role: f.role.to_string(),
            manager_id: f.manager_id.map(|m| m.0),
            capacity: f.capacity,
            time_zone: u.time_zone.to_string(),
        }
    }
}

/// A user as an admin writes them. Passwords are set with `lodestar user add
/// --password-stdin` or on the admin page, never through this API.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub email: String,
    pub name: String,
    /// admin, leader, csm, associate_csm, ae, executive or viewer.
    pub role: String,
    pub manager_id: Option<i64>,
    /// The most accounts this person should own; at least 1.
    #[schema(minimum = 1, maximum = 4294967295_u64)]
    #[serde(default, deserialize_with = "crate::http::params::whole_number")]
    pub capacity: Option<u32>,
}

impl UserInput {
    fn into_fields(self, own_id: Option<UserId>) -> Result<Valid<UserFields>, Invalid> {
        let mut errors = Vec::new();
        let email = checked(&mut errors, "email", Email::parse(&self.email));
        let name = checked(&mut errors, "name", self.name.parse());
        let role = checked(&mut errors, "role", self.role.parse());
        let (Some(email), Some(name), Some(role)) = (email, name, role) else {
            return Err(Invalid { errors });
        };
        UserFields {
            email,
            name,
            role,
            manager_id: self.manager_id.map(UserId),
            capacity: self.capacity,
        }
        .validate(own_id)
    }
}

/// Add a person to the team (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserInput,
    responses(
        (status = 201, description = "Created", body = UserOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn create_user(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<UserInput>,
) -> Result<(StatusCode, axum::Json<UserOutput>), ApiError> {
    super::ops::require_user_admin(&actor)?;
    let fields = body.read()?.into_fields(None)?;
    let user = super::ops::create_user(&state, &origin, fields, None).await?;
    Ok((StatusCode::CREATED, axum::Json(user.into())))
}

/// Replace every field of a user (admins).
#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserInput,
    responses(
        (status = 200, description = "The updated user", body = UserOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn replace_user(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
    body: Json<UserInput>,
) -> Result<axum::Json<UserOutput>, ApiError> {
    super::ops::require_user_admin(&actor)?;
    let id = UserId(path_id(id)?);
    let fields = body.read()?.into_fields(Some(id))?;
    Ok(axum::Json(
        super::ops::update_user(&state, &origin, id, fields).await?.into(),
    ))
}

/// Change some fields of a user (admins): a JSON merge patch (RFC 7396) of the replace body.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    request_body(content = UserInput, content_type = "application/merge-patch+json",
        description = "Any of UserInput's fields; null clears one"),
    responses(
        (status = 200, description = "The updated user", body = UserOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn patch_user(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
    body: Json<serde_json::Value>,
) -> Result<axum::Json<UserOutput>, ApiError> {
    super::ops::require_user_admin(&actor)?;
    let id = UserId(path_id(id)?);
    let current = state
        .store
        .user(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {id} does not exist")))?;
    let fields = patched::<UserInput>(UserOutput::from(current), body.read()?, &[])?.into_fields(Some(id))?;
    Ok(axum::Json(
        super::ops::update_user(&state, &origin, id, fields).await?.into(),
    ))
}

/// Remove a user who no longer owns, sells or sponsors accounts nor manages anyone (admins).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Removed"),
        DeleteProblems,
    ),
    security(("bearer" = [])))]
async fn delete_user(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    super::ops::require_user_admin(&actor)?;
    super::ops::delete_user(&state, &origin, UserId(path_id(id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new password for someone else.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    /// At least 12 characters.
    pub password: String,
}

/// Set a user's password (admins); every session of theirs ends.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = i64, Path)),
    request_body = PasswordInput,
    responses(
        (status = 204, description = "Set; the user's sessions ended"),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn reset_password(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
    body: Json<PasswordInput>,
) -> Result<StatusCode, ApiError> {
    super::ops::require_user_admin(&actor)?;
    let id = UserId(path_id(id)?);
    super::ops::reset_password(&state, &origin, id, body.read()?.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lock a user out at once (admins): sign-in, sessions and their tokens stop; their records
/// stay.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "users", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Deactivated"),
        DeleteProblems,
    ),
    security(("bearer" = [])))]
async fn deactivate_user(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    super::ops::require_user_admin(&actor)?;
    super::ops::set_active(&state, &origin, UserId(path_id(id)?), false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Let a deactivated user back in (admins). Their old sessions stay ended.
#[utoipa::path(post, path = "/api/v1/users/{id}/reactivate", tag = "users", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Active again"),
        DeleteProblems,
    ),
    security(("bearer" = [])))]
async fn reactivate_user(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    super::ops::require_user_admin(&actor)?;
    super::ops::set_active(&state, &origin, UserId(path_id(id)?), true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new password for oneself, proven by the current one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnPasswordInput {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

/// Change your own password; your sessions end (a browser calling this keeps its own).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "users", request_body = OwnPasswordInput,
    responses(
        (status = 204, description = "Changed"),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn change_own_password(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    headers: axum::http::HeaderMap,
    body: Json<OwnPasswordInput>,
) -> Result<StatusCode, ApiError> {
    let me = match actor.user {
        Some(id) => state.store.user(id).await?,
        None => None,
    };
    let me = me.ok_or(ApiError::Forbidden("an integration token has no password"))?;
    let input = body.read()?;
    let keep = super::session::session_secret(&headers).map(crate::http::auth::token_hash);
    super::ops::change_own_password(
        &state,
        &origin,
        &me,
        input.current_password,
        input.new_password,
        keep.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the team, ordered by email.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses(
        (status = 200, description = "Every user", body = Vec<UserOutput>),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn list_users(State(state): State<AppState>, Caller(_): Caller) -> Result<axum::Json<Vec<UserOutput>>, ApiError> {
    Ok(axum::Json(
        state.store.users().await?.into_iter().map(Into::into).collect(),
    ))
}

/// Read one user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The user", body = UserOutput),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn get_user(
    State(state): State<AppState>,
    Caller(_): Caller,
    id: IdPath,
) -> Result<axum::Json<UserOutput>, ApiError> {
    let id = path_id(id)?;
    let user = state
        .store
        .user(UserId(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {id} does not exist")))?;
    Ok(axum::Json(user.into()))
}
