//! Background jobs. The runner: two runners on one database run each job once; failures retry
//! after their back-off and keep their error; a panic fails the attempt, not the runner; a
//! stopping runner hands its job on; the daily rescore is a schedule enqueued once per day.
//! The jobs API and page: admins list and retry; nobody else sees them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use lodestar_domain::job::JobState;
use lodestar_domain::vocabulary::Role;
use lodestar_server::ServerConfig;
use lodestar_server::jobs::{JobKinds, Runner, RunnerConfig};
use lodestar_store::testing::TestDb;
use lodestar_store::{Clock, Job, NewJob, Store, store_test};
use serde_json::json;

fn fast() -> RunnerConfig {
    RunnerConfig {
        poll: Duration::from_millis(5),
        ..RunnerConfig::default()
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Waits (up to 20 s) until `ready` holds of the store's jobs.
async fn until(store: &Store, what: &str, ready: impl Fn(&[Job]) -> bool) -> Vec<Job> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, jobs) = store.jobs(None, 500, 0).await.unwrap();
        if ready(&jobs) {
            return jobs;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}: {jobs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn all_in(state: JobState) -> impl Fn(&[Job]) -> bool {
    move |jobs| !jobs.is_empty() && jobs.iter().all(|j| j.state == state)
}

/// A kind `count` whose runs note their payload's `n`.
fn counting(seen: &Arc<Mutex<Vec<i64>>>) -> JobKinds {
    let mut kinds = JobKinds::default();
    let seen = seen.clone();
    kinds.handle("count", move |_store, job| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(job.payload["n"].as_i64().unwrap());
            tokio::time::sleep(Duration::from_millis(2)).await;
            Ok(())
        }
    });
    kinds
}

