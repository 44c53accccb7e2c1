//! Portfolio risk (F-23, seed 004 "pandemic"): how much revenue is up for renewal, split by
//! health band and by industry exposure, and the churn re-forecast a leader runs by setting an
//! expected loss rate per exposure level.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Cents;
use crate::health::{Band, Exposure};
use crate::vocabulary::LifecycleStage;

/// The renewal windows leaders look at, in days from today; each counts every renewal from
/// today up to and including its last day, so 90 includes 30 and 60.
pub const RENEWAL_WINDOWS: [u32; 4] = [30, 60, 90, 180];

/// A live (not churned) account with ARR, as the portfolio views see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortfolioAccount {
    pub arr: Cents,
    pub renewal_date: Option<NaiveDate>,
    /// `None`: not scored.
    pub band: Option<Band>,
    /// `None`: its industry has no exposure set.
    pub exposure: Option<Exposure>,
}

impl PortfolioAccount {
    fn renews_within(&self, today: NaiveDate, days: u32) -> bool {
        self.renewal_date
            .is_some_and(|d| d >= today && (d - today).num_days() <= i64::from(days))
    }
}

/// A number of accounts and their ARR.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub accounts: u32,
    pub arr: Cents,
}

impl Tally {
    fn add(&mut self, arr: Cents) {
        self.accounts += 1;
        self.arr = Cents(self.arr.0.saturating_add(arr.0));
    }
}

/// The revenue renewing within one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalWindow {
    pub days: u32,
    pub total: Tally,
    /// Red, yellow, green, then unscored (`None`).
    pub by_band: Vec<(Option<Band>, Tally)>,
    /// High, moderate, low, then not set (`None`).
    pub by_exposure: Vec<(Option<Exposure>, Tally)>,
}

/// Exposure levels worst first, then "not set".
pub fn exposure_levels() -> [Option<Exposure>; 4] {
    [
        Some(Exposure::High),
        Some(Exposure::Moderate),
        Some(Exposure::Low),
        None,
    ]
}

fn band_levels() -> [Option<Band>; 4] {
    [Some(Band::Red), Some(Band::Yellow), Some(Band::Green), None]
}

/// Whether an account belongs in the portfolio views: a customer (not churned) with ARR. A
/// churned account's revenue is lost, not at risk.
pub fn in_portfolio(stage: LifecycleStage, arr: Cents) -> bool {
    stage != LifecycleStage::Churned && arr.0 > 0
}

/// The accounts rated red, and the ARR they carry.
pub fn at_risk(accounts: &[PortfolioAccount]) -> Tally {
    let mut total = Tally::default();
    for a in accounts.iter().filter(|a| a.band == Some(Band::Red)) {
        total.add(a.arr);
    }
    total
}

/// Revenue up for renewal in each of [`RENEWAL_WINDOWS`].
pub fn renewals_ahead(accounts: &[PortfolioAccount], today: NaiveDate) -> Vec<RenewalWindow> {
    RENEWAL_WINDOWS
        .iter()
        .map(|&days| {
            let mut total = Tally::default();
            let mut by_band = band_levels().map(|b| (b, Tally::default()));
            let mut by_exposure = exposure_levels().map(|e| (e, Tally::default()));
            for a in accounts.iter().filter(|a| a.renews_within(today, days)) {
                total.add(a.arr);
                if let Some((_, t)) = by_band.iter_mut().find(|(b, _)| *b == a.band) {
                    t.add(a.arr);
                }
                if let Some((_, t)) = by_exposure.iter_mut().find(|(e, _)| *e == a.exposure) {
                    t.add(a.arr);
                }
            }
            RenewalWindow {
                days,
                total,
                by_band: by_band.to_vec(),
                by_exposure: by_exposure.to_vec(),
            }
        })
        .collect()
}

/// The share of renewing ARR a leader expects to lose, in whole percent (0–100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct LossRate(u8);

impl LossRate {
    pub fn new(percent: u32) -> Result<LossRate, String> {
        u8::try_from(percent)
            .ok()
            .filter(|p| *p <= 100)
            .map(LossRate)
            .ok_or_else(|| format!("{percent} is not a loss rate: a whole percent from 0 to 100"))
    }

    pub fn percent(self) -> u32 {
        u32::from(self.0)
    }

