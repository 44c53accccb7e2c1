//! Loading a whole data set with its ids into an empty database: the fast path behind
//! `lodestar demo`, which writes hundreds of thousands of rows, a part at a time.

use chrono::{DateTime, Utc};
use lodestar_domain::account::Account;
use lodestar_domain::contact::Contact;
use lodestar_domain::contract::Contract;
use lodestar_domain::user::User;

use super::accounts::{ACCOUNT_COLUMNS, account_values};
use super::contacts::{CONTACT_COLUMNS, contact_values};
use super::contracts::{
    CHANGE_COLUMNS, CONTRACT_COLUMNS, LINE_ITEM_COLUMNS, change_values, contract_values, line_item_values,
};
use super::users::{USER_COLUMNS, user_values};
use super::{defer_foreign_keys, ensure_empty, refresh_account_rollups, reset_id_sequences};
use crate::bulk::{Value, insert_rows};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// Records with their ids already assigned, consistent among themselves: a whole data set, or
/// a part of one (see [`Store::load_into_empty`]).
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Written as every row's created/updated time, so equal data sets give equal databases.
    pub created_at: DateTime<Utc>,
    pub users: Vec<User>,
    pub accounts: Vec<Account>,
    pub contacts: Vec<Contact>,
    pub contracts: Vec<Contract>,
}

fn with_id_and_times(id: i64, mut values: Vec<Value>, ts: DateTime<Utc>, times: usize) -> Vec<Value> {
    values.insert(0, id.into());
    values.extend(std::iter::repeat_n(Value::from(ts), times));
    values
}

fn columns(fields: &[&'static str], times: &[&'static str]) -> Vec<&'static str> {
    let mut c = vec!["id"];
    c.extend_from_slice(fields);
    c.extend_from_slice(times);
    c
}

/// The tables a data set load writes: it refuses to run unless they are all empty, so
/// records never merge (settings made before, such as milestones, may stay).
const LOADED_TABLES: [&str; 6] = [
    "users",
    "accounts",
    "contacts",
    "contracts",
    "contract_line_items",
    "contract_changes",
];

impl Store {
    /// Refuses with [`crate::StoreError::NotEmpty`] unless every data table is empty: for a
    /// caller that writes settings before a [`Store::load_into_empty`] (the demo).
    pub async fn ensure_empty(&self, action: &'static str) -> Result<()> {
        let mut tx = self.begin_snapshot().await?;
        ensure_empty(&mut tx, self.backend(), action).await
    }

    /// Writes a data set into a database without records, in one transaction. The data set
    /// comes in parts (each a slice of the records, any list may be empty), so a caller can
    /// generate it while it is written instead of holding it all: only one part and its rows
    /// are in memory at a time. The database's own constraints (foreign keys, checks) verify
    /// the whole at commit, so parts may refer to records of later parts.
    pub async fn load_into_empty(&self, parts: impl IntoIterator<Item = Dataset>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for table in LOADED_TABLES {
            let sql = format!("SELECT EXISTS (SELECT 1 FROM {table})");
            let any: bool = Query::sql(&sql).scalar_one(&mut tx).await?;
            if any {
                return Err(StoreError::NotEmpty {
                    table: table.to_owned(),
                    action: "loading a data set",
                });
            }
        }
        defer_foreign_keys(&mut tx).await?;
        for part in parts {
            write_part(&mut tx, part).await?;
        }
        refresh_account_rollups(&mut tx, None).await?;
        reset_id_sequences(&mut tx, &LOADED_TABLES).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn write_part(tx: &mut Tx, data: Dataset) -> Result<()> {
    let ts = data.created_at;
    let both = &["created_at", "updated_at"][..];

    let rows = data
        .users
        .iter()
        .map(|u| with_id_and_times(u.id.0, user_values(&u.fields), ts, 2))
        .collect();
    insert_rows(tx, "users", &columns(USER_COLUMNS, both), rows, "").await?;

    let rows = data
        .accounts
        .iter()
        .map(|a| with_id_and_times(a.id.0, account_values(&a.fields), ts, 2))
        .collect();
    insert_rows(tx, "accounts", &columns(ACCOUNT_COLUMNS, both), rows, "").await?;

    let rows = data
        .contacts
        .iter()
        .map(|c| with_id_and_times(c.id.0, contact_values(&c.fields), ts, 2))
        .collect();
    insert_rows(tx, "contacts", &columns(CONTACT_COLUMNS, both), rows, "").await?;

    let rows = data
        .contracts
        .iter()
        .map(|c| with_id_and_times(c.id.0, contract_values(&c.fields, c.changes.current()), ts, 2))
        .collect();
    insert_rows(tx, "contracts", &columns(CONTRACT_COLUMNS, both), rows, "").await?;

    let mut items = Vec::new();
    let mut changes = Vec::new();
    for c in &data.contracts {
        for (i, item) in c.line_items.iter().enumerate() {
            items.push(line_item_values(c.id, c.fields.account_id, i + 1, item));
        }
        for change in c.changes.changes() {
            changes.push(change_values(c.id, c.fields.account_id, change, ts));
        }
    }
    insert_rows(tx, "contract_line_items", LINE_ITEM_COLUMNS, items, "").await?;
    insert_rows(tx, "contract_changes", CHANGE_COLUMNS, changes, "").await
}
