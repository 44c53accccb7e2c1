//! Segmentation (F-60): the tier formula. Each account gets a score of 0–100 from four
//! metrics — its ARR (as a percentile rank among the live accounts), its growth potential, its
//! engagement (the current health score) and the customer's preference for a person or for
//! self-serve — weighted as an admin sets them; the score's thresholds give the tier. Growth
//! potential and preference are the accounts' own fields (set on the account form or by
//! import); a metric an account lacks counts as the middle (50), so a missing field neither
//! lifts nor sinks it.

use serde::Serialize;

use crate::error::{Invalid, Rules, Valid};
use crate::vocabulary::{EngagementPreference, Level, Tier};

/// What the formula reads of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metrics {
    /// The account's ARR as a percentile rank (0–100) among the live accounts.
    pub arr_rank: Option<u8>,
    pub growth: Option<Level>,
    /// The current health score, 0–100.
    pub engagement: Option<u32>,
    pub preference: Option<EngagementPreference>,
}

/// The formula: a weight per metric and the lowest score of each tier above the long tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TierFormula {
    pub arr_weight: u32,
    pub growth_weight: u32,
    pub engagement_weight: u32,
    pub preference_weight: u32,
    pub strategic_from: u32,
    pub enterprise_from: u32,
    pub mid_tier_from: u32,
}

impl Default for TierFormula {
    /// Revenue first, then growth (seed 004: "revenue, growth opportunity, and engagement"),
    /// with the customer's wish for contact and their engagement behind.
    fn default() -> Self {
        TierFormula {
            arr_weight: 50,
            growth_weight: 20,
            engagement_weight: 15,
            preference_weight: 15,
            strategic_from: 85,
            enterprise_from: 65,
            mid_tier_from: 40,
        }
    }
}

const MIDDLE: f64 = 50.0;

impl TierFormula {
    pub fn validate(self) -> Result<Valid<Self>, Invalid> {
        let mut rules = Rules::default();
        for (field, w) in [
            ("arr_weight", self.arr_weight),
            ("growth_weight", self.growth_weight),
            ("engagement_weight", self.engagement_weight),
            ("preference_weight", self.preference_weight),
        ] {
            rules.require(w <= 100, field, || "between 0 and 100".into());
        }
        rules.require(
            self.arr_weight + self.growth_weight + self.engagement_weight + self.preference_weight > 0,
            "arr_weight",
            || "at least one metric needs a weight".into(),
        );
        rules.require(self.strategic_from <= 100, "strategic_from", || {
            "a score of 0 to 100".into()
        });
        rules.require(self.strategic_from > self.enterprise_from, "enterprise_from", || {
            "must be below strategic_from".into()
        });
        rules.require(self.enterprise_from > self.mid_tier_from, "mid_tier_from", || {
            "must be below enterprise_from".into()
        });
        rules.finish(self)
    }

    /// The account's score, 0–100: the weighted mean of its metrics, each 0–100.
    pub fn score(&self, m: &Metrics) -> u32 {
        let growth = m.growth.map_or(MIDDLE, |g| match g {
            Level::Low => 0.0,
            Level::Medium => 50.0,
            Level::High => 100.0,
        });
        let preference = m.preference.map_or(MIDDLE, |p| match p {
            EngagementPreference::HighTouch => 100.0,
            EngagementPreference::SelfServe => 0.0,
        });
        let parts = [
            (self.arr_weight, m.arr_rank.map_or(MIDDLE, f64::from)),
            (self.growth_weight, growth),
            (
                self.engagement_weight,
                m.engagement.map_or(MIDDLE, |e| f64::from(e.min(100))),
            ),
            (self.preference_weight, preference),
        ];
        let total: u32 = parts.iter().map(|(w, _)| w).sum();
        if total == 0 {
            return 0;
        }
        let sum: f64 = parts.iter().map(|(w, v)| f64::from(*w) * v).sum();
        (sum / f64::from(total)).round() as u32
    }

    pub fn tier_for(&self, score: u32) -> Tier {
        if score >= self.strategic_from {
            Tier::Strategic
        } else if score >= self.enterprise_from {
            Tier::Enterprise
        } else if score >= self.mid_tier_from {
            Tier::MidTier
        } else {
            Tier::LongTail
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_biggest_growing_customer_who_wants_a_person_is_strategic() {
        let f = TierFormula::default();
        let top = Metrics {
            arr_rank: Some(98),
            growth: Some(Level::High),
            engagement: Some(80),
            preference: Some(EngagementPreference::HighTouch),
        };
        assert_eq!(f.tier_for(f.score(&top)), Tier::Strategic);
        let small = Metrics {
            arr_rank: Some(10),
            growth: Some(Level::Low),
            engagement: Some(40),
            preference: Some(EngagementPreference::SelfServe),
        };
        assert_eq!(f.tier_for(f.score(&small)), Tier::LongTail);
        assert_eq!(f.score(&Metrics::default()), 50, "missing metrics count as the middle");
    }

    #[test]
    fn weights_decide_what_counts() {
        let arr_only = TierFormula {
            arr_weight: 1,
            growth_weight: 0,
            engagement_weight: 0,
            preference_weight: 0,
            ..TierFormula::default()
        };
        let m = Metrics {
            arr_rank: Some(70),
            growth: Some(Level::High),
            ..Metrics::default()
        };
        assert_eq!(arr_only.score(&m), 70, "growth weighs nothing");
        assert_eq!(arr_only.tier_for(70), Tier::Enterprise);
    }

    #[test]
    fn thresholds_must_descend_and_some_metric_must_count() {
        let err = TierFormula {
            arr_weight: 0,
            growth_weight: 0,
            engagement_weight: 0,
            preference_weight: 0,
            strategic_from: 50,
            enterprise_from: 60,
            mid_tier_from: 60,
        }
        .validate()
        .unwrap_err();
        let fields: Vec<_> = err.errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["arr_weight", "enterprise_from", "mid_tier_from"]);
        assert!(TierFormula::default().validate().is_ok());
    }
}
