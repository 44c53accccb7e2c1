//! The job queue, on SQLite and PostgreSQL: enqueue (once per dedupe key), claim under a
//! lease, finish, fail with back-off, give up after the last attempt, and never hand one job
//! to two workers.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use lodestar_domain::JobId;
use lodestar_domain::job::JobState;
use lodestar_store::testing::TestDb;
use lodestar_store::{AfterFailure, Clock, NewJob, Store, StoreError, store_test};
use serde_json::json;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The store on a clock standing at 2026-12-02 09:00 UTC.
fn fixed(store: &Store) -> Store {
    store.with_clock(Clock::fixed(at("2026-12-02T09:00:00Z")))
}

fn lease(store: &Store) -> DateTime<Utc> {
    store.now() + Duration::seconds(60)
}

store_test!(a_job_is_claimed_when_due_and_finished_once);
async fn a_job_is_claimed_when_due_and_finished_once(store: Store) {
    let store = fixed(&store);
    let later = store.now() + Duration::minutes(5);
    let id = store
        .enqueue_job(&NewJob::new("send", json!({"to": "ana"}), later))
        .await
        .unwrap()
        .expect("a job without a dedupe key is always enqueued");
    assert_eq!(store.claim_job("w1", lease(&store)).await.unwrap(), None, "not due yet");

    store.clock().advance(Duration::minutes(5));
    let job = store.claim_job("w1", lease(&store)).await.unwrap().expect("due now");
    assert_eq!(
        (job.id, job.kind.as_str(), job.state, job.attempts),
        (id, "send", JobState::Running, 1)
    );
    assert_eq!(job.payload, json!({"to": "ana"}));
    assert_eq!(job.worker.as_deref(), Some("w1"));
    assert_eq!(job.started_at, Some(store.now()));
    assert_eq!(
        store.claim_job("w2", lease(&store)).await.unwrap(),
        None,
        "a running job is not handed out twice"
    );

    assert!(
        !store.finish_job(id, "w2").await.unwrap(),
        "only the worker holding it finishes it"
    );
    assert!(store.finish_job(id, "w1").await.unwrap());
    let done = store.job(id).await.unwrap().unwrap();
    assert_eq!((done.state, done.finished_at), (JobState::Done, Some(store.now())));
    assert!(!store.finish_job(id, "w1").await.unwrap(), "a done job stays done");
    assert_eq!(store.claim_job("w1", lease(&store)).await.unwrap(), None);
}

store_test!(a_dedupe_key_enqueues_once);
async fn a_dedupe_key_enqueues_once(store: Store) {
    let store = fixed(&store);
    let run = NewJob::new("daily", json!({}), store.now()).once_per("daily@2026-12-02".into());
    let first = store.enqueue_job(&run).await.unwrap();
    assert!(first.is_some());
    assert_eq!(
        store.enqueue_job(&run).await.unwrap(),
        None,
        "the same key again is a no-op"
    );
    let other = NewJob::new("daily", json!({}), store.now()).once_per("daily@2026-12-03".into());
    assert!(store.enqueue_job(&other).await.unwrap().is_some());
    assert_eq!(store.job_counts().await.unwrap().queued, 2);
}

store_test!(a_failed_attempt_backs_off_then_gives_up_keeping_the_error);
async fn a_failed_attempt_backs_off_then_gives_up_keeping_the_error(store: Store) {
    let store = fixed(&store);
    let mut job = NewJob::new("webhook", json!({}), store.now());
    job.max_attempts = 3;
    let id = store.enqueue_job(&job).await.unwrap().unwrap();

    let start = store.now();
    store.claim_job("w", lease(&store)).await.unwrap().unwrap();
    let after = store.fail_job(id, "w", "connection refused").await.unwrap();
    assert_eq!(after, Some(AfterFailure::Retry(start + Duration::seconds(30))));
    let queued = store.job(id).await.unwrap().unwrap();
    assert_eq!(queued.state, JobState::Queued);
    assert_eq!(queued.last_error.as_deref(), Some("connection refused"));
    assert_eq!(
        store.claim_job("w", lease(&store)).await.unwrap(),
        None,
        "waits out its back-off"
    );

    store.clock().advance(Duration::seconds(30));
    let second = store.claim_job("w", lease(&store)).await.unwrap().unwrap();
    assert_eq!(second.attempts, 2);
    let after = store.fail_job(id, "w", "timed out").await.unwrap();
    assert_eq!(
        after,
        Some(AfterFailure::Retry(store.now() + Duration::seconds(60))),
        "the wait doubles"
    );

    store.clock().advance(Duration::seconds(60));
    store.claim_job("w", lease(&store)).await.unwrap().unwrap();
    assert_eq!(
        store.fail_job(id, "w", "HTTP 500").await.unwrap(),
        Some(AfterFailure::Failed)
    );
    let failed = store.job(id).await.unwrap().unwrap();
    assert_eq!((failed.state, failed.attempts), (JobState::Failed, 3));
    assert_eq!(failed.last_error.as_deref(), Some("HTTP 500"));
    store.clock().advance(Duration::hours(2));
    assert_eq!(
        store.claim_job("w", lease(&store)).await.unwrap(),
        None,
        "failed for good"
    );
    assert_eq!(store.job_counts().await.unwrap().failed, 1);

    let retried = store.retry_failed_job(id).await.unwrap();
    assert_eq!((retried.state, retried.attempts), (JobState::Queued, 0));
    assert_eq!(
        retried.last_error.as_deref(),
        Some("HTTP 500"),
        "the error stays until a run replaces it"
    );
    assert!(
        matches!(store.retry_failed_job(id).await, Err(StoreError::Conflict(_))),
        "only a failed job"
    );
    assert!(matches!(
        store.retry_failed_job(JobId(999)).await,
        Err(StoreError::NotFound { what: "job", .. })
    ));
}

