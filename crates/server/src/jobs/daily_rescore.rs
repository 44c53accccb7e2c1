//! Once a day every account is rescored: time alone moves some measures (days to renewal, the
//! four-week usage windows), and each day needs its snapshot for the history. Everything else
//! rescores as its inputs change (see the store's health module).

use std::time::Duration;

use chrono::{DateTime, Utc};
use lodestar_store::{Job, Store};

use super::{JobOutcome, Schedule};

pub const KIND: &str = "daily_rescore";
pub const LABEL: &str = "Daily health rescore";

/// A minute past each UTC midnight.
pub fn schedule() -> Schedule {
    Schedule::new("daily_rescore", KIND, "1 0 * * *")
}

/// Rescores every account as of the run's due day, pausing between chunks so ingestion and
/// edits queued behind the write lock are not held up.
pub async fn run(store: Store, job: Job) -> JobOutcome {
    let due: DateTime<Utc> =
        serde_json::from_value(job.payload["due"].clone()).map_err(|e| format!("payload.due is not a time: {e}"))?;
    let summary = store
        .recompute_health_paced(due.date_naive(), Duration::from_millis(30))
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(day = %due.date_naive(), scored = summary.scored, unscored = summary.unscored, "daily rescore done");
    Ok(())
}
