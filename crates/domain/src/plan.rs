//! Success and value plans (F-31, seeds 001 and 002): what the customer wants to reach and the
//! few tactics being worked towards it, written with the customer, shared with them through a
//! link, reviewed, and signed off. The rules here — three active tactics at most, which state
//! follows which, whose typed name counts as a signature, how long a link lives — hold for
//! every front end.

use chrono::NaiveDate;

use crate::error::{Invalid, Rules, Valid};
use crate::text::{Name, Note};
use crate::vocabulary::{PlanState, TacticState};

/// Seed 001: a value plan works on at most three tactics at once; a fourth waits until one is
/// finished or parked.
pub const MAX_ACTIVE_TACTICS: usize = 3;

/// How long a customer link lives unless the sharer says otherwise, and the longest allowed.
pub const LINK_DAYS_DEFAULT: u32 = 30;
pub const LINK_DAYS_MAX: u32 = 180;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFields {
    pub title: Name,
    /// The customer's desired outcomes and how we will get there, in Markdown.
    pub summary: Note,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TacticFields {
    pub title: Name,
    pub description: Note,
    /// The milestone: by when the tactic should show its result (monthly check-ins follow it).
    pub due_on: Option<NaiveDate>,
}

impl TacticFields {
    /// A tactic is due on or after the day it is written down.
    pub fn validate(self, today: NaiveDate) -> Result<Valid<TacticFields>, Invalid> {
        let mut rules = Rules::default();
        if let Some(due) = self.due_on {
            rules.require(due >= today, "due_on", || {
                format!("{due} is in the past: a tactic's milestone is today or later")
            });
        }
        rules.finish(self)
    }
}

/// The refusal of a tactic that would be a fourth active one, naming the three so the person
/// can finish or park one.
pub fn active_limit(active_titles: &[String]) -> Result<(), String> {
    if active_titles.len() < MAX_ACTIVE_TACTICS {
        return Ok(());
    }
    Err(format!(
        "a plan works on at most {MAX_ACTIVE_TACTICS} tactics at once; finish or park one of these first: {}",
        active_titles.join("; ")
    ))
}

/// Whether a tactic moving to `to` needs a free active slot.
pub fn needs_active_slot(from: Option<TacticState>, to: TacticState) -> bool {
    to == TacticState::Active && from != Some(TacticState::Active)
}

impl PlanState {
    /// Sharing sends a draft to the customer; a plan already with them stays where it is.
    pub fn after_sharing(self) -> PlanState {
        match self {
            PlanState::Draft => PlanState::Shared,
            other => other,
        }
    }

    /// A change to the plan's content makes a new version the customer has not read: whatever
    /// they reviewed or approved was an earlier version.
    pub fn after_edit(self) -> PlanState {
        match self {
            PlanState::Draft => PlanState::Draft,
            PlanState::Shared | PlanState::Reviewed | PlanState::Approved => PlanState::Shared,
        }
    }

    /// The customer marks the version they read reviewed.
    pub fn after_review(self) -> Result<PlanState, &'static str> {
        match self {
            PlanState::Draft => Err("the plan has not been shared"),
            PlanState::Shared | PlanState::Reviewed => Ok(PlanState::Reviewed),
            PlanState::Approved => Err("this version is already approved"),
        }
    }

    /// The customer signs off the version they read (approving twice is one approval).
    pub fn after_approval(self) -> Result<PlanState, &'static str> {
        match self {
            PlanState::Draft => Err("the plan has not been shared"),
            PlanState::Shared | PlanState::Reviewed | PlanState::Approved => Ok(PlanState::Approved),
        }
    }
}

/// One monthly check-in of an approved plan: its day and the tactics due that month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    pub on: NaiveDate,
    /// `YYYY-MM`: a plan has at most one check-in a month.
    pub month: String,
    pub tactics: Vec<String>,
}

/// The check-ins an approval on `approved_on` schedules (seed 002: monthly check-ins that
/// coincide with the plan's milestones): in each month with a milestone of an active tactic
/// still ahead, one on the earliest such day, about the tactics due that month; without any,
/// one a month after the approval.
pub fn check_ins(approved_on: NaiveDate, milestones: &[(NaiveDate, String)]) -> Vec<CheckIn> {
    let mut ahead: Vec<&(NaiveDate, String)> = milestones.iter().filter(|(d, _)| *d >= approved_on).collect();
    ahead.sort();
    let mut out: Vec<CheckIn> = Vec::new();
    for (day, tactic) in ahead {
        let month = day.format("%Y-%m").to_string();
        match out.last_mut() {
            Some(last) if last.month == month => last.tactics.push(tactic.clone()),
            _ => out.push(CheckIn {
                on: *day,
                month,
                tactics: vec![tactic.clone()],
            }),
        }
    }
    if out.is_empty() {
        let on = approved_on
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(approved_on);
        out.push(CheckIn {
            on,
            month: on.format("%Y-%m").to_string(),
            tactics: Vec::new(),
        });
    }
    out
}

