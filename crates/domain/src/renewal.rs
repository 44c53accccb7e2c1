//! Renewals and expansion (F-62): the CSM's call on each contract coming up for renewal (a
//! gut-check, a forecast category and the ARR expected), how a renewal closed, the pipeline's
//! windows, the forecast held against what happened, and expansion opportunities routed to the
//! CSM or the account executive by the kind of growth (seed 004: "more of the same" — price,
//! consumption, organic seats — is the CSM's; a new product or a new division is a sale).

use chrono::{Datelike, NaiveDate};

use crate::error::{Invalid, Rules, Valid};
use crate::money::Cents;
use crate::text::{Name, Note};
use crate::vocabulary::{ForecastCategory, OpportunityKind, OpportunityStage, RenewalOutlook, RenewalResult, Route};

/// The pipeline's windows, in days from today (30/60/90/180).
pub const WINDOWS: [u32; 4] = [30, 60, 90, 180];

/// The narrowest window a renewal `days_left` away falls in; `None` beyond the widest.
pub fn window_of(days_left: i64) -> Option<u32> {
    WINDOWS.into_iter().find(|w| days_left <= i64::from(*w))
}

/// The calendar quarter `day` falls in: its first day, and the next quarter's (the forecast's
/// period).
pub fn quarter_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first_month = (day.month0() / 3) * 3 + 1;
    let from = NaiveDate::from_ymd_opt(day.year(), first_month, 1).unwrap_or(day);
    let to = from.checked_add_months(chrono::Months::new(3)).unwrap_or(from);
    (from, to)
}

/// The CSM's call on a renewal: what their gut says, which forecast category it goes in, and
/// the ARR they expect it to renew at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalCall {
    pub outlook: RenewalOutlook,
    pub category: ForecastCategory,
    pub forecast_arr: Cents,
    pub note: Note,
}

impl RenewalCall {
    /// A renewal the CSM feels is at risk is not a commit; one left out of the forecast
    /// expects nothing.
    pub fn validate(self) -> Result<Valid<RenewalCall>, Invalid> {
        let mut rules = Rules::default();
        rules.require(self.forecast_arr >= Cents::ZERO, "forecast_arr", || {
            "must be zero or more".into()
        });
        rules.require(
            !(self.outlook == RenewalOutlook::AtRisk && self.category == ForecastCategory::Commit),
            "category",
            || "a renewal your gut-check calls at risk is not a commit: call it best case or pipeline".into(),
        );
        rules.require(
            self.category != ForecastCategory::Omitted || self.forecast_arr == Cents::ZERO,
            "forecast_arr",
            || "a renewal omitted from the forecast expects no ARR: enter 0".into(),
        );
        rules.finish(self)
    }
}

/// How a renewal closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalClose {
    pub result: RenewalResult,
    /// The ARR it renewed at (0 when it churned).
    pub renewed_arr: Cents,
    pub decided_on: NaiveDate,
    pub note: Note,
}

impl RenewalClose {
    /// Decided by today; a renewal renews at some ARR, a churn at none.
    pub fn validate(self, today: NaiveDate) -> Result<Valid<RenewalClose>, Invalid> {
        let mut rules = Rules::default();
        rules.require(self.decided_on <= today, "decided_on", || {
            "a renewal is recorded once decided: not after today".into()
        });
        match self.result {
            RenewalResult::Renewed => rules.require(self.renewed_arr > Cents::ZERO, "renewed_arr", || {
                "a renewal renews at some ARR: enter what the customer signed".into()
            }),
            RenewalResult::Churned => rules.require(self.renewed_arr == Cents::ZERO, "renewed_arr", || {
                "a churned renewal renews at no ARR: enter 0".into()
            }),
        }
        rules.finish(self)
    }
}

/// One renewal due in a forecast period: its contract's ARR, the call it was carried at when
/// the period began (if one was made by then), the call now, and how it closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRenewal {
    pub contract_arr: Cents,
    pub called_at_start: Option<(ForecastCategory, Cents)>,
    pub called_now: Option<(ForecastCategory, Cents)>,
    pub closed: Option<(RenewalResult, Cents)>,
}

