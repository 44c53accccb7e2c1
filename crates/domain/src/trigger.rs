//! Triggers (F-51): rules an admin writes — "when <signal> [and <condition>] then <actions>" —
//! that Lodestar runs on the job queue. A rule fires once per account and cause (the cause
//! names what happened: which promise is overdue, which renewal date is near), so running it
//! again never doubles a task.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Invalid, Rules, Valid};
use crate::health::Band;
use crate::ids::{TacticId, UserId};
use crate::money::Cents;
use crate::playbook::OutreachApproach;
use crate::text::Name;
use crate::vocabulary::{LifecycleStage, Tier};

/// What a rule watches for, with its parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// The account's health band became `to` within the last week.
    HealthBand { to: Band },
    /// Active people fell by at least `percent` % from the four weeks before.
    UsageDrop { percent: u8 },
    /// A milestone's window closed without it being reached, within the last week.
    MilestoneMissed,
    /// A champion, decision maker or executive sponsor of the customer left, within `days`.
    ChampionLeft { days: u16 },
    /// The next renewal is `days` days away or fewer.
    RenewalIn { days: u16 },
    /// The success plan was shared `days` days ago or more and its current version is not
    /// approved.
    PlanNotApproved { days: u16 },
    /// A promise (ours or theirs) is `days` days overdue or more.
    PromiseOverdue { days: u16 },
    /// A survey answer in the last week scored `at_most` or less (0–10; on a 1–5 survey the
    /// same share of the scale).
    SurveyAnswer { at_most: u8 },
    /// A bug fix or feature the account asked for shipped in the last week.
    RequestShipped,
}

impl Signal {
    /// Every kind, as the rule form offers them.
    pub const KINDS: [(&'static str, &'static str); 9] = [
        ("health_band", "Health band changed to"),
        ("usage_drop", "Usage dropped by at least (%)"),
        ("milestone_missed", "A milestone was missed"),
        ("champion_left", "A champion left within (days)"),
        ("renewal_in", "Renewal within (days)"),
        ("plan_not_approved", "Plan shared but not approved after (days)"),
        ("promise_overdue", "A promise overdue by (days)"),
        ("survey_answer", "A survey answer scored at most (0–10)"),
        ("request_shipped", "A request of theirs shipped"),
    ];

    /// A signal from its kind and parameter as typed (a number; a band for `health_band`).
    pub fn parse(kind: &str, param: &str) -> Result<Signal, String> {
        let param = param.trim();
        let number = |what: &str, range: std::ops::RangeInclusive<u32>| -> Result<u32, String> {
            param
                .parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| format!("{what} is a whole number from {} to {}", range.start(), range.end()))
        };
        let days = |what| number(what, 1..=365).map(|n| n as u16);
        Ok(match kind.trim() {
            "health_band" => Signal::HealthBand {
                to: Band::parse(param).ok_or_else(|| "the band is red, yellow or green".to_owned())?,
            },
            "usage_drop" => Signal::UsageDrop {
                percent: number("the drop", 1..=100)? as u8,
            },
            "milestone_missed" => Signal::MilestoneMissed,
            "champion_left" => Signal::ChampionLeft {
                days: days("the days")?,
            },
            "renewal_in" => Signal::RenewalIn {
                days: days("the days")?,
            },
            "plan_not_approved" => Signal::PlanNotApproved {
                days: days("the days")?,
            },
            "promise_overdue" => Signal::PromiseOverdue {
                days: days("the days")?,
            },
            "survey_answer" => Signal::SurveyAnswer {
                at_most: number("the score", 0..=10)? as u8,
            },
            "request_shipped" => Signal::RequestShipped,
            other => {
                let kinds: Vec<&str> = Self::KINDS.iter().map(|(k, _)| *k).collect();
                return Err(format!(
                    "unknown signal {other:?}; expected one of: {}",
                    kinds.join(", ")
                ));
            }
        })
    }

    pub fn kind(self) -> &'static str {
        match self {
            Signal::HealthBand { .. } => "health_band",
            Signal::UsageDrop { .. } => "usage_drop",
            Signal::MilestoneMissed => "milestone_missed",
            Signal::ChampionLeft { .. } => "champion_left",
            Signal::RenewalIn { .. } => "renewal_in",
            Signal::PlanNotApproved { .. } => "plan_not_approved",
            Signal::PromiseOverdue { .. } => "promise_overdue",
            Signal::SurveyAnswer { .. } => "survey_answer",
            Signal::RequestShipped => "request_shipped",
        }
    }

    /// The parameter as the form shows it.
    pub fn param(self) -> String {
        match self {
            Signal::HealthBand { to } => to.as_str().to_owned(),
            Signal::UsageDrop { percent } => percent.to_string(),
            Signal::MilestoneMissed | Signal::RequestShipped => String::new(),
            Signal::SurveyAnswer { at_most } => at_most.to_string(),
            Signal::ChampionLeft { days }
            | Signal::RenewalIn { days }
            | Signal::PlanNotApproved { days }
            | Signal::PromiseOverdue { days } => days.to_string(),
        }
    }

    /// The signal in words.
    pub fn describe(self) -> String {
        match self {
            Signal::HealthBand { to } => format!("health turns {}", to.as_str()),
            Signal::UsageDrop { percent } => format!("active people drop by {percent} % or more"),
            Signal::MilestoneMissed => "a milestone is missed".to_owned(),
            Signal::ChampionLeft { days } => format!("a champion or sponsor left (within {days} days)"),
            Signal::RenewalIn { days } => format!("the renewal is {days} days away or less"),
            Signal::PlanNotApproved { days } => format!("the success plan is not approved {days} days after sharing"),
            Signal::PromiseOverdue { days } => format!("a promise is {days} days overdue"),
            Signal::SurveyAnswer { at_most } => format!("a survey answer scores {at_most} or less (of 10)"),
            Signal::RequestShipped => "a request of theirs ships".to_owned(),
        }
    }
}

