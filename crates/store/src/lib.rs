//! Lodestar's persistence: one [`Store`] that behaves the same on SQLite and PostgreSQL.
//!
//! Every query is written once. The `on_pool!`/`on_tx!` macros expand a query expression once
//! per backend, so each copy is type-checked against its own driver and binds native types
//! (dates stay `DATE` on PostgreSQL) without a runtime "any" layer. SQL is kept portable:
//! `$n` placeholders (which sqlx's SQLite driver accepts too), `ON CONFLICT`, `RETURNING`.

mod backup;
mod bulk;
mod catalog;
mod clock;
mod conflicts;
mod error;
mod jobs;
mod migrate;
mod query;
mod records;
mod sqlite_raw;
#[cfg(feature = "testing")]
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use backup::{BackupSummary, RestoreSummary, create_private};
pub use catalog::{Column, ColumnType, Table};
pub use clock::Clock;
pub use error::StoreError;
pub use jobs::{AfterFailure, Job, JobCounts, NewJob};
pub use migrate::MIGRATIONS;
pub use records::UpsertSummary;
pub use records::account_list::{AccountFilter, AccountOrder, AccountSort, Page};
pub use records::account_view::AccountView;
pub use records::accounts::{AccountSummary, AccountUpsert};
pub use records::audit::{AuditActor, AuditEntry, AuditFilter, AuditRecord};
pub use records::calendar::{CalendarFeed, FeedOwner};
pub use records::capacity::{CsmBook, MovedAccount, RebalanceSuggestion, TeamCapacity};
pub use records::champions::{ChampionAlert, ChampionAlertKind, ContactChampion};
pub use records::churn::Retrospective;
pub use records::contracts::ContractUpsert;
pub use records::coverage::{AccountCoverage, ProgrammeAccount, SponsorChange, SponsorProgramme};
pub use records::customer_links::{
    CUSTOMER_LINK_EMAIL_JOB, CustomerLink, CustomerLinkEmail, LinkTarget, NewCustomerLink,
};
pub use records::dataset::Dataset;
pub use records::experience::{AccountLevel, ExperienceLevel};
pub use records::goals::{Goal, GoalDraft, GoalPart, NewPart, ValueEntry};
pub use records::handoffs::{Handoff, HandoffCriterion, HandoffDraft, ImportedHandoff, RenewalOutcome};
pub use records::health::{
    AccountHealth, CurrentHealth, HealthPoint, IndustryExposure, MeasureInfo, PriceThreshold, Problem, Pulse,
    RecomputeSummary, Scorecard, default_scorecard, health_measures,
};
pub use records::lxl::{ActionItem, LineFilter, LineNotes, LxlLine, LxlReview};
pub use records::meetings::{Attendee, Meeting, MeetingFilter};
pub use records::milestones::Milestone;
pub use records::notify::{
    DIGEST_JOB, DigestRun, EMAIL_JOB, NotificationSettings, WEBHOOK_JOB, WebhookDelivery, WebhookTarget, digest_key,
};
pub use records::onboarding::{Onboarding, OnboardingTask, OnboardingTimes};
pub use records::one_on_ones::{CareerGoal, Feedback, GoalChange, OneOnOne, RosterLine};
pub use records::plans::{CommentAuthor, PlanComment, PlanTactic, SignOff, SignOffKind, SuccessPlan};
pub use records::playbooks::{LibraryOutcome, Outreach, PlaybookChange, PlaybookLibrary, RiskPlaybook};
pub use records::promises::{Promise, PromiseFilter};
pub use records::renewals::{
    ClosedRenewal, Forecast, MadeCall, Opportunity, OpportunityFilter, Renewal, RenewalDetail,
};
pub use records::requests::{ProductRequest, REQUESTS_PER_PAGE, RequestAccount, StatusChange};
pub use records::retros::{Challenge, RetroAttendee, SprintRetro};
pub use records::reviews::{OverdueReview, Review, SharedPack, UpcomingReview};
pub use records::risk::{AtRiskAccount, PortfolioRisk};
pub use records::search::SearchHit;
pub use records::segments::{TierChange, TierPreview};
pub use records::sessions::{SessionLimits, SessionUser, SignInAttempt, SignInLimits};
pub use records::sprints::{BoardCard, GoalOption, Sprint, SprintGoal, SprintWin};
pub use records::subscriptions::{
    Behaviour, ImportedSubscription, RevenueAccount, RevenueAttributes, SubscriptionImport,
};
pub use records::surveys::{BetaCandidate, ImportedAnswer, NpsLine, Survey, SurveyAnswer};
pub use records::tasks::{Task, TaskFields, TaskView};
pub use records::tickets::{TICKETS_PER_PAGE, Ticket};
pub use records::timeline::{TimelineEntry, TimelineKind, assemble_timeline};
pub use records::today::{Finish, TodayLine};
pub use records::tokens::{ApiToken, TokenCaller};
pub use records::triggers::{Candidate, Firing, TriggerRule, TriggerRun};
pub use records::usage::{AccountUsageSummary, PersonUsage, UsageDrop, UsageWeek, WriteKey};
pub use records::usage::{
    AppliedUsage, EventImport, EventSelection, FeatureDay, ImportBatch, IngestSummary, UnmatchedEvent, UsageBacklog,
    UsageCounts, UsageDay,
};
pub use records::users::UserUpsert;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub(crate) enum Pools {
    /// With the process's turn to write: SQLite allows one writer at a time, and a writer
    /// that finds the lock taken retries after sleeps of up to 100 ms (its busy handler).
    /// Writers of one process queue on this turn instead, first come first served, and take
    /// the lock the moment it is free; other processes still meet the busy handler.
    Sqlite(SqlitePool, std::sync::Arc<tokio::sync::Mutex<()>>),
    Postgres(PgPool),
}