store_test!(a_job_whose_worker_stopped_is_claimed_again_after_its_lease);
async fn a_job_whose_worker_stopped_is_claimed_again_after_its_lease(store: Store) {
    let store = fixed(&store);
    let mut job = NewJob::new("export", json!({}), store.now());
    job.max_attempts = 2;
    let id = store.enqueue_job(&job).await.unwrap().unwrap();
    store.claim_job("crashed", lease(&store)).await.unwrap().unwrap();

    store.clock().advance(Duration::seconds(59));
    assert_eq!(
        store.claim_job("w2", lease(&store)).await.unwrap(),
        None,
        "the lease still holds"
    );
    assert!(
        store.renew_job_lease(id, "crashed", lease(&store)).await.unwrap(),
        "renewing extends it"
    );
    store.clock().advance(Duration::seconds(59));
    assert_eq!(store.claim_job("w2", lease(&store)).await.unwrap(), None, "renewed");

    store.clock().advance(Duration::seconds(2));
    let again = store
        .claim_job("w2", lease(&store))
        .await
        .unwrap()
        .expect("the lease ran out");
    assert_eq!((again.attempts, again.worker.as_deref()), (2, Some("w2")));
    assert!(
        !store.renew_job_lease(id, "crashed", lease(&store)).await.unwrap(),
        "the old worker lost it"
    );
    assert!(!store.finish_job(id, "crashed").await.unwrap());

    // The second worker stops too, on the last attempt: the job fails instead of running a third time.
    store.clock().advance(Duration::seconds(61));
    assert_eq!(store.claim_job("w3", lease(&store)).await.unwrap(), None);
    let failed = store.job(id).await.unwrap().unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert!(failed.last_error.unwrap().contains("stopped before it finished"));
}

store_test!(a_released_job_runs_again_without_losing_an_attempt);
async fn a_released_job_runs_again_without_losing_an_attempt(store: Store) {
    let store = fixed(&store);
    let id = store
        .enqueue_job(&NewJob::new("digest", json!({}), store.now()))
        .await
        .unwrap()
        .unwrap();
    store.claim_job("stopping", lease(&store)).await.unwrap().unwrap();
    assert!(store.release_job(id, "stopping").await.unwrap());
    let next = store.claim_job("next", lease(&store)).await.unwrap().unwrap();
    assert_eq!((next.id, next.attempts), (id, 1));
}

store_test!(jobs_are_listed_by_state_a_page_at_a_time);
async fn jobs_are_listed_by_state_a_page_at_a_time(store: Store) {
    let store = fixed(&store);
    let now = store.now();
    let mut ids = Vec::new();
    for minutes in [30, 10, 20] {
        let job = NewJob::new("reminder", json!({ "n": minutes }), now + Duration::minutes(minutes));
        ids.push(store.enqueue_job(&job).await.unwrap().unwrap());
    }
    let done = store
        .enqueue_job(&NewJob::new("digest", json!({}), now))
        .await
        .unwrap()
        .unwrap();
    store.claim_job("w", lease(&store)).await.unwrap().unwrap();
    store.finish_job(done, "w").await.unwrap();

    let (total, all) = store.jobs(None, 10, 0).await.unwrap();
    assert_eq!(total, 4);
    let order: Vec<JobId> = all.iter().map(|j| j.id).collect();
    assert_eq!(
        order,
        [ids[1], ids[2], ids[0], done],
        "queued by due time, then finished ones"
    );

    let (total, page) = store.jobs(Some(JobState::Queued), 2, 1).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(page.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[2], ids[0]]);
    let (total, page) = store.jobs(Some(JobState::Failed), 10, 0).await.unwrap();
    assert_eq!((total, page.len()), (0, 0));

    let counts = store.job_counts().await.unwrap();
    assert_eq!(
        (counts.queued, counts.running, counts.done, counts.failed),
        (3, 0, 1, 0)
    );

    assert_eq!(
        store.prune_done_jobs(now).await.unwrap(),
        0,
        "kept until older than the cut-off"
    );
    store.clock().advance(Duration::days(8));
    assert_eq!(store.prune_done_jobs(store.now() - Duration::days(7)).await.unwrap(), 1);
    assert_eq!(
        store.jobs(None, 10, 0).await.unwrap().0,
        3,
        "only the finished job went"
    );
}

store_test!(workers_never_share_a_job, with_db);
/// Four workers on two connection pools (two processes, as far as the database can tell)
/// drain 120 jobs: every job is claimed exactly once.
async fn workers_never_share_a_job(db: TestDb) {
    let first = db.store.clone();
    let second = Store::connect(&db.url).await.unwrap();
    let now = first.now();
    for n in 0..120 {
        first
            .enqueue_job(&NewJob::new("n", json!({ "n": n }), now))
            .await
            .unwrap();
    }
    let mut workers = Vec::new();
    for w in 0..4 {
        let store = if w % 2 == 0 { first.clone() } else { second.clone() };
        workers.push(tokio::spawn(async move {
            let name = format!("w{w}");
            let mut claimed = Vec::new();
            while let Some(job) = store
                .claim_job(&name, store.now() + Duration::seconds(60))
                .await
                .unwrap()
            {
                assert!(store.finish_job(job.id, &name).await.unwrap());
                claimed.push(job.id);
            }
            claimed
        }));
    }
    let mut seen = HashSet::new();
    for worker in workers {
        for id in worker.await.unwrap() {
            assert!(seen.insert(id), "job {id} was claimed twice");
        }
    }
    assert_eq!(seen.len(), 120);
    assert_eq!(first.job_counts().await.unwrap().done, 120);
    second.close().await;
    db.finish().await;
}
