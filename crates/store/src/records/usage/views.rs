//! What the usage views read (F-13): weekly activity, feature breadth, who is active and who
//! is missing the key behaviours, and the accounts whose active users are falling. All of it
//! comes from the rollups, except which people did a milestone's feature.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use lodestar_domain::AccountId;
use lodestar_domain::usage_fall::{ActiveCounts, FallWeeks};

use lodestar_domain::milestone::MilestoneStatus;

use crate::query::Query;
use crate::records::milestones::{Milestone, account_milestones_in};
use crate::{Result, Store, Tx};

/// One week (Monday to Sunday) of an account's activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageWeek {
    pub week_start: NaiveDate,
    pub active_users: i64,
    pub events: i64,
}

/// One person's recent use of the product on an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonUsage {
    pub user_key: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub last_active: Option<NaiveDate>,
    /// Days with activity in the 30 days up to today.
    pub active_days_30: i64,
    pub events_30: i64,
    /// The milestone features this person has never used on the account.
    pub missing_features: Vec<String>,
}

/// An account whose weekly active users fell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageDrop {
    pub account_id: AccountId,
    pub name: String,
    /// People active in the 7 days 4 weeks ago.
    pub active_before: i64,
    /// People active in the last 7 days.
    pub active_now: i64,
}

impl UsageDrop {
    fn counts(&self) -> ActiveCounts {
        ActiveCounts {
            before: self.active_before,
            now: self.active_now,
        }
    }
}

fn back(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_sub_days(Days::new(days)).unwrap_or(NaiveDate::MIN)
}

/// Everything the account page shows about usage (see `Store::account_view`).
#[derive(Debug, Clone, PartialEq)]
pub struct AccountUsageSummary {
    pub weeks: Vec<UsageWeek>,
    pub features_used: Vec<String>,
    pub features_known: Vec<String>,
    pub people: Vec<PersonUsage>,
    pub milestones: Vec<(Milestone, MilestoneStatus)>,
}

impl Store {
    /// Weekly active users and events of the `weeks` weeks up to `today`, oldest first; weeks
    /// without activity are included as zero.
    pub async fn usage_weeks(&self, account: AccountId, today: NaiveDate, weeks: u32) -> Result<Vec<UsageWeek>> {
        let mut tx = self.begin_snapshot().await?;
        weeks_in(&mut tx, account, today, weeks).await
    }

    /// Features the account used in the 30 days up to `today`, against every feature anyone
    /// used in the 90 days up to `today`: how broadly it adopted the product.
    pub async fn feature_breadth(&self, account: AccountId, today: NaiveDate) -> Result<(Vec<String>, Vec<String>)> {
        let mut tx = self.begin_snapshot().await?;
        breadth_in(&mut tx, account, today).await
    }

    /// The people placed on the account, most active first.
    pub async fn account_people(&self, account: AccountId, today: NaiveDate) -> Result<Vec<PersonUsage>> {
        let mut tx = self.begin_snapshot().await?;
        people_in(&mut tx, account, today).await
    }
}

pub(crate) async fn usage_summary_in(tx: &mut Tx, account: AccountId, today: NaiveDate) -> Result<AccountUsageSummary> {
    let has_events = has_events(tx, account).await?;
    // An account never seen in the product skips every per-account read.
    let (weeks, (features_used, features_known), people) = if has_events {
        (
            weeks_in(tx, account, today, 26).await?,
            breadth_in(tx, account, today).await?,
            people_in(tx, account, today).await?,
        )
    } else {
        (
            zero_weeks(today, 26),
            (Vec::new(), known_features(tx, today).await?),
            Vec::new(),
        )
    };
    let milestones = account_milestones_in(tx, account, today, has_events).await?;
    Ok(AccountUsageSummary {
        weeks,
        features_used,
        features_known,
        people,
        milestones,
    })
}

/// The Mondays of the `weeks` weeks up to `today`, oldest first.
fn mondays(today: NaiveDate, weeks: u32) -> Vec<NaiveDate> {
    let this_monday = back(today, u64::from(today.weekday().num_days_from_monday()));
    (0..weeks).rev().map(|w| back(this_monday, 7 * u64::from(w))).collect()
}

fn zero_weeks(today: NaiveDate, weeks: u32) -> Vec<UsageWeek> {
    mondays(today, weeks)
        .into_iter()
        .map(|week_start| UsageWeek {
            week_start,
            active_users: 0,
            events: 0,
        })
        .collect()
}

async fn weeks_in(tx: &mut Tx, account: AccountId, today: NaiveDate, weeks: u32) -> Result<Vec<UsageWeek>> {
    let mondays = mondays(today, weeks);
    let first = mondays.first().copied().unwrap_or(today);
    let rows: Vec<(NaiveDate, String, i64)> = Query::sql(
        "SELECT day, user_key, events FROM usage_user_days WHERE account_id = $1 AND day >= $2 AND day <= $3",
    )
    .bind(account.0)
    .bind(first)
    .bind(today)
    .fetch_all(tx)
    .await?;
    let mut weeks_seen: BTreeMap<NaiveDate, (HashSet<String>, i64)> =
        mondays.into_iter().map(|m| (m, (HashSet::new(), 0))).collect();
    for (day, user, events) in rows {
        let week = back(day, u64::from(day.weekday().num_days_from_monday()));
        if let Some((users, total)) = weeks_seen.get_mut(&week) {
            users.insert(user);
            *total += events;
        }
    }
    Ok(weeks_seen
        .into_iter()
        .map(|(week_start, (users, events))| UsageWeek {
            week_start,
            active_users: users.len() as i64,
            events,
        })
        .collect())
}

