//! A user's own tasks: from their promises, made by hand (later from playbooks and triggers),
//! with a due day, snooze and done, and bulk actions on the list.

mod api;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};
use chrono::NaiveDate;
use lodestar_domain::access::Actor;
use lodestar_domain::review::ActionText;
use lodestar_domain::{AccountId, FieldError, Invalid, TaskId, UserId};
use lodestar_store::{Store, Task, TaskFields};

use crate::AppState;
use crate::http::error::ApiError;
use crate::http::params::checked;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(web::tasks).post(web::create))
        .route("/tasks/bulk", post(web::bulk))
}

/// Tasks belong to people; an API token acts for none.
pub(crate) fn person(actor: &Actor) -> Result<UserId, ApiError> {
    actor
        .user
        .ok_or(ApiError::Forbidden("tasks are a person's; an API token has none"))
}

pub(crate) async fn create(
    store: &Store,
    actor: &Actor,
    title: &str,
    account: Option<i64>,
    due_on: Option<NaiveDate>,
) -> Result<Task, ApiError> {
    let me = person(actor)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let title = checked(&mut errors, "title", ActionText::parse(title));
    if let Some(id) = account
        && store.account(AccountId(id)).await?.is_none()
    {
        errors.push(FieldError {
            field: "account_id",
            reason: format!("there is no account {id}"),
        });
    }
    match title {
        Some(title) if errors.is_empty() => Ok(store
            .create_task(
                me,
                TaskFields {
                    title,
                    account: account.map(AccountId),
                    due_on,
                },
            )
            .await?),
        _ => Err(Invalid { errors }.into()),
    }
}

/// What a bulk action does to the chosen tasks.
pub(crate) enum Bulk {
    Done,
    Reopen,
    Snooze(NaiveDate),
    Wake,
}

impl Bulk {
    pub(crate) fn parse(action: &str, until: Option<NaiveDate>, today: NaiveDate) -> Result<Bulk, ApiError> {
        match (action.trim(), until) {
            ("done", _) => Ok(Bulk::Done),
            ("reopen", _) => Ok(Bulk::Reopen),
            ("wake", _) => Ok(Bulk::Wake),
            ("snooze", Some(day)) if day > today => Ok(Bulk::Snooze(day)),
            ("snooze", Some(_)) => Err(Invalid::field("until", format!("must be after today ({today})")).into()),
            ("snooze", None) => Err(Invalid::field("until", "is required to snooze: until when?").into()),
            (other, _) => Err(Invalid::field(
                "action",
                format!("unknown action {other:?}; expected done, reopen, snooze or wake"),
            )
            .into()),
        }
    }
}

pub(crate) async fn apply(store: &Store, actor: &Actor, ids: &[TaskId], bulk: Bulk) -> Result<Vec<Task>, ApiError> {
    let me = person(actor)?;
    if ids.is_empty() {
        return Err(Invalid::field("ids", "choose at least one task").into());
    }
    Ok(match bulk {
        Bulk::Done => store.finish_tasks(me, ids, true).await?,
        Bulk::Reopen => store.finish_tasks(me, ids, false).await?,
        Bulk::Snooze(day) => store.snooze_tasks(me, ids, Some(day)).await?,
        Bulk::Wake => store.snooze_tasks(me, ids, None).await?,
    })
}
