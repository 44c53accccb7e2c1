//! Logical backups: every data table, read from one consistent snapshot, written as
//! newline-delimited JSON. The format names columns and spells every value the same way
//! whichever database it came from, so a backup restores into an empty SQLite *or*
//! PostgreSQL database — the two-command move from one to the other. Dates and times are
//! ISO-8601 text, bytes (the stored event blocks) base64.
//!
//! ```text
//! {"format":"lodestar-backup","format_version":1,"schema_version":1,"source":"sqlite","created_at":"…"}
//! {"table":"accounts","columns":["id","external_id",…],"rows":2}
//! [1,"acme-1",…]
//! [2,"globex",…]
//! …
//! {"end":true,"tables":6,"rows":1234}
//! ```

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sqlx::Row;

use crate::bulk::{Value, insert_rows};
use crate::catalog::{ColumnType, SEEDED_TABLES, Table, read_tables};
use crate::migrate::MIGRATIONS;
use crate::query::Query;
use crate::records::{defer_foreign_keys, ensure_empty, reset_id_sequences};
use crate::{Backend, Result, Store, StoreError, on_tx};

const FORMAT: &str = "lodestar-backup";
const FORMAT_VERSION: u32 = 1;
/// Rows restored per batch: bounds memory whatever the size of a table.
const RESTORE_BATCH: usize = 5_000;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    format_version: u32,
    schema_version: i64,
    source: String,
    created_at: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableHeader {
    table: String,
    columns: Vec<String>,
    rows: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Trailer {
    end: bool,
    tables: usize,
    rows: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub tables: usize,
    pub rows: u64,
}

pub type RestoreSummary = BackupSummary;

fn io_error(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backup(format!("{}: {e}", path.display()))
}

/// Creates `path` readable and writable by its owner only (0600 on Unix) from the moment it
/// exists: a backup holds password and token hashes (an export, emails and the audit log),
/// and a file narrowed after writing would have been readable while it was written. A file
/// left there by an interrupted run is replaced rather than reopened, as reopening would keep
/// its mode.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn timestamp_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Store {
    /// Writes a backup of every data table to `path`. Reads one snapshot, so it is
    /// consistent while other connections keep writing. The file appears only when complete.
    pub async fn backup(&self, path: &Path) -> Result<BackupSummary> {
        let partial = path.with_extension("partial");
        let file = create_private(&partial).map_err(|e| io_error(&partial, e))?;
        let mut out = BufWriter::new(file);
        let mut tx = self.begin_snapshot().await?;
        let schema_version: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM lodestar_migrations")
                .fetch_one(&mut *c)
                .await?
        });
        let tables = read_tables(&mut tx, self.backend()).await?;
        let header = Header {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            schema_version,
            source: match self.backend() {
                Backend::Sqlite => "sqlite".into(),
                Backend::Postgres => "postgres".into(),
            },
            created_at: timestamp_text(self.now()),
        };
        write_line(&mut out, &header, &partial)?;
        let mut total = 0;
        for table in &tables {
            let count_sql = format!("SELECT COUNT(*) FROM {}", table.name);
            let count: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(&count_sql).fetch_one(&mut *c).await?);
            let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
            write_line(
                &mut out,
                &TableHeader {
                    table: table.name.clone(),
                    columns,
                    rows: count as u64,
                },
                &partial,
            )?;
            let written = dump_table(&mut tx, table, &mut out, &partial).await?;
            if written != count as u64 {
                return Err(StoreError::Backup(format!(
                    "{} changed during the backup snapshot",
                    table.name
                )));
            }
            total += written;
        }
        write_line(
            &mut out,
            &Trailer {
                end: true,
                tables: tables.len(),
                rows: total,
            },
            &partial,
        )?;
        let file = out.into_inner().map_err(|e| io_error(&partial, e))?;
        file.sync_all().map_err(|e| io_error(&partial, e))?;
        std::fs::rename(&partial, path).map_err(|e| io_error(path, e))?;
        Ok(BackupSummary {
            tables: tables.len(),
            rows: total,
        })
    }

    /// Loads a backup into this database, which must be empty (apart from its schema).
    /// Everything is written in one transaction: a damaged file restores nothing.
    pub async fn restore(&self, path: &Path) -> Result<RestoreSummary> {
        let file = File::open(path).map_err(|e| io_error(path, e))?;
        let mut lines = BufReader::new(file).lines().enumerate();
        let mut next_line = || -> Result<Option<(usize, String)>> {
            match lines.next() {
                None => Ok(None),
                Some((i, Ok(line))) => Ok(Some((i + 1, line))),
                Some((i, Err(e))) => Err(io_error(path, format!("line {}: {e}", i + 1))),
            }
        };
        let bad = |line: usize, what: String| StoreError::Backup(format!("{}:{line}: {what}", path.display()));

        let (n, first) = next_line()?.ok_or_else(|| bad(1, "the file is empty".into()))?;
        let header: Header =
            serde_json::from_str(&first).map_err(|e| bad(n, format!("not a Lodestar backup header: {e}")))?;
        if header.format != FORMAT || header.format_version != FORMAT_VERSION {
            return Err(bad(
                n,
                format!("unsupported format {} version {}", header.format, header.format_version),
            ));
        }
        // Checked before the database is touched: a refused backup leaves it as it was.
        let known = MIGRATIONS.last().map_or(0, |m| m.version);
        if header.schema_version != known {
            return Err(StoreError::BackupSchema {
                file: path.display().to_string(),
                found: header.schema_version,
                known,
            });
        }

        let mut tx = self.begin_write().await?;
        ensure_empty(&mut tx, self.backend(), "restore").await?;
        // The backup holds the settings a migration filled, as they were then.
        for table in SEEDED_TABLES {
            Query::sql(format!("DELETE FROM {table}")).execute(&mut tx).await?;
        }
        defer_foreign_keys(&mut tx).await?;
        let tables = read_tables(&mut tx, self.backend()).await?;
        let mut restored_tables = 0;
        let mut total = 0u64;
        let mut trailer = None;
        let mut pending: Option<(usize, String)> = next_line()?;
        while let Some((n, line)) = pending.take() {
            if let Ok(t) = serde_json::from_str::<Trailer>(&line) {
                trailer = Some((n, t));
                break;
            }
            let th: TableHeader =
                serde_json::from_str(&line).map_err(|e| bad(n, format!("expected a table header: {e}")))?;
            let table = tables
                .iter()
                .find(|t| t.name == th.table)
                .ok_or_else(|| bad(n, format!("table {} does not exist in this database", th.table)))?;
            let ours: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
            if ours != th.columns.iter().map(String::as_str).collect::<Vec<_>>() {
                return Err(bad(
                    n,
                    format!(
                        "columns of {} differ: backup {:?}, database {:?}",
                        th.table, th.columns, ours
                    ),
                ));
            }
            let mut batch = Vec::new();
            let mut rows = 0u64;
            loop {
                pending = next_line()?;
                let Some((n, line)) = &pending else { break };
                if !line.starts_with('[') {
                    break;
                }
                let values: Vec<Json> =
                    serde_json::from_str(line).map_err(|e| bad(*n, format!("malformed row: {e}")))?;
                batch.push(row_values(table, values).map_err(|e| bad(*n, e))?);
                rows += 1;
                if batch.len() == RESTORE_BATCH {
                    insert_rows(&mut tx, &table.name, &ours, std::mem::take(&mut batch), "").await?;
                }
            }
            insert_rows(&mut tx, &table.name, &ours, batch, "").await?;
            if rows != th.rows {
                return Err(bad(
                    n,
                    format!("table {} should have {} rows, the file has {rows}", th.table, th.rows),
                ));
            }
            restored_tables += 1;
            total += rows;
        }
        match trailer {
            Some((n, t)) if !t.end || t.tables != restored_tables || t.rows != total => {
                return Err(bad(
                    n,
                    format!(
                        "the end marker says {} tables and {} rows; read {restored_tables} and {total}",
                        t.tables, t.rows
                    ),
                ));
            }
            Some(_) => {}
            None => {
                return Err(StoreError::Backup(format!(
                    "{}: the file is truncated (no end marker)",
                    path.display()
                )));
            }
        }
        let with_ids: Vec<&str> = tables
            .iter()
            .filter(|t| t.columns.iter().any(|c| c.name == "id"))
            .map(|t| t.name.as_str())
            .collect();
        reset_id_sequences(&mut tx, &with_ids).await?;
        tx.commit().await?;
        Ok(RestoreSummary {
            tables: restored_tables,
            rows: total,
        })
    }
}

