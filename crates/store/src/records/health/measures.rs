//! The measures a scorecard can weigh (F-20). Each is one type implementing [`Measure`]: it
//! says what it is and reads its value for a set of accounts in one query (a full recompute
//! reads 100,000 accounts at once). Adding a measure means adding such a type to [`MEASURES`];
//! scoring, explanations, history and the scorecard editor pick it up from there.
//!
//! Dates and account ids are written into the SQL as literals: both are typed values Lodestar
//! formats itself (never user text), and it spares each query a per-backend placeholder scheme
//! around the id list.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Days, NaiveDate, Utc};
use lodestar_domain::Cents;
use lodestar_domain::health::{Exposure, PulseLevel, Reading, Severity};
use lodestar_domain::promise::PromiseFact;
use lodestar_domain::usage::RecentActivity;
use lodestar_domain::vocabulary::Tier;

use super::stored_level;
use crate::query::Query;
use crate::records::parse;
use crate::{Backend, Result, Tx};

/// What the scorecard editor and the API say about a measure.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MeasureInfo {
    pub key: &'static str,
    pub label: &'static str,
    /// What the value is, and so what the thresholds are in.
    pub unit: &'static str,
    pub help: &'static str,
    pub default_weight: u32,
    pub default_zero_at: f64,
    pub default_full_at: f64,
}

/// The accounts a recompute covers, and the day it scores them as of.
pub(crate) struct Scope {
    /// `None`: every account.
    pub(crate) accounts: Option<Vec<i64>>,
    pub(crate) today: NaiveDate,
    /// People's activity per account, read once for the measures that need it.
    activity: tokio::sync::OnceCell<HashMap<i64, Activity>>,
    /// The accounts' own fields the measures read, read once.
    facts: tokio::sync::OnceCell<Vec<AccountFacts>>,
}

/// What the measures read of an account's own record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AccountFacts {
    pub(crate) id: i64,
    pub(crate) tier: Option<String>,
    pub(crate) lifecycle_stage: String,
    pub(crate) industry: Option<String>,
    pub(crate) arr_cents: i64,
    pub(crate) renewal_date: Option<NaiveDate>,
    pub(crate) launch_date: Option<NaiveDate>,
}

impl Scope {
    pub(crate) fn new(accounts: Option<Vec<i64>>, today: NaiveDate) -> Scope {
        Scope {
            accounts,
            today,
            activity: tokio::sync::OnceCell::new(),
            facts: tokio::sync::OnceCell::new(),
        }
    }

    /// The scope's accounts with the fields the measures read (read once: each measure
    /// reading the accounts table again was a fifth of a recompute).
    pub(crate) async fn facts(&self, tx: &mut Tx) -> Result<&[AccountFacts]> {
        let found = self
            .facts
            .get_or_try_init(|| async {
                let sql = format!(
                    "SELECT id, tier, lifecycle_stage, industry, arr_cents, renewal_date, launch_date \
                     FROM accounts WHERE 1 = 1{}",
                    self.filter("id")
                );
                rows(tx, &sql).await
            })
            .await?;
        Ok(found)
    }

    /// The activity of the scope's accounts that have any (read once).
    async fn activity(&self, tx: &mut Tx) -> Result<&HashMap<i64, Activity>> {
        self.activity.get_or_try_init(|| read_activity(tx, self)).await
    }

    /// `AND column IN (…)` for a scope of some accounts; nothing for all.
    pub(crate) fn filter(&self, column: &str) -> String {
        match &self.accounts {
            None => String::new(),
            Some(ids) => {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!(" AND {column} IN ({})", list.join(", "))
            }
        }
    }

    fn days_back(&self, days: u64) -> NaiveDate {
        self.today.checked_sub_days(Days::new(days)).unwrap_or(NaiveDate::MIN)
    }
}

pub(crate) type Readings = HashMap<i64, Reading>;
pub(crate) type ReadFuture<'a> = Pin<Box<dyn Future<Output = Result<Readings>> + Send + 'a>>;

