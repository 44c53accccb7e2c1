//! Subscription history and revenue retention (F-63). A team's billing history arrives as one row
//! per subscription period; everything here is arithmetic on those periods, so the store only
//! gathers rows and the server and CLI call one set of operations.
//!
//! The definitions are the standard start-cohort ones of subscription analytics:
//!
//! - An account is **active** on day `d` when one of its subscriptions has
//!   `start_date ≤ d < end_date` (or no end date); its **MRR** on `d` is the sum over those.
//! - For a period `[from, to)`, the **start cohort** is the accounts active on `from`.
//! - **Net revenue retention** (NRR) = the cohort's MRR on `to` ÷ its MRR on `from`: expansion
//!   counts, and accounts that joined during the period do not.
//! - **Gross revenue retention** (GRR) = the same with each account's MRR on `to` capped at its
//!   MRR on `from`: only losses count, so GRR ≤ 100 %.
//! - **Logo churn rate** = cohort accounts not active on `to` ÷ cohort accounts.
//! - **MRR churn rate** = (churned MRR + downsold MRR) ÷ start MRR, where churned MRR is the
//!   start MRR of the accounts that churned and downsold MRR is, for accounts active on both
//!   days, the drop when their MRR fell.
//!
//! A reactivated account (active on `from`, gone, back by `to`) is retained by these
//! definitions: only the two days count.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Invalid, Rules, Valid};
use crate::money::Cents;
use crate::text::Name;
use crate::vocabulary::{normalise, vocabulary};

/// One subscription period as billing systems export it: a product, from a start day up to (not
/// including) an end day — none while it runs —, billed `mrr` a month after any discount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionFields {
    pub product: Name,
    pub start_date: NaiveDate,
    /// The first day it no longer runs; none while it runs.
    pub end_date: Option<NaiveDate>,
    /// Monthly recurring revenue, net of the discount.
    pub mrr: Cents,
    pub quantity: u32,
    /// The discount the MRR already reflects, in basis points (1500 is 15 %).
    pub discount_bp: u16,
}

impl SubscriptionFields {
    pub fn validate(self) -> Result<Valid<Self>, Invalid> {
        let mut rules = Rules::default();
        if let Some(end) = self.end_date {
            rules.require(end > self.start_date, "end_date", || {
                format!("{end} is not after the start date {}", self.start_date)
            });
        }
        // A free plan is no revenue: leaving it out keeps "active" and "paying" the same thing,
        // so a contract made from a stretch of activity always has ARR above zero.
        rules.require(self.mrr.0 > 0, "mrr", || {
            "must be above zero (leave free plans out)".into()
        });
        rules.require(self.quantity > 0, "quantity", || "must be at least 1".into());
        rules.require(self.discount_bp < 10_000, "discount", || {
            format!("{} % leaves nothing to bill", f64::from(self.discount_bp) / 100.0)
        });
        rules.finish(self)
    }

    pub fn period(&self) -> Period {
        Period {
            start: self.start_date,
            end: self.end_date,
            mrr: self.mrr,
        }
    }
}

/// What retention needs of a subscription: when it runs and what it bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub mrr: Cents,
}

impl Period {
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|end| day < end)
    }
}

/// An account's MRR on each of `days` (sorted ascending), `None` on a day it is not active.
/// One pass over the periods, each finding its days by binary search, so a report over many
/// dates costs little more than over two.
pub fn mrr_on_days(periods: &[Period], days: &[NaiveDate]) -> Vec<Option<Cents>> {
    debug_assert!(days.is_sorted());
    let mut out: Vec<Option<Cents>> = vec![None; days.len()];
    for p in periods {
        let first = days.partition_point(|d| *d < p.start);
        let last = p.end.map_or(days.len(), |end| days.partition_point(|d| *d < end));
        for slot in out.iter_mut().take(last).skip(first) {
            *slot = Some(Cents(slot.unwrap_or(Cents::ZERO).0 + p.mrr.0));
        }
    }
    out
}

