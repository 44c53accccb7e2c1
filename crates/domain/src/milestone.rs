//! Milestones (F-12): the key behaviours that predict renewal ("sticky drivers", seed 001) —
//! a feature used at least N times, or by at least N people, within D days of go-live. The
//! first-value milestone ends Land (seed 003).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Invalid, Rules, Valid};
use crate::text::Name;

/// What counts as reaching a milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "at_least")]
pub enum Threshold {
    /// The feature used at least this many times in all.
    Times(u32),
    /// At least this many different people used the feature.
    People(u32),
}

impl Threshold {
    pub fn target(self) -> u32 {
        match self {
            Threshold::Times(n) | Threshold::People(n) => n,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneFields {
    pub name: Name,
    /// The track event (or page/screen name) that counts.
    pub feature: String,
    pub threshold: Threshold,
    /// Days after the launch (go-live) date within which it should be reached.
    pub within_days: u32,
    /// Whether reaching it is the account's first value: it ends Land.
    pub first_value: bool,
}

/// The longest window: ten years.
pub const MAX_WITHIN_DAYS: u32 = 3650;

impl MilestoneFields {
    pub fn validate(mut self) -> Result<Valid<Self>, Invalid> {
        self.feature = self.feature.trim().to_owned();
        let mut rules = Rules::default();
        rules.require(!self.feature.is_empty(), "feature", || {
            "is required: the event that counts".into()
        });
        rules.require(self.feature.chars().count() <= 256, "feature", || {
            "is longer than 256 characters".into()
        });
        rules.require(self.threshold.target() >= 1, "threshold", || {
            "must be at least 1".into()
        });
        rules.require((1..=MAX_WITHIN_DAYS).contains(&self.within_days), "within_days", || {
            format!("must be between 1 and {MAX_WITHIN_DAYS}")
        });
        rules.finish(self)
    }
}

/// Where an account stands on one milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum MilestoneStatus {
    Achieved {
        on: NaiveDate,
    },
    /// Still possible: `progress` of `target` so far, until `due`.
    Pending {
        progress: u32,
        target: u32,
        due: NaiveDate,
    },
    /// The window closed first.
    Missed {
        progress: u32,
        target: u32,
        due: NaiveDate,
    },
    /// Without a launch date there is no window to measure.
    NoLaunchDate,
}

/// The evidence for one account: per day within the window, how often the feature was used,
/// and the day each person first used it there. Both sorted by day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    pub uses_per_day: Vec<(NaiveDate, i64)>,
    pub first_use_per_person: Vec<NaiveDate>,
}

impl MilestoneFields {
    /// The days that count: from `launch` up to, not including, the due date.
    pub fn window(&self, launch: NaiveDate) -> (NaiveDate, NaiveDate) {
        let due = launch
            .checked_add_days(Days::new(u64::from(self.within_days)))
            .unwrap_or(NaiveDate::MAX);
        (launch, due)
    }

    /// Where an account launched on `launch` stands on `today`, given the evidence in the
    /// window (anything outside it is ignored).
    pub fn status(&self, launch: Option<NaiveDate>, evidence: &Evidence, today: NaiveDate) -> MilestoneStatus {
        let Some(launch) = launch else {
            return MilestoneStatus::NoLaunchDate;
        };
        let (from, due) = self.window(launch);
        let inside = |d: &NaiveDate| *d >= from && *d < due;
        let target = self.threshold.target();
        let mut progress: u64 = 0;
        let mut reached: Option<NaiveDate> = None;
        match self.threshold {
            Threshold::Times(_) => {
                for (day, n) in evidence.uses_per_day.iter().filter(|(d, _)| inside(d)) {
                    progress += u64::try_from(*n).unwrap_or(0);
                    if reached.is_none() && progress >= u64::from(target) {
                        reached = Some(*day);
                    }
                }
            }
            Threshold::People(_) => {
                for day in evidence.first_use_per_person.iter().filter(|d| inside(d)) {
                    progress += 1;
                    if reached.is_none() && progress >= u64::from(target) {
                        reached = Some(*day);
                    }
                }
            }
        }
        let progress = u32::try_from(progress).unwrap_or(u32::MAX);
        match reached {
            Some(on) => MilestoneStatus::Achieved { on },
            None if today >= due => MilestoneStatus::Missed { progress, target, due },
            None => MilestoneStatus::Pending { progress, target, due },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn milestone(threshold: Threshold) -> MilestoneFields {
        MilestoneFields {
            name: Name::parse("Exported a report").unwrap(),
            feature: "Report Exported".into(),
            threshold,
            within_days: 30,
            first_value: true,
        }
    }

    #[test]
    fn reached_on_the_day_the_count_is_met_within_the_window() {
        let m = milestone(Threshold::Times(5));
        let evidence = Evidence {
            uses_per_day: vec![
                (d("2026-01-01"), 9),
                (d("2026-03-02"), 2),
                (d("2026-03-05"), 2),
                (d("2026-03-20"), 1),
            ],
            first_use_per_person: vec![],
        };
        let launch = Some(d("2026-03-01"));
        assert_eq!(
            m.status(launch, &evidence, d("2026-04-30")),
            MilestoneStatus::Achieved { on: d("2026-03-20") },
            "use before the launch does not count"
        );
    }

    #[test]
    fn pending_until_the_due_date_then_missed() {
        let m = milestone(Threshold::Times(5));
        let evidence = Evidence {
            uses_per_day: vec![(d("2026-03-02"), 2), (d("2026-03-31"), 10)],
            first_use_per_person: vec![],
        };
        let launch = Some(d("2026-03-01"));
        let due = d("2026-03-31");
        assert_eq!(
            m.status(launch, &evidence, d("2026-03-30")),
            MilestoneStatus::Pending {
                progress: 2,
                target: 5,
                due
            }
        );
        assert_eq!(
            m.status(launch, &evidence, due),
            MilestoneStatus::Missed {
                progress: 2,
                target: 5,
                due
            },
            "use on the due date is too late"
        );
        assert_eq!(m.status(None, &evidence, due), MilestoneStatus::NoLaunchDate);
    }

    #[test]
    fn people_thresholds_count_each_person_once() {
        let m = milestone(Threshold::People(2));
        let evidence = Evidence {
            uses_per_day: vec![],
            first_use_per_person: vec![d("2026-03-03"), d("2026-03-09"), d("2026-03-12")],
        };
        assert_eq!(
            m.status(Some(d("2026-03-01")), &evidence, d("2026-03-10")),
            MilestoneStatus::Achieved { on: d("2026-03-09") }
        );
    }

    #[test]
    fn fields_are_checked() {
        let bad = MilestoneFields {
            feature: "  ".into(),
            threshold: Threshold::Times(0),
            within_days: 0,
            ..milestone(Threshold::Times(1))
        };
        let fields: Vec<&str> = bad.validate().unwrap_err().errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["feature", "threshold", "within_days"]);
    }
}
