//! The usage rollups (per account, feature and person and day, each person's first use of
//! each feature and activity summary): summed per batch and written once per row in key order,
//! and rebuilt from the stored blocks.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use lodestar_domain::usage::RecentActivity;

use super::blocks;
use super::ingest::{FastMap, FastSet, Names, lock_usage};
use super::placement::Placement;
use crate::bulk::{Value, insert_each_row, insert_rows, values_rows};
use crate::{Result, Tx, on_tx};

/// Activity to add to the rollups, summed in memory first so each rollup row is written
/// once however many events it counts.
#[derive(Default)]
pub(crate) struct RollupDelta {
    names: Names,
    by_user: FastMap<(i64, NaiveDate, u32), i64>,
    by_feature: FastMap<(i64, u32, NaiveDate), i64>,
    by_account: FastMap<(i64, NaiveDate), i64>,
    /// (account, feature, person): the earliest use.
    first_use: FastMap<(i64, u32, u32), DateTime<Utc>>,
}

impl RollupDelta {
    /// One use of `feature` by `user_key` on `account` at `at`.
    pub(crate) fn add(&mut self, account: i64, user_key: &str, feature: &str, at: DateTime<Utc>) {
        let day = at.date_naive();
        let user = self.names.id(user_key);
        let feature = self.names.id(feature);
        *self.by_user.entry((account, day, user)).or_default() += 1;
        *self.by_feature.entry((account, feature, day)).or_default() += 1;
        *self.by_account.entry((account, day)).or_default() += 1;
        self.first_use
            .entry((account, feature, user))
            .and_modify(|t| *t = (*t).min(at))
            .or_insert(at);
    }

    /// Rows it would write: how much memory it holds.
    pub(crate) fn rows(&self) -> usize {
        self.by_user.len() + self.by_feature.len() + self.by_account.len() + self.first_use.len()
    }

    pub(super) fn accounts(&self) -> HashSet<i64> {
        self.by_account.keys().map(|(a, _)| *a).collect()
    }

