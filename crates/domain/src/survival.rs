//! Retention curves (F-64): how long accounts stay, as Kaplan–Meier survival with confidence
//! bands, and which early behaviours separate the accounts that stayed from those that left.
//!
//! An account's **tenure** runs from its first subscription's start to the end of its last one;
//! it **churns** when its last subscription ends (a gap followed by a win-back is not a churn).
//! An account still subscribed on the as-of day is **censored** there: we know it lasted at
//! least that long. The curve is the product-limit (Kaplan–Meier) estimator; its variance is
//! Greenwood's, and the band is the 95 % **log-log** band (Kalbfleisch and Prentice), which stays
//! inside [0, 1] unlike the plain ± band.

use chrono::NaiveDate;
use serde::Serialize;

use crate::revenue::{Movement, MovementKind};

/// One account's time with us, in days, and whether it ended in churn (else censored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenure {
    pub days: i64,
    pub churned: bool,
}

/// An account's tenure on `as_of` from its MRR movements (oldest first); none when it first
/// pays after `as_of` (it is not a customer yet on that day).
pub fn tenure(movements: &[Movement], as_of: NaiveDate) -> Option<Tenure> {
    let start = movements.first().filter(|m| m.date <= as_of)?.date;
    // What is known on the as-of day: a win-back after it is not.
    let last = movements.iter().take_while(|m| m.date <= as_of).last()?;
    Some(if last.kind == MovementKind::Churn {
        Tenure {
            days: (last.date - start).num_days(),
            churned: true,
        }
    } else {
        Tenure {
            days: (as_of - start).num_days(),
            churned: false,
        }
    })
}

/// One row of the Kaplan–Meier table: a day on which someone churned or was censored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SurvivalStep {
    /// Days since the first subscription started.
    pub day: i64,
    /// Accounts still with us just before this day (tenure of at least `day`).
    pub at_risk: u64,
    pub churned: u64,
    pub censored: u64,
    /// The estimated share still with us after this day.
    pub survival: f64,
    /// The 95 % log-log band around `survival`.
    pub lower: f64,
    pub upper: f64,
}

/// The normal quantile of a two-sided 95 % band.
const Z95: f64 = 1.959_963_984_540_054;

/// The Kaplan–Meier estimate over `tenures`, one step per distinct day with a churn or a
/// censoring, in day order. At a day with both, the censored accounts count as at risk (they
/// were there when the others left), as is customary.
pub fn kaplan_meier(tenures: &[Tenure]) -> Vec<SurvivalStep> {
    let mut sorted: Vec<Tenure> = tenures.to_vec();
    sorted.sort_unstable_by_key(|t| t.days);
    let mut steps = Vec::new();
    let (mut survival, mut greenwood) = (1.0_f64, 0.0_f64);
    let mut at_risk = sorted.len() as u64;
    let mut i = 0;
    while i < sorted.len() {
        let day = sorted[i].days;
        let (mut churned, mut censored) = (0u64, 0u64);
        while i < sorted.len() && sorted[i].days == day {
            if sorted[i].churned {
                churned += 1;
            } else {
                censored += 1;
            }
            i += 1;
        }
        if churned > 0 {
            let (n, d) = (at_risk as f64, churned as f64);
            survival *= 1.0 - d / n;
            // Greenwood's sum is infinite once everyone at risk has left; the curve is 0 then.
            greenwood += if churned < at_risk {
                d / (n * (n - d))
            } else {
                f64::INFINITY
            };
        }
        let (lower, upper) = log_log_band(survival, greenwood);
        steps.push(SurvivalStep {
            day,
            at_risk,
            churned,
            censored,
            survival,
            lower,
            upper,
        });
        at_risk -= churned + censored;
    }
    steps
}

/// The 95 % band `S^exp(±z·σ)` with `σ² = Σ d/(n(n−d)) / (ln S)²`: the Greenwood variance of
/// `ln(−ln S)`. Degenerate where the curve is 1 (no churn yet) or 0 (everyone left).
fn log_log_band(survival: f64, greenwood: f64) -> (f64, f64) {
    if survival >= 1.0 || survival <= 0.0 || !greenwood.is_finite() {
        return (survival.clamp(0.0, 1.0), survival.clamp(0.0, 1.0));
    }
    let sigma = greenwood.sqrt() / survival.ln().abs();
    (survival.powf((Z95 * sigma).exp()), survival.powf((-Z95 * sigma).exp()))
}

