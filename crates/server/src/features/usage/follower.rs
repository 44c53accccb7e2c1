//! The follower: applies the blocks that ingestion acknowledged (placement, rollups,
//! milestones, scores; see `Store::apply_queued_usage`) right after they are committed.
//!
//! The writer wakes it after each commit; it also looks every [`POLL`] for blocks another
//! server on the same PostgreSQL acknowledged, or that a crash left queued. It applies in
//! steps of about [`STEP_EVENTS`] events so that on SQLite, where it shares the one write lock
//! with the writer, the answer path never waits long for it.

use std::sync::Arc;
use std::time::Duration;

use lodestar_store::Store;
use tokio::sync::Notify;

/// Events applied per transaction: large enough that rescoring the accounts touched is paid
/// per thousands of events, small enough that a step holds the write lock for milliseconds.
const STEP_EVENTS: usize = 10_000;
/// How often an idle follower looks for blocks it was not woken for.
const POLL: Duration = Duration::from_millis(200);
/// How long a follower whose step failed (the database away, say) waits before the next.
const AFTER_FAILURE: Duration = Duration::from_secs(1);

/// Starts the follower on the current runtime; notify the handle after each commit.
pub(crate) fn start(store: Store) -> Arc<Notify> {
    let wake = Arc::new(Notify::new());
    tokio::spawn(follow(store, wake.clone()));
    wake
}

async fn follow(store: Store, wake: Arc<Notify>) {
    loop {
        match store.apply_queued_usage(STEP_EVENTS).await {
            // More may be queued: go on, letting the writer's tasks run between steps.
            Ok(applied) if applied.blocks > 0 => {
                tokio::task::yield_now().await;
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "applying acknowledged usage failed; it stays queued and is tried again");
                tokio::time::sleep(AFTER_FAILURE).await;
                continue;
            }
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}