pub(crate) trait Measure: Sync {
    fn info(&self) -> MeasureInfo;
    /// The readings of the accounts in `scope` that have data; the others are left out.
    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a>;
}

/// Every measure, in the order the editor lists them.
pub(crate) static MEASURES: &[&dyn Measure] = &[
    &UsageTrend,
    &ActiveUserShare,
    &MilestoneAttainment,
    &CsmPulse,
    &PromisesKept,
    &NetPromoter,
    &DaysToRenewal,
    &IndustryExposure,
    &ProblemSeverity,
    &PriceVsThreshold,
    &SupportLoad,
    &ChampionStrength,
    &OnboardingProgress,
];

/// Runs a query without parameters and returns its rows.
async fn rows<T>(tx: &mut Tx, sql: &str) -> Result<Vec<T>>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    Query::sql(sql).fetch_all(tx).await
}

/// What the usage measures read of an account's people.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Activity {
    /// Days people were active in the last 28 days, and in the 28 before.
    pub(crate) people_days_now: i64,
    pub(crate) people_days_before: i64,
    /// People active in the last 28 days.
    pub(crate) active: i64,
    /// People placed on the account (group call, contact email) or active in the last 90 days.
    pub(crate) known: i64,
}

/// Reads the scope's activity from the people's summaries (`usage_person_activity`, one row
/// per person), and — for the accounts with someone active after the scope's day, which the
/// summaries cannot answer for (an as-of day in the past) — from the daily rollups.
async fn read_activity(tx: &mut Tx, scope: &Scope) -> Result<HashMap<i64, Activity>> {
    let today = scope.today;
    let (now_from, before_from, known_from) = (scope.days_back(28), scope.days_back(56), scope.days_back(90));
    let filter = scope.filter("account_id");
    // One row per account carrying its people's summaries as text ("2026-11-20 5,…"): a row
    // per person costs the driver an allocation and a channel hop each, the bulk of the time.
    let people_of = match tx.backend() {
        Backend::Sqlite => "group_concat(last_day || ' ' || recent_days, ',')",
        Backend::Postgres => "string_agg(CAST(last_day AS TEXT) || ' ' || CAST(recent_days AS TEXT), ',')",
    };
    let sql =
        format!("SELECT account_id, {people_of} FROM usage_person_activity WHERE 1 = 1{filter} GROUP BY account_id");
    let grouped: Vec<(i64, String)> = rows(tx, &sql).await?;
    let mut people: Vec<(i64, NaiveDate, i64)> = Vec::new();
    for (account, list) in grouped {
        for person in list.split(',') {
            let parsed = person
                .split_once(' ')
                .and_then(|(day, bits)| Some((account, day.parse::<NaiveDate>().ok()?, bits.parse::<i64>().ok()?)));
            people.push(parsed.ok_or_else(|| {
                crate::StoreError::Corrupt(format!("usage_person_activity of account {account}: {person:?}"))
            })?);
        }
    }
    // Known people also include those placed on the account who were not active lately.
    let sql = format!(
        "SELECT p.account_id, COUNT(*) FROM usage_people p WHERE p.account_id IS NOT NULL{} \
         AND NOT EXISTS (SELECT 1 FROM usage_person_activity a WHERE a.account_id = p.account_id \
         AND a.user_key = p.user_key AND a.last_day > '{known_from}') GROUP BY p.account_id",
        scope.filter("p.account_id")
    );
    let linked: Vec<(i64, i64)> = rows(tx, &sql).await?;
    let mut out: HashMap<i64, Activity> = HashMap::new();
    let mut from_days: HashSet<i64> = HashSet::new();
    for (account, last_day, bits) in people {
        let a = RecentActivity {
            last_day,
            days: bits as u64,
        };
        if !a.answers_for(today) {
            from_days.insert(account);
            continue;
        }
        let entry = out.entry(account).or_default();
        entry.people_days_now += i64::from(a.active_days(now_from, today));
        entry.people_days_before += i64::from(a.active_days(before_from, now_from));
        if a.last_day > now_from {
            entry.active += 1;
        }
        if a.last_day > known_from {
            entry.known += 1;
        }
    }
    for (account, n) in linked {
        out.entry(account).or_default().known += n;
    }
    if !from_days.is_empty() {
        let mut ids: Vec<i64> = from_days.into_iter().collect();
        ids.sort_unstable();
        let past = Scope::new(Some(ids), today);
        for (account, activity) in activity_from_days(tx, &past).await? {
            out.insert(account, activity);
        }
    }
    Ok(out)
}

