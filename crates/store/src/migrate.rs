//! Schema migrations: one SQL source per step for both backends, applied in order and
//! recorded in `lodestar_migrations`. Writing each step once is what keeps the two schemas
//! from drifting apart; the parity test in `tests/store.rs` checks the result.

use std::future::Future;
use std::pin::Pin;

use crate::query::Query;
use crate::{Backend, Result, Store, StoreError, Tx, on_tx};

/// A step's work that SQL cannot do the same way on both databases (a hash, a summary), run
/// after its SQL in the same migrating transaction.
type RustStep = for<'a> fn(&'a mut Tx) -> Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    sql: &'static str,
    rust: Option<RustStep>,
}

/// Version 9's table is a summary of usage_user_days, filled from it.
fn fill_person_activity(tx: &mut Tx) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
    Box::pin(crate::records::usage::rebuild_person_activity(tx, None))
}

/// Version 10 keys each message by a hash (XXH3) and moves the events into blocks.
fn move_events_into_blocks(tx: &mut Tx) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
    Box::pin(crate::records::usage::move_legacy_events(tx, 20_000))
}

/// Version 13 moves the LxL action items into promises: each done item's day, and PostgreSQL's
/// identity moved past the ids kept.
fn finish_moving_action_items(tx: &mut Tx) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
    Box::pin(crate::records::promises::finish_moving_action_items(tx))
}

/// Version 14's full-text indexes are each database's own (FTS5 tables and triggers on SQLite,
/// generated `tsvector` columns on PostgreSQL).
fn create_search_index(tx: &mut Tx) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
    Box::pin(crate::records::search::create_search_index(tx))
}

/// Version 12's audit log refuses UPDATE and DELETE in the database itself, whatever code runs.
fn make_audit_log_append_only(tx: &mut Tx) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
    Box::pin(crate::records::audit::refuse_changes(tx))
}

/// Version 30 turns each tier's review cadence into the experience level of that tier.
fn move_cadences_into_levels(tx: &mut Tx) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
    Box::pin(crate::records::experience::move_cadences_into_levels(tx))
}

/// Version 31 keys each message by its own time, then the hash of its id: the keys are
/// derived again from the blocks, and the table of hashes alone goes.
fn move_keys_by_time(tx: &mut Tx) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
    Box::pin(crate::records::usage::move_keys_by_time(tx, 2_000_000))
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "core_records",
        sql: include_str!("../migrations/0001_core_records.sql"),
        rust: None,
    },
    Migration {
        version: 2,
        name: "api_tokens_and_account_rollups",
        sql: include_str!("../migrations/0002_api_tokens_and_account_rollups.sql"),
        rust: None,
    },
    Migration {
        version: 3,
        name: "sessions",
        sql: include_str!("../migrations/0003_sessions.sql"),
        rust: None,
    },
    Migration {
        version: 4,
        name: "account_timeline",
        sql: include_str!("../migrations/0004_account_timeline.sql"),
        rust: None,
    },
    Migration {
        version: 5,
        name: "usage",
        sql: include_str!("../migrations/0005_usage.sql"),
        rust: None,
    },
    Migration {
        version: 6,
        name: "milestones",
        sql: include_str!("../migrations/0006_milestones.sql"),
        rust: None,
    },
    Migration {
        version: 7,
        name: "health",
        sql: include_str!("../migrations/0007_health.sql"),
        rust: None,
    },
    Migration {
        version: 8,
        name: "reviews",
        sql: include_str!("../migrations/0008_reviews.sql"),
        rust: None,
    },
    Migration {
        version: 9,
        name: "health_reads",
        sql: include_str!("../migrations/0009_health_reads.sql"),
        rust: Some(fill_person_activity),
    },
    Migration {
        version: 10,
        name: "event_blocks",
        sql: include_str!("../migrations/0010_event_blocks.sql"),
        rust: Some(move_events_into_blocks),
    },
    Migration {
        version: 11,
        name: "jobs",
        sql: include_str!("../migrations/0011_jobs.sql"),
        rust: None,
    },
    Migration {
        version: 12,
        name: "security",
        sql: include_str!("../migrations/0012_security.sql"),
        rust: Some(make_audit_log_append_only),
    },
    Migration {
        version: 13,
        name: "meetings and promises",
        sql: include_str!("../migrations/0013_meetings_promises.sql"),
        rust: Some(finish_moving_action_items),
    },
    Migration {
        version: 14,
        name: "search",
        sql: include_str!("../migrations/0014_search.sql"),
        rust: Some(create_search_index),
    },
    Migration {
        version: 15,
        name: "notifications",
        sql: include_str!("../migrations/0015_notifications.sql"),
        rust: None,
    },
    Migration {
        version: 16,
        name: "goals",
        sql: include_str!("../migrations/0016_goals.sql"),
        rust: None,
    },
    Migration {
        version: 17,
        name: "playbooks",
        sql: include_str!("../migrations/0017_playbooks.sql"),
        rust: None,
    },
    Migration {
        version: 18,
        name: "success_plans",
        sql: include_str!("../migrations/0018_success_plans.sql"),
        rust: None,
    },
    Migration {
        version: 19,
        name: "reviews",
        sql: include_str!("../migrations/0019_reviews.sql"),
        rust: None,
    },
    Migration {
        version: 20,
        name: "surveys",
        sql: include_str!("../migrations/0020_surveys.sql"),
        rust: None,
    },
    Migration {
        version: 21,
        name: "tickets",
        sql: include_str!("../migrations/0021_tickets.sql"),
        rust: None,
    },
    Migration {
        version: 22,
        name: "coverage",
        sql: include_str!("../migrations/0022_coverage.sql"),
        rust: None,
    },
    Migration {
        version: 23,
        name: "triggers",
        sql: include_str!("../migrations/0023_triggers.sql"),
        rust: None,
    },
    Migration {
        version: 24,
        name: "champions",
        sql: include_str!("../migrations/0024_champions.sql"),
        rust: None,
    },
    Migration {
        version: 25,
        name: "sprints",
        sql: include_str!("../migrations/0025_sprints.sql"),
        rust: None,
    },
    Migration {
        version: 26,
        name: "onboarding",
        sql: include_str!("../migrations/0026_onboarding.sql"),
        rust: None,
    },
    Migration {
        version: 27,
        name: "subscriptions",
        sql: include_str!("../migrations/0027_subscriptions.sql"),
        rust: None,
    },
    Migration {
        version: 28,
        name: "segments_capacity_one_on_ones",
        sql: include_str!("../migrations/0028_segments_capacity_one_on_ones.sql"),
        rust: None,
    },
    Migration {
        version: 29,
        name: "renewals",
        sql: include_str!("../migrations/0029_renewals.sql"),
        rust: None,
    },
    Migration {
        version: 30,
        name: "experience_levels",
        sql: include_str!("../migrations/0030_experience_levels.sql"),
        rust: Some(move_cadences_into_levels),
    },
    Migration {
        version: 31,
        name: "event_keys_by_time",
        sql: include_str!("../migrations/0031_event_keys_by_time.sql"),
        rust: Some(move_keys_by_time),
    },
    Migration {
        version: 32,
        name: "usage_block_queue",
        sql: include_str!("../migrations/0032_usage_block_queue.sql"),
        rust: None,
    },
    Migration {
        version: 33,
        name: "usage_unsettled_accounts",
        sql: include_str!("../migrations/0033_usage_unsettled_accounts.sql"),
        rust: None,
    },
];