/// A signature: the name the contact typed, which must be their own name as we have it
/// (letter case and spacing aside), so an approval is a deliberate act by that person.
pub fn signature_matches(typed: &str, full_name: &str) -> bool {
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    !typed.trim().is_empty() && fold(typed) == fold(full_name)
}

/// How many days a new link lives: the default, or what the sharer chose within the limit.
pub fn link_days(requested: Option<u32>) -> Result<u32, String> {
    match requested {
        None => Ok(LINK_DAYS_DEFAULT),
        Some(d) if (1..=LINK_DAYS_MAX).contains(&d) => Ok(d),
        Some(d) => Err(format!("{d} days: a link lives 1 to {LINK_DAYS_MAX} days")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fourth_active_tactic_is_refused_with_the_three_named() {
        let three: Vec<String> = ["Train admins", "Weekly report", "SSO rollout"]
            .map(String::from)
            .into();
        let err = active_limit(&three).unwrap_err();
        assert!(err.contains("at most 3"), "{err}");
        assert!(err.contains("Train admins; Weekly report; SSO rollout"), "{err}");
        assert!(active_limit(&three[..2]).is_ok());
        assert!(needs_active_slot(Some(TacticState::Parked), TacticState::Active));
        assert!(needs_active_slot(None, TacticState::Active));
        assert!(!needs_active_slot(Some(TacticState::Active), TacticState::Active));
        assert!(!needs_active_slot(None, TacticState::Parked));
    }

    #[test]
    fn states_follow_draft_shared_reviewed_approved_and_an_edit_undoes_the_sign_off() {
        assert_eq!(PlanState::Draft.after_sharing(), PlanState::Shared);
        assert_eq!(PlanState::Approved.after_sharing(), PlanState::Approved);
        assert!(PlanState::Draft.after_review().is_err());
        assert_eq!(PlanState::Shared.after_review(), Ok(PlanState::Reviewed));
        assert_eq!(PlanState::Reviewed.after_approval(), Ok(PlanState::Approved));
        assert_eq!(PlanState::Approved.after_approval(), Ok(PlanState::Approved));
        assert!(PlanState::Approved.after_review().is_err());
        assert_eq!(PlanState::Approved.after_edit(), PlanState::Shared);
        assert_eq!(PlanState::Draft.after_edit(), PlanState::Draft);
    }

    #[test]
    fn check_ins_fall_on_each_months_first_milestone_or_a_month_out() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let milestones = vec![
            (d("2027-01-20"), "SSO rollout".to_owned()),
            (d("2026-11-30"), "Already past".to_owned()),
            (d("2027-01-05"), "Admin training".to_owned()),
            (d("2027-03-01"), "Exec dashboard".to_owned()),
        ];
        let plan = check_ins(d("2026-12-02"), &milestones);
        assert_eq!(plan.len(), 2);
        assert_eq!((plan[0].on, plan[0].month.as_str()), (d("2027-01-05"), "2027-01"));
        assert_eq!(plan[0].tactics, ["Admin training", "SSO rollout"]);
        assert_eq!(plan[1].on, d("2027-03-01"));
        let none = check_ins(d("2026-12-31"), &[]);
        assert_eq!((none[0].on, none[0].tactics.len()), (d("2027-01-31"), 0));
    }

    #[test]
    fn a_signature_is_the_contacts_own_name() {
        assert!(signature_matches("  jane   DOE ", "Jane Doe"));
        assert!(!signature_matches("Jane", "Jane Doe"));
        assert!(!signature_matches("", ""));
        assert!(!signature_matches("John Doe", "Jane Doe"));
    }

    #[test]
    fn links_live_a_bounded_number_of_days() {
        assert_eq!(link_days(None), Ok(LINK_DAYS_DEFAULT));
        assert_eq!(link_days(Some(7)), Ok(7));
        assert!(link_days(Some(0)).is_err());
        assert!(link_days(Some(LINK_DAYS_MAX + 1)).is_err());
    }

    #[test]
    fn a_milestone_in_the_past_is_refused() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let tactic = |due| TacticFields {
            title: Name::parse("Admin training").unwrap(),
            description: Note::parse("").unwrap(),
            due_on: due,
        };
        assert!(tactic(Some(today)).validate(today).is_ok());
        assert!(tactic(None).validate(today).is_ok());
        let err = tactic(today.pred_opt()).validate(today).unwrap_err();
        assert_eq!(err.errors[0].field, "due_on");
    }
}