/// One forecast category's line: the renewals the period began with in it, what they were
/// forecast at, and what they renewed at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryLine {
    pub renewals: u32,
    pub forecast_arr: Cents,
    pub renewed_arr: Cents,
    pub churned: u32,
    pub open: u32,
}

/// The forecast held against what happened: per category as called at the period's start
/// (`None`: not called by then), and the totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForecastReport {
    pub by_category: Vec<(Option<ForecastCategory>, CategoryLine)>,
    /// The ARR up for renewal: the contracts' ARR.
    pub due_arr: Cents,
    pub due: u32,
    /// Commit as called at the start, and commit plus best case.
    pub commit_arr: Cents,
    pub best_case_arr: Cents,
    /// The ARR renewed, and the renewals still open (no result recorded).
    pub renewed_arr: Cents,
    pub renewed: u32,
    pub churned: u32,
    pub open: u32,
    /// Gross renewal rate in per mille: renewed ARR, each renewal capped at its contract's
    /// ARR, over the ARR of the renewals closed. `None` when none closed.
    pub gross_renewal_per_mille: Option<i64>,
    /// Renewed ARR over the commit called at the start, in per mille: above 1000 the team
    /// under-called, below it over-called.
    pub commit_attainment_per_mille: Option<i64>,
}

/// Adds up the renewals due in a period into the forecast report.
pub fn forecast_report(due: &[DueRenewal]) -> ForecastReport {
    let mut report = ForecastReport::default();
    let mut lines: Vec<(Option<ForecastCategory>, CategoryLine)> = ForecastCategory::ALL
        .iter()
        .map(|c| (Some(*c), CategoryLine::default()))
        .chain([(None, CategoryLine::default())])
        .collect();
    let mut closed_arr = 0i64;
    let mut renewed_capped = 0i64;
    for r in due {
        report.due += 1;
        report.due_arr.0 += r.contract_arr.0;
        let category = r.called_at_start.map(|(c, _)| c);
        let forecast = r.called_at_start.map_or(Cents::ZERO, |(_, arr)| arr);
        let line = &mut lines
            .iter_mut()
            .find(|(c, _)| *c == category)
            .expect("every category has a line")
            .1;
        line.renewals += 1;
        line.forecast_arr.0 += forecast.0;
        match category {
            Some(ForecastCategory::Commit) => {
                report.commit_arr.0 += forecast.0;
                report.best_case_arr.0 += forecast.0;
            }
            Some(ForecastCategory::BestCase) => report.best_case_arr.0 += forecast.0,
            _ => {}
        }
        match r.closed {
            Some((RenewalResult::Renewed, arr)) => {
                line.renewed_arr.0 += arr.0;
                report.renewed_arr.0 += arr.0;
                report.renewed += 1;
                closed_arr += r.contract_arr.0;
                renewed_capped += arr.0.min(r.contract_arr.0);
            }
            Some((RenewalResult::Churned, _)) => {
                line.churned += 1;
                report.churned += 1;
                closed_arr += r.contract_arr.0;
            }
            None => {
                line.open += 1;
                report.open += 1;
            }
        }
    }
    report.by_category = lines.into_iter().filter(|(_, l)| l.renewals > 0).collect();
    report.gross_renewal_per_mille = per_mille(renewed_capped, closed_arr);
    report.commit_attainment_per_mille = per_mille(report.renewed_arr.0, report.commit_arr.0);
    report
}

fn per_mille(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (i128::from(part) * 1000 / i128::from(whole)) as i64)
}

/// Who works each kind of expansion: a team's policy (seed 004 describes three — all sales,
/// renewals to CS and new revenue to sales, all CS — and argues for routing by the kind of
/// growth). The default is the seed's: more of the same to the CSM, new business to the AE.
pub fn default_route(kind: OpportunityKind) -> Route {
    match kind {
        OpportunityKind::PriceIncrease | OpportunityKind::Consumption | OpportunityKind::OrganicSeats => Route::Csm,
        OpportunityKind::NewDivision | OpportunityKind::NewProduct => Route::Ae,
    }
}

/// Whether an opportunity sells more of what the customer has (upsell) or something new
/// (cross-sell).
pub fn is_cross_sell(kind: OpportunityKind) -> bool {
    kind == OpportunityKind::NewProduct
}

