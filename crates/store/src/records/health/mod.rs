//! Health scores (F-20, F-21): scorecards, the recompute that keeps every account's score
//! current, and the score's explanation and history.
//!
//! The score is recomputed in the transaction that changes one of its inputs — events stored,
//! a pulse, a contract, an account's fields, a scorecard — for the accounts concerned, so it is
//! never staler than the data it explains. Time alone moves some measures (days to renewal, the
//! four-week windows): `lodestar health recompute`, and the server once a day, rescore all.

mod explanation;
mod inputs;
mod measures;
mod scorecards;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::AccountId;
use lodestar_domain::health::{Band, Change, Health};
use lodestar_domain::vocabulary::{LifecycleStage, Tier};

pub(crate) use inputs::problem_in;
pub use inputs::{IndustryExposure, PriceThreshold, Problem, Pulse};
pub use measures::MeasureInfo;
pub use scorecards::{Scorecard, default_scorecard};

use self::measures::{MEASURES, Readings, Scope};
use crate::bulk::{Value, insert_rows};
use crate::query::Query;
use crate::records::{parse, parse_opt};
use crate::{Result, Store, StoreError, Tx};

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
const PASS: usize = 2000;

/// Rescores `accounts` (every account when `None`) as of the clock's today, keeping that
/// day's snapshot; see the module documentation. [`Tx::commit`] calls it for the accounts the
/// transaction touched.
pub(crate) async fn refresh_health(tx: &mut Tx, accounts: Option<&[i64]>) -> Result<RecomputeSummary> {
    let today = tx.today();
    let cards = scorecards::cards_in(tx).await?;
    let mut summary = RecomputeSummary::default();
    match accounts {
        None => {
            let scope = Scope::new(None, today);
            score_scope(tx, &cards, &scope, &mut summary).await?;
        }
        Some(ids) => {
            for chunk in ids.chunks(PASS) {
                let scope = Scope::new(Some(chunk.to_vec()), today);
                score_scope(tx, &cards, &scope, &mut summary).await?;
            }
        }
    }
    Ok(summary)
}

async fn score_scope(tx: &mut Tx, cards: &[Scorecard], scope: &Scope, summary: &mut RecomputeSummary) -> Result<()> {
    let assessed = assess(tx, cards, scope).await?;
    summary.scored += assessed.scored.len();
    summary.unscored += assessed.unscored.len();
    write_assessed(tx, assessed).await
}

/// One account's new score.
struct Scored {
    account: i64,
    scorecard: i64,
    score: i64,
    band: Band,
    explanation: String,
}

/// The scores of a scope as of its day, ready to be written.
struct Assessed {
    day: NaiveDate,
    scored: Vec<Scored>,
    /// Accounts with nothing to score.
    unscored: Vec<i64>,
}

/// Reads the measures of the scope's accounts and scores them.
async fn assess(tx: &mut Tx, cards: &[Scorecard], scope: &Scope) -> Result<Assessed> {
    let accounts: Vec<(i64, Option<String>, String)> = scope
        .facts(tx)
        .await?
        .iter()
        .map(|a| (a.id, a.tier.clone(), a.lifecycle_stage.clone()))
        .collect();
    let mut assessed = Assessed {
        day: scope.today,
        scored: Vec::new(),
        unscored: Vec::new(),
    };
    if accounts.is_empty() {
        return Ok(assessed);
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
        match health {
            Some(health) => assessed.scored.push(Scored {
                account: id,
                scorecard: card.id.0,
                score: i64::from(health.score),
                band: health.band,
                explanation: explanation::to_json(&health.measures),
            }),
            None => assessed.unscored.push(id),
        }
    }
    Ok(assessed)
}