/// Which accounts a rule applies to (every condition set must hold).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub tier: Option<Tier>,
    pub stage: Option<LifecycleStage>,
    pub min_arr: Option<Cents>,
}

impl Condition {
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(t) = self.tier {
            parts.push(format!("the tier is {}", t.label()));
        }
        if let Some(s) = self.stage {
            parts.push(format!("the stage is {}", s.label()));
        }
        if let Some(a) = self.min_arr {
            parts.push(format!("ARR is at least {}", a.whole_dollars()));
        }
        (!parts.is_empty()).then(|| parts.join(" and "))
    }
}

/// A playbook tactic as a rule's words and its tasks name it: the tactic's title and its
/// outcome's (a tactic's own title, such as "Admin certification", says little alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TacticName {
    pub tactic: Name,
    pub outcome: Name,
}

impl fmt::Display for TacticName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} — {}", self.tactic, self.outcome)
    }
}

/// The names of the tactics a rule's actions point at, by id. Rules store only the id (a
/// tactic keeps it while its outcome is edited), so whoever describes a rule looks the names
/// up; a tactic deleted since is missing from the map.
pub type TacticNames = HashMap<TacticId, TacticName>;

/// What a rule does when it fires, for the account it fired on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// A task for the account's CSM, due in `due_in_days`; its title may name `{account}` and
    /// `{cause}`.
    CreateTask { title: String, due_in_days: u16 },
    /// A task for the account's CSM from a tactic of the playbook library, due in
    /// `due_in_days`: titled by the tactic and its outcome, then the cause.
    PlaybookTask { tactic: TacticId, due_in_days: u16 },
    /// A reactive QBR task for the account's CSM (one open at a time).
    ReactiveQbr,
    /// The risk playbook's outreach email for `approach`, to the account's decision maker (or
    /// another contact with an address), from its CSM.
    SendEmail { approach: OutreachApproach },
    /// A post to every webhook target that carries "trigger fired".
    PostWebhook,
    /// A notification to `user` (email and webhooks, as they chose).
    NotifyUser { user: UserId },
}

impl Action {
    /// The action in words; `tactics` names the playbook tactics (a deleted one is said to be
    /// gone rather than shown by its id).
    pub fn describe(&self, tactics: &TacticNames) -> String {
        match self {
            Action::CreateTask { title, due_in_days } => format!("task \"{title}\" due in {due_in_days} days"),
            Action::PlaybookTask { tactic, due_in_days } => match tactics.get(tactic) {
                Some(name) => format!("playbook task \"{name}\" due in {due_in_days} days"),
                None => "a playbook task whose tactic no longer exists".to_owned(),
            },
            Action::ReactiveQbr => "a reactive QBR task".to_owned(),
            Action::SendEmail { approach } => format!("email the {} outreach", approach.label()),
            Action::PostWebhook => "post to the webhooks".to_owned(),
            Action::NotifyUser { user } => format!("notify user {user}"),
        }
    }