/// The counts and sums behind a period's retention figures, added one account at a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Retention {
    /// Accounts active on `from`: the start cohort.
    pub accounts: u64,
    /// Cohort accounts not active on `to`.
    pub churned_accounts: u64,
    /// The cohort's MRR on `from`.
    pub start_mrr: Cents,
    /// The cohort's MRR on `to` (accounts that joined later are not counted).
    pub end_mrr: Cents,
    /// The same, each account capped at its start MRR.
    pub retained_mrr: Cents,
    /// Start MRR of the churned accounts.
    pub churned_mrr: Cents,
    /// MRR lost by accounts active on both days whose MRR fell.
    pub downsold_mrr: Cents,
    /// MRR gained by accounts whose MRR rose.
    pub expanded_mrr: Cents,
}

impl Retention {
    /// Counts one account with its MRR on `from` and on `to` (`None`: not active that day). An
    /// account not active on `from` is not in the cohort and changes nothing.
    pub fn add(&mut self, start: Option<Cents>, end: Option<Cents>) {
        let Some(start) = start else { return };
        self.accounts += 1;
        self.start_mrr.0 += start.0;
        match end {
            None => {
                self.churned_accounts += 1;
                self.churned_mrr.0 += start.0;
            }
            Some(end) => {
                self.end_mrr.0 += end.0;
                self.retained_mrr.0 += end.0.min(start.0);
                if end < start {
                    self.downsold_mrr.0 += start.0 - end.0;
                } else {
                    self.expanded_mrr.0 += end.0 - start.0;
                }
            }
        }
    }

    pub fn merge(&mut self, other: &Retention) {
        self.accounts += other.accounts;
        self.churned_accounts += other.churned_accounts;
        for (mine, theirs) in [
            (&mut self.start_mrr, other.start_mrr),
            (&mut self.end_mrr, other.end_mrr),
            (&mut self.retained_mrr, other.retained_mrr),
            (&mut self.churned_mrr, other.churned_mrr),
            (&mut self.downsold_mrr, other.downsold_mrr),
            (&mut self.expanded_mrr, other.expanded_mrr),
        ] {
            mine.0 += theirs.0;
        }
    }

    /// Net revenue retention as a fraction (1.05 is 105 %); none without start MRR.
    pub fn nrr(&self) -> Option<f64> {
        ratio(self.end_mrr.0, self.start_mrr.0)
    }

    /// Gross revenue retention as a fraction, at most 1.
    pub fn grr(&self) -> Option<f64> {
        ratio(self.retained_mrr.0, self.start_mrr.0)
    }

    /// Logo churn rate as a fraction; none without accounts at the start.
    pub fn logo_churn(&self) -> Option<f64> {
        ratio(self.churned_accounts as i64, self.accounts as i64)
    }

    /// MRR churn rate: churned plus downsold MRR over start MRR.
    pub fn mrr_churn(&self) -> Option<f64> {
        ratio(self.churned_mrr.0 + self.downsold_mrr.0, self.start_mrr.0)
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

vocabulary!(
    /// How long each point of a retention chart is.
    Step, "step" {
        Month = "month" | "monthly" => "Month",
        Quarter = "quarter" | "quarterly" => "Quarter",
        Year = "year" | "yearly" | "annual" => "Year",
    }
);

impl Step {
    pub fn months(self) -> u32 {
        match self {
            Step::Month => 1,
            Step::Quarter => 3,
            Step::Year => 12,
        }
    }
}

/// The consecutive periods `[start, end)` of `step` from `from`, the last one ending at `to`:
/// the points of a chart over time.
pub fn steps(from: NaiveDate, to: NaiveDate, step: Step) -> Vec<(NaiveDate, NaiveDate)> {
    let months = Months::new(step.months());
    let mut out = Vec::new();
    let mut start = from;
    while start < to {
        let end = start.checked_add_months(months).unwrap_or(to).min(to);
        out.push((start, end));
        start = end;
    }
    out
}

/// The cohort an account's first subscription start falls in: its calendar quarter, `2024-Q3`.
pub fn start_cohort(first_start: NaiveDate) -> String {
    format!("{}-Q{}", first_start.year(), first_start.month0() / 3 + 1)
}

/// The kinds of change in an account's MRR, in the order a subscription business names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// The first time the account pays.
    New,
    Expansion,
    Contraction,
    /// No subscription runs any more.
    Churn,
    /// Paying again after having churned.
    Reactivation,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::New => "new",
            MovementKind::Expansion => "expansion",
            MovementKind::Contraction => "contraction",
            MovementKind::Churn => "churn",
            MovementKind::Reactivation => "reactivation",
        }
    }
}