impl Migration {
    /// The step's SQL for one backend: only the spellings of primary keys and bytes differ.
    fn sql_for(&self, backend: Backend) -> String {
        let id = match backend {
            Backend::Sqlite => "INTEGER PRIMARY KEY",
            Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        };
        // Tables keyed by their primary key alone (rollups) are stored in that key's order on
        // SQLite, which halves their writes; PostgreSQL has no such option and needs none.
        let keyed = match backend {
            Backend::Sqlite => " WITHOUT ROWID",
            Backend::Postgres => "",
        };
        let bytes = match backend {
            Backend::Sqlite => "BLOB",
            Backend::Postgres => "BYTEA",
        };
        self.sql
            .replace("{{ID}}", id)
            .replace("{{KEYED}}", keyed)
            .replace("{{BYTES}}", bytes)
    }
}

impl Store {
    /// Applies every migration the database has not seen; returns the versions applied.
    /// Safe to run from several processes at once (PostgreSQL: an advisory lock; SQLite: the
    /// write lock of `BEGIN IMMEDIATE`).
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        self.migrate_through(i64::MAX).await
    }

    /// Applies the migrations up to and including `last`: a test of a migration starts from
    /// the schema before it.
    #[cfg(feature = "testing")]
    pub async fn migrate_until(&self, last: i64) -> Result<Vec<i64>> {
        self.migrate_through(last).await
    }

    async fn migrate_through(&self, last: i64) -> Result<Vec<i64>> {
        let backend = self.backend();
        let mut tx = self.begin_write().await?;
        on_tx!(&mut tx, |c| {
            if backend == Backend::Postgres {
                // Serialises concurrent migrators; released at commit.
                sqlx::query("SELECT pg_advisory_xact_lock(4242424242)")
                    .execute(&mut *c)
                    .await?;
            }
            sqlx::raw_sql(
                "CREATE TABLE IF NOT EXISTS lodestar_migrations (
                    version BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL
                )",
            )
            .execute(&mut *c)
            .await?;
        });
        let applied: Vec<i64> = Query::sql("SELECT version FROM lodestar_migrations ORDER BY version")
            .scalars(&mut tx)
            .await?;
        let known = MIGRATIONS.last().map_or(0, |m| m.version);
        if let Some(&found) = applied.last().filter(|v| **v > known) {
            return Err(StoreError::SchemaTooNew { found, known });
        }
        let mut done = Vec::new();
        for m in MIGRATIONS
            .iter()
            .filter(|m| m.version <= last && !applied.contains(&m.version))
        {
            let sql = m.sql_for(backend);
            let now = tx.now();
            on_tx!(&mut tx, |c| {
                sqlx::raw_sql(&sql).execute(&mut *c).await?;
                sqlx::query("INSERT INTO lodestar_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(m.version)
                    .bind(m.name)
                    .bind(now)
                    .execute(&mut *c)
                    .await?;
            });
            if let Some(step) = m.rust {
                step(&mut tx).await?;
            }
            done.push(m.version);
        }
        tx.commit().await?;
        Ok(done)
    }

    /// The latest migration applied to the database (0 for an empty database).
    pub async fn schema_version(&self) -> Result<i64> {
        let mut tx = self.begin_snapshot().await?;
        let v: Option<i64> = Query::sql("SELECT MAX(version) FROM lodestar_migrations")
            .scalar_one(&mut tx)
            .await?;
        Ok(v.unwrap_or(0))
    }
}
