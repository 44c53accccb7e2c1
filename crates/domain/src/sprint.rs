//! Sprints (F-33, seed 003): adoption in short cycles of goals agreed with the customer — eight
//! weeks by default —, each with at most three sprint goals and the quick wins (outcome
//! achievements) that open the way to larger ones. A slipping customer is re-engaged with a new
//! sprint once the root cause of the slippage has been looked for.

use chrono::{Days, NaiveDate};

use crate::error::{Invalid, Rules, Valid};
use crate::ids::{GoalId, PlanTacticId};
use crate::text::{Name, Note};
use crate::vocabulary::{Answer, CauseSide, RetroCadence};

/// The length of a sprint when the workspace has not chosen one (seed 003: eight weeks).
pub const DEFAULT_WEEKS: u32 = 8;
/// The sprint lengths a workspace may choose.
pub const WEEKS: std::ops::RangeInclusive<u32> = 2..=26;
/// Sprint goals are few so they are reached: at most three at once.
pub const MAX_GOALS: usize = 3;

/// The workspace's sprint rhythm: how long a sprint runs and how often its retrospectives are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SprintSettings {
    pub weeks: u32,
    pub retro_cadence: RetroCadence,
}

impl Default for SprintSettings {
    fn default() -> Self {
        SprintSettings {
            weeks: DEFAULT_WEEKS,
            retro_cadence: RetroCadence::Monthly,
        }
    }
}

impl SprintSettings {
    pub fn validate(self) -> Result<Valid<SprintSettings>, Invalid> {
        let mut rules = Rules::default();
        rules.require(WEEKS.contains(&self.weeks), "sprint_weeks", || {
            format!("a sprint lasts {} to {} weeks", WEEKS.start(), WEEKS.end())
        });
        rules.finish(self)
    }
}

/// Where a sprint goal comes from: one of the account's goals, or a tactic of its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GoalSource {
    Goal(GoalId),
    Tactic(PlanTacticId),
}

/// Seed 003's questions before re-engaging a slipping customer, answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootCause {
    /// Is it us (our platform) or them?
    pub side: CauseSide,
    /// Do we have the same goals for this relationship?
    pub same_goals: Answer,
    /// Is there a communication breakdown?
    pub communication_breakdown: Answer,
    /// Are we moving too fast?
    pub too_fast: Answer,
    /// Have we failed to understand their objectives clearly?
    pub objectives_misunderstood: Answer,
    /// Is there a gap between skills and resources?
    pub skills_gap: Answer,
    /// What was found, in words.
    pub note: Note,
}

impl RootCause {
    /// The questions as asked, each with its answer, for pages and the timeline.
    pub fn answers(&self) -> [(&'static str, &'static str); 6] {
        [
            ("Is it us or them?", self.side.label()),
            ("Do we have the same goals?", self.same_goals.label()),
            (
                "Is there a communication breakdown?",
                self.communication_breakdown.label(),
            ),
            ("Are we moving too fast?", self.too_fast.label()),
            (
                "Have we misunderstood their objectives?",
                self.objectives_misunderstood.label(),
            ),
            ("Is there a gap in skills or resources?", self.skills_gap.label()),
        ]
    }

    /// The causes found ("yes" answers, and a side other than "unclear"), in words.
    pub fn findings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.side != CauseSide::Unclear {
            out.push(format!("slippage is on {}", self.side.label().to_lowercase()));
        }
        if self.same_goals == Answer::No {
            out.push("goals differ".to_owned());
        }
        for (answer, words) in [
            (self.communication_breakdown, "communication broke down"),
            (self.too_fast, "moving too fast"),
            (self.objectives_misunderstood, "objectives misunderstood"),
            (self.skills_gap, "skills or resources gap"),
        ] {
            if answer == Answer::Yes {
                out.push(words.to_owned());
            }
        }
        out
    }
}

/// A sprint as started: when, how long, what it is for, and — when it re-engages a slipping
/// customer — the root cause found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SprintFields {
    pub starts_on: NaiveDate,
    pub weeks: u32,
    /// What the customer and the CSM agreed the sprint is for.
    pub focus: Note,
    pub goals: Vec<GoalSource>,
    pub root_cause: Option<RootCause>,
}

/// How far ahead a sprint may be planned to start.
pub const FURTHEST_START_DAYS: u64 = 90;

