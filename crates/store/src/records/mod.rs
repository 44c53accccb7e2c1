//! Reading and writing the core records. Each submodule owns one record kind: its columns,
//! its row mapping and its reference checks.

pub mod account_list;
pub mod account_view;
pub mod accounts;
pub mod audit;
pub mod calendar;
pub mod capacity;
pub mod champions;
pub mod churn;
pub mod contacts;
pub mod contracts;
pub mod coverage;
pub mod customer_links;
pub mod dataset;
pub mod experience;
pub mod goals;
pub mod handoffs;
pub mod health;
pub mod lxl;
pub mod meetings;
pub mod milestones;
pub mod notify;
pub mod onboarding;
pub mod one_on_ones;
pub mod plans;
pub mod playbooks;
pub mod promises;
pub mod renewals;
pub mod requests;
pub mod retros;
pub mod reviews;
pub mod risk;
pub mod search;
pub mod segments;
pub mod sessions;
pub mod sprints;
pub mod subscriptions;
pub mod surveys;
pub mod tasks;
pub mod tickets;
pub mod timeline;
pub mod today;
pub mod tokens;
pub mod triggers;
pub mod usage;
pub mod users;

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use crate::bulk::{Value, in_list, insert_rows_returning};
use crate::query::Query;
use crate::{Backend, Result, Store, StoreError, Tx, on_tx};

/// What a batch write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertSummary {
    pub created: usize,
    pub updated: usize,
    /// ARR changes recorded (contracts only).
    pub changes_recorded: usize,
}

impl UpsertSummary {
    /// Counts `keys` as created or updated, by whether they `existed` before the write.
    pub(crate) fn of(keys: &[String], existed: impl Fn(&str) -> bool, changes_recorded: usize) -> Self {
        let updated = keys.iter().filter(|k| existed(k)).count();
        UpsertSummary {
            created: keys.len() - updated,
            updated,
            changes_recorded,
        }
    }
}

/// Writes `rows` (each in `columns` order; `columns[0]` is the table's unique key) stamped
/// with the current time. A row whose key exists updates every column but `created_at`.
/// Returns `(id, key)` for every row written.
pub(crate) async fn upsert_by_key(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<Vec<(i64, String)>> {
    let key = columns[0];
    let ts = tx.now();
    let mut all = columns.to_vec();
    all.extend(["created_at", "updated_at"]);
    let rows = rows
        .into_iter()
        .map(|mut row| {
            row.extend([ts.into(), ts.into()]);
            row
        })
        .collect();
    let set: Vec<String> = columns[1..]
        .iter()
        .chain(&["updated_at"])
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let tail = format!(
        "ON CONFLICT ({key}) DO UPDATE SET {} RETURNING id, {key}",
        set.join(", ")
    );
    insert_rows_returning(tx, table, &all, rows, &tail).await
}

/// Parses a stored value with the domain's parser; a failure means the row was not written
/// by Lodestar.
pub(crate) fn parse<T: FromStr<Err = String>>(column: &str, value: &str) -> Result<T> {
    value.parse().map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// A stored free text, which must still be a valid [`Note`].
pub(crate) fn stored_note(column: &str, text: &str) -> Result<lodestar_domain::text::Note> {
    lodestar_domain::text::Note::parse(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

pub(crate) fn parse_opt<T: FromStr<Err = String>>(column: &str, value: Option<String>) -> Result<Option<T>> {
    value.map(|v| parse(column, &v)).transpose()
}

pub(crate) fn to_u32(column: &str, value: Option<i64>) -> Result<Option<u32>> {
    value
        .map(|v| u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{column}: {v} is out of range"))))
        .transpose()
}

/// Which of `keys` already exist in `table.column`.
pub(crate) async fn existing_keys(tx: &mut Tx, table: &str, column: &str, keys: &[String]) -> Result<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in keys.chunks(500) {
        let sql = format!(
            "SELECT {column} FROM {table} WHERE {column} IN ({})",
            in_list(tx.backend(), chunk.len())
        );
        let part: Vec<String> = on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query_scalar(&sql);
            for k in chunk {
                q = q.bind(k);
            }
            q.fetch_all(&mut *c).await?
        });
        found.extend(part);
    }
    Ok(found)
}

/// Readies row `id` of `table` to take `new_key` as its external id: the row must exist and
/// the key must be its own or free. Renames the row, so an upsert by key then updates it.
pub(crate) async fn claim_external_id(
    tx: &mut Tx,
    table: &'static str,
    what: &'static str,
    id: i64,
    new_key: &str,
) -> Result<()> {
    let sql = format!("SELECT external_id FROM {table} WHERE id = $1");
    let current: Option<String> = Query::sql(&sql).bind(id).scalar_optional(tx).await?;
    let current = current.ok_or(StoreError::NotFound {
        what,
        key: id.to_string(),
    })?;
    if current != new_key {
        if !existing_keys(tx, table, "external_id", &[new_key.to_owned()])
            .await?
            .is_empty()
        {
            return Err(StoreError::Conflict(format!(
                "a {what} with external id {new_key} already exists"
            )));
        }
        let sql = format!("UPDATE {table} SET external_id = $1 WHERE id = $2");
        Query::sql(&sql).bind(new_key).bind(id).execute(tx).await?;
    }
    Ok(())
}

/// Refuses a new row whose external id is taken.
pub(crate) async fn ensure_new_external_id(
    tx: &mut Tx,
    table: &'static str,
    what: &'static str,
    key: &str,
) -> Result<()> {
    if existing_keys(tx, table, "external_id", &[key.to_owned()])
        .await?
        .is_empty()
    {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "a {what} with external id {key} already exists"
        )))
    }
}