/// The median tenure: the first day the curve falls to one half or below; none if it never does.
pub fn median_day(steps: &[SurvivalStep]) -> Option<i64> {
    steps.iter().find(|s| s.survival <= 0.5).map(|s| s.day)
}

/// How one behaviour splits accounts: the retention rate of those who showed it in their first
/// days against those who did not.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Driver {
    /// Accounts that showed it, and how many of them were retained.
    pub with: u64,
    pub with_retained: u64,
    pub without: u64,
    pub without_retained: u64,
    /// Retention with minus retention without, in percentage points.
    pub difference_points: Option<f64>,
    /// Cohen's h between the two retention rates: 0.2 small, 0.5 medium, 0.8 large.
    pub effect_size: Option<f64>,
}

/// Tallies a behaviour over accounts given as (showed it, retained).
pub fn driver(accounts: impl IntoIterator<Item = (bool, bool)>) -> Driver {
    let (mut with, mut with_retained, mut without, mut without_retained) = (0, 0, 0, 0);
    for (showed, retained) in accounts {
        if showed {
            with += 1;
            with_retained += u64::from(retained);
        } else {
            without += 1;
            without_retained += u64::from(retained);
        }
    }
    let rate = |r: u64, n: u64| (n > 0).then(|| r as f64 / n as f64);
    let (a, b) = (rate(with_retained, with), rate(without_retained, without));
    let both = a.zip(b);
    Driver {
        with,
        with_retained,
        without,
        without_retained,
        difference_points: both.map(|(a, b)| (a - b) * 100.0),
        effect_size: both.map(|(a, b)| 2.0 * a.sqrt().asin() - 2.0 * b.sqrt().asin()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cents;
    use crate::revenue::{Period, movements};

    fn t(days: i64, churned: bool) -> Tenure {
        Tenure { days, churned }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    /// Ten accounts, by hand (C = churned, + = censored): 3C, 5C, 5C, 5+, 8+, 10C, 12C, 12+, 15+, 20C.
    ///
    /// | day | at risk | churned | censored | S(t)                  | Greenwood Σ d/(n(n−d))  |
    /// |----:|--------:|--------:|---------:|-----------------------|-------------------------|
    /// | 3   | 10      | 1       | 0        | 9/10 = 0.9            | 1/90 = 0.011111         |
    /// | 5   | 9       | 2       | 1        | 0.9·7/9 = 0.7         | + 2/63 → 0.042857       |
    /// | 8   | 6       | 0       | 1        | 0.7                   | 0.042857                |
    /// | 10  | 5       | 1       | 0        | 0.7·4/5 = 0.56        | + 1/20 → 0.092857       |
    /// | 12  | 4       | 1       | 1        | 0.56·3/4 = 0.42       | + 1/12 → 0.176190       |
    /// | 15  | 2       | 0       | 1        | 0.42                  | 0.176190                |
    /// | 20  | 1       | 1       | 0        | 0                     | ∞                       |
    ///
    /// Log-log band at day 5: σ = √0.042857 / |ln 0.7| = 0.207020 / 0.356675 = 0.580416;
    /// exp(1.959964 · 0.580416) = 3.119253 and exp(−…) = 0.320590, so the band is
    /// 0.7^3.119253 = 0.328717 to 0.7^0.320590 = 0.891949.
    #[test]
    fn kaplan_meier_matches_the_hand_computed_table_with_ties_and_censoring() {
        let tenures = [
            t(12, true),
            t(3, true),
            t(5, true),
            t(5, false),
            t(20, true),
            t(5, true),
            t(8, false),
            t(10, true),
            t(12, false),
            t(15, false),
        ];
        let steps = kaplan_meier(&tenures);
        let table: Vec<(i64, u64, u64, u64)> = steps
            .iter()
            .map(|s| (s.day, s.at_risk, s.churned, s.censored))
            .collect();
        assert_eq!(
            table,
            [
                (3, 10, 1, 0),
                (5, 9, 2, 1),
                (8, 6, 0, 1),
                (10, 5, 1, 0),
                (12, 4, 1, 1),
                (15, 2, 0, 1),
                (20, 1, 1, 0)
            ]
        );
        let survival: Vec<f64> = steps.iter().map(|s| s.survival).collect();
        for (got, want) in survival.iter().zip([0.9, 0.7, 0.7, 0.56, 0.42, 0.42, 0.0]) {
            assert!(close(*got, want), "{survival:?}");
        }
        let day5 = steps[1];
        assert!(close(day5.lower, 0.328717) && close(day5.upper, 0.891949), "{day5:?}");
        // Day 12: σ = √0.176190 / |ln 0.42| = 0.419750 / 0.867501 = 0.483862;
        // exp(±1.959964·0.483862) = 2.581452, 0.387379; 0.42^2.581452 = 0.106521, 0.42^0.387379 = 0.714586.
        let day12 = steps[4];
        assert!(
            close(day12.lower, 0.106521) && close(day12.upper, 0.714586),
            "{day12:?}"
        );
        assert_eq!((steps[6].lower, steps[6].upper), (0.0, 0.0), "everyone left: no band");
        assert!(steps.iter().all(|s| s.lower <= s.survival && s.survival <= s.upper));
        assert_eq!(median_day(&steps), Some(12));
    }

    #[test]
    fn without_churn_the_curve_stays_at_one() {
        let steps = kaplan_meier(&[t(30, false), t(60, false)]);
        assert!(
            steps
                .iter()
                .all(|s| s.survival == 1.0 && s.lower == 1.0 && s.upper == 1.0)
        );
        assert_eq!(median_day(&steps), None);
        assert!(kaplan_meier(&[]).is_empty());
    }

    fn p(start: &str, end: Option<&str>) -> Period {
        Period {
            start: start.parse().unwrap(),
            end: end.map(|e| e.parse().unwrap()),
            mrr: Cents(100),
        }
    }

    #[test]
    fn tenure_runs_from_the_first_start_to_the_last_end_or_is_censored() {
        let as_of: NaiveDate = "2025-01-01".parse().unwrap();
        let tenure = |periods: &[Period], as_of| tenure(&movements(periods), as_of);
        let churned = [p("2023-01-01", Some("2023-06-01")), p("2023-08-01", Some("2024-01-01"))];
        assert_eq!(
            tenure(&churned, as_of),
            Some(t(365, true)),
            "the gap does not end the tenure"
        );
        let running = [p("2024-01-01", None)];
        assert_eq!(tenure(&running, as_of), Some(t(366, false)), "2024 is a leap year");
        let renewing = [p("2024-01-01", Some("2025-06-01"))];
        assert_eq!(
            tenure(&renewing, as_of),
            Some(t(366, false)),
            "ends after the as-of day: censored"
        );
        let ended_on_the_day = [p("2024-01-01", Some("2025-01-01"))];
        assert_eq!(tenure(&ended_on_the_day, as_of), Some(t(366, true)));
        assert_eq!(tenure(&[p("2025-02-01", None)], as_of), None, "not a customer yet");
        let back_later = [p("2024-01-01", Some("2024-06-01")), p("2025-03-01", None)];
        assert_eq!(
            tenure(&back_later, as_of),
            Some(t(152, true)),
            "a win-back after the as-of day is unknown then"
        );
    }

    /// 4 of 5 accounts with the behaviour retained (0.8), 1 of 4 without (0.25): 55 points;
    /// h = 2·asin(√0.8) − 2·asin(√0.25) = 2.214297 − 1.047198 = 1.167099.
    #[test]
    fn a_driver_compares_retention_with_and_without() {
        let accounts = [
            (true, true),
            (true, true),
            (true, true),
            (true, true),
            (true, false),
            (false, true),
            (false, false),
            (false, false),
            (false, false),
        ];
        let d = driver(accounts);
        assert_eq!((d.with, d.with_retained, d.without, d.without_retained), (5, 4, 4, 1));
        assert!(close(d.difference_points.unwrap(), 55.0));
        assert!(close(d.effect_size.unwrap(), 1.167099));
        let nobody_without = driver([(true, true)]);
        assert_eq!(
            (nobody_without.difference_points, nobody_without.effect_size),
            (None, None)
        );
    }
}
