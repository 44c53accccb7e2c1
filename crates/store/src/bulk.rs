//! Multi-row INSERT for bulk paths (imports, demo data, restore): one statement carries as
//! many rows as the parameter limits allow, instead of one round trip per row.

use chrono::{DateTime, NaiveDate, Utc};

use crate::{Backend, Result, Tx, on_tx};

/// A column value with its type, so NULLs bind with the column's type on PostgreSQL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Date(Option<NaiveDate>),
    Timestamp(Option<DateTime<Utc>>),
    Bytes(Option<Vec<u8>>),
}

impl Value {
    /// Optional text from anything displayable (a vocabulary value, a validated string).
    pub(crate) fn text_of<T: ToString>(v: &Option<T>) -> Value {
        Value::Text(v.as_ref().map(T::to_string))
    }
}

/// Typed ids bind as their number.
macro_rules! id_values {
    ($($id:ident),+) => {$(
        impl From<lodestar_domain::$id> for Value {
            fn from(v: lodestar_domain::$id) -> Self {
                Value::Int(Some(v.0))
            }
        }
        impl From<Option<lodestar_domain::$id>> for Value {
            fn from(v: Option<lodestar_domain::$id>) -> Self {
                Value::Int(v.map(|v| v.0))
            }
        }
    )+};
}
id_values!(
    AccountId,
    UserId,
    ContactId,
    ContractId,
    ReviewId,
    PromiseId,
    MilestoneId,
    ScorecardId,
    WebhookId,
    RequestId,
    TicketId,
    MeetingId,
    SprintId,
    SprintGoalId
);

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(Some(v.clone()))
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}
impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Self {
        Value::Date(Some(v))
    }
}
impl From<Option<NaiveDate>> for Value {
    fn from(v: Option<NaiveDate>) -> Self {
        Value::Date(v)
    }
}
impl From<Option<DateTime<Utc>>> for Value {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Value::Timestamp(v)
    }
}
impl From<DateTime<Utc>> for Value {
    fn from(v: DateTime<Utc>) -> Self {
        Value::Timestamp(Some(v))
    }
}

/// Below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
const MAX_PARAMS: usize = 30_000;
const MAX_ROWS: usize = 500;

/// The multi-row statement. SQLite gets anonymous `?` placeholders: it looks a named one
/// (`$n`) up in a linear list, which makes binding a 10,000-parameter statement quadratic.
fn statement(backend: Backend, table: &str, columns: &[&str], rows: usize, tail: &str) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..columns.len() {
            n += 1;
            if c > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
        }
        sql.push(')');
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

/// `n` placeholders for an `IN (…)` list that is a statement's only parameters: anonymous
/// `?` on SQLite (see [`statement`]), `$1…$n` on PostgreSQL.
pub(crate) fn in_list(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(", "),
        Backend::Postgres => (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "),
    }
}

/// Deletes the rows of `table` whose `column` is one of `ids`, a chunk of ids a statement;
/// returns how many it deleted.
pub(crate) async fn delete_in(tx: &mut Tx, table: &str, column: &str, ids: &[i64]) -> Result<u64> {
    let mut deleted = 0;
    for chunk in ids.chunks(5000) {
        let sql = format!(
            "DELETE FROM {table} WHERE {column} IN ({})",
            in_list(tx.backend(), chunk.len())
        );
        deleted += on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(deleted)
}

/// A `VALUES` list of `rows` rows with one placeholder per type in `types`, for joining a
/// batch of keys to a table (its columns are `column1`, `column2`, … on both backends).
/// PostgreSQL gets numbered, typed placeholders (`$1::BIGINT`); SQLite anonymous ones, so the
/// list's parameters come first and any others follow in the order they appear.
pub(crate) fn values_rows(backend: Backend, rows: usize, types: &[&str]) -> String {
    let mut n = 0;
    let row = |n: &mut usize| {
        let cells: Vec<String> = types
            .iter()
            .map(|t| match backend {
                Backend::Sqlite => "?".to_owned(),
                Backend::Postgres => {
                    *n += 1;
                    format!("${n}::{t}")
                }
            })
            .collect();
        format!("({})", cells.join(", "))
    };
    let all: Vec<String> = (0..rows).map(|_| row(&mut n)).collect();
    format!("VALUES {}", all.join(", "))
}

/// Binds each [`Value`] with its own type (inside an `on_tx!`/`on_pool!` body).
macro_rules! bind_values {
    ($query:ident, $values:expr) => {
        for value in $values {
            $query = match value {
                Value::Int(v) => $query.bind(v),
                Value::Text(v) => $query.bind(v),
                Value::Date(v) => $query.bind(v),
                Value::Timestamp(v) => $query.bind(v),
                Value::Bytes(v) => $query.bind(v),
            };
        }
    };
}

pub(crate) use bind_values;

fn chunks(columns: usize, rows: Vec<Vec<Value>>) -> impl Iterator<Item = Vec<Vec<Value>>> {
    let per_statement = (MAX_PARAMS / columns.max(1)).clamp(1, MAX_ROWS);
    let mut rows = rows.into_iter().peekable();
    std::iter::from_fn(move || {
        rows.peek()?;
        Some(rows.by_ref().take(per_statement).collect())
    })
}

/// Inserts `rows` (each in `columns` order); `tail` is appended to every statement
/// (e.g. an `ON CONFLICT` clause).
pub(crate) async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    tail: &str,
) -> Result<()> {
    for chunk in chunks(columns.len(), rows) {
        let sql = statement(tx.backend(), table, columns, chunk.len(), tail);
        on_tx!(&mut *tx, |c| {
            let mut query = sqlx::query(&sql);
            bind_values!(query, chunk.into_iter().flatten());
            query.execute(&mut *c).await?;
        });
    }
    Ok(())
}