impl SprintFields {
    /// One to three distinct goals; a length in [`WEEKS`]; a start no earlier than a week ago
    /// (a sprint is agreed, then run — not backdated to fit) and no later than
    /// [`FURTHEST_START_DAYS`] ahead (a sprint is the next stretch of work, not a wish list).
    pub fn validate(mut self, today: NaiveDate) -> Result<Valid<SprintFields>, Invalid> {
        let mut rules = Rules::default();
        rules.require(WEEKS.contains(&self.weeks), "weeks", || {
            format!("a sprint lasts {} to {} weeks", WEEKS.start(), WEEKS.end())
        });
        let mut seen = std::collections::HashSet::new();
        self.goals.retain(|g| seen.insert(*g));
        rules.require(!self.goals.is_empty(), "goals", || {
            "pick at least one of the account's goals or plan tactics as a sprint goal".into()
        });
        rules.require(self.goals.len() <= MAX_GOALS, "goals", || {
            format!(
                "a sprint has at most {MAX_GOALS} goals ({} picked): keep the ones the customer cares about most",
                self.goals.len()
            )
        });
        let earliest = today.checked_sub_days(Days::new(7)).unwrap_or(today);
        let latest = today.checked_add_days(Days::new(FURTHEST_START_DAYS)).unwrap_or(today);
        rules.require(self.starts_on >= earliest, "starts_on", || {
            format!("a sprint starts on {earliest} or later")
        });
        rules.require(self.starts_on <= latest, "starts_on", || {
            format!("a sprint starts within {FURTHEST_START_DAYS} days, by {latest}")
        });
        rules.finish(self)
    }

    pub fn ends_on(&self) -> NaiveDate {
        ends_on(self.starts_on, self.weeks)
    }
}

/// The last day of a sprint of `weeks` starting on `starts_on`.
pub fn ends_on(starts_on: NaiveDate, weeks: u32) -> NaiveDate {
    starts_on
        .checked_add_days(Days::new(u64::from(weeks) * 7 - 1))
        .unwrap_or(NaiveDate::MAX)
}

/// The days a sprint's retrospectives fall on (seed 000: routinely, monthly or bi-monthly,
/// coinciding with the sprint cycle): every four or eight weeks from the start, the last one
/// on the sprint's last day so the next sprint is planned in it.
pub fn retro_days(starts_on: NaiveDate, weeks: u32, cadence: RetroCadence) -> Vec<NaiveDate> {
    let step = cadence.weeks();
    let last = ends_on(starts_on, weeks);
    let mut out: Vec<NaiveDate> = (1..)
        .map(|n| n * step)
        .take_while(|w| *w < weeks)
        .filter_map(|w| starts_on.checked_add_days(Days::new(u64::from(w) * 7)))
        .collect();
    out.push(last);
    out
}

/// A sprint goal's progress, 0–100 %.
pub fn progress(percent: i64) -> Result<u8, String> {
    u8::try_from(percent)
        .ok()
        .filter(|p| *p <= 100)
        .ok_or_else(|| format!("progress is a percentage from 0 to 100, not {percent}"))
}

/// A quick win: an outcome the customer achieved, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinFields {
    pub title: Name,
    pub achieved_on: NaiveDate,
}

impl WinFields {
    /// A win has happened: it is not dated in the future.
    pub fn validate(self, today: NaiveDate) -> Result<Valid<WinFields>, Invalid> {
        let mut rules = Rules::default();
        rules.require(self.achieved_on <= today, "achieved_on", || {
            "a quick win is recorded once achieved: not after today".into()
        });
        rules.finish(self)
    }
}

/// Why an account is slipping (seed 003), which a new sprint would answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slip {
    /// Its health score is red.
    Red,
    /// Its active people fell from `before` to `now` (the usage-fall rule of F-12).
    UsageFalling { before: i64, now: i64 },
}

impl Slip {
    pub fn describe(&self) -> String {
        match self {
            Slip::Red => "health is red".to_owned(),
            Slip::UsageFalling { before, now } => format!("active people fell from {before} to {now}"),
        }
    }
}