    /// `amount × rate`, rounded to the nearest cent.
    fn of(self, amount: Cents) -> Cents {
        Cents(((i128::from(amount.0) * i128::from(self.0) + 50) / 100) as i64)
    }
}

impl TryFrom<u32> for LossRate {
    type Error = String;
    fn try_from(p: u32) -> Result<Self, String> {
        LossRate::new(p)
    }
}

impl From<LossRate> for u32 {
    fn from(r: LossRate) -> u32 {
        r.percent()
    }
}

/// The expected loss rate per exposure level, `None` covering accounts whose industry has no
/// exposure set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LossRates {
    pub high: LossRate,
    pub moderate: LossRate,
    pub low: LossRate,
    pub not_set: LossRate,
}

impl Default for LossRates {
    /// A starting point until a leader sets their own: hard-hit industries lose a quarter of
    /// what renews, sheltered ones a twentieth.
    fn default() -> Self {
        LossRates {
            high: LossRate(25),
            moderate: LossRate(10),
            low: LossRate(5),
            not_set: LossRate(10),
        }
    }
}

impl LossRates {
    pub fn rate(&self, exposure: Option<Exposure>) -> LossRate {
        match exposure {
            Some(Exposure::High) => self.high,
            Some(Exposure::Moderate) => self.moderate,
            Some(Exposure::Low) => self.low,
            None => self.not_set,
        }
    }

    pub fn set(&mut self, exposure: Option<Exposure>, rate: LossRate) {
        match exposure {
            Some(Exposure::High) => self.high = rate,
            Some(Exposure::Moderate) => self.moderate = rate,
            Some(Exposure::Low) => self.low = rate,
            None => self.not_set = rate,
        }
    }
}

/// The re-forecast of one exposure level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastLine {
    pub exposure: Option<Exposure>,
    /// Every live account at this level and its ARR today.
    pub current: Tally,
    /// The part of it that renews within the horizon: the only ARR that can be lost in it.
    pub renewing: Tally,
    pub loss_rate: LossRate,
    pub expected_loss: Cents,
}

/// ARR at the end of the horizon if each exposure level loses its rate of what renews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    pub horizon_days: u32,
    pub lines: Vec<ForecastLine>,
    pub current_arr: Cents,
    pub expected_loss: Cents,
    pub forecast_arr: Cents,
}

impl Forecast {
    /// Expected loss as a share of today's ARR, in percent.
    pub fn churn_rate_percent(&self) -> f64 {
        if self.current_arr.0 == 0 {
            0.0
        } else {
            100.0 * self.expected_loss.0 as f64 / self.current_arr.0 as f64
        }
    }
}