/// Deletes row `id` of `table`; `NotFound` when there is none.
pub(crate) async fn delete_by_id(tx: &mut Tx, table: &'static str, what: &'static str, id: i64) -> Result<()> {
    let sql = format!("DELETE FROM {table} WHERE id = $1");
    let gone = Query::sql(&sql).bind(id).execute(tx).await?;
    if gone == 0 {
        return Err(StoreError::NotFound {
            what,
            key: id.to_string(),
        });
    }
    Ok(())
}

/// Maps every external id of `table` to its row id.
pub(crate) async fn ids_by_external_id(tx: &mut Tx, table: &str) -> Result<HashMap<String, i64>> {
    let sql = format!("SELECT external_id, id FROM {table}");
    let rows: Vec<(String, i64)> = Query::sql(&sql).fetch_all(tx).await?;
    Ok(rows.into_iter().collect())
}

/// Recomputes accounts' ARR and next renewal date from their contracts, and so their health:
/// for `ids`, or for every account when `ids` is `None`. Called in the transaction of every
/// contract change. The `GROUP BY` in the renewal date's subquery (one group or none, so the
/// same value) keeps PostgreSQL from reading `MIN(end_date)` as "the first contract in
/// `contracts_end_date` order that is this account's", a walk over every contract per account
/// when the table's statistics predate the import: 9 s per 500 accounts at 131,334 contracts.
pub(crate) async fn refresh_account_rollups(tx: &mut Tx, ids: Option<&[i64]>) -> Result<()> {
    const UPDATE: &str = "UPDATE accounts SET \
        arr_cents = (SELECT COALESCE(SUM(arr_cents), 0) FROM contracts WHERE contracts.account_id = accounts.id), \
        renewal_date = (SELECT MIN(end_date) FROM contracts WHERE contracts.account_id = accounts.id AND contracts.arr_cents > 0 \
        GROUP BY contracts.account_id)";
    let Some(ids) = ids else {
        Query::sql(UPDATE).execute(tx).await?;
        tx.touch_all_accounts();
        return Ok(());
    };
    for chunk in ids.chunks(500) {
        let sql = format!("{UPDATE} WHERE id IN ({})", in_list(tx.backend(), chunk.len()));
        on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            q.execute(&mut *c).await?.rows_affected()
        });
    }
    tx.touch_accounts(ids.iter().copied());
    Ok(())
}

/// Refuses to go on unless every data table is empty (demo data and restores never merge);
/// the settings a migration fills do not count.
pub(crate) async fn ensure_empty(tx: &mut Tx, backend: Backend, action: &'static str) -> Result<()> {
    for table in crate::catalog::read_tables(tx, backend).await? {
        if crate::catalog::SEEDED_TABLES.contains(&table.name.as_str()) {
            continue;
        }
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", table.name);
        let any: bool = Query::sql(&sql).scalar_one(tx).await?;
        if any {
            return Err(StoreError::NotEmpty {
                table: table.name,
                action,
            });
        }
    }
    Ok(())
}

/// Postpones foreign-key checks to commit, so bulk loads may write rows in any order
/// (a manager after their report, a parent account after its child).
pub(crate) async fn defer_foreign_keys(tx: &mut Tx) -> Result<()> {
    let sql = match tx.backend() {
        Backend::Sqlite => "PRAGMA defer_foreign_keys = ON",
        Backend::Postgres => "SET CONSTRAINTS ALL DEFERRED",
    };
    Query::sql(sql).execute(tx).await?;
    Ok(())
}

/// After rows were written with explicit ids, moves PostgreSQL's identity sequences past
/// them so the next insert does not collide. (SQLite picks max(rowid) + 1 by itself.)
pub(crate) async fn reset_id_sequences(tx: &mut Tx, tables: &[&str]) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        for table in tables {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}"
            );
            Query::sql(&sql).execute(tx).await?;
        }
    }
    Ok(())
}

/// Marks credential `id` of `table` (API tokens, write keys) revoked now.
pub(crate) async fn revoke(store: &Store, table: &str, what: &'static str, id: i64) -> Result<()> {
    let sql = format!("UPDATE {table} SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL");
    let done = Query::sql(sql).bind(store.now()).bind(id).execute_on(store).await?;
    if done == 0 {
        return Err(StoreError::NotFound {
            what,
            key: id.to_string(),
        });
    }
    Ok(())
}