/// Whether to propose re-engaging a slipping account with a new sprint: it slips, and no
/// re-engagement sprint has started in the last `weeks` (one answers one slippage).
pub fn propose_reengagement(
    slips: &[Slip],
    last_reengagement: Option<NaiveDate>,
    weeks: u32,
    today: NaiveDate,
) -> bool {
    let recent = last_reengagement.is_some_and(|d| (today - d).num_days() < i64::from(weeks) * 7);
    !slips.is_empty() && !recent
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::{Answer, CauseSide};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn sprint(goals: Vec<GoalSource>, starts_on: &str, weeks: u32) -> SprintFields {
        SprintFields {
            starts_on: d(starts_on),
            weeks,
            focus: Note::parse("Roll out to the EMEA team").unwrap(),
            goals,
            root_cause: None,
        }
    }

    #[test]
    fn a_sprint_has_one_to_three_distinct_goals_and_a_length_in_range() {
        let today = d("2026-12-02");
        let g = |n| GoalSource::Goal(GoalId(n));
        let ok = sprint(vec![g(1), g(1), GoalSource::Tactic(PlanTacticId(1))], "2026-12-07", 8)
            .validate(today)
            .unwrap();
        assert_eq!(ok.goals.len(), 2, "a goal picked twice counts once");
        assert_eq!(ok.ends_on(), d("2027-01-31"));
        let four = sprint(vec![g(1), g(2), g(3), g(4)], "2026-12-07", 8)
            .validate(today)
            .unwrap_err();
        assert_eq!(four.errors[0].field, "goals");
        assert!(four.errors[0].reason.contains("at most 3"), "{four}");
        let none = sprint(vec![], "2026-11-01", 30).validate(today).unwrap_err();
        let fields: Vec<_> = none.errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["weeks", "goals", "starts_on"]);
        assert!(
            sprint(vec![g(1)], "2027-03-02", 8).validate(today).is_ok(),
            "90 days ahead"
        );
        let far = sprint(vec![g(1)], "2027-03-03", 8).validate(today).unwrap_err();
        assert_eq!(
            far.to_string(),
            "starts_on: a sprint starts within 90 days, by 2027-03-02"
        );
    }

    #[test]
    fn retrospectives_fall_monthly_or_bi_monthly_and_on_the_last_day() {
        let start = d("2026-12-07");
        assert_eq!(
            retro_days(start, 8, RetroCadence::Monthly),
            [d("2027-01-04"), d("2027-01-31")]
        );
        assert_eq!(retro_days(start, 8, RetroCadence::BiMonthly), [d("2027-01-31")]);
        assert_eq!(
            retro_days(start, 12, RetroCadence::Monthly),
            [d("2027-01-04"), d("2027-02-01"), d("2027-02-28")]
        );
        assert_eq!(retro_days(start, 2, RetroCadence::Monthly), [d("2026-12-20")]);
    }

    #[test]
    fn a_slipping_account_is_proposed_a_new_sprint_unless_one_just_started() {
        let today = d("2026-12-02");
        let red = [Slip::Red];
        assert!(propose_reengagement(&red, None, 8, today));
        assert!(!propose_reengagement(&[], None, 8, today), "not slipping");
        assert!(!propose_reengagement(&red, Some(d("2026-11-20")), 8, today), "answered");
        assert!(propose_reengagement(&red, Some(d("2026-09-01")), 8, today), "long ago");
    }

    #[test]
    fn the_root_cause_says_what_was_found() {
        let cause = RootCause {
            side: CauseSide::Them,
            same_goals: Answer::Yes,
            communication_breakdown: Answer::Yes,
            too_fast: Answer::No,
            objectives_misunderstood: Answer::Unsure,
            skills_gap: Answer::Yes,
            note: Note::parse("Their admin left in October").unwrap(),
        };
        assert_eq!(
            cause.findings(),
            [
                "slippage is on their side",
                "communication broke down",
                "skills or resources gap"
            ]
        );
        assert_eq!(cause.answers()[0], ("Is it us or them?", "Their side"));
    }

    #[test]
    fn progress_is_a_percentage_and_a_win_is_not_in_the_future() {
        assert_eq!(progress(40), Ok(40));
        assert!(progress(101).is_err());
        assert!(progress(-1).is_err());
        let win = |on| WinFields {
            title: Name::parse("First report shared with the board").unwrap(),
            achieved_on: d(on),
        };
        assert!(win("2026-12-02").validate(d("2026-12-02")).is_ok());
        assert_eq!(
            win("2026-12-03").validate(d("2026-12-02")).unwrap_err().errors[0].field,
            "achieved_on"
        );
    }
}
