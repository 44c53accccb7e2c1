//! The revenue operations (F-63, F-64) the API, the pages and `lodestar report` all call: who
//! may see what, the request's rules, and the reports, computed in one pass over the accounts'
//! MRR movements with the domain's arithmetic.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lodestar_domain::access::{Actor, Scope};
use lodestar_domain::revenue::{Retention, Step, mrr_at, start_cohort};
use lodestar_domain::survival::{Tenure, kaplan_meier, median_day, tenure};
use lodestar_domain::text::CustomFields;
use lodestar_domain::vocabulary::Tier;
use lodestar_store::{RevenueAccount, RevenueAttributes, Store};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::ApiError;
use crate::http::params::bad;

/// Longest period a report covers, and most points on its chart: enough for 20 years by month.
const MAX_YEARS: i32 = 20;

/// Whose accounts `actor` sees revenue of; refused before anything is read.
pub fn scope(actor: &Actor) -> Result<Scope, ApiError> {
    actor.revenue_scope().ok_or(ApiError::Forbidden(
        "revenue figures are for leaders, executives and a CSM's own book",
    ))
}

/// What retention figures are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionBy {
    /// The tier, which is the segment everywhere in Lodestar.
    Tier,
    Industry,
    /// The account's CSM: their book.
    Csm,
    /// The calendar quarter of the account's first subscription.
    Cohort,
}

impl RetentionBy {
    pub const KEYS: &'static str = "tier (or segment), industry, csm, cohort";

    pub fn parse(input: &str) -> Result<Self, ApiError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "tier" | "segment" => Ok(Self::Tier),
            "industry" => Ok(Self::Industry),
            "csm" | "owner" | "book" => Ok(Self::Csm),
            "cohort" | "start_cohort" => Ok(Self::Cohort),
            other => Err(bad("by", format!("{other:?} is not one of {}", Self::KEYS))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tier => "tier",
            Self::Industry => "industry",
            Self::Csm => "csm",
            Self::Cohort => "cohort",
        }
    }

    /// What `group_of` reads of an account besides its movements.
    fn reads(by: Option<Self>) -> RevenueAttributes {
        let mut read = RevenueAttributes::NONE;
        match by {
            Some(Self::Tier) => read.tier = true,
            Some(Self::Industry) => read.industry = true,
            Some(Self::Csm) => read.owner = true,
            Some(Self::Cohort) | None => {}
        }
        read
    }

    /// The group an account falls in: a sort key, and its label.
    fn group_of(self, a: &RevenueAccount) -> (String, String) {
        match self {
            Self::Tier => tier_group(a.tier),
            Self::Industry => text_group(a.industry.as_deref(), "No industry"),
            Self::Csm => text_group(a.owner.as_ref().map(|(_, name)| name.as_str()), "No CSM"),
            Self::Cohort => {
                let cohort = a.movements.first().map_or_else(String::new, |m| start_cohort(m.date));
                (cohort.clone(), cohort)
            }
        }
    }
}

fn tier_group(tier: Option<Tier>) -> (String, String) {
    match tier {
        // Tiers sort in their own order (strategic first), not by name.
        Some(t) => (
            format!("{}:{}", Tier::ALL.iter().position(|x| *x == t).unwrap_or(9), t.as_str()),
            t.label().to_owned(),
        ),
        None => ("9".into(), "No tier".into()),
    }
}

fn text_group(value: Option<&str>, none: &str) -> (String, String) {
    match value {
        // Unlabelled accounts last.
        Some(v) => (format!("0:{}", v.to_lowercase()), v.to_owned()),
        None => ("1".into(), none.to_owned()),
    }
}

/// A retention request: the period `[from, to)`, the grouping and the chart's step.
#[derive(Debug, Clone, Copy)]
pub struct RetentionParams {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: Option<RetentionBy>,
    pub step: Step,
}

impl RetentionParams {
    /// The period's rules: it is not empty, and not longer than twenty years.
    pub fn new(from: NaiveDate, to: NaiveDate, by: Option<RetentionBy>, step: Step) -> Result<Self, ApiError> {
        if to <= from {
            return Err(bad(
                "to",
                format!("{to} is not after from ({from}); the period is [from, to)"),
            ));
        }
        if to
            > from
                .checked_add_months(chrono::Months::new(12 * MAX_YEARS as u32))
                .unwrap_or(NaiveDate::MAX)
        {
            return Err(bad("to", format!("the period is longer than {MAX_YEARS} years")));
        }
        Ok(Self { from, to, by, step })
    }
}

