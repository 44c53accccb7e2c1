//! Experience levels (F-60): the levels admins keep with their entitlements, the level each
//! tier's accounts get, an account placed in another level, and each account's level as the
//! QBR and check-in scheduling (`reviews::overdue_reviews`) and capacity read it.

use std::collections::HashMap;

use lodestar_domain::account::{ChangedValue, FieldChange};
use lodestar_domain::experience::{Entitlements, ExperienceFields, LevelName};
use lodestar_domain::vocabulary::Tier;
use lodestar_domain::{AccountId, UserId, Valid};

use super::timeline::record_edit;
use super::{parse, to_u32};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// A level as stored, with the tiers whose accounts get it and how many live accounts have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperienceLevel {
    pub id: i64,
    pub name: LevelName,
    pub entitlements: Entitlements,
    /// In `Tier::ALL` order.
    pub tiers: Vec<Tier>,
    /// Live accounts at this level, by their tier or placed in it.
    pub accounts: usize,
}

/// The SQL for an account's level: the one it was placed in, else its tier's. Needs the
/// account as `a`.
pub(crate) const LEVEL_OF_ACCOUNT: &str =
    "COALESCE(a.experience_level_id, (SELECT te.level_id FROM tier_experience te WHERE te.tier = a.tier))";

type LevelRow = (i64, String, Option<i64>, Option<i64>, String);

fn level_of(row: LevelRow) -> Result<(i64, LevelName, Entitlements)> {
    let (id, name, qbr, check_in, coverage) = row;
    let name = LevelName::parse(&name).map_err(|e| StoreError::Corrupt(format!("experience_levels.name: {e}")))?;
    let entitlements = Entitlements {
        qbr_every_days: to_u32("experience_levels.qbr_every_days", qbr)?,
        check_in_every_days: to_u32("experience_levels.check_in_every_days", check_in)?,
        coverage: parse("experience_levels.coverage", &coverage)?,
    };
    Ok((id, name, entitlements))
}

/// Every level's entitlements by id.
pub(crate) async fn entitlements_in(tx: &mut Tx) -> Result<HashMap<i64, (LevelName, Entitlements)>> {
    let rows: Vec<LevelRow> =
        Query::sql("SELECT id, name, qbr_every_days, check_in_every_days, coverage FROM experience_levels")
            .fetch_all(tx)
            .await?;
    rows.into_iter()
        .map(|row| level_of(row).map(|(id, name, e)| (id, (name, e))))
        .collect()
}

pub(crate) async fn levels_in(tx: &mut Tx) -> Result<Vec<ExperienceLevel>> {
    let mut levels: Vec<ExperienceLevel> = entitlements_in(tx)
        .await?
        .into_iter()
        .map(|(id, (name, entitlements))| ExperienceLevel {
            id,
            name,
            entitlements,
            tiers: Vec::new(),
            accounts: 0,
        })
        .collect();
    levels.sort_by(|a, b| a.name.cmp(&b.name));
    let tiers: Vec<(String, i64)> = Query::sql("SELECT tier, level_id FROM tier_experience")
        .fetch_all(tx)
        .await?;
    for (tier, level) in tiers {
        let tier: Tier = parse("tier_experience.tier", &tier)?;
        if let Some(l) = levels.iter_mut().find(|l| l.id == level) {
            l.tiers.push(tier);
        }
    }
    let counts: Vec<(Option<i64>, i64)> = Query::sql(format!(
        "SELECT {LEVEL_OF_ACCOUNT}, COUNT(*) FROM accounts a WHERE a.lifecycle_stage <> 'churned' GROUP BY 1"
    ))
    .fetch_all(tx)
    .await?;
    for (level, n) in counts {
        if let Some(l) = levels.iter_mut().find(|l| Some(l.id) == level) {
            l.accounts = usize::try_from(n).unwrap_or_default();
        }
    }
    for l in &mut levels {
        l.tiers.sort();
    }
    // The levels the tiers get first, from strategic down; the others by name.
    levels.sort_by_key(|l| l.tiers.first().copied().map_or(Tier::ALL.len(), |t| t as usize));
    Ok(levels)
}

