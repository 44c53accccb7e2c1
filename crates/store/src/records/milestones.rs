//! Milestones (F-12): their definitions, and the achievements recorded as soon as the events
//! show them. Reaching the first-value milestone moves an account from Land to Adopt, sets its
//! first-value date and is told on its timeline.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use lodestar_domain::milestone::{Evidence, MilestoneFields, MilestoneStatus, Threshold};
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::LifecycleStage;
use lodestar_domain::{AccountId, MilestoneId, Valid};

use super::timeline::{TimelineKind, record};
use crate::bulk::{Value, in_list};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx, on_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub id: MilestoneId,
    pub fields: MilestoneFields,
}

#[derive(sqlx::FromRow)]
struct MilestoneRow {
    id: i64,
    name: String,
    feature: String,
    threshold_kind: String,
    threshold: i64,
    within_days: i64,
    first_value: i64,
}

fn milestone(r: MilestoneRow) -> Result<Milestone> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("milestones.{what} of milestone {}", r.id));
    let target = u32::try_from(r.threshold).map_err(|_| corrupt("threshold"))?;
    let threshold = match r.threshold_kind.as_str() {
        "times" => Threshold::Times(target),
        "people" => Threshold::People(target),
        _ => return Err(corrupt("threshold_kind")),
    };
    Ok(Milestone {
        id: MilestoneId(r.id),
        fields: MilestoneFields {
            name: Name::parse(&r.name).map_err(|_| corrupt("name"))?,
            feature: r.feature,
            threshold,
            within_days: u32::try_from(r.within_days).map_err(|_| corrupt("within_days"))?,
            first_value: r.first_value == 1,
        },
    })
}

const SELECT_MILESTONES: &str =
    "SELECT id, name, feature, threshold_kind, threshold, within_days, first_value FROM milestones";

async fn all_milestones(tx: &mut Tx) -> Result<Vec<Milestone>> {
    let sql = format!("{SELECT_MILESTONES} ORDER BY id");
    let rows: Vec<MilestoneRow> = Query::sql(&sql).fetch_all(tx).await?;
    rows.into_iter().map(milestone).collect()
}

impl Store {
    /// Defines a milestone and records it for every account whose events already show it.
    pub async fn create_milestone(&self, fields: Valid<MilestoneFields>) -> Result<Milestone> {
        let mut tx = self.begin_write().await?;
        let (kind, target) = match fields.threshold {
            Threshold::Times(n) => ("times", n),
            Threshold::People(n) => ("people", n),
        };
        let sql = "INSERT INTO milestones (name, feature, threshold_kind, threshold, within_days, first_value, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let now = tx.now();
        let (id,): (i64,) = Query::sql(sql)
            .bind(fields.name.as_str())
            .bind(&fields.feature)
            .bind(kind)
            .bind(i64::from(target))
            .bind(i64::from(fields.within_days))
            .bind(i64::from(fields.first_value))
            .bind(now)
            .fetch_one(&mut tx)
            .await?;
        check_milestones(&mut tx, None).await?;
        tx.commit().await?;
        self.rescore_all().await?;
        Ok(Milestone {
            id: MilestoneId(id),
            fields: fields.into_inner(),
        })
    }

    pub async fn milestones(&self) -> Result<Vec<Milestone>> {
        let mut tx = self.begin_snapshot().await?;
        all_milestones(&mut tx).await
    }

    /// Removes a milestone and its achievements (what it did to accounts stays).
    pub async fn delete_milestone(&self, id: MilestoneId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        super::delete_by_id(&mut tx, "milestones", "milestone", id.0).await?;
        tx.commit().await?;
        self.rescore_all().await
    }

    /// Every milestone and where the account stands on it today.
    pub async fn account_milestones(
        &self,
        account: AccountId,
        today: NaiveDate,
    ) -> Result<Vec<(Milestone, MilestoneStatus)>> {
        let mut tx = self.begin_snapshot().await?;
        let has_events = super::usage::has_events(&mut tx, account).await?;
        account_milestones_in(&mut tx, account, today, has_events).await
    }
}

