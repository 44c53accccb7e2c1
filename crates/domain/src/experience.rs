//! Experience levels (F-60, seed 004): what an account is entitled to — a QBR every so many
//! days, a check-in every so many days, a CSM it knows by name or a pool of them. A level is
//! not a tier: "we've created experience levels that don't match one-to-one with our sales
//! segments". Each tier has the level its accounts get, and an account can be placed in
//! another (a self-serve enterprise customer in the pooled level; a fast-growing mid-tier one
//! in high touch). The QBR and check-in scheduling and the capacity hours read the level.

use serde::Serialize;

use crate::error::{Invalid, Rules, Valid};
use crate::qbr::{CADENCE_DAYS, Cadence};
use crate::text::Text;
use crate::vocabulary::{Coverage, MeetingKind, Tier};

/// A level's name, as the team calls it ("High touch", "Neighborhood").
pub type LevelName = Text<60>;

/// Days in an average month, for the reviews a month a level promises.
const MONTH_DAYS: f64 = 365.25 / 12.0;

/// What every account of a level is owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Entitlements {
    /// A QBR (or an EBR, which stands for one) at least this often; `None`: no QBRs.
    pub qbr_every_days: Option<u32>,
    /// A review of any kind at least this often; `None`: no check-ins.
    pub check_in_every_days: Option<u32>,
    pub coverage: Coverage,
}

impl Entitlements {
    /// The practice before levels existed, which the migration turns into one level per tier:
    /// a QBR each quarter for strategic accounts, check-ins for the others — monthly for
    /// enterprise, every two months for mid-tier, quarterly for the long tail — each with a
    /// named CSM.
    pub fn default_for(tier: Tier) -> Entitlements {
        let (qbr, check_in) = match tier {
            Tier::Strategic => (Some(91), None),
            Tier::Enterprise => (None, Some(30)),
            Tier::MidTier => (None, Some(60)),
            Tier::LongTail => (None, Some(91)),
        };
        Entitlements {
            qbr_every_days: qbr,
            check_in_every_days: check_in,
            coverage: Coverage::Named,
        }
    }

    /// The reviews the scheduling keeps for an account of this level: the QBR cadence first.
    pub fn cadences(&self) -> Vec<Cadence> {
        let qbr = self.qbr_every_days.map(|every_days| Cadence {
            kind: MeetingKind::Qbr,
            every_days,
        });
        let check_in = self.check_in_every_days.map(|every_days| Cadence {
            kind: MeetingKind::CheckIn,
            every_days,
        });
        qbr.into_iter().chain(check_in).collect()
    }

    /// Review meetings a month one account of this level is owed. A QBR keeps the check-in
    /// cadence too, so the more frequent of the two sets the count: QBRs every 91 days and
    /// check-ins every 30 are one meeting a month, one of them a QBR, not 1.33.
    pub fn reviews_per_month(&self) -> f64 {
        let rate = |days: Option<u32>| days.map_or(0.0, |d| MONTH_DAYS / f64::from(d.max(1)));
        rate(self.qbr_every_days).max(rate(self.check_in_every_days))
    }

    /// In words, for lists: "QBR every 91 days · Check-in every 30 days · Named CSM".
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self
            .cadences()
            .iter()
            .map(|c| format!("{} every {} days", c.kind.label(), c.every_days))
            .collect();
        if parts.is_empty() {
            parts.push("no scheduled reviews".into());
        }
        parts.push(self.coverage.label().to_owned());
        parts.join(" · ")
    }
}

/// A level as an admin writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperienceFields {
    pub name: LevelName,
    pub entitlements: Entitlements,
}

impl ExperienceFields {
    pub fn validate(self) -> Result<Valid<ExperienceFields>, Invalid> {
        let mut rules = Rules::default();
        for (field, days) in [
            ("qbr_every_days", self.entitlements.qbr_every_days),
            ("check_in_every_days", self.entitlements.check_in_every_days),
        ] {
            rules.require(days.is_none_or(|d| CADENCE_DAYS.contains(&d)), field, || {
                format!(
                    "between {} and {} days, or empty for none",
                    CADENCE_DAYS.start(),
                    CADENCE_DAYS.end()
                )
            });
        }
        rules.finish(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(qbr: Option<u32>, check_in: Option<u32>) -> Entitlements {
        Entitlements {
            qbr_every_days: qbr,
            check_in_every_days: check_in,
            coverage: Coverage::Named,
        }
    }

    #[test]
    fn the_defaults_keep_the_practice_before_levels_and_are_valid() {
        for tier in Tier::ALL {
            let fields = ExperienceFields {
                name: LevelName::parse(tier.label()).unwrap(),
                entitlements: Entitlements::default_for(*tier),
            };
            assert!(fields.validate().is_ok(), "{tier}");
        }
        let strategic = Entitlements::default_for(Tier::Strategic).cadences();
        assert_eq!(
            strategic,
            [Cadence {
                kind: MeetingKind::Qbr,
                every_days: 91
            }]
        );
        let mid = Entitlements::default_for(Tier::MidTier).cadences();
        assert_eq!(mid[0].kind, MeetingKind::CheckIn);
        assert_eq!(mid[0].every_days, 60);
    }

    #[test]
    fn days_outside_a_week_to_a_year_are_refused_field_by_field() {
        let err = ExperienceFields {
            name: LevelName::parse("Neighborhood").unwrap(),
            entitlements: level(Some(400), Some(3)),
        }
        .validate()
        .unwrap_err();
        let fields: Vec<_> = err.errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["qbr_every_days", "check_in_every_days"]);
        assert!(err.errors[0].reason.contains("empty for none"));
    }

    #[test]
    fn a_qbr_counts_as_the_check_in_it_replaces() {
        // Monthly check-ins with a quarterly QBR: about one meeting a month.
        let both = level(Some(91), Some(30)).reviews_per_month();
        assert!((both - 30.4375 / 30.0).abs() < 1e-9, "{both}");
        // A QBR alone, every 91 days: a third of a meeting a month.
        let qbr = level(Some(91), None).reviews_per_month();
        assert!((qbr - 30.4375 / 91.0).abs() < 1e-9, "{qbr}");
        assert_eq!(level(None, None).reviews_per_month(), 0.0);
    }

    #[test]
    fn a_summary_reads_as_a_sentence() {
        let mut e = level(Some(91), Some(30));
        assert_eq!(e.summary(), "QBR every 91 days · Check-in every 30 days · Named CSM");
        e.coverage = Coverage::Pooled;
        e.qbr_every_days = None;
        e.check_in_every_days = None;
        assert_eq!(e.summary(), "no scheduled reviews · Pooled CSMs");
    }
}