/// The figures of one cohort and period, with the counts and sums behind them. Amounts are
/// decimal strings of MRR; rates are fractions (1.04 is 104 %), null when nothing is there to
/// divide by.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionFigures {
    /// Accounts active on `from`: the start cohort.
    pub accounts: u64,
    /// Of those, accounts with no subscription on `to`.
    pub churned_accounts: u64,
    #[schema(example = "125000.00")]
    pub start_mrr: String,
    /// The cohort's MRR on `to` (accounts that joined later are not counted).
    pub end_mrr: String,
    /// The cohort's MRR on `to`, each account capped at its start MRR.
    pub retained_mrr: String,
    /// Start MRR of the churned accounts.
    pub churned_mrr: String,
    /// MRR lost by accounts active on both days whose MRR fell.
    pub downsold_mrr: String,
    pub expanded_mrr: String,
    /// Net revenue retention: end MRR ÷ start MRR.
    pub nrr: Option<f64>,
    /// Gross revenue retention: retained MRR ÷ start MRR.
    pub grr: Option<f64>,
    /// Logo churn rate: churned accounts ÷ accounts.
    pub logo_churn: Option<f64>,
    /// MRR churn rate: (churned + downsold MRR) ÷ start MRR.
    pub mrr_churn: Option<f64>,
    /// The sums as numbers, for pages.
    #[serde(skip)]
    pub raw: Retention,
}

impl From<&Retention> for RetentionFigures {
    fn from(r: &Retention) -> Self {
        RetentionFigures {
            accounts: r.accounts,
            churned_accounts: r.churned_accounts,
            start_mrr: r.start_mrr.to_string(),
            end_mrr: r.end_mrr.to_string(),
            retained_mrr: r.retained_mrr.to_string(),
            churned_mrr: r.churned_mrr.to_string(),
            downsold_mrr: r.downsold_mrr.to_string(),
            expanded_mrr: r.expanded_mrr.to_string(),
            nrr: r.nrr(),
            grr: r.grr(),
            logo_churn: r.logo_churn(),
            mrr_churn: r.mrr_churn(),
            raw: *r,
        }
    }
}

/// One point of a chart over time: the figures of `[from, to)`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionPoint {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(flatten)]
    pub figures: RetentionFigures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionGroup {
    pub label: String,
    #[serde(flatten)]
    pub figures: RetentionFigures,
    /// The same figures for each step of the period.
    pub series: Vec<RetentionPoint>,
}

/// Revenue retention of a period (F-63), overall, over time and by group.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// month, quarter or year: the length of each point of `series`.
    #[schema(example = "quarter")]
    pub step: &'static str,
    /// tier, industry, csm or cohort; null without grouping.
    pub by: Option<&'static str>,
    /// all, or book (a CSM's own accounts).
    #[schema(example = "all")]
    pub scope: &'static str,
    pub total: RetentionFigures,
    pub series: Vec<RetentionPoint>,
    pub groups: Vec<RetentionGroup>,
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::All => "all",
        Scope::Book(_) => "book",
    }
}

/// Retention for `params` over the accounts `actor` may see.
pub async fn retention(store: &Store, actor: &Actor, params: RetentionParams) -> Result<RetentionReport, ApiError> {
    let scope = scope(actor)?;
    let accounts = store
        .revenue_accounts_reading(scope, RetentionBy::reads(params.by))
        .await?;
    Ok(retention_of(&accounts, params, scope))
}

