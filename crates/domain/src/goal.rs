//! Goals and value (F-30): the fifth level of seed 004's maturity model. A customer's goal is
//! an outcome with a metric, where it stood, where it should get to, by when, and how much the
//! problem behind it hurts. No product meets a goal alone: each goal names its ecosystem — our
//! product, other products, services, the customer's own processes — and each part is rated
//! below, meeting or exceeding expectations, so a weak part shows before the goal is missed.
//! Value received is rarely all or nothing: it is recorded as none, partial (how much) or full.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::error::{Invalid, Rules, Valid};
use crate::health::Severity;
use crate::text::{Label, Name};
use crate::vocabulary::{normalise, vocabulary};

vocabulary!(
    /// Where a goal stands. Only a goal in progress can be at risk.
    GoalStatus, "goal status" {
        Active = "active" | "open" | "in_progress" => "In progress",
        Achieved = "achieved" | "met" | "done" => "Achieved",
        Missed = "missed" | "not_met" => "Missed",
        Dropped = "dropped" | "abandoned" | "cancelled" | "canceled" => "Dropped",
    }
);

vocabulary!(
    /// What kind of player a part of a goal's ecosystem is (seed 004: products, services and
    /// processes together meet a goal).
    EcosystemKind, "ecosystem part kind" {
        OurProduct = "our_product" | "ours" | "product" => "Our product",
        OtherProduct = "other_product" | "third_party" | "other_tool" => "Another product",
        Service = "service" | "services" => "Service",
        CustomerProcess = "customer_process" | "process" => "The customer's process",
    }
);

vocabulary!(
    /// How a part of the ecosystem does against its metric.
    PartRating, "rating" {
        Below = "below" | "below_expectations" => "Below expectations",
        Meeting = "meeting" | "meets" | "meeting_expectations" => "Meeting expectations",
        Exceeding = "exceeding" | "exceeds" | "exceeding_expectations" => "Exceeding expectations",
    }
);

vocabulary!(
    /// How much of the value a goal promised the customer has received.
    ValueLevel, "value level" {
        None = "none" | "no_value" => "None yet",
        Partial = "partial" | "some" => "Partial",
        Full = "full" | "all" => "Full",
    }
);

/// What a user sets on a goal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalFields {
    /// The outcome the customer wants ("200 demo requests a month").
    pub title: Name,
    /// How progress is measured ("Demo requests per month").
    pub metric: Label,
    /// Where the metric stood when the goal was set; unknown at first for some goals.
    pub baseline: Option<Label>,
    /// Where it should get to.
    pub target: Label,
    /// By when.
    pub due_on: NaiveDate,
    /// How much the problem behind the goal hurts (seed 004: severe, or a nice to have).
    pub severity: Severity,
    pub status: GoalStatus,
}

impl GoalFields {
    /// A target the metric already stands at is no goal: it must differ from the baseline.
    pub fn validate(self) -> Result<Valid<GoalFields>, Invalid> {
        let mut rules = Rules::default();
        rules.require(
            self.baseline
                .as_ref()
                .is_none_or(|b| !b.as_str().eq_ignore_ascii_case(self.target.as_str())),
            "target",
            || "is the same as the baseline; a goal moves the metric somewhere".into(),
        );
        rules.finish(self)
    }

    /// What an edit changed, in words for the account's timeline (`None`: nothing).
    pub fn changes_since(&self, before: &GoalFields) -> Option<String> {
        let mut changed: Vec<String> = Vec::new();
        if self.status != before.status {
            changed.push(format!("status {} → {}", before.status.label(), self.status.label()));
        }
        let fields: [(&str, bool); 6] = [
            ("outcome", self.title != before.title),
            ("metric", self.metric != before.metric),
            ("baseline", self.baseline != before.baseline),
            ("target", self.target != before.target),
            ("due date", self.due_on != before.due_on),
            ("severity", self.severity != before.severity),
        ];
        changed.extend(fields.iter().filter(|(_, c)| *c).map(|(f, _)| (*f).to_owned()));
        (!changed.is_empty()).then(|| changed.join(", "))
    }

