//! Health scores (F-20, F-21): scorecards, the recompute that keeps every account's score
//! current, and the score's explanation and history.
//!
//! The score is recomputed in the transaction that changes one of its inputs — events stored,
//! a pulse, a contract, an account's fields, a scorecard — for the accounts concerned, so it is
//! never staler than the data it explains. Time alone moves some measures (days to renewal, the
//! four-week windows): `lodestar health recompute`, and the server once a day, rescore all.

mod inputs;
mod measures;
mod scorecards;

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use lodestar_domain::AccountId;
use lodestar_domain::health::{Band, Change, Health, MeasureScore};
use lodestar_domain::vocabulary::{LifecycleStage, Tier};

pub(crate) use inputs::problem_in;
pub use inputs::{IndustryExposure, PriceThreshold, Problem, Pulse};
pub use measures::MeasureInfo;
pub use scorecards::{Scorecard, default_scorecard};

use self::measures::{MEASURES, Readings, Scope};
use crate::bulk::{Value, insert_rows};
use crate::records::{parse, parse_opt};
use crate::{Result, Store, StoreError, Tx, now, on_tx};

/// Every measure a scorecard can weigh, in the editor's order.
pub fn health_measures() -> Vec<MeasureInfo> {
    MEASURES.iter().map(|m| m.info()).collect()
}

/// What a recompute did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecomputeSummary {
    pub scored: usize,
    /// Accounts with nothing to score (no measure has data, or churned).
    pub unscored: usize,
}

/// Accounts per pass: bounds the id list each measure's query carries.
const PASS: usize = 1000;

/// Rescores `accounts` (every account when `None`) as of today; see the module documentation.
pub(crate) async fn refresh_health(tx: &mut Tx, accounts: Option<&[i64]>) -> Result<RecomputeSummary> {
    refresh_health_as_of(tx, accounts, Utc::now().date_naive()).await
}

/// Rescores as of `today` and keeps that day's snapshot.
pub(crate) async fn refresh_health_as_of(
    tx: &mut Tx,
    accounts: Option<&[i64]>,
    today: NaiveDate,
) -> Result<RecomputeSummary> {
    let cards = scorecards::cards_in(tx).await?;
    let mut summary = RecomputeSummary::default();
    match accounts {
        None => {
            let scope = Scope { accounts: None, today };
            score_scope(tx, &cards, &scope, &mut summary).await?;
        }
        Some(ids) => {
            for chunk in ids.chunks(PASS) {
                let scope = Scope {
                    accounts: Some(chunk.to_vec()),
                    today,
                };
                score_scope(tx, &cards, &scope, &mut summary).await?;
            }
        }
    }
    Ok(summary)
}

async fn score_scope(tx: &mut Tx, cards: &[Scorecard], scope: &Scope, summary: &mut RecomputeSummary) -> Result<()> {
    let sql = format!(
        "SELECT id, tier, lifecycle_stage FROM accounts WHERE 1 = 1{}",
        scope.filter("id")
    );
    let accounts: Vec<(i64, Option<String>, String)> =
        on_tx!(&mut *tx, |c| sqlx::query_as(&sql).fetch_all(&mut *c).await?);
    if accounts.is_empty() {
        return Ok(());
    }
    // Only the measures some card weighs are read.
    let used: HashSet<&str> = cards
        .iter()
        .flat_map(|c| c.fields.measures.iter().map(|m| m.measure.as_str()))
        .collect();
    let mut readings: HashMap<&str, Readings> = HashMap::new();
    for m in MEASURES.iter().filter(|m| used.contains(m.info().key)) {
        readings.insert(m.info().key, m.read(tx, scope).await?);
    }
    let labels: HashMap<&str, &str> = MEASURES.iter().map(|m| (m.info().key, m.info().label)).collect();
    let label = |key: &str| labels.get(key).map_or_else(|| key.to_owned(), |l| (*l).to_owned());
    let (day, at) = (scope.today, now());
    let mut scores = Vec::new();
    let mut snapshots = Vec::new();
    let mut unscored = Vec::new();
    for (id, tier, stage) in accounts {
        let tier: Option<Tier> = parse_opt("accounts.tier", tier)?;
        let stage: LifecycleStage = parse("accounts.lifecycle_stage", &stage)?;
        let card = cards
            .iter()
            .filter_map(|c| c.fields.fit(tier, stage).map(|fit| (fit, c)))
            .max_by_key(|(fit, _)| *fit)
            .map(|(_, c)| c)
            .ok_or_else(|| StoreError::Corrupt("no scorecard scores every account".into()))?;
        let health = if stage == LifecycleStage::Churned {
            None
        } else {
            Health::compute(&card.fields, label, |key| {
                readings.get_mut(key).and_then(|r| r.remove(&id))
            })
        };
        let Some(health) = health else {
            unscored.push(id);
            continue;
        };
        let explained = serde_json::to_string(&health.measures).expect("measure scores serialise");
        let (score, band) = (i64::from(health.score), health.band.as_str());
        scores.push(vec![
            Value::from(id),
            card.id.into(),
            score.into(),
            band.into(),
            explained.clone().into(),
            day.into(),
            at.into(),
        ]);
        snapshots.push(vec![
            Value::from(id),
            day.into(),
            score.into(),
            band.into(),
            explained.into(),
        ]);
    }
    summary.scored += scores.len();
    summary.unscored += unscored.len();
    insert_rows(
        tx,
        "health_scores",
        &[
            "account_id",
            "scorecard_id",
            "score",
            "band",
            "measures",
            "day",
            "computed_at",
        ],
        scores,
        "ON CONFLICT (account_id) DO UPDATE SET scorecard_id = excluded.scorecard_id, score = excluded.score, \
         band = excluded.band, measures = excluded.measures, day = excluded.day, computed_at = excluded.computed_at",
    )
    .await?;
    insert_rows(
        tx,
        "health_snapshots",
        &["account_id", "day", "score", "band", "measures"],
        snapshots,
        "ON CONFLICT (account_id, day) DO UPDATE SET score = excluded.score, band = excluded.band, \
         measures = excluded.measures",
    )
    .await?;
    for chunk in unscored.chunks(PASS) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let sql = format!("DELETE FROM health_scores WHERE account_id IN ({})", list.join(", "));
        on_tx!(&mut *tx, |c| sqlx::query(&sql).execute(&mut *c).await?.rows_affected());
    }
    Ok(())
}

