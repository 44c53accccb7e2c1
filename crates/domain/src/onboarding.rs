//! Onboarding (F-36): a customer-facing project plan from signature to go-live — tasks with an
//! owner on our side or the customer's, each with a date; the risks; the external kickoff due
//! four business days after signature and a touchpoint with the executive sponsor midway. The
//! customer ticks off their own tasks through a link, and onboarding is complete only when the
//! customer says both the technical implementation and the process integration are done
//! (seed 004: finishing a task list is not the same as onboarding being complete).

use std::fmt;
use std::str::FromStr;

use chrono::{Days, NaiveDate};

use crate::error::{Invalid, Rules, Valid};
use crate::handoff::kickoff_due;
use crate::text::{Label, Name, Note};
use crate::vocabulary::{normalise, vocabulary};

/// An onboarding project's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct OnboardingId(pub i64);

impl fmt::Display for OnboardingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

vocabulary!(
    /// Whose task it is: ours, or the customer's (which they tick off through their link).
    TaskSide, "task side" {
        Ours = "ours" | "vendor" | "us" => "Ours",
        Customer = "customer" | "theirs" | "client" => "The customer's",
    }
);

/// The most tasks one plan holds.
pub const MAX_TASKS: usize = 60;

/// A task of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFields {
    pub title: Name,
    pub side: TaskSide,
    /// Who does it, by name ("Priya (their IT lead)", "Sam, our solutions engineer").
    pub owner: Label,
    pub due_on: NaiveDate,
}

/// What a CSM sets on an onboarding project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnboardingFields {
    /// The day the customer signed: the kickoff's clock starts here.
    pub signed_on: NaiveDate,
    /// When onboarding should be complete.
    pub target_on: NaiveDate,
    /// What could get in the way, shown to the customer too.
    pub risks: Note,
}

impl OnboardingFields {
    /// The target falls after the kickoff is due: a plan ends after it starts.
    pub fn validate(self) -> Result<Valid<OnboardingFields>, Invalid> {
        let mut rules = Rules::default();
        rules.require(self.target_on > kickoff_due(self.signed_on), "target_on", || {
            format!(
                "must fall after the kickoff, due {} (four business days after signature)",
                kickoff_due(self.signed_on)
            )
        });
        rules.finish(self)
    }

    pub fn kickoff_due(&self) -> NaiveDate {
        kickoff_due(self.signed_on)
    }

    /// The executive sponsor's touchpoint: halfway from the kickoff to the target.
    pub fn midway_on(&self) -> NaiveDate {
        let start = self.kickoff_due();
        let half = (self.target_on - start).num_days().max(0) / 2;
        start + Days::new(u64::try_from(half).unwrap_or(0))
    }
}

/// The two tasks every plan starts with, on our side: the external kickoff and the midway
/// touchpoint with the executive sponsor.
pub fn standard_tasks(fields: &OnboardingFields, csm: &Label) -> Vec<TaskFields> {
    let name = |t: &str| Name::parse(t).expect("a fixed title is a name");
    vec![
        TaskFields {
            title: name("External kickoff with the customer's project team"),
            side: TaskSide::Ours,
            owner: csm.clone(),
            due_on: fields.kickoff_due(),
        },
        TaskFields {
            title: name("Midway touchpoint with the executive sponsor"),
            side: TaskSide::Ours,
            owner: csm.clone(),
            due_on: fields.midway_on(),
        },
    ]
}

/// The customer's answer at the end: is the technical implementation complete, and the
/// process integration?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerVerdict {
    pub technical: bool,
    pub process: bool,
}

impl CustomerVerdict {
    /// Onboarding is complete only when the customer says both are.
    pub fn complete(self) -> bool {
        self.technical && self.process
    }
}

/// Whole days from `from` to `to` (time to first value, time to onboarding completion).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

/// The median of some durations in days (`None` for none): the segment's figure.
pub fn median_days(mut days: Vec<i64>) -> Option<i64> {
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    let mid = days.len() / 2;
    Some(if days.len() % 2 == 0 {
        (days[mid - 1] + days[mid]) / 2
    } else {
        days[mid]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn fields(target: &str) -> OnboardingFields {
        OnboardingFields {
            signed_on: d("2026-12-02"),
            target_on: d(target),
            risks: Note::parse("Their IT team is busy until January").unwrap(),
        }
    }

    #[test]
    fn the_plan_starts_with_the_kickoff_and_the_sponsor_midway() {
        let f = fields("2027-01-07");
        assert_eq!(f.kickoff_due(), d("2026-12-08"));
        assert_eq!(f.midway_on(), d("2026-12-23"));
        let tasks = standard_tasks(&f, &Label::parse("Casey").unwrap());
        assert_eq!(tasks[0].due_on, d("2026-12-08"));
        assert_eq!(tasks[1].due_on, d("2026-12-23"));
        assert!(tasks.iter().all(|t| t.side == TaskSide::Ours));
        assert!(f.validate().is_ok());
        let early = fields("2026-12-08").validate().unwrap_err();
        assert_eq!(early.errors[0].field, "target_on");
    }

    #[test]
    fn only_the_customer_saying_both_are_done_completes_onboarding() {
        let yes = CustomerVerdict {
            technical: true,
            process: true,
        };
        assert!(yes.complete());
        assert!(
            !CustomerVerdict {
                technical: true,
                process: false
            }
            .complete()
        );
        assert!(
            !CustomerVerdict {
                technical: false,
                process: true
            }
            .complete()
        );
    }

    #[test]
    fn durations_and_their_median() {
        assert_eq!(days_between(d("2026-12-02"), d("2027-01-01")), 30);
        assert_eq!(median_days(vec![]), None);
        assert_eq!(median_days(vec![30, 10, 20]), Some(20));
        assert_eq!(median_days(vec![10, 20, 30, 40]), Some(25));
    }
}