/// The churn re-forecast (seed 004: "re-forecast the expected churn rate assuming losses in
/// high exposure customers").
pub fn reforecast(accounts: &[PortfolioAccount], rates: &LossRates, today: NaiveDate, horizon_days: u32) -> Forecast {
    let lines: Vec<ForecastLine> = exposure_levels()
        .into_iter()
        .map(|exposure| {
            let mut current = Tally::default();
            let mut renewing = Tally::default();
            for a in accounts.iter().filter(|a| a.exposure == exposure) {
                current.add(a.arr);
                if a.renews_within(today, horizon_days) {
                    renewing.add(a.arr);
                }
            }
            let loss_rate = rates.rate(exposure);
            ForecastLine {
                exposure,
                current,
                renewing,
                loss_rate,
                expected_loss: loss_rate.of(renewing.arr),
            }
        })
        .collect();
    let sum = |f: fn(&ForecastLine) -> Cents| Cents(lines.iter().map(|l| f(l).0).sum());
    let current_arr = sum(|l| l.current.arr);
    let expected_loss = sum(|l| l.expected_loss);
    Forecast {
        horizon_days,
        current_arr,
        expected_loss,
        forecast_arr: Cents(current_arr.0 - expected_loss.0),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn account(arr: i64, renewal: Option<&str>, band: Option<Band>, exposure: Option<Exposure>) -> PortfolioAccount {
        PortfolioAccount {
            arr: Cents(arr),
            renewal_date: renewal.map(d),
            band,
            exposure,
        }
    }

    fn book() -> Vec<PortfolioAccount> {
        vec![
            account(1000, Some("2026-01-20"), Some(Band::Red), Some(Exposure::High)),
            account(2000, Some("2026-02-28"), Some(Band::Green), Some(Exposure::High)),
            account(4000, Some("2026-03-31"), Some(Band::Yellow), Some(Exposure::Low)),
            account(8000, Some("2026-06-30"), None, None),
            account(16000, Some("2027-06-30"), Some(Band::Red), Some(Exposure::Moderate)),
            // Past renewal dates are overdue, not upcoming.
            account(32000, Some("2025-12-01"), Some(Band::Red), Some(Exposure::High)),
        ]
    }

    #[test]
    fn renewal_windows_are_cumulative_and_split_by_band_and_exposure() {
        let windows = renewals_ahead(&book(), d("2026-01-01"));
        let totals: Vec<(u32, u32, i64)> = windows
            .iter()
            .map(|w| (w.days, w.total.accounts, w.total.arr.0))
            .collect();
        assert_eq!(
            totals,
            vec![(30, 1, 1000), (60, 2, 3000), (90, 3, 7000), (180, 4, 15000)]
        );
        let w90 = &windows[2];
        let band = |b| w90.by_band.iter().find(|(x, _)| *x == b).unwrap().1.arr.0;
        assert_eq!(
            (
                band(Some(Band::Red)),
                band(Some(Band::Yellow)),
                band(Some(Band::Green)),
                band(None)
            ),
            (1000, 4000, 2000, 0)
        );
        let w180 = &windows[3];
        let exposure = |e| w180.by_exposure.iter().find(|(x, _)| *x == e).unwrap().1;
        assert_eq!(
            exposure(Some(Exposure::High)),
            Tally {
                accounts: 2,
                arr: Cents(3000)
            }
        );
        assert_eq!(exposure(None).arr, Cents(8000));
        assert_eq!(
            w180.by_exposure.iter().map(|(_, t)| t.arr.0).sum::<i64>(),
            w180.total.arr.0,
            "the split adds up to the total"
        );
    }

    #[test]
    fn the_reforecast_loses_each_levels_rate_of_what_renews_in_the_horizon() {
        let mut rates = LossRates::default();
        rates.set(Some(Exposure::High), LossRate::new(50).unwrap());
        rates.set(None, LossRate::new(0).unwrap());
        let f = reforecast(&book(), &rates, d("2026-01-01"), 90);
        assert_eq!(f.current_arr, Cents(63000));
        let high = f.lines[0];
        assert_eq!(high.exposure, Some(Exposure::High));
        assert_eq!((high.current.arr, high.renewing.arr), (Cents(35000), Cents(3000)));
        assert_eq!(high.expected_loss, Cents(1500));
        let low = f.lines[2];
        assert_eq!((low.loss_rate.percent(), low.expected_loss), (5, Cents(200)));
        assert_eq!(f.lines[1].expected_loss, Cents(0), "moderate renews after the horizon");
        assert_eq!(f.expected_loss, Cents(1700));
        assert_eq!(f.forecast_arr, Cents(61300));
        assert!((f.churn_rate_percent() - 100.0 * 1700.0 / 63000.0).abs() < 1e-9);
    }

    #[test]
    fn loss_rates_are_whole_percents_and_round_to_the_cent() {
        assert!(LossRate::new(101).is_err());
        assert_eq!(LossRate::new(33).unwrap().of(Cents(1001)), Cents(330));
        assert_eq!(
            LossRate::new(50).unwrap().of(Cents(1)),
            Cents(1),
            "half a cent rounds up"
        );
        assert_eq!(
            reforecast(&[], &LossRates::default(), d("2026-01-01"), 90).churn_rate_percent(),
            0.0
        );
    }

    #[test]
    fn the_portfolio_holds_live_customers_with_arr_and_red_ones_are_at_risk() {
        assert!(in_portfolio(LifecycleStage::Adopt, Cents(1)));
        assert!(
            !in_portfolio(LifecycleStage::Churned, Cents(50_000_00)),
            "churned revenue is lost, not at risk"
        );
        assert!(!in_portfolio(LifecycleStage::Land, Cents(0)));
        let accounts = [
            account(10_00, None, Some(Band::Red), None),
            account(5_00, None, Some(Band::Red), Some(Exposure::High)),
            account(99_00, None, Some(Band::Green), None),
            account(7_00, None, None, None),
        ];
        let red = at_risk(&accounts);
        assert_eq!((red.accounts, red.arr), (2, Cents(15_00)));
    }
}
