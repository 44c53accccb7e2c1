//! The durable job queue (table `jobs`). A job is enqueued in the transaction of the change
//! that causes it; workers — in any number of `lodestar serve` processes — claim due jobs one
//! at a time under a lease, and finish or fail them.
//!
//! Claiming is one statement: on PostgreSQL the candidate row is locked `FOR UPDATE SKIP
//! LOCKED`, so two workers never take the same job and never wait for each other; on SQLite
//! the write transaction (`BEGIN IMMEDIATE`) already lets one writer in at a time. A worker
//! renews its lease while the job runs; a worker that stops (a crash, a restart) leaves the job
//! to be claimed again once the lease runs out, counted as an attempt.

use chrono::{DateTime, Utc};
use lodestar_domain::JobId;
use lodestar_domain::job::{JobState, retry_delay};

use crate::query::Query;
use crate::{Backend, Result, Store, StoreError, Tx, on_pool};

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Which handler runs it (`daily_rescore`, …).
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    pub max_attempts: u32,
    /// Enqueue once per key: a second enqueue with the same key is a no-op. Scheduled runs use
    /// the schedule's name and due time, so two servers seeing one run due make one job.
    pub dedupe_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` to run at `run_at`, with the default number of attempts.
    pub fn new(kind: &str, payload: serde_json::Value, run_at: DateTime<Utc>) -> NewJob {
        NewJob {
            kind: kind.to_owned(),
            payload,
            run_at,
            max_attempts: lodestar_domain::job::DEFAULT_MAX_ATTEMPTS,
            dedupe_key: None,
        }
    }

    pub fn once_per(mut self, dedupe_key: String) -> NewJob {
        self.dedupe_key = Some(dedupe_key);
        self
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    pub state: JobState,
    pub run_at: DateTime<Utc>,
    pub attempts: u32,
    pub max_attempts: u32,
    pub last_error: Option<String>,
    pub worker: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub dedupe_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    payload: String,
    state: String,
    run_at: DateTime<Utc>,
    attempts: i64,
    max_attempts: i64,
    last_error: Option<String>,
    worker: Option<String>,
    lease_until: Option<DateTime<Utc>>,
    dedupe_key: Option<String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, kind, payload, state, run_at, attempts, max_attempts, last_error, worker, lease_until, \
                       dedupe_key, created_at, started_at, finished_at";

impl TryFrom<JobRow> for Job {
    type Error = StoreError;

    fn try_from(r: JobRow) -> Result<Job> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("jobs.{what} of job {}", r.id));
        Ok(Job {
            id: JobId(r.id),
            payload: serde_json::from_str(&r.payload).map_err(|_| corrupt("payload"))?,
            state: JobState::parse(&r.state).ok_or_else(|| corrupt("state"))?,
            attempts: u32::try_from(r.attempts).map_err(|_| corrupt("attempts"))?,
            max_attempts: u32::try_from(r.max_attempts).map_err(|_| corrupt("max_attempts"))?,
            kind: r.kind,
            run_at: r.run_at,
            last_error: r.last_error,
            worker: r.worker,
            lease_until: r.lease_until,
            dedupe_key: r.dedupe_key,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        })
    }
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: u64,
    pub running: u64,
    pub done: u64,
    pub failed: u64,
}

/// What a failed attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Queued again, to run at this time.
    Retry(DateTime<Utc>),
    /// Out of attempts: failed for good.
    Failed,
}

/// Enqueues `job` in the caller's transaction: it exists exactly when the change that caused
/// it commits. `None` when a job with the same dedupe key already exists.
pub(crate) async fn enqueue(tx: &mut Tx, job: &NewJob) -> Result<Option<JobId>> {
    let now = tx.now();
    let id: Option<i64> = Query::sql(
        "INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts, dedupe_key, created_at) \
         VALUES ($1, $2, 'queued', $3, 0, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(&job.kind)
    .bind(job.payload.to_string())
    .bind(job.run_at)
    .bind(i64::from(job.max_attempts.max(1)))
    .bind(job.dedupe_key.as_deref())
    .bind(now)
    .scalar_optional(tx)
    .await?;
    Ok(id.map(JobId))
}

impl Store {
    /// Enqueues a job on its own (a scheduled run); see [`enqueue`] for jobs caused by a change.
    pub async fn enqueue_job(&self, job: &NewJob) -> Result<Option<JobId>> {
        let mut tx = self.begin_write().await?;
        let id = enqueue(&mut tx, job).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims the oldest due job for `worker`, leasing it until `lease_until`: a queued job
    /// whose time has come, or a running one whose worker let its lease run out. A job whose
    /// lease ran out on its last attempt is marked failed instead.
    pub async fn claim_job(&self, worker: &str, lease_until: DateTime<Utc>) -> Result<Option<Job>> {
        // Every runner asks once a second: a read answers "nothing due" without taking
        // SQLite's write lock, which ingestion and edits queue behind.
        let due: Option<i64> = Query::sql(
            "SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $1) \
             OR (state = 'running' AND lease_until < $1) LIMIT 1",
        )
        .bind(self.now())
        .scalar_optional_on(self)
        .await?;
        if due.is_none() {
            return Ok(None);
        }
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        Query::sql(
            "UPDATE jobs SET state = 'failed', finished_at = $1, worker = NULL, lease_until = NULL, \
             last_error = 'the worker running it stopped before it finished, on its last attempt' \
             WHERE state = 'running' AND lease_until < $1 AND attempts >= max_attempts",
        )
        .bind(now)
        .execute(&mut tx)
        .await?;
        // PostgreSQL: skip rows another worker is claiming right now. SQLite: one writer at a
        // time already, and no such clause.
        let lock = match tx.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', worker = $1, lease_until = $2, attempts = attempts + 1, started_at = $3 \
             WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $3) \
             OR (state = 'running' AND lease_until < $3) ORDER BY run_at, id LIMIT 1{lock}) \
             RETURNING {COLUMNS}"
        );
        let row: Option<JobRow> = Query::sql(&sql)
            .bind(worker)
            .bind(lease_until)
            .bind(now)
            .fetch_optional(&mut tx)
            .await?;
        tx.commit().await?;
        row.map(Job::try_from).transpose()
    }

    /// Renews `worker`'s lease on a running job. `false`: the job is no longer this worker's
    /// (its lease ran out and another worker took it).
    pub async fn renew_job_lease(&self, id: JobId, worker: &str, lease_until: DateTime<Utc>) -> Result<bool> {
        self.update_own_job(id, worker, "lease_until = $1", lease_until).await
    }

    /// Puts `worker`'s running job back in the queue, due now, without counting the attempt
    /// (a server stopping gracefully). `false`: it was no longer this worker's.
    pub async fn release_job(&self, id: JobId, worker: &str) -> Result<bool> {
        let set = "state = 'queued', run_at = $1, attempts = attempts - 1, worker = NULL, lease_until = NULL";
        self.update_own_job(id, worker, set, self.now()).await
    }

    /// Marks `worker`'s job done. `false`: it was no longer this worker's.
    pub async fn finish_job(&self, id: JobId, worker: &str) -> Result<bool> {
        self.update_own_job(
            id,
            worker,
            "state = 'done', finished_at = $1, lease_until = NULL",
            self.now(),
        )
        .await
    }

    /// `UPDATE jobs SET {set}` (which reads the time `at` as `$1`) for `worker`'s running job
    /// `id`; whether it was still that worker's.
    async fn update_own_job(&self, id: JobId, worker: &str, set: &str, at: DateTime<Utc>) -> Result<bool> {
        let sql = format!("UPDATE jobs SET {set} WHERE id = $2 AND worker = $3 AND state = 'running'");
        let changed = Query::sql(&sql)
            .bind(at)
            .bind(id.0)
            .bind(worker)
            .execute_on(self)
            .await?;
        Ok(changed == 1)
    }

    /// Records a failed attempt of `worker`'s job: queued again after the back-off while it
    /// has attempts left, failed for good after its last. `None`: it was no longer this worker's.
    pub async fn fail_job(&self, id: JobId, worker: &str, error: &str) -> Result<Option<AfterFailure>> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        let attempts: Option<(i64, i64)> =
            Query::sql("SELECT attempts, max_attempts FROM jobs WHERE id = $1 AND worker = $2 AND state = 'running'")
                .bind(id.0)
                .bind(worker)
                .fetch_optional(&mut tx)
                .await?;
        let Some((attempts, max_attempts)) = attempts else {
            return Ok(None);
        };
        let after = if attempts < max_attempts {
            let attempt = u32::try_from(attempts).unwrap_or(u32::MAX);
            let wait = chrono::Duration::from_std(retry_delay(attempt)).expect("back-off fits a chrono duration");
            AfterFailure::Retry(now + wait)
        } else {
            AfterFailure::Failed
        };
        let (state, run_at, finished_at) = match after {
            AfterFailure::Retry(at) => ("queued", Some(at), None),
            AfterFailure::Failed => ("failed", None, Some(now)),
        };
        Query::sql(
            "UPDATE jobs SET state = $1, run_at = COALESCE($2, run_at), finished_at = $3, last_error = $4, \
             lease_until = NULL WHERE id = $5",
        )
        .bind(state)
        .bind(run_at)
        .bind(finished_at)
        .bind(error)
        .bind(id.0)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(Some(after))
    }

    /// Queues a failed job again, now, with its attempts counted afresh (an admin's "retry").
    pub async fn retry_failed_job(&self, id: JobId) -> Result<Job> {
        let now = self.now();
        let sql = format!(
            "UPDATE jobs SET state = 'queued', run_at = $1, attempts = 0, worker = NULL, finished_at = NULL \
             WHERE id = $2 AND state = 'failed' RETURNING {COLUMNS}"
        );
        let row: Option<JobRow> = Query::sql(&sql).bind(now).bind(id.0).fetch_optional_on(self).await?;
        match row {
            Some(row) => row.try_into(),
            None => match self.job(id).await? {
                Some(_) => Err(StoreError::Conflict(format!(
                    "job {id} has not failed; only a failed job can be retried"
                ))),
                None => Err(StoreError::NotFound {
                    what: "job",
                    key: id.to_string(),
                }),
            },
        }
    }

    pub async fn job(&self, id: JobId) -> Result<Option<Job>> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
        let row: Option<JobRow> = Query::sql(&sql).bind(id.0).fetch_optional_on(self).await?;
        row.map(Job::try_from).transpose()
    }

    /// The job of `kind` that finished most recently and succeeded (its run time is what
    /// operators watch, e.g. the daily rescore's).
    pub async fn last_done_job(&self, kind: &str) -> Result<Option<Job>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM jobs WHERE kind = $1 AND state = 'done' ORDER BY finished_at DESC, id DESC LIMIT 1"
        );
        let row: Option<JobRow> = Query::sql(&sql).bind(kind).fetch_optional_on(self).await?;
        row.map(Job::try_from).transpose()
    }

    /// A page of jobs, optionally of one state: running first, then queued by due time, then
    /// finished ones newest first. Also the total matching.
    pub async fn jobs(&self, state: Option<JobState>, limit: u32, offset: u64) -> Result<(u64, Vec<Job>)> {
        const ORDER: &str = " ORDER BY CASE state WHEN 'running' THEN 0 WHEN 'queued' THEN 1 WHEN 'failed' THEN 2 \
                              ELSE 3 END, CASE WHEN state IN ('running', 'queued') THEN run_at END, finished_at DESC, id DESC";
        let state = state.map(JobState::as_str);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let (total, rows): (i64, Vec<JobRow>) = on_pool!(self, |p| {
            let mut count = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM jobs");
            let mut page = sqlx::QueryBuilder::new(format!("SELECT {COLUMNS} FROM jobs"));
            if let Some(state) = state {
                count.push(" WHERE state = ").push_bind(state);
                page.push(" WHERE state = ").push_bind(state);
            }
            page.push(ORDER)
                .push(" LIMIT ")
                .push_bind(i64::from(limit))
                .push(" OFFSET ")
                .push_bind(offset);
            let total = count.build_query_scalar().fetch_one(p).await?;
            (total, page.build_query_as().fetch_all(p).await?)
        });
        let jobs = rows.into_iter().map(Job::try_from).collect::<Result<_>>()?;
        Ok((u64::try_from(total).unwrap_or(0), jobs))
    }

    pub async fn job_counts(&self) -> Result<JobCounts> {
        let rows: Vec<(String, i64)> = Query::sql("SELECT state, COUNT(*) FROM jobs GROUP BY state")
            .fetch_all_on(self)
            .await?;
        let mut counts = JobCounts::default();
        for (state, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            match JobState::parse(&state) {
                Some(JobState::Queued) => counts.queued = n,
                Some(JobState::Running) => counts.running = n,
                Some(JobState::Done) => counts.done = n,
                Some(JobState::Failed) => counts.failed = n,
                None => return Err(StoreError::Corrupt(format!("jobs.state {state:?}"))),
            }
        }
        Ok(counts)
    }

    /// Deletes jobs that finished successfully before `before` (they are kept a while so the
    /// jobs page shows what ran). Failed jobs stay until an admin retries them.
    pub async fn prune_done_jobs(&self, before: DateTime<Utc>) -> Result<u64> {
        Query::sql("DELETE FROM jobs WHERE state = 'done' AND finished_at < $1")
            .bind(before)
            .execute_on(self)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDb;

    /// A job enqueued in a change's transaction exists exactly when the change commits.
    #[tokio::test]
    async fn a_job_lives_and_dies_with_its_transaction() {
        let db = TestDb::sqlite().await;
        let store = &db.store;
        let job = NewJob::new("webhook", serde_json::json!({}), store.now());
        let mut tx = store.begin_write().await.unwrap();
        enqueue(&mut tx, &job).await.unwrap().expect("enqueued");
        drop(tx); // rolled back
        assert_eq!(store.job_counts().await.unwrap().queued, 0);
        let mut tx = store.begin_write().await.unwrap();
        enqueue(&mut tx, &job).await.unwrap().expect("enqueued");
        tx.commit().await.unwrap();
        assert_eq!(store.job_counts().await.unwrap().queued, 1);
        db.finish().await;
    }
}
