//! One statement prepared on SQLite's own handle and run once per row, for the bulk writes of
//! an import (its keys and rollups, millions of rows). Through sqlx each value is boxed into an
//! argument list and the statement is sent to the connection's worker thread; here a row is
//! bound in place and stepped, as SQLite's own C code would do it (BENCHMARKS.md, "bulk
//! import, issue 19 point 2").
//!
//! All of the store's `unsafe` is in this module.

use std::ffi::{CStr, c_int};
use std::marker::PhantomData;
use std::ptr::NonNull;

use chrono::{Datelike, NaiveDate, SecondsFormat};
use libsqlite3_sys as ffi;
use sqlx::sqlite::{LockedSqliteHandle, SqliteConnection};

use crate::bulk::Value;
use crate::{Result, StoreError};

/// The connection's handle, taken from sqlx's worker thread (which waits) until dropped.
pub(crate) struct RawConnection<'c> {
    handle: LockedSqliteHandle<'c>,
}

impl<'c> RawConnection<'c> {
    pub(crate) async fn lock(conn: &'c mut SqliteConnection) -> Result<RawConnection<'c>> {
        Ok(RawConnection {
            handle: conn.lock_handle().await?,
        })
    }

    /// Prepares `sql` (one statement).
    pub(crate) fn prepare(&mut self, sql: &str) -> Result<RawStatement<'_>> {
        let db = self.handle.as_raw_handle().as_ptr();
        let mut statement = std::ptr::null_mut();
        let length = c_int::try_from(sql.len()).map_err(|_| StoreError::Corrupt("statement too long".into()))?;
        // SAFETY: `db` is an open connection that only this thread uses while the handle is
        // locked; `sql` is valid for `length` bytes, which SQLite reads without a terminator.
        let code = unsafe {
            ffi::sqlite3_prepare_v3(
                db,
                sql.as_ptr().cast(),
                length,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut statement,
                std::ptr::null_mut(),
            )
        };
        check(db, code)?;
        let statement = NonNull::new(statement).ok_or_else(|| StoreError::Corrupt(format!("empty statement {sql}")))?;
        // SAFETY: a prepared statement.
        let parameters = unsafe { ffi::sqlite3_bind_parameter_count(statement.as_ptr()) };
        Ok(RawStatement {
            db,
            statement,
            parameters: parameters as usize,
            _connection: PhantomData,
        })
    }
}

/// A prepared statement, finalized when dropped; it cannot outlive the locked handle.
pub(crate) struct RawStatement<'r> {
    db: *mut ffi::sqlite3,
    statement: NonNull<ffi::sqlite3_stmt>,
    parameters: usize,
    _connection: PhantomData<&'r mut RawConnection<'r>>,
}

