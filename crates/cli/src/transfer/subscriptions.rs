//! `lodestar import subscriptions FILE` and `lodestar export subscriptions`: a billing history
//! as CSV, one row per subscription period (F-63). Columns: `account_id` (the account's external
//! id), `product`, `start_date`, `end_date` (the first day it no longer runs; empty while it
//! runs), `mrr` (billed per month, after any discount, above zero), `quantity` (default 1) and
//! the optional `discount` (a percentage the MRR already reflects: `15` or `15%`). The file is
//! the whole history of every account it names: an import replaces what an earlier one brought
//! for those accounts (their rows, MRR movements and the contracts made from them). Every
//! problem is reported by file, line and column, and nothing is written unless every row is
//! valid. The export writes the same columns, by account and start, and imports again as itself.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use lodestar_domain::Cents;
use lodestar_domain::dates::parse_date;
use lodestar_domain::revenue::SubscriptionFields;
use lodestar_domain::text::{ExternalId, Name};
use lodestar_store::{ImportedSubscription, Store, SubscriptionImport};

use super::export::neutralise;
use super::import::unneutralise;

use super::{AddedRecords, OwnColumns};

pub const COLUMNS: [&str; 7] = [
    "account_id",
    "product",
    "start_date",
    "end_date",
    "mrr",
    "quantity",
    "discount",
];
const REQUIRED: [&str; 4] = ["account_id", "product", "start_date", "mrr"];

/// A percentage (`15`, `15%`, `12.5 %`) in basis points.
fn discount_bp(cell: &str) -> Result<u16, String> {
    let s = cell.trim().trim_end_matches('%').trim();
    if s.is_empty() {
        return Ok(0);
    }
    let bad = || format!("{cell:?} is not a percentage (e.g. 15 or 12.5%)");
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let bp = whole.parse::<u32>().map_err(|_| bad())? * 100 + format!("{frac:0<2}").parse::<u32>().unwrap_or(0);
    u16::try_from(bp)
        .ok()
        .filter(|bp| *bp <= 10_000)
        .ok_or_else(|| format!("{cell:?} is more than 100 %"))
}

/// Basis points as the percentage [`discount_bp`] reads back; empty for none.
fn discount_text(bp: u16) -> String {
    match (bp / 100, bp % 100) {
        (0, 0) => String::new(),
        (whole, 0) => whole.to_string(),
        (whole, frac) if frac % 10 == 0 => format!("{whole}.{}", frac / 10),
        (whole, frac) => format!("{whole}.{frac:02}"),
    }
}

/// One row's period, or the problems of its cells (field, reason).
fn fields_of(
    cell: &dyn Fn(&str) -> String,
) -> Result<lodestar_domain::Valid<SubscriptionFields>, Vec<(&'static str, String)>> {
    let mut problems: Vec<(&'static str, String)> = Vec::new();
    let product = Name::parse(&cell("product"))
        .map_err(|e| problems.push(("product", e)))
        .ok();
    let start_date = parse_date(&cell("start_date"), &[])
        .map_err(|e| problems.push(("start_date", e)))
        .ok();
    let end = cell("end_date");
    let end_date = if end.is_empty() {
        Some(None)
    } else {
        parse_date(&end, &[])
            .map(Some)
            .map_err(|e| problems.push(("end_date", e)))
            .ok()
    };
    let mrr = Cents::parse(&cell("mrr")).map_err(|e| problems.push(("mrr", e))).ok();
    let quantity = match cell("quantity").as_str() {
        "" => Some(1),
        q => q
            .parse::<u32>()
            .map_err(|_| problems.push(("quantity", format!("{q:?} is not a whole number"))))
            .ok(),
    };
    let discount_bp = discount_bp(&cell("discount"))
        .map_err(|e| problems.push(("discount", e)))
        .ok();
    match (product, start_date, end_date, mrr, quantity, discount_bp) {
        (Some(product), Some(start_date), Some(end_date), Some(mrr), Some(quantity), Some(discount_bp))
            if problems.is_empty() =>
        {
            SubscriptionFields {
                product,
                start_date,
                end_date,
                mrr,
                quantity,
                discount_bp,
            }
            .validate()
            .map_err(|invalid| invalid.errors.into_iter().map(|e| (e.field, e.reason)).collect())
        }
        _ => Err(problems),
    }
}

pub async fn import_subscriptions(store: &Store, file: &Path) -> anyhow::Result<AddedRecords<SubscriptionImport>> {
    let name = file.display().to_string();
    let OwnColumns { mut reader, headers } = match OwnColumns::open(file, &REQUIRED)? {
        Ok(opened) => opened,
        Err(refused) => return Ok(refused),
    };
    let column = |field: &str| headers.get(field).map_or(0, |c| c + 1);
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    let mut first_line_of: HashMap<(String, String, String), u64> = HashMap::new();
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
        let account = ExternalId::parse(&cell("account_id"))
            .map_err(|e| problems.push(("account_id", e)))
            .ok();
        let key = (cell("account_id"), cell("product").to_lowercase(), cell("start_date"));
        if let Some(first) = first_line_of.insert(key, line) {
            problems.push((
                "start_date",
                format!("the same product starts the same day on line {first}; one row holds both quantities"),
            ));
        }
        match (fields_of(&cell), account) {
            (Ok(fields), Some(account_external_id)) if problems.is_empty() => {
                rows.push(ImportedSubscription {
                    account_external_id,
                    fields,
                });
                lines.push(line);
            }
            (fields, _) => {
                problems.extend(fields.err().unwrap_or_default());
                errors.extend(
                    problems
                        .into_iter()
                        .map(|(field, reason)| format!("{name}:{line}:{}: {field}: {reason}", column(field))),
                );
            }
        }
    }
    let count = rows.len();
    if !errors.is_empty() {
        return Ok(AddedRecords::refused(count, errors));
    }
    let written = store.import_subscriptions(rows).await;
    AddedRecords::from_store(&name, count, written, &lines, column)
}

/// Writes every subscription, by account and start, as CSV; how many.
pub async fn export_subscriptions(store: &Store, out: &mut dyn Write) -> anyhow::Result<usize> {
    let subscriptions = store.exported_subscriptions().await?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for (account, s) in &subscriptions {
        w.write_record([
            neutralise(account),
            neutralise(s.product.as_str()),
            s.start_date.to_string(),
            s.end_date.map(|d| d.to_string()).unwrap_or_default(),
            s.mrr.to_string(),
            s.quantity.to_string(),
            discount_text(s.discount_bp),
        ])?;
    }
    w.flush()?;
    Ok(subscriptions.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discounts_read_back_as_written() {
        for bp in [0, 1, 10, 1250, 1500, 9999, 10_000] {
            assert_eq!(discount_bp(&discount_text(bp)), Ok(bp), "{bp}");
        }
        assert_eq!(discount_bp("15%"), Ok(1500));
        assert_eq!(discount_bp(" 12.5 % "), Ok(1250));
        assert!(discount_bp("101").is_err());
        assert!(discount_bp("ten").is_err());
        assert!(discount_bp("1.234").is_err());
    }
}
