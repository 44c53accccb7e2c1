//! CSV and JSON export (F-05), in a stable order (users by email, everything else by
//! external id), with references written as emails and external ids so a file imports into
//! another database. CSV cells that a spreadsheet would run as a formula are neutralised.

use std::collections::HashMap;
use std::io::Write;

use clap::ValueEnum;
use lodestar_domain::{AccountId, UserId};
use lodestar_store::Store;
use serde_json::{Map, Value, json};

use super::kinds::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// Prefixes `'` to a cell that starts like a formula (`= + - @`, tab, carriage return), the
/// OWASP advice against CSV injection. Import removes exactly this prefix again.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// Writes every record of `kind` to `out`; returns how many.
pub async fn export(store: &Store, kind: Kind, format: Format, out: &mut dyn Write) -> anyhow::Result<usize> {
    let records = records(store, kind).await?;
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(kind.fields())?;
            for r in &records {
                w.write_record(kind.fields().iter().map(|f| neutralise(&csv_cell(r.get(*f)))))?;
            }
            w.flush()?;
        }
        Format::Json => {
            // One record per line inside a JSON array: valid JSON that diffs and streams well.
            out.write_all(b"[")?;
            for (i, r) in records.iter().enumerate() {
                out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *out, r)?;
            }
            out.write_all(b"\n]\n")?;
        }
    }
    Ok(records.len())
}

fn csv_cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn opt<T: ToString>(v: &Option<T>) -> Value {
    v.as_ref().map_or(Value::Null, |v| Value::String(v.to_string()))
}

/// Every record of `kind` as an ordered JSON object keyed by field.
async fn records(store: &Store, kind: Kind) -> anyhow::Result<Vec<Map<String, Value>>> {
    let users = store.users().await?;
    let email: HashMap<UserId, String> = users.iter().map(|u| (u.id, u.fields.email.to_string())).collect();
    let user_email = |id: &Option<UserId>| id.and_then(|id| email.get(&id)).map_or(Value::Null, |e| json!(e));
    let account_keys = || async {
        let ids = store.account_ids().await?;
        anyhow::Ok(
            ids.into_iter()
                .map(|(k, v)| (v, k))
                .collect::<HashMap<AccountId, String>>(),
        )
    };
    let object = |pairs: Vec<(&str, Value)>| pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Ok(match kind {
        Kind::Users => users
            .iter()
            .map(|u| {
                let f = &u.fields;
                object(vec![
                    ("email", json!(f.email)),
                    ("name", json!(f.name)),
                    ("role", json!(f.role)),
                    ("manager_email", user_email(&f.manager_id)),
                    ("capacity", json!(f.capacity)),
                ])
            })
            .collect(),
        Kind::Accounts => {
            let keys = account_keys().await?;
            store
                .accounts()
                .await?
                .iter()
                .map(|a| {
                    let f = &a.fields;
                    let custom = if f.custom_fields.is_empty() {
                        Value::Null
                    } else {
                        json!(f.custom_fields)
                    };
                    object(vec![
                        ("external_id", json!(f.external_id)),
                        ("name", json!(f.name)),
                        ("domain", opt(&f.domain)),
                        ("industry", opt(&f.industry)),
                        ("employees", json!(f.employees)),
                        ("region", opt(&f.region)),
                        ("lifecycle_stage", json!(f.lifecycle_stage)),
                        ("tier", opt(&f.tier)),
                        ("owner_email", user_email(&f.owner_id)),
                        ("ae_email", user_email(&f.ae_id)),
                        ("sponsor_email", user_email(&f.sponsor_id)),
                        ("growth_potential", opt(&f.growth_potential)),
                        ("engagement_preference", opt(&f.engagement_preference)),
                        ("launch_date", opt(&f.launch_date)),
                        ("first_value_date", opt(&f.first_value_date)),
                        ("parent_external_id", opt(&f.parent_id.and_then(|p| keys.get(&p)))),
                        ("custom_fields", custom),
                    ])
                })
                .collect()
        }
        Kind::Contacts => {
            let keys = account_keys().await?;
            store
                .contacts()
                .await?
                .iter()
                .map(|c| {
                    let f = &c.fields;
                    object(vec![
                        ("external_id", json!(f.external_id)),
                        ("account_external_id", json!(keys.get(&f.account_id))),
                        ("first_name", opt(&f.first_name)),
                        ("last_name", opt(&f.last_name)),
                        ("email", opt(&f.email)),
                        ("title", opt(&f.title)),
                        ("role", opt(&f.role)),
                        ("influence", opt(&f.influence)),
                        ("status", json!(f.status)),
                        ("left_on", opt(&f.left_on)),
                    ])
                })
                .collect()
        }
        Kind::Contracts => {
            let keys = account_keys().await?;
            store
                .contracts()
                .await?
                .iter()
                .map(|c| {
                    let f = &c.fields;
                    let mut o: Map<String, Value> = object(vec![
                        ("external_id", json!(f.external_id)),
                        ("account_external_id", json!(keys.get(&f.account_id))),
                        ("name", opt(&f.name)),
                        ("start_date", json!(f.start_date)),
                        ("end_date", json!(f.end_date)),
                        ("currency", json!(f.currency)),
                        ("arr", json!(c.arr.to_string())),
                    ]);
                    // JSON carries the detail a flat CSV row cannot: products and ARR history.
                    let items: Vec<Value> = c
                        .line_items
                        .iter()
                        .map(|i| {
                            json!({"product": i.product, "quantity": i.quantity,
                                   "unit_price": i.unit_price.to_string(), "discount_bp": i.discount_bp})
                        })
                        .collect();
                    let changes: Vec<Value> = c
                        .changes
                        .changes()
                        .iter()
                        .map(|ch| {
                            json!({"effective_date": ch.effective_date, "kind": ch.kind,
                                   "arr_before": ch.arr_before.to_string(), "arr_after": ch.arr_after.to_string()})
                        })
                        .collect();
                    o.insert("line_items".into(), Value::Array(items));
                    o.insert("changes".into(), Value::Array(changes));
                    o
                })
                .collect()
        }
        Kind::Tickets => {
            let keys = account_keys().await?;
            store
                .tickets()
                .await?
                .iter()
                .map(|t| {
                    let f = &t.fields;
                    let tags: Vec<&str> = f.tags.iter().map(|t| t.as_str()).collect();
                    object(vec![
                        ("external_id", json!(f.external_id)),
                        ("account_external_id", json!(keys.get(&f.account_id))),
                        ("subject", json!(f.subject)),
                        ("status", json!(f.status)),
                        ("priority", json!(f.priority)),
                        ("requester_email", opt(&f.requester_email)),
                        ("tags", json!(tags.join(" "))),
                        ("created_at", json!(f.opened_at.to_rfc3339())),
                        ("updated_at", json!(f.updated_at.to_rfc3339())),
                    ])
                })
                .collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for cell in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        assert_eq!(neutralise("Acme"), "Acme");
        assert_eq!(neutralise("a=b"), "a=b");
    }
}
