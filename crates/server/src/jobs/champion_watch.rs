//! Every morning each account's CSM is told about its champion alerts (F-41): a champion,
//! decision maker or executive sponsor who left (marked, or inferred from silence plus a
//! bounced email or a successor), and a high-influence contact who cares about the problem but
//! dislikes our solution. The message queue's keys make each alert one message.

use lodestar_store::{Job, Store};

use super::{JobOutcome, Schedule};

pub const KIND: &str = "champion_watch";
pub const LABEL: &str = "Champion alerts";

/// 06:30 UTC, before the working day in Europe and after the daily rescore.
pub fn schedule() -> Schedule {
    Schedule::new("champion_watch", KIND, "30 6 * * *")
}

pub async fn run(store: Store, _job: Job) -> JobOutcome {
    let told = store.raise_champion_alerts().await.map_err(|e| e.to_string())?;
    tracing::info!(alerts = told, "champion alerts told");
    Ok(())
}