/// Test support: every account's activity as of `today` read both ways — from the people's
/// summaries, and from the daily rollups — as `(account, [people-days now, people-days before,
/// active, known])`, by account. The two must agree.
#[cfg(feature = "testing")]
pub(crate) async fn activity_both_ways(tx: &mut Tx, today: NaiveDate) -> Result<[Vec<(i64, [i64; 4])>; 2]> {
    let listed = |found: HashMap<i64, Activity>| {
        let mut rows: Vec<(i64, [i64; 4])> = found
            .into_iter()
            .map(|(id, a)| (id, [a.people_days_now, a.people_days_before, a.active, a.known]))
            .collect();
        rows.sort_unstable();
        rows
    };
    let summaries = read_activity(tx, &Scope::new(None, today)).await?;
    let days = activity_from_days(tx, &Scope::new(None, today)).await?;
    Ok([listed(summaries), listed(days)])
}

/// The activity of the scope's accounts read from the daily rollups: exact for any day, at a
/// row per person and day.
pub(crate) async fn activity_from_days(tx: &mut Tx, scope: &Scope) -> Result<HashMap<i64, Activity>> {
    let filter = scope.filter("account_id");
    let (today, mid, start, known_from) = (
        scope.today,
        scope.days_back(28),
        scope.days_back(56),
        scope.days_back(90),
    );
    // SUM of BIGINT is NUMERIC on PostgreSQL: cast back.
    let sql = format!(
        "SELECT account_id, CAST(SUM(CASE WHEN day > '{mid}' THEN active_users ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN day <= '{mid}' THEN active_users ELSE 0 END) AS BIGINT) FROM usage_account_days \
         WHERE day > '{start}' AND day <= '{today}'{filter} GROUP BY account_id"
    );
    let trend: Vec<(i64, i64, i64)> = rows(tx, &sql).await?;
    let sql = format!(
        "SELECT account_id, COUNT(DISTINCT user_key) FROM usage_user_days \
         WHERE day > '{mid}' AND day <= '{today}'{filter} GROUP BY account_id"
    );
    let active: Vec<(i64, i64)> = rows(tx, &sql).await?;
    let sql = format!(
        "SELECT account_id, COUNT(DISTINCT user_key) FROM (\
         SELECT account_id, user_key FROM usage_user_days WHERE day > '{known_from}' AND day <= '{today}'{filter} \
         UNION SELECT account_id, user_key FROM usage_people WHERE account_id IS NOT NULL{filter}) k \
         GROUP BY account_id"
    );
    let known: Vec<(i64, i64)> = rows(tx, &sql).await?;
    let mut out: HashMap<i64, Activity> = HashMap::new();
    for (account, now, before) in trend {
        let a = out.entry(account).or_default();
        (a.people_days_now, a.people_days_before) = (now, before);
    }
    for (account, n) in active {
        out.entry(account).or_default().active = n;
    }
    for (account, n) in known {
        out.entry(account).or_default().known = n;
    }
    Ok(out)
}

/// Change in activity over four weeks (seed 004, "CSM workflow": falling use is the earliest
/// sign): the days people were active in the last 28 days against the 28 before. Counting
/// people-days, not distinct people, catches a team that still logs in but less and less.
struct UsageTrend;

