//! Every quarter of an hour each enabled trigger rule runs: the accounts its signal and
//! condition hit now are fired on, once per cause (F-51). Rules run here, never inside a
//! request; an admin's "Run now" queues the same job.

use chrono::{DateTime, Utc};
use lodestar_store::{Job, NewJob, Store};

use super::{JobOutcome, Schedule};

pub const KIND: &str = "trigger_sweep";
pub const LABEL: &str = "Trigger rules";

pub fn schedule() -> Schedule {
    Schedule::new("trigger_sweep", KIND, "*/15 * * * *")
}

/// A run now, outside the schedule (an admin asked).
pub fn now(at: DateTime<Utc>) -> NewJob {
    NewJob::new(KIND, serde_json::json!({ "due": at }), at)
}

pub async fn run(store: Store, job: Job) -> JobOutcome {
    let due: DateTime<Utc> =
        serde_json::from_value(job.payload["due"].clone()).map_err(|e| format!("payload.due is not a time: {e}"))?;
    let run = store
        .run_trigger_rules(due.date_naive())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(rules = run.rules, fired = run.fired, "trigger rules run");
    Ok(())
}