    /// The task title for `account` and `cause`.
    pub fn task_title(template: &str, account: &str, cause: &str) -> String {
        template.replace("{account}", account).replace("{cause}", cause)
    }

    /// The title of a playbook task for `cause`: what to do, for which outcome, and why now.
    pub fn playbook_task_title(tactic: &TacticName, cause: &str) -> String {
        format!("{tactic}: {cause}")
    }

    /// The playbook tactic this action makes its task from, if it does.
    pub fn tactic(&self) -> Option<TacticId> {
        match self {
            Action::PlaybookTask { tactic, .. } => Some(*tactic),
            _ => None,
        }
    }
}

/// Longest task title a rule may write (its placeholders filled in may be longer).
pub const MAX_TITLE: usize = 200;

/// A rule as an admin writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFields {
    pub name: Name,
    pub signal: Signal,
    pub condition: Condition,
    pub actions: Vec<Action>,
    pub enabled: bool,
}

impl RuleFields {
    /// A rule does at least one thing, each kind of action once, its task titles are written
    /// and short, and its tasks are due within a year. (That a playbook tactic exists is the
    /// store's to check, when it saves the rule.)
    pub fn validate(self) -> Result<Valid<RuleFields>, Invalid> {
        let mut rules = Rules::default();
        rules.require(!self.actions.is_empty(), "actions", || {
            "a rule needs at least one action".into()
        });
        let mut kinds: Vec<std::mem::Discriminant<Action>> = self.actions.iter().map(std::mem::discriminant).collect();
        kinds.sort_by_key(|d| format!("{d:?}"));
        let before = kinds.len();
        kinds.dedup();
        rules.require(kinds.len() == before, "actions", || {
            "each kind of action at most once".into()
        });
        for action in &self.actions {
            if let Action::CreateTask { title, due_in_days } = action {
                rules.require(
                    !title.trim().is_empty() && title.chars().count() <= MAX_TITLE,
                    "task_title",
                    || format!("a task title of 1 to {MAX_TITLE} characters"),
                );
                rules.require(*due_in_days <= 365, "task_due_in_days", || "0 to 365 days".into());
            }
            if let Action::PlaybookTask { due_in_days, .. } = action {
                rules.require(*due_in_days <= 365, "playbook_task_due_in_days", || {
                    "0 to 365 days".into()
                });
            }
        }
        rules.finish(self)
    }

    /// The playbook tactics the rule's actions make tasks from.
    pub fn tactics(&self) -> Vec<TacticId> {
        self.actions.iter().filter_map(Action::tactic).collect()
    }