impl Measure for UsageTrend {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "usage_trend",
            label: "Usage trend",
            unit: "% change in people-days active, last 4 weeks vs the 4 before",
            help: "Falling usage is the earliest sign of churn.",
            default_weight: 25,
            default_zero_at: -50.0,
            default_full_at: 0.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let mut out = Readings::new();
            for (account, a) in scope.activity(tx).await? {
                let (now, before) = (a.people_days_now, a.people_days_before);
                if now + before == 0 {
                    continue;
                }
                // From nobody to somebody is growth; without a "before" there is no rate.
                let value = if before == 0 {
                    100.0
                } else {
                    100.0 * (now - before) as f64 / before as f64
                };
                out.insert(
                    *account,
                    Reading {
                        value,
                        fact: format!(
                            "people-days active {before} → {now} (last 4 weeks vs the 4 before, {value:+.0} %)"
                        ),
                    },
                );
            }
            Ok(out)
        })
    }
}

/// Share of the account's known people who were active in the last four weeks. Known: placed
/// on the account by a group call or a contact's email, or active there in the last 90 days.
struct ActiveUserShare;

impl Measure for ActiveUserShare {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "active_user_share",
            label: "Active-user share",
            unit: "% of the account's known people (linked, or active in 90 days) active in the last 4 weeks",
            help: "How much of the customer actually uses what they bought.",
            default_weight: 20,
            default_zero_at: 10.0,
            default_full_at: 60.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            Ok(scope
                .activity(tx)
                .await?
                .iter()
                .filter(|(_, a)| a.known > 0)
                .map(|(account, a)| {
                    let now = a.active.min(a.known);
                    let value = 100.0 * now as f64 / a.known as f64;
                    let reading = Reading {
                        value,
                        fact: format!(
                            "{now} of {} known people active in the last 4 weeks ({value:.0} %)",
                            a.known
                        ),
                    };
                    (*account, reading)
                })
                .collect())
        })
    }
}

/// Share of the milestones due that the account reached (seed 001, "sticky drivers").
struct MilestoneAttainment;

impl Measure for MilestoneAttainment {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "milestone_attainment",
            label: "Milestone attainment",
            unit: "% of the milestones due (reached or past their window) that were reached",
            help: "Accounts that reach the key behaviours renew.",
            default_weight: 15,
            default_zero_at: 0.0,
            default_full_at: 100.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let windows: Vec<(i64, i64)> = rows(tx, "SELECT id, within_days FROM milestones").await?;
            if windows.is_empty() {
                return Ok(Readings::new());
            }
            let launched: Vec<(i64, NaiveDate)> = scope
                .facts(tx)
                .await?
                .iter()
                .filter_map(|a| Some((a.id, a.launch_date?)))
                .collect();
            let sql = format!(
                "SELECT account_id, milestone_id, achieved_on FROM milestone_achievements WHERE achieved_on <= '{}'{}",
                scope.today,
                scope.filter("account_id")
            );
            let achieved: Vec<(i64, i64, NaiveDate)> = rows(tx, &sql).await?;
            let mut reached: HashMap<i64, Vec<i64>> = HashMap::new();
            for (account, milestone, _) in achieved {
                reached.entry(account).or_default().push(milestone);
            }
            let mut out = Readings::new();
            for (account, launch) in launched {
                let done = reached.get(&account).map_or(&[][..], Vec::as_slice);
                let due = windows
                    .iter()
                    .filter(|(id, within)| {
                        done.contains(id)
                            || launch
                                .checked_add_days(Days::new(u64::try_from(*within).unwrap_or(0)))
                                .is_some_and(|end| end <= scope.today)
                    })
                    .count();
                if due == 0 {
                    continue;
                }
                let value = 100.0 * done.len() as f64 / due as f64;
                out.insert(
                    account,
                    Reading {
                        value,
                        fact: format!("{} of {due} milestones due reached", done.len()),
                    },
                );
            }
            Ok(out)
        })
    }
}

