//! What tables and columns the database has, read from the database itself. Backup and
//! restore are driven by this, so a table added by a later migration is backed up without
//! anyone remembering to list it; the parity test uses it to compare the two backends.

use crate::{Backend, Result, Store, StoreError, Tx, on_tx};

/// The logical column types Lodestar's schema may use. Anything else is refused, which keeps
/// every value representable identically on both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Int,
    Text,
    Date,
    Timestamp,
    Bytes,
}

impl ColumnType {
    fn from_declared(backend: Backend, declared: &str) -> Option<ColumnType> {
        let d = declared.to_ascii_lowercase();
        Some(match (backend, d.as_str()) {
            (_, "bigint" | "integer") => ColumnType::Int,
            (_, "text") => ColumnType::Text,
            (_, "date") => ColumnType::Date,
            (Backend::Sqlite, "blob") | (Backend::Postgres, "bytea") => ColumnType::Bytes,
            (Backend::Sqlite, "timestamptz") | (Backend::Postgres, "timestamp with time zone") => ColumnType::Timestamp,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// The other tables this one's foreign keys point at, sorted.
    pub references: Vec<String>,
}

/// Lodestar's bookkeeping table; it describes the schema rather than holding data.
pub(crate) const MIGRATIONS_TABLE: &str = "lodestar_migrations";

/// Settings a migration fills, so a new database already holds them (the experience levels
/// and the level of each tier): a database with only these is still empty, and a restore
/// replaces them. Children first, the order to clear them in.
pub(crate) const SEEDED_TABLES: &[&str] = &["tier_experience", "experience_levels"];

impl Store {
    /// Every data table with its columns in declaration order, parents before the tables
    /// that reference them (ties by name): the order a load can insert without waiting for
    /// a parent row.
    pub async fn tables(&self) -> Result<Vec<Table>> {
        let mut tx = self.begin_snapshot().await?;
        read_tables(&mut tx, self.backend()).await
    }
}

/// Reads the data tables and their columns. Search indexes are derived from them and left out:
/// SQLite's FTS5 tables (virtual, with their shadow tables) and PostgreSQL's generated columns
/// (`search_vector`), which the database computes and refuses to be written.
pub(crate) async fn read_tables(tx: &mut Tx, backend: Backend) -> Result<Vec<Table>> {
    let names: Vec<String> = on_tx!(tx, |c| {
        sqlx::query_scalar(match backend {
            Backend::Sqlite => {
                "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'"
            }
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            }
        })
        .fetch_all(&mut *c)
        .await?
    });
    // Sorted here, not by a database collation, so both backends agree.
    let mut names = names;
    names.sort();
    let mut tables = Vec::new();
    for name in names.into_iter().filter(|n| n != MIGRATIONS_TABLE) {
        // (name, declared type, nullable)
        let raw: Vec<(String, String, bool)> = on_tx!(tx, |c| {
            match backend {
                Backend::Sqlite => sqlx::query_as(
                    "SELECT name, type, \"notnull\" = 0 AND pk = 0 FROM pragma_table_info($1) ORDER BY cid",
                ),
                Backend::Postgres => sqlx::query_as(
                    "SELECT column_name::text, data_type::text, is_nullable = 'YES' FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
                     ORDER BY ordinal_position",
                ),
            }
            .bind(&name)
            .fetch_all(&mut *c)
            .await?
        });
        let mut columns = Vec::new();
        for (column, declared, nullable) in raw {
            let ty = ColumnType::from_declared(backend, &declared).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "column {name}.{column} has type {declared}, which Lodestar does not use"
                ))
            })?;
            columns.push(Column {
                name: column,
                ty,
                nullable,
            });
        }
        let sql = match backend {
            Backend::Sqlite => "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)",
            Backend::Postgres => {
                "SELECT DISTINCT confrelid::regclass::text FROM pg_constraint
                 WHERE contype = 'f' AND conrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass"
            }
        };
        let mut references: Vec<String> =
            on_tx!(tx, |c| sqlx::query_scalar(sql).bind(&name).fetch_all(&mut *c).await?);
        references.retain(|r| r != &name);
        references.sort();
        tables.push(Table {
            name,
            columns,
            references,
        });
    }
    Ok(parents_first(tables))
}

/// Orders tables so every table comes after the tables it references (Kahn's algorithm,
/// taking the alphabetically first ready table each time, so the order is stable).
fn parents_first(mut pending: Vec<Table>) -> Vec<Table> {
    let mut ordered: Vec<Table> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|t| t.references.iter().all(|r| ordered.iter().any(|o| &o.name == r)))
            // A reference cycle between tables: fall back to name order for the rest
            // (loads defer foreign-key checks to commit, so any order is still correct).
            .unwrap_or(0);
        ordered.push(pending.remove(ready));
    }
    ordered
}
