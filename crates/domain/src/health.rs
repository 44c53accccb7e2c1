//! Health scores (F-20, F-21): a scorecard turns each measure's reading into 0–100 points with
//! the admin's two thresholds, weighs them, and explains itself. A measure without data is left
//! out and its weight shared among the rest, and the result says which ones were left out.
//!
//! What a measure reads (usage, pulses, renewal dates, …) is the store's business; this module
//! only does the arithmetic, so every rule here is pinned by a unit test.

use serde::{Deserialize, Serialize};

use crate::error::{Invalid, Rules, Valid};
use crate::text::Name;
use crate::vocabulary::{LifecycleStage, Tier};

/// How one measure counts on a scorecard. Points run linearly from 0 at `zero_at` to 100 at
/// `full_at` and stay there beyond; `zero_at` above `full_at` means "lower is better".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureWeight {
    /// The measure's key (`usage_trend`, `csm_pulse`, …).
    pub measure: String,
    pub weight: u32,
    pub zero_at: f64,
    pub full_at: f64,
}

impl MeasureWeight {
    /// The points (0–100) a reading of `value` earns.
    pub fn points(&self, value: f64) -> f64 {
        let share = (value - self.zero_at) / (self.full_at - self.zero_at);
        100.0 * share.clamp(0.0, 1.0)
    }
}

/// Scores below `red_below` are red, from `green_from` green, yellow between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bands {
    pub red_below: u32,
    pub green_from: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Red,
    Yellow,
    Green,
}

impl Band {
    /// Worst first: the order risk views list them in.
    pub const ALL: [Band; 3] = [Band::Red, Band::Yellow, Band::Green];

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Red => "red",
            Band::Yellow => "yellow",
            Band::Green => "green",
        }
    }

    pub fn parse(text: &str) -> Option<Band> {
        Band::ALL.into_iter().find(|b| b.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Band::Red => "Red",
            Band::Yellow => "Yellow",
            Band::Green => "Green",
        }
    }
}

impl Bands {
    pub fn band(self, score: u32) -> Band {
        if score < self.red_below {
            Band::Red
        } else if score >= self.green_from {
            Band::Green
        } else {
            Band::Yellow
        }
    }
}

/// Which accounts a scorecard scores: a segment (tier) and a lifecycle stage, each optional
/// ("any"). The most specific card that fits an account is the one used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardFields {
    pub name: Name,
    pub tier: Option<Tier>,
    pub lifecycle_stage: Option<LifecycleStage>,
    pub bands: Bands,
    pub measures: Vec<MeasureWeight>,
}

/// The largest weight one measure may have.
pub const MAX_WEIGHT: u32 = 100;

impl ScorecardFields {
    /// Checks the card against the rules and against the measures that exist (`known` keys).
    pub fn validate(self, known: &[&str]) -> Result<Valid<Self>, Invalid> {
        let mut rules = Rules::default();
        rules.require(!self.measures.is_empty(), "measures", || {
            "a scorecard needs at least one measure".into()
        });
        let Bands { red_below, green_from } = self.bands;
        rules.require((1..=100).contains(&red_below), "red_below", || {
            format!("{red_below} is not between 1 and 100")
        });
        rules.require(green_from <= 100 && green_from > red_below, "green_from", || {
            format!("{green_from} must be above red_below ({red_below}) and at most 100")
        });
        for (i, m) in self.measures.iter().enumerate() {
            rules.require(known.contains(&m.measure.as_str()), "measures", || {
                format!(
                    "{:?} is not a measure; the measures are {}",
                    m.measure,
                    known.join(", ")
                )
            });
            rules.require(
                !self.measures[..i].iter().any(|other| other.measure == m.measure),
                "measures",
                || format!("{} is listed twice", m.measure),
            );
            rules.require((1..=MAX_WEIGHT).contains(&m.weight), "weight", || {
                format!("{}: weight {} is not between 1 and {MAX_WEIGHT}", m.measure, m.weight)
            });
            rules.require(m.zero_at.is_finite() && m.full_at.is_finite(), "zero_at", || {
                format!("{}: thresholds must be numbers", m.measure)
            });
            rules.require(m.zero_at != m.full_at, "full_at", || {
                format!(
                    "{}: the 0-point and 100-point thresholds are both {}; they must differ",
                    m.measure, m.zero_at
                )
            });
        }
        rules.finish(self)
    }

