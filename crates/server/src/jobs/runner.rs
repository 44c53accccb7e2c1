//! The runner: enqueues the schedules' due runs, then claims and runs due jobs one at a time,
//! renewing its lease while a job runs. A run's panic or error fails the attempt (retried
//! with back-off, then failed for good); a graceful stop puts the job in hand back in the queue.

use std::collections::HashMap;
use std::time::Duration;

use lodestar_store::{AfterFailure, Job, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::JobKinds;

/// How a runner paces itself.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// How often it looks for due jobs when the queue is empty.
    pub poll: Duration,
    /// How long a claim holds before another worker may take the job; renewed every third of it.
    pub lease: Duration,
    /// How long finished jobs are kept for the jobs page.
    pub keep_done: Duration,
}

impl Default for RunnerConfig {
    fn default() -> RunnerConfig {
        RunnerConfig {
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            keep_done: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

pub struct Runner {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Runner {
    /// Starts a runner on `store` with a worker name unique to this process.
    pub fn start(store: Store, kinds: JobKinds, config: RunnerConfig) -> Runner {
        let worker = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(store, kinds, config, worker, stopped));
        Runner { stop, task }
    }

    /// Stops claiming, puts a job in hand back in the queue, and returns once it has.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn run(store: Store, kinds: JobKinds, config: RunnerConfig, worker: String, mut stopped: watch::Receiver<bool>) {
    tracing::info!(worker, "job runner started");
    let mut enqueued: HashMap<&'static str, chrono::DateTime<chrono::Utc>> = HashMap::new();
    let mut last_prune = None;
    loop {
        if *stopped.borrow() {
            break;
        }
        enqueue_due_runs(&store, &kinds, &mut enqueued).await;
        prune(&store, &config, &mut last_prune).await;
        let lease = chrono::Duration::from_std(config.lease).expect("a lease fits a chrono duration");
        match store.claim_job(&worker, store.now() + lease).await {
            Ok(Some(job)) => {
                if !run_one(&store, &kinds, &config, &worker, job, &mut stopped).await {
                    break;
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "claiming a job failed"),
        }
        tokio::select! {
            _ = stopped.changed() => {}
            () = tokio::time::sleep(config.poll) => {}
        }
    }
    tracing::info!(worker, "job runner stopped");
}

/// Enqueues each schedule's latest due run, once per due time per process (the store's dedupe
/// key makes it once across processes).
async fn enqueue_due_runs(
    store: &Store,
    kinds: &JobKinds,
    enqueued: &mut HashMap<&'static str, chrono::DateTime<chrono::Utc>>,
) {
    let now = store.now();
    for schedule in kinds.schedules() {
        let Some(due) = schedule.last_due(now) else { continue };
        if enqueued.get(schedule.name) == Some(&due) {
            continue;
        }
        match store.enqueue_job(&schedule.run(due)).await {
            Ok(id) => {
                if let Some(id) = id {
                    tracing::info!(schedule = schedule.name, %due, job = %id, "scheduled run enqueued");
                }
                enqueued.insert(schedule.name, due);
            }
            Err(e) => tracing::error!(schedule = schedule.name, error = %e, "enqueueing a scheduled run failed"),
        }
    }
}

/// Deletes finished jobs older than `keep_done`, at most once an hour.
async fn prune(store: &Store, config: &RunnerConfig, last: &mut Option<std::time::Instant>) {
    if last.is_some_and(|at| at.elapsed() < Duration::from_secs(3600)) {
        return;
    }
    *last = Some(std::time::Instant::now());
    let keep = chrono::Duration::from_std(config.keep_done).unwrap_or(chrono::Duration::days(7));
    if let Err(e) = store.prune_done_jobs(store.now() - keep).await {
        tracing::error!(error = %e, "pruning finished jobs failed");
    }
}

/// Runs one claimed job to its end, renewing the lease meanwhile. `false`: the runner was
/// asked to stop, and the job went back to the queue.
async fn run_one(
    store: &Store,
    kinds: &JobKinds,
    config: &RunnerConfig,
    worker: &str,
    job: Job,
    stopped: &mut watch::Receiver<bool>,
) -> bool {
    let (id, kind, attempt) = (job.id, job.kind.clone(), job.attempts);
    let Some(handler) = kinds.handler(&kind) else {
        record_failure(store, &job, worker, &format!("no handler for jobs of kind {kind:?}")).await;
        return true;
    };
    let span = tracing::info_span!("job", job = %id, kind = %kind, attempt);
    let started = std::time::Instant::now();
    // Its own task: a panic fails the attempt instead of the runner.
    let mut running = tokio::spawn(handler(store.clone(), job.clone()).instrument(span.clone()));
    async move {
        let lease = chrono::Duration::from_std(config.lease).expect("a lease fits a chrono duration");
        let mut renew = tokio::time::interval(config.lease / 3);
        renew.tick().await;
        let outcome = loop {
            tokio::select! {
                result = &mut running => break Some(result),
                _ = renew.tick() => {
                    match store.renew_job_lease(id, worker, store.now() + lease).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!("lost the lease: another worker took the job"),
                        Err(e) => tracing::error!(error = %e, "renewing the lease failed"),
                    }
                }
                _ = stopped.changed() => {
                    running.abort();
                    break None;
                }
            }
        };
        match outcome {
            None => {
                match store.release_job(id, worker).await {
                    Ok(_) => tracing::info!("stopping: the job goes back to the queue"),
                    Err(e) => {
                        tracing::error!(error = %e, "putting the job back failed; it runs again when its lease ends")
                    }
                }
                false
            }
            Some(Ok(Ok(()))) => {
                match store.finish_job(id, worker).await {
                    Ok(true) => tracing::info!(seconds = started.elapsed().as_secs_f64(), "job done"),
                    Ok(false) => tracing::warn!("job finished after another worker took it"),
                    Err(e) => tracing::error!(error = %e, "marking the job done failed"),
                }
                true
            }
            Some(Ok(Err(reason))) => {
                record_failure(store, &job, worker, &reason).await;
                true
            }
            Some(Err(panic)) => {
                record_failure(store, &job, worker, &format!("the handler panicked: {panic}")).await;
                true
            }
        }
    }
    .instrument(span)
    .await
}

async fn record_failure(store: &Store, job: &Job, worker: &str, reason: &str) {
    match store.fail_job(job.id, worker, reason).await {
        Ok(Some(AfterFailure::Retry(at))) => {
            tracing::warn!(job = %job.id, kind = %job.kind, reason, retry_at = %at, "job failed; retrying later");
        }
        Ok(Some(AfterFailure::Failed)) => {
            tracing::error!(job = %job.id, kind = %job.kind, reason, "job failed on its last attempt");
        }
        Ok(None) => tracing::warn!(job = %job.id, "job failed after another worker took it"),
        Err(e) => tracing::error!(job = %job.id, error = %e, "recording a job's failure failed"),
    }
}
