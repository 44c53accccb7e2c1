//! Handoff and deal quality (F-65, the start of F-36): closing a deal creates the internal
//! handoff from Sales to CS — the customer's goals and the pain points Sales heard, the
//! CS-qualification criteria checked, and the deal-desk exceptions (discounts, special terms)
//! that were granted to close it. At the kickoff the CSM may reject the deal by naming the
//! criteria that were not met; a leader decides (seed 004: "the CSM must clearly show which
//! qualification criteria were not met, and the VP of Success has to approve"). The external
//! kickoff is due four business days after signature (seed 001).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Weekday};

use crate::error::{Invalid, Rules, Valid};
use crate::text::{Label, Note};
use crate::vocabulary::{normalise, vocabulary};

/// A handoff's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct HandoffId(pub i64);

impl fmt::Display for HandoffId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

vocabulary!(
    /// Where a handoff stands: handed to CS, accepted at kickoff, or rejected — the CSM asks,
    /// a leader decides; a declined rejection leaves the deal accepted.
    HandoffState, "handoff state" {
        HandedOff = "handed_off" | "open" | "new" => "Handed off",
        Accepted = "accepted" => "Accepted",
        RejectionRequested = "rejection_requested" | "rejection_proposed" => "Rejection awaiting a leader",
        Rejected = "rejected" => "Rejected",
    }
);

vocabulary!(
    /// What a deal desk granted outside the standard terms.
    ExceptionKind, "exception kind" {
        Discount = "discount" => "Discount",
        PaymentTerms = "payment_terms" | "payment" => "Payment terms",
        SpecialTerms = "special_terms" | "terms" | "legal" => "Special terms",
        Scope = "scope" | "custom_work" | "services" => "Extra scope",
        Other = "other" => "Other",
    }
);

/// The most criteria one handoff checks: a qualification list longer than this is not read.
pub const MAX_CRITERIA: usize = 20;
/// The most deal-desk exceptions on one handoff.
pub const MAX_EXCEPTIONS: usize = 20;

/// The CS-qualification list a team starts from until it keeps its own (seed 004: the criteria
/// a CSM can show were not met).
pub const DEFAULT_CRITERIA: &[&str] = &[
    "Executive sponsor named",
    "Success criteria agreed in writing",
    "Use case fits the product",
    "Implementation owner and time committed",
    "Go-live date realistic",
];

/// One CS-qualification criterion as checked at handoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    /// "Executive sponsor named", "Success criteria agreed in writing".
    pub name: Label,
    pub met: bool,
}

/// A discount or special term granted to close the deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealException {
    pub kind: ExceptionKind,
    /// "20% off year one", "Net 90", "Custom SSO connector by March".
    pub detail: Label,
}

/// What Sales hands to CS when a deal closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffFields {
    /// The day the customer signed: the kickoff's clock starts here.
    pub signed_on: NaiveDate,
    /// The goals the customer bought for, as Sales heard them.
    pub goals: Note,
    /// The pains behind them.
    pub pain_points: Note,
    /// The CS-qualification criteria, each met or not.
    pub criteria: Vec<Criterion>,
    pub exceptions: Vec<DealException>,
}

fn unique_names<'a>(mut names: impl Iterator<Item = &'a Label>) -> bool {
    let mut seen = std::collections::HashSet::new();
    names.all(|n| seen.insert(n.as_str().to_lowercase()))
}

impl HandoffFields {
    /// A handoff says what the customer wants: goals are required (seed 001: the internal
    /// kickoff reviews goals and prior pain points, so the customer is not asked again);
    /// criteria are named once each; lists are bounded.
    pub fn validate(self) -> Result<Valid<HandoffFields>, Invalid> {
        let mut rules = Rules::default();
        rules.require(!self.goals.is_empty(), "goals", || {
            "say what the customer bought for, so the kickoff does not ask again".into()
        });
        rules.require(self.criteria.len() <= MAX_CRITERIA, "criteria", || {
            format!("at most {MAX_CRITERIA} criteria, not {}", self.criteria.len())
        });
        rules.require(unique_names(self.criteria.iter().map(|c| &c.name)), "criteria", || {
            "each criterion is named once".into()
        });
        rules.require(self.exceptions.len() <= MAX_EXCEPTIONS, "exceptions", || {
            format!("at most {MAX_EXCEPTIONS} exceptions, not {}", self.exceptions.len())
        });
        rules.finish(self)
    }

    /// The criteria not met.
    pub fn unmet(&self) -> impl Iterator<Item = &Criterion> {
        self.criteria.iter().filter(|c| !c.met)
    }
}

/// A CS-qualification list as a team keeps it: the criteria every new handoff starts from.
pub fn criteria_list(names: Vec<Label>) -> Result<Valid<Vec<Label>>, Invalid> {
    let mut rules = Rules::default();
    rules.require(names.len() <= MAX_CRITERIA, "criteria", || {
        format!("at most {MAX_CRITERIA} criteria, not {}", names.len())
    });
    rules.require(unique_names(names.iter()), "criteria", || {
        "each criterion is named once".into()
    });
    rules.finish(names)
}