fn write_line(out: &mut impl Write, value: &impl Serialize, path: &Path) -> Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(|e| io_error(path, e))?;
    out.write_all(b"\n").map_err(|e| io_error(path, e))
}

async fn dump_table(tx: &mut crate::Tx, table: &Table, out: &mut impl Write, path: &Path) -> Result<u64> {
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let order = if names.contains(&"id") {
        "id".to_owned()
    } else {
        names.join(", ")
    };
    let sql = format!("SELECT {} FROM {} ORDER BY {order}", names.join(", "), table.name);
    let mut written = 0;
    on_tx!(tx, |c| {
        let mut rows = sqlx::query(&sql).fetch(&mut *c);
        while let Some(row) = rows.try_next().await? {
            let mut values = Vec::with_capacity(table.columns.len());
            for (i, column) in table.columns.iter().enumerate() {
                let v = match column.ty {
                    ColumnType::Int => row.try_get::<Option<i64>, _>(i)?.map(Json::from),
                    ColumnType::Text => row.try_get::<Option<String>, _>(i)?.map(Json::from),
                    ColumnType::Date => row
                        .try_get::<Option<NaiveDate>, _>(i)?
                        .map(|d| Json::from(d.to_string())),
                    ColumnType::Timestamp => row
                        .try_get::<Option<DateTime<Utc>>, _>(i)?
                        .map(|t| Json::from(timestamp_text(t))),
                    ColumnType::Bytes => row
                        .try_get::<Option<Vec<u8>>, _>(i)?
                        .map(|b| Json::from(BASE64.encode(b))),
                };
                values.push(v.unwrap_or(Json::Null));
            }
            write_line(out, &values, path)?;
            written += 1;
        }
    });
    Ok(written)
}