/// One change of an account's MRR: the typed history that explains every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Movement {
    pub date: NaiveDate,
    pub kind: MovementKind,
    pub mrr_before: Cents,
    pub mrr_after: Cents,
}

/// Every change of an account's MRR from its subscription periods, oldest first: each day a
/// period starts or ends, the MRR before and after, and what kind of change that is. Days where
/// one subscription replaces another at the same MRR are no change.
pub fn movements(periods: &[Period]) -> Vec<Movement> {
    let mut days: Vec<NaiveDate> = periods.iter().flat_map(|p| [Some(p.start), p.end]).flatten().collect();
    days.sort_unstable();
    days.dedup();
    let mut out = Vec::new();
    let (mut active, mut mrr, mut ever) = (false, Cents::ZERO, false);
    for (day, now) in days.iter().zip(mrr_on_days(periods, &days)) {
        let kind = match (active, now) {
            (false, None) => continue,
            (false, Some(_)) if ever => MovementKind::Reactivation,
            (false, Some(_)) => MovementKind::New,
            (true, None) => MovementKind::Churn,
            (true, Some(m)) if m > mrr => MovementKind::Expansion,
            (true, Some(m)) if m < mrr => MovementKind::Contraction,
            (true, Some(_)) => continue,
        };
        let after = now.unwrap_or(Cents::ZERO);
        out.push(Movement {
            date: *day,
            kind,
            mrr_before: if active { mrr } else { Cents::ZERO },
            mrr_after: after,
        });
        active = now.is_some();
        ever |= active;
        mrr = after;
    }
    out
}

/// An account's MRR on each of `days` (sorted ascending) from its movements (oldest first),
/// `None` on a day it is not active: what reports read, since an account has far fewer
/// movements than subscription rows (a renewal at the same price is none).
pub fn mrr_at(movements: &[Movement], days: &[NaiveDate]) -> Vec<Option<Cents>> {
    debug_assert!(days.is_sorted());
    let mut next = 0;
    let mut state: Option<Cents> = None;
    days.iter()
        .map(|day| {
            while let Some(m) = movements.get(next).filter(|m| m.date <= *day) {
                state = (m.kind != MovementKind::Churn).then_some(m.mrr_after);
                next += 1;
            }
            state
        })
        .collect()
}

/// The stretches of continuous activity of an account, each `(start, end)` with the end none
/// while it runs: each becomes one contract, since a win-back is a new contract.
pub fn active_spans(periods: &[Period]) -> Vec<(NaiveDate, Option<NaiveDate>)> {
    let mut spans: Vec<(NaiveDate, Option<NaiveDate>)> = Vec::new();
    for m in movements(periods) {
        match m.kind {
            MovementKind::New | MovementKind::Reactivation => spans.push((m.date, None)),
            MovementKind::Churn => {
                if let Some(last) = spans.last_mut() {
                    last.1 = Some(m.date);
                }
            }
            MovementKind::Expansion | MovementKind::Contraction => {}
        }
    }
    spans
}