    /// How well the card fits an account: `None` when it does not, higher when more specific.
    pub fn fit(&self, tier: Option<Tier>, stage: LifecycleStage) -> Option<u8> {
        let tier_fit = match self.tier {
            None => Some(0),
            Some(t) => (Some(t) == tier).then_some(2),
        }?;
        let stage_fit = match self.lifecycle_stage {
            None => Some(0),
            Some(s) => (s == stage).then_some(1),
        }?;
        Some(tier_fit + stage_fit)
    }
}

/// A measure's reading for one account: the number the thresholds apply to, and the fact
/// behind it in words ("17 of 40 people active in the last 4 weeks").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub value: f64,
    pub fact: String,
}

/// One measure's part in a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureScore {
    pub measure: String,
    pub label: String,
    pub weight: u32,
    /// `None` when the measure had no data and was left out.
    pub reading: Option<Reading>,
    /// 0–100; `None` when left out.
    pub points: Option<f64>,
    /// Its share of the score after re-weighting (0–1; 0 when left out).
    pub share: f64,
}

impl MeasureScore {
    /// What it adds to the score, in score points.
    pub fn contribution(&self) -> f64 {
        self.points.unwrap_or(0.0) * self.share
    }
}

/// An account's score under one scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub score: u32,
    pub band: Band,
    pub measures: Vec<MeasureScore>,
}

impl Health {
    /// Scores an account: `label` names each measure, `reading` reads it. `None` when no
    /// measure of the card has data: there is nothing to score.
    pub fn compute(
        card: &ScorecardFields,
        label: impl Fn(&str) -> String,
        mut reading: impl FnMut(&str) -> Option<Reading>,
    ) -> Option<Health> {
        let readings: Vec<Option<Reading>> = card.measures.iter().map(|m| reading(&m.measure)).collect();
        let present: u32 = card
            .measures
            .iter()
            .zip(&readings)
            .filter(|(_, r)| r.is_some())
            .map(|(m, _)| m.weight)
            .sum();
        if present == 0 {
            return None;
        }
        let measures: Vec<MeasureScore> = card
            .measures
            .iter()
            .zip(readings)
            .map(|(m, reading)| {
                let points = reading.as_ref().map(|r| m.points(r.value));
                let share = if reading.is_some() {
                    f64::from(m.weight) / f64::from(present)
                } else {
                    0.0
                };
                MeasureScore {
                    measure: m.measure.clone(),
                    label: label(&m.measure),
                    weight: m.weight,
                    reading,
                    points,
                    share,
                }
            })
            .collect();
        let total: f64 = measures.iter().map(MeasureScore::contribution).sum();
        // Rounded half up; the clamp only guards against float dust above 100.
        let score = (total + 0.5).floor().clamp(0.0, 100.0) as u32;
        Some(Health {
            score,
            band: card.bands.band(score),
            measures,
        })
    }

    /// The measure that costs the score the most points: the first answer to "why is this
    /// account red?". `None` when every measure scored full points.
    pub fn main_drag(&self) -> Option<&MeasureScore> {
        let lost = |m: &MeasureScore| m.points.map_or(0.0, |p| (100.0 - p) * m.share);
        self.measures
            .iter()
            .filter(|m| lost(m) > 0.0)
            .max_by(|a, b| lost(a).total_cmp(&lost(b)))
    }

    /// The measures left out for lack of data.
    pub fn missing(&self) -> Vec<&str> {
        self.measures
            .iter()
            .filter(|m| m.reading.is_none())
            .map(|m| m.label.as_str())
            .collect()
    }

    /// Says which measures were left out and what that did, for the people reading the
    /// score; `None` when every measure had data.
    pub fn missing_note(&self) -> Option<String> {
        let missing = self.missing();
        (!missing.is_empty()).then(|| {
            format!(
                "No data for {}: left out, with {} weight shared among the other measures.",
                missing.join(", "),
                if missing.len() == 1 { "its" } else { "their" }
            )
        })
    }

    /// The unrounded score of these measures: the weighted mean of the points of those with
    /// data.
    fn exact(measures: impl Iterator<Item = (u32, Option<f64>)>) -> f64 {
        let (mut sum, mut weights) = (0.0, 0u32);
        for (weight, points) in measures {
            if let Some(points) = points {
                sum += points * f64::from(weight);
                weights += weight;
            }
        }
        if weights == 0 { 0.0 } else { sum / f64::from(weights) }
    }

