//! `lodestar export audit`: the audit log, oldest first, as CSV or a JSON array, a page at a
//! time so a long log never sits in memory whole.

use std::io::Write;

use chrono::{NaiveDate, NaiveTime};
use lodestar_store::{AuditEntry, AuditFilter, Store};

use super::export::{Format, neutralise};

const PAGE: u32 = 1_000;
const COLUMNS: [&str; 8] = [
    "id",
    "at",
    "actor_user_id",
    "actor",
    "client",
    "kind",
    "subject",
    "detail",
];

fn cells(e: &AuditEntry) -> [String; 8] {
    [
        e.id.to_string(),
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.actor_user_id.map(|u| u.to_string()).unwrap_or_default(),
        e.actor.clone(),
        e.client.clone().unwrap_or_default(),
        e.kind.as_str().to_owned(),
        e.subject.clone().unwrap_or_default(),
        e.detail.clone(),
    ]
}

/// Writes the entries from day `from` through day `to` (UTC, both optional); how many.
pub async fn export_audit(
    store: &Store,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let mut filter = AuditFilter {
        from: from.map(|d| d.and_time(NaiveTime::MIN).and_utc()),
        to: to
            .and_then(|d| d.succ_opt())
            .map(|d| d.and_time(NaiveTime::MIN).and_utc()),
        oldest_first: true,
        ..AuditFilter::default()
    };
    let mut writer = match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(COLUMNS)?;
            Writer::Csv(Box::new(w))
        }
        Format::Json => {
            out.write_all(b"[")?;
            Writer::Json(out)
        }
    };
    let mut written = 0;
    loop {
        let page = store.audit_entries(&filter, PAGE).await?;
        let Some(last) = page.last() else { break };
        filter.after_id = Some(last.id);
        for entry in &page {
            match &mut writer {
                // Actors and details are typed by people: a cell must not run as a formula.
                Writer::Csv(w) => w.write_record(cells(entry).iter().map(|c| neutralise(c)))?,
                // One entry per line inside a JSON array, as the records' JSON export.
                Writer::Json(out) => {
                    out.write_all(if written == 0 { b"\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut **out, entry)?;
                }
            }
            written += 1;
        }
    }
    match writer {
        Writer::Csv(mut w) => w.flush()?,
        Writer::Json(out) => out.write_all(b"\n]\n")?,
    }
    Ok(written)
}

enum Writer<'a> {
    Csv(Box<csv::Writer<&'a mut dyn Write>>),
    Json(&'a mut dyn Write),
}
