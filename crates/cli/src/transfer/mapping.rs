//! Column mappings: which CSV header feeds which Lodestar field, how to translate a CRM's
//! values (HubSpot's lifecycle stage "customer" → `adopt`) and which date formats it writes.
//! Presets cover HubSpot's and Salesforce's export headers: a file needs the columns of the
//! required fields, and the others are read when present (a CRM exports the columns its user
//! picked). A JSON file covers the rest, and every column it names must be there:
//!
//! ```json
//! { "columns": { "external_id": "Company ID", "name": "Company", "custom.plan": "Plan" },
//!   "values": { "lifecycle_stage": { "Customer": "adopt" } },
//!   "date_formats": ["%d.%m.%Y"] }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use super::kinds::Kind;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Lodestar field → CSV header.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Lodestar field → (CSV value → Lodestar value); values not listed pass through.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// chrono formats tried after ISO 8601 (`2025-01-31`, `2025-01-31T10:00:00Z`).
    #[serde(default)]
    pub date_formats: Vec<String>,
    /// Whether a column named here may be missing from a file (its field then stays empty);
    /// a required field's column never may.
    #[serde(skip)]
    pub columns_optional: bool,
}

pub const PRESETS: &[&str] = &["hubspot", "salesforce"];

impl Mapping {
    /// `--mapping hubspot`, `--mapping salesforce`, or a path to a JSON mapping file.
    pub fn load(spec: &str, kind: Kind) -> anyhow::Result<Mapping> {
        let mapping = match spec {
            "hubspot" => Mapping {
                columns_optional: true,
                ..hubspot(kind)?
            },
            "salesforce" => Mapping {
                columns_optional: true,
                ..salesforce(kind)?
            },
            path => {
                let text = std::fs::read_to_string(Path::new(path)).with_context(|| {
                    format!(
                        "{path}: cannot read the mapping file (or use a preset: {})",
                        PRESETS.join(", ")
                    )
                })?;
                serde_json::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("{path}:{}:{}: invalid mapping: {e}", e.line(), e.column()))?
            }
        };
        for field in mapping.columns.keys().chain(mapping.values.keys()) {
            if !kind.accepts(field) {
                bail!(
                    "mapping for {}: unknown field {field:?}; fields are: {} (and custom.KEY for accounts)",
                    kind.name(),
                    kind.fields().join(", ")
                );
            }
        }
        Ok(mapping)
    }

    pub fn translate<'a>(&'a self, field: &str, value: &'a str) -> &'a str {
        self.values
            .get(field)
            .and_then(|m| m.get(value.trim()))
            .map_or(value, String::as_str)
    }
}

fn columns(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(f, h)| (f.to_string(), h.to_string())).collect()
}

fn values(field: &str, pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeMap<String, String>> {
    [(
        field.to_owned(),
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
    )]
    .into()
}

/// HubSpot's CRM export headers (Companies, Contacts, Deals).
fn hubspot(kind: Kind) -> anyhow::Result<Mapping> {
    Ok(match kind {
        Kind::Accounts => Mapping {
            columns: columns(&[
                ("external_id", "Record ID"),
                ("name", "Company name"),
                ("domain", "Company Domain Name"),
                ("industry", "Industry"),
                ("employees", "Number of Employees"),
                ("region", "Country/Region"),
                ("owner_email", "Company owner"),
                ("lifecycle_stage", "Lifecycle Stage"),
                ("parent_external_id", "Parent Company ID"),
            ]),
            values: values(
                "lifecycle_stage",
                &[
                    ("Customer", "adopt"),
                    ("customer", "adopt"),
                    ("Evangelist", "expand"),
                    ("evangelist", "expand"),
                ],
            ),
            ..Mapping::default()
        },
        Kind::Contacts => Mapping {
            columns: columns(&[
                ("external_id", "Record ID"),
                ("account_external_id", "Associated Company IDs"),
                ("first_name", "First Name"),
                ("last_name", "Last Name"),
                ("email", "Email"),
                ("title", "Job Title"),
            ]),
            ..Mapping::default()
        },
        Kind::Contracts => Mapping {
            columns: columns(&[
                ("external_id", "Record ID"),
                ("account_external_id", "Associated Company IDs"),
                ("name", "Deal Name"),
                ("start_date", "Close Date"),
                ("end_date", "Contract End Date"),
                ("arr", "Annual recurring revenue"),
                ("currency", "Currency"),
            ]),
            ..Mapping::default()
        },
        Kind::Users => bail!("there is no HubSpot preset for users; export them from Lodestar or write a mapping"),
        Kind::Tickets => bail!("there is no HubSpot preset for tickets; write a mapping for your help desk's export"),
    })
}

/// Salesforce report export headers (Accounts, Contacts, Contracts); dates in US or ISO form.
fn salesforce(kind: Kind) -> anyhow::Result<Mapping> {
    let date_formats = vec!["%m/%d/%Y".to_owned()];
    Ok(match kind {
        Kind::Accounts => Mapping {
            columns: columns(&[
                ("external_id", "Account ID"),
                ("name", "Account Name"),
                ("domain", "Website"),
                ("industry", "Industry"),
                ("employees", "Employees"),
                ("region", "Billing Country"),
                ("owner_email", "Account Owner"),
                ("parent_external_id", "Parent Account ID"),
            ]),
            date_formats,
            ..Mapping::default()
        },
        Kind::Contacts => Mapping {
            columns: columns(&[
                ("external_id", "Contact ID"),
                ("account_external_id", "Account ID"),
                ("first_name", "First Name"),
                ("last_name", "Last Name"),
                ("email", "Email"),
                ("title", "Title"),
            ]),
            date_formats,
            ..Mapping::default()
        },
        Kind::Contracts => Mapping {
            columns: columns(&[
                ("external_id", "Contract ID"),
                ("account_external_id", "Account ID"),
                ("name", "Contract Name"),
                ("start_date", "Contract Start Date"),
                ("end_date", "Contract End Date"),
                ("arr", "ARR"),
                ("currency", "Contract Currency"),
            ]),
            date_formats,
            ..Mapping::default()
        },
        Kind::Users => bail!("there is no Salesforce preset for users; export them from Lodestar or write a mapping"),
        Kind::Tickets => {
            bail!("there is no Salesforce preset for tickets; write a mapping for your help desk's export")
        }
    })
}
