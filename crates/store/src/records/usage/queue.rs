//! Answering ingestion after the durable part, and applying the rest right after.
//!
//! [`Store::append_events`] is the answer path: it claims the messages' keys, writes their
//! block and queues the block in `usage_block_queue`, in one short transaction that reads no
//! people or accounts and rescores nothing. [`Store::apply_queued_usage`] is the follower's
//! step: under the usage lock it takes the oldest queued blocks, places their messages,
//! writes the rollups, lists the accounts touched in `usage_unsettled_accounts` and deletes
//! the blocks' queue rows, all in one transaction. A crash rolls the step back with its
//! deletions, so the next step applies the same blocks; a block whose queue row is gone was
//! applied, once.
//!
//! [`Store::settle_applied_usage`] then records those accounts' milestones and rescores them,
//! deleting their rows in the same transaction. It is a step of its own because rescoring an
//! account costs about as much as applying hundreds of its events: the follower settles at
//! most about twice a second under load (and at once when the queue is empty), so an account
//! that a thousand steps touch is rescored a few times, not a thousand.
//!
//! A queue rather than a cursor over block ids: a PostgreSQL identity is taken at insert and
//! seen at commit, so two servers may commit blocks 102 then 101, and a cursor past 102 would
//! skip 101 for ever. Blocks applied out of order converge, as two concurrent batches always
//! did: placement is decided when a block is applied, and an event applied before the call
//! that places its person waits, and attaches when that call is applied.

use chrono::{DateTime, Utc};
use lodestar_domain::usage::Message;

use super::blocks::{self, decode};
use super::ingest::{IngestSummary, Pending, claim_new, lock_usage, place_messages, settle_accounts};
use crate::bulk::{Value, delete_in, insert_rows};
use crate::{Result, Store, StoreError, Tx, on_pool, on_tx};

/// What one follower step applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppliedUsage {
    pub blocks: usize,
    pub events: usize,
    /// Events of those blocks that wait for an account.
    pub unmatched: usize,
}

/// Blocks acknowledged and not yet applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageBacklog {
    pub blocks: i64,
    pub events: i64,
    /// When the oldest of them was acknowledged.
    pub oldest: Option<DateTime<Utc>>,
    /// Accounts whose applied usage is not yet in their milestones and score.
    pub unsettled_accounts: i64,
}

impl Store {
    /// Stores `messages` durably — keys claimed, one block written and queued — and returns
    /// once that is committed. Placement, rollups, milestones and scores follow when the
    /// block is applied ([`Store::apply_queued_usage`]). `unmatched` is always 0 here: where
    /// an event belongs is decided when it is applied.
    pub async fn append_events(&self, messages: &[Message]) -> Result<IngestSummary> {
        let mut tx = self.begin_write().await?;
        let (new, duplicates) = claim_new(&mut tx, messages, None).await?;
        let received_at = tx.now();
        if let Some(block) = blocks::write_block(&mut tx, received_at, &new).await? {
            on_tx!(&mut tx, |c| sqlx::query(
                "INSERT INTO usage_block_queue (block_id, queued_at) VALUES ($1, $2)"
            )
            .bind(block)
            .bind(received_at)
            .execute(&mut *c)
            .await?
            .rows_affected());
        }
        tx.commit().await?;
        Ok(IngestSummary {
            stored: new.len(),
            duplicates,
            unmatched: 0,
        })
    }

