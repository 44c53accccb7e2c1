//! `/api/v1/jobs`: the background jobs (admins).

use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use lodestar_domain::JobId;
use lodestar_store::{Job, JobCounts};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, JobsQuery};
use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::params::{IdPath, path_id};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(retry_job))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct JobsParams {
    /// Only jobs in this state: queued, running, done or failed.
    state: Option<String>,
    /// At most this many (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// Skip this many.
    offset: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobOutput {
    id: i64,
    /// Which handler runs it, e.g. daily_rescore.
    kind: String,
    /// The job's input, as its kind reads it.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    /// queued, running, done or failed.
    state: String,
    /// When it is (or was) due.
    run_at: DateTime<Utc>,
    attempts: u32,
    max_attempts: u32,
    /// Why its latest failed attempt failed.
    last_error: Option<String>,
    /// The worker that holds (or held) it.
    worker: Option<String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl From<Job> for JobOutput {
    fn from(j: Job) -> Self {
        JobOutput {
            id: j.id.0,
            kind: j.kind,
            payload: j.payload,
            state: j.state.as_str().to_owned(),
            run_at: j.run_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            worker: j.worker,
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobCountsOutput {
    queued: u64,
    running: u64,
    done: u64,
    failed: u64,
}

impl From<JobCounts> for JobCountsOutput {
    fn from(c: JobCounts) -> Self {
        JobCountsOutput {
            queued: c.queued,
            running: c.running,
            done: c.done,
            failed: c.failed,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobPage {
    /// How many jobs match in all.
    total: u64,
    /// How many jobs are in each state (whatever the filter).
    counts: JobCountsOutput,
    /// Running first, then queued by due time, then failed and done ones, newest first.
    items: Vec<JobOutput>,
}

/// The background jobs, a page at a time (admins).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobsParams),
    responses((status = 200, description = "A page of jobs", body = JobPage), ReadProblems),
    security(("bearer" = [])))]
async fn list_jobs(
    State(state): State<AppState>,
    Caller(actor): Caller,
    params: Result<Query<JobsParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<JobPage>, ApiError> {
    let Query(params) = params?;
    let query = JobsQuery::parse(params.state.as_deref(), params.limit, params.offset)?;
    let page = ops::list(&state.store, &actor, &query).await?;
    Ok(axum::Json(JobPage {
        total: page.total,
        counts: page.counts.into(),
        items: page.items.into_iter().map(Into::into).collect(),
    }))
}

/// Queues a failed job again, due now, with its attempts counted afresh (admins; 409 unless
/// it failed).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, description = "The job, queued again", body = JobOutput), WriteProblems),
    security(("bearer" = [])))]
async fn retry_job(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<axum::Json<JobOutput>, ApiError> {
    let id = JobId(path_id(id)?);
    Ok(axum::Json(ops::retry(&state.store, &actor, id).await?.into()))
}
