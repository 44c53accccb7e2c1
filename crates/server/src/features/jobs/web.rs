//! The admin page of background jobs: counts by state, a filter, a page of jobs with their
//! last error, and a retry button on failed ones.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use lodestar_domain::JobId;
use lodestar_domain::job::JobState;
use lodestar_domain::user::User;
use lodestar_store::Job;
use serde::Deserialize;

use super::ops::{self, DEFAULT_LIMIT, JobsQuery};
use crate::AppState;
use crate::http::error::ApiError;
use crate::http::pages::{SignedIn, back_after_form, render};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/jobs", get(page))
        .route("/admin/jobs/{id}/retry", post(retry))
}

#[derive(Deserialize)]
struct PageParams {
    state: Option<String>,
    page: Option<u32>,
}

struct StateTab {
    label: &'static str,
    count: u64,
    link: String,
    selected: bool,
}

struct JobRow {
    id: i64,
    kind: String,
    kind_label: String,
    state: &'static str,
    state_label: &'static str,
    run_at: String,
    attempts: String,
    last_error: String,
    finished: String,
    can_retry: bool,
}

impl From<Job> for JobRow {
    fn from(j: Job) -> Self {
        let minute = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        JobRow {
            id: j.id.0,
            kind_label: crate::jobs::kind_label(&j.kind).to_owned(),
            kind: j.kind,
            state: j.state.as_str(),
            state_label: j.state.label(),
            run_at: minute(j.run_at),
            attempts: format!("{} of {}", j.attempts, j.max_attempts),
            last_error: j.last_error.unwrap_or_default(),
            finished: j.finished_at.map(minute).unwrap_or_default(),
            can_retry: j.state == JobState::Failed,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "jobs/jobs.html")]
struct JobsPage {
    me: User,
    tabs: Vec<StateTab>,
    jobs: Vec<JobRow>,
    filtered: bool,
    total: u64,
    first_shown: u64,
    last_shown: u64,
    previous_link: Option<String>,
    next_link: Option<String>,
    error: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
    params: Result<Query<PageParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params?;
    let page = params.page.unwrap_or(0);
    let offset = u64::from(page) * u64::from(DEFAULT_LIMIT);
    let query = JobsQuery::parse(params.state.as_deref(), None, Some(offset))?;
    let listed = ops::list(&state.store, &actor, &query).await?;
    let link = |state: Option<JobState>, page: u32| match state {
        Some(s) => format!("/admin/jobs?state={}&page={page}", s.as_str()),
        None => format!("/admin/jobs?page={page}"),
    };
    let c = listed.counts;
    let mut tabs = vec![StateTab {
        label: "All",
        count: c.queued + c.running + c.done + c.failed,
        link: link(None, 0),
        selected: query.state.is_none(),
    }];
    for (s, count) in [
        (JobState::Queued, c.queued),
        (JobState::Running, c.running),
        (JobState::Failed, c.failed),
        (JobState::Done, c.done),
    ] {
        tabs.push(StateTab {
            label: s.label(),
            count,
            link: link(Some(s), 0),
            selected: query.state == Some(s),
        });
    }
    let shown = listed.items.len() as u64;
    Ok(render(&JobsPage {
        me,
        tabs,
        filtered: query.state.is_some(),
        total: listed.total,
        first_shown: offset + 1,
        last_shown: offset + shown,
        previous_link: (page > 0).then(|| link(query.state, page - 1)),
        next_link: (offset + shown < listed.total).then(|| link(query.state, page + 1)),
        jobs: listed.items.into_iter().map(Into::into).collect(),
        error: flash.for_slot("error"),
    })?
    .into_response())
}

async fn retry(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    match ops::retry(&state.store, &actor, JobId(id)).await {
        Ok(_) => Ok(Redirect::to("/admin/jobs?state=queued").into_response()),
        Err(e) => back_after_form("/admin/jobs?state=failed", "error", "jobs", Err(e)),
    }
}
