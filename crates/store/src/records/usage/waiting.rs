//! Events that wait for an account: kept as rows until the account or the person's group
//! call arrives, then placed and counted.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use lodestar_domain::usage::MessageKind;

use super::ingest::{Pending, lock_usage, select_in, select_in_then};
use super::rollups::RollupDelta;
use crate::bulk::delete_in;
use crate::{Result, StoreError, Tx, on_tx};

pub(super) const WAITING_COLUMNS: &[&str] = &["message_id", "kind", "feature", "user_key", "group_id", "occurred_at"];

/// Which waiting (unplaced) events to try to place.
pub(crate) enum Waiting<'a> {
    /// Events of these people, who now have these accounts.
    People(&'a [(String, i64)]),
    /// Events and people naming these account external ids, whose accounts now exist.
    Accounts(&'a [String]),
}

/// Places waiting events (and, for new accounts, waiting people) on their accounts, adding
/// them to `rollups`. Returns the accounts that gained events.
pub(crate) async fn attach_waiting(
    tx: &mut Tx,
    waiting: Waiting<'_>,
    rollups: &mut RollupDelta,
) -> Result<HashSet<i64>> {
    if matches!(waiting, Waiting::People(people) if people.is_empty()) {
        return Ok(HashSet::new());
    }
    // Cheap when nothing waits, as almost always: both start from the few unplaced rows.
    let (events_wait, people_wait): (i64, i64) = on_tx!(&mut *tx, |c| {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM usage_waiting LIMIT 1) w), \
             (SELECT COUNT(*) FROM (SELECT 1 FROM usage_people WHERE account_id IS NULL AND group_id IS NOT NULL LIMIT 1) p)",
        )
        .fetch_one(&mut *c)
        .await?
    });
    type Placed = (i64, i64, String, Option<String>, String, DateTime<Utc>);
    let (placed, people): (Vec<Placed>, Vec<(String, i64)>) = match waiting {
        Waiting::People(people) if events_wait > 0 => {
            let accounts: HashMap<&str, i64> = people.iter().map(|(k, a)| (k.as_str(), *a)).collect();
            let keys: Vec<String> = people.iter().map(|(k, _)| k.clone()).collect();
            type Row = (i64, String, Option<String>, String, DateTime<Utc>);
            let rows: Vec<Row> = select_in(
                tx,
                "SELECT id, kind, feature, user_key, occurred_at FROM usage_waiting WHERE group_id IS NULL AND user_key",
                &keys,
            )
            .await?;
            let placed = rows
                .into_iter()
                .map(|(id, kind, feature, user_key, at)| (id, accounts[user_key.as_str()], kind, feature, user_key, at))
                .collect();
            (placed, Vec::new())
        }
        Waiting::Accounts(external_ids) if events_wait > 0 || people_wait > 0 => {
            let people: Vec<(String, i64)> = select_in_then(
                tx,
                "UPDATE usage_people SET account_id = (SELECT a.id FROM accounts a WHERE a.external_id = usage_people.group_id) \
                 WHERE account_id IS NULL AND group_id",
                external_ids,
                " RETURNING user_key, account_id",
            )
            .await?;
            let placed = select_in(
                tx,
                "SELECT w.id, a.id, w.kind, w.feature, w.user_key, w.occurred_at FROM usage_waiting w \
                 JOIN accounts a ON a.external_id = w.group_id WHERE w.group_id",
                external_ids,
            )
            .await?;
            (placed, people)
        }
        _ => return Ok(HashSet::new()),
    };
    for (_, account, kind, feature, user_key, occurred_at) in &placed {
        let kind = MessageKind::parse(kind).ok_or_else(|| StoreError::Corrupt(format!("usage_waiting kind {kind}")))?;
        if let Some(feature) = feature.as_deref().filter(|_| kind.is_activity()) {
            rollups.add(*account, user_key, feature, *occurred_at);
        }
    }
    let mut touched: HashSet<i64> = placed.iter().map(|p| p.1).collect();
    let ids: Vec<i64> = placed.iter().map(|p| p.0).collect();
    delete_in(tx, "usage_waiting", "id", &ids).await?;
    if !people.is_empty() {
        touched.extend(Box::pin(attach_waiting(tx, Waiting::People(&people), rollups)).await?);
    }
    Ok(touched)
}

/// Places the events and people that were waiting for accounts with these external ids,
/// which have just been written.
pub(crate) async fn place_waiting_usage(tx: &mut Tx, external_ids: &[String]) -> Result<()> {
    lock_usage(tx).await?;
    let mut pending = Pending::default();
    let touched = attach_waiting(tx, Waiting::Accounts(external_ids), &mut pending.rollups).await?;
    pending.touched = touched;
    pending.finish(tx).await
}
