//! Contracts, line items and ARR history (F-03).

use std::collections::HashMap;

use chrono::NaiveDate;
use lodestar_domain::contract::{ArrChange, ArrHistory, Contract, ContractFields, LineItem, kind_of_adjustment};
use lodestar_domain::vocabulary::ChangeKind;
use lodestar_domain::{AccountId, Cents, ContractId, Invalid, Valid};

use super::{
    UpsertSummary, claim_external_id, delete_by_id, ensure_new_external_id, parse, parse_opt, refresh_account_rollups,
    upsert_by_key,
};
use crate::bulk::{Value, bind_values, insert_rows};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx, on_tx};

/// A contract to create or update by external id, with the ARR it has now. A new contract
/// starts its history with a `new` change on its start date; an existing one whose ARR
/// differs gets an expansion, contraction or churn dated `as_of`.
#[derive(Debug, Clone)]
pub struct ContractUpsert {
    pub fields: Valid<ContractFields>,
    pub arr: Cents,
    pub as_of: NaiveDate,
}

#[derive(sqlx::FromRow)]
struct ContractRow {
    id: i64,
    external_id: String,
    account_id: i64,
    name: Option<String>,
    start_date: NaiveDate,
    end_date: NaiveDate,
    currency: String,
    arr_cents: i64,
}

pub(crate) const CONTRACT_COLUMNS: &[&str] = &[
    "external_id",
    "account_id",
    "name",
    "start_date",
    "end_date",
    "currency",
    "arr_cents",
];

pub(crate) fn contract_values(f: &ContractFields, arr: Cents) -> Vec<Value> {
    vec![
        f.external_id.as_str().into(),
        f.account_id.0.into(),
        Value::Text(f.name.as_ref().map(ToString::to_string)),
        f.start_date.into(),
        f.end_date.into(),
        f.currency.as_str().into(),
        arr.0.into(),
    ]
}

pub(crate) const CHANGE_COLUMNS: &[&str] = &[
    "contract_id",
    "account_id",
    "effective_date",
    "kind",
    "arr_before_cents",
    "arr_after_cents",
    "created_at",
];

pub(crate) fn change_values(
    contract: ContractId,
    account: AccountId,
    c: &ArrChange,
    ts: chrono::DateTime<chrono::Utc>,
) -> Vec<Value> {
    vec![
        contract.0.into(),
        account.0.into(),
        c.effective_date.into(),
        c.kind.as_str().into(),
        c.arr_before.0.into(),
        c.arr_after.0.into(),
        ts.into(),
    ]
}

pub(crate) const LINE_ITEM_COLUMNS: &[&str] = &[
    "contract_id",
    "account_id",
    "position",
    "product",
    "quantity",
    "unit_price_cents",
    "discount_bp",
];

pub(crate) fn line_item_values(
    contract: ContractId,
    account: AccountId,
    position: usize,
    item: &LineItem,
) -> Vec<Value> {
    vec![
        contract.0.into(),
        account.0.into(),
        (position as i64).into(),
        item.product.as_str().into(),
        i64::from(item.quantity).into(),
        item.unit_price.0.into(),
        i64::from(item.discount_bp).into(),
    ]
}

const SELECT_CONTRACTS: &str =
    "SELECT id, external_id, account_id, name, start_date, end_date, currency, arr_cents FROM contracts";