/// An upsell or cross-sell: what kind of growth, what it is, the ARR it would add, when it is
/// expected to close, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpportunityFields {
    pub kind: OpportunityKind,
    pub title: Name,
    pub amount: Cents,
    pub expected_close: NaiveDate,
    pub stage: OpportunityStage,
    pub note: Note,
}

/// How far ahead an opportunity may be expected to close.
pub const FURTHEST_CLOSE_DAYS: u64 = 2 * 366;

impl OpportunityFields {
    /// Some ARR to add; an open opportunity expected within two years.
    pub fn validate(self, today: NaiveDate) -> Result<Valid<OpportunityFields>, Invalid> {
        let mut rules = Rules::default();
        rules.require(self.amount > Cents::ZERO, "amount", || {
            "the ARR the opportunity would add: more than 0".into()
        });
        let furthest = today
            .checked_add_days(chrono::Days::new(FURTHEST_CLOSE_DAYS))
            .unwrap_or(today);
        rules.require(
            self.stage.is_closed() || self.expected_close <= furthest,
            "expected_close",
            || format!("an open opportunity is expected to close within two years, by {furthest}"),
        );
        rules.finish(self)
    }
}

impl OpportunityStage {
    pub fn is_closed(self) -> bool {
        matches!(self, OpportunityStage::Won | OpportunityStage::Lost)
    }
}

