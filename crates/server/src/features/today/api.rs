//! Today on the API.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use lodestar_domain::UserId;
use lodestar_domain::today::Reason;
use lodestar_store::{Finish, TodayLine};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Scope;
use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::bad;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_today))
        .routes(routes!(snooze_line))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TodayQuery {
    /// `team`: a leader's team; or a user id (leaders and admins). Default: one's own.
    pub of: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TodayLineOutput {
    /// Names the line for snoozing.
    key: String,
    account_id: Option<i64>,
    account_name: Option<String>,
    /// The CSM whose book it is in.
    owner_id: Option<i64>,
    /// Why it is on the list, in words.
    why: String,
    /// The reason and the facts the score used.
    #[schema(value_type = Object)]
    reason: Reason,
    /// base × urgency × value(ARR) × risk(band); see `lodestar_domain::today`.
    score: f64,
    /// What finishing it does: `promise`, `task`, `meeting` (open it) or `account` (act on it).
    finish: &'static str,
    /// The promise, task or meeting id for `finish`.
    finish_id: Option<i64>,
}

impl From<TodayLine> for TodayLineOutput {
    fn from(l: TodayLine) -> Self {
        let (finish, finish_id) = match l.finish {
            Finish::Promise(p) => ("promise", Some(p.0)),
            Finish::Task(t) => ("task", Some(t.0)),
            Finish::Meeting(m) => ("meeting", Some(m.0)),
            Finish::Account => ("account", None),
        };
        TodayLineOutput {
            why: l.reason.explain(),
            key: l.key,
            account_id: l.account.as_ref().map(|(id, _)| id.0),
            account_name: l.account.map(|(_, name)| name),
            owner_id: l.owner.map(|o| o.0),
            reason: l.reason,
            score: (l.score * 10.0).round() / 10.0,
            finish,
            finish_id,
        }
    }
}

pub(crate) fn scope_of(of: Option<&str>) -> Result<Scope, ApiError> {
    match of.map(str::trim) {
        None | Some("" | "me") => Ok(Scope::Mine),
        Some("team") => Ok(Scope::Team),
        Some(id) => id
            .parse()
            .map(|id| Scope::User(UserId(id)))
            .map_err(|_| bad("of", "is `me`, `team` or a user id")),
    }
}

/// The caller's Today list, highest score first (leaders: `of=team` or `of=USER_ID`).
#[utoipa::path(get, path = "/api/v1/today", tag = "today", params(TodayQuery),
    responses((status = 200, description = "The ranked list", body = Vec<TodayLineOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn get_today(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<TodayQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<TodayLineOutput>>, ApiError> {
    let Query(q) = query?;
    let (_, lines) = super::list(&state.store, &actor, scope_of(q.of.as_deref())?).await?;
    Ok(axum::Json(lines.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnoozeInput {
    /// The line's key.
    key: String,
    /// The day it comes back (after today).
    until: NaiveDate,
}

/// Put a line of one's own list aside until a day.
#[utoipa::path(post, path = "/api/v1/today/snooze", tag = "today", request_body = SnoozeInput,
    responses((status = 204, description = "Snoozed"), WriteProblems),
    security(("bearer" = [])))]
async fn snooze_line(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<SnoozeInput>,
) -> Result<StatusCode, ApiError> {
    let me = actor
        .user
        .ok_or(ApiError::Forbidden("Today is a person's list; an API token has none"))?;
    let input = body.read()?;
    super::snooze(&state.store, me, &input.key, input.until).await?;
    Ok(StatusCode::NO_CONTENT)
}