    /// "Demo requests per month: 120 → 200 by 2027-03-31".
    pub fn measure(&self) -> String {
        match &self.baseline {
            Some(b) => format!("{}: {b} → {} by {}", self.metric, self.target, self.due_on),
            None => format!("{}: → {} by {}", self.metric, self.target, self.due_on),
        }
    }
}

/// A part of a goal's ecosystem: a player and the metric it is held to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartFields {
    pub kind: EcosystemKind,
    /// "Lodestar", "Salesforce", "Implementation partner", "Weekly pipeline review".
    pub name: Name,
    /// What it must deliver ("10,000 steps a day", "exercise plan every Sunday").
    pub metric: Label,
}

/// A goal is at risk while it is in progress and a part of its ecosystem is below
/// expectations: a failure anywhere in the ecosystem can sink the goal (seed 004).
pub fn at_risk(status: GoalStatus, ratings: impl IntoIterator<Item = Option<PartRating>>) -> bool {
    status == GoalStatus::Active && ratings.into_iter().any(|r| r == Some(PartRating::Below))
}

/// How much value partial value is: a share, words, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialValue {
    /// 1–99 percent of what was expected.
    pub percent: Option<u8>,
    /// "150 of 200 demo requests", "two of three regions live".
    pub how_much: Option<Label>,
}

/// The value a customer received from a goal, as recorded on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueReceived {
    None,
    Partial(PartialValue),
    Full,
}

impl ValueReceived {
    /// Reads a level with its share and words: partial value says how much (a percent from 1 to
    /// 99, words, or both); none and full take neither.
    pub fn new(level: ValueLevel, percent: Option<u32>, how_much: Option<Label>) -> Result<ValueReceived, Invalid> {
        let mut rules = Rules::default();
        match level {
            ValueLevel::Partial => {
                rules.require(percent.is_none_or(|p| (1..=99).contains(&p)), "percent", || {
                    "partial value is between 1 and 99 percent; 0 is none and 100 is full".into()
                });
                rules.require(percent.is_some() || how_much.is_some(), "how_much", || {
                    "say how much of the value arrived: a percent, words, or both".into()
                });
            }
            ValueLevel::None | ValueLevel::Full => {
                rules.require(percent.is_none(), "percent", || {
                    format!("only partial value has a percent, not {}", level.as_str())
                });
                rules.require(how_much.is_none(), "how_much", || {
                    format!("only partial value says how much, not {}", level.as_str())
                });
            }
        }
        let value = match level {
            ValueLevel::None => ValueReceived::None,
            ValueLevel::Full => ValueReceived::Full,
            ValueLevel::Partial => ValueReceived::Partial(PartialValue {
                percent: percent.and_then(|p| u8::try_from(p).ok()),
                how_much,
            }),
        };
        rules.finish(value).map(Valid::into_inner)
    }

    pub fn level(&self) -> ValueLevel {
        match self {
            ValueReceived::None => ValueLevel::None,
            ValueReceived::Partial(_) => ValueLevel::Partial,
            ValueReceived::Full => ValueLevel::Full,
        }
    }

    pub fn percent(&self) -> Option<u8> {
        match self {
            ValueReceived::Partial(p) => p.percent,
            ValueReceived::None | ValueReceived::Full => None,
        }
    }

    pub fn how_much(&self) -> Option<&Label> {
        match self {
            ValueReceived::Partial(p) => p.how_much.as_ref(),
            ValueReceived::None | ValueReceived::Full => None,
        }
    }

