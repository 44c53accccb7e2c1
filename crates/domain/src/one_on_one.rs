//! Team 1:1s (F-66; seed 004's "look around, look back, look forward"): a monthly 1:1 between
//! a leader and each CSM who reports to them, held on that template with the CSM's book
//! figures as they stood; the CSM's long-term goals, each with the history of its status; and
//! the anonymous feedback form to leadership.
//!
//! Who sees what: a 1:1 — its three sections and the figures — is private to the leader who
//! held it and the CSM it was with. Admins run the system, not the team, so they do not read
//! 1:1s; another leader does not either. Long-term goals are the CSM's and their manager's.
//! Feedback carries no author at all (see [`FeedbackFields`]).

use std::fmt;
use std::str::FromStr;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::Cents;
use crate::UserId;
use crate::access::Actor;
use crate::error::{Invalid, Rules, Valid};
use crate::text::{Name, Note};
use crate::vocabulary::{Role, normalise, vocabulary};

/// Seed 004's questions for each section, shown beside the fields to write in.
pub const LOOK_AROUND: &[&str] = &[
    "How are you doing since the last time we met?",
    "What's on your mind about the company?",
    "Do you have any frustrations or concerns?",
    "Do you have any feedback for me personally?",
];
pub const LOOK_BACK: &[&str] = &[
    "Do you have the opportunity to do your very best work here?",
    "Do you feel you're getting appropriate recognition for the good work you do?",
    "Performance highlights, areas to improve, and what success looks like",
];
pub const LOOK_FORWARD: &[&str] = &[
    "What is blocking your short-term goals?",
    "Has anything changed in your long-term goals — and why?",
    "Where do you want your career to go next?",
];

/// What was said in a 1:1, section by section, and the day it was held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOnOneFields {
    pub held_on: NaiveDate,
    pub look_around: Note,
    pub look_back: Note,
    pub look_forward: Note,
}

impl OneOnOneFields {
    /// A 1:1 is recorded once held: never for a day after `today`, nor more than a year back.
    pub fn validate(self, today: NaiveDate) -> Result<Valid<Self>, Invalid> {
        let mut rules = Rules::default();
        rules.require(self.held_on <= today, "held_on", || {
            "is after today: record a 1:1 once it is held".into()
        });
        rules.require(
            today
                .checked_sub_months(Months::new(12))
                .is_none_or(|y| self.held_on >= y),
            "held_on",
            || "is more than a year ago".into(),
        );
        rules.finish(self)
    }
}

/// The CSM's book as it stood when the 1:1 was held: kept with it, so a later reading shows
/// what was discussed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookFigures {
    pub accounts: u32,
    pub arr: Cents,
    pub green: u32,
    pub yellow: u32,
    pub red: u32,
    /// Accounts with no score yet.
    pub unscored: u32,
    /// Accounts whose renewal falls within [`RENEWAL_DAYS`] days.
    pub renewals_due: u32,
    pub overdue_tasks: u32,
    /// Promises we made to the CSM's customers, open past their due day.
    pub overdue_promises: u32,
}

/// How far ahead a 1:1 looks at renewals.
pub const RENEWAL_DAYS: i64 = 90;

/// Where a CSM stands with their monthly 1:1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Due {
    /// Never held: due now.
    Never,
    /// The next one is due on this day (today included).
    On { day: NaiveDate },
    /// Past due since this day.
    Overdue { since: NaiveDate },
}

impl Due {
    pub fn is_overdue(self) -> bool {
        matches!(self, Due::Overdue { .. } | Due::Never)
    }
}

/// A 1:1 is due a calendar month after the last one.
pub fn next_due(last_held: Option<NaiveDate>, today: NaiveDate) -> Due {
    match last_held {
        None => Due::Never,
        Some(last) => {
            let day = last.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX);
            if day < today {
                Due::Overdue { since: day }
            } else {
                Due::On { day }
            }
        }
    }
}

/// Who holds 1:1s with whom: a leader with each person who reports to them.
pub fn may_hold(actor: &Actor, csm_manager: Option<UserId>) -> bool {
    actor.role == Role::Leader && actor.user.is_some() && actor.user == csm_manager
}

/// Who reads a 1:1: the two people in it.
pub fn may_read(actor: &Actor, leader: UserId, csm: UserId) -> bool {
    actor.user.is_some_and(|u| u == leader || u == csm)
}

/// Who reads and moves a person's long-term goals: the person and their manager.
pub fn may_see_goals(actor: &Actor, person: UserId, manager: Option<UserId>) -> bool {
    actor.user.is_some_and(|u| u == person || Some(u) == manager)
}

/// Who reads the anonymous feedback: leadership (leaders and executives).
pub fn may_read_feedback(actor: &Actor) -> bool {
    matches!(actor.role, Role::Leader | Role::Executive)
}