/// A stored 1–5 level (pulse, severity) through its domain type; out of range means the row
/// was not written by Lodestar.
pub(crate) fn stored_level<T>(
    column: &str,
    value: i64,
    make: impl Fn(u8) -> std::result::Result<T, String>,
) -> Result<T> {
    make(u8::try_from(value).unwrap_or(0)).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// An account's score now.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentHealth {
    pub scorecard_id: i64,
    pub scorecard: String,
    /// The day it was scored as of.
    pub day: NaiveDate,
    pub health: Health,
}

/// One day of an account's score history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthPoint {
    pub day: NaiveDate,
    pub score: u32,
    pub band: Band,
}

/// An account's score, its explanation and its history (F-21).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccountHealth {
    /// `None` when nothing could be scored.
    pub current: Option<CurrentHealth>,
    /// One point per day with a snapshot, oldest first: the last 180 days.
    pub history: Vec<HealthPoint>,
    /// The day "what changed" compares with: the last snapshot at least a week old.
    pub since: Option<NaiveDate>,
    /// What moved the score since then, biggest effect first.
    pub changes: Vec<Change>,
}

/// Days of history shown.
const HISTORY_DAYS: u64 = 180;

pub(crate) fn stored_health(score: i64, band: &str, measures: &str) -> Result<Health> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("health score {what}"));
    Ok(Health {
        score: u32::try_from(score).map_err(|_| corrupt("out of range"))?,
        band: Band::parse(band).ok_or_else(|| corrupt("band"))?,
        measures: serde_json::from_str::<Vec<MeasureScore>>(measures).map_err(|_| corrupt("measures"))?,
    })
}

pub(crate) async fn account_health_in(tx: &mut Tx, account: AccountId, today: NaiveDate) -> Result<AccountHealth> {
    let current: Option<(i64, String, i64, String, String, NaiveDate)> = on_tx!(&mut *tx, |c| {
        sqlx::query_as(
            "SELECT h.scorecard_id, s.name, h.score, h.band, h.measures, h.day FROM health_scores h \
             JOIN scorecards s ON s.id = h.scorecard_id WHERE h.account_id = $1",
        )
        .bind(account.0)
        .fetch_optional(&mut *c)
        .await?
    });
    let from = today
        .checked_sub_days(chrono::Days::new(HISTORY_DAYS))
        .unwrap_or(NaiveDate::MIN);
    let history = health_history_in(tx, account, from, today).await?;
    // A churned account has no current score but keeps its history (its retrospective shows it).
    let Some((scorecard_id, scorecard, score, band, measures, day)) = current else {
        return Ok(AccountHealth {
            history,
            ..AccountHealth::default()
        });
    };
    let current = CurrentHealth {
        scorecard_id,
        scorecard,
        day,
        health: stored_health(score, &band, &measures)?,
    };
    let week_ago = current
        .day
        .checked_sub_days(chrono::Days::new(7))
        .unwrap_or(NaiveDate::MIN);
    let before: Option<(NaiveDate, i64, String, String)> = on_tx!(&mut *tx, |c| {
        sqlx::query_as(
            "SELECT day, score, band, measures FROM health_snapshots WHERE account_id = $1 AND day <= $2 \
             ORDER BY day DESC LIMIT 1",
        )
        .bind(account.0)
        .bind(week_ago)
        .fetch_optional(&mut *c)
        .await?
    });
    let (since, changes) = match before {
        Some((day, score, band, measures)) => {
            let before = stored_health(score, &band, &measures)?;
            (Some(day), current.health.changes_since(&before))
        }
        None => (None, Vec::new()),
    };
    Ok(AccountHealth {
        current: Some(current),
        history,
        since,
        changes,
    })
}

