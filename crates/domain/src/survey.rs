//! Surveys (F-40): NPS (0–10), CSAT (1–5) and one-question micro surveys (1–5, the question
//! written by the CSM), sent to an account's contacts through customer links; the answer's
//! rules (one score in the kind's range, a capped comment), the NPS bands and the score itself.
//! Seed 001: NPS verbatims are for the whole company, and write-ins find beta candidates.

use serde::Serialize;

use crate::text::Text;
use crate::vocabulary::SurveyKind;

/// The longest comment an answer keeps.
pub const COMMENT_MAX_CHARS: usize = 2000;

/// The question of a micro survey.
pub type Question = Text<300>;

impl SurveyKind {
    /// The lowest and highest score an answer may give.
    pub fn range(self) -> (i32, i32) {
        match self {
            SurveyKind::Nps => (0, 10),
            SurveyKind::Csat | SurveyKind::Micro => (1, 5),
        }
    }

    /// The question a contact reads; a micro survey's is its own.
    pub fn standard_question(self) -> Option<&'static str> {
        match self {
            SurveyKind::Nps => Some("How likely are you to recommend us to a friend or colleague?"),
            SurveyKind::Csat => Some("How satisfied are you with our product and service?"),
            SurveyKind::Micro => None,
        }
    }
}

/// What a survey asks: its kind and, for a micro survey, the CSM's question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyFields {
    pub kind: SurveyKind,
    pub question: Option<Question>,
}

impl SurveyFields {
    /// A micro survey needs its question; NPS and CSAT ask the standard one.
    pub fn new(kind: SurveyKind, question: &str) -> Result<SurveyFields, String> {
        match (kind, question.trim()) {
            (SurveyKind::Micro, "") => Err("a micro survey needs its one question".into()),
            (SurveyKind::Micro, q) => Ok(SurveyFields {
                kind,
                question: Some(Question::parse(q)?),
            }),
            (_, "") => Ok(SurveyFields { kind, question: None }),
            (kind, _) => Err(format!(
                "a {} survey asks the standard question; only a micro survey has its own",
                kind.label()
            )),
        }
    }

    /// What the contact is asked.
    pub fn question_text(&self) -> &str {
        self.question
            .as_ref()
            .map(Text::as_str)
            .or(self.kind.standard_question())
            .unwrap_or_default()
    }
}

/// A score checked against its kind's range.
pub fn score(kind: SurveyKind, value: i64) -> Result<i32, String> {
    let (low, high) = kind.range();
    match i32::try_from(value) {
        Ok(v) if (low..=high).contains(&v) => Ok(v),
        _ => Err(format!(
            "{value} is outside {low}–{high}, the range of {} answers",
            kind.label()
        )),
    }
}