/// A CSM's request to reject a deal: the unmet criteria it rests on, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub criteria: Vec<Label>,
    pub reason: Note,
}

impl Rejection {
    /// A rejection names at least one criterion, and only criteria of this handoff that were
    /// not met: a deal is rejected on the qualification it failed, not on a feeling.
    pub fn new(handoff: &HandoffFields, criteria: Vec<Label>, reason: Note) -> Result<Valid<Rejection>, Invalid> {
        let mut rules = Rules::default();
        rules.require(!criteria.is_empty(), "criteria", || {
            "name the qualification criteria that were not met".into()
        });
        for name in &criteria {
            let found = handoff
                .criteria
                .iter()
                .find(|c| c.name.as_str().eq_ignore_ascii_case(name.as_str()));
            rules.require(found.is_some(), "criteria", || {
                format!("{name:?} is not one of this handoff's criteria")
            });
            rules.require(found.is_none_or(|c| !c.met), "criteria", || {
                format!("{name:?} was met at handoff; tick it off first if it was not")
            });
        }
        rules.require(unique_names(criteria.iter()), "criteria", || {
            "each criterion is named once".into()
        });
        rules.finish(Rejection { criteria, reason })
    }
}

/// `days` business days (Monday to Friday) after `from`; a signature on a weekend counts from
/// the Monday after.
pub fn add_business_days(from: NaiveDate, days: u32) -> NaiveDate {
    let mut day = from;
    let mut left = days;
    while left > 0 {
        day = day.succ_opt().unwrap_or(day);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day
}

/// The external kickoff's due date: four business days after signature (seed 001).
pub fn kickoff_due(signed_on: NaiveDate) -> NaiveDate {
    add_business_days(signed_on, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn label(s: &str) -> Label {
        Label::parse(s).unwrap()
    }

    fn fields() -> HandoffFields {
        HandoffFields {
            signed_on: d("2026-12-02"),
            goals: Note::parse("Cut onboarding time in half").unwrap(),
            pain_points: Note::parse("Spreadsheets").unwrap(),
            criteria: vec![
                Criterion {
                    name: label("Executive sponsor named"),
                    met: true,
                },
                Criterion {
                    name: label("Success criteria agreed"),
                    met: false,
                },
            ],
            exceptions: vec![],
        }
    }

    #[test]
    fn kickoff_is_due_four_business_days_after_signature() {
        // Wednesday → the Tuesday after (Thu, Fri, Mon, Tue).
        assert_eq!(kickoff_due(d("2026-12-02")), d("2026-12-08"));
        // Monday → Friday of the same week.
        assert_eq!(kickoff_due(d("2026-11-30")), d("2026-12-04"));
        // Friday → Thursday of the next week.
        assert_eq!(kickoff_due(d("2026-12-04")), d("2026-12-10"));
        // Saturday and Sunday count from Monday: Thursday.
        assert_eq!(kickoff_due(d("2026-12-05")), d("2026-12-10"));
        assert_eq!(kickoff_due(d("2026-12-06")), d("2026-12-10"));
        assert_eq!(add_business_days(d("2026-12-05"), 0), d("2026-12-05"));
    }

    #[test]
    fn a_handoff_names_the_goals_and_each_criterion_once() {
        assert!(fields().validate().is_ok());
        let mut blank = fields();
        blank.goals = Note::parse("  ").unwrap();
        assert_eq!(blank.validate().unwrap_err().errors[0].field, "goals");
        let mut twice = fields();
        twice.criteria.push(Criterion {
            name: label("executive SPONSOR named"),
            met: false,
        });
        assert_eq!(twice.validate().unwrap_err().errors[0].field, "criteria");
        assert!(criteria_list(vec![label("A"), label("a")]).is_err());
        assert!(criteria_list(vec![label("A"), label("B")]).is_ok());
    }

    #[test]
    fn a_rejection_rests_on_unmet_criteria_of_the_handoff() {
        let f = fields();
        let reason = Note::parse("No success criteria").unwrap();
        let ok = Rejection::new(&f, vec![label("success criteria AGREED")], reason.clone());
        assert!(ok.is_ok());
        let none = Rejection::new(&f, vec![], reason.clone()).unwrap_err();
        assert_eq!(none.errors[0].field, "criteria");
        let met = Rejection::new(&f, vec![label("Executive sponsor named")], reason.clone()).unwrap_err();
        assert!(met.errors[0].reason.contains("was met"), "{met}");
        let unknown = Rejection::new(&f, vec![label("Budget")], reason).unwrap_err();
        assert!(unknown.errors[0].reason.contains("not one of"), "{unknown}");
    }
}