/// Whether the account was ever seen in the product: a person placed on it, or activity.
pub(crate) async fn has_events(tx: &mut Tx, account: AccountId) -> Result<bool> {
    let found: Option<i64> = Query::sql(
        "SELECT account_id FROM usage_people WHERE account_id = $1 \
             UNION ALL SELECT account_id FROM usage_account_days WHERE account_id = $1 LIMIT 1",
    )
    .bind(account.0)
    .scalar_optional(tx)
    .await?;
    Ok(found.is_some())
}

async fn known_features(tx: &mut Tx, today: NaiveDate) -> Result<Vec<String>> {
    Query::sql("SELECT feature FROM usage_features WHERE last_used > $1 ORDER BY feature")
        .bind(back(today, 90))
        .scalars(tx)
        .await
}

async fn breadth_in(tx: &mut Tx, account: AccountId, today: NaiveDate) -> Result<(Vec<String>, Vec<String>)> {
    let used: Vec<String> = Query::sql(
        "SELECT DISTINCT feature FROM usage_feature_days WHERE account_id = $1 AND day > $2 AND day <= $3 ORDER BY feature",
    )
    .bind(account.0)
    .bind(back(today, 30))
    .bind(today)
    .scalars(tx)
    .await?;
    Ok((used, known_features(tx, today).await?))
}

async fn people_in(tx: &mut Tx, account: AccountId, today: NaiveDate) -> Result<Vec<PersonUsage>> {
    let people: Vec<(String, Option<String>, Option<String>)> =
        Query::sql("SELECT user_key, name, email FROM usage_people WHERE account_id = $1")
            .bind(account.0)
            .fetch_all(tx)
            .await?;
    if people.is_empty() {
        return Ok(Vec::new());
    }
    // Per person: the last active day, and active days and events in the last 30 days.
    let activity: Vec<(String, NaiveDate, i64, i64)> = Query::sql(
        "SELECT user_key, MAX(day), \
         CAST(SUM(CASE WHEN day > $2 AND day <= $3 THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN day > $2 AND day <= $3 THEN events ELSE 0 END) AS BIGINT) \
         FROM usage_user_days WHERE account_id = $1 GROUP BY user_key",
    )
    .bind(account.0)
    .bind(back(today, 30))
    .bind(today)
    .fetch_all(tx)
    .await?;
    let key_features: Vec<String> = Query::sql("SELECT DISTINCT feature FROM milestones ORDER BY feature")
        .scalars(tx)
        .await?;
    let done: Vec<(String, String)> = if key_features.is_empty() {
        Vec::new()
    } else {
        Query::sql("SELECT DISTINCT f.user_key, f.feature FROM usage_person_features f JOIN milestones m ON m.feature = f.feature \
             WHERE f.account_id = $1").bind(account.0).fetch_all(tx).await?
    };
    let activity: HashMap<String, (NaiveDate, i64, i64)> = activity
        .into_iter()
        .map(|(k, last, days, events)| (k, (last, days, events)))
        .collect();
    let done: HashSet<(String, String)> = done.into_iter().collect();
    let mut out: Vec<PersonUsage> = people
        .into_iter()
        .map(|(user_key, name, email)| {
            let (last_active, active_days_30, events_30) = match activity.get(&user_key) {
                Some((last, days, events)) => (Some(*last), *days, *events),
                None => (None, 0, 0),
            };
            let missing_features = key_features
                .iter()
                .filter(|f| !done.contains(&(user_key.clone(), (*f).clone())))
                .cloned()
                .collect();
            PersonUsage {
                user_key,
                name,
                email,
                last_active,
                active_days_30,
                events_30,
                missing_features,
            }
        })
        .collect();
    out.sort_by(|a, b| (b.active_days_30, b.events_30, &a.user_key).cmp(&(a.active_days_30, a.events_30, &b.user_key)));
    Ok(out)
}

impl Store {
    /// Accounts whose people active in the last 7 days number fewer than `1 - share` of those
    /// active in the same 7 days four weeks earlier, steepest fall first (the domain's
    /// `usage_fall` rule; this counts the people of the two weeks).
    pub async fn usage_drops(&self, today: NaiveDate, share: f64) -> Result<Vec<UsageDrop>> {
        let weeks = FallWeeks::ending(today);
        let rows: Vec<(i64, String, i64, i64)> = Query::sql(
            "SELECT u.account_id, a.name, \
             COUNT(DISTINCT CASE WHEN u.day > $1 AND u.day <= $2 THEN u.user_key END), \
             COUNT(DISTINCT CASE WHEN u.day > $3 THEN u.user_key END) \
             FROM usage_user_days u JOIN accounts a ON a.id = u.account_id \
             WHERE u.day > $1 AND u.day <= $4 AND (u.day > $3 OR u.day <= $2) \
             GROUP BY u.account_id, a.name",
        )
        .bind(weeks.before.0)
        .bind(weeks.before.1)
        .bind(weeks.now.0)
        .bind(weeks.now.1)
        .fetch_all_on(self)
        .await?;
        let mut drops: Vec<UsageDrop> = rows
            .into_iter()
            .map(|(id, name, active_before, active_now)| UsageDrop {
                account_id: AccountId(id),
                name,
                active_before,
                active_now,
            })
            .filter(|d| d.counts().fell_by_more_than(share))
            .collect();
        drops.sort_by(|a, b| ActiveCounts::steepest_first((a.counts(), a.account_id.0), (b.counts(), b.account_id.0)));
        Ok(drops)
    }
}
