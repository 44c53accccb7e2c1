//! Segmentation (F-60): the tier formula an admin keeps, the preview of which accounts it
//! would move to another tier, and applying it in one transaction — the formula saved, each
//! tier changed on its account's timeline, the accounts rescored (the tier picks their
//! scorecard).

use lodestar_domain::account::{ChangedValue, FieldChange};
use lodestar_domain::qbr::percentile_rank;
use lodestar_domain::segment::{Metrics, TierFormula};
use lodestar_domain::vocabulary::Tier;
use lodestar_domain::{AccountId, Cents, UserId, Valid};

use super::parse_opt;
use super::timeline::record_edit;
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// An account the formula would move to another tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierChange {
    pub account: AccountId,
    pub name: String,
    pub arr: Cents,
    pub score: u32,
    pub from: Option<Tier>,
    pub to: Tier,
}

/// What a formula would do: the changes (largest ARR first) and how many live accounts each
/// tier would hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierPreview {
    pub changes: Vec<TierChange>,
    /// In `Tier::ALL` order.
    pub tier_sizes: Vec<(Tier, usize)>,
    pub accounts: usize,
}

type FormulaRow = (i64, i64, i64, i64, i64, i64, i64);

async fn formula_in(tx: &mut Tx) -> Result<TierFormula> {
    let row: Option<FormulaRow> = Query::sql(
        "SELECT arr_weight, growth_weight, engagement_weight, preference_weight, strategic_from, enterprise_from, \
         mid_tier_from FROM segment_formula WHERE singleton = 1",
    )
    .fetch_optional(tx)
    .await?;
    let Some((a, g, e, p, s, en, m)) = row else {
        return Ok(TierFormula::default());
    };
    let n = |v: i64| u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("segment_formula: {v}")));
    Ok(TierFormula {
        arr_weight: n(a)?,
        growth_weight: n(g)?,
        engagement_weight: n(e)?,
        preference_weight: n(p)?,
        strategic_from: n(s)?,
        enterprise_from: n(en)?,
        mid_tier_from: n(m)?,
    })
}

/// The formula run over every live account.
async fn preview_in(tx: &mut Tx, formula: &TierFormula) -> Result<TierPreview> {
    type Row = (
        i64,
        String,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let rows: Vec<Row> = Query::sql(
        "SELECT a.id, a.name, a.arr_cents, a.tier, a.growth_potential, a.engagement_preference, h.score \
         FROM accounts a LEFT JOIN health_scores h ON h.account_id = a.id WHERE a.lifecycle_stage <> 'churned'",
    )
    .fetch_all(tx)
    .await?;
    let arrs: Vec<f64> = rows.iter().map(|r| r.2 as f64).collect();
    let mut changes = Vec::new();
    let mut sizes = vec![0usize; Tier::ALL.len()];
    for (id, name, arr, tier, growth, preference, score) in rows {
        let from: Option<Tier> = parse_opt("accounts.tier", tier)?;
        let metrics = Metrics {
            arr_rank: percentile_rank(arr as f64, &arrs),
            growth: parse_opt("accounts.growth_potential", growth)?,
            engagement: score.and_then(|s| u32::try_from(s).ok()),
            preference: parse_opt("accounts.engagement_preference", preference)?,
        };
        let score = formula.score(&metrics);
        let to = formula.tier_for(score);
        sizes[Tier::ALL.iter().position(|t| *t == to).expect("every tier is in ALL")] += 1;
        if from != Some(to) {
            changes.push(TierChange {
                account: AccountId(id),
                name,
                arr: Cents(arr),
                score,
                from,
                to,
            });
        }
    }
    changes.sort_by(|a, b| b.arr.cmp(&a.arr).then(a.account.cmp(&b.account)));
    Ok(TierPreview {
        changes,
        tier_sizes: Tier::ALL.iter().copied().zip(sizes.iter().copied()).collect(),
        accounts: arrs.len(),
    })
}

impl Store {
    pub async fn segment_formula(&self) -> Result<TierFormula> {
        let mut tx = self.begin_snapshot().await?;
        formula_in(&mut tx).await
    }

    /// What `formula` would change, without changing anything.
    pub async fn preview_tiers(&self, formula: &Valid<TierFormula>) -> Result<TierPreview> {
        let mut tx = self.begin_snapshot().await?;
        preview_in(&mut tx, formula).await
    }

    /// Saves `formula` and moves every account it places in another tier, in one transaction.
    /// `expected` is the number of changes the admin's preview showed: if the accounts moved
    /// since (another count), nothing is written (409) and the preview should be read again.
    pub async fn apply_tier_formula(
        &self,
        formula: Valid<TierFormula>,
        expected: usize,
        by: Option<UserId>,
    ) -> Result<usize> {
        let f = formula.into_inner();
        let mut tx = self.begin_write().await?;
        let preview = preview_in(&mut tx, &f).await?;
        if preview.changes.len() != expected {
            return Err(StoreError::Conflict(format!(
                "the formula now changes {} accounts, not the {expected} of the preview: look at the preview again",
                preview.changes.len()
            )));
        }
        let now = tx.now();
        Query::sql(
            "INSERT INTO segment_formula (singleton, arr_weight, growth_weight, engagement_weight, preference_weight, \
             strategic_from, enterprise_from, mid_tier_from, updated_by, updated_at) \
             VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (singleton) DO UPDATE SET \
             arr_weight = $1, growth_weight = $2, engagement_weight = $3, preference_weight = $4, \
             strategic_from = $5, enterprise_from = $6, mid_tier_from = $7, updated_by = $8, updated_at = $9",
        )
        .bind(i64::from(f.arr_weight))
        .bind(i64::from(f.growth_weight))
        .bind(i64::from(f.engagement_weight))
        .bind(i64::from(f.preference_weight))
        .bind(i64::from(f.strategic_from))
        .bind(i64::from(f.enterprise_from))
        .bind(i64::from(f.mid_tier_from))
        .bind(by)
        .bind(now)
        .execute(&mut tx)
        .await?;
        for c in &preview.changes {
            Query::sql("UPDATE accounts SET tier = $1, updated_at = $2 WHERE id = $3")
                .bind(c.to.as_str())
                .bind(now)
                .bind(c.account)
                .execute(&mut tx)
                .await?;
            let change = FieldChange {
                label: "Tier".into(),
                before: c
                    .from
                    .map_or(ChangedValue::Empty, |t| ChangedValue::Text(t.label().into())),
                after: ChangedValue::Text(c.to.label().into()),
            };
            record_edit(&mut tx, c.account, by, &[change]).await?;
        }
        tx.touch_accounts(preview.changes.iter().map(|c| c.account.0));
        tx.commit().await?;
        Ok(preview.changes.len())
    }
}
