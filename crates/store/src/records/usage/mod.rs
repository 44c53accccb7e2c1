//! Storing product-usage messages (F-10) and keeping the rollups (F-11) in step with them.
//!
//! One call stores a batch in one transaction: a message already stored (same messageId) is
//! skipped, the rest are kept as one block (see [`super::event_blocks`]), people are updated
//! from identify/group/alias calls, each activity event is placed on its account (by its own
//! groupId, else by its person's account), and the rollups of the events placed are
//! incremented. A message that cannot be placed yet also waits in `usage_waiting`, and is
//! placed, rollups and all, when the link arrives (see [`attach_waiting`]).

mod blocks;
mod import;
mod ingest;
mod placement;
mod queue;
mod reads;
mod rollups;
mod views;
mod waiting;
pub(crate) mod write_keys;

pub use import::{EventImport, ImportBatch};
pub use ingest::IngestSummary;
pub use queue::{AppliedUsage, UsageBacklog};
pub use reads::{EventSelection, FeatureDay, UnmatchedEvent, UsageCounts, UsageDay};
pub use views::{AccountUsageSummary, PersonUsage, UsageDrop, UsageWeek};
pub use write_keys::WriteKey;

#[cfg(feature = "testing")]
pub(crate) use blocks::store_block_as_version_30;
pub(crate) use blocks::{move_keys_by_time, move_legacy_events};
pub(crate) use ingest::link_people_to_contacts;
#[cfg(feature = "testing")]
pub(crate) use rollups::ROLLUP_TABLES;
pub(crate) use rollups::rebuild_person_activity;
pub(crate) use views::{has_events, usage_summary_in};
pub(crate) use waiting::place_waiting_usage;