fn retention_of(accounts: &[RevenueAccount], params: RetentionParams, scope: Scope) -> RetentionReport {
    let steps = lodestar_domain::revenue::steps(params.from, params.to, params.step);
    // Every day any figure needs, sorted: each step's bounds (the period's own are among them).
    let days: Vec<NaiveDate> = steps.iter().map(|s| s.0).chain([params.to]).collect();
    let mut total = vec![Retention::default(); steps.len() + 1];
    let mut groups: BTreeMap<String, (String, Vec<Retention>)> = BTreeMap::new();
    for a in accounts {
        let mrr = mrr_at(&a.movements, &days);
        let tally = |into: &mut Vec<Retention>| {
            into[0].add(mrr[0], mrr[days.len() - 1]);
            for i in 0..steps.len() {
                into[i + 1].add(mrr[i], mrr[i + 1]);
            }
        };
        tally(&mut total);
        if let Some(by) = params.by {
            let (key, label) = by.group_of(a);
            tally(
                &mut groups
                    .entry(key)
                    .or_insert_with(|| (label, vec![Retention::default(); steps.len() + 1]))
                    .1,
            );
        }
    }
    let series = |tallies: &[Retention]| -> Vec<RetentionPoint> {
        steps
            .iter()
            .zip(&tallies[1..])
            .map(|((from, to), r)| RetentionPoint {
                from: *from,
                to: *to,
                figures: r.into(),
            })
            .collect()
    };
    RetentionReport {
        from: params.from,
        to: params.to,
        step: params.step.as_str(),
        by: params.by.map(RetentionBy::as_str),
        scope: scope_name(scope),
        total: (&total[0]).into(),
        series: series(&total),
        groups: groups
            .into_values()
            // A group with nobody active at any step's start says nothing.
            .filter(|(_, t)| t.iter().any(|r| r.accounts > 0))
            .map(|(label, t)| RetentionGroup {
                label,
                figures: (&t[0]).into(),
                series: series(&t),
            })
            .collect(),
    }
}

/// What retention curves are split by: an account attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurvivalBy {
    /// No split: one curve.
    All,
    Tier,
    Industry,
    /// Employees, in bands.
    Size,
    Region,
    Csm,
    /// The ARR the account started with, in bands.
    ContractSize,
    /// Whether the account ever had a QBR or EBR.
    HadQbr,
    /// A custom field's value (`channel`, or `custom.KEY` for any key).
    Custom(String),
}

impl SurvivalBy {
    pub const KEYS: &'static str = "all, tier (or segment), industry, size, region, csm, contract_size, had_qbr, or a custom field (channel, custom.KEY)";

    pub fn parse(input: &str) -> Result<Self, ApiError> {
        let key = input.trim().to_ascii_lowercase();
        Ok(match key.as_str() {
            "all" | "" => Self::All,
            "tier" | "segment" => Self::Tier,
            "industry" => Self::Industry,
            "size" | "employees" => Self::Size,
            "region" => Self::Region,
            "csm" | "owner" | "book" => Self::Csm,
            "contract_size" | "arr" => Self::ContractSize,
            "had_qbr" | "qbr" | "qbrs" => Self::HadQbr,
            other => {
                let field = other.strip_prefix("custom.").unwrap_or(other);
                if !CustomFields::is_key(field) {
                    return Err(bad("by", format!("{input:?} is not one of {}", Self::KEYS)));
                }
                Self::Custom(field.to_owned())
            }
        })
    }

    pub fn name(&self) -> String {
        match self {
            Self::All => "all".into(),
            Self::Tier => "tier".into(),
            Self::Industry => "industry".into(),
            Self::Size => "size".into(),
            Self::Region => "region".into(),
            Self::Csm => "csm".into(),
            Self::ContractSize => "contract_size".into(),
            Self::HadQbr => "had_qbr".into(),
            Self::Custom(key) => format!("custom.{key}"),
        }
    }

    /// What `group_of` reads of an account besides its movements.
    fn reads(&self) -> RevenueAttributes {
        let mut read = RevenueAttributes::NONE;
        match self {
            Self::All | Self::ContractSize => {}
            Self::Tier => read.tier = true,
            Self::Industry => read.industry = true,
            Self::Size => read.employees = true,
            Self::Region => read.region = true,
            Self::Csm => read.owner = true,
            Self::HadQbr => read.had_qbr = true,
            Self::Custom(_) => read.custom_fields = true,
        }
        read
    }