/// Writes assessed scores: each account's current score and its snapshot of the day. A score
/// identical to the one stored for the same day (card, figures and explanation) is left as it
/// is: rescoring everyone after one segment's card changed rewrites only that segment.
async fn write_assessed(tx: &mut Tx, mut assessed: Assessed) -> Result<()> {
    let (day, at) = (assessed.day, tx.now());
    let stored = stored_scores_of(tx, &assessed).await?;
    // A score turning red (or first scored red) opens a reactive QBR (F-35).
    let turned_red: Vec<i64> = assessed
        .scored
        .iter()
        .filter(|s| s.band == Band::Red && stored.get(&s.account).is_none_or(|st| st.band != Band::Red.as_str()))
        .map(|s| s.account)
        .collect();
    assessed.scored.retain(|s| {
        stored.get(&s.account).is_none_or(|st| {
            (
                st.day,
                st.scorecard,
                st.score,
                st.band.as_str(),
                st.explanation.as_deref(),
            ) != (day, s.scorecard, s.score, s.band.as_str(), Some(s.explanation.as_str()))
        })
    });
    let mut scores = Vec::with_capacity(assessed.scored.len());
    let mut snapshots = Vec::with_capacity(assessed.scored.len());
    for s in assessed.scored {
        scores.push(vec![
            Value::from(s.account),
            s.scorecard.into(),
            s.score.into(),
            s.band.as_str().into(),
            day.into(),
            at.into(),
        ]);
        snapshots.push(vec![
            Value::from(day),
            s.account.into(),
            s.score.into(),
            s.band.as_str().into(),
            s.explanation.into(),
        ]);
    }
    insert_rows(
        tx,
        "health_scores",
        &["account_id", "scorecard_id", "score", "band", "day", "computed_at"],
        scores,
        "ON CONFLICT (account_id) DO UPDATE SET scorecard_id = excluded.scorecard_id, score = excluded.score, \
         band = excluded.band, day = excluded.day, computed_at = excluded.computed_at",
    )
    .await?;
    insert_rows(
        tx,
        "health_snapshots",
        &["day", "account_id", "score", "band", "measures"],
        snapshots,
        "ON CONFLICT (day, account_id) DO UPDATE SET score = excluded.score, band = excluded.band, \
         measures = excluded.measures",
    )
    .await?;
    for chunk in assessed.unscored.chunks(PASS) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let sql = format!("DELETE FROM health_scores WHERE account_id IN ({})", list.join(", "));
        Query::sql(&sql).execute(tx).await?;
    }
    for chunk in turned_red.chunks(PASS) {
        crate::records::reviews::open_reactive_qbrs(tx, chunk, "its health turned red").await?;
    }
    Ok(())
}

/// An account's stored score, and its explanation when its snapshot is of the same day.
struct StoredScore {
    day: NaiveDate,
    scorecard: i64,
    score: i64,
    band: String,
    explanation: Option<String>,
}

/// The stored scores of the assessed accounts, by account.
async fn stored_scores_of(tx: &mut Tx, assessed: &Assessed) -> Result<HashMap<i64, StoredScore>> {
    let mut out = HashMap::new();
    let ids: Vec<i64> = assessed.scored.iter().map(|s| s.account).collect();
    for chunk in ids.chunks(PASS) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT h.account_id, h.day, h.scorecard_id, h.score, h.band, n.measures FROM health_scores h \
             LEFT JOIN health_snapshots n ON n.day = h.day AND n.account_id = h.account_id \
             WHERE h.account_id IN ({})",
            list.join(", ")
        );
        let rows: Vec<(i64, NaiveDate, i64, i64, String, Option<String>)> = Query::sql(&sql).fetch_all(tx).await?;
        out.extend(rows.into_iter().map(|(id, day, scorecard, score, band, explanation)| {
            (
                id,
                StoredScore {
                    day,
                    scorecard,
                    score,
                    band,
                    explanation,
                },
            )
        }));
    }
    Ok(out)
}

/// When each account's stored score was computed (no entry: no score).
async fn score_stamps(tx: &mut Tx, accounts: &[i64]) -> Result<HashMap<i64, DateTime<Utc>>> {
    let list: Vec<String> = accounts.iter().map(i64::to_string).collect();
    let sql = format!(
        "SELECT account_id, computed_at FROM health_scores WHERE account_id IN ({})",
        list.join(", ")
    );
    let rows: Vec<(i64, DateTime<Utc>)> = Query::sql(&sql).fetch_all(tx).await?;
    Ok(rows.into_iter().collect())
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
        measures: explanation::from_json(measures, measure_label).ok_or_else(|| corrupt("measures"))?,
    })
}

/// A measure's label by its key (the key itself for a measure Lodestar no longer has).
fn measure_label(key: &str) -> String {
    MEASURES
        .iter()
        .map(|m| m.info())
        .find(|m| m.key == key)
        .map_or_else(|| key.to_owned(), |m| m.label.to_owned())
}

