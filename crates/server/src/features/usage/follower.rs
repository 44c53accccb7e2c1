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
//!
//! The writer may acknowledge events faster than the follower applies them (on SQLite the two
//! share one write lock). So that the reads' lag stays bounded, the writer waits while more
//! than [`MAX_UNAPPLIED`] events it acknowledged are not yet applied ([`Follower::keep_up`]);
//! its queue then fills and the server answers 503 with `Retry-After`, as for any overload.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lodestar_store::Store;
use tokio::sync::Notify;

/// Events applied per transaction: large enough that a step's fixed costs are paid per
/// thousands of events, small enough that a step holds the write lock for milliseconds.
const STEP_EVENTS: usize = 5_000;
/// Events this server acknowledged and its follower has not applied, beyond which the writer
/// waits: about two seconds of the follower's work on this machine (BENCHMARKS.md).
const MAX_UNAPPLIED: usize = 50_000;
/// Accounts settled per transaction, for the same reason.
const SETTLE_ACCOUNTS: usize = 100;
/// How long applied usage may wait to be settled while blocks keep coming.
const SETTLE_EVERY: Duration = Duration::from_millis(500);
/// How often an idle follower looks for blocks it was not woken for.
const POLL: Duration = Duration::from_millis(200);
/// How long a follower whose step failed (the database away, say) waits before the next.
const AFTER_FAILURE: Duration = Duration::from_secs(1);

/// The writer's handle on the follower.
pub(crate) struct Follower {
    /// Wakes the follower: blocks were committed.
    wake: Notify,
    /// Events acknowledged by this server and not yet applied, as far as this server knows:
    /// a block that another server's follower applies is counted off by neither, so the
    /// count is brought back to the queue's own whenever the follower finds it empty.
    unapplied: AtomicUsize,
    /// Notified after each step that applied something.
    progress: Notify,
}

impl Follower {
    /// Notes `events` committed to the queue, and wakes the follower.
    pub(crate) fn committed(&self, events: usize) {
        self.unapplied.fetch_add(events, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Returns once at most [`MAX_UNAPPLIED`] acknowledged events wait to be applied.
    pub(crate) async fn keep_up(&self) {
        loop {
            let progress = self.progress.notified();
            if self.unapplied.load(Ordering::SeqCst) <= MAX_UNAPPLIED {
                return;
            }
            progress.await;
        }
    }

    fn applied(&self, events: usize) {
        let _ = self
            .unapplied
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| Some(n.saturating_sub(events)));
        self.progress.notify_waiters();
    }

    fn caught_up(&self) {
        self.unapplied.store(0, Ordering::SeqCst);
        self.progress.notify_waiters();
    }
}

/// Starts the follower on the current runtime.
pub(crate) fn start(store: Store) -> Arc<Follower> {
    let follower = Arc::new(Follower {
        wake: Notify::new(),
        unapplied: AtomicUsize::new(0),
        progress: Notify::new(),
    });
    tokio::spawn(follow(store, follower.clone()));
    follower
}

async fn follow(store: Store, follower: Arc<Follower>) {
    let mut settled_at = Instant::now();
    loop {
        let step = async {
            let applied = store.apply_queued_usage(STEP_EVENTS).await?;
            let queue_empty = applied.blocks == 0;
            if queue_empty {
                follower.caught_up();
            } else {
                follower.applied(applied.events);
            }
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
            () = follower.wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}
