//! The schema: migrations run once, both backends have the same catalog, and every uniqueness
//! rule names a constraint both have.

use crate::backup::{body, fill};
use crate::common::*;
use lodestar_store::testing::TestDb;
use lodestar_store::{Store, store_test};

store_test!(migrations_are_idempotent);

async fn migrations_are_idempotent(store: Store) {
    let latest = lodestar_store::MIGRATIONS.last().unwrap().version;
    assert_eq!(store.schema_version().await.unwrap(), latest);
    assert!(
        store.migrate().await.unwrap().is_empty(),
        "a second run applies nothing"
    );
    let tables = store.tables().await.unwrap();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert!(!names.contains(&"lodestar_migrations"));
    for core in [
        "users",
        "accounts",
        "contacts",
        "contracts",
        "usage_event_blocks",
        "milestones",
    ] {
        assert!(names.contains(&core), "{core} is missing from {names:?}");
    }
    // Parents before the tables that reference them: the order backups are written and
    // restored in, so a load never waits on a missing parent row.
    for (i, table) in tables.iter().enumerate() {
        for parent in table.references.iter().filter(|p| **p != table.name) {
            let at = names.iter().position(|n| n == parent).unwrap();
            assert!(at < i, "{} comes before its parent {parent}: {names:?}", table.name);
        }
    }
}

/// Needs both databases: the schema and the data must come out the same on each.
#[tokio::test]
async fn sqlite_and_postgres_have_the_same_schema_and_a_backup_moves_between_them() {
    let sqlite = TestDb::sqlite().await;
    let Some(postgres) = TestDb::postgres().await else {
        return;
    };
    assert_eq!(
        sqlite.store.tables().await.unwrap(),
        postgres.store.tables().await.unwrap()
    );

    fill(&sqlite.store).await;
    let dir = tempfile::tempdir().unwrap();
    let from_sqlite = dir.path().join("from-sqlite.ndjson");
    sqlite.store.backup(&from_sqlite).await.unwrap();
    postgres.store.restore(&from_sqlite).await.unwrap();
    let from_postgres = dir.path().join("from-postgres.ndjson");
    postgres.store.backup(&from_postgres).await.unwrap();
    assert_eq!(body(&from_sqlite), body(&from_postgres));
    // And back again, into a fresh SQLite database.
    let again = TestDb::sqlite().await;
    again.store.restore(&from_postgres).await.unwrap();
    assert_eq!(
        again.store.contracts().await.unwrap(),
        sqlite.store.contracts().await.unwrap()
    );
    // Identity sequences moved past the restored ids.
    one_account(&postgres.store, "new-after-restore").await;
    postgres.finish().await;
    sqlite.finish().await;
    again.finish().await;
}

// Every uniqueness rule (the 409 messages) names a constraint both databases have, and every
// UNIQUE constraint of the schema has a rule: a new one without a message fails here.
store_test!(uniqueness_rules_match_the_schema_on_both_databases);

async fn uniqueness_rules_match_the_schema_on_both_databases(store: Store) {
    use lodestar_store::testing::{query_strings, unique_rules};
    let rules: Vec<_> = unique_rules().collect();
    match store.backend() {
        lodestar_store::Backend::Postgres => {
            let names = query_strings(
                &store,
                "SELECT c.conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
                 WHERE n.nspname = 'public' AND c.contype IN ('u', 'p') \
                 UNION SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'",
            )
            .await;
            for (table, _, constraint) in &rules {
                assert!(
                    names.contains(&constraint.to_string()),
                    "{table}: no constraint {constraint}"
                );
            }
            let unique = query_strings(
                &store,
                "SELECT c.conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
                 WHERE n.nspname = 'public' AND c.contype = 'u' \
                 UNION SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' \
                 AND indexdef LIKE 'CREATE UNIQUE INDEX%' AND indexname NOT LIKE '%_pkey' \
                 AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            )
            .await;
            for name in unique {
                assert!(
                    rules.iter().any(|(_, _, c)| *c == name),
                    "the unique constraint {name} has no rule in conflicts.rs"
                );
            }
        }
        lodestar_store::Backend::Sqlite => {
            for (table, columns, constraint) in &rules {
                let indexes = query_strings(
                    &store,
                    &format!("SELECT name FROM pragma_index_list('{table}') WHERE \"unique\" = 1"),
                )
                .await;
                let mut found = false;
                for index in indexes {
                    let cols = query_strings(
                        &store,
                        &format!("SELECT name FROM pragma_index_info('{index}') ORDER BY seqno"),
                    )
                    .await;
                    found |= cols.iter().map(String::as_str).eq(columns.iter().copied());
                }
                assert!(found, "{table}: no unique index on {columns:?} ({constraint})");
            }
        }
    }
}
