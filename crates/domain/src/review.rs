//! The quarterly line-by-line review (F-24, seed 001 play 2) and the churn retrospective
//! (F-25, play 5): which accounts an LxL puts on its agenda, the action items that come back
//! at the next one, and what marking an account churned records.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::Rules;
use crate::health::Band;
use crate::text::{Note, Text};
use crate::vocabulary::{ActionStatus, AgendaReason, ChurnReason, GrowthPotential, LifecycleStage};
use crate::{Invalid, UserId, Valid};

/// A calendar quarter, written `2026-Q4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Quarter {
    year: i32,
    quarter: u8,
}

impl Quarter {
    pub fn of(day: NaiveDate) -> Quarter {
        Quarter {
            year: day.year(),
            quarter: (day.month0() / 3 + 1) as u8,
        }
    }

    pub fn label(self) -> String {
        format!("Q{} {}", self.quarter, self.year)
    }
}

impl FromStr for Quarter {
    type Err = String;
    fn from_str(input: &str) -> Result<Quarter, String> {
        let bad = || format!("{:?} is not a quarter (expected e.g. 2026-Q4)", input.trim());
        let upper = input.trim().to_uppercase();
        let (year, q) = upper.split_once("-Q").ok_or_else(bad)?;
        let year: i32 = year
            .parse()
            .ok()
            .filter(|y| (1970..=9999).contains(y))
            .ok_or_else(bad)?;
        let quarter: u8 = q.parse().ok().filter(|q| (1..=4).contains(q)).ok_or_else(bad)?;
        Ok(Quarter { year, quarter })
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.quarter)
    }
}

impl TryFrom<String> for Quarter {
    type Error = String;
    fn try_from(s: String) -> Result<Quarter, String> {
        s.parse()
    }
}

impl From<Quarter> for String {
    fn from(q: Quarter) -> String {
        q.to_string()
    }
}

/// What the agenda rule looks at for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgendaFacts {
    pub band: Option<Band>,
    pub growth_potential: Option<GrowthPotential>,
    pub stage: LifecycleStage,
    pub renewal_date: Option<NaiveDate>,
}

/// Why an account belongs on the review started `today`, if it does: red health (at risk);
/// green health with high growth potential or in the Expand stage (expansion-ready); a renewal
/// within six months (Chartbeat's rule in the seed). Churned accounts are past reviewing.
pub fn agenda_reasons(facts: AgendaFacts, today: NaiveDate) -> Vec<AgendaReason> {
    if facts.stage == LifecycleStage::Churned {
        return Vec::new();
    }
    let mut reasons = Vec::new();
    if facts.band == Some(Band::Red) {
        reasons.push(AgendaReason::AtRisk);
    }
    let grows = facts.growth_potential == Some(GrowthPotential::High) || facts.stage == LifecycleStage::Expand;
    if facts.band == Some(Band::Green) && grows {
        reasons.push(AgendaReason::ExpansionReady);
    }
    let horizon = today.checked_add_months(Months::new(6)).unwrap_or(NaiveDate::MAX);
    if facts.renewal_date.is_some_and(|d| d >= today && d <= horizon) {
        reasons.push(AgendaReason::RenewalSoon);
    }
    reasons
}

/// What an action item asks of whom, by when.
pub type ActionText = Text<500>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionItemFields {
    pub description: ActionText,
    pub owner_id: UserId,
    pub due_on: NaiveDate,
}

/// What marking an account churned records (seed 001, play 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChurnFields {
    pub churned_on: NaiveDate,
    pub reason: ChurnReason,
    /// In the team's words; the reason is the category reports compare.
    pub detail: Note,
}

impl ChurnFields {
    /// A churn is recorded once it happened: not after `today`.
    pub fn validate(self, today: NaiveDate) -> Result<Valid<ChurnFields>, Invalid> {
        let mut rules = Rules::default();
        rules.require(self.churned_on <= today, "churned_on", || {
            format!(
                "{} is in the future; record a churn once it has happened",
                self.churned_on
            )
        });
        rules.finish(self)
    }
}

/// What the team writes in a churn retrospective.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetrospectiveNotes {
    /// What could have been done to prevent it.
    pub prevention: Note,
    pub exit_interview: Note,
    pub learnings: Note,
    /// The playbook the learnings should change, by name.
    pub playbook: Note,
}