pub(crate) async fn account_milestones_in(
    tx: &mut Tx,
    account: AccountId,
    today: NaiveDate,
    has_events: bool,
) -> Result<Vec<(Milestone, MilestoneStatus)>> {
    let launch: Option<(Option<NaiveDate>,)> = Query::sql("SELECT launch_date FROM accounts WHERE id = $1")
        .bind(account.0)
        .fetch_optional(tx)
        .await?;
    let launch = launch.map(|(day,)| day);
    let launch = launch.ok_or(StoreError::NotFound {
        what: "account",
        key: account.to_string(),
    })?;
    // Achievements come from events: an account without any has none, and nothing to count.
    let achieved: Vec<(i64, NaiveDate)> = if has_events {
        Query::sql("SELECT milestone_id, achieved_on FROM milestone_achievements WHERE account_id = $1")
            .bind(account.0)
            .fetch_all(tx)
            .await?
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    for m in all_milestones(tx).await? {
        let status = match (achieved.iter().find(|(id, _)| *id == m.id.0), launch) {
            (Some((_, on)), _) => MilestoneStatus::Achieved { on: *on },
            (None, Some(l)) if has_events => {
                let mut found = evidence(tx, &m.fields, &[(account.0, l)]).await?;
                m.fields
                    .status(Some(l), &found.remove(&account.0).unwrap_or_default(), today)
            }
            (None, launch) => m.fields.status(launch, &Evidence::default(), today),
        };
        out.push((m, status));
    }
    Ok(out)
}

/// The events that count for `m` on each of `accounts` (id, launch date), in one query per
/// thousand accounts: an ingested chunk can touch a thousand accounts at once.
async fn evidence(tx: &mut Tx, m: &MilestoneFields, accounts: &[(i64, NaiveDate)]) -> Result<HashMap<i64, Evidence>> {
    let midnight = |d: NaiveDate| DateTime::<Utc>::from_naive_utc_and_offset(d.and_time(NaiveTime::MIN), Utc);
    let mut found: HashMap<i64, Evidence> = HashMap::new();
    for chunk in accounts.chunks(1000) {
        let windows: Vec<(i64, NaiveDate, NaiveDate)> = chunk
            .iter()
            .map(|(id, launch)| {
                let (from, due) = m.window(*launch);
                (*id, from, due)
            })
            .collect();
        // The accounts' windows as a VALUES list joined to the rollups (columns column1..3).
        let windows_list = |dates: &dyn Fn(NaiveDate) -> Value, date_type: &'static str| {
            windows
                .iter()
                .enumerate()
                .fold(Query::sql("(VALUES "), |q, (i, (id, from, due))| {
                    q.push(if i == 0 { "(" } else { ", (" })
                        .typed_value(*id, "BIGINT")
                        .push(", ")
                        .typed_value(dates(*from), date_type)
                        .push(", ")
                        .typed_value(dates(*due), date_type)
                        .push(")")
                })
                .push(") w")
        };
        match m.threshold {
            Threshold::Times(_) => {
                let rows: Vec<(i64, NaiveDate, i64)> = Query::sql("SELECT w.column1, f.day, f.events FROM ")
                    .append(windows_list(&|d| d.into(), "DATE"))
                    .push(
                        " JOIN usage_feature_days f ON f.account_id = w.column1 AND f.day >= w.column2 \
                         AND f.day < w.column3 WHERE f.feature = ",
                    )
                    .value(m.feature.as_str())
                    .push(" ORDER BY w.column1, f.day")
                    .fetch_all(tx)
                    .await?;
                for (id, day, events) in rows {
                    found.entry(id).or_default().uses_per_day.push((day, events));
                }
            }
            Threshold::People(_) => {
                // Each person counts from their first use of the feature, or from the launch
                // if they used it before.
                let rows: Vec<(i64, String, DateTime<Utc>)> = Query::sql("SELECT w.column1, f.user_key, f.first_at FROM ")
                    .append(windows_list(&|d| midnight(d).into(), "TIMESTAMPTZ"))
                    .push(" JOIN usage_person_features f ON f.account_id = w.column1 AND f.first_at < w.column3 WHERE f.feature = ")
                    .value(m.feature.as_str())
                    .fetch_all(tx)
                    .await?;
                let launched: HashMap<i64, NaiveDate> = windows.iter().map(|(id, from, _)| (*id, *from)).collect();
                for (id, _, first) in rows {
                    let from = launched.get(&id).copied().unwrap_or(NaiveDate::MIN);
                    found
                        .entry(id)
                        .or_default()
                        .first_use_per_person
                        .push(first.date_naive().max(from));
                }
                for evidence in found.values_mut() {
                    evidence.first_use_per_person.sort();
                }
            }
        }
    }
    Ok(found)
}

