//! `/api/v1/users`: the team, readable by every signed-in caller.

use axum::extract::State;
use lodestar_domain::UserId;
use lodestar_domain::user::User;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};

use super::{IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(get_user))
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
        }
    }
}

/// List the team, ordered by email.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses(
        (status = 200, description = "Every user", body = Vec<UserOutput>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
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
        (status = 400, description = "A malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
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