pub(crate) async fn account_health_in(tx: &mut Tx, account: AccountId, today: NaiveDate) -> Result<AccountHealth> {
    let current: Option<(i64, String, i64, String, NaiveDate)> = Query::sql(
        "SELECT h.scorecard_id, s.name, h.score, h.band, h.day FROM health_scores h \
             JOIN scorecards s ON s.id = h.scorecard_id WHERE h.account_id = $1",
    )
    .bind(account.0)
    .fetch_optional(tx)
    .await?;
    let from = today
        .checked_sub_days(chrono::Days::new(HISTORY_DAYS))
        .unwrap_or(NaiveDate::MIN);
    let history = health_history_in(tx, account, from, today).await?;
    // A churned account has no current score but keeps its history (its retrospective shows it).
    let Some((scorecard_id, scorecard, score, band, day)) = current else {
        return Ok(AccountHealth {
            history,
            ..AccountHealth::default()
        });
    };
    let measures = snapshot_explanation(tx, account, day)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("account {account} has a score but no snapshot of {day}")))?;
    let current = CurrentHealth {
        scorecard_id,
        scorecard,
        day,
        health: stored_health(score, &band, &measures)?,
    };
    // "What changed" compares with the last snapshot at least a week old.
    let week_ago = current
        .day
        .checked_sub_days(chrono::Days::new(7))
        .unwrap_or(NaiveDate::MIN);
    let before = health_history_in(tx, account, week_ago - chrono::Days::new(HISTORY_DAYS), week_ago)
        .await?
        .pop();
    let (since, changes) = match before {
        Some(point) => {
            let measures = snapshot_explanation(tx, account, point.day)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("snapshot of {} vanished", point.day)))?;
            let before = stored_health(i64::from(point.score), point.band.as_str(), &measures)?;
            (Some(point.day), current.health.changes_since(&before))
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

/// The explanation of an account's snapshot of `day`.
async fn snapshot_explanation(tx: &mut Tx, account: AccountId, day: NaiveDate) -> Result<Option<String>> {
    Query::sql("SELECT measures FROM health_snapshots WHERE day = $1 AND account_id = $2")
        .bind(day)
        .bind(account.0)
        .scalar_optional(tx)
        .await
}

