//! Tasks on the API.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::TaskId;
use lodestar_store::{Task, TaskView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Bulk, apply, create, person};
use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::bad;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(bulk_tasks))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskOutput {
    id: i64,
    title: String,
    account_id: Option<i64>,
    account_name: Option<String>,
    /// The promise it comes from (finishing one finishes the other).
    promise_id: Option<i64>,
    /// manual or promise.
    source: String,
    due_on: Option<NaiveDate>,
    snoozed_until: Option<NaiveDate>,
    done_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<Task> for TaskOutput {
    fn from(t: Task) -> Self {
        TaskOutput {
            id: t.id.0,
            title: t.title,
            account_id: t.account_id.map(|a| a.0),
            account_name: t.account_name,
            promise_id: t.promise_id.map(|p| p.0),
            source: t.source.as_str().to_owned(),
            due_on: t.due_on,
            snoozed_until: t.snoozed_until,
            done_at: t.done_at,
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// open (default), snoozed or done.
    pub view: Option<String>,
}

pub(crate) fn view_of(view: Option<&str>) -> Result<TaskView, ApiError> {
    match view.map(str::trim) {
        None | Some("" | "open") => Ok(TaskView::Open),
        Some("snoozed") => Ok(TaskView::Snoozed),
        Some("done") => Ok(TaskView::Done),
        Some(_) => Err(bad("view", "is open, snoozed or done")),
    }
}

/// The caller's tasks: open ones by due day, snoozed ones by the day they return, done ones
/// the latest first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(TaskQuery),
    responses((status = 200, description = "The tasks", body = Vec<TaskOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_tasks(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<TaskQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<TaskOutput>>, ApiError> {
    let Query(q) = query?;
    let me = person(&actor)?;
    let tasks = state
        .store
        .tasks(me, view_of(q.view.as_deref())?, state.store.today())
        .await?;
    Ok(axum::Json(tasks.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    #[schema(example = "Prepare the QBR deck")]
    title: String,
    account_id: Option<i64>,
    due_on: Option<NaiveDate>,
}

/// Make a task by hand on one's own list.
#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks", request_body = TaskInput,
    responses((status = 201, description = "Made", body = TaskOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_task(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<TaskInput>,
) -> Result<(StatusCode, axum::Json<TaskOutput>), ApiError> {
    person(&actor)?;
    let input = body.read()?;
    let task = create(&state.store, &actor, &input.title, input.account_id, input.due_on).await?;
    Ok((StatusCode::CREATED, axum::Json(task.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
    ids: Vec<i64>,
    /// done, reopen, snooze (with `until`) or wake.
    #[schema(example = "done")]
    action: String,
    until: Option<NaiveDate>,
}

/// Act on several of one's tasks at once, all or none; a task from a promise moves the promise.
#[utoipa::path(post, path = "/api/v1/tasks/bulk", tag = "tasks", request_body = BulkInput,
    responses((status = 200, description = "The tasks after the action", body = Vec<TaskOutput>), WriteProblems),
    security(("bearer" = [])))]
async fn bulk_tasks(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<BulkInput>,
) -> Result<axum::Json<Vec<TaskOutput>>, ApiError> {
    person(&actor)?;
    let input = body.read()?;
    let bulk = Bulk::parse(&input.action, input.until, state.store.today())?;
    let ids: Vec<TaskId> = input.ids.iter().copied().map(TaskId).collect();
    let tasks = apply(&state.store, &actor, &ids, bulk).await?;
    Ok(axum::Json(tasks.into_iter().map(Into::into).collect()))
}
