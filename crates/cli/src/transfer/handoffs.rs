//! `lodestar import handoffs FILE` and `lodestar export handoffs`: closed deals from a CRM as
//! CSV, each creating the internal handoff (F-65). Columns: `external_id` (the CRM's deal id, so
//! importing a file again adds nothing), `account_external_id`, `signed_on`, `goals`,
//! `pain_points`, `criteria_met` and `criteria_not_met` (names separated by `;` — both empty: the
//! team's qualification list, none ticked yet), `exceptions` (`kind: detail` separated by `;`,
//! e.g. `discount: 20% off year one`); a `;` inside a name or detail is written `\;`. The export
//! adds `state`, and gives a deal created in Lodestar the id `lodestar-N`, which a later import
//! recognises as that same deal. Every problem is reported by
//! file, line and column, and nothing is written unless every row is valid.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use lodestar_domain::dates::parse_date;
use lodestar_domain::handoff::{Criterion, DealException, ExceptionKind, HandoffFields};
use lodestar_domain::text::{ExternalId, Label, Note};
use lodestar_store::{ImportedHandoff, Store};

use super::export::neutralise;
use super::import::unneutralise;
use super::{AddedRecords, OwnColumns};

pub const COLUMNS: [&str; 9] = [
    "external_id",
    "account_external_id",
    "signed_on",
    "goals",
    "pain_points",
    "criteria_met",
    "criteria_not_met",
    "exceptions",
    "state",
];
/// The columns an import needs (`state` is the export's: an imported deal starts handed off).
const REQUIRED: [&str; 4] = ["external_id", "account_external_id", "signed_on", "goals"];

/// The items of a `;`-separated cell; `\;` is a `;` inside an item and `\\` a backslash.
fn list(cell: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next @ (';' | '\\')) => items.last_mut().unwrap().push(next),
                Some(other) => items.last_mut().unwrap().extend(['\\', other]),
                None => items.last_mut().unwrap().push('\\'),
            },
            ';' => items.push(String::new()),
            c => items.last_mut().unwrap().push(c),
        }
    }
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Items joined so that [`list`] reads them back.
fn joined<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|item| item.replace('\\', "\\\\").replace(';', "\\;"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One row's fields, or the problems of its cells (field, reason).
fn fields_of(
    cell: &dyn Fn(&str) -> String,
    team: &[Label],
) -> Result<lodestar_domain::Valid<HandoffFields>, Vec<(&'static str, String)>> {
    let mut problems: Vec<(&'static str, String)> = Vec::new();
    let signed_on = parse_date(&cell("signed_on"), &[])
        .map_err(|e| problems.push(("signed_on", e)))
        .ok();
    let goals = Note::parse(&cell("goals"))
        .map_err(|e| problems.push(("goals", e)))
        .ok();
    let pain_points = Note::parse(&cell("pain_points"))
        .map_err(|e| problems.push(("pain_points", e)))
        .ok();
    let mut criteria = Vec::new();
    for (column, met) in [("criteria_met", true), ("criteria_not_met", false)] {
        for name in list(&cell(column)) {
            match Label::parse(&name) {
                Ok(name) => criteria.push(Criterion { name, met }),
                Err(e) => problems.push((column, e)),
            }
        }
    }
    if criteria.is_empty() {
        criteria = team
            .iter()
            .map(|name| Criterion {
                name: name.clone(),
                met: false,
            })
            .collect();
    }
    let mut exceptions = Vec::new();
    for item in list(&cell("exceptions")) {
        let Some((kind, detail)) = item.split_once(':') else {
            problems.push(("exceptions", format!("{item:?} is not `kind: detail`")));
            continue;
        };
        match (kind.trim().parse::<ExceptionKind>(), Label::parse(detail)) {
            (Ok(kind), Ok(detail)) => exceptions.push(DealException { kind, detail }),
            (Err(e), _) | (_, Err(e)) => problems.push(("exceptions", e)),
        }
    }
    match (signed_on, goals, pain_points) {
        (Some(signed_on), Some(goals), Some(pain_points)) if problems.is_empty() => HandoffFields {
            signed_on,
            goals,
            pain_points,
            criteria,
            exceptions,
        }
        .validate()
        .map_err(|invalid| invalid.errors.into_iter().map(|e| (e.field, e.reason)).collect()),
        _ => Err(problems),
    }
}

pub async fn import_handoffs(store: &Store, file: &Path) -> anyhow::Result<AddedRecords> {
    let name = file.display().to_string();
    let OwnColumns { mut reader, headers } = match OwnColumns::open(file, &REQUIRED)? {
        Ok(opened) => opened,
        Err(refused) => return Ok(refused),
    };
    let column = |field: &str| headers.get(field).map_or(0, |c| c + 1);
    let team = store.qualification_criteria().await?;
    let mut errors = Vec::new();
    let mut deals = Vec::new();
    let mut lines = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        // What an export neutralised for spreadsheets imports as it was written.
        let cell = |field: &str| -> String {
            unneutralise(headers.get(field).and_then(|i| record.get(*i)).unwrap_or_default())
                .trim()
                .to_owned()
        };
        let mut problems = Vec::new();
        let mut id_of = |field: &'static str| {
            ExternalId::parse(&cell(field))
                .map_err(|reason| problems.push((field, reason)))
                .ok()
        };
        let (external_id, account_external_id) = (id_of("external_id"), id_of("account_external_id"));
        if let Some(deal) = &external_id
            && let Some(first) = first_line_of.insert(deal.as_str().to_owned(), line)
        {
            problems.push((
                "external_id",
                format!("the deal {:?} is also on line {first}", deal.as_str()),
            ));
        }
        match (fields_of(&cell, &team), external_id, account_external_id) {
            (Ok(fields), Some(external_id), Some(account_external_id)) if problems.is_empty() => {
                deals.push(ImportedHandoff {
                    external_id,
                    account_external_id,
                    fields,
                });
                lines.push(line);
            }
            (fields, ..) => {
                problems.extend(fields.err().unwrap_or_default());
                errors.extend(
                    problems
                        .into_iter()
                        .map(|(field, reason)| format!("{name}:{line}:{}: {field}: {reason}", column(field))),
                );
            }
        }
    }
    let rows = deals.len();
    if !errors.is_empty() {
        return Ok(AddedRecords::refused(rows, errors));
    }
    let written = store.import_handoffs(deals).await;
    AddedRecords::from_store(&name, rows, written, &lines, column)
}

/// Writes every handoff, oldest signature first, as CSV; how many.
pub async fn export_handoffs(store: &Store, out: &mut dyn Write) -> anyhow::Result<usize> {
    let handoffs = store.exported_handoffs().await?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for (deal, account, h) in &handoffs {
        let names = |met: bool| joined(h.criteria.iter().filter(|c| c.met == met).map(|c| c.name.as_str()));
        let exceptions: Vec<String> = h
            .exceptions
            .iter()
            .map(|e| format!("{}: {}", e.kind.as_str(), e.detail))
            .collect();
        w.write_record([
            neutralise(deal),
            neutralise(account),
            h.signed_on.to_string(),
            neutralise(h.goals.as_str()),
            neutralise(h.pain_points.as_str()),
            neutralise(&names(true)),
            neutralise(&names(false)),
            neutralise(&joined(exceptions.iter().map(String::as_str))),
            h.state.as_str().to_owned(),
        ])?;
    }
    w.flush()?;
    Ok(handoffs.len())
}