impl RawStatement<'_> {
    /// Runs the statement with one row of `values`, one for each of its parameters; returns
    /// how many rows it changed (0 for an insert that `ON CONFLICT DO NOTHING` skipped).
    pub(crate) fn execute(&mut self, values: &[Value]) -> Result<u64> {
        assert_eq!(values.len(), self.parameters, "one value for each parameter");
        let statement = self.statement.as_ptr();
        for (i, value) in values.iter().enumerate() {
            let at = i as c_int + 1;
            // SAFETY: `statement` is prepared and not running (reset after every step). Text and
            // blobs are bound SQLITE_STATIC: they are borrowed from `values`, which outlives the
            // step below, and every parameter is bound again before the next step.
            let code = unsafe {
                match value {
                    Value::Int(Some(n)) => ffi::sqlite3_bind_int64(statement, at, *n),
                    Value::Text(Some(text)) => bind_text(statement, at, text, ffi::SQLITE_STATIC()),
                    Value::Date(Some(day)) => match iso_date(*day) {
                        Some(text) => {
                            let text = std::str::from_utf8(&text).expect("digits and dashes");
                            bind_text(statement, at, text, ffi::SQLITE_TRANSIENT())
                        }
                        None => bind_text(statement, at, &day.format("%F").to_string(), ffi::SQLITE_TRANSIENT()),
                    },
                    Value::Timestamp(Some(t)) => {
                        // As sqlx writes a time, so that stored times compare as text alike.
                        bind_text(
                            statement,
                            at,
                            &t.to_rfc3339_opts(SecondsFormat::AutoSi, false),
                            ffi::SQLITE_TRANSIENT(),
                        )
                    }
                    Value::Bytes(Some(bytes)) => ffi::sqlite3_bind_blob(
                        statement,
                        at,
                        bytes.as_ptr().cast(),
                        bytes.len() as c_int,
                        ffi::SQLITE_STATIC(),
                    ),
                    Value::Int(None)
                    | Value::Text(None)
                    | Value::Date(None)
                    | Value::Timestamp(None)
                    | Value::Bytes(None) => ffi::sqlite3_bind_null(statement, at),
                }
            };
            check(self.db, code)?;
        }
        // SAFETY: every parameter is bound (above); the statement is reset whatever the step
        // returned, so it is ready for the next row.
        let stepped = unsafe { ffi::sqlite3_step(statement) };
        let reset = unsafe { ffi::sqlite3_reset(statement) };
        match stepped {
            ffi::SQLITE_DONE => {
                check(self.db, reset)?;
                // SAFETY: an open connection, used by this thread only while it is locked.
                Ok(unsafe { ffi::sqlite3_changes64(self.db) } as u64)
            }
            failed => check(self.db, failed).map(|()| 0),
        }
    }
}

impl Drop for RawStatement<'_> {
    fn drop(&mut self) {
        // SAFETY: prepared by `prepare` and finalized only here.
        unsafe { ffi::sqlite3_finalize(self.statement.as_ptr()) };
    }
}

/// `YYYY-MM-DD`, as sqlx writes a date (`%F`), for the years of four digits, without the
/// formatting machinery: chrono's `format` was a tenth of an import's rollup write.
fn iso_date(day: NaiveDate) -> Option<[u8; 10]> {
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let year = u32::try_from(day.year()).ok().filter(|y| *y <= 9999)?;
    let (month, date) = (day.month(), day.day());
    Some([
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(date / 10),
        digit(date),
    ])
}

/// Binds `text`: borrowed with `SQLITE_STATIC` (SAFETY: the caller keeps it alive and unchanged
/// until the statement has stepped), or copied by SQLite with `SQLITE_TRANSIENT`.
unsafe fn bind_text(
    statement: *mut ffi::sqlite3_stmt,
    at: c_int,
    text: &str,
    keep: ffi::sqlite3_destructor_type,
) -> c_int {
    unsafe { ffi::sqlite3_bind_text(statement, at, text.as_ptr().cast(), text.len() as c_int, keep) }
}

/// The error SQLite reported for `code`, if any, as sqlx's errors of the same kind become.
fn check(db: *mut ffi::sqlite3, code: c_int) -> Result<()> {
    if code == ffi::SQLITE_OK {
        return Ok(());
    }
    // SAFETY: an open connection; the message is copied before any other call on it.
    let (extended, message) = unsafe {
        let extended = ffi::sqlite3_extended_errcode(db);
        let message = CStr::from_ptr(ffi::sqlite3_errmsg(db)).to_string_lossy().into_owned();
        (extended, message)
    };
    Err(match extended {
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
            StoreError::Conflict(crate::conflicts::unique_violation_message(None, &message).to_owned())
        }
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
            StoreError::Conflict("a record this one refers to does not exist".to_owned())
        }
        code => StoreError::Sqlite { code, message },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_sqlx_writes_them() {
        for day in ["2026-11-02", "0999-01-31", "2000-12-09"] {
            let day: NaiveDate = day.parse().unwrap();
            assert_eq!(iso_date(day).unwrap(), day.format("%F").to_string().as_bytes());
        }
        assert_eq!(
            iso_date(NaiveDate::from_ymd_opt(10000, 1, 1).unwrap()),
            None,
            "chrono's then"
        );
    }
}