/// Expansion expected in a period against what was won in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpansionLine {
    /// Open opportunities expected to close in the period.
    pub open: u32,
    pub open_amount: Cents,
    pub won: u32,
    pub won_amount: Cents,
    pub lost: u32,
    pub lost_amount: Cents,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn call(outlook: RenewalOutlook, category: ForecastCategory, arr: i64) -> RenewalCall {
        RenewalCall {
            outlook,
            category,
            forecast_arr: Cents(arr),
            note: Note::default(),
        }
    }

    #[test]
    fn a_quarter_runs_from_its_first_day_to_the_next_ones() {
        assert_eq!(quarter_of(d("2026-12-02")), (d("2026-10-01"), d("2027-01-01")));
        assert_eq!(quarter_of(d("2027-01-01")), (d("2027-01-01"), d("2027-04-01")));
        assert_eq!(quarter_of(d("2027-06-30")), (d("2027-04-01"), d("2027-07-01")));
    }

    #[test]
    fn renewals_fall_in_the_narrowest_window() {
        assert_eq!(window_of(0), Some(30));
        assert_eq!(window_of(30), Some(30));
        assert_eq!(window_of(31), Some(60));
        assert_eq!(window_of(180), Some(180));
        assert_eq!(window_of(181), None);
        assert_eq!(window_of(-3), Some(30), "past due is the most urgent");
    }

    #[test]
    fn a_call_at_risk_is_not_a_commit_and_an_omitted_one_expects_nothing() {
        assert!(
            call(RenewalOutlook::Likely, ForecastCategory::Commit, 100)
                .validate()
                .is_ok()
        );
        let bet = call(RenewalOutlook::AtRisk, ForecastCategory::Commit, 100)
            .validate()
            .unwrap_err();
        assert_eq!(bet.errors[0].field, "category");
        assert!(
            call(RenewalOutlook::AtRisk, ForecastCategory::BestCase, 100)
                .validate()
                .is_ok()
        );
        let omitted = call(RenewalOutlook::AtRisk, ForecastCategory::Omitted, 100)
            .validate()
            .unwrap_err();
        assert_eq!(
            omitted.to_string(),
            "forecast_arr: a renewal omitted from the forecast expects no ARR: enter 0"
        );
    }

    #[test]
    fn a_close_renews_at_some_arr_or_churns_at_none_and_is_not_in_the_future() {
        let close = |result, arr, on: &str| RenewalClose {
            result,
            renewed_arr: Cents(arr),
            decided_on: d(on),
            note: Note::default(),
        };
        let today = d("2026-12-02");
        assert!(close(RenewalResult::Renewed, 100, "2026-12-02").validate(today).is_ok());
        assert!(close(RenewalResult::Churned, 0, "2026-11-30").validate(today).is_ok());
        let fields =
            |c: RenewalClose| -> Vec<&str> { c.validate(today).unwrap_err().errors.iter().map(|e| e.field).collect() };
        assert_eq!(
            fields(close(RenewalResult::Renewed, 0, "2026-12-03")),
            ["decided_on", "renewed_arr"]
        );
        assert_eq!(fields(close(RenewalResult::Churned, 5, "2026-12-01")), ["renewed_arr"]);
    }

    #[test]
    fn the_forecast_called_at_the_start_is_held_against_what_renewed() {
        use ForecastCategory::*;
        let due = |arr, start: Option<(ForecastCategory, i64)>, closed: Option<(RenewalResult, i64)>| DueRenewal {
            contract_arr: Cents(arr),
            called_at_start: start.map(|(c, a)| (c, Cents(a))),
            called_now: None,
            closed: closed.map(|(r, a)| (r, Cents(a))),
        };
        let report = forecast_report(&[
            // Committed at 1,000 and renewed with an uplift: capped at 1,000 for the gross rate.
            due(1000, Some((Commit, 1000)), Some((RenewalResult::Renewed, 1200))),
            // Committed and churned.
            due(500, Some((Commit, 500)), Some((RenewalResult::Churned, 0))),
            // Best case, still open.
            due(300, Some((BestCase, 250)), None),
            // Never called before the period began; renewed flat.
            due(200, None, Some((RenewalResult::Renewed, 200))),
        ]);
        assert_eq!((report.due, report.due_arr), (4, Cents(2000)));
        assert_eq!((report.commit_arr, report.best_case_arr), (Cents(1500), Cents(1750)));
        assert_eq!(
            (report.renewed_arr, report.renewed, report.churned, report.open),
            (Cents(1400), 2, 1, 1)
        );
        // Closed: 1,000 + 500 + 200 = 1,700 up; renewed capped: 1,000 + 200 = 1,200.
        assert_eq!(report.gross_renewal_per_mille, Some(705));
        // 1,400 renewed against 1,500 committed.
        assert_eq!(report.commit_attainment_per_mille, Some(933));
        let categories: Vec<_> = report.by_category.iter().map(|(c, l)| (*c, l.renewals)).collect();
        assert_eq!(categories, [(Some(Commit), 2), (Some(BestCase), 1), (None, 1)]);
        let commit = &report.by_category[0].1;
        assert_eq!(
            (commit.forecast_arr, commit.renewed_arr, commit.churned),
            (Cents(1500), Cents(1200), 1)
        );
        assert_eq!(forecast_report(&[]).gross_renewal_per_mille, None);
    }

    #[test]
    fn more_of_the_same_goes_to_the_csm_and_new_business_to_the_ae() {
        assert_eq!(default_route(OpportunityKind::PriceIncrease), Route::Csm);
        assert_eq!(default_route(OpportunityKind::Consumption), Route::Csm);
        assert_eq!(default_route(OpportunityKind::OrganicSeats), Route::Csm);
        assert_eq!(default_route(OpportunityKind::NewDivision), Route::Ae);
        assert_eq!(default_route(OpportunityKind::NewProduct), Route::Ae);
        assert!(is_cross_sell(OpportunityKind::NewProduct) && !is_cross_sell(OpportunityKind::NewDivision));
    }

    #[test]
    fn an_opportunity_adds_arr_and_closes_within_two_years() {
        let today = d("2026-12-02");
        let opp = |amount, close: &str, stage| OpportunityFields {
            kind: OpportunityKind::OrganicSeats,
            title: Name::parse("20 more seats for the EMEA team").unwrap(),
            amount: Cents(amount),
            expected_close: d(close),
            stage,
            note: Note::default(),
        };
        assert!(
            opp(100, "2027-03-01", OpportunityStage::Identified)
                .validate(today)
                .is_ok()
        );
        let none = opp(0, "2029-01-01", OpportunityStage::Qualified)
            .validate(today)
            .unwrap_err();
        let fields: Vec<_> = none.errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["amount", "expected_close"]);
        assert!(
            opp(100, "2029-01-01", OpportunityStage::Won).validate(today).is_ok(),
            "closed"
        );
    }
}