/// The first day after `today` that is a whole number of years after `start`: the renewal date
/// of a subscription that runs without an end.
pub fn next_anniversary(start: NaiveDate, today: NaiveDate) -> NaiveDate {
    let mut years = 1;
    loop {
        let day = start
            .checked_add_months(Months::new(12 * years))
            .unwrap_or(NaiveDate::MAX);
        if day > today {
            return day;
        }
        years += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn p(start: &str, end: Option<&str>, mrr: i64) -> Period {
        Period {
            start: d(start),
            end: end.map(d),
            mrr: Cents(mrr),
        }
    }

    #[test]
    fn a_subscription_runs_from_its_start_up_to_but_not_on_its_end() {
        let sub = p("2024-01-01", Some("2024-07-01"), 100);
        assert!(sub.active_on(d("2024-01-01")));
        assert!(sub.active_on(d("2024-06-30")));
        assert!(
            !sub.active_on(d("2024-07-01")),
            "the end day is the first day without it"
        );
        assert!(!sub.active_on(d("2023-12-31")));
        assert!(
            p("2024-01-01", None, 100).active_on(d("2030-01-01")),
            "no end date runs on"
        );
    }

    #[test]
    fn mrr_on_days_sums_the_running_subscriptions() {
        let periods = [
            p("2024-01-01", Some("2024-07-01"), 100),
            p("2024-03-01", None, 50),
            p("2024-09-01", Some("2024-10-01"), 0),
        ];
        let days = [
            d("2023-12-31"),
            d("2024-01-01"),
            d("2024-03-01"),
            d("2024-07-01"),
            d("2024-09-15"),
        ];
        assert_eq!(
            mrr_on_days(&periods, &days),
            vec![
                None,
                Some(Cents(100)),
                Some(Cents(150)),
                Some(Cents(50)),
                Some(Cents(50))
            ]
        );
    }

    /// Five accounts over one period, by hand:
    ///
    /// | account | MRR on from | MRR on to | capped | churned | downsold | expanded |
    /// |---------|------------:|----------:|-------:|--------:|---------:|---------:|
    /// | A       | 1000        | 1200      | 1000   |         |          | 200      |
    /// | B       | 500         | 300       | 300    |         | 200      |          |
    /// | C       | 800         | —         | 0      | 800     |          |          |
    /// | D       | 700         | 700       | 700    |         |          |          |
    /// | E (new) | —           | 900       |        |         |          |          |
    /// | total   | 3000        | 2200      | 2000   | 800     | 200      | 200      |
    ///
    /// NRR 2200/3000, GRR 2000/3000, logo churn 1/4, MRR churn (800+200)/3000.
    #[test]
    fn retention_follows_the_start_cohort() {
        let mut r = Retention::default();
        r.add(Some(Cents(1000)), Some(Cents(1200)));
        r.add(Some(Cents(500)), Some(Cents(300)));
        r.add(Some(Cents(800)), None);
        r.add(Some(Cents(700)), Some(Cents(700)));
        r.add(None, Some(Cents(900)));
        assert_eq!(
            r,
            Retention {
                accounts: 4,
                churned_accounts: 1,
                start_mrr: Cents(3000),
                end_mrr: Cents(2200),
                retained_mrr: Cents(2000),
                churned_mrr: Cents(800),
                downsold_mrr: Cents(200),
                expanded_mrr: Cents(200),
            }
        );
        assert_eq!(r.nrr(), Some(2200.0 / 3000.0));
        assert_eq!(r.grr(), Some(2000.0 / 3000.0));
        assert_eq!(r.logo_churn(), Some(0.25));
        assert_eq!(r.mrr_churn(), Some(1000.0 / 3000.0));
        // NRR − GRR is the expansion share; 1 − GRR is the MRR churn rate.
        assert!((r.grr().unwrap() + r.mrr_churn().unwrap() - 1.0).abs() < 1e-12);

        let mut halves = Retention::default();
        halves.add(Some(Cents(1000)), Some(Cents(1200)));
        halves.add(Some(Cents(500)), Some(Cents(300)));
        let mut rest = Retention::default();
        rest.add(Some(Cents(800)), None);
        rest.add(Some(Cents(700)), Some(Cents(700)));
        halves.merge(&rest);
        assert_eq!(halves, r, "merging groups gives the whole");
    }

    #[test]
    fn an_empty_cohort_has_no_rates_rather_than_zero() {
        let r = Retention::default();
        assert_eq!(
            (r.nrr(), r.grr(), r.logo_churn(), r.mrr_churn()),
            (None, None, None, None)
        );
        let mut free = Retention::default();
        free.add(Some(Cents(0)), None);
        assert_eq!(free.logo_churn(), Some(1.0), "a free account churning is a lost logo");
        assert_eq!(free.nrr(), None, "but no revenue to retain");
    }

    #[test]
    fn steps_cover_the_period_and_clip_the_last() {
        assert_eq!(
            steps(d("2024-01-01"), d("2024-08-15"), Step::Quarter),
            vec![
                (d("2024-01-01"), d("2024-04-01")),
                (d("2024-04-01"), d("2024-07-01")),
                (d("2024-07-01"), d("2024-08-15")),
            ]
        );
        assert!(steps(d("2024-01-01"), d("2024-01-01"), Step::Month).is_empty());
        assert_eq!("quarterly".parse::<Step>(), Ok(Step::Quarter));
        assert_eq!(start_cohort(d("2024-08-31")), "2024-Q3");
        assert_eq!(start_cohort(d("2024-01-01")), "2024-Q1");
    }

    #[test]
    fn movements_explain_every_change_including_a_win_back() {
        let periods = [
            p("2023-01-01", Some("2023-07-01"), 100),
            // An upgrade: the old plan ends the day the new one starts at a higher price.
            p("2023-07-01", Some("2024-01-01"), 150),
            // An add-on for two months.
            p("2023-09-01", Some("2023-11-01"), 30),
            // A gap of two months, then back.
            p("2024-03-01", None, 80),
        ];
        let kinds: Vec<(NaiveDate, MovementKind, i64, i64)> = movements(&periods)
            .into_iter()
            .map(|m| (m.date, m.kind, m.mrr_before.0, m.mrr_after.0))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (d("2023-01-01"), MovementKind::New, 0, 100),
                (d("2023-07-01"), MovementKind::Expansion, 100, 150),
                (d("2023-09-01"), MovementKind::Expansion, 150, 180),
                (d("2023-11-01"), MovementKind::Contraction, 180, 150),
                (d("2024-01-01"), MovementKind::Churn, 150, 0),
                (d("2024-03-01"), MovementKind::Reactivation, 0, 80),
            ]
        );
        assert_eq!(
            active_spans(&periods),
            vec![(d("2023-01-01"), Some(d("2024-01-01"))), (d("2024-03-01"), None)]
        );
        let renewal = [p("2023-01-01", Some("2024-01-01"), 100), p("2024-01-01", None, 100)];
        assert_eq!(movements(&renewal).len(), 1, "a renewal at the same price is no change");

        let days = [
            d("2022-12-31"),
            d("2023-01-01"),
            d("2023-10-15"),
            d("2024-02-01"),
            d("2030-01-01"),
        ];
        assert_eq!(
            mrr_at(&movements(&periods), &days),
            mrr_on_days(&periods, &days),
            "the movements tell the same MRR as the rows"
        );
    }

    #[test]
    fn subscriptions_validate_on_construction() {
        let fields = |end: Option<&str>, mrr: i64, quantity: u32, discount_bp: u16| SubscriptionFields {
            product: Name::parse("Platform").unwrap(),
            start_date: d("2024-01-01"),
            end_date: end.map(d),
            mrr: Cents(mrr),
            quantity,
            discount_bp,
        };
        assert!(fields(None, 100, 1, 0).validate().is_ok());
        let bad = fields(Some("2024-01-01"), 0, 0, 10_000).validate().unwrap_err();
        let named: Vec<&str> = bad.errors.iter().map(|e| e.field).collect();
        assert_eq!(named, ["end_date", "mrr", "quantity", "discount"]);
    }

    #[test]
    fn an_open_subscription_renews_on_its_next_anniversary() {
        assert_eq!(next_anniversary(d("2022-03-15"), d("2024-05-01")), d("2025-03-15"));
        assert_eq!(next_anniversary(d("2022-03-15"), d("2024-03-15")), d("2025-03-15"));
        assert_eq!(next_anniversary(d("2024-02-29"), d("2024-03-01")), d("2025-02-28"));
    }
}