/// Converts one backup row to typed values for the target table.
fn row_values(table: &Table, values: Vec<Json>) -> Result<Vec<Value>, String> {
    if values.len() != table.columns.len() {
        return Err(format!(
            "row has {} values, {} has {} columns",
            values.len(),
            table.name,
            table.columns.len()
        ));
    }
    table
        .columns
        .iter()
        .zip(values)
        .map(|(column, v)| {
            let wrong = || format!("{}.{}: unexpected value {v}", table.name, column.name);
            if v.is_null() {
                if !column.nullable {
                    return Err(format!("{}.{} must not be null", table.name, column.name));
                }
                return Ok(match column.ty {
                    ColumnType::Int => Value::Int(None),
                    ColumnType::Text => Value::Text(None),
                    ColumnType::Date => Value::Date(None),
                    ColumnType::Timestamp => Value::Timestamp(None),
                    ColumnType::Bytes => Value::Bytes(None),
                });
            }
            Ok(match column.ty {
                ColumnType::Int => Value::from(v.as_i64().ok_or_else(wrong)?),
                ColumnType::Text => Value::from(v.as_str().ok_or_else(wrong)?),
                ColumnType::Date => {
                    Value::from(v.as_str().and_then(|s| s.parse::<NaiveDate>().ok()).ok_or_else(wrong)?)
                }
                ColumnType::Timestamp => Value::from(
                    v.as_str()
                        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                        .map(|t| t.with_timezone(&Utc))
                        .ok_or_else(wrong)?,
                ),
                ColumnType::Bytes => {
                    Value::Bytes(Some(v.as_str().and_then(|s| BASE64.decode(s).ok()).ok_or_else(wrong)?))
                }
            })
        })
        .collect()
}