    /// "When …, and …, then …": the rule in words, naming its tactics from `tactics`.
    pub fn describe(&self, tactics: &TacticNames) -> String {
        let when = match self.condition.describe() {
            Some(c) => format!("When {} and {c}", self.signal.describe()),
            None => format!("When {}", self.signal.describe()),
        };
        let then: Vec<String> = self.actions.iter().map(|a| a.describe(tactics)).collect();
        format!("{when}, then {}", then.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(actions: Vec<Action>) -> RuleFields {
        RuleFields {
            name: Name::parse("Renewal prep").unwrap(),
            signal: Signal::RenewalIn { days: 90 },
            condition: Condition {
                tier: Some(Tier::Strategic),
                ..Condition::default()
            },
            actions,
            enabled: true,
        }
    }

    #[test]
    fn signals_read_their_parameter_and_name_what_is_wrong() {
        assert_eq!(
            Signal::parse("renewal_in", " 90 ").unwrap(),
            Signal::RenewalIn { days: 90 }
        );
        assert_eq!(
            Signal::parse("health_band", "red").unwrap(),
            Signal::HealthBand { to: Band::Red }
        );
        assert_eq!(Signal::parse("milestone_missed", "").unwrap(), Signal::MilestoneMissed);
        assert!(Signal::parse("renewal_in", "0").unwrap_err().contains("from 1 to 365"));
        assert!(
            Signal::parse("usage_drop", "150")
                .unwrap_err()
                .contains("from 1 to 100")
        );
        assert!(
            Signal::parse("health_band", "blue")
                .unwrap_err()
                .contains("red, yellow or green")
        );
        assert!(Signal::parse("weather", "1").unwrap_err().contains("expected one of"));
        for (kind, _) in Signal::KINDS {
            let param = match kind {
                "health_band" => "red",
                "survey_answer" => "6",
                _ => "10",
            };
            let s = Signal::parse(kind, param).unwrap();
            assert_eq!(s.kind(), kind);
            assert_eq!(Signal::parse(kind, &s.param()).unwrap(), s, "round trip");
        }
    }

    #[test]
    fn a_rule_does_something_once_per_kind_with_a_title() {
        assert_eq!(rule(vec![]).validate().unwrap_err().errors[0].field, "actions");
        let twice = rule(vec![Action::ReactiveQbr, Action::ReactiveQbr])
            .validate()
            .unwrap_err();
        assert!(twice.errors[0].reason.contains("at most once"));
        let untitled = rule(vec![Action::CreateTask {
            title: " ".into(),
            due_in_days: 3,
        }])
        .validate()
        .unwrap_err();
        assert_eq!(untitled.errors[0].field, "task_title");
        let ok = rule(vec![
            Action::CreateTask {
                title: "Confirm the renewal plan with {account}".into(),
                due_in_days: 7,
            },
            Action::PostWebhook,
        ])
        .validate()
        .unwrap();
        assert_eq!(
            ok.describe(&TacticNames::new()),
            "When the renewal is 90 days away or less and the tier is Strategic, then task \"Confirm the renewal plan with {account}\" due in 7 days, post to the webhooks"
        );
        assert_eq!(
            Action::task_title("Call {account}: {cause}", "Acme", "renewal on 2027-01-01"),
            "Call Acme: renewal on 2027-01-01"
        );
    }

    fn names() -> TacticNames {
        TacticNames::from([(
            TacticId(12),
            TacticName {
                tactic: Name::parse("Executive sponsor pairing").unwrap(),
                outcome: Name::parse("Executive alignment on value").unwrap(),
            },
        )])
    }

    #[test]
    fn a_playbook_task_is_stored_by_its_tactic_id_and_read_back() {
        let action = Action::PlaybookTask {
            tactic: TacticId(12),
            due_in_days: 5,
        };
        let stored = serde_json::to_string(std::slice::from_ref(&action)).unwrap();
        assert_eq!(stored, r#"[{"kind":"playbook_task","tactic":12,"due_in_days":5}]"#);
        assert_eq!(serde_json::from_str::<Vec<Action>>(&stored).unwrap(), [action]);
        // The stored form is the contract: a missing tactic or a negative day is refused.
        assert!(serde_json::from_str::<Action>(r#"{"kind":"playbook_task","due_in_days":5}"#).is_err());
        assert!(serde_json::from_str::<Action>(r#"{"kind":"playbook_task","tactic":12,"due_in_days":-1}"#).is_err());
    }

    #[test]
    fn a_playbook_task_is_due_within_a_year_and_may_join_a_free_task() {
        let late = rule(vec![Action::PlaybookTask {
            tactic: TacticId(12),
            due_in_days: 366,
        }])
        .validate()
        .unwrap_err();
        assert_eq!(late.errors.len(), 1);
        assert_eq!(late.errors[0].field, "playbook_task_due_in_days");
        let twice = rule(vec![
            Action::PlaybookTask {
                tactic: TacticId(12),
                due_in_days: 7,
            },
            Action::PlaybookTask {
                tactic: TacticId(13),
                due_in_days: 7,
            },
        ])
        .validate()
        .unwrap_err();
        assert!(twice.errors[0].reason.contains("at most once"));
        let both = rule(vec![
            Action::CreateTask {
                title: "Call {account}".into(),
                due_in_days: 1,
            },
            Action::PlaybookTask {
                tactic: TacticId(12),
                due_in_days: 365,
            },
        ])
        .validate()
        .unwrap();
        assert_eq!(both.tactics(), [TacticId(12)]);
    }

    #[test]
    fn a_playbook_task_is_named_by_its_tactic_and_outcome_never_by_its_id() {
        let fields = rule(vec![Action::PlaybookTask {
            tactic: TacticId(12),
            due_in_days: 7,
        }]);
        assert_eq!(
            fields.describe(&names()),
            "When the renewal is 90 days away or less and the tier is Strategic, then playbook task \"Executive sponsor pairing — Executive alignment on value\" due in 7 days"
        );
        let gone = fields.describe(&TacticNames::new());
        assert!(
            gone.ends_with("then a playbook task whose tactic no longer exists"),
            "{gone}"
        );
        assert!(!gone.contains("12"), "{gone}");
        assert_eq!(
            Action::playbook_task_title(&names()[&TacticId(12)], "renews on 2027-01-31 (60 days)"),
            "Executive sponsor pairing — Executive alignment on value: renews on 2027-01-31 (60 days)"
        );
    }
}