/// `'2026-01-01', '2026-01-02', …`: every day from `from` to `to`, as SQL literals.
fn day_list(from: NaiveDate, to: NaiveDate) -> String {
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|d| format!("'{d}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An account's daily scores from `from` to `to`, oldest first. Snapshots are keyed by day
/// first (each day's are appended together), so one account's are found day by day: the
/// days are listed, each an index lookup.
async fn health_history_in(
    tx: &mut Tx,
    account: AccountId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<HealthPoint>> {
    if from > to {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT day, score, band FROM health_snapshots WHERE day IN ({}) AND account_id = $1 ORDER BY day",
        day_list(from, to)
    );
    let points: Vec<(NaiveDate, i64, String)> = Query::sql(&sql).bind(account.0).fetch_all(tx).await?;
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

/// Deletes an account's snapshots (the table is keyed by day, so it has no foreign key whose
/// cascade would have to scan it): day by day, from the first snapshot to the last.
pub(crate) async fn delete_snapshots_of(tx: &mut Tx, account: AccountId) -> Result<()> {
    let span: (Option<NaiveDate>, Option<NaiveDate>) = Query::sql("SELECT MIN(day), MAX(day) FROM health_snapshots")
        .fetch_one(tx)
        .await?;
    let (Some(first), Some(last)) = span else {
        return Ok(());
    };
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    for chunk in days.chunks(500) {
        let (from, to) = (chunk[0], chunk[chunk.len() - 1]);
        let sql = format!(
            "DELETE FROM health_snapshots WHERE day IN ({}) AND account_id = $1",
            day_list(from, to)
        );
        Query::sql(&sql).bind(account.0).execute(tx).await?;
    }
    Ok(())
}

#[cfg(feature = "testing")]
impl Store {
    /// Test support: one chunk of a full recompute with `between` run after its measures were
    /// read and before its scores are written.
    pub async fn recompute_chunk_around(
        &self,
        ids: &[i64],
        today: NaiveDate,
        between: impl std::future::Future<Output = ()>,
    ) -> Result<RecomputeSummary> {
        let mut tx = self.begin_write().await?;
        let cards = scorecards::cards_in(&mut tx).await?;
        tx.commit().await?;
        let read = self.assess_chunk(&cards, ids, today).await?;
        between.await;
        self.write_chunk(read).await
    }

    /// Test support: see `measures::activity_both_ways`.
    pub async fn usage_activity_both_ways(&self, today: NaiveDate) -> Result<[Vec<(i64, [i64; 4])>; 2]> {
        let mut tx = self.begin_snapshot().await?;
        measures::activity_both_ways(&mut tx, today).await
    }
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
        // The cards first, in a write transaction: the default one is created on first use.
        let mut tx = self.begin_write().await?;
        let cards = scorecards::cards_in(&mut tx).await?;
        let ids: Vec<i64> = Query::sql("SELECT id FROM accounts ORDER BY id")
            .scalars(&mut tx)
            .await?;
        tx.commit().await?;
        // A pipeline on two connections: while one chunk's scores are written, the next
        // chunk's measures are read (both cores busy, the write lock held only to write).
        let mut summary = RecomputeSummary::default();
        let mut chunks = ids.chunks(RECOMPUTE_CHUNK);
        let mut reading = match chunks.next() {
            Some(first) => self.assess_chunk(&cards, first, today).await?,
            None => return Ok(summary),
        };
        loop {
            let next = chunks.next();
            let (read, written) = tokio::join!(
                async {
                    match next {
                        Some(chunk) => self.assess_chunk(&cards, chunk, today).await.map(Some),
                        None => Ok(None),
                    }
                },
                self.write_chunk(reading)
            );
            let done = written?;
            summary.scored += done.scored;
            summary.unscored += done.unscored;
            match read? {
                Some(assessed) => reading = assessed,
                None => return Ok(summary),
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
    }

    /// Scores a chunk of accounts in a read snapshot, noting when each stored score was
    /// computed as that snapshot saw it.
    async fn assess_chunk(
        &self,
        cards: &[Scorecard],
        ids: &[i64],
        today: NaiveDate,
    ) -> Result<(Assessed, HashMap<i64, DateTime<Utc>>)> {
        let mut tx = self.begin_snapshot().await?;
        let stamps = score_stamps(&mut tx, ids).await?;
        let mut assessed = Assessed {
            day: today,
            scored: Vec::new(),
            unscored: Vec::new(),
        };
        for pass in ids.chunks(PASS) {
            let part = assess(&mut tx, cards, &Scope::new(Some(pass.to_vec()), today)).await?;
            assessed.scored.extend(part.scored);
            assessed.unscored.extend(part.unscored);
        }
        Ok((assessed, stamps))
    }

    /// Writes a chunk's scores, except for the accounts rescored since its snapshot was read
    /// (an event or an edit committed in between): theirs are newer, and stay.
    async fn write_chunk(
        &self,
        (mut assessed, read): (Assessed, HashMap<i64, DateTime<Utc>>),
    ) -> Result<RecomputeSummary> {
        let mut ids: Vec<i64> = assessed.scored.iter().map(|s| s.account).collect();
        ids.extend(&assessed.unscored);
        let mut tx = self.begin_write().await?;
        let now = if ids.is_empty() {
            HashMap::new()
        } else {
            score_stamps(&mut tx, &ids).await?
        };
        let unchanged = |account: &i64| now.get(account) == read.get(account);
        assessed.scored.retain(|s| unchanged(&s.account));
        assessed.unscored.retain(unchanged);
        let done = RecomputeSummary {
            scored: assessed.scored.len(),
            unscored: assessed.unscored.len(),
        };
        write_assessed(&mut tx, assessed).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Rescores `accounts` as of the clock's today, in one transaction (the demo builds score
    /// history with a store whose clock stands on each past day).
    pub async fn rescore_accounts(&self, accounts: &[AccountId]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        tx.touch_accounts(accounts.iter().map(|a| a.0));
        tx.commit().await
    }

    /// After a change that concerns every account (a scorecard, a setting, a milestone),
    /// committed on its own: rescores all, as of today.
    pub(crate) async fn rescore_all(&self) -> Result<()> {
        self.recompute_health(self.today()).await.map(|_| ())
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
            let rows: Vec<(i64, i64, String)> = Query::sql(&sql).fetch_all_on(self).await?;
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
