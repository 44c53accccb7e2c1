//! Customer accounts (F-01).

use std::collections::HashMap;

use chrono::NaiveDate;
use lodestar_domain::account::{Account, AccountFields, creates_cycle};
use lodestar_domain::text::{CustomFields, ExternalId};
use lodestar_domain::user::AccountSlot;
use lodestar_domain::{AccountId, Cents, Invalid, UserId, Valid};

use super::{
    UpsertSummary, claim_external_id, delete_by_id, ensure_new_external_id, ids_by_external_id, parse, parse_opt,
    to_u32, upsert_by_key,
};
use crate::bulk::{Value, insert_rows};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// An account to create or update by external id. When `parent_external_id` is set it wins
/// over `fields.parent_id`, so a file may list a child before its parent.
#[derive(Debug, Clone)]
pub struct AccountUpsert {
    pub fields: Valid<AccountFields>,
    pub parent_external_id: Option<ExternalId>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    id: i64,
    external_id: String,
    name: String,
    domain: Option<String>,
    industry: Option<String>,
    employees: Option<i64>,
    region: Option<String>,
    lifecycle_stage: String,
    tier: Option<String>,
    owner_id: Option<i64>,
    ae_id: Option<i64>,
    sponsor_id: Option<i64>,
    growth_potential: Option<String>,
    engagement_preference: Option<String>,
    launch_date: Option<NaiveDate>,
    first_value_date: Option<NaiveDate>,
    parent_id: Option<i64>,
    custom_fields: String,
    arr_cents: i64,
    renewal_date: Option<NaiveDate>,
}

/// An account with the figures lists show beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSummary {
    pub account: Account,
    /// Current ARR over all its contracts.
    pub arr: Cents,
    /// The earliest end date among its contracts with ARR.
    pub renewal_date: Option<NaiveDate>,
}

impl TryFrom<AccountRow> for AccountSummary {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> Result<AccountSummary> {
        let (arr, renewal_date) = (Cents(r.arr_cents), r.renewal_date);
        Ok(AccountSummary {
            account: Account::try_from(r)?,
            arr,
            renewal_date,
        })
    }
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> Result<Account> {
        Ok(Account {
            id: AccountId(r.id),
            fields: AccountFields {
                external_id: parse("accounts.external_id", &r.external_id)?,
                name: parse("accounts.name", &r.name)?,
                domain: parse_opt("accounts.domain", r.domain)?,
                industry: parse_opt("accounts.industry", r.industry)?,
                employees: to_u32("accounts.employees", r.employees)?,
                region: parse_opt("accounts.region", r.region)?,
                lifecycle_stage: parse("accounts.lifecycle_stage", &r.lifecycle_stage)?,
                tier: parse_opt("accounts.tier", r.tier)?,
                owner_id: r.owner_id.map(UserId),
                ae_id: r.ae_id.map(UserId),
                sponsor_id: r.sponsor_id.map(UserId),
                growth_potential: parse_opt("accounts.growth_potential", r.growth_potential)?,
                engagement_preference: parse_opt("accounts.engagement_preference", r.engagement_preference)?,
                launch_date: r.launch_date,
                first_value_date: r.first_value_date,
                parent_id: r.parent_id.map(AccountId),
                custom_fields: CustomFields::parse_json(&r.custom_fields)
                    .map_err(|e| StoreError::Corrupt(format!("accounts.custom_fields: {e}")))?,
            },
        })
    }
}

pub(crate) const ACCOUNT_COLUMNS: &[&str] = &[
    "external_id",
    "name",
    "domain",
    "industry",
    "employees",
    "region",
    "lifecycle_stage",
    "tier",
    "owner_id",
    "ae_id",
    "sponsor_id",
    "growth_potential",
    "engagement_preference",
    "launch_date",
    "first_value_date",
    "parent_id",
    "custom_fields",
];