    /// Applies the oldest queued blocks, whole blocks up to about `max_events` events (at
    /// least one block), in one transaction; applies nothing when the queue is empty. Safe to
    /// run from several tasks and servers at once: the usage lock makes them take turns, and
    /// each finds only blocks the others have not applied.
    pub async fn apply_queued_usage(&self, max_events: usize) -> Result<AppliedUsage> {
        if !self
            .holds_any_row("SELECT block_id FROM usage_block_queue LIMIT 1")
            .await?
        {
            return Ok(AppliedUsage::default());
        }
        let mut tx = self.begin_write().await?;
        let applied = apply_queued(&mut tx, max_events).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Records the milestones of at most `max_accounts` of the accounts whose usage was
    /// applied and not yet settled, and rescores them, in one transaction; returns how many
    /// it settled (0 when none waits). Safe to run from several tasks and servers at once.
    pub async fn settle_applied_usage(&self, max_accounts: usize) -> Result<usize> {
        if !self
            .holds_any_row("SELECT account_id FROM usage_unsettled_accounts LIMIT 1")
            .await?
        {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let settled = settle_unsettled(&mut tx, max_accounts).await?;
        tx.commit().await?;
        Ok(settled)
    }

    /// Applies queued blocks until none is left, then settles every account they touched:
    /// what a test or a command does when it needs the rollups and scores to count
    /// everything acknowledged so far.
    pub async fn apply_all_queued_usage(&self) -> Result<AppliedUsage> {
        let mut total = AppliedUsage::default();
        loop {
            let step = self.apply_queued_usage(APPLY_ALL_EVENTS).await?;
            if step.blocks == 0 {
                while self.settle_applied_usage(SETTLE_ALL_ACCOUNTS).await? > 0 {}
                return Ok(total);
            }
            total.blocks += step.blocks;
            total.events += step.events;
            total.unmatched += step.unmatched;
        }
    }

    /// Whether `sql` (`SELECT id … LIMIT 1`) finds a row, read outside any transaction: an
    /// idle follower looks often, and taking the write lock only to find nothing to do would
    /// keep writers waiting for nothing.
    async fn holds_any_row(&self, sql: &str) -> Result<bool> {
        let found: Option<i64> = on_pool!(self, |p| sqlx::query_scalar(sql).fetch_optional(p).await?);
        Ok(found.is_some())
    }

    /// What is acknowledged but not yet applied.
    pub async fn usage_backlog(&self) -> Result<UsageBacklog> {
        let (blocks, events, oldest, unsettled_accounts): (i64, Option<i64>, Option<DateTime<Utc>>, i64) =
            on_pool!(self, |p| {
                sqlx::query_as(
                    "SELECT COUNT(*), CAST(SUM(b.events) AS BIGINT), MIN(q.queued_at), \
                     (SELECT COUNT(*) FROM usage_unsettled_accounts) \
                     FROM usage_block_queue q JOIN usage_event_blocks b ON b.id = q.block_id",
                )
                .fetch_one(p)
                .await?
            });
        Ok(UsageBacklog {
            blocks,
            events: events.unwrap_or(0),
            oldest,
            unsettled_accounts,
        })
    }
}

/// Events per step of [`Store::apply_all_queued_usage`]: large steps, as nobody waits on its
/// lock but the caller.
const APPLY_ALL_EVENTS: usize = 200_000;
/// Accounts per step of [`Store::apply_all_queued_usage`]'s settling.
const SETTLE_ALL_ACCOUNTS: usize = 10_000;

/// Blocks looked at per step; a step ends earlier once it holds `max_events`.
const BLOCKS_PER_STEP: i64 = 256;

/// The follower's step inside `tx`: see [`Store::apply_queued_usage`].
pub(super) async fn apply_queued(tx: &mut Tx, max_events: usize) -> Result<AppliedUsage> {
    // Taken first: under it, the queue read next shows only blocks no other step holds (each
    // statement of PostgreSQL's READ COMMITTED sees what committed before it began).
    lock_usage(tx).await?;
    let queued: Vec<(i64, i64)> = on_tx!(&mut *tx, |c| {
        sqlx::query_as(
            "SELECT q.block_id, b.events FROM usage_block_queue q JOIN usage_event_blocks b ON b.id = q.block_id \
             ORDER BY q.block_id LIMIT $1",
        )
        .bind(BLOCKS_PER_STEP)
        .fetch_all(&mut *c)
        .await?
    });
    let mut taken = Vec::new();
    let mut events = 0usize;
    for (block, count) in queued {
        if !taken.is_empty() && events + count as usize > max_events {
            break;
        }
        taken.push(block);
        events += count as usize;
    }
    if taken.is_empty() {
        return Ok(AppliedUsage::default());
    }
    let deleted = delete_in(tx, "usage_block_queue", "block_id", &taken).await?;
    if deleted != taken.len() as u64 {
        // Only a step that bypassed the usage lock could have taken them.
        return Err(StoreError::Corrupt(format!(
            "usage blocks {taken:?} left the queue while being applied"
        )));
    }
    let mut messages: Vec<Message> = Vec::with_capacity(events);
    for &block in &taken {
        // Block ids are unique and a queued block exists, so the one after `block - 1` is it.
        let (_, body) = blocks::next_block(tx, block - 1)
            .await?
            .filter(|(id, _)| *id == block)
            .ok_or_else(|| StoreError::Corrupt(format!("queued usage block {block} is missing")))?;
        for record in decode(&body)? {
            messages.push(record.message()?);
        }
    }
    let mut pending = Pending::default();
    let refs: Vec<&Message> = messages.iter().collect();
    let unmatched = place_messages(tx, &refs, &mut pending).await?;
    pending.flush(tx).await?;
    let unsettled: Vec<Vec<Value>> = pending.touched.iter().map(|&id| vec![Value::from(id)]).collect();
    insert_rows(
        tx,
        "usage_unsettled_accounts",
        &["account_id"],
        unsettled,
        "ON CONFLICT (account_id) DO NOTHING",
    )
    .await?;
    Ok(AppliedUsage {
        blocks: taken.len(),
        events: messages.len(),
        unmatched,
    })
}

/// Settles at most `max_accounts` of the accounts listed unsettled, inside `tx`: see
/// [`Store::settle_applied_usage`]. Returns how many it settled.
pub(super) async fn settle_unsettled(tx: &mut Tx, max_accounts: usize) -> Result<usize> {
    // Under the usage lock, so a step applying more of an account's events on another server
    // either committed before this read (and is settled here) or lists the account again.
    lock_usage(tx).await?;
    let accounts: Vec<i64> = on_tx!(&mut *tx, |c| {
        sqlx::query_scalar("SELECT account_id FROM usage_unsettled_accounts ORDER BY account_id LIMIT $1")
            .bind(i64::try_from(max_accounts).unwrap_or(i64::MAX))
            .fetch_all(&mut *c)
            .await?
    });
    if accounts.is_empty() {
        return Ok(0);
    }
    delete_in(tx, "usage_unsettled_accounts", "account_id", &accounts).await?;
    settle_accounts(tx, &accounts.iter().copied().collect()).await?;
    Ok(accounts.len())
}
