//! Today (F-50): what matters for one CSM today, gathered from their book — renewals, overdue
//! promises, meetings, accounts turning red, milestones missed, usage falling, red accounts
//! nobody has touched — and ranked by the domain's one formula (`lodestar_domain::today`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use lodestar_domain::health::Band;
use lodestar_domain::milestone::MilestoneStatus;
use lodestar_domain::today::{RENEWAL_HORIZON_DAYS, Reason, UNTOUCHED_DAYS, score};
use lodestar_domain::vocabulary::ActionStatus;
use lodestar_domain::{AccountId, Cents, MeetingId, PromiseId, TaskId, UserId};

use super::meetings::{MeetingFilter, meetings_where};
use super::promises::{PromiseFilter, promises_where};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// The share of its people an account must lose week on week for Today to say usage fell.
pub const USAGE_FALL_SHARE: f64 = 0.3;
/// How recently a health turn or a missed milestone must have happened to be news.
const NEWS_DAYS: i64 = 7;

/// What finishing a line does, when it can be finished from the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    Promise(PromiseId),
    Task(TaskId),
    Meeting(MeetingId),
    /// Nothing to tick off: act on the account, or snooze.
    Account,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TodayLine {
    /// Names the line for snoozing: the same work keeps the same key from day to day.
    pub key: String,
    /// The account it is about (a task may be about none).
    pub account: Option<(AccountId, String)>,
    /// Whose book it is in (a leader's list shows the team's).
    pub owner: Option<UserId>,
    pub reason: Reason,
    pub arr: Cents,
    pub band: Option<Band>,
    pub score: f64,
    pub finish: Finish,
}

struct BookAccount {
    name: String,
    owner: Option<UserId>,
    arr: Cents,
    band: Option<Band>,
    renewal: Option<NaiveDate>,
    launch: Option<NaiveDate>,
}

/// The accounts `condition` picks (`a.` is the account), with what Today weighs them by.
async fn accounts_where(tx: &mut Tx, condition: Query) -> Result<HashMap<i64, BookAccount>> {
    type Row = (
        i64,
        String,
        Option<i64>,
        i64,
        Option<String>,
        Option<NaiveDate>,
        Option<NaiveDate>,
    );
    let rows: Vec<Row> = Query::sql(
        "SELECT a.id, a.name, a.owner_id, a.arr_cents, h.band, a.renewal_date, a.launch_date FROM accounts a \
         LEFT JOIN health_scores h ON h.account_id = a.id",
    )
    .where_all(vec![condition])
    .fetch_all(tx)
    .await?;
    rows.into_iter()
        .map(|(id, name, owner, arr, band, renewal, launch)| {
            Ok((
                id,
                BookAccount {
                    name,
                    owner: owner.map(UserId),
                    arr: Cents(arr),
                    band: band
                        .map(|b| {
                            Band::parse(&b).ok_or_else(|| StoreError::Corrupt(format!("health_scores.band: {b:?}")))
                        })
                        .transpose()?,
                    renewal,
                    launch,
                },
            ))
        })
        .collect()
}

/// Where `day` starts and ends in `zone`, as instants.
fn day_bounds(day: NaiveDate, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| {
        lodestar_domain::meeting::local_start(d, chrono::NaiveTime::MIN, zone)
            .unwrap_or_else(|_| d.and_time(chrono::NaiveTime::MIN).and_utc())
    };
    (start(day), start(day + Duration::days(1)))
}

impl Store {
    /// The ranked Today list of `users` (one CSM, or a leader's team) on `today` in `zone`,
    /// without the lines `viewer` snoozed.
    pub async fn today_list(
        &self,
        viewer: UserId,
        users: &[UserId],
        today: NaiveDate,
        zone: Tz,
    ) -> Result<Vec<TodayLine>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_snapshot().await?;
        let book = Query::sql("a.lifecycle_stage <> 'churned' AND a.owner_id IN (")
            .list(users.iter().map(|u| u.0))
            .push(")");
        let mut accounts = accounts_where(&mut tx, book).await?;
        let mut lines: Vec<(String, Option<i64>, Reason, Finish)> = Vec::new();

        for (id, a) in &accounts {
            if let Some(on) = a.renewal {
                let days_left = (on - today).num_days();
                if (0..=RENEWAL_HORIZON_DAYS).contains(&days_left) {
                    lines.push((
                        format!("renewal:{id}:{on}"),
                        Some(*id),
                        Reason::RenewalComing { on, days_left },
                        Finish::Account,
                    ));
                }
            }
        }