    /// "Partial (60%, 150 of 200 demo requests)", "Full", "None yet".
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(p) = self.percent() {
            parts.push(format!("{p}%"));
        }
        if let Some(h) = self.how_much() {
            parts.push(h.to_string());
        }
        if parts.is_empty() {
            self.level().label().to_owned()
        } else {
            format!("{} ({})", self.level().label(), parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(s: &str) -> Label {
        Label::parse(s).unwrap()
    }

    fn goal(baseline: Option<&str>, target: &str) -> GoalFields {
        GoalFields {
            title: Name::parse("200 demo requests a month").unwrap(),
            metric: label("Demo requests per month"),
            baseline: baseline.map(label),
            target: label(target),
            due_on: NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
            severity: Severity::new(4).unwrap(),
            status: GoalStatus::Active,
        }
    }

    #[test]
    fn a_goal_moves_its_metric() {
        let err = goal(Some("200"), "200").validate().unwrap_err();
        assert_eq!(err.errors[0].field, "target");
        assert!(err.errors[0].reason.contains("same as the baseline"));
        let ok = goal(Some("120"), "200").validate().unwrap();
        assert_eq!(ok.measure(), "Demo requests per month: 120 → 200 by 2027-03-31");
        assert_eq!(
            goal(None, "200").validate().unwrap().measure(),
            "Demo requests per month: → 200 by 2027-03-31",
            "a baseline may be unknown"
        );
    }

    #[test]
    fn an_edit_says_what_changed() {
        let before = goal(Some("120"), "200");
        assert_eq!(before.changes_since(&before), None);
        let mut after = before.clone();
        after.status = GoalStatus::Achieved;
        after.target = label("250");
        after.severity = Severity::new(2).unwrap();
        assert_eq!(
            after.changes_since(&before).unwrap(),
            "status In progress → Achieved, target, severity"
        );
    }

    #[test]
    fn a_goal_in_progress_with_a_part_below_is_at_risk() {
        use PartRating::*;
        assert!(at_risk(GoalStatus::Active, [Some(Meeting), Some(Below), None]));
        assert!(!at_risk(GoalStatus::Active, [Some(Meeting), Some(Exceeding), None]));
        assert!(
            !at_risk(GoalStatus::Active, []),
            "no ecosystem yet: nothing rated below"
        );
        assert!(!at_risk(GoalStatus::Achieved, [Some(Below)]), "a met goal is past risk");
        assert!(!at_risk(GoalStatus::Dropped, [Some(Below)]));
    }

    #[test]
    fn partial_value_says_how_much_and_the_others_do_not() {
        let partial = ValueReceived::new(ValueLevel::Partial, Some(60), Some(label("150 of 200"))).unwrap();
        assert_eq!(partial.describe(), "Partial (60%, 150 of 200)");
        assert_eq!(
            ValueReceived::new(ValueLevel::Partial, None, Some(label("two regions")))
                .unwrap()
                .describe(),
            "Partial (two regions)"
        );
        assert_eq!(
            ValueReceived::new(ValueLevel::Partial, Some(30), None)
                .unwrap()
                .percent(),
            Some(30)
        );
        let err = ValueReceived::new(ValueLevel::Partial, None, None).unwrap_err();
        assert_eq!(err.errors[0].field, "how_much");
        for p in [0, 100] {
            let err = ValueReceived::new(ValueLevel::Partial, Some(p), None).unwrap_err();
            assert_eq!(err.errors[0].field, "percent", "{p}%");
        }
        let err = ValueReceived::new(ValueLevel::Full, Some(100), Some(label("all"))).unwrap_err();
        let fields: Vec<_> = err.errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["percent", "how_much"]);
        assert_eq!(
            ValueReceived::new(ValueLevel::Full, None, None).unwrap(),
            ValueReceived::Full
        );
        assert_eq!(ValueReceived::None.describe(), "None yet");
    }

    #[test]
    fn vocabularies_read_common_spellings() {
        assert_eq!("Below expectations".parse::<PartRating>().unwrap(), PartRating::Below);
        assert_eq!("exceeds".parse::<PartRating>().unwrap(), PartRating::Exceeding);
        assert_eq!(
            "customer process".parse::<EcosystemKind>().unwrap(),
            EcosystemKind::CustomerProcess
        );
        assert_eq!("in progress".parse::<GoalStatus>().unwrap(), GoalStatus::Active);
        assert!(
            "great"
                .parse::<PartRating>()
                .unwrap_err()
                .contains("below, meeting, exceeding")
        );
    }
}