/// [`insert_rows`] of a row per key, for the millions of rows of a bulk write (an import's keys
/// and rollups):
/// on SQLite one single-row statement prepared on the raw handle and run per row, several
/// times cheaper than binding each value through sqlx ([`crate::sqlite_raw`]); on PostgreSQL
/// multi-row statements, a slice of rows built at a time. Either way each row is built as it
/// is written (all of a rollup flush's rows built at once were most of a bulk import's
/// memory). A row that fails leaves the rows before it written, so the transaction must end
/// on the error, as every caller's does.
pub(crate) async fn insert_each_row<K: Sync>(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    keys: &[K],
    row: impl Fn(&K) -> Vec<Value> + Sync,
    tail: &str,
) -> Result<()> {
    match &mut tx.conn {
        crate::TxConn::Sqlite(c) => {
            let sql = statement(Backend::Sqlite, table, columns, 1, tail);
            let mut raw = crate::sqlite_raw::RawConnection::lock(c).await?;
            let mut insert = raw.prepare(&sql)?;
            for key in keys {
                insert.execute(&row(key))?;
            }
        }
        crate::TxConn::Postgres(_) => {
            for slice in keys.chunks(20_000) {
                insert_rows(tx, table, columns, slice.iter().map(&row).collect(), tail).await?;
            }
        }
    }
    Ok(())
}

/// Like [`insert_rows`], for statements whose `tail` ends in `RETURNING …`: returns the
/// rows returned for every row written.
pub(crate) async fn insert_rows_returning<T>(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    tail: &str,
) -> Result<Vec<T>>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let mut returned = Vec::new();
    for chunk in chunks(columns.len(), rows) {
        let sql = statement(tx.backend(), table, columns, chunk.len(), tail);
        let mut part: Vec<T> = on_tx!(&mut *tx, |c| {
            let mut query = sqlx::query_as(&sql);
            bind_values!(query, chunk.into_iter().flatten());
            query.fetch_all(&mut *c).await?
        });
        returned.append(&mut part);
    }
    Ok(returned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_number_parameters_across_rows() {
        assert_eq!(
            statement(Backend::Postgres, "t", &["a", "b"], 2, "RETURNING id"),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) RETURNING id"
        );
        assert_eq!(
            statement(Backend::Sqlite, "t", &["a", "b"], 2, ""),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) "
        );
    }

    #[test]
    fn values_rows_are_typed_on_postgres_only() {
        assert_eq!(
            values_rows(Backend::Postgres, 2, &["BIGINT", "DATE"]),
            "VALUES ($1::BIGINT, $2::DATE), ($3::BIGINT, $4::DATE)"
        );
        assert_eq!(
            values_rows(Backend::Sqlite, 2, &["BIGINT", "DATE"]),
            "VALUES (?, ?), (?, ?)"
        );
    }

    #[test]
    fn chunks_respect_the_parameter_limit() {
        let rows: Vec<Vec<Value>> = (0..1201).map(|i| vec![Value::from(i as i64); 100]).collect();
        let sizes: Vec<usize> = chunks(100, rows).map(|c| c.len()).collect();
        assert_eq!(sizes, vec![300, 300, 300, 300, 1]);
        assert!(sizes.iter().all(|n| n * 100 <= MAX_PARAMS));
    }
}