    /// Adds it to the stored rollups, each table's rows in key order (the inserts walk each
    /// index once).
    pub(crate) async fn write(self, tx: &mut Tx) -> Result<()> {
        if self.by_account.is_empty() {
            return Ok(());
        }
        let names = &self.names;
        let mut by_user: Vec<_> = self.by_user.into_iter().collect();
        // In the texts' order, compared by rank: comparing the texts was most of the sorting.
        let rank = names.ranks();
        by_user.sort_unstable_by_key(|((account, day, user), _)| (*account, *day, rank[*user as usize]));
        let active: Vec<(i64, &str, NaiveDate)> = by_user
            .iter()
            .map(|((account, day, user), _)| (*account, names.text(*user), *day))
            .collect();
        let (newly_active, unknown) = add_to_person_activity(tx, &active).await?;
        insert_each_row(
            tx,
            "usage_user_days",
            &["account_id", "user_key", "day", "events"],
            &by_user,
            |((account, day, user), n)| {
                vec![
                    Value::from(*account),
                    names.text(*user).into(),
                    (*day).into(),
                    (*n).into(),
                ]
            },
            "ON CONFLICT (account_id, day, user_key) DO UPDATE SET events = usage_user_days.events + excluded.events",
        )
        .await?;
        let mut last_used: HashMap<u32, NaiveDate> = HashMap::new();
        for (_, feature, day) in self.by_feature.keys() {
            let entry = last_used.entry(*feature).or_insert(*day);
            *entry = (*entry).max(*day);
        }
        let feature_rows: Vec<Vec<Value>> = last_used
            .into_iter()
            .map(|(feature, day)| vec![Value::from(names.text(feature)), day.into()])
            .collect();
        insert_rows(
            tx,
            "usage_features",
            &["feature", "last_used"],
            feature_rows,
            "ON CONFLICT (feature) DO UPDATE SET last_used = excluded.last_used \
             WHERE excluded.last_used > usage_features.last_used",
        )
        .await?;
        let mut by_feature: Vec<_> = self.by_feature.into_iter().collect();
        by_feature.sort_unstable_by_key(|((account, feature, day), _)| (*account, rank[*feature as usize], *day));
        insert_each_row(
            tx,
            "usage_feature_days",
            &["account_id", "feature", "day", "events"],
            &by_feature,
            |((account, feature, day), n)| {
                vec![
                    Value::from(*account),
                    names.text(*feature).into(),
                    (*day).into(),
                    (*n).into(),
                ]
            },
            "ON CONFLICT (account_id, feature, day) DO UPDATE SET events = usage_feature_days.events + excluded.events",
        )
        .await?;
        let mut first_use: Vec<_> = self.first_use.into_iter().collect();
        first_use.sort_unstable_by_key(|((account, feature, user), _)| {
            (*account, rank[*feature as usize], rank[*user as usize])
        });
        insert_each_row(
            tx,
            "usage_person_features",
            &["account_id", "feature", "user_key", "first_at"],
            &first_use,
            |((account, feature, user), at)| {
                vec![
                    Value::from(*account),
                    names.text(*feature).into(),
                    names.text(*user).into(),
                    (*at).into(),
                ]
            },
            // Rewritten only when earlier: most uses are not a first.
            "ON CONFLICT (account_id, feature, user_key) DO UPDATE SET first_at = excluded.first_at \
             WHERE excluded.first_at < usage_person_features.first_at",
        )
        .await?;
        let mut pairs: Vec<(i64, NaiveDate)> = self.by_account.keys().copied().collect();
        pairs.sort_unstable();
        let by_account = &self.by_account;
        insert_each_row(
            tx,
            "usage_account_days",
            &["account_id", "day", "events", "active_users"],
            &pairs,
            |key| {
                let newly = newly_active.get(key).copied().unwrap_or(0);
                vec![Value::from(key.0), key.1.into(), by_account[key].into(), newly.into()]
            },
            "ON CONFLICT (account_id, day) DO UPDATE SET events = usage_account_days.events + excluded.events, \
             active_users = usage_account_days.active_users + excluded.active_users",
        )
        .await?;
        // Days some person's bits no longer reach: their active users counted from the
        // user-day rows instead.
        let mut recount: Vec<(i64, NaiveDate)> = unknown.into_iter().collect();
        recount.sort_unstable();
        for chunk in recount.chunks(5000) {
            let list = values_rows(tx.backend(), chunk.len(), &["BIGINT", "DATE"]);
            // Driven from the list (UPDATE … FROM), so each day is found by its key; a row-value
            // IN list would scan the whole table.
            let sql = format!(
                "UPDATE usage_account_days SET active_users = touched.n FROM \
                 (SELECT v.column1 AS account_id, v.column2 AS day, (SELECT COUNT(*) FROM usage_user_days u \
                  WHERE u.account_id = v.column1 AND u.day = v.column2) AS n FROM ({list}) v) touched \
                 WHERE usage_account_days.account_id = touched.account_id AND usage_account_days.day = touched.day"
            );
            on_tx!(&mut *tx, |c| {
                let mut q = sqlx::query(&sql);
                for (account, day) in chunk {
                    q = q.bind(*account).bind(*day);
                }
                q.execute(&mut *c).await?.rows_affected()
            });
        }
        Ok(())
    }
}

pub(super) const ACTIVITY_COLUMNS: &[&str] = &["account_id", "user_key", "last_day", "recent_days"];
pub(super) const ACTIVITY_UPSERT: &str = "ON CONFLICT (account_id, user_key) DO UPDATE SET last_day = excluded.last_day, \
     recent_days = excluded.recent_days";

pub(super) fn activity_row(account: i64, user: &str, a: RecentActivity) -> Vec<Value> {
    // The bits are stored as they are: a BIGINT holds all 64 of them.
    vec![account.into(), user.into(), a.last_day.into(), (a.days as i64).into()]
}

