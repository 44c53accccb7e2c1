//! Where an account stands in Land → Adopt → Expand → Renew (seed 003), told by the evidence
//! that moved it: the contract signed, the launch or first value, the first expansion, the
//! renewal coming up. The stage on record is the CSM's; this says what the facts say.

use chrono::NaiveDate;

use crate::money::Cents;
use crate::vocabulary::LifecycleStage;

/// A renewal this close is the stage's business.
pub const RENEWAL_WINDOW_DAYS: i64 = 120;

/// The dated facts of an account that move it along the lifecycle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The first contract's start.
    pub signed_on: Option<NaiveDate>,
    pub launched_on: Option<NaiveDate>,
    pub first_value_on: Option<NaiveDate>,
    /// The first expansion: its day and the ARR before and after.
    pub first_expansion: Option<(NaiveDate, Cents, Cents)>,
    pub renewal_on: Option<NaiveDate>,
}

/// A stage reached, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub stage: LifecycleStage,
    pub on: NaiveDate,
    pub evidence: String,
}

/// The stages the facts say the account has reached, in order.
pub fn steps(facts: &Facts, today: NaiveDate) -> Vec<Step> {
    let mut out = Vec::new();
    if let Some(on) = facts.signed_on {
        out.push(Step {
            stage: LifecycleStage::Land,
            on,
            evidence: format!("contract signed, starting {on}"),
        });
    }
    let adopted = match (facts.launched_on, facts.first_value_on) {
        (Some(l), Some(v)) if v < l => Some((v, format!("first value on {v}"))),
        (Some(l), _) => Some((l, format!("launched on {l}"))),
        (None, Some(v)) => Some((v, format!("first value on {v}"))),
        (None, None) => None,
    };
    if let Some((on, evidence)) = adopted.filter(|(on, _)| *on <= today) {
        out.push(Step {
            stage: LifecycleStage::Adopt,
            on,
            evidence,
        });
    }
    if let Some((on, before, after)) = facts.first_expansion.filter(|(on, ..)| *on <= today) {
        out.push(Step {
            stage: LifecycleStage::Expand,
            on,
            evidence: format!(
                "ARR grew from {} to {} on {on}",
                before.whole_dollars(),
                after.whole_dollars()
            ),
        });
    }
    if let Some(on) = facts.renewal_on {
        let days = (on - today).num_days();
        if (0..=RENEWAL_WINDOW_DAYS).contains(&days) {
            out.push(Step {
                stage: LifecycleStage::Renew,
                on: today,
                evidence: format!("renews on {on}, in {days} days"),
            });
        }
    }
    out
}

/// The stage the evidence points to: the last one reached (Land without any).
pub fn stage_by_evidence(steps: &[Step]) -> LifecycleStage {
    steps.last().map_or(LifecycleStage::Land, |s| s.stage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn each_stage_is_reached_by_its_evidence() {
        let today = d("2026-12-02");
        let mut facts = Facts {
            signed_on: Some(d("2026-01-15")),
            ..Facts::default()
        };
        assert_eq!(stage_by_evidence(&steps(&facts, today)), LifecycleStage::Land);
        facts.launched_on = Some(d("2026-02-20"));
        facts.first_value_on = Some(d("2026-02-10"));
        let s = steps(&facts, today);
        assert_eq!(s[1].evidence, "first value on 2026-02-10", "the earlier of the two");
        facts.first_expansion = Some((d("2026-07-01"), Cents(50_000_00), Cents(80_000_00)));
        assert_eq!(stage_by_evidence(&steps(&facts, today)), LifecycleStage::Expand);
        facts.renewal_on = Some(d("2027-03-01"));
        let s = steps(&facts, today);
        assert_eq!(stage_by_evidence(&s), LifecycleStage::Renew);
        assert_eq!(s[3].evidence, "renews on 2027-03-01, in 89 days");
        facts.renewal_on = Some(d("2027-12-01"));
        assert_eq!(
            stage_by_evidence(&steps(&facts, today)),
            LifecycleStage::Expand,
            "far off"
        );
    }

    #[test]
    fn no_evidence_is_land_and_future_dates_do_not_count() {
        let today = d("2026-12-02");
        assert!(steps(&Facts::default(), today).is_empty());
        assert_eq!(stage_by_evidence(&[]), LifecycleStage::Land);
        let planned = Facts {
            signed_on: Some(d("2026-11-01")),
            launched_on: Some(d("2027-01-10")),
            ..Facts::default()
        };
        assert_eq!(
            steps(&planned, today).len(),
            1,
            "a launch still planned is not evidence"
        );
    }
}
