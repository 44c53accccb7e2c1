//! The follower: applies the blocks that ingestion acknowledged (placement, rollups; see
//! `Store::apply_queued_usage`) right after they are committed, and settles the accounts they
//! touched (milestones, scores; `Store::settle_applied_usage`).
//!
//! The writer wakes it after each commit; it also looks every [`POLL`] for blocks another
//! server on the same PostgreSQL acknowledged, or that a crash left queued. It applies in
//! steps of about [`STEP_EVENTS`] events so that on SQLite, where it shares the one write lock
//! with the writer, the answer path never waits long for it. It settles once the queue is
//! empty, and every [`SETTLE_EVERY`] while it is not: rescoring an account costs as much as
//! applying hundreds of its events, so under load each account is rescored about twice a
//! second however many steps touch it, and its score is at most about a second behind.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lodestar_store::Store;
use tokio::sync::Notify;

/// Events applied per transaction: large enough that a step's fixed costs are paid per
/// thousands of events, small enough that a step holds the write lock for milliseconds.
const STEP_EVENTS: usize = 2_000;
/// Accounts settled per transaction, for the same reason.
const SETTLE_ACCOUNTS: usize = 100;
/// How long applied usage may wait to be settled while blocks keep coming.
const SETTLE_EVERY: Duration = Duration::from_millis(500);
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
    let mut settled_at = Instant::now();
    loop {
        let step = async {
            let applied = store.apply_queued_usage(STEP_EVENTS).await?;
            let queue_empty = applied.blocks == 0;
            if queue_empty || settled_at.elapsed() >= SETTLE_EVERY {
                settled_at = Instant::now();
                // In steps, each letting the writer take its turn before the next.
                while store.settle_applied_usage(SETTLE_ACCOUNTS).await? == SETTLE_ACCOUNTS {
                    tokio::task::yield_now().await;
                }
            }
            Ok::<_, lodestar_store::StoreError>(queue_empty)
        };
        match step.await {
            // More may be queued: go on, letting the writer's tasks run between steps.
            Ok(false) => {
                tokio::task::yield_now().await;
                continue;
            }
            Ok(true) => {}
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
