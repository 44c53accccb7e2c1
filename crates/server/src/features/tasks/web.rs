//! The tasks page: one's own list with bulk actions.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use lodestar_domain::TaskId;
use lodestar_domain::user::User;
use lodestar_store::{Task, TaskView};
use serde::Deserialize;

use super::{Bulk, apply};
use crate::AppState;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{SignedIn, back_after_form, render};

#[derive(askama::Template)]
#[template(path = "tasks/tasks.html")]
struct TasksPage {
    me: User,
    view: &'static str,
    tasks: Vec<Task>,
    today: NaiveDate,
    tomorrow: NaiveDate,
    next_week: NaiveDate,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct TasksQuery {
    view: Option<String>,
}

pub(crate) async fn tasks(
    State(state): State<AppState>,
    SignedIn { user: me, flash, .. }: SignedIn,
    Query(q): Query<TasksQuery>,
) -> Result<Response, ApiError> {
    let view = super::api::view_of(q.view.as_deref())?;
    let today = state.store.today();
    let tasks = state.store.tasks(me.id, view, today).await?;
    let page = TasksPage {
        me,
        view: match view {
            TaskView::Open => "open",
            TaskView::Snoozed => "snoozed",
            TaskView::Done => "done",
        },
        tasks,
        today,
        tomorrow: today + Duration::days(1),
        next_week: today + Duration::days(7),
        error: flash.for_slot("tasks_error"),
    };
    Ok(render(&page)?.into_response())
}

pub(crate) async fn create(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let result = super::create(&state.store, &actor, form.text("title"), None, form.date("due_on"))
        .await
        .map(|_| ());
    back_after_form("/tasks", "tasks_error", "tasks", result)
}

/// Done, reopen, snooze or wake for the ticked tasks; back to where it was asked from.
pub(crate) async fn bulk(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let ids: Vec<TaskId> = form.ids("ids").into_iter().map(TaskId).collect();
    let result = async {
        let bulk = Bulk::parse(form.text("action"), form.date("until"), state.store.today())?;
        apply(&state.store, &actor, &ids, bulk).await.map(|_| ())
    }
    .await;
    let (url, slot) = if form.text("back") == "/today" {
        ("/today", "today_error")
    } else {
        ("/tasks", "tasks_error")
    };
    back_after_form(url, slot, "tasks", result)
}