/// How long a pulse speaks for the account.
const PULSE_DAYS: u64 = 90;

/// The CSM's latest read of the relationship (seed 001, play 1), if recent.
struct CsmPulse;

impl Measure for CsmPulse {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "csm_pulse",
            label: "CSM pulse",
            unit: "the latest pulse of the last 90 days, 1 (very negative) to 5 (very positive)",
            help: "What the CSM knows that no data shows.",
            default_weight: 15,
            default_zero_at: 1.0,
            default_full_at: 5.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let sql = format!(
                "SELECT account_id, level, reason, recorded_at FROM account_pulses WHERE 1 = 1{} \
                 ORDER BY account_id, recorded_at, id",
                scope.filter("account_id")
            );
            let pulses: Vec<(i64, i64, String, DateTime<Utc>)> = rows(tx, &sql).await?;
            let from = scope.days_back(PULSE_DAYS);
            let mut out = Readings::new();
            // Ordered oldest first, so the last one kept per account is its latest.
            for (account, level, reason, at) in pulses {
                let day = at.date_naive();
                if day < from || day > scope.today {
                    continue;
                }
                let level = stored_level("account_pulses.level", level, PulseLevel::new)?;
                out.insert(
                    account,
                    Reading {
                        value: f64::from(level.get()),
                        fact: format!("{} on {day}: {reason}", level.label()),
                    },
                );
            }
            Ok(out)
        })
    }
}

/// Whether both sides keep their word (seed 003: every meeting ends with promises on both
/// sides): the share of promises due in the last 90 days that were done on time.
struct PromisesKept;

impl Measure for PromisesKept {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "promises_kept",
            label: "Promises kept",
            unit: "% of the promises due in the last 90 days done on time, ours and the customer's",
            help: "A relationship where promises slip on either side is one where value slips.",
            default_weight: 10,
            default_zero_at: 50.0,
            default_full_at: 100.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let facts = crate::records::promises::promise_facts(tx, &scope.filter("account_id")).await?;
            let mut by_account: HashMap<i64, Vec<PromiseFact>> = HashMap::new();
            for (account, fact) in facts {
                by_account.entry(account).or_default().push(fact);
            }
            let mut out = Readings::new();
            for (account, facts) in by_account {
                let kept = lodestar_domain::promise::PromisesKept::over(facts, scope.today);
                if let Some(percent) = kept.percent() {
                    out.insert(
                        account,
                        Reading {
                            value: percent,
                            fact: kept.describe(),
                        },
                    );
                }
            }
            Ok(out)
        })
    }
}

/// How long an NPS answer speaks for the account.
const NPS_DAYS: u64 = 180;

/// What the account's contacts say (F-40): the NPS of their answers of the last 180 days.
struct NetPromoter;

impl Measure for NetPromoter {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "nps",
            label: "NPS",
            unit: "the NPS of the account's answers of the last 180 days, -100 to 100",
            help: "What the customer's people say when asked; a detractor's answer needs the loop closed.",
            default_weight: 10,
            default_zero_at: -50.0,
            default_full_at: 50.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let sql = format!(
                "SELECT account_id, score, answered_at FROM survey_answers WHERE kind = 'nps'{}",
                scope.filter("account_id")
            );
            let answers: Vec<(i64, i64, DateTime<Utc>)> = rows(tx, &sql).await?;
            let from = scope.days_back(NPS_DAYS);
            let mut by_account: HashMap<i64, lodestar_domain::survey::NpsTally> = HashMap::new();
            for (account, score, at) in answers {
                let day = at.date_naive();
                if day < from || day > scope.today {
                    continue;
                }
                by_account
                    .entry(account)
                    .or_default()
                    .add(i32::try_from(score).unwrap_or_default());
            }
            let mut out = Readings::new();
            for (account, tally) in by_account {
                if let Some(nps) = tally.nps() {
                    out.insert(
                        account,
                        Reading {
                            value: f64::from(nps),
                            fact: format!(
                                "NPS {nps} from {} answers since {from}: {} promoters, {} passives, {} detractors",
                                tally.answers(),
                                tally.promoters,
                                tally.passives,
                                tally.detractors
                            ),
                        },
                    );
                }
            }
            Ok(out)
        })
    }
}