/// Whether a review of quarter `this` goes over an action item agreed in `agreed_in` (seed
/// 001: "action items that are reviewed in the following LxL"): every item of the previous
/// review (`previous`, the latest review before this one), whatever its status, and the items of
/// older reviews still open.
pub fn carries_over(agreed_in: Quarter, status: ActionStatus, this: Quarter, previous: Option<Quarter>) -> bool {
    match previous {
        None => false,
        Some(previous) => agreed_in < this && (agreed_in == previous || status == ActionStatus::Open),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn facts(
        band: Option<Band>,
        growth: Option<GrowthPotential>,
        stage: LifecycleStage,
        renewal: Option<&str>,
    ) -> AgendaFacts {
        AgendaFacts {
            band,
            growth_potential: growth,
            stage,
            renewal_date: renewal.map(d),
        }
    }

    #[test]
    fn quarters_parse_print_and_follow_the_calendar() {
        assert_eq!(Quarter::of(d("2026-11-25")).to_string(), "2026-Q4");
        assert_eq!(Quarter::of(d("2026-01-01")).label(), "Q1 2026");
        assert_eq!(" 2026-q2 ".parse::<Quarter>().unwrap(), Quarter::of(d("2026-05-31")));
        for bad in ["2026", "2026-Q5", "2026-Q0", "Q4-2026", "abcd-Q1"] {
            assert!(bad.parse::<Quarter>().is_err(), "{bad}");
        }
        assert!(Quarter::of(d("2026-12-31")) < Quarter::of(d("2027-01-01")));
    }

    #[test]
    fn the_agenda_takes_at_risk_expansion_ready_and_soon_renewing_accounts() {
        use AgendaReason::*;
        use LifecycleStage::*;
        let today = d("2026-11-25");
        let reasons = |f| agenda_reasons(f, today);
        assert_eq!(reasons(facts(Some(Band::Red), None, Adopt, None)), vec![AtRisk]);
        assert_eq!(
            reasons(facts(
                Some(Band::Green),
                Some(GrowthPotential::High),
                Adopt,
                Some("2027-05-25")
            )),
            vec![ExpansionReady, RenewalSoon]
        );
        assert_eq!(
            reasons(facts(Some(Band::Green), None, Expand, None)),
            vec![ExpansionReady]
        );
        assert!(reasons(facts(Some(Band::Yellow), Some(GrowthPotential::High), Expand, None)).is_empty());
        assert!(
            reasons(facts(Some(Band::Green), None, Adopt, Some("2027-05-26"))).is_empty(),
            "six months and a day out"
        );
        assert!(
            reasons(facts(None, None, Renew, Some("2026-11-24"))).is_empty(),
            "an overdue renewal is not ahead"
        );
        assert!(reasons(facts(Some(Band::Red), None, Churned, Some("2026-12-01"))).is_empty());
    }

    #[test]
    fn a_churn_is_recorded_once_it_happened() {
        let churn = |on| ChurnFields {
            churned_on: d(on),
            reason: ChurnReason::Budget,
            detail: Note::default(),
        };
        assert!(churn("2026-11-25").validate(d("2026-11-25")).is_ok());
        let err = churn("2026-11-26").validate(d("2026-11-25")).unwrap_err();
        assert_eq!(err.errors[0].field, "churned_on");
    }

    #[test]
    fn the_previous_reviews_items_come_back_whatever_their_status_and_older_ones_while_open() {
        let q = |s: &str| s.parse::<Quarter>().unwrap();
        let (this, previous) = (q("2026-Q4"), Some(q("2026-Q3")));
        for status in [ActionStatus::Open, ActionStatus::Done, ActionStatus::Dropped] {
            assert!(
                carries_over(q("2026-Q3"), status, this, previous),
                "{status:?} of the previous review"
            );
        }
        assert!(
            carries_over(q("2026-Q1"), ActionStatus::Open, this, previous),
            "older and still open"
        );
        assert!(
            !carries_over(q("2026-Q1"), ActionStatus::Done, this, previous),
            "older and closed"
        );
        assert!(
            !carries_over(q("2026-Q4"), ActionStatus::Open, this, previous),
            "this review's own"
        );
        assert!(
            !carries_over(q("2026-Q3"), ActionStatus::Open, this, None),
            "no review before: nothing"
        );
    }
}