    fn group_of(&self, a: &RevenueAccount) -> (String, String) {
        match self {
            Self::All => (String::new(), "All accounts".into()),
            Self::Tier => tier_group(a.tier),
            Self::Industry => text_group(a.industry.as_deref(), "No industry"),
            Self::Region => text_group(a.region.as_deref(), "No region"),
            Self::Csm => text_group(a.owner.as_ref().map(|(_, name)| name.as_str()), "No CSM"),
            Self::Size => band(
                a.employees.map(i64::from),
                &[
                    (50, "1–50 employees"),
                    (200, "51–200"),
                    (1000, "201–1,000"),
                    (5000, "1,001–5,000"),
                ],
                "5,001+",
                "Size not known",
            ),
            Self::ContractSize => band(
                a.movements.first().map(|m| m.mrr_after.0 * 12 / 100),
                &[(10_000, "ARR under $10k"), (50_000, "$10k–50k"), (250_000, "$50k–250k")],
                "$250k and more",
                "No ARR",
            ),
            Self::HadQbr => {
                if a.had_qbr {
                    ("0".into(), "Had QBRs".into())
                } else {
                    ("1".into(), "No QBR".into())
                }
            }
            Self::Custom(key) => {
                let value = a.custom_fields.get(key).map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
                text_group(value.as_deref(), "Not set")
            }
        }
    }
}

/// The band `value` falls in: below each limit in turn, then `above`; `none` without a value.
fn band(value: Option<i64>, limits: &[(i64, &str)], above: &str, none: &str) -> (String, String) {
    let Some(value) = value else {
        return ("9".into(), none.into());
    };
    let i = limits
        .iter()
        .position(|(limit, _)| value <= *limit)
        .unwrap_or(limits.len());
    let label = limits.get(i).map_or(above, |(_, label)| label);
    (i.to_string(), label.to_owned())
}

/// One row of a Kaplan–Meier table.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurvivalStepOutput {
    /// Days since the account's first subscription started.
    pub day: i64,
    /// Accounts with a tenure of at least `day`.
    pub at_risk: u64,
    pub churned: u64,
    /// Accounts still subscribed on the as-of day, with this tenure.
    pub censored: u64,
    /// Estimated share still subscribed after `day`.
    pub survival: f64,
    /// 95 % log-log band (Greenwood variance).
    pub lower: f64,
    pub upper: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SurvivalGroup {
    pub label: String,
    pub accounts: u64,
    pub churned: u64,
    /// The first day the curve is at or below one half; null if it never is.
    pub median_days: Option<i64>,
    pub steps: Vec<SurvivalStepOutput>,
}

/// Retention curves (F-64): Kaplan–Meier survival of accounts by an attribute.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurvivalReport {
    /// Accounts still subscribed on this day are censored there.
    pub as_of: NaiveDate,
    pub by: String,
    /// all, or book (a CSM's own accounts).
    pub scope: &'static str,
    #[schema(example = "log-log 95% (Greenwood variance)")]
    pub band: &'static str,
    pub groups: Vec<SurvivalGroup>,
}

/// Retention curves by `by` as of `as_of` (today when none) over the accounts `actor` may see.
pub async fn survival(
    store: &Store,
    actor: &Actor,
    by: SurvivalBy,
    as_of: Option<NaiveDate>,
) -> Result<SurvivalReport, ApiError> {
    let scope = scope(actor)?;
    let as_of = as_of.unwrap_or_else(|| store.today());
    let accounts = store.revenue_accounts_reading(scope, by.reads()).await?;
    let mut groups: BTreeMap<String, (String, Vec<Tenure>)> = BTreeMap::new();
    for a in &accounts {
        if let Some(t) = tenure(&a.movements, as_of) {
            let (key, label) = by.group_of(a);
            groups.entry(key).or_insert_with(|| (label, Vec::new())).1.push(t);
        }
    }
    Ok(SurvivalReport {
        as_of,
        by: by.name(),
        scope: scope_name(scope),
        band: "log-log 95% (Greenwood variance)",
        groups: groups
            .into_values()
            .map(|(label, tenures)| {
                let steps = kaplan_meier(&tenures);
                SurvivalGroup {
                    label,
                    accounts: tenures.len() as u64,
                    churned: tenures.iter().filter(|t| t.churned).count() as u64,
                    median_days: median_day(&steps),
                    steps: steps
                        .into_iter()
                        .map(|s| SurvivalStepOutput {
                            day: s.day,
                            at_risk: s.at_risk,
                            churned: s.churned,
                            censored: s.censored,
                            survival: s.survival,
                            lower: s.lower,
                            upper: s.upper,
                        })
                        .collect(),
                }
            })
            .collect(),
    })
}