/// Days until the account's next renewal.
struct DaysToRenewal;

impl Measure for DaysToRenewal {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "days_to_renewal",
            label: "Days to renewal",
            unit: "days until the next renewal",
            help: "The closer the renewal, the less time to fix anything.",
            default_weight: 5,
            default_zero_at: 30.0,
            default_full_at: 180.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let found: Vec<(i64, NaiveDate)> = scope
                .facts(tx)
                .await?
                .iter()
                .filter_map(|a| Some((a.id, a.renewal_date?)))
                .collect();
            Ok(found
                .into_iter()
                .map(|(account, renewal)| {
                    let days = (renewal - scope.today).num_days().max(0);
                    let fact = if days == 0 {
                        format!("renewal due ({renewal})")
                    } else {
                        format!("renewal in {days} days ({renewal})")
                    };
                    (
                        account,
                        Reading {
                            value: days as f64,
                            fact,
                        },
                    )
                })
                .collect())
        })
    }
}

/// How exposed the account's industry is (seed 004, "pandemic").
struct IndustryExposure;

impl Measure for IndustryExposure {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "industry_exposure",
            label: "Industry exposure",
            unit: "1 low, 2 moderate, 3 high (set per industry)",
            help: "Customers in hard-hit industries churn whatever their usage.",
            default_weight: 5,
            default_zero_at: 3.0,
            default_full_at: 1.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let exposures: HashMap<String, String> =
                rows::<(String, String)>(tx, "SELECT industry, exposure FROM industry_exposures")
                    .await?
                    .into_iter()
                    .collect();
            if exposures.is_empty() {
                return Ok(Readings::new());
            }
            let found: Vec<(i64, String, String)> = scope
                .facts(tx)
                .await?
                .iter()
                .filter_map(|a| {
                    let industry = a.industry.clone()?;
                    let exposure = exposures.get(&industry)?.clone();
                    Some((a.id, industry, exposure))
                })
                .collect();
            found
                .into_iter()
                .map(|(account, industry, exposure)| {
                    let exposure = Exposure::parse(&exposure)
                        .map_err(|e| crate::StoreError::Corrupt(format!("industry_exposures.exposure: {e}")))?;
                    let reading = Reading {
                        value: exposure.level(),
                        fact: format!("{industry}: {} exposure", exposure.as_str()),
                    };
                    Ok((account, reading))
                })
                .collect()
        })
    }
}

/// How bad the account's current problem is (seed 004: 1 "not important" to 5 "on fire").
struct ProblemSeverity;

impl Measure for ProblemSeverity {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "problem_severity",
            label: "Problem severity",
            unit: "1 (not important) to 5 (on fire)",
            help: "A customer with a burning problem is at risk until it is solved.",
            default_weight: 10,
            default_zero_at: 5.0,
            default_full_at: 1.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let sql = format!(
                "SELECT account_id, severity, note FROM account_problems WHERE 1 = 1{}",
                scope.filter("account_id")
            );
            let found: Vec<(i64, i64, String)> = rows(tx, &sql).await?;
            found
                .into_iter()
                .map(|(account, severity, note)| {
                    let severity = stored_level("account_problems.severity", severity, Severity::new)?;
                    let mut fact = format!("{} – {}", severity.get(), severity.label());
                    if !note.is_empty() {
                        fact.push_str(": ");
                        fact.push_str(&note);
                    }
                    let reading = Reading {
                        value: f64::from(severity.get()),
                        fact,
                    };
                    Ok((account, reading))
                })
                .collect()
        })
    }
}

