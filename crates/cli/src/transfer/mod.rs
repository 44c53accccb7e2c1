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

use std::io::IsTerminal;

/// What an all-or-none import of records with their own columns came to: problems as
/// `FILE:LINE:COLUMN: field: reason`, or how many records it added.
pub struct AddedRecords {
    pub rows: usize,
    pub errors: Vec<String>,
    pub added: Option<u64>,
}

impl AddedRecords {
    /// What the store's all-or-none write of the rows read from `file` came to: how many it
    /// added, or each problem it names by row ("row 3: …") placed at the file's line (`lines`,
    /// one per row written) and the field's column.
    pub fn from_store(
        file: &str,
        rows: usize,
        written: Result<u64, lodestar_store::StoreError>,
        lines: &[u64],
        column: impl Fn(&str) -> usize,
    ) -> anyhow::Result<AddedRecords> {
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
        Ok(AddedRecords {
            rows,
            errors,
            added: None,
        })
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