        // Meetings today, in the viewer's day.
        let (start, end) = day_bounds(today, zone);
        for user in users {
            let filter = MeetingFilter {
                involving: Some(*user),
                from: Some(start),
                to: Some(end),
                appointments_only: true,
                ..MeetingFilter::default()
            };
            for m in meetings_where(&mut tx, &filter, "m.starts_at").await? {
                if lines.iter().any(|l| l.0 == format!("meeting:{}", m.id)) {
                    continue;
                }
                // In the meeting's own zone, named, as its invitation says.
                let starts = m
                    .fields
                    .starts_at
                    .with_timezone(&m.fields.time_zone)
                    .format("%H:%M %Z")
                    .to_string();
                lines.push((
                    format!("meeting:{}", m.id),
                    Some(m.account_id.0),
                    Reason::MeetingToday {
                        title: m.fields.title.to_string(),
                        starts,
                    },
                    Finish::Meeting(m.id),
                ));
            }
        }

        // Overdue promises: ours (owned by one of `users`) and the customer's on the book.
        for user in users {
            let ours = PromiseFilter {
                owned_by: Some(*user),
                status: Some(ActionStatus::Open),
                due_before: Some(today),
                ..PromiseFilter::default()
            };
            let theirs = PromiseFilter {
                in_book_of: Some(*user),
                side: Some(lodestar_domain::promise::Side::Theirs),
                status: Some(ActionStatus::Open),
                due_before: Some(today),
                ..PromiseFilter::default()
            };
            for p in promises_where(&mut tx, &ours)
                .await?
                .into_iter()
                .chain(promises_where(&mut tx, &theirs).await?)
            {
                let days_late = (today - p.due_on).num_days();
                let reason = match p.owner {
                    lodestar_domain::promise::PromiseOwner::Us(_) => Reason::OurPromiseOverdue {
                        description: p.description.clone(),
                        days_late,
                    },
                    lodestar_domain::promise::PromiseOwner::Customer(_) => Reason::TheirPromiseOverdue {
                        description: p.description.clone(),
                        owner: p.owner_name.clone(),
                        days_late,
                    },
                };
                lines.push((
                    format!("promise:{}", p.id),
                    Some(p.account_id.0),
                    reason,
                    Finish::Promise(p.id),
                ));
            }
        }

        // Tasks made by hand (a promise's task is its promise's line), due today or before.
        let tasks: Vec<(i64, Option<i64>, String, NaiveDate)> = Query::sql(
            "SELECT id, account_id, title, due_on FROM tasks WHERE done_at IS NULL AND promise_id IS NULL \
             AND due_on <= ",
        )
        .value(today)
        .push(" AND (snoozed_until IS NULL OR snoozed_until <= ")
        .value(today)
        .push(") AND user_id IN (")
        .list(users.iter().map(|u| u.0))
        .push(")")
        .fetch_all(&mut tx)
        .await?;
        for (id, account, title, due_on) in tasks {
            let reason = Reason::TaskDue {
                title,
                days_late: (today - due_on).num_days(),
            };
            lines.push((format!("task:{id}"), account, reason, Finish::Task(TaskId(id))));
        }

        // Red accounts: turned red lately, or untouched for UNTOUCHED_DAYS.
        let red: Vec<i64> = accounts
            .iter()
            .filter(|(_, a)| a.band == Some(Band::Red))
            .map(|(id, _)| *id)
            .collect();
        if !red.is_empty() {
            let last_not_red: Vec<(i64, NaiveDate)> =
                Query::sql("SELECT account_id, MAX(day) FROM health_snapshots WHERE band <> 'red' AND day >= ")
                    .value(today - Duration::days(NEWS_DAYS))
                    .push(" AND account_id IN (")
                    .list(red.iter().copied())
                    .push(") GROUP BY account_id")
                    .fetch_all(&mut tx)
                    .await?;
            let turned: HashSet<i64> = last_not_red.iter().map(|(id, _)| *id).collect();
            for (id, day) in last_not_red {
                let on = day + Duration::days(1);
                lines.push((
                    format!("red:{id}:{on}"),
                    Some(id),
                    Reason::TurnedRed { on },
                    Finish::Account,
                ));
            }
            let touched: Vec<(i64, DateTime<Utc>)> = Query::sql(
                "SELECT account_id, MAX(starts_at) FROM meetings WHERE cancelled_at IS NULL AND starts_at <= ",
            )
            .value(end)
            .push(" AND account_id IN (")
            .list(red.iter().copied())
            .push(") GROUP BY account_id")
            .fetch_all(&mut tx)
            .await?;
            let touched: HashMap<i64, DateTime<Utc>> = touched.into_iter().collect();
            for id in red.iter().filter(|id| !turned.contains(id)) {
                let days_since_touch = touched
                    .get(id)
                    .map(|at| (today - at.with_timezone(&zone).date_naive()).num_days());
                if days_since_touch.is_none_or(|d| d >= UNTOUCHED_DAYS) {
                    lines.push((
                        format!("untouched:{id}"),
                        Some(*id),
                        Reason::RedUntouched { days_since_touch },
                        Finish::Account,
                    ));
                }
            }
        }

