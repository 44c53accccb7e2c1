//! How a score's explanation is stored in `health_snapshots.measures` (the current score's is
//! the snapshot of its day): JSON with one entry per measure of the card — key, weight, value,
//! fact, points, share — labels left to the measure list, empty parts left out and numbers
//! rounded, so a day's snapshots take a third fewer bytes (1.1 KB → 0.7 KB per account).
//! Explanations written in the first, wider form (a nested `reading` and a `label`) still read.

use lodestar_domain::health::{MeasureScore, Reading};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct StoredMeasure {
    measure: String,
    weight: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    points: Option<f64>,
    #[serde(default)]
    share: f64,
    /// The first form's nested reading.
    #[serde(default, skip_serializing)]
    reading: Option<Reading>,
}

/// Rounded to what the page shows and the arithmetic needs: a hundredth of a point.
fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub(crate) fn to_json(measures: &[MeasureScore]) -> String {
    let stored: Vec<StoredMeasure> = measures
        .iter()
        .map(|m| StoredMeasure {
            measure: m.measure.clone(),
            weight: m.weight,
            value: m.reading.as_ref().map(|r| round(r.value)),
            fact: m.reading.as_ref().map(|r| r.fact.clone()),
            points: m.points.map(round),
            share: (m.share * 10_000.0).round() / 10_000.0,
            reading: None,
        })
        .collect();
    serde_json::to_string(&stored).expect("an explanation serialises")
}

/// Reads an explanation back; `label` names each measure by its key.
pub(crate) fn from_json(json: &str, label: impl Fn(&str) -> String) -> Option<Vec<MeasureScore>> {
    let stored: Vec<StoredMeasure> = serde_json::from_str(json).ok()?;
    Some(
        stored
            .into_iter()
            .map(|m| {
                let reading = m.reading.or_else(|| {
                    Some(Reading {
                        value: m.value?,
                        fact: m.fact?,
                    })
                });
                MeasureScore {
                    label: label(&m.measure),
                    measure: m.measure,
                    weight: m.weight,
                    reading,
                    points: m.points,
                    share: m.share,
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(measure: &str, reading: Option<(f64, &str)>, points: Option<f64>, share: f64) -> MeasureScore {
        MeasureScore {
            measure: measure.into(),
            label: measure.to_uppercase(),
            weight: 10,
            reading: reading.map(|(value, fact)| Reading {
                value,
                fact: fact.into(),
            }),
            points,
            share,
        }
    }

    #[test]
    fn explanations_round_trip_compactly_and_the_first_form_still_reads() {
        let measures = vec![
            score(
                "usage_trend",
                Some((-3.5714285714285716, "28 → 27")),
                Some(92.85714285714286),
                1.0 / 3.0,
            ),
            score("csm_pulse", None, None, 0.0),
        ];
        let json = to_json(&measures);
        assert_eq!(
            json,
            r#"[{"measure":"usage_trend","weight":10,"value":-3.57,"fact":"28 → 27","points":92.86,"share":0.3333},{"measure":"csm_pulse","weight":10,"share":0.0}]"#
        );
        let back = from_json(&json, |k| k.to_uppercase()).unwrap();
        assert_eq!(back[0].label, "USAGE_TREND");
        assert_eq!(back[0].reading.as_ref().map(|r| r.fact.as_str()), Some("28 → 27"));
        assert_eq!((back[1].reading.clone(), back[1].points), (None, None));
        let first_form = r#"[{"measure":"csm_pulse","label":"CSM pulse","weight":15,"reading":{"value":2.0,"fact":"Negative"},"points":25.0,"share":1.0}]"#;
        let old = from_json(first_form, |k| k.to_owned()).unwrap();
        assert_eq!(old[0].reading.as_ref().map(|r| r.value), Some(2.0));
        assert!(from_json("{", |k| k.to_owned()).is_none());
    }
}