/// Records the milestones that `accounts` (all when `None`) have newly reached; for the
/// first-value milestone, ends Land. Called in the transaction that stored new events.
pub(crate) async fn check_milestones(tx: &mut Tx, accounts: Option<&HashSet<i64>>) -> Result<()> {
    let milestones = all_milestones(tx).await?;
    if milestones.is_empty() || accounts.is_some_and(|a| a.is_empty()) {
        return Ok(());
    }
    // Only the accounts asked about: an ingested batch touches a few of 100,000.
    type Launched = (i64, NaiveDate, String);
    const LAUNCHED: &str = "SELECT id, launch_date, lifecycle_stage FROM accounts WHERE launch_date IS NOT NULL";
    let (launched, done): (Vec<Launched>, Vec<(i64, i64)>) = match accounts {
        None => (
            Query::sql(LAUNCHED).fetch_all(tx).await?,
            Query::sql("SELECT milestone_id, account_id FROM milestone_achievements")
                .fetch_all(tx)
                .await?,
        ),
        Some(wanted) => {
            let ids: Vec<i64> = wanted.iter().copied().collect();
            let mut launched = Vec::new();
            let mut done = Vec::new();
            for chunk in ids.chunks(5000) {
                let list = in_list(tx.backend(), chunk.len());
                let sql = format!("{LAUNCHED} AND id IN ({list})");
                let mut part: Vec<Launched> = on_tx!(&mut *tx, |c| {
                    let mut q = sqlx::query_as(&sql);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.fetch_all(&mut *c).await?
                });
                launched.append(&mut part);
                let sql =
                    format!("SELECT milestone_id, account_id FROM milestone_achievements WHERE account_id IN ({list})");
                let mut part: Vec<(i64, i64)> = on_tx!(&mut *tx, |c| {
                    let mut q = sqlx::query_as(&sql);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.fetch_all(&mut *c).await?
                });
                done.append(&mut part);
            }
            (launched, done)
        }
    };
    let done: HashSet<(i64, i64)> = done.into_iter().collect();
    let none = Evidence::default();
    for m in &milestones {
        let open: Vec<(i64, NaiveDate)> = launched
            .iter()
            .filter(|(account, _, _)| !done.contains(&(m.id.0, *account)))
            .map(|(account, launch, _)| (*account, *launch))
            .collect();
        let found = evidence(tx, &m.fields, &open).await?;
        for (account, launch, stage) in &launched {
            if done.contains(&(m.id.0, *account)) {
                continue;
            }
            let evidence = found.get(account).unwrap_or(&none);
            // Only achievement matters here; "today" plays no part in it.
            let MilestoneStatus::Achieved { on } = m.fields.status(Some(*launch), evidence, *launch) else {
                continue;
            };
            achieve(tx, m, AccountId(*account), on, stage).await?;
        }
    }
    Ok(())
}

async fn achieve(tx: &mut Tx, m: &Milestone, account: AccountId, on: NaiveDate, stage: &str) -> Result<()> {
    Query::sql("INSERT INTO milestone_achievements (milestone_id, account_id, achieved_on) VALUES ($1, $2, $3)")
        .bind(m.id.0)
        .bind(account.0)
        .bind(on)
        .execute(tx)
        .await?;
    let at = DateTime::<Utc>::from_naive_utc_and_offset(on.and_time(NaiveTime::MIN), Utc);
    let mut text = format!("Milestone reached: {}", m.fields.name);
    if m.fields.first_value && stage == LifecycleStage::Land.as_str() {
        let now = tx.now();
        Query::sql("UPDATE accounts SET lifecycle_stage = $1, first_value_date = COALESCE(first_value_date, $2), updated_at = $3 \
                 WHERE id = $4",).bind(LifecycleStage::Adopt.as_str()).bind(on).bind(now).bind(account.0).execute(tx).await?;
        text.push_str(" — first value: moved from Land to Adopt");
    }
    record(tx, account, at, None, TimelineKind::Milestone, &text).await
}
