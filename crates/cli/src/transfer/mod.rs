//! Moving records in and out: CSV/JSON import and export with column mappings, and bulk
//! import and export of usage events, import and export of survey answers.

pub mod audit_export;
pub mod event_export;
pub mod events;
pub mod export;
pub mod handoffs;
pub mod import;
pub mod kinds;
pub mod mapping;
pub mod subscriptions;
pub mod survey_answers;

use std::collections::HashMap;
use std::fs::File;
use std::io::IsTerminal;
use std::path::Path;

/// What an all-or-none import of records with their own columns came to: problems as
/// `FILE:LINE:COLUMN: field: reason`, or what it wrote (how many records it added, unless
/// the import says more).
pub struct AddedRecords<T = u64> {
    pub rows: usize,
    pub errors: Vec<String>,
    pub added: Option<T>,
}

/// A CSV file of records in their own columns, opened: its reader and each column's index by
/// its header (trimmed, lower case).
pub(crate) struct OwnColumns {
    pub reader: csv::Reader<File>,
    pub headers: HashMap<String, usize>,
}

impl OwnColumns {
    /// Opens `file`; a header without every `required` column is refused, at line 1.
    pub(crate) fn open<T>(file: &Path, required: &[&str]) -> anyhow::Result<Result<OwnColumns, AddedRecords<T>>> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(file)?;
        let headers: HashMap<String, usize> = reader
            .headers()?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_ascii_lowercase(), i))
            .collect();
        let missing: Vec<&str> = required.iter().copied().filter(|c| !headers.contains_key(*c)).collect();
        if !missing.is_empty() {
            let problem = format!(
                "{}:1: the header lacks the column(s) {}",
                file.display(),
                missing.join(", ")
            );
            return Ok(Err(AddedRecords::refused(0, vec![problem])));
        }
        Ok(Ok(OwnColumns { reader, headers }))
    }
}

impl<T> AddedRecords<T> {
    /// Nothing written: the file's problems.
    pub fn refused(rows: usize, errors: Vec<String>) -> AddedRecords<T> {
        AddedRecords {
            rows,
            errors,
            added: None,
        }
    }

    /// What the store's all-or-none write of the rows read from `file` came to: how many it
    /// added, or each problem it names by row ("row 3: …") placed at the file's line (`lines`,
    /// one per row written) and the field's column.
    pub fn from_store(
        file: &str,
        rows: usize,
        written: Result<T, lodestar_store::StoreError>,
        lines: &[u64],
        column: impl Fn(&str) -> usize,
    ) -> anyhow::Result<AddedRecords<T>> {
        let errors = match written {
            Ok(added) => {
                return Ok(AddedRecords {
                    rows,
                    errors: Vec::new(),
                    added: Some(added),
                });
            }
            Err(lodestar_store::StoreError::Invalid(invalid)) => invalid
                .errors
                .iter()
                .map(|e| {
                    let (row, reason) = e
                        .reason
                        .strip_prefix("row ")
                        .and_then(|r| r.split_once(": "))
                        .and_then(|(n, reason)| Some((n.parse::<usize>().ok()?, reason)))
                        .unwrap_or((0, e.reason.as_str()));
                    let line = row.checked_sub(1).and_then(|i| lines.get(i)).copied().unwrap_or(0);
                    format!("{file}:{line}:{}: {}: {reason}", column(e.field), e.field)
                })
                .collect(),
            Err(e) => return Err(e.into()),
        };
        Ok(AddedRecords::refused(rows, errors))
    }
}

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over `len` bytes drawn on stderr with `template`, only on a terminal.
fn progress_bar(len: u64, wanted: bool, template: &str) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(&format!("{{spinner}} {template}"))
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}