store_test!(two_runners_run_each_job_once, with_db);
async fn two_runners_run_each_job_once(db: TestDb) {
    let first = db.store.clone();
    let second = Store::connect(&db.url).await.unwrap();
    for n in 0..80 {
        first
            .enqueue_job(&NewJob::new("count", json!({ "n": n }), first.now()))
            .await
            .unwrap();
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let a = Runner::start(first.clone(), counting(&seen), fast());
    let b = Runner::start(second.clone(), counting(&seen), fast());
    let jobs = until(&first, "every job is done", all_in(JobState::Done)).await;
    a.stop().await;
    b.stop().await;
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_unstable();
    assert_eq!(seen, (0..80).collect::<Vec<_>>(), "each job ran exactly once");
    assert!(jobs.iter().all(|j| j.attempts == 1));
    let workers: std::collections::HashSet<_> = jobs.iter().filter_map(|j| j.worker.clone()).collect();
    assert_eq!(workers.len(), 2, "both runners took jobs");
    second.close().await;
    db.finish().await;
}

#[tokio::test]
async fn a_failed_run_is_retried_after_its_back_off_and_keeps_its_error() {
    let db = TestDb::sqlite().await;
    let store = db.store.with_clock(Clock::fixed(at("2026-12-02T09:00:00Z")));
    let mut kinds = JobKinds::default();
    let tries = Arc::new(Mutex::new(0));
    let counter = tries.clone();
    kinds.handle("flaky", move |_store, _job| {
        let counter = counter.clone();
        async move {
            let mut n = counter.lock().unwrap();
            *n += 1;
            if *n == 1 {
                Err("the receiver answered 502".to_owned())
            } else {
                Ok(())
            }
        }
    });
    kinds.handle("broken", |_store, job: Job| async move {
        assert!(job.payload.is_null(), "a bug in the handler");
        Ok(())
    });
    let flaky = store
        .enqueue_job(&NewJob::new("flaky", json!({}), store.now()))
        .await
        .unwrap()
        .unwrap();
    let mut broken = NewJob::new("broken", json!({"unexpected": true}), store.now());
    broken.max_attempts = 1;
    let broken = store.enqueue_job(&broken).await.unwrap().unwrap();
    let mut unknown = NewJob::new("no_such_kind", json!({}), store.now());
    unknown.max_attempts = 1;
    let unknown = store.enqueue_job(&unknown).await.unwrap().unwrap();

    let runner = Runner::start(store.clone(), kinds, fast());
    until(&store, "the flaky job waits for its retry", |jobs| {
        jobs.iter()
            .any(|j| j.id == flaky && j.state == JobState::Queued && j.last_error.is_some())
    })
    .await;
    until(&store, "the broken jobs failed", |jobs| {
        jobs.iter().filter(|j| j.state == JobState::Failed).count() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(*tries.lock().unwrap(), 1, "not retried before its back-off");

    store.clock().advance(chrono::Duration::seconds(30));
    until(&store, "the flaky job is done", |jobs| {
        jobs.iter().any(|j| j.id == flaky && j.state == JobState::Done)
    })
    .await;
    runner.stop().await;
    let flaky = store.job(flaky).await.unwrap().unwrap();
    assert_eq!(flaky.attempts, 2);
    assert_eq!(
        flaky.last_error.as_deref(),
        Some("the receiver answered 502"),
        "the last error is kept"
    );
    let broken = store.job(broken).await.unwrap().unwrap();
    assert!(
        broken.last_error.unwrap().contains("panicked"),
        "a panic fails the attempt, not the runner"
    );
    let unknown = store.job(unknown).await.unwrap().unwrap();
    assert_eq!(
        unknown.last_error.as_deref(),
        Some("no handler for jobs of kind \"no_such_kind\"")
    );
    db.finish().await;
}

#[tokio::test]
async fn a_stopping_runner_puts_its_job_back_for_the_next() {
    let db = TestDb::sqlite().await;
    let store = db.store.clone();
    let mut stuck = JobKinds::default();
    stuck.handle("long", |_store, _job| std::future::pending());
    let id = store
        .enqueue_job(&NewJob::new("long", json!({}), store.now()))
        .await
        .unwrap()
        .unwrap();
    let first = Runner::start(store.clone(), stuck, fast());
    until(&store, "the job runs", all_in(JobState::Running)).await;
    first.stop().await;
    let back = store.job(id).await.unwrap().unwrap();
    assert_eq!(
        (back.state, back.attempts),
        (JobState::Queued, 0),
        "released, the attempt not counted"
    );

    // A restart: a new runner on a new connection pool finds it.
    let restarted = Store::connect(&db.url).await.unwrap();
    let mut finishing = JobKinds::default();
    finishing.handle("long", |_store, _job| async { Ok(()) });
    let second = Runner::start(restarted.clone(), finishing, fast());
    until(&store, "the job is done", all_in(JobState::Done)).await;
    second.stop().await;
    assert_eq!(store.job(id).await.unwrap().unwrap().attempts, 1);
    restarted.close().await;
    db.finish().await;
}

store_test!(the_daily_rescore_runs_once_a_day, with_db);
async fn the_daily_rescore_runs_once_a_day(db: TestDb) {
    let clock = Clock::fixed(at("2026-12-02T10:00:00Z"));
    let first = db.store.with_clock(clock.clone());
    let second = Store::connect(&db.url).await.unwrap().with_clock(clock.clone());
    let a = Runner::start(first.clone(), JobKinds::standard(&ServerConfig::default()), fast());
    let b = Runner::start(second.clone(), JobKinds::standard(&ServerConfig::default()), fast());
    // The rescore's runs, among the other schedules' (the digest sweep's).
    let rescores = |jobs: &[Job]| -> Vec<Job> { jobs.iter().filter(|j| j.kind == "daily_rescore").cloned().collect() };
    let jobs = rescores(
        &until(&first, "today's rescore is done", |jobs| {
            all_in(JobState::Done)(&rescores(jobs))
        })
        .await,
    );
    assert_eq!(jobs.len(), 1, "two servers, one run: {jobs:#?}");
    assert_eq!(
        jobs[0].run_at,
        at("2026-12-02T00:01:00Z"),
        "the run due a minute past midnight"
    );

    clock.advance(chrono::Duration::days(1));
    let jobs = rescores(
        &until(&first, "tomorrow's rescore is done", |jobs| {
            let rescores = rescores(jobs);
            rescores.len() == 2 && all_in(JobState::Done)(&rescores)
        })
        .await,
    );
    a.stop().await;
    b.stop().await;
    assert!(jobs.iter().any(|j| j.run_at == at("2026-12-03T00:01:00Z")));
    assert!(jobs.iter().all(|j| j.attempts == 1));
    second.close().await;
    db.finish().await;
}

async fn state_of(app: &crate::support::TestApp, id: i64) -> JobState {
    app.store.job(lodestar_domain::JobId(id)).await.unwrap().unwrap().state
}

/// A failed job, a queued one and a done one on the app's store.
async fn three_jobs(app: &crate::support::TestApp) -> (i64, i64, i64) {
    let store = &app.store;
    let mut failing = NewJob::new("webhook", json!({"url": "https://example.com/hook"}), store.now());
    failing.max_attempts = 1;
    let failed = store.enqueue_job(&failing).await.unwrap().unwrap();
    let done = store
        .enqueue_job(&NewJob::new("digest", json!({}), store.now()))
        .await
        .unwrap()
        .unwrap();
    let later = store.now() + chrono::Duration::hours(1);
    let queued = store
        .enqueue_job(&NewJob::new("reminder", json!({}), later))
        .await
        .unwrap()
        .unwrap();
    let lease = store.now() + chrono::Duration::minutes(1);
    let first = store.claim_job("w", lease).await.unwrap().unwrap();
    store
        .fail_job(first.id, "w", "HTTP 502 from example.com")
        .await
        .unwrap();
    let second = store.claim_job("w", lease).await.unwrap().unwrap();
    store.finish_job(second.id, "w").await.unwrap();
    (failed.0, queued.0, done.0)
}

#[tokio::test]
async fn admins_list_jobs_by_state_and_retry_a_failed_one() {
    let app = crate::support::TestApp::new().await;
    let (_, admin) = app.api_user("ada@v.io", Role::Admin).await;
    let (failed, queued, done) = three_jobs(&app).await;

    let all = app.send("GET", "/api/v1/jobs", Some(&admin), None).await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    assert_eq!(all.body["total"], 3);
    assert_eq!(
        all.body["counts"],
        json!({"queued": 1, "running": 0, "done": 1, "failed": 1})
    );
    let ids: Vec<i64> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [queued, failed, done], "queued first, then failed, then done");
    let failing = &all.body["items"][1];
    assert_eq!(failing["state"], "failed");
    assert_eq!(failing["last_error"], "HTTP 502 from example.com");
    assert_eq!(failing["payload"]["url"], "https://example.com/hook");

    let only_failed = app
        .send("GET", "/api/v1/jobs?state=failed&limit=1", Some(&admin), None)
        .await;
    assert_eq!(
        (
            only_failed.body["total"].clone(),
            only_failed.body["items"].as_array().unwrap().len()
        ),
        (json!(1), 1)
    );
    let bad = app.send("GET", "/api/v1/jobs?state=stuck", Some(&admin), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["errors"][0]["field"], "state");

    let retried = app
        .send("POST", &format!("/api/v1/jobs/{failed}/retry"), Some(&admin), None)
        .await;
    assert_eq!(retried.status, StatusCode::OK, "{:?}", retried.body);
    assert_eq!(
        (retried.body["state"].clone(), retried.body["attempts"].clone()),
        (json!("queued"), json!(0))
    );
    let again = app
        .send("POST", &format!("/api/v1/jobs/{failed}/retry"), Some(&admin), None)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.content_type, "application/problem+json");
    let missing = app.send("POST", "/api/v1/jobs/999/retry", Some(&admin), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_admins_see_jobs_on_the_api_and_the_page() {
    let app = crate::support::TestApp::new().await;
    let (failed, _, _) = three_jobs(&app).await;
    app.user("ada@v.io", Role::Admin).await;
    for role in [Role::Leader, Role::Csm, Role::Viewer] {
        let email = format!("{}@v.io", role.as_str());
        let token = app.token_for(app.user(&email, role).await, role).await;
        let list = app.send("GET", "/api/v1/jobs", Some(&token), None).await;
        assert_eq!(list.status, StatusCode::FORBIDDEN, "{role:?}");
        let retry = app
            .send("POST", &format!("/api/v1/jobs/{failed}/retry"), Some(&token), None)
            .await;
        assert_eq!(retry.status, StatusCode::FORBIDDEN, "{role:?}");
        let cookie = app.session(&format!("{}@v.io", role.as_str())).await;
        let page = app.browse("GET", "/admin/jobs", Some(&cookie), None, None).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{role:?}");
    }
    assert_eq!(state_of(&app, failed).await, JobState::Failed);

    let admin = app.session("ada@v.io").await;
    let page = app
        .browse("GET", "/admin/jobs?state=failed", Some(&admin), None, None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("HTTP 502 from example.com"),
        "the page shows the last error"
    );
    assert!(page.text.contains(&format!("/admin/jobs/{failed}/retry")));
    let origin = format!("http://{}", crate::support::HOST);
    let retried = app
        .browse(
            "POST",
            &format!("/admin/jobs/{failed}/retry"),
            Some(&admin),
            Some(&origin),
            Some(""),
        )
        .await;
    assert_eq!(retried.status, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, failed).await, JobState::Queued);
    let again = app
        .browse(
            "POST",
            &format!("/admin/jobs/{failed}/retry"),
            Some(&admin),
            Some(&origin),
            Some(""),
        )
        .await;
    let to = again.headers["location"].to_str().unwrap();
    assert_eq!(to, "/admin/jobs?state=failed#jobs", "no message travels in the URL");
    let shown = app.browse("GET", to, Some(&admin), None, None).await;
    assert!(
        shown.text.contains("has not failed"),
        "the refusal is shown on the page"
    );
    let again = app.browse("GET", to, Some(&admin), None, None).await;
    assert!(!again.text.contains("has not failed"), "once");
}