pub(crate) fn account_values(f: &AccountFields) -> Vec<Value> {
    vec![
        f.external_id.as_str().into(),
        f.name.as_str().into(),
        Value::text_of(&f.domain),
        Value::text_of(&f.industry),
        f.employees.map(i64::from).into(),
        Value::text_of(&f.region),
        f.lifecycle_stage.as_str().into(),
        Value::text_of(&f.tier),
        f.owner_id.map(|u| u.0).into(),
        f.ae_id.map(|u| u.0).into(),
        f.sponsor_id.map(|u| u.0).into(),
        Value::text_of(&f.growth_potential),
        Value::text_of(&f.engagement_preference),
        f.launch_date.into(),
        f.first_value_date.into(),
        f.parent_id.map(|a| a.0).into(),
        f.custom_fields.to_json().into(),
    ]
}

pub(crate) const SELECT_ACCOUNTS: &str = "SELECT id, external_id, name, domain, industry, employees, region, lifecycle_stage, \
     tier, owner_id, ae_id, sponsor_id, growth_potential, engagement_preference, launch_date, first_value_date, \
     parent_id, custom_fields, arr_cents, renewal_date FROM accounts";

impl Store {
    /// Creates or updates accounts by external id in one transaction. Checks that every
    /// referenced user exists and may hold the slot (owner, AE, sponsor), that every parent
    /// exists, and that no parent chain loops; any failure writes nothing.
    pub async fn upsert_accounts(&self, accounts: Vec<AccountUpsert>) -> Result<UpsertSummary> {
        let mut tx = self.begin_write().await?;
        let summary = write_accounts(&mut tx, accounts).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Creates one account; refuses an external id that is already taken.
    pub async fn create_account(&self, fields: Valid<AccountFields>) -> Result<AccountSummary> {
        let key = fields.external_id.to_string();
        let mut tx = self.begin_write().await?;
        ensure_new_external_id(&mut tx, "accounts", "account", &key).await?;
        write_accounts(
            &mut tx,
            vec![AccountUpsert {
                fields,
                parent_external_id: None,
            }],
        )
        .await?;
        let id = ids_by_external_id(&mut tx, "accounts").await?[&key];
        tx.commit().await?;
        self.account_summary(AccountId(id))
            .await?
            .ok_or(StoreError::NotFound { what: "account", key })
    }

    /// Replaces every field of an existing account (its external id too, if not taken).
    /// Replaces an account's fields and records what changed on its timeline, as done by
    /// `actor` (no one for a system change).
    pub async fn update_account(
        &self,
        id: AccountId,
        fields: Valid<AccountFields>,
        actor: Option<UserId>,
    ) -> Result<AccountSummary> {
        if fields.parent_id == Some(id) {
            return Err(Invalid::field("parent_id", "an account cannot be its own parent").into());
        }
        let mut tx = self.begin_write().await?;
        let sql = format!("{SELECT_ACCOUNTS} WHERE id = $1");
        let before: Option<AccountRow> = Query::sql(&sql).bind(id.0).fetch_optional(&mut tx).await?;
        let before = before.map(Account::try_from).transpose()?.ok_or(StoreError::NotFound {
            what: "account",
            key: id.to_string(),
        })?;
        claim_external_id(&mut tx, "accounts", "account", id.0, fields.external_id.as_str()).await?;
        let changes = fields.changes_since(&before.fields);
        write_accounts(
            &mut tx,
            vec![AccountUpsert {
                fields,
                parent_external_id: None,
            }],
        )
        .await?;
        super::timeline::record_edit(&mut tx, id, actor, &changes).await?;
        // A new launch date opens (or moves) every milestone's window, and what it reaches
        // counts in the score.
        super::milestones::check_milestones(&mut tx, Some(&[id.0].into())).await?;
        tx.touch_accounts([id.0]);
        tx.commit().await?;
        self.account_summary(id).await?.ok_or(StoreError::NotFound {
            what: "account",
            key: id.to_string(),
        })
    }

    /// Deletes an account with its contacts and contracts; its subsidiaries lose their parent.
    pub async fn delete_account(&self, id: AccountId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        Query::sql("UPDATE accounts SET parent_id = NULL WHERE parent_id = $1")
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        super::health::delete_snapshots_of(&mut tx, id).await?;
        delete_by_id(&mut tx, "accounts", "account", id.0).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One account with its ARR and next renewal.
    pub async fn account_summary(&self, id: AccountId) -> Result<Option<AccountSummary>> {
        let sql = format!("{SELECT_ACCOUNTS} WHERE id = $1");
        let row: Option<AccountRow> = Query::sql(&sql).bind(id.0).fetch_optional_on(self).await?;
        row.map(AccountSummary::try_from).transpose()
    }

    pub async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        let sql = format!("{SELECT_ACCOUNTS} WHERE id = $1");
        let row: Option<AccountRow> = Query::sql(&sql).bind(id.0).fetch_optional_on(self).await?;
        row.map(Account::try_from).transpose()
    }

    pub async fn account_by_external_id(&self, key: &ExternalId) -> Result<Option<Account>> {
        let sql = format!("{SELECT_ACCOUNTS} WHERE external_id = $1");
        let row: Option<AccountRow> = Query::sql(&sql).bind(key.as_str()).fetch_optional_on(self).await?;
        row.map(Account::try_from).transpose()
    }

    /// Every account, ordered by external id (the stable order of exports).
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        let sql = format!("{SELECT_ACCOUNTS} ");
        let mut rows: Vec<AccountRow> = Query::sql(&sql).fetch_all_on(self).await?;
        // Sorted here, not in SQL: byte order is the same on both backends whatever the
        // PostgreSQL collation, so exports of equal data are equal files.
        rows.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        rows.into_iter().map(Account::try_from).collect()
    }

