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