async fn level_exists(tx: &mut Tx, id: i64) -> Result<LevelName> {
    let name: Option<String> = Query::sql("SELECT name FROM experience_levels WHERE id = ")
        .value(id)
        .scalar_optional(tx)
        .await?;
    let name = name.ok_or_else(|| StoreError::NotFound {
        what: "experience level",
        key: id.to_string(),
    })?;
    LevelName::parse(&name).map_err(|e| StoreError::Corrupt(format!("experience_levels.name: {e}")))
}

/// Writes level `id` (a new one when `None`); returns its id.
async fn write_level(tx: &mut Tx, id: Option<i64>, fields: &ExperienceFields, by: Option<UserId>) -> Result<i64> {
    let sql = match id {
        None => {
            "INSERT INTO experience_levels (name, qbr_every_days, check_in_every_days, coverage, updated_by, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
        }
        Some(_) => {
            "UPDATE experience_levels SET name = $1, qbr_every_days = $2, check_in_every_days = $3, coverage = $4, \
             updated_by = $5, updated_at = $6 WHERE id = $7 RETURNING id"
        }
    };
    let e = fields.entitlements;
    let query = Query::sql(sql)
        .bind(fields.name.as_str())
        .bind(e.qbr_every_days.map(i64::from))
        .bind(e.check_in_every_days.map(i64::from))
        .bind(e.coverage.as_str())
        .bind(by)
        .bind(tx.now());
    match id {
        Some(id) => query.bind(id),
        None => query,
    }
    .scalar_one(tx)
    .await
}

/// Version 30's step: each tier's review cadence, or the practice the code held for a tier
/// without one, becomes a level named after the tier that the tier's accounts get; then the
/// cadences go.
pub(crate) async fn move_cadences_into_levels(tx: &mut Tx) -> Result<()> {
    let rows: Vec<(String, String, i64)> = Query::sql("SELECT tier, meeting_kind, every_days FROM review_cadences")
        .fetch_all(tx)
        .await?;
    let mut set: HashMap<String, (String, i64)> = rows.into_iter().map(|(t, k, d)| (t, (k, d))).collect();
    for tier in Tier::ALL {
        let mut entitlements = Entitlements::default_for(*tier);
        if let Some((kind, days)) = set.remove(tier.as_str()) {
            let days = to_u32("review_cadences.every_days", Some(days))?;
            let is_check_in = kind == "check_in";
            entitlements.qbr_every_days = if is_check_in { None } else { days };
            entitlements.check_in_every_days = if is_check_in { days } else { None };
        }
        let fields = ExperienceFields {
            name: LevelName::parse(tier.label()).map_err(StoreError::Corrupt)?,
            entitlements,
        };
        let id = write_level(tx, None, &fields, None).await?;
        Query::sql("INSERT INTO tier_experience (tier, level_id) VALUES ($1, $2)")
            .bind(tier.as_str())
            .bind(id)
            .execute(tx)
            .await?;
    }
    Query::sql("DROP TABLE review_cadences").execute(tx).await?;
    Ok(())
}

impl Store {
    /// Every level with its tiers and accounts: the tiers' levels first, strategic down.
    pub async fn experience_levels(&self) -> Result<Vec<ExperienceLevel>> {
        let mut tx = self.begin_snapshot().await?;
        levels_in(&mut tx).await
    }

    /// Adds a level; returns its id and every level. A name already taken is a conflict.
    pub async fn create_experience_level(
        &self,
        fields: Valid<ExperienceFields>,
        by: Option<UserId>,
    ) -> Result<(i64, Vec<ExperienceLevel>)> {
        let mut tx = self.begin_write().await?;
        let id = write_level(&mut tx, None, &fields, by).await?;
        let all = levels_in(&mut tx).await?;
        tx.commit().await?;
        Ok((id, all))
    }

