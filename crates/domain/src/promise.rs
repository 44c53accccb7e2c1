//! Promises: every meeting ends with action items on both sides and a next date (seed 003).
//! A promise is owned by one of our users or by one of the customer's contacts and is due on a
//! day; whether each side keeps its word is a fact about the relationship, and a health measure.

use chrono::{Duration, NaiveDate};

use crate::ids::{ContactId, UserId};
use crate::review::ActionText;
use crate::vocabulary::ActionStatus;

/// Who gave their word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromiseOwner {
    /// One of our team.
    Us(UserId),
    /// One of the customer's people.
    Customer(ContactId),
}

impl PromiseOwner {
    pub fn side(self) -> Side {
        match self {
            PromiseOwner::Us(_) => Side::Ours,
            PromiseOwner::Customer(_) => Side::Theirs,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Ours,
    Theirs,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseFields {
    pub description: ActionText,
    pub owner: PromiseOwner,
    pub due_on: NaiveDate,
}

/// Where a promise stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Not done, and not yet due.
    Open,
    /// Not done, and its day has passed.
    Overdue,
    /// Done on or before its day.
    KeptOnTime,
    /// Done, after its day.
    KeptLate,
    /// Given up by agreement; counts neither way.
    Dropped,
}

impl Standing {
    /// A promise's standing on `today`: done on `done_on` (when done).
    pub fn of(status: ActionStatus, due_on: NaiveDate, done_on: Option<NaiveDate>, today: NaiveDate) -> Standing {
        match status {
            ActionStatus::Dropped => Standing::Dropped,
            ActionStatus::Done => match done_on {
                Some(day) if day > due_on => Standing::KeptLate,
                _ => Standing::KeptOnTime,
            },
            ActionStatus::Open if due_on < today => Standing::Overdue,
            ActionStatus::Open => Standing::Open,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Standing::Open => "Open",
            Standing::Overdue => "Overdue",
            Standing::KeptOnTime => "Done on time",
            Standing::KeptLate => "Done late",
            Standing::Dropped => "Dropped",
        }
    }
}

/// How one side's promises stand: counts by standing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub on_time: u32,
    pub late: u32,
    pub overdue: u32,
    pub open: u32,
    pub dropped: u32,
}

impl Tally {
    pub fn add(&mut self, standing: Standing) {
        match standing {
            Standing::Open => self.open += 1,
            Standing::Overdue => self.overdue += 1,
            Standing::KeptOnTime => self.on_time += 1,
            Standing::KeptLate => self.late += 1,
            Standing::Dropped => self.dropped += 1,
        }
    }

    /// The promises whose day has come: kept (on time or late) or overdue.
    pub fn due(&self) -> u32 {
        self.on_time + self.late + self.overdue
    }
}

/// The days a "promises kept" score looks back over.
pub const KEPT_WINDOW_DAYS: i64 = 90;

/// One promise as the "promises kept" measure sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromiseFact {
    pub side: Side,
    pub status: ActionStatus,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

/// Both sides' record over the last [`KEPT_WINDOW_DAYS`]: the promises due in that window
/// (due after `today - 90 days`, up to today), kept on time or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PromisesKept {
    pub ours: Tally,
    pub theirs: Tally,
}

impl PromisesKept {
    pub fn over(facts: impl IntoIterator<Item = PromiseFact>, today: NaiveDate) -> PromisesKept {
        let from = today - Duration::days(KEPT_WINDOW_DAYS);
        let mut kept = PromisesKept::default();
        for fact in facts.into_iter().filter(|f| f.due_on > from && f.due_on <= today) {
            let standing = Standing::of(fact.status, fact.due_on, fact.done_on, today);
            match fact.side {
                Side::Ours => kept.ours.add(standing),
                Side::Theirs => kept.theirs.add(standing),
            }
        }
        kept
    }

    /// The share of due promises kept on time, both sides together, as a percentage; none
    /// when nothing fell due (the measure then has no data and its weight is shared).
    pub fn percent(&self) -> Option<f64> {
        let due = self.ours.due() + self.theirs.due();
        (due > 0).then(|| f64::from(self.ours.on_time + self.theirs.on_time) * 100.0 / f64::from(due))
    }

    /// The facts in words: "we kept 7 of 8, they kept 2 of 5 in the last 90 days".
    pub fn describe(&self) -> String {
        format!(
            "we kept {} of {}, they kept {} of {} in the last {KEPT_WINDOW_DAYS} days",
            self.ours.on_time,
            self.ours.due(),
            self.theirs.on_time,
            self.theirs.due()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    #[test]
    fn standing_follows_status_due_day_and_done_day() {
        let today = day("2026-12-02");
        let due = day("2026-11-30");
        assert_eq!(Standing::of(ActionStatus::Open, due, None, today), Standing::Overdue);
        assert_eq!(Standing::of(ActionStatus::Open, today, None, today), Standing::Open);
        assert_eq!(
            Standing::of(ActionStatus::Done, due, Some(due), today),
            Standing::KeptOnTime
        );
        assert_eq!(
            Standing::of(ActionStatus::Done, due, Some(day("2026-12-01")), today),
            Standing::KeptLate
        );
        assert_eq!(Standing::of(ActionStatus::Dropped, due, None, today), Standing::Dropped);
    }

    #[test]
    fn promises_kept_counts_each_side_within_ninety_days() {
        let today = day("2026-12-02");
        let fact = |side, status, due: &str, done: Option<&str>| PromiseFact {
            side,
            status,
            due_on: day(due),
            done_on: done.map(day),
        };
        let facts = [
            fact(Side::Ours, ActionStatus::Done, "2026-11-01", Some("2026-10-30")),
            fact(Side::Ours, ActionStatus::Done, "2026-11-10", Some("2026-11-12")),
            fact(Side::Ours, ActionStatus::Open, "2026-12-20", None), // not yet due: not counted
            fact(Side::Theirs, ActionStatus::Open, "2026-11-20", None),
            fact(Side::Theirs, ActionStatus::Done, "2026-11-21", Some("2026-11-21")),
            fact(Side::Theirs, ActionStatus::Dropped, "2026-11-22", None),
            fact(Side::Theirs, ActionStatus::Done, "2026-08-01", Some("2026-08-01")), // before the window
        ];
        let kept = PromisesKept::over(facts, today);
        assert_eq!((kept.ours.on_time, kept.ours.late, kept.ours.due()), (1, 1, 2));
        assert_eq!(
            (kept.theirs.on_time, kept.theirs.overdue, kept.theirs.dropped),
            (1, 1, 1)
        );
        assert_eq!(kept.describe(), "we kept 1 of 2, they kept 1 of 2 in the last 90 days");
        assert_eq!(kept.percent(), Some(50.0));
        assert_eq!(PromisesKept::over([], today).percent(), None);
    }
}
