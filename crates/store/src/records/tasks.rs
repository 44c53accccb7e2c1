//! A user's own tasks: made by hand, or from a promise of theirs (and later from playbooks and
//! triggers). A task from a promise is the promise seen from its owner's list: finishing one
//! finishes the other.

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::review::ActionText;
use lodestar_domain::vocabulary::{ActionStatus, TaskSource};
use lodestar_domain::{AccountId, PromiseId, TaskId, UserId};

use super::parse;
use super::promises::set_promise_status_in;
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: TaskId,
    pub user_id: UserId,
    pub account_id: Option<AccountId>,
    pub account_name: Option<String>,
    pub promise_id: Option<PromiseId>,
    pub title: String,
    pub source: TaskSource,
    pub due_on: Option<NaiveDate>,
    pub snoozed_until: Option<NaiveDate>,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What a user writes when making a task by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFields {
    pub title: ActionText,
    pub account: Option<AccountId>,
    pub due_on: Option<NaiveDate>,
}

/// Which of a user's tasks to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskView {
    /// Not done, and not put off past today.
    Open,
    /// Put off to a later day.
    Snoozed,
    Done,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: i64,
    user_id: i64,
    account_id: Option<i64>,
    account_name: Option<String>,
    promise_id: Option<i64>,
    title: String,
    source: String,
    due_on: Option<NaiveDate>,
    snoozed_until: Option<NaiveDate>,
    done_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

const SELECT_TASKS: &str = "SELECT t.id, t.user_id, t.account_id, a.name AS account_name, t.promise_id, t.title, \
     t.source, t.due_on, t.snoozed_until, t.done_at, t.created_at FROM tasks t LEFT JOIN accounts a ON a.id = t.account_id";

fn task_of(row: TaskRow) -> Result<Task> {
    Ok(Task {
        id: TaskId(row.id),
        user_id: UserId(row.user_id),
        account_id: row.account_id.map(AccountId),
        account_name: row.account_name,
        promise_id: row.promise_id.map(PromiseId),
        title: row.title,
        source: parse("tasks.source", &row.source)?,
        due_on: row.due_on,
        snoozed_until: row.snoozed_until,
        done_at: row.done_at,
        created_at: row.created_at,
    })
}

async fn tasks_where(tx: &mut Tx, conditions: Vec<Query>, order: &str) -> Result<Vec<Task>> {
    let rows: Vec<TaskRow> = Query::sql(SELECT_TASKS)
        .where_all(conditions)
        .push(format!(" ORDER BY {order}"))
        .fetch_all(tx)
        .await?;
    rows.into_iter().map(task_of).collect()
}

/// The tasks of `user` among `ids`; an id that is not theirs is "not found", as if it did not
/// exist (one user never learns of another's tasks).
async fn own_tasks(tx: &mut Tx, user: UserId, ids: &[TaskId]) -> Result<Vec<Task>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let tasks = tasks_where(
        tx,
        vec![
            Query::sql("t.user_id = ").value(user.0),
            Query::sql("t.id IN (").list(ids.iter().map(|t| t.0)).push(")"),
        ],
        "t.id",
    )
    .await?;
    if let Some(missing) = ids.iter().find(|id| !tasks.iter().any(|t| t.id == **id)) {
        return Err(StoreError::NotFound {
            what: "task",
            key: missing.to_string(),
        });
    }
    Ok(tasks)
}

/// Writes a task for `user` that came from `source`.
pub(crate) async fn insert_task(tx: &mut Tx, user: UserId, fields: &TaskFields, source: TaskSource) -> Result<TaskId> {
    let id: i64 = Query::sql(
        "INSERT INTO tasks (user_id, account_id, title, source, due_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user.0)
    .bind(fields.account.map(|a| a.0))
    .bind(fields.title.as_str())
    .bind(source.as_str())
    .bind(fields.due_on)
    .bind(tx.now())
    .scalar_one(tx)
    .await?;
    Ok(TaskId(id))
}

impl Store {
    pub async fn create_task(&self, user: UserId, fields: TaskFields) -> Result<Task> {
        let mut tx = self.begin_write().await?;
        let id = insert_task(&mut tx, user, &fields, TaskSource::Manual).await?;
        let task = own_tasks(&mut tx, user, &[id]).await?.pop();
        tx.commit().await?;
        task.ok_or_else(|| StoreError::Corrupt("a task vanished in its own transaction".into()))
    }

    /// `user`'s tasks in `view` on `today`: open ones by due day (undated last), snoozed ones by
    /// the day they come back, done ones the latest first.
    pub async fn tasks(&self, user: UserId, view: TaskView, today: NaiveDate) -> Result<Vec<Task>> {
        let mut tx = self.begin_snapshot().await?;
        let mine = Query::sql("t.user_id = ").value(user.0);
        let (condition, order) = match view {
            TaskView::Open => (
                Query::sql("t.done_at IS NULL AND (t.snoozed_until IS NULL OR t.snoozed_until <= ")
                    .value(today)
                    .push(")"),
                "t.due_on IS NULL, t.due_on, t.id",
            ),
            TaskView::Snoozed => (
                Query::sql("t.done_at IS NULL AND t.snoozed_until > ").value(today),
                "t.snoozed_until, t.id",
            ),
            TaskView::Done => (Query::sql("t.done_at IS NOT NULL"), "t.done_at DESC, t.id DESC"),
        };
        tasks_where(&mut tx, vec![mine, condition], order).await
    }

    /// Marks `user`'s tasks `ids` done (or open again), all or none; a task from a promise
    /// moves its promise too.
    pub async fn finish_tasks(&self, user: UserId, ids: &[TaskId], done: bool) -> Result<Vec<Task>> {
        let mut tx = self.begin_write().await?;
        let tasks = own_tasks(&mut tx, user, ids).await?;
        let at = done.then(|| tx.now());
        for task in &tasks {
            match task.promise_id {
                Some(promise) => {
                    let status = if done { ActionStatus::Done } else { ActionStatus::Open };
                    set_promise_status_in(&mut tx, promise, status).await?;
                }
                None => {
                    Query::sql("UPDATE tasks SET done_at = $1 WHERE id = $2")
                        .bind(at)
                        .bind(task.id.0)
                        .execute(&mut tx)
                        .await?;
                }
            }
        }
        let tasks = own_tasks(&mut tx, user, ids).await?;
        tx.commit().await?;
        Ok(tasks)
    }

    /// Puts `user`'s tasks `ids` off until `until` (or brings them back with `None`).
    pub async fn snooze_tasks(&self, user: UserId, ids: &[TaskId], until: Option<NaiveDate>) -> Result<Vec<Task>> {
        let mut tx = self.begin_write().await?;
        if own_tasks(&mut tx, user, ids).await?.is_empty() {
            return Ok(Vec::new());
        }
        Query::sql("UPDATE tasks SET snoozed_until = ")
            .value(until)
            .push(" WHERE user_id = ")
            .value(user.0)
            .push(" AND id IN (")
            .list(ids.iter().map(|t| t.0))
            .push(")")
            .execute(&mut tx)
            .await?;
        let tasks = own_tasks(&mut tx, user, ids).await?;
        tx.commit().await?;
        Ok(tasks)
    }
}