/// A transaction on either backend. Dropping it without [`Tx::commit`] rolls it back.
///
/// It carries the store's clock (rows are stamped with `tx.now()`) and the accounts whose
/// health inputs it changed: [`Tx::commit`] rescores those once, just before committing, so a
/// score is never staler than its inputs and no write path has to remember to rescore.
pub(crate) struct Tx {
    conn: TxConn,
    /// This process's turn to write on SQLite, held until the transaction ends.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    clock: Clock,
    unsettled: Unsettled,
    outbox: std::sync::Arc<Outbox>,
}

pub(crate) enum TxConn {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Which accounts a transaction must rescore before it commits.
#[derive(Default)]
enum Unsettled {
    #[default]
    None,
    Accounts(std::collections::BTreeSet<i64>),
    All,
}

/// Runs `$body` with `$p` bound to the backend's pool (an executor).
macro_rules! on_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match &*$store.pools {
            $crate::Pools::Sqlite($p, _) => $body,
            $crate::Pools::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the transaction's connection (use `&mut *$c` as executor).
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match &mut ($tx).conn {
            $crate::TxConn::Sqlite(t) => {
                let $c: &mut sqlx::SqliteConnection = &mut *t;
                $body
            }
            $crate::TxConn::Postgres(t) => {
                let $c: &mut sqlx::PgConnection = &mut *t;
                $body
            }
        }
    };
}
pub(crate) use {on_pool, on_tx};

impl Tx {
    pub(crate) fn backend(&self) -> Backend {
        match self.conn {
            TxConn::Sqlite(_) => Backend::Sqlite,
            TxConn::Postgres(_) => Backend::Postgres,
        }
    }

    /// The store clock's time, to stamp rows with.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// How messages caused by this transaction's changes are sent.
    pub(crate) fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Notes that an input of these accounts' health changed: they are rescored at commit.
    pub(crate) fn touch_accounts(&mut self, ids: impl IntoIterator<Item = i64>) {
        match &mut self.unsettled {
            Unsettled::All => {}
            Unsettled::Accounts(set) => set.extend(ids),
            none @ Unsettled::None => {
                let set: std::collections::BTreeSet<i64> = ids.into_iter().collect();
                if !set.is_empty() {
                    *none = Unsettled::Accounts(set);
                }
            }
        }
    }

    /// Notes that every account's health inputs changed.
    pub(crate) fn touch_all_accounts(&mut self) {
        self.unsettled = Unsettled::All;
    }