vocabulary!(
    /// Where a long-term goal stands.
    CareerGoalStatus, "goal status" {
        OnTrack = "on_track" | "active" => "On track",
        Changed = "changed" => "Changed",
        Stalled = "stalled" | "at_risk" => "Stalled",
        Reached = "reached" | "achieved" | "done" => "Reached",
        Dropped = "dropped" => "Dropped",
    }
);

/// A long-term goal of a CSM's: what, and by when if they said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareerGoalFields {
    pub title: Name,
    pub target_on: Option<NaiveDate>,
}

vocabulary!(
    /// What a piece of feedback to leadership is about (seed 004's questions).
    FeedbackTopic, "topic" {
        Leadership = "leadership" | "leaders" => "The leadership team",
        Values = "values" => "How we live our values",
        Problem = "problem" => "The number one problem",
        Opportunity = "opportunity" => "An opportunity we miss",
        Recognition = "recognition" | "kudos" => "Someone who deserves recognition",
        Other = "other" => "Something else",
    }
);

/// Feedback to leadership. Anonymous for real: it is stored with its topic, its text and the
/// day it came — no author, no time finer than the day, no address — and its key is random, so
/// not even the order of submissions within a day is kept. Submitting writes nothing else (no
/// audit entry). Leaders read it as counts per topic and as a list without authors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackFields {
    pub topic: FeedbackTopic,
    pub body: Note,
}

impl FeedbackFields {
    pub fn validate(self) -> Result<Valid<Self>, Invalid> {
        let mut rules = Rules::default();
        rules.require(!self.body.as_str().is_empty(), "body", || {
            "is required: what would you like leadership to hear?".into()
        });
        rules.finish(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn actor(role: Role, user: i64) -> Actor {
        Actor {
            role,
            user: Some(UserId(user)),
        }
    }

    #[test]
    fn a_one_on_one_is_due_a_month_after_the_last() {
        let today = d("2026-12-03");
        assert_eq!(next_due(None, today), Due::Never);
        assert!(Due::Never.is_overdue(), "never held is due now");
        assert_eq!(next_due(Some(d("2026-11-20")), today), Due::On { day: d("2026-12-20") });
        assert_eq!(
            next_due(Some(d("2026-11-03")), today),
            Due::On { day: today },
            "due today is not yet overdue"
        );
        assert_eq!(
            next_due(Some(d("2026-10-31")), today),
            Due::Overdue { since: d("2026-11-30") },
            "a month after the 31st is the month's last day"
        );
        assert!(next_due(Some(d("2026-10-31")), today).is_overdue());
    }

    #[test]
    fn a_one_on_one_is_recorded_once_held() {
        let today = d("2026-12-03");
        let fields = |held_on| OneOnOneFields {
            held_on,
            look_around: Note::default(),
            look_back: Note::default(),
            look_forward: Note::default(),
        };
        assert!(fields(today).validate(today).is_ok());
        assert_eq!(
            fields(d("2026-12-04")).validate(today).unwrap_err().errors[0].field,
            "held_on"
        );
        assert!(
            fields(d("2025-11-01")).validate(today).is_err(),
            "more than a year back"
        );
    }

    #[test]
    fn only_the_two_people_read_a_one_on_one_and_only_the_manager_holds_it() {
        let (leader, csm) = (UserId(1), UserId(2));
        assert!(may_hold(&actor(Role::Leader, 1), Some(leader)));
        assert!(!may_hold(&actor(Role::Leader, 3), Some(leader)), "another leader");
        assert!(!may_hold(&actor(Role::Admin, 1), Some(leader)), "an admin is no leader");
        assert!(may_read(&actor(Role::Leader, 1), leader, csm));
        assert!(may_read(&actor(Role::Csm, 2), leader, csm));
        assert!(
            !may_read(&actor(Role::Admin, 9), leader, csm),
            "admins do not read 1:1s"
        );
        assert!(!may_read(&actor(Role::Leader, 3), leader, csm));
        assert!(may_see_goals(&actor(Role::Csm, 2), csm, Some(leader)));
        assert!(may_see_goals(&actor(Role::Leader, 1), csm, Some(leader)));
        assert!(!may_see_goals(&actor(Role::Leader, 3), csm, Some(leader)));
        assert!(may_read_feedback(&actor(Role::Executive, 5)));
        assert!(!may_read_feedback(&actor(Role::Admin, 5)));
        assert!(!may_read_feedback(&actor(Role::Csm, 2)));
    }

    #[test]
    fn feedback_needs_something_said() {
        let empty = FeedbackFields {
            topic: FeedbackTopic::Problem,
            body: Note::default(),
        };
        assert_eq!(empty.validate().unwrap_err().errors[0].field, "body");
        assert_eq!("kudos".parse::<FeedbackTopic>().unwrap(), FeedbackTopic::Recognition);
    }
}
