//! The caller (`GET /api/v1/me`, with their calendar feed's URL) and the calendar feeds on
//! the API.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use lodestar_store::{CalendarFeed, FeedOwner};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{feed_url, renew};
use crate::AppState;
use crate::features::team::api::UserOutput;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::params::IdPath;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(renew_my_feed, revoke_my_feed))
        .routes(routes!(get_account_feed, renew_account_feed, revoke_account_feed))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedOutput {
    /// The secret iCalendar URL; anyone holding it reads the meetings, so share it only with
    /// a calendar program. Making a new one ends the old.
    url: String,
    created_at: DateTime<Utc>,
}

fn output(state: &AppState, headers: &HeaderMap, feed: &CalendarFeed) -> FeedOutput {
    FeedOutput {
        url: feed_url(state, headers, feed),
        created_at: feed.created_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeOutput {
    #[serde(flatten)]
    user: UserOutput,
    /// The caller's calendar feed, if they have one (`POST /api/v1/me/calendar-feed` makes it).
    calendar_feed: Option<FeedOutput>,
}

fn person(actor: &lodestar_domain::access::Actor) -> Result<lodestar_domain::UserId, ApiError> {
    actor
        .user
        .ok_or(ApiError::Forbidden("an API token without a user has no calendar"))
}

/// The caller, with their calendar feed's URL.
#[utoipa::path(get, path = "/api/v1/me", tag = "users",
    responses((status = 200, description = "The caller", body = MeOutput), ReadProblems),
    security(("bearer" = [])))]
async fn me(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
) -> Result<axum::Json<MeOutput>, ApiError> {
    let id = person(&actor)?;
    let user = state
        .store
        .user(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {id} does not exist")))?;
    let feed = state.store.calendar_feed(FeedOwner::User(id)).await?;
    Ok(axum::Json(MeOutput {
        user: user.into(),
        calendar_feed: feed.map(|f| output(&state, &headers, &f)),
    }))
}

/// Make (or remake) the caller's calendar feed: a new secret URL; the old one stops working.
#[utoipa::path(post, path = "/api/v1/me/calendar-feed", tag = "users",
    responses((status = 201, description = "The new feed", body = FeedOutput), WriteProblems),
    security(("bearer" = [])))]
async fn renew_my_feed(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
) -> Result<(StatusCode, axum::Json<FeedOutput>), ApiError> {
    let feed = renew(&state.store, FeedOwner::User(person(&actor)?)).await?;
    Ok((StatusCode::CREATED, axum::Json(output(&state, &headers, &feed))))
}

/// Turn the caller's calendar feed off.
#[utoipa::path(delete, path = "/api/v1/me/calendar-feed", tag = "users",
    responses((status = 204, description = "Revoked"), WriteProblems),
    security(("bearer" = [])))]
async fn revoke_my_feed(State(state): State<AppState>, Caller(actor): Caller) -> Result<StatusCode, ApiError> {
    state
        .store
        .revoke_calendar_feed(FeedOwner::User(person(&actor)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An account's calendar feed, if it has one.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/calendar-feed", tag = "meetings", params(("id" = i64, Path)),
    responses((status = 200, description = "The feed", body = FeedOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_account_feed(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    id: IdPath,
) -> Result<axum::Json<FeedOutput>, ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    // The URL is a credential: only those who write to the account see it.
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let feed = state
        .store
        .calendar_feed(FeedOwner::Account(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("account {id} has no calendar feed")))?;
    Ok(axum::Json(output(&state, &headers, &feed)))
}

/// Make (or remake) an account's calendar feed (whoever writes to the account).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/calendar-feed", tag = "meetings", params(("id" = i64, Path)),
    responses((status = 201, description = "The new feed", body = FeedOutput), WriteProblems),
    security(("bearer" = [])))]
async fn renew_account_feed(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    id: IdPath,
) -> Result<(StatusCode, axum::Json<FeedOutput>), ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let feed = renew(&state.store, FeedOwner::Account(id)).await?;
    Ok((StatusCode::CREATED, axum::Json(output(&state, &headers, &feed))))
}

/// Turn an account's calendar feed off.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/calendar-feed", tag = "meetings", params(("id" = i64, Path)),
    responses((status = 204, description = "Revoked"), WriteProblems),
    security(("bearer" = [])))]
async fn revoke_account_feed(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    let id = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    state.store.revoke_calendar_feed(FeedOwner::Account(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