/// An account's daily scores from `from` to `to`, oldest first.
async fn health_history_in(
    tx: &mut Tx,
    account: AccountId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<HealthPoint>> {
    let points: Vec<(NaiveDate, i64, String)> = on_tx!(&mut *tx, |c| {
        sqlx::query_as(
            "SELECT day, score, band FROM health_snapshots WHERE account_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
        )
        .bind(account.0)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *c)
        .await?
    });
    points
        .into_iter()
        .map(|(day, score, band)| {
            Ok(HealthPoint {
                day,
                score: u32::try_from(score).map_err(|_| StoreError::Corrupt("health_snapshots.score".into()))?,
                band: Band::parse(&band).ok_or_else(|| StoreError::Corrupt("health_snapshots.band".into()))?,
            })
        })
        .collect()
}

/// Accounts rescored per transaction by a full recompute: short enough that events and edits
/// waiting for the write lock are not held up (100,000 accounts in one transaction would hold
/// it for seconds).
const RECOMPUTE_CHUNK: usize = 2000;

impl Store {
    /// Rescores every account as of `today` (`lodestar health recompute`), a chunk of accounts
    /// per transaction.
    pub async fn recompute_health(&self, today: NaiveDate) -> Result<RecomputeSummary> {
        self.recompute_health_paced(today, std::time::Duration::ZERO).await
    }

    /// [`Store::recompute_health`] with a pause between chunks: a server's background pass
    /// leaves the write lock free long enough for the events and edits queued behind it
    /// (SQLite's busy handler retries every few milliseconds and would lose every race).
    pub async fn recompute_health_paced(
        &self,
        today: NaiveDate,
        pause: std::time::Duration,
    ) -> Result<RecomputeSummary> {
        let mut tx = self.begin_snapshot().await?;
        let ids: Vec<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar("SELECT id FROM accounts ORDER BY id")
            .fetch_all(&mut *c)
            .await?);
        drop(tx);
        let mut summary = RecomputeSummary::default();
        for chunk in ids.chunks(RECOMPUTE_CHUNK) {
            let mut tx = self.begin_write().await?;
            let done = refresh_health_as_of(&mut tx, Some(chunk), today).await?;
            tx.commit().await?;
            summary.scored += done.scored;
            summary.unscored += done.unscored;
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        Ok(summary)
    }

    /// After a change that concerns every account (a scorecard, a setting, a milestone),
    /// committed on its own: rescores all, as of today.
    pub(crate) async fn rescore_all(&self) -> Result<()> {
        self.recompute_health(Utc::now().date_naive()).await.map(|_| ())
    }

    /// The current score and band of each of `accounts` that has one (for lists).
    pub async fn scores_of(&self, accounts: &[AccountId]) -> Result<HashMap<AccountId, (u32, Band)>> {
        let mut out = HashMap::new();
        for chunk in accounts.chunks(PASS) {
            let list: Vec<String> = chunk.iter().map(|a| a.0.to_string()).collect();
            let sql = format!(
                "SELECT account_id, score, band FROM health_scores WHERE account_id IN ({})",
                list.join(", ")
            );
            let rows: Vec<(i64, i64, String)> = crate::on_pool!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?);
            for (id, score, band) in rows {
                let score = u32::try_from(score).map_err(|_| StoreError::Corrupt("health_scores.score".into()))?;
                let band = Band::parse(&band).ok_or_else(|| StoreError::Corrupt("health_scores.band".into()))?;
                out.insert(AccountId(id), (score, band));
            }
        }
        Ok(out)
    }

    /// An account's score with its explanation and history.
    pub async fn account_health(&self, account: AccountId, today: NaiveDate) -> Result<AccountHealth> {
        let mut tx = self.begin_snapshot().await?;
        account_health_in(&mut tx, account, today).await
    }
}