    /// Changes a level's name and entitlements; every account at it follows at once.
    pub async fn update_experience_level(
        &self,
        id: i64,
        fields: Valid<ExperienceFields>,
        by: Option<UserId>,
    ) -> Result<Vec<ExperienceLevel>> {
        let mut tx = self.begin_write().await?;
        level_exists(&mut tx, id).await?;
        write_level(&mut tx, Some(id), &fields, by).await?;
        let all = levels_in(&mut tx).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// The level `tier`'s accounts get (those not placed in another).
    pub async fn set_tier_experience(&self, tier: Tier, level: i64) -> Result<Vec<ExperienceLevel>> {
        let mut tx = self.begin_write().await?;
        level_exists(&mut tx, level).await?;
        Query::sql(
            "INSERT INTO tier_experience (tier, level_id) VALUES ($1, $2) \
             ON CONFLICT (tier) DO UPDATE SET level_id = $2",
        )
        .bind(tier.as_str())
        .bind(level)
        .execute(&mut tx)
        .await?;
        let all = levels_in(&mut tx).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// Places `account` in `level`, or (`None`) back in its tier's; on its timeline. Returns
    /// the level it now has, if any.
    pub async fn place_account_experience(
        &self,
        account: AccountId,
        level: Option<i64>,
        by: Option<UserId>,
    ) -> Result<Option<(i64, LevelName)>> {
        let mut tx = self.begin_write().await?;
        let before = account_level_in(&mut tx, account).await?;
        if let Some(l) = level {
            level_exists(&mut tx, l).await?;
        }
        Query::sql("UPDATE accounts SET experience_level_id = ")
            .value(level)
            .push(" WHERE id = ")
            .value(account.0)
            .execute(&mut tx)
            .await?;
        let after = account_level_in(&mut tx, account).await?;
        let shown = |l: &Option<AccountLevel>| {
            l.as_ref().map_or(ChangedValue::Empty, |l| {
                let how = if l.placed { "placed" } else { "by its tier" };
                ChangedValue::Text(format!("{} ({how})", l.name))
            })
        };
        if before != after {
            let change = FieldChange {
                label: "Experience level".into(),
                before: shown(&before),
                after: shown(&after),
            };
            record_edit(&mut tx, account, by, &[change]).await?;
        }
        tx.touch_accounts([account.0]);
        tx.commit().await?;
        Ok(after.map(|l| (l.id, l.name)))
    }

    /// The level `account` has, and whether it was placed there rather than following its tier.
    pub async fn account_experience(&self, account: AccountId) -> Result<Option<AccountLevel>> {
        let mut tx = self.begin_snapshot().await?;
        account_level_in(&mut tx, account).await
    }
}

/// An account's level as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLevel {
    pub id: i64,
    pub name: LevelName,
    pub entitlements: Entitlements,
    /// Placed in this level by hand, not by its tier.
    pub placed: bool,
}

pub(crate) async fn account_level_in(tx: &mut Tx, account: AccountId) -> Result<Option<AccountLevel>> {
    type Row = (Option<i64>, Option<i64>);
    let row: Option<Row> = Query::sql(format!(
        "SELECT {LEVEL_OF_ACCOUNT}, a.experience_level_id FROM accounts a WHERE a.id = "
    ))
    .value(account.0)
    .fetch_optional(tx)
    .await?;
    let (level, placed) = row.ok_or_else(|| StoreError::NotFound {
        what: "account",
        key: account.to_string(),
    })?;
    let Some(level) = level else {
        return Ok(None);
    };
    let mut all = entitlements_in(tx).await?;
    let (name, entitlements) = all
        .remove(&level)
        .ok_or_else(|| StoreError::Corrupt(format!("account {account}: no experience level {level}")))?;
    Ok(Some(AccountLevel {
        id: level,
        name,
        entitlements,
        placed: placed.is_some(),
    }))
}