    pub async fn count_accounts(&self) -> Result<i64> {
        Query::sql("SELECT COUNT(*) FROM accounts").scalar_one_on(self).await
    }

    /// Every account's external id with its row id.
    pub async fn account_ids(&self) -> Result<HashMap<String, AccountId>> {
        let mut tx = self.begin_snapshot().await?;
        let ids = ids_by_external_id(&mut tx, "accounts").await?;
        Ok(ids.into_iter().map(|(k, v)| (k, AccountId(v))).collect())
    }
}

/// Upserts accounts inside `tx` after checking user slots, then links parents named by
/// external id and checks the hierarchy.
async fn write_accounts(tx: &mut Tx, accounts: Vec<AccountUpsert>) -> Result<UpsertSummary> {
    let roles = Store::roles(tx).await?;
    for a in &accounts {
        check_slots(&a.fields, &roles)?;
    }
    let keys: Vec<String> = accounts.iter().map(|a| a.fields.external_id.to_string()).collect();
    let sponsors_before = sponsors_of(tx, &keys).await?;

    let rows = accounts.iter().map(|a| account_values(&a.fields)).collect();
    let written = upsert_by_key(tx, "accounts", ACCOUNT_COLUMNS, rows).await?;
    record_sponsor_changes(tx, &accounts, &sponsors_before, &written).await?;

    let with_parent_key: Vec<&AccountUpsert> = accounts.iter().filter(|a| a.parent_external_id.is_some()).collect();
    if !with_parent_key.is_empty() {
        let ids = ids_by_external_id(tx, "accounts").await?;
        for a in with_parent_key {
            let parent_key = a.parent_external_id.as_ref().expect("filtered on is_some");
            let parent = *ids
                .get(parent_key.as_str())
                .ok_or_else(|| Invalid::field("parent_id", format!("no account has the external id {parent_key}")))?;
            let me = ids[a.fields.external_id.as_str()];
            Query::sql("UPDATE accounts SET parent_id = $1 WHERE id = $2")
                .bind(parent)
                .bind(me)
                .execute(tx)
                .await?;
        }
    }
    check_hierarchy(tx, written.iter().map(|(id, _)| AccountId(*id))).await?;
    super::usage::place_waiting_usage(tx, &keys).await?;
    // Tier, stage and industry choose the scorecard and feed its measures.
    tx.touch_accounts(written.iter().map(|(id, _)| *id));
    Ok(UpsertSummary::of(&keys, |k| sponsors_before.contains_key(k), 0))
}