/// What the account pays against its segment's price threshold (seed 004, "pandemic": the
/// customers paying too little are the first to question the price).
struct PriceVsThreshold;

impl Measure for PriceVsThreshold {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "price_threshold",
            label: "Price vs segment threshold",
            unit: "ARR as % of the segment's price threshold",
            help: "Customers paying below their segment's threshold are price-sensitive.",
            default_weight: 5,
            default_zero_at: 50.0,
            default_full_at: 100.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let thresholds: HashMap<String, i64> =
                rows::<(String, i64)>(tx, "SELECT tier, min_arr_cents FROM price_thresholds")
                    .await?
                    .into_iter()
                    .collect();
            if thresholds.is_empty() {
                return Ok(Readings::new());
            }
            let found: Vec<(i64, i64, String, i64)> = scope
                .facts(tx)
                .await?
                .iter()
                .filter(|a| a.arr_cents > 0)
                .filter_map(|a| {
                    let tier = a.tier.clone()?;
                    let threshold = *thresholds.get(&tier)?;
                    Some((a.id, a.arr_cents, tier, threshold))
                })
                .collect();
            found
                .into_iter()
                .map(|(account, arr, tier, threshold)| {
                    let tier: Tier = parse("accounts.tier", &tier)?;
                    let value = 100.0 * arr as f64 / threshold as f64;
                    let reading = Reading {
                        value,
                        fact: format!(
                            "ARR {} is {value:.0} % of the {} threshold {}",
                            Cents(arr).whole_dollars(),
                            tier.label(),
                            Cents(threshold).whole_dollars()
                        ),
                    };
                    Ok((account, reading))
                })
                .collect()
        })
    }
}

/// How strong the account's people are for us (F-41): each contact's engagement and delight,
/// weighted by influence; a key contact who probably left counts as nothing. Contacts marked
/// as left are out, and so are those with no evidence at all.
struct ChampionStrength;

impl Measure for ChampionStrength {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "champion_health",
            label: "Champion health",
            unit: "the contacts' engagement and delight weighted by influence, 0 to 100",
            help: "Engaged, delighted, influential people renew; a champion who left or dislikes our solution is a warning.",
            default_weight: 10,
            default_zero_at: 20.0,
            default_full_at: 65.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let champions = crate::records::champions::champions_in(tx, scope.accounts.as_deref(), scope.today).await?;
            let mut out = Readings::new();
            for (account, people) in champions {
                // People Lodestar knows nothing about say nothing: no reading is not bad news.
                let here: Vec<_> = people
                    .iter()
                    .filter(|c| c.marked_active())
                    .filter(|c| c.health.engagement.value > 0 || c.health.delight.is_some() || c.departure.is_some())
                    .collect();
                if here.is_empty() {
                    continue;
                }
                let (mut sum, mut weight) = (0.0, 0.0);
                let mut notes = Vec::new();
                for c in &here {
                    // Everyone counts a little: a low-influence user still says something.
                    let w = f64::from(c.health.influence.value.max(5));
                    weight += w;
                    if c.departure.is_some() {
                        notes.push(format!("{} probably left", c.name));
                    } else {
                        sum += w * c.health.strength();
                        if c.health.needs_attention() {
                            notes.push(format!("{} (high influence) dislikes our solution", c.name));
                        }
                    }
                }
                let value = sum / weight;
                let champions = here
                    .iter()
                    .filter(|c| {
                        c.departure.is_none()
                            && c.health.quadrant == Some(lodestar_domain::champion::Quadrant::Champion)
                    })
                    .count();
                let mut fact = format!(
                    "{value:.0} over {} contacts, {champions} engaged and delighted",
                    here.len()
                );
                for note in notes {
                    fact.push_str("; ");
                    fact.push_str(&note);
                }
                out.insert(account, Reading { value, fact });
            }
            Ok(out)
        })
    }
}

