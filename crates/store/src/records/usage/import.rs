//! Bulk imports of usage messages (`lodestar import events`, the demo data): many batches in
//! one transaction, their people and rollups summed in memory and written once.

use lodestar_domain::usage::Message;

use super::ingest::{IngestSummary, Pending, store_messages};
use crate::{Result, Store, Tx};

/// Beyond this many rows in memory, an import writes them before the next batch.
const PENDING_ROWS: usize = 2_000_000;

impl Store {
    /// Starts a bulk import: batches added to it share one transaction (and so one write of
    /// each index page they touch), and milestones and health are settled once, at commit.
    pub async fn begin_event_import(&self) -> Result<EventImport> {
        Ok(EventImport {
            tx: self.begin_write().await?,
            pending: Pending::default(),
        })
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

    pub async fn commit(mut self) -> Result<()> {
        self.pending.finish(&mut self.tx).await?;
        self.tx.commit().await
    }
}
