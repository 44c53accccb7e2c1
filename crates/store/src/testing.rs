//! Test databases. Every test gets its own: a SQLite file in a temporary directory, or a
//! PostgreSQL database created for it and dropped afterwards.
//!
//! PostgreSQL tests run when `LODESTAR_TEST_POSTGRES_URL` names a server (any database on it,
//! e.g. `postgres://postgres@127.0.0.1:5432/test`). Without it they are skipped with a loud
//! message — except under `CI=true`, where a missing or unreachable PostgreSQL fails the run.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;

use crate::Store;

pub const POSTGRES_URL_VAR: &str = "LODESTAR_TEST_POSTGRES_URL";

/// A store on a throw-away database; call [`TestDb::finish`] to drop a PostgreSQL database.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// An empty, migrated SQLite database in its own temporary directory.
    pub async fn sqlite() -> TestDb {
        let db = TestDb::sqlite_unmigrated().await;
        db.store.migrate().await.expect("migrate SQLite");
        db
    }

    pub async fn sqlite_unmigrated() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("lodestar.db").display());
        let store = Store::connect(&url).await.expect("open SQLite");
        TestDb {
            store,
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// An empty, migrated PostgreSQL database, or `None` when PostgreSQL tests are skipped.
    pub async fn postgres() -> Option<TestDb> {
        let db = TestDb::postgres_unmigrated().await?;
        db.store.migrate().await.expect("migrate PostgreSQL");
        Some(db)
    }

    pub async fn postgres_unmigrated() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but {POSTGRES_URL_VAR} is not set: the PostgreSQL store tests must run in CI");
            }
            // Written to stderr directly: the test harness captures `eprintln!`, and a skip
            // must be seen. Once per test binary is loud enough.
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** PostgreSQL tests SKIPPED: set {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/test to run them ***\n"
                );
            });
            return None;
        };
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "lodestar_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={admin_url} is unreachable: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("a PostgreSQL URL has a database path");
        let url = format!("{base}/{name}");
        let store = Store::connect(&url).await.expect("connect to the test database");
        Some(TestDb {
            store,
            url,
            _dir: None,
            postgres: Some((admin_url, name)),
        })
    }

    /// Closes the pool and drops the PostgreSQL database (a SQLite directory goes with `self`).
    pub async fn finish(self) {
        self.store.close().await;
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await;
        }
    }
}

/// Runs `sql` (one or more statements) as it is: for tests that build a database as an older
/// version left it.
pub async fn execute_sql(store: &Store, sql: &str) {
    try_execute_sql(store, sql).await.expect("the test's SQL runs");
}

/// Runs `sql` and answers the database's error, for tests of what the database refuses.
pub async fn try_execute_sql(store: &Store, sql: &str) -> Result<u64, String> {
    crate::on_pool!(store, |p| sqlx::raw_sql(sql)
        .execute(p)
        .await
        .map(|done| done.rows_affected())
        .map_err(|e| e.to_string()))
}

/// Declares `mod NAME { sqlite(); postgres(); }` running `async fn NAME(store: Store)` on both;
/// `store_test!(NAME, unmigrated)` hands it the store without its schema, for tests of
/// migrations.
#[macro_export]
macro_rules! store_test {
    ($name:ident) => {
        $crate::store_test!(@on $name, sqlite, postgres);
    };
    ($name:ident, unmigrated) => {
        $crate::store_test!(@on $name, sqlite_unmigrated, postgres_unmigrated);
    };
    // A body that takes the whole test database (its URL opens a second connection pool, as
    // a second process would) and finishes it, on a runtime with worker threads of its own.
    ($name:ident, with_db) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name($crate::testing::TestDb::sqlite().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(db) = $crate::testing::TestDb::postgres().await {
                    super::$name(db).await;
                }
            }
        }
    };
    (@on $name:ident, $sqlite:ident, $postgres:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = $crate::testing::TestDb::$sqlite().await;
                super::$name(db.store.clone()).await;
                db.finish().await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::testing::TestDb::$postgres().await {
                    super::$name(db.store.clone()).await;
                    db.finish().await;
                }
            }
        }
    };
}

/// The write lock of a SQLite database, held by a connection of its own until released: for
/// tests of what Lodestar does while another process writes.
pub struct SqliteWriteLock(sqlx::SqliteConnection);

impl SqliteWriteLock {
    pub async fn hold(url: &str) -> SqliteWriteLock {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("open SQLite");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .expect("take the write lock");
        SqliteWriteLock(conn)
    }

    pub async fn release(mut self) {
        sqlx::query("ROLLBACK")
            .execute(&mut self.0)
            .await
            .expect("release the write lock");
    }
}

/// Stores `messages` (all new) as one block with their keys as versions 10 to 30 kept them
/// (the hash of the messageId alone) and nothing else: a database as version 30 left it, for
/// the test of the move to keys by time.
pub async fn store_block_as_version_30(store: &Store, messages: &[lodestar_domain::usage::Message]) {
    crate::records::usage::store_block_as_version_30(store, messages)
        .await
        .expect("the block is stored");
}

/// The schema's uniqueness rules as (table, columns, PostgreSQL constraint name), for the test
/// that holds them to both catalogs.
pub fn unique_rules() -> impl Iterator<Item = (&'static str, &'static [&'static str], &'static str)> {
    crate::conflicts::UNIQUE_RULES
        .iter()
        .map(|r| (r.table, r.columns, r.constraint))
}

/// The first column of every row `sql` returns, as text: for tests that read the catalog.
pub async fn query_strings(store: &Store, sql: &str) -> Vec<String> {
    crate::on_pool!(store, |p| sqlx::query_scalar(sql)
        .fetch_all(p)
        .await
        .expect("the test's query runs"))
}

/// Every row of the usage rollups and of the events waiting for an account, as
/// `table: value|value|…` lines in order (ids left out): what a rebuild from the blocks must
/// give again, whatever order and slices the events were applied in.
pub async fn usage_rollup_rows(store: &Store) -> Vec<String> {
    let tables = store.tables().await.expect("the catalog reads");
    let mut rows = Vec::new();
    for name in crate::records::usage::ROLLUP_TABLES
        .into_iter()
        .chain(["usage_waiting"])
    {
        let table = tables.iter().find(|t| t.name == name).expect("a usage table");
        let columns: Vec<String> = table
            .columns
            .iter()
            .filter(|c| c.name != "id")
            .map(|c| format!("COALESCE(CAST({} AS TEXT), '-')", c.name))
            .collect();
        let sql = format!("SELECT {} FROM {name}", columns.join(" || '|' || "));
        let mut lines: Vec<String> = query_strings(store, &sql)
            .await
            .into_iter()
            .map(|line| format!("{name}: {line}"))
            .collect();
        lines.sort();
        rows.append(&mut lines);
    }
    rows
}