    /// What moved the score since `before`: each measure whose fact changed, or that gained
    /// or lost its data, with what that change alone did to the score — today's score against
    /// today's with only that measure as it was (re-weighting included). Biggest effect first.
    pub fn changes_since(&self, before: &Health) -> Vec<Change> {
        let now_exact = Self::exact(self.measures.iter().map(|m| (m.weight, m.points)));
        let mut changes: Vec<Change> = Vec::new();
        for (i, now) in self.measures.iter().enumerate() {
            let then = before.measures.iter().find(|m| m.measure == now.measure);
            let fact = |m: Option<&MeasureScore>| m.and_then(|m| m.reading.as_ref()).map(|r| r.fact.clone());
            let (was, is) = (fact(then), fact(Some(now)));
            if was == is {
                continue;
            }
            let as_before = Self::exact(self.measures.iter().enumerate().map(|(j, m)| {
                let points = if i == j { then.and_then(|t| t.points) } else { m.points };
                (m.weight, points)
            }));
            changes.push(Change {
                label: now.label.clone(),
                before: was,
                after: is,
                effect: now_exact - as_before,
            });
        }
        // A measure the card no longer has took its contribution with it.
        for then in &before.measures {
            if then.reading.is_some() && !self.measures.iter().any(|m| m.measure == then.measure) {
                changes.push(Change {
                    label: then.label.clone(),
                    before: then.reading.as_ref().map(|r| r.fact.clone()),
                    after: None,
                    effect: -then.contribution(),
                });
            }
        }
        changes.sort_by(|a, b| b.effect.abs().total_cmp(&a.effect.abs()));
        changes
    }
}

/// One line of "what changed since last week".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub label: String,
    /// The fact then; `None` when the measure had no data.
    pub before: Option<String>,
    pub after: Option<String>,
    /// What the change did to the score, in score points (negative: it fell).
    pub effect: f64,
}

/// The CSM's read of an account (seed 001, play 1): how the relationship feels, on five levels,
/// always with a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PulseLevel(u8);