impl Store {
    /// Creates or updates contracts by external id in one transaction, recording every ARR
    /// change in the contract's history. Any invalid change writes nothing.
    pub async fn upsert_contracts(&self, contracts: Vec<ContractUpsert>) -> Result<UpsertSummary> {
        let mut tx = self.begin_write().await?;
        let summary = write_contracts(&mut tx, contracts).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Creates one contract, starting its history with a `new` change of `arr`.
    pub async fn create_contract(&self, contract: ContractUpsert) -> Result<Contract> {
        let key = contract.fields.external_id.to_string();
        let mut tx = self.begin_write().await?;
        ensure_new_external_id(&mut tx, "contracts", "contract", &key).await?;
        write_contracts(&mut tx, vec![contract]).await?;
        let created = load_contracts(&mut tx, Which::ExternalIds(std::slice::from_ref(&key)))
            .await?
            .pop();
        tx.commit().await?;
        created.ok_or(StoreError::NotFound { what: "contract", key })
    }

    /// Replaces a contract's fields; its ARR changes only through its history.
    pub async fn update_contract(&self, id: ContractId, fields: Valid<ContractFields>) -> Result<Contract> {
        let mut tx = self.begin_write().await?;
        claim_external_id(&mut tx, "contracts", "contract", id.0, fields.external_id.as_str()).await?;
        let current = load_contracts(&mut tx, Which::Ids(&[id.0])).await?.pop();
        let current = current.ok_or(StoreError::NotFound {
            what: "contract",
            key: id.to_string(),
        })?;
        let as_of = fields.start_date;
        write_contracts(
            &mut tx,
            vec![ContractUpsert {
                fields,
                arr: current.arr,
                as_of,
            }],
        )
        .await?;
        let updated = load_contracts(&mut tx, Which::Ids(&[id.0])).await?.pop();
        tx.commit().await?;
        updated.ok_or(StoreError::NotFound {
            what: "contract",
            key: id.to_string(),
        })
    }

    /// Deletes a contract with its line items and history.
    pub async fn delete_contract(&self, id: ContractId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let account: Option<i64> = Query::sql("SELECT account_id FROM contracts WHERE id = $1")
            .bind(id.0)
            .scalar_optional(&mut tx)
            .await?;
        delete_by_id(&mut tx, "contracts", "contract", id.0).await?;
        refresh_account_rollups(&mut tx, Some(&[account.unwrap_or_default()])).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records one ARR change (an expansion, a renewal, …) after checking it against the
    /// contract's history.
    pub async fn record_contract_change(
        &self,
        contract: ContractId,
        date: NaiveDate,
        kind: ChangeKind,
        arr_after: Cents,
    ) -> Result<ArrChange> {
        let mut tx = self.begin_write().await?;
        let mut found = load_contracts(&mut tx, Which::Ids(&[contract.0])).await?;
        let current = found.pop().ok_or(StoreError::NotFound {
            what: "contract",
            key: contract.to_string(),
        })?;
        let change = record_change_in(&mut tx, current, date, kind, arr_after).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Replaces a contract's line items.
    pub async fn set_line_items(&self, contract: ContractId, items: Vec<Valid<LineItem>>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut found = load_contracts(&mut tx, Which::Ids(&[contract.0])).await?;
        let current = found.pop().ok_or(StoreError::NotFound {
            what: "contract",
            key: contract.to_string(),
        })?;
        Query::sql("DELETE FROM contract_line_items WHERE contract_id = $1")
            .bind(contract.0)
            .execute(&mut tx)
            .await?;
        let rows = items
            .iter()
            .enumerate()
            .map(|(i, item)| line_item_values(contract, current.fields.account_id, i + 1, item))
            .collect();
        insert_rows(&mut tx, "contract_line_items", LINE_ITEM_COLUMNS, rows, "").await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn contract(&self, id: ContractId) -> Result<Option<Contract>> {
        let mut tx = self.begin_snapshot().await?;
        Ok(load_contracts(&mut tx, Which::Ids(&[id.0])).await?.pop())
    }

    /// Every contract with its line items and history, ordered by external id.
    pub async fn contracts(&self) -> Result<Vec<Contract>> {
        let mut tx = self.begin_snapshot().await?;
        let mut all = load_contracts(&mut tx, Which::All).await?;
        all.sort_by(|a, b| a.fields.external_id.cmp(&b.fields.external_id));
        Ok(all)
    }

    /// The contracts of one account.
    pub async fn contracts_of(&self, account: AccountId) -> Result<Vec<Contract>> {
        let mut tx = self.begin_snapshot().await?;
        load_contracts(&mut tx, Which::Account(account)).await
    }

    /// The account's ARR in force at the end of `date`, summed over its contracts' histories.
    pub async fn account_arr_at(&self, account: AccountId, date: NaiveDate) -> Result<Cents> {
        let total = self
            .contracts_of(account)
            .await?
            .iter()
            .map(|c| c.changes.arr_at(date).0)
            .sum();
        Ok(Cents(total))
    }

    pub async fn count_contracts(&self) -> Result<i64> {
        Query::sql("SELECT COUNT(*) FROM contracts").scalar_one_on(self).await
    }
}

/// Upserts contracts inside `tx`, recording each ARR change and refreshing account rollups.
async fn write_contracts(tx: &mut Tx, contracts: Vec<ContractUpsert>) -> Result<UpsertSummary> {
    let keys: Vec<String> = contracts.iter().map(|c| c.fields.external_id.to_string()).collect();
    let existing = load_contracts(tx, Which::ExternalIds(&keys)).await?;
    let existing: HashMap<String, Contract> = existing
        .into_iter()
        .map(|c| (c.fields.external_id.to_string(), c))
        .collect();

    // Decide every change before writing anything.
    let mut pending: Vec<(String, AccountId, ArrChange)> = Vec::new();
    let mut moved: Vec<i64> = Vec::new();
    for c in &contracts {
        let key = c.fields.external_id.to_string();
        let refuse = |e: Invalid| StoreError::Invalid(e);
        match existing.get(&key) {
            // A contract first seen with no ARR (one that lapsed or churned before this
            // import) is kept without a history: the file does not say what it was worth.
            None if c.arr == Cents::ZERO => {}
            None => {
                let mut history = ArrHistory::default();
                let change = history
                    .record(c.fields.start_date, ChangeKind::New, c.arr)
                    .map_err(refuse)?;
                pending.push((key, c.fields.account_id, change));
            }
            Some(old) => {
                if old.fields.account_id != c.fields.account_id {
                    moved.push(old.id.0);
                }
                if let Some(kind) = kind_of_adjustment(old.arr, c.arr) {
                    let mut history = old.changes.clone();
                    let change = history.record(c.as_of, kind, c.arr).map_err(refuse)?;
                    pending.push((key, c.fields.account_id, change));
                }
            }
        }
    }

    let ts = tx.now();
    let rows = contracts.iter().map(|c| contract_values(&c.fields, c.arr)).collect();
    let ids: HashMap<String, i64> = upsert_by_key(tx, "contracts", CONTRACT_COLUMNS, rows)
        .await?
        .into_iter()
        .map(|(id, key)| (key, id))
        .collect();
    let change_rows = pending
        .iter()
        .map(|(key, account, change)| change_values(ContractId(ids[key]), *account, change, ts))
        .collect();
    insert_rows(tx, "contract_changes", CHANGE_COLUMNS, change_rows, "").await?;
    for id in moved {
        for table in ["contract_changes", "contract_line_items"] {
            let sql = format!(
                "UPDATE {table} SET account_id = (SELECT account_id FROM contracts WHERE id = $1) WHERE contract_id = $1"
            );
            Query::sql(&sql).bind(id).execute(tx).await?;
        }
    }
    let mut touched: Vec<i64> = contracts.iter().map(|c| c.fields.account_id.0).collect();
    touched.extend(existing.values().map(|c| c.fields.account_id.0));
    touched.sort_unstable();
    touched.dedup();
    refresh_account_rollups(tx, Some(&touched)).await?;
    Ok(UpsertSummary::of(&keys, |k| existing.contains_key(k), pending.len()))
}

/// Which contracts [`load_contracts`] reads.
pub(crate) enum Which<'a> {
    All,
    Ids(&'a [i64]),
    ExternalIds(&'a [String]),
    Account(AccountId),
}

/// Loads contracts with their line items and their history re-checked by the domain.
/// Records an ARR change on `contract` after checking it against its history, and refreshes
/// its account's figures.
pub(crate) async fn record_change_in(
    tx: &mut Tx,
    mut contract: Contract,
    date: NaiveDate,
    kind: ChangeKind,
    arr_after: Cents,
) -> Result<ArrChange> {
    let change = contract.changes.record(date, kind, arr_after)?;
    let ts = tx.now();
    let row = change_values(contract.id, contract.fields.account_id, &change, ts);
    insert_rows(tx, "contract_changes", CHANGE_COLUMNS, vec![row], "").await?;
    Query::sql("UPDATE contracts SET arr_cents = $1, updated_at = $2 WHERE id = $3")
        .bind(arr_after.0)
        .bind(ts)
        .bind(contract.id.0)
        .execute(tx)
        .await?;
    refresh_account_rollups(tx, Some(&[contract.fields.account_id.0])).await?;
    Ok(change)
}

pub(crate) async fn load_contracts(tx: &mut Tx, which: Which<'_>) -> Result<Vec<Contract>> {
    // (column to filter on, values) per statement; keys are chunked to bound the parameters.
    let filters: Vec<(&str, Vec<Value>)> = match which {
        Which::All => vec![("", vec![])],
        Which::Ids(ids) => ids
            .chunks(500)
            .map(|c| ("id", c.iter().map(|i| Value::from(*i)).collect()))
            .collect(),
        Which::ExternalIds(keys) => keys
            .chunks(500)
            .map(|c| ("external_id", c.iter().map(|k| Value::from(k.as_str())).collect()))
            .collect(),
        Which::Account(a) => vec![("account_id", vec![Value::from(a.0)])],
    };
    let mut rows: Vec<ContractRow> = Vec::new();
    let mut items: Vec<(i64, String, i64, i64, i64)> = Vec::new();
    let mut changes: Vec<(i64, NaiveDate, String, i64)> = Vec::new();
    for (column, values) in filters {
        let (contract_filter, child_filter) = if column.is_empty() {
            (String::new(), String::new())
        } else {
            let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
            let list = placeholders.join(", ");
            (
                format!(" WHERE {column} IN ({list})"),
                format!(" WHERE contract_id IN (SELECT id FROM contracts WHERE {column} IN ({list}))"),
            )
        };
        let sql = format!("{SELECT_CONTRACTS}{contract_filter}");
        let items_sql = format!(
            "SELECT contract_id, product, quantity, unit_price_cents, discount_bp FROM contract_line_items{child_filter} ORDER BY contract_id, position"
        );
        let changes_sql = format!(
            "SELECT contract_id, effective_date, kind, arr_after_cents FROM contract_changes{child_filter} ORDER BY contract_id, effective_date, id"
        );
        on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query_as(&sql);
            bind_values!(q, values.iter().cloned());
            rows.extend(q.fetch_all(&mut *c).await?);
            let mut q = sqlx::query_as(&items_sql);
            bind_values!(q, values.iter().cloned());
            items.extend(q.fetch_all(&mut *c).await?);
            let mut q = sqlx::query_as(&changes_sql);
            bind_values!(q, values.iter().cloned());
            changes.extend(q.fetch_all(&mut *c).await?);
        });
    }

    let mut items_of: HashMap<i64, Vec<LineItem>> = HashMap::new();
    for (contract, product, quantity, unit_price, discount_bp) in items {
        let corrupt = |what: &str| StoreError::Corrupt(format!("contract_line_items.{what} of contract {contract}"));
        items_of.entry(contract).or_default().push(LineItem {
            product: parse("contract_line_items.product", &product)?,
            quantity: u32::try_from(quantity).map_err(|_| corrupt("quantity"))?,
            unit_price: Cents(unit_price),
            discount_bp: u16::try_from(discount_bp).map_err(|_| corrupt("discount_bp"))?,
        });
    }
    let mut changes_of: HashMap<i64, Vec<(NaiveDate, ChangeKind, Cents)>> = HashMap::new();
    for (contract, date, kind, arr_after) in changes {
        changes_of
            .entry(contract)
            .or_default()
            .push((date, parse("contract_changes.kind", &kind)?, Cents(arr_after)));
    }
    rows.into_iter()
        .map(|r| {
            let history = ArrHistory::from_changes(changes_of.remove(&r.id).unwrap_or_default())
                .map_err(|e| StoreError::Corrupt(format!("history of contract {}: {e}", r.external_id)))?;
            if history.current() != Cents(r.arr_cents) {
                return Err(StoreError::Corrupt(format!(
                    "contract {} has ARR {} but its history ends at {}",
                    r.external_id,
                    Cents(r.arr_cents),
                    history.current()
                )));
            }
            Ok(Contract {
                id: ContractId(r.id),
                fields: ContractFields {
                    external_id: parse("contracts.external_id", &r.external_id)?,
                    account_id: AccountId(r.account_id),
                    name: parse_opt("contracts.name", r.name)?,
                    start_date: r.start_date,
                    end_date: r.end_date,
                    currency: lodestar_domain::contract::Currency::parse(&r.currency)
                        .map_err(|e| StoreError::Corrupt(format!("contracts.currency: {e}")))?,
                },
                arr: Cents(r.arr_cents),
                line_items: items_of.remove(&r.id).unwrap_or_default(),
                changes: history,
            })
        })
        .collect()
}