/// One early behaviour and how retention differs with and without it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DriverOutput {
    /// milestone, qbr or feature.
    #[schema(example = "milestone")]
    pub kind: &'static str,
    /// The milestone's or feature's name; "QBR or EBR" for a review.
    pub name: String,
    /// Accounts that showed it within the first days, and how many of them were retained.
    pub with: u64,
    pub with_retained: u64,
    pub without: u64,
    pub without_retained: u64,
    /// Retention with minus retention without, in percentage points.
    pub difference_points: Option<f64>,
    /// Cohen's h between the two retention rates (0.2 small, 0.5 medium, 0.8 large).
    pub effect_size: Option<f64>,
}

/// Sticky drivers (F-64): which behaviours in an account's first days separate the accounts
/// still subscribed on the as-of day from those that churned.
#[derive(Debug, Serialize, ToSchema)]
pub struct DriversReport {
    pub as_of: NaiveDate,
    /// The window after the first subscription's start that counts.
    pub days: u32,
    /// all, or book (a CSM's own accounts).
    pub scope: &'static str,
    /// Accounts whose first `days` lie before the as-of day: the ones compared.
    pub accounts: u64,
    pub retained: u64,
    /// Largest effect first; behaviours nobody or everybody showed are left out.
    pub drivers: Vec<DriverOutput>,
}

/// The sticky drivers over the accounts `actor` may see: for each milestone, QBR and feature,
/// the retention of accounts that showed it within `days` of their first subscription against
/// those that did not. Accounts younger than `days` on `as_of` are left out (their window is
/// not over); retained means still subscribed on `as_of`.
pub async fn sticky_drivers(
    store: &Store,
    actor: &Actor,
    days: u32,
    as_of: Option<NaiveDate>,
) -> Result<DriversReport, ApiError> {
    let scope = scope(actor)?;
    if !(1..=3650).contains(&days) {
        return Err(bad("days", "must be between 1 and 3650"));
    }
    let as_of = as_of.unwrap_or_else(|| store.today());
    // Behaviours come from `first_behaviours`; of the accounts, only their movements count.
    let accounts = store.revenue_accounts_reading(scope, RevenueAttributes::NONE).await?;
    let behaviours = store.first_behaviours(scope).await?;
    // Each compared account's first day and whether it stayed.
    let compared: std::collections::HashMap<lodestar_domain::AccountId, (NaiveDate, bool)> = accounts
        .iter()
        .filter_map(|a| {
            let start = a.movements.first()?.date;
            let t = tenure(&a.movements, as_of)?;
            (start + chrono::Days::new(u64::from(days)) <= as_of).then_some((a.id, (start, !t.churned)))
        })
        .collect();
    let mut showed: BTreeMap<lodestar_store::Behaviour, std::collections::HashSet<lodestar_domain::AccountId>> =
        BTreeMap::new();
    for (account, behaviour, on) in behaviours {
        if let Some((start, _)) = compared.get(&account)
            && on <= *start + chrono::Days::new(u64::from(days))
        {
            showed.entry(behaviour).or_default().insert(account);
        }
    }
    let mut drivers: Vec<DriverOutput> = showed
        .into_iter()
        .filter(|(_, who)| who.len() < compared.len())
        .map(|(behaviour, who)| {
            let d = lodestar_domain::survival::driver(compared.iter().map(|(id, (_, kept))| (who.contains(id), *kept)));
            let (kind, name) = match behaviour {
                lodestar_store::Behaviour::Milestone(name) => ("milestone", name),
                lodestar_store::Behaviour::Qbr => ("qbr", "QBR or EBR".to_owned()),
                lodestar_store::Behaviour::Feature(name) => ("feature", name),
            };
            DriverOutput {
                kind,
                name,
                with: d.with,
                with_retained: d.with_retained,
                without: d.without,
                without_retained: d.without_retained,
                difference_points: d.difference_points,
                effect_size: d.effect_size,
            }
        })
        .collect();
    drivers.sort_by(|a, b| {
        let size = |d: &DriverOutput| d.effect_size.map_or(-1.0, f64::abs);
        size(b).total_cmp(&size(a)).then_with(|| a.name.cmp(&b.name))
    });
    Ok(DriversReport {
        as_of,
        days,
        scope: scope_name(scope),
        accounts: compared.len() as u64,
        retained: compared.values().filter(|(_, kept)| *kept).count() as u64,
        drivers,
    })
}