        // Milestones missed lately, on accounts launched within the windows milestones have.
        for (id, a) in &accounts {
            if a.launch.is_none_or(|d| (today - d).num_days() > 400) {
                continue;
            }
            let has_events = super::usage::has_events(&mut tx, AccountId(*id)).await?;
            for (milestone, status) in
                super::milestones::account_milestones_in(&mut tx, AccountId(*id), today, has_events).await?
            {
                if let MilestoneStatus::Missed { due, .. } = status
                    && (today - due).num_days() < NEWS_DAYS
                {
                    lines.push((
                        format!("milestone:{id}:{}", milestone.id),
                        Some(*id),
                        Reason::MilestoneMissed {
                            milestone: milestone.fields.name.to_string(),
                        },
                        Finish::Account,
                    ));
                }
            }
        }
        let in_book: HashSet<i64> = accounts.keys().copied().collect();
        // My meetings, promises and tasks on accounts outside my book are still my work.
        let outside: Vec<i64> = lines
            .iter()
            .filter_map(|l| l.1)
            .filter(|id| !accounts.contains_key(id))
            .collect();
        if !outside.is_empty() {
            let others = accounts_where(&mut tx, Query::sql("a.id IN (").list(outside).push(")")).await?;
            accounts.extend(others);
        }
        let snoozed: HashSet<String> =
            Query::sql("SELECT item FROM today_snoozes WHERE user_id = $1 AND until_on > $2")
                .bind(viewer.0)
                .bind(today)
                .scalars(&mut tx)
                .await?
                .into_iter()
                .collect();
        drop(tx);

        for drop in self.usage_drops(today, USAGE_FALL_SHARE).await? {
            if in_book.contains(&drop.account_id.0) && drop.active_before > 0 {
                let drop_share = 1.0 - drop.active_now as f64 / drop.active_before as f64;
                lines.push((
                    format!("usage:{}", drop.account_id),
                    Some(drop.account_id.0),
                    Reason::UsageFalling { drop_share },
                    Finish::Account,
                ));
            }
        }

        let mut out: Vec<TodayLine> = lines
            .into_iter()
            .filter(|(key, ..)| !snoozed.contains(key))
            .map(|(key, account, reason, finish)| {
                // A task may name no account: it is still the user's work, without an account's weight.
                let a = account.and_then(|id| accounts.get(&id).map(|a| (id, a)));
                let (arr, band) = a.map_or((Cents(0), None), |(_, a)| (a.arr, a.band));
                TodayLine {
                    score: score(&reason, arr, band),
                    key,
                    account: a.map(|(id, a)| (AccountId(id), a.name.clone())),
                    owner: a.and_then(|(_, a)| a.owner),
                    reason,
                    arr,
                    band,
                    finish,
                }
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
        Ok(out)
    }

    /// Puts a line of `user`'s Today list aside until `until`.
    pub async fn snooze_today(&self, user: UserId, key: &str, until: NaiveDate) -> Result<()> {
        let mut tx = self.begin_write().await?;
        Query::sql("DELETE FROM today_snoozes WHERE user_id = $1 AND item = $2")
            .bind(user.0)
            .bind(key)
            .execute(&mut tx)
            .await?;
        Query::sql("INSERT INTO today_snoozes (user_id, item, until_on) VALUES ($1, $2, $3)")
            .bind(user.0)
            .bind(key)
            .bind(until)
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    /// The users whose books a leader's Today covers: the people who report to them.
    pub async fn reports_of(&self, leader: UserId) -> Result<Vec<UserId>> {
        let mut tx = self.begin_snapshot().await?;
        let ids: Vec<i64> =
            Query::sql("SELECT id FROM users WHERE manager_id = $1 AND deactivated_at IS NULL ORDER BY id")
                .bind(leader.0)
                .scalars(&mut tx)
                .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }
}
