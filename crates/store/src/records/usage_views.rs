//! What the usage views read (F-13): weekly activity, feature breadth, who is active and who
//! is missing the key behaviours, and the accounts whose active users are falling. All of it
//! comes from the rollups, except which people did a milestone's feature.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use lodestar_domain::AccountId;

use crate::{Result, Store, on_pool};

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

/// The fewest people active four weeks ago for a fall to count.
pub const MIN_ACTIVE_BEFORE: i64 = 3;

fn back(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_sub_days(Days::new(days)).unwrap_or(NaiveDate::MIN)
}

impl Store {
    /// Weekly active users and events of the `weeks` weeks up to `today`, oldest first; weeks
    /// without activity are included as zero.
    pub async fn usage_weeks(&self, account: AccountId, today: NaiveDate, weeks: u32) -> Result<Vec<UsageWeek>> {
        let this_monday = back(today, u64::from(today.weekday().num_days_from_monday()));
        let first = back(this_monday, 7 * u64::from(weeks.saturating_sub(1)));
        let rows: Vec<(NaiveDate, String, i64)> = on_pool!(self, |p| sqlx::query_as(
            "SELECT day, user_key, events FROM usage_user_days WHERE account_id = $1 AND day >= $2 AND day <= $3"
        )
        .bind(account.0)
        .bind(first)
        .bind(today)
        .fetch_all(p)
        .await?);
        let mut weeks_seen: BTreeMap<NaiveDate, (HashSet<String>, i64)> = BTreeMap::new();
        let mut monday = first;
        while monday <= this_monday {
            weeks_seen.insert(monday, (HashSet::new(), 0));
            monday = monday.checked_add_days(Days::new(7)).unwrap_or(NaiveDate::MAX);
        }
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

    /// Features the account used in the 30 days up to `today`, against every feature anyone
    /// used in the 90 days up to `today`: how broadly it adopted the product.
    pub async fn feature_breadth(&self, account: AccountId, today: NaiveDate) -> Result<(Vec<String>, Vec<String>)> {
        let used: Vec<String> = on_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT DISTINCT feature FROM usage_feature_days WHERE account_id = $1 AND day > $2 AND day <= $3 ORDER BY feature"
        )
        .bind(account.0)
        .bind(back(today, 30))
        .bind(today)
        .fetch_all(p)
        .await?
        });
        let all: Vec<String> = on_pool!(self, |p| sqlx::query_scalar(
            "SELECT feature FROM usage_features WHERE last_used > $1 ORDER BY feature"
        )
        .bind(back(today, 90))
        .fetch_all(p)
        .await?);
        Ok((used, all))
    }

    /// The people placed on the account, most active first.
    pub async fn account_people(&self, account: AccountId, today: NaiveDate) -> Result<Vec<PersonUsage>> {
        let people: Vec<(String, Option<String>, Option<String>)> = on_pool!(self, |p| sqlx::query_as(
            "SELECT user_key, name, email FROM usage_people WHERE account_id = $1"
        )
        .bind(account.0)
        .fetch_all(p)
        .await?);
        let recent: Vec<(String, i64, i64)> = on_pool!(self, |p| sqlx::query_as(
            "SELECT user_key, COUNT(*), CAST(SUM(events) AS BIGINT) FROM usage_user_days \
             WHERE account_id = $1 AND day > $2 AND day <= $3 GROUP BY user_key"
        )
        .bind(account.0)
        .bind(back(today, 30))
        .bind(today)
        .fetch_all(p)
        .await?);
        let last: Vec<(String, NaiveDate)> = on_pool!(self, |p| sqlx::query_as(
            "SELECT user_key, MAX(day) FROM usage_user_days WHERE account_id = $1 GROUP BY user_key"
        )
        .bind(account.0)
        .fetch_all(p)
        .await?);
        let key_features: Vec<String> = on_pool!(self, |p| sqlx::query_scalar(
            "SELECT DISTINCT feature FROM milestones ORDER BY feature"
        )
        .fetch_all(p)
        .await?);
        let done: Vec<(String, String)> = on_pool!(self, |p| sqlx::query_as(
            "SELECT DISTINCT e.user_key, e.feature FROM usage_events e JOIN milestones m ON m.feature = e.feature \
             WHERE e.account_id = $1"
        )
        .bind(account.0)
        .fetch_all(p)
        .await?);
        let recent: HashMap<String, (i64, i64)> = recent.into_iter().map(|(k, d, e)| (k, (d, e))).collect();
        let last: HashMap<String, NaiveDate> = last.into_iter().collect();
        let done: HashSet<(String, String)> = done.into_iter().collect();
        let mut out: Vec<PersonUsage> = people
            .into_iter()
            .map(|(user_key, name, email)| {
                let (active_days_30, events_30) = recent.get(&user_key).copied().unwrap_or((0, 0));
                let missing_features = key_features
                    .iter()
                    .filter(|f| !done.contains(&(user_key.clone(), (*f).clone())))
                    .cloned()
                    .collect();
                PersonUsage {
                    last_active: last.get(&user_key).copied(),
                    user_key,
                    name,
                    email,
                    active_days_30,
                    events_30,
                    missing_features,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (b.active_days_30, b.events_30, &a.user_key).cmp(&(a.active_days_30, a.events_30, &b.user_key))
        });
        Ok(out)
    }

    /// Accounts whose people active in the last 7 days number fewer than `1 - share` of those
    /// active in the same 7 days four weeks earlier, steepest fall first. Accounts with fewer
    /// than [`MIN_ACTIVE_BEFORE`] people active then are left out: two to one is noise.
    pub async fn usage_drops(&self, today: NaiveDate, share: f64) -> Result<Vec<UsageDrop>> {
        let now_from = back(today, 7);
        let before_to = back(today, 28);
        let before_from = back(today, 35);
        let rows: Vec<(i64, String, i64, i64)> = on_pool!(self, |p| sqlx::query_as(
            "SELECT u.account_id, a.name, \
             COUNT(DISTINCT CASE WHEN u.day > $1 AND u.day <= $2 THEN u.user_key END), \
             COUNT(DISTINCT CASE WHEN u.day > $3 THEN u.user_key END) \
             FROM usage_user_days u JOIN accounts a ON a.id = u.account_id \
             WHERE u.day > $1 AND u.day <= $4 AND (u.day > $3 OR u.day <= $2) \
             GROUP BY u.account_id, a.name"
        )
        .bind(before_from)
        .bind(before_to)
        .bind(now_from)
        .bind(today)
        .fetch_all(p)
        .await?);
        let mut drops: Vec<UsageDrop> = rows
            .into_iter()
            .filter(|(_, _, before, now)| {
                *before >= MIN_ACTIVE_BEFORE && (*now as f64) < (*before as f64) * (1.0 - share)
            })
            .map(|(id, name, active_before, active_now)| UsageDrop {
                account_id: AccountId(id),
                name,
                active_before,
                active_now,
            })
            .collect();
        drops.sort_by(|a, b| {
            let fall = |d: &UsageDrop| d.active_now as f64 / d.active_before as f64;
            fall(a).total_cmp(&fall(b)).then(a.account_id.0.cmp(&b.account_id.0))
        });
        Ok(drops)
    }
}
