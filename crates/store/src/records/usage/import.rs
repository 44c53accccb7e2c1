//! Bulk imports of usage messages (`lodestar import events`, the demo data): many batches in
//! one transaction, their people and rollups summed in memory and written once.
//!
//! On SQLite the import's keys are not claimed batch by batch: a file's timestamps are spread
//! over months, so each batch's keys would land on pages all over the key index, and every
//! page would be written again by the next batch. They are kept in memory (a repeat within
//! the import is caught there), checked against the stored keys by reads, and written once,
//! in key order, at commit: one walk along the index. No other writer can store one of
//! these keys in between, as the import holds SQLite's write lock from its first statement.
//! On PostgreSQL another server may be storing the same messages meanwhile, so each batch
//! claims its keys in the key table as live ingestion does.

use std::collections::HashSet;

use lodestar_domain::usage::{EventKey, Message};

use super::blocks;
use super::ingest::{FastSet, IngestSummary, Pending, store_messages};
use crate::{Backend, Result, Store, Tx, on_tx};

/// Beyond this many rows in memory (people and summed rollup rows, some 40 bytes each), an
/// import writes them before the next batch. The CLI's segments of 3.5 million events of a
/// usual file stay below it, so their rollups are written once, at commit.
const PENDING_ROWS: usize = 4_000_000;

impl Store {
    /// Starts a bulk import: batches added to it share one transaction (and so one write of
    /// each index page they touch), and milestones and health are settled once, at commit.
    pub async fn begin_event_import(&self) -> Result<EventImport> {
        let tx = self.begin_write().await?;
        let pending = Pending {
            import_keys: (tx.backend() == Backend::Sqlite).then(ImportKeys::default),
            ..Pending::default()
        };
        Ok(EventImport { tx, pending })
    }
}

/// Batches of a bulk import in one transaction ([`Store::begin_event_import`]); dropped
/// without [`EventImport::commit`], nothing of it is stored.
pub struct EventImport {
    tx: Tx,
    pending: Pending,
}

impl EventImport {
    pub async fn add(&mut self, messages: &[Message]) -> Result<IngestSummary> {
        if self.pending.rows() >= PENDING_ROWS {
            self.pending.flush(&mut self.tx).await?;
        }
        store_messages(&mut self.tx, messages, &mut self.pending).await
    }

    /// [`EventImport::add`] of a batch whose block is framed and compressed already.
    pub async fn add_batch(&mut self, batch: ImportBatch) -> Result<IngestSummary> {
        self.pending.compressed_block = Some(batch.block);
        let summary = self.add(&batch.messages).await;
        self.pending.compressed_block = None;
        summary
    }

    pub async fn commit(mut self) -> Result<()> {
        if let Some(keys) = self.pending.import_keys.take() {
            keys.write(&mut self.tx).await?;
        }
        self.pending.finish(&mut self.tx).await?;
        self.tx.commit().await
    }
}

/// A batch of an import with its block framed and compressed where it was made: on a parser
/// thread, not on the import's one writer. The block is stored as it is unless some of the
/// batch are duplicates.
pub struct ImportBatch {
    messages: Vec<Message>,
    block: CompressedBlock,
}

impl ImportBatch {
    pub fn new(messages: Vec<Message>) -> ImportBatch {
        let block = CompressedBlock {
            events: messages.len(),
            body: blocks::compress(&messages),
        };
        ImportBatch { messages, block }
    }

    pub fn messages(&self) -> &[Message] {
        &self.messages
    }
}

/// A block's body ([`blocks::compress`]) and how many messages it holds.
pub(super) struct CompressedBlock {
    pub(super) events: usize,
    pub(super) body: Vec<u8>,
}

/// The keys a bulk import on SQLite has claimed, not yet in the key table (see the module
/// documentation).
#[derive(Default)]
pub(super) struct ImportKeys {
    claimed: FastSet<EventKey>,
}

impl ImportKeys {
    /// Of `keys` (each once), those new: neither claimed by this import nor stored before it.
    /// They count as claimed from now on.
    pub(super) async fn claim(&mut self, tx: &mut Tx, keys: &[EventKey]) -> Result<HashSet<EventKey>> {
        let unclaimed: Vec<EventKey> = keys.iter().copied().filter(|k| !self.claimed.contains(k)).collect();
        let stored = stored_among(tx, &unclaimed).await?;
        let new: HashSet<EventKey> = unclaimed.into_iter().filter(|k| !stored.contains(k)).collect();
        self.claimed.extend(new.iter().copied());
        Ok(new)
    }

    /// Writes the claimed keys to the key table, in key order.
    async fn write(self, tx: &mut Tx) -> Result<()> {
        let mut keys: Vec<EventKey> = self.claimed.into_iter().collect();
        blocks::write_sorted_keys(tx, &mut keys).await
    }
}

/// Which of `keys` the key table holds. A file imported for the first time, or into a store
/// that holds other times, has none: one read of the keys' time range says so, and only when
/// that range holds keys is each key looked up.
async fn stored_among(tx: &mut Tx, keys: &[EventKey]) -> Result<HashSet<EventKey>> {
    let (Some(first), Some(last)) = (keys.iter().min(), keys.iter().max()) else {
        return Ok(HashSet::new());
    };
    let any: Option<i64> = on_tx!(&mut *tx, |c| {
        sqlx::query_scalar("SELECT 1 FROM usage_event_keys WHERE at BETWEEN $1 AND $2 LIMIT 1")
            .bind(first.at)
            .bind(last.at)
            .fetch_optional(&mut *c)
            .await?
    });
    match any {
        None => Ok(HashSet::new()),
        Some(_) => blocks::stored_keys(tx, keys).await,
    }
}