/// The executive sponsor of each existing account among `keys` (absent: no such account yet).
async fn sponsors_of(tx: &mut Tx, keys: &[String]) -> Result<HashMap<String, Option<i64>>> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(500) {
        let rows: Vec<(String, Option<i64>)> =
            Query::sql("SELECT external_id, sponsor_id FROM accounts WHERE external_id IN (")
                .list(chunk.iter().map(String::as_str))
                .push(")")
                .fetch_all(tx)
                .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Writes a `sponsor_changes` row for each account whose sponsor differs from before (a new
/// account with a sponsor included).
async fn record_sponsor_changes(
    tx: &mut Tx,
    accounts: &[AccountUpsert],
    before: &HashMap<String, Option<i64>>,
    written: &[(i64, String)],
) -> Result<()> {
    let ids: HashMap<&str, i64> = written.iter().map(|(id, key)| (key.as_str(), *id)).collect();
    let at = tx.now();
    let rows: Vec<Vec<Value>> = accounts
        .iter()
        .filter_map(|a| {
            let key = a.fields.external_id.as_str();
            let now = a.fields.sponsor_id.map(|u| u.0);
            let was = before.get(key).copied().flatten();
            let changed = before.get(key).map_or(now.is_some(), |was| *was != now);
            let id = *ids.get(key)?;
            changed.then(|| vec![Value::from(id), now.into(), was.into(), at.into()])
        })
        .collect();
    insert_rows(
        tx,
        "sponsor_changes",
        &["account_id", "sponsor_id", "previous_sponsor_id", "changed_at"],
        rows,
        "",
    )
    .await
}

fn check_slots(f: &AccountFields, roles: &HashMap<UserId, (String, lodestar_domain::vocabulary::Role)>) -> Result<()> {
    for (slot, user) in [
        (AccountSlot::Owner, f.owner_id),
        (AccountSlot::AccountExecutive, f.ae_id),
        (AccountSlot::ExecutiveSponsor, f.sponsor_id),
    ] {
        let Some(user) = user else { continue };
        let (email, role) = roles
            .get(&user)
            .ok_or_else(|| Invalid::field(slot.field(), format!("user {user} does not exist")))?;
        if !slot.accepts(*role) {
            return Err(Invalid::field(slot.field(), slot.refusal(email, *role)).into());
        }
    }
    Ok(())
}

/// Refuses any parent chain through `changed` that loops back on itself.
async fn check_hierarchy(tx: &mut Tx, changed: impl Iterator<Item = AccountId>) -> Result<()> {
    let pairs: Vec<(i64, i64)> = Query::sql("SELECT id, parent_id FROM accounts WHERE parent_id IS NOT NULL")
        .fetch_all(tx)
        .await?;
    let parent_of: HashMap<AccountId, AccountId> =
        pairs.into_iter().map(|(c, p)| (AccountId(c), AccountId(p))).collect();
    for id in changed {
        let Some(&parent) = parent_of.get(&id) else {
            continue;
        };
        if parent == id {
            return Err(Invalid::field("parent_id", "an account cannot be its own parent").into());
        }
        let lookup = |a: AccountId| {
            if a == id { None } else { parent_of.get(&a).copied() }
        };
        if creates_cycle(id, parent, lookup) {
            return Err(Invalid::field("parent_id", format!("account {id} would become its own ancestor")).into());
        }
    }
    Ok(())
}