/// A comment trimmed and capped; an empty one is none.
pub fn comment(text: &str) -> Result<Option<String>, String> {
    let text = text.trim();
    let n = text.chars().count();
    if n > COMMENT_MAX_CHARS {
        return Err(format!(
            "is {n} characters long; at most {COMMENT_MAX_CHARS} are allowed"
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// Where an NPS answer falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpsBand {
    Detractor,
    Passive,
    Promoter,
}

impl NpsBand {
    pub fn of(score: i32) -> NpsBand {
        match score {
            9.. => NpsBand::Promoter,
            7 | 8 => NpsBand::Passive,
            _ => NpsBand::Detractor,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NpsBand::Detractor => "detractor",
            NpsBand::Passive => "passive",
            NpsBand::Promoter => "promoter",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NpsBand::Detractor => "Detractor",
            NpsBand::Passive => "Passive",
            NpsBand::Promoter => "Promoter",
        }
    }
}

/// Whether an answer of `kind` scoring `score` is a detractor's (NPS 0–6): it opens a
/// close-the-loop task for the account's CSM.
pub fn is_detractor(kind: SurveyKind, score: i32) -> bool {
    kind == SurveyKind::Nps && NpsBand::of(score) == NpsBand::Detractor
}

/// NPS over a set of answers, with the response rate.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct NpsTally {
    pub promoters: u32,
    pub passives: u32,
    pub detractors: u32,
    /// Links sent (the denominator of the response rate).
    pub sent: u32,
    /// Answers given through those links.
    pub answered: u32,
}

impl NpsTally {
    pub fn add(&mut self, score: i32) {
        match NpsBand::of(score) {
            NpsBand::Promoter => self.promoters += 1,
            NpsBand::Passive => self.passives += 1,
            NpsBand::Detractor => self.detractors += 1,
        }
    }

    pub fn answers(&self) -> u32 {
        self.promoters + self.passives + self.detractors
    }

    /// % promoters − % detractors, −100 to 100; none without answers.
    pub fn nps(&self) -> Option<i32> {
        let n = self.answers();
        (n > 0).then(|| {
            let diff = f64::from(self.promoters) - f64::from(self.detractors);
            (diff * 100.0 / f64::from(n)).round() as i32
        })
    }

    /// Answers ÷ links sent, in %; none when nothing was sent.
    pub fn response_rate(&self) -> Option<u32> {
        (self.sent > 0).then(|| (f64::from(self.answered) * 100.0 / f64::from(self.sent)).round() as u32)
    }
}

/// How NPS is grouped on the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpsGrouping {
    Account,
    Tier,
    Month,
    Quarter,
}

impl NpsGrouping {
    pub fn parse(s: &str) -> Result<NpsGrouping, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "account" => Ok(NpsGrouping::Account),
            "tier" | "segment" => Ok(NpsGrouping::Tier),
            "month" => Ok(NpsGrouping::Month),
            "quarter" => Ok(NpsGrouping::Quarter),
            other => Err(format!("{other:?}: group by account, tier, month or quarter")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NpsGrouping::Account => "account",
            NpsGrouping::Tier => "tier",
            NpsGrouping::Month => "month",
            NpsGrouping::Quarter => "quarter",
        }
    }

    /// The period a day falls in, for the period groupings (`2026-03`, `2026-Q1`).
    pub fn period(self, day: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        match self {
            NpsGrouping::Quarter => format!("{}-Q{}", day.year(), day.month0() / 3 + 1),
            _ => day.format("%Y-%m").to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_checked_against_the_kind() {
        assert_eq!(score(SurveyKind::Nps, 0), Ok(0));
        assert_eq!(score(SurveyKind::Nps, 10), Ok(10));
        assert!(score(SurveyKind::Nps, 11).unwrap_err().contains("0–10"));
        assert!(score(SurveyKind::Csat, 0).unwrap_err().contains("1–5"));
        assert!(score(SurveyKind::Micro, 6).is_err());
        assert_eq!(score(SurveyKind::Csat, 5), Ok(5));
    }

    #[test]
    fn comments_are_capped_and_blank_is_none() {
        assert_eq!(comment("  "), Ok(None));
        assert_eq!(comment(" fine \n"), Ok(Some("fine".into())));
        assert!(comment(&"x".repeat(COMMENT_MAX_CHARS + 1)).is_err());
        assert!(comment(&"é".repeat(COMMENT_MAX_CHARS)).is_ok());
    }

    #[test]
    fn only_a_micro_survey_has_its_own_question() {
        assert!(SurveyFields::new(SurveyKind::Micro, " ").is_err());
        assert!(SurveyFields::new(SurveyKind::Nps, "Why?").is_err());
        let micro = SurveyFields::new(SurveyKind::Micro, "Is the new report useful?").unwrap();
        assert_eq!(micro.question_text(), "Is the new report useful?");
        let nps = SurveyFields::new(SurveyKind::Nps, "").unwrap();
        assert!(nps.question_text().contains("recommend"));
    }

    #[test]
    fn bands_and_the_score() {
        assert_eq!(NpsBand::of(6), NpsBand::Detractor);
        assert_eq!(NpsBand::of(7), NpsBand::Passive);
        assert_eq!(NpsBand::of(9), NpsBand::Promoter);
        assert!(is_detractor(SurveyKind::Nps, 6));
        assert!(!is_detractor(SurveyKind::Csat, 1));
        let mut t = NpsTally::default();
        assert_eq!(t.nps(), None);
        for s in [10, 9, 8, 3] {
            t.add(s);
        }
        assert_eq!(t.nps(), Some(25));
        t.sent = 8;
        t.answered = 3;
        assert_eq!(t.response_rate(), Some(38));
    }

    #[test]
    fn periods() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 5, 4).unwrap();
        assert_eq!(NpsGrouping::Quarter.period(d), "2026-Q2");
        assert_eq!(NpsGrouping::Month.period(d), "2026-05");
        assert!(NpsGrouping::parse("week").is_err());
        assert_eq!(NpsGrouping::parse("segment"), Ok(NpsGrouping::Tier));
    }
}
