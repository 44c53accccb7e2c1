//! Promises: what our team and the customer's people said they would do, by when.

use chrono::{DateTime, NaiveDate, Utc};

use crate::query::Query;
use crate::{Backend, Result, Tx};

/// Migration 13's Rust step: the LxL action items are promises now. A done item's day is the
/// day it was closed; PostgreSQL's identity must continue after the ids the items kept.
pub(crate) async fn finish_moving_action_items(tx: &mut Tx) -> Result<()> {
    let done: Vec<(i64, DateTime<Utc>)> =
        Query::sql("SELECT id, closed_at FROM promises WHERE status = 'done' AND closed_at IS NOT NULL")
            .fetch_all(tx)
            .await?;
    for (id, closed_at) in done {
        let day: NaiveDate = closed_at.date_naive();
        Query::sql("UPDATE promises SET done_on = $1 WHERE id = $2")
            .bind(day)
            .bind(id)
            .execute(tx)
            .await?;
    }
    if tx.backend() == Backend::Postgres {
        Query::sql(
            "SELECT setval(pg_get_serial_sequence('promises', 'id'), COALESCE((SELECT MAX(id) FROM promises), 0) + 1, false)",
        )
        .execute(tx)
        .await?;
    }
    Ok(())
}