    /// Rescores the touched accounts (as of the clock's today), then commits.
    pub(crate) async fn commit(mut self) -> Result<()> {
        match std::mem::take(&mut self.unsettled) {
            Unsettled::None => {}
            Unsettled::All => {
                records::health::refresh_health(&mut self, None).await?;
            }
            Unsettled::Accounts(ids) => {
                let ids: Vec<i64> = ids.into_iter().collect();
                records::health::refresh_health(&mut self, Some(&ids)).await?;
            }
        }
        match self.conn {
            TxConn::Sqlite(t) => t.commit().await?,
            TxConn::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// How this process sends the messages changes cause (notifications): whether it sends email
/// at all — no SMTP server configured, no email is queued — and the URL Lodestar is served at,
/// which links in messages start with. The server's settings; a command-line store has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbox {
    pub email: bool,
    /// e.g. `https://cs.example.com`; without it messages carry no links.
    pub public_url: Option<String>,
}

/// The database layer. Cheap to clone; all clones share one connection pool.
#[derive(Clone)]
pub struct Store {
    pools: std::sync::Arc<Pools>,
    clock: Clock,
    outbox: std::sync::Arc<Outbox>,
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…` without migrating.
    pub async fn connect(url: &str) -> Result<Store> {
        let pools = if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            if path.is_empty() {
                return Err(StoreError::BadUrl(url.to_owned()));
            }
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
                .map_err(|_| StoreError::BadUrl(url.to_owned()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a committed record survives power loss, not only a process crash.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-65536")
                // Statement journals (multi-row inserts that may fail half-way) stay in memory
                // instead of a temporary file: they were a seventh of a bulk event import.
                .pragma("temp_store", "memory")
                // Checkpoints every 40 MB of WAL rather than every 4 MB: a full health
                // recompute writes ~60 MB, and each checkpoint ends in an fsync of the database.
                .pragma("wal_autocheckpoint", "10000");
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await?;
            Pools::Sqlite(pool, Default::default())
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl(url.to_owned()))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Pools::Postgres(pool)
        } else {
            return Err(StoreError::BadUrl(url.to_owned()));
        };
        Ok(Store {
            pools: std::sync::Arc::new(pools),
            clock: Clock::system(),
            outbox: Default::default(),
        })
    }

    /// Connects and brings the schema up to date: what every command does before its work.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match *self.pools {
            Pools::Sqlite(..) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// The same store (one pool) reading time from `clock`: tests set "now" this way.
    pub fn with_clock(&self, clock: Clock) -> Store {
        Store { clock, ..self.clone() }
    }

    /// The same store sending messages as `outbox` says: what `serve` runs on.
    pub fn with_outbox(&self, outbox: Outbox) -> Store {
        Store {
            outbox: std::sync::Arc::new(outbox),
            ..self.clone()
        }
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The clock's time (microsecond precision, as both databases keep it).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The clock's date in UTC.
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
    }

    /// Starts a read-write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`) so two writers queue on the busy timeout instead of failing when a
    /// reader tries to become a writer.
    pub(crate) async fn begin_write(&self) -> Result<Tx> {
        match &*self.pools {
            Pools::Sqlite(p, turn) => {
                let turn = turn.clone().lock_owned().await;
                let mut tx = self.tx(TxConn::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?));
                tx._turn = Some(turn);
                Ok(tx)
            }
            Pools::Postgres(p) => Ok(self.tx(TxConn::Postgres(p.begin().await?))),
        }
    }

    /// Starts a read-only transaction that sees one consistent snapshot throughout, even
    /// while other connections write (SQLite WAL readers; PostgreSQL REPEATABLE READ).
    pub(crate) async fn begin_snapshot(&self) -> Result<Tx> {
        let conn = match &*self.pools {
            Pools::Sqlite(p, _) => TxConn::Sqlite(p.begin_with("BEGIN DEFERRED").await?),
            Pools::Postgres(p) => {
                TxConn::Postgres(p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?)
            }
        };
        Ok(self.tx(conn))
    }

    fn tx(&self, conn: TxConn) -> Tx {
        Tx {
            conn,
            _turn: None,
            clock: self.clock.clone(),
            unsettled: Unsettled::None,
            outbox: self.outbox.clone(),
        }
    }
}