/// Open support tickets weighted by priority (F-43: an urgent ticket weighs four normal ones,
/// a low one half). Accounts that never opened a ticket have no reading: no help desk data is
/// not good news.
struct SupportLoad;

impl Measure for SupportLoad {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "support_load",
            label: "Support load",
            unit: "open tickets weighted by priority (low ½, normal 1, high 2, urgent 4)",
            help: "Customers waiting on support are customers losing faith.",
            default_weight: 10,
            default_zero_at: 8.0,
            default_full_at: 0.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let facts = crate::records::tickets::ticket_facts(tx, &scope.filter("account_id")).await?;
            // Wait times are measured to the end of the scored day.
            let now = scope.today.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc();
            let mut out = Readings::new();
            for (account, facts) in facts {
                let stats = lodestar_domain::ticket::TicketStats::over(&facts, now);
                out.insert(
                    account,
                    Reading {
                        value: stats.load,
                        fact: stats.describe(),
                    },
                );
            }
            Ok(out)
        })
    }
}

/// Onboarding (F-36): how much of the plan due so far is done — 100 once the customer said
/// onboarding is complete. Accounts without an onboarding plan have no reading; an account
/// with several is read on its latest.
struct OnboardingProgress;

#[derive(sqlx::FromRow)]
struct OnboardingRow {
    id: i64,
    account_id: i64,
    completed_on: Option<NaiveDate>,
    due_on: Option<NaiveDate>,
    done_at: Option<DateTime<Utc>>,
}

impl Measure for OnboardingProgress {
    fn info(&self) -> MeasureInfo {
        MeasureInfo {
            key: "onboarding",
            label: "Onboarding",
            unit: "% of the onboarding tasks due so far that are done (100 once the customer calls it complete)",
            help: "A customer whose onboarding slips rarely reaches first value on time.",
            default_weight: 10,
            default_zero_at: 0.0,
            default_full_at: 100.0,
        }
    }

    fn read<'a>(&'a self, tx: &'a mut Tx, scope: &'a Scope) -> ReadFuture<'a> {
        Box::pin(async move {
            let sql = format!(
                "SELECT p.id, p.account_id, p.completed_on, t.due_on, t.done_at FROM onboarding_projects p \
                 LEFT JOIN onboarding_tasks t ON t.project_id = p.id WHERE 1 = 1{}",
                scope.filter("p.account_id")
            );
            let found: Vec<OnboardingRow> = rows(tx, &sql).await?;
            let latest: HashMap<i64, i64> = found.iter().fold(HashMap::new(), |mut m, r| {
                let e = m.entry(r.account_id).or_insert(r.id);
                *e = (*e).max(r.id);
                m
            });
            // Per account: completed, tasks due so far, of them done.
            let mut tally: HashMap<i64, (bool, u32, u32)> = HashMap::new();
            for r in found.iter().filter(|r| latest.get(&r.account_id) == Some(&r.id)) {
                let t = tally.entry(r.account_id).or_default();
                t.0 |= r.completed_on.is_some_and(|d| d <= scope.today);
                if r.due_on.is_some_and(|d| d <= scope.today) {
                    t.1 += 1;
                    t.2 += u32::from(r.done_at.is_some());
                }
            }
            let mut out = Readings::new();
            for (account, (complete, due, done)) in tally {
                let reading = if complete {
                    Reading {
                        value: 100.0,
                        fact: "the customer confirmed onboarding is complete".to_owned(),
                    }
                } else if due == 0 {
                    Reading {
                        value: 100.0,
                        fact: "onboarding has no task due yet".to_owned(),
                    }
                } else {
                    Reading {
                        value: f64::from(done) * 100.0 / f64::from(due),
                        fact: format!("{done} of {due} onboarding tasks due so far are done"),
                    }
                };
                out.insert(account, reading);
            }
            Ok(out)
        })
    }
}