impl PulseLevel {
    pub const LABELS: [&'static str; 5] = ["Very negative", "Negative", "Neutral", "Positive", "Very positive"];

    pub fn new(level: u8) -> Result<PulseLevel, String> {
        if (1..=5).contains(&level) {
            Ok(PulseLevel(level))
        } else {
            Err(format!(
                "{level} is not a pulse level: 1 (very negative) to 5 (very positive)"
            ))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn label(self) -> &'static str {
        Self::LABELS[usize::from(self.0 - 1)]
    }
}

/// How bad the account's current problem is (seed 004, "pandemic"): 1 "not important" to 5
/// "on fire".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Severity(u8);

impl Severity {
    pub const LABELS: [&'static str; 5] = ["Not important", "Minor", "Significant", "Serious", "On fire"];

    pub fn new(level: u8) -> Result<Severity, String> {
        if (1..=5).contains(&level) {
            Ok(Severity(level))
        } else {
            Err(format!("{level} is not a severity: 1 (not important) to 5 (on fire)"))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn label(self) -> &'static str {
        Self::LABELS[usize::from(self.0 - 1)]
    }
}

/// How exposed an industry is to the current shock (seed 004, "pandemic"): set per industry by
/// leaders, read by the score and the renewal forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    Low,
    Moderate,
    High,
}

impl Exposure {
    pub const ALL: [Exposure; 3] = [Exposure::Low, Exposure::Moderate, Exposure::High];

    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Low => "low",
            Exposure::Moderate => "moderate",
            Exposure::High => "high",
        }
    }

    pub fn parse(text: &str) -> Result<Exposure, String> {
        Exposure::ALL
            .into_iter()
            .find(|e| e.as_str() == text.trim().to_lowercase())
            .ok_or_else(|| format!("{text:?} is not an exposure: low, moderate or high"))
    }

    /// 1 (low) to 3 (high): the number a scorecard's thresholds apply to.
    pub fn level(self) -> f64 {
        match self {
            Exposure::Low => 1.0,
            Exposure::Moderate => 2.0,
            Exposure::High => 3.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 3] = ["usage_trend", "csm_pulse", "days_to_renewal"];

    fn weight(measure: &str, weight: u32, zero_at: f64, full_at: f64) -> MeasureWeight {
        MeasureWeight {
            measure: measure.into(),
            weight,
            zero_at,
            full_at,
        }
    }

    fn card(measures: Vec<MeasureWeight>) -> ScorecardFields {
        ScorecardFields {
            name: Name::parse("Default").unwrap(),
            tier: None,
            lifecycle_stage: None,
            bands: Bands {
                red_below: 40,
                green_from: 70,
            },
            measures,
        }
    }

    fn reading(value: f64) -> Option<Reading> {
        Some(Reading {
            value,
            fact: format!("value {value}"),
        })
    }

    #[test]
    fn points_run_linearly_between_the_thresholds_and_stay_at_the_ends() {
        let higher_better = weight("usage_trend", 1, -50.0, 0.0);
        assert_eq!(higher_better.points(-50.0), 0.0);
        assert_eq!(higher_better.points(-25.0), 50.0);
        assert_eq!(higher_better.points(0.0), 100.0);
        assert_eq!(higher_better.points(-80.0), 0.0);
        assert_eq!(higher_better.points(40.0), 100.0);
        let lower_better = weight("problem_severity", 1, 5.0, 1.0);
        assert_eq!(lower_better.points(5.0), 0.0);
        assert_eq!(lower_better.points(4.0), 25.0);
        assert_eq!(lower_better.points(1.0), 100.0);
    }

    #[test]
    fn the_score_is_the_weighted_mean_of_the_points() {
        let card = card(vec![
            weight("usage_trend", 30, -50.0, 0.0),
            weight("csm_pulse", 10, 1.0, 5.0),
        ]);
        let values = [("usage_trend", -25.0), ("csm_pulse", 5.0)];
        let health = Health::compute(&card, str::to_owned, |m| {
            reading(values.iter().find(|(k, _)| *k == m).unwrap().1)
        })
        .unwrap();
        // 50 × 0.75 + 100 × 0.25
        assert_eq!(health.score, 63);
        assert_eq!(health.band, Band::Yellow);
        assert_eq!(health.measures[0].share, 0.75);
        assert_eq!(health.measures[1].contribution(), 25.0);
        assert!(health.missing().is_empty());
        assert_eq!(health.missing_note(), None);
    }

    #[test]
    fn a_measure_without_data_is_left_out_and_its_weight_shared() {
        let card = card(vec![
            weight("usage_trend", 30, -50.0, 0.0),
            weight("csm_pulse", 10, 1.0, 5.0),
            weight("days_to_renewal", 60, 30.0, 180.0),
        ]);
        let health = Health::compute(
            &card,
            |m| format!("label of {m}"),
            |m| match m {
                "usage_trend" => reading(0.0),
                "csm_pulse" => reading(1.0),
                _ => None,
            },
        )
        .unwrap();
        // Renewal's 60 left out: 100 × 30/40 + 0 × 10/40.
        assert_eq!(health.score, 75);
        assert_eq!(health.band, Band::Green);
        assert_eq!(health.missing(), vec!["label of days_to_renewal"]);
        assert_eq!(
            health.missing_note().unwrap(),
            "No data for label of days_to_renewal: left out, with its weight shared among the other measures."
        );
        assert_eq!(health.measures[2].share, 0.0);
        let shares: f64 = health.measures.iter().map(|m| m.share).sum();
        assert!((shares - 1.0).abs() < 1e-12);
    }

    #[test]
    fn nothing_to_score_without_any_data() {
        let card = card(vec![weight("usage_trend", 30, -50.0, 0.0)]);
        assert_eq!(Health::compute(&card, str::to_owned, |_| None), None);
    }

    #[test]
    fn bands_split_at_the_thresholds() {
        let bands = Bands {
            red_below: 40,
            green_from: 70,
        };
        assert_eq!(bands.band(0), Band::Red);
        assert_eq!(bands.band(39), Band::Red);
        assert_eq!(bands.band(40), Band::Yellow);
        assert_eq!(bands.band(69), Band::Yellow);
        assert_eq!(bands.band(70), Band::Green);
        assert_eq!(bands.band(100), Band::Green);
    }

    #[test]
    fn scores_round_half_up() {
        let card = card(vec![
            weight("usage_trend", 1, 0.0, 100.0),
            weight("csm_pulse", 1, 0.0, 100.0),
        ]);
        let health = Health::compute(&card, str::to_owned, |m| {
            reading(if m == "usage_trend" { 40.0 } else { 41.0 })
        })
        .unwrap();
        assert_eq!(health.score, 41); // 40.5 rounds up
    }

    #[test]
    fn validation_names_every_broken_rule() {
        let mut bad = card(vec![
            weight("usage_trend", 0, 1.0, 1.0),
            weight("usage_trend", 10, 0.0, 1.0),
            weight("mood_ring", 10, 0.0, 1.0),
        ]);
        bad.bands = Bands {
            red_below: 70,
            green_from: 60,
        };
        let errors = bad.validate(&KNOWN).unwrap_err().errors;
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert!(fields.contains(&"green_from"), "{errors:?}");
        assert!(fields.contains(&"weight"), "{errors:?}");
        assert!(fields.contains(&"full_at"), "{errors:?}");
        assert!(errors.iter().any(|e| e.reason.contains("listed twice")), "{errors:?}");
        assert!(
            errors
                .iter()
                .any(|e| e.reason.contains("\"mood_ring\" is not a measure")),
            "{errors:?}"
        );
        assert!(card(vec![]).validate(&KNOWN).is_err());
        assert!(card(vec![weight("csm_pulse", 10, 1.0, 5.0)]).validate(&KNOWN).is_ok());
    }

    #[test]
    fn the_most_specific_card_fits_best() {
        let mut any = card(vec![]);
        assert_eq!(any.fit(Some(Tier::Enterprise), LifecycleStage::Adopt), Some(0));
        any.lifecycle_stage = Some(LifecycleStage::Adopt);
        assert_eq!(any.fit(Some(Tier::Enterprise), LifecycleStage::Adopt), Some(1));
        assert_eq!(any.fit(Some(Tier::Enterprise), LifecycleStage::Land), None);
        any.tier = Some(Tier::Enterprise);
        assert_eq!(any.fit(Some(Tier::Enterprise), LifecycleStage::Adopt), Some(3));
        assert_eq!(any.fit(None, LifecycleStage::Adopt), None);
        any.lifecycle_stage = None;
        assert_eq!(any.fit(Some(Tier::Enterprise), LifecycleStage::Land), Some(2));
    }

    #[test]
    fn changes_since_last_week_name_the_facts_and_their_effect() {
        let card = card(vec![
            weight("usage_trend", 50, -50.0, 0.0),
            weight("csm_pulse", 25, 1.0, 5.0),
            weight("days_to_renewal", 25, 30.0, 180.0),
        ]);
        let fact = |value: f64, fact: &str| {
            Some(Reading {
                value,
                fact: fact.into(),
            })
        };
        let before = Health::compute(&card, str::to_owned, |m| match m {
            "usage_trend" => fact(0.0, "active users 42 → 40"),
            "csm_pulse" => fact(4.0, "Positive"),
            _ => fact(180.0, "renewal in 180 days"),
        })
        .unwrap();
        let now = Health::compute(&card, str::to_owned, |m| match m {
            "usage_trend" => fact(-50.0, "active users 40 → 17"),
            "csm_pulse" => fact(4.0, "Positive"),
            _ => None,
        })
        .unwrap();
        let changes = now.changes_since(&before);
        assert_eq!(changes.len(), 2, "{changes:?}");
        // Today: (0 × 50 + 75 × 25) / 75 = 25. With usage as it was (100 points):
        // (100 × 50 + 75 × 25) / 75 = 91.67, so the fall cost 66.67 points.
        assert_eq!(changes[0].label, "usage_trend");
        assert_eq!(changes[0].after.as_deref(), Some("active users 40 → 17"));
        assert!((changes[0].effect + 200.0 / 3.0).abs() < 1e-9, "{changes:?}");
        // With renewal's 100 points back: (0 × 50 + 75 × 25 + 100 × 25) / 100 = 43.75.
        assert_eq!(changes[1].label, "days_to_renewal");
        assert_eq!(changes[1].after, None);
        assert!((changes[1].effect + 18.75).abs() < 1e-9, "{changes:?}");
        assert!(now.changes_since(&now).is_empty());
    }

    #[test]
    fn levels_are_one_to_five() {
        assert!(PulseLevel::new(0).is_err());
        assert!(PulseLevel::new(6).is_err());
        assert_eq!(PulseLevel::new(5).unwrap().label(), "Very positive");
        assert_eq!(Severity::new(5).unwrap().label(), "On fire");
        assert!(
            Severity::new(0)
                .unwrap_err()
                .contains("1 (not important) to 5 (on fire)")
        );
        assert_eq!(Exposure::parse(" High").unwrap(), Exposure::High);
        assert!(Exposure::parse("extreme").is_err());
    }
}