/// Folds the days people were active on accounts into their activity summaries.
///
/// Returns, per account and day, how many of these people were not active on it before (so
/// the day's active users grow by that many), and the account-days where a person's bits no
/// longer reach back that far: those need counting from the user-day rows.
pub(super) async fn add_to_person_activity(
    tx: &mut Tx,
    active: &[(i64, &str, NaiveDate)],
) -> Result<(FastMap<(i64, NaiveDate), i64>, FastSet<(i64, NaiveDate)>)> {
    let mut days: HashMap<(i64, &str), Vec<NaiveDate>> = HashMap::new();
    for (account, user, day) in active {
        days.entry((*account, *user)).or_default().push(*day);
    }
    let pairs: Vec<(i64, &str)> = days.keys().copied().collect();
    let mut known: HashMap<(i64, String), RecentActivity> = HashMap::new();
    for chunk in pairs.chunks(5000) {
        let list = values_rows(tx.backend(), chunk.len(), &["BIGINT", "TEXT"]);
        let sql = format!(
            "SELECT p.account_id, p.user_key, p.last_day, p.recent_days FROM usage_person_activity p \
             JOIN ({list}) v ON p.account_id = v.column1 AND p.user_key = v.column2"
        );
        let found: Vec<(i64, String, NaiveDate, i64)> = on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query_as(&sql);
            for (account, user) in chunk {
                q = q.bind(*account).bind(*user);
            }
            q.fetch_all(&mut *c).await?
        });
        for (account, user, last_day, bits) in found {
            known.insert(
                (account, user),
                RecentActivity {
                    last_day,
                    days: bits as u64,
                },
            );
        }
    }
    let mut newly_active: FastMap<(i64, NaiveDate), i64> = FastMap::default();
    let mut unknown: FastSet<(i64, NaiveDate)> = FastSet::default();
    let mut rows = Vec::new();
    for ((account, user), days) in days {
        let before = known.get(&(account, user.to_owned())).copied();
        for day in &days {
            match before.map_or(Some(false), |b| b.was_active(*day)) {
                Some(true) => {}
                Some(false) => *newly_active.entry((account, *day)).or_default() += 1,
                None => {
                    unknown.insert((account, *day));
                }
            }
        }
        let folded = days.into_iter().fold(before, |a, day| {
            Some(a.map_or_else(|| RecentActivity::on(day), |a| a.with(day)))
        });
        // A person active again on a day already counted changes nothing: not rewritten.
        if folded != before {
            rows.push(activity_row(
                account,
                user,
                folded.expect("every person here has a day"),
            ));
        }
    }
    insert_rows(tx, "usage_person_activity", ACTIVITY_COLUMNS, rows, ACTIVITY_UPSERT).await?;
    Ok((newly_active, unknown))
}

/// Recomputes people's activity summaries from `usage_user_days`: those of the accounts
/// `scope` selects (SQL over `account_id`), or all when `None`.
pub(crate) async fn rebuild_person_activity(tx: &mut Tx, scope: Option<&str>) -> Result<()> {
    let scope = scope.unwrap_or("1 = 1");
    let sql = format!("DELETE FROM usage_person_activity WHERE {scope}");
    on_tx!(&mut *tx, |c| sqlx::query(&sql).execute(&mut *c).await?.rows_affected());
    let sql = format!("SELECT account_id, user_key, day FROM usage_user_days WHERE {scope}");
    let mut summaries: HashMap<(i64, String), RecentActivity> = HashMap::new();
    on_tx!(&mut *tx, |c| {
        let mut rows = sqlx::query_as::<_, (i64, String, NaiveDate)>(&sql).fetch(&mut *c);
        while let Some((account, user, day)) = rows.try_next().await? {
            summaries
                .entry((account, user))
                .and_modify(|a| *a = a.with(day))
                .or_insert_with(|| RecentActivity::on(day));
        }
    });
    let rows: Vec<Vec<Value>> = summaries
        .iter()
        .map(|((account, user), a)| activity_row(*account, user, *a))
        .collect();
    insert_rows(tx, "usage_person_activity", ACTIVITY_COLUMNS, rows, ACTIVITY_UPSERT).await
}

/// Rows a rebuild sums in memory before writing them: bounds its memory whatever the number
/// of events.
pub(super) const REBUILD_ROWS: usize = 1_000_000;

/// The tables a rebuild recomputes from the blocks.
pub(crate) const ROLLUP_TABLES: [&str; 6] = [
    "usage_user_days",
    "usage_feature_days",
    "usage_account_days",
    "usage_person_features",
    "usage_person_activity",
    "usage_features",
];

/// Recomputes every rollup from the stored blocks. Each activity event is placed as a new one
/// would be now: on its own group's account, else on its person's (after any alias). Events
/// still waiting for an account stay out, as they did.
pub(crate) async fn rebuild_rollups(tx: &mut Tx) -> Result<()> {
    lock_usage(tx).await?;
    for table in ROLLUP_TABLES {
        let sql = format!("DELETE FROM {table}");
        on_tx!(&mut *tx, |c| sqlx::query(&sql).execute(&mut *c).await?.rows_affected());
    }
    let placement = Placement::read(tx).await?;
    let mut delta = RollupDelta::default();
    let mut after = 0;
    while let Some((id, body)) = blocks::next_block(tx, after).await? {
        after = id;
        for record in blocks::decode(&body)?.iter().filter(|r| r.kind.is_activity()) {
            // Skipped before the message is read again.
            if placement.waits(record.message_id) {
                continue;
            }
            let m = record.message()?;
            if let (Some(account), Some(feature)) = (placement.account(&m), m.feature.as_deref()) {
                delta.add(account, placement.person(&m.user_key), feature, m.occurred_at);
            }
        }
        if delta.rows() >= REBUILD_ROWS {
            std::mem::take(&mut delta).write(tx).await?;
        }
    }
    delta.write(tx).await?;
    Ok(())
}
