//! The playbook library (F-32, seeds 001 and 004). Leaders keep the 3–5 outcomes that matter
//! most to each segment (tier), each with recommended tactics, customer case studies and ROI
//! figures; and one risk playbook per industry-exposure level: the outreach email a CSM sends a
//! customer in that situation, with the account's details filled in. A churn retrospective can
//! ask for a playbook to change.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::error::{FieldError, Invalid, Rules, Valid};
use crate::health::Exposure;
use crate::ids::{OutcomeId, TacticId};
use crate::money::Cents;
use crate::notify::Subject;
use crate::text::{Label, Name, Note};
use crate::vocabulary::{Tier, normalise, vocabulary};

/// A segment keeps at most this many outcomes (seed 001: "the 3–5 most important outcomes").
pub const MAX_OUTCOMES_PER_SEGMENT: usize = 5;
/// Fewer than this and the library page says the segment is not covered yet.
pub const MIN_OUTCOMES_PER_SEGMENT: usize = 3;
/// The most tactics, case studies or ROI figures one outcome lists: a library entry people read.
pub const MAX_ENTRIES: usize = 10;

/// What the library page says about a segment with `count` outcomes, when it says anything.
pub fn segment_warning(tier: Tier, count: usize) -> Option<String> {
    (count < MIN_OUTCOMES_PER_SEGMENT).then(|| {
        format!(
            "{} has {count} outcome{}; a segment should have {MIN_OUTCOMES_PER_SEGMENT} to {MAX_OUTCOMES_PER_SEGMENT}",
            tier.label(),
            if count == 1 { "" } else { "s" }
        )
    })
}

/// A recommended way to reach an outcome. Its id stays the same while the outcome is edited,
/// so a success plan can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tactic {
    /// None for a tactic not stored yet.
    pub id: Option<TacticId>,
    pub title: Name,
    pub description: Note,
}

/// A customer who reached the outcome, told briefly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseStudy {
    pub title: Name,
    pub customer: Name,
    pub text: Note,
}

/// A measured return: "Time to first report", 40, "% faster".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoiFigure {
    pub label: Label,
    pub value: RoiValue,
    pub unit: Label,
}

/// A figure's number, kept exactly as hundredths (the store keeps no floats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RoiValue(pub i64);

impl RoiValue {
    /// Reads "40", "2.5", "-12.75" or "1,200" (thousands separators dropped); at most two
    /// decimal places.
    pub fn parse(input: &str) -> Result<RoiValue, String> {
        let refuse = || format!("{:?} is not a number such as 40, 2.5 or 1,200", input.trim());
        let s: String = input.trim().chars().filter(|c| *c != ',').collect();
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.as_str()),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(refuse());
        }
        if fraction.len() > 2 {
            return Err(format!("{:?} has more than two decimal places", input.trim()));
        }
        let whole: i64 = whole.parse().map_err(|_| refuse())?;
        let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| refuse())?;
        let hundredths = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(fraction))
            .ok_or_else(|| format!("{:?} is too large", input.trim()))?;
        Ok(RoiValue(if negative { -hundredths } else { hundredths }))
    }
}

impl fmt::Display for RoiValue {
    /// The shortest exact form: 40, 2.5, 12.75.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        match abs % 100 {
            0 => write!(f, "{sign}{}", abs / 100),
            n if n % 10 == 0 => write!(f, "{sign}{}.{}", abs / 100, n / 10),
            n => write!(f, "{sign}{}.{n:02}", abs / 100),
        }
    }
}

/// One outcome of a segment's library, as a leader writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeFields {
    pub tier: Tier,
    pub title: Name,
    pub description: Note,
    pub tactics: Vec<Tactic>,
    pub case_studies: Vec<CaseStudy>,
    pub roi_figures: Vec<RoiFigure>,
}

impl OutcomeFields {
    /// An outcome recommends at least one tactic; each list holds at most [`MAX_ENTRIES`];
    /// a stored tactic is listed once.
    pub fn validate(self) -> Result<Valid<OutcomeFields>, Invalid> {
        let mut rules = Rules::default();
        rules.require(!self.tactics.is_empty(), "tactics", || {
            "an outcome recommends at least one tactic".into()
        });
        for (field, len) in [
            ("tactics", self.tactics.len()),
            ("case_studies", self.case_studies.len()),
            ("roi_figures", self.roi_figures.len()),
        ] {
            rules.require(len <= MAX_ENTRIES, field, || {
                format!("lists {len}; an outcome keeps at most {MAX_ENTRIES}")
            });
        }
        let mut ids: Vec<TacticId> = self.tactics.iter().filter_map(|t| t.id).collect();
        let listed = ids.len();
        ids.sort();
        ids.dedup();
        rules.require(ids.len() == listed, "tactics", || "lists a tactic twice".into());
        rules.finish(self)
    }
}

/// A stored outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub id: OutcomeId,
    pub fields: OutcomeFields,
}

vocabulary!(
    /// How a risk playbook reaches out, one per industry-exposure level (seed 004): a highly
    /// exposed customer is asked an open question and tells us how to help; a moderately
    /// exposed one picks from a menu of options; a little exposed one is told the renewal goes
    /// ahead and the channel is open if they need anything.
    OutreachApproach, "outreach approach" {
        OpenQuestion = "open_question" | "high" => "Open question",
        MenuOfOptions = "menu_of_options" | "menu" | "moderate" => "Menu of options",
        OpenChannel = "open_channel" | "low" => "Open channel",
    }
);

impl OutreachApproach {
    pub fn for_exposure(exposure: Exposure) -> OutreachApproach {
        match exposure {
            Exposure::High => OutreachApproach::OpenQuestion,
            Exposure::Moderate => OutreachApproach::MenuOfOptions,
            Exposure::Low => OutreachApproach::OpenChannel,
        }
    }

    pub fn exposure(self) -> Exposure {
        match self {
            OutreachApproach::OpenQuestion => Exposure::High,
            OutreachApproach::MenuOfOptions => Exposure::Moderate,
            OutreachApproach::OpenChannel => Exposure::Low,
        }
    }

    /// What the approach asks of the email, for whoever writes the template.
    pub fn guidance(self) -> &'static str {
        match self {
            OutreachApproach::OpenQuestion => {
                "High exposure: acknowledge the hard times and ask an open question; let the customer say how to support them."
            }
            OutreachApproach::MenuOfOptions => {
                "Moderate exposure: offer a menu of a few options (delayed payment terms, a payment plan, a discount) to pick from."
            }
            OutreachApproach::OpenChannel => {
                "Low exposure: say the renewal goes ahead as planned and open a channel for them to ask if they need to."
            }
        }
    }
}

/// What an outreach template may fill in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    AccountName,
    ContactFirstName,
    CsmName,
    RenewalDate,
    Arr,
}

impl Placeholder {
    pub const ALL: [Placeholder; 5] = [
        Placeholder::AccountName,
        Placeholder::ContactFirstName,
        Placeholder::CsmName,
        Placeholder::RenewalDate,
        Placeholder::Arr,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Placeholder::AccountName => "account.name",
            Placeholder::ContactFirstName => "contact.first_name",
            Placeholder::CsmName => "csm.name",
            Placeholder::RenewalDate => "renewal_date",
            Placeholder::Arr => "arr",
        }
    }

    /// Every placeholder as written in a template: `{{account.name}}, {{contact.first_name}}, …`.
    pub fn listed() -> String {
        Self::ALL
            .iter()
            .map(|p| format!("{{{{{}}}}}", p.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A piece of a template: text as written, or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(Placeholder),
}

/// Cuts `text` into pieces; an unknown placeholder or a `{{` never closed is refused, named.
fn pieces(text: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            out.push(Piece::Text(rest[..open].to_owned()));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| {
            format!(
                "a placeholder is opened with {{{{ and never closed with }}}}; use one of {}",
                Placeholder::listed()
            )
        })?;
        let name = after[..close].trim();
        let field = Placeholder::ALL
            .into_iter()
            .find(|p| p.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "unknown placeholder {{{{{name}}}}}; use one of {}",
                    Placeholder::listed()
                )
            })?;
        out.push(Piece::Field(field));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    Ok(out)
}

/// A risk playbook's email before it is filled in: a one-line subject and a text body, each
/// naming only known placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutreachTemplate {
    pub subject: String,
    pub body: Note,
}

impl OutreachTemplate {
    /// Checks both parts, every problem named against its field.
    pub fn parse(subject: &str, body: &str) -> Result<Valid<OutreachTemplate>, Invalid> {
        let mut errors = Vec::new();
        // The subject is checked as a subject would be with the longest values filled in
        // later; here, as written.
        let subject = match Subject::parse(subject) {
            Ok(s) => pieces(s.as_str()).map(|_| s.to_string()),
            Err(e) => Err(e),
        };
        let body = match Note::required(body) {
            Ok(b) => pieces(b.as_str()).map(|_| b),
            Err(e) => Err(e),
        };
        if let Err(reason) = &subject {
            errors.push(FieldError {
                field: "subject",
                reason: reason.clone(),
            });
        }
        if let Err(reason) = &body {
            errors.push(FieldError {
                field: "body",
                reason: reason.clone(),
            });
        }
        match (subject, body) {
            (Ok(subject), Ok(body)) => Rules::default().finish(OutreachTemplate { subject, body }),
            _ => Err(Invalid { errors }),
        }
    }

    /// The email for one customer contact. A template that names the renewal date of an
    /// account without one is refused: a customer must never read a blank where a date was.
    pub fn render(&self, facts: &OutreachFacts) -> Result<RenderedEmail, Invalid> {
        let subject = fill(&self.subject, facts).map_err(|e| Invalid::field("subject", e))?;
        let subject = Subject::parse(&subject).map_err(|e| Invalid::field("subject", format!("filled in, it {e}")))?;
        let body = fill(self.body.as_str(), facts).map_err(|e| Invalid::field("body", e))?;
        Ok(RenderedEmail { subject, body })
    }
}

/// What a template is filled in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutreachFacts {
    pub account_name: String,
    /// The contact's first name; their full name (or address) when none is on record.
    pub contact_first_name: String,
    /// Who sends it.
    pub csm_name: String,
    pub renewal_date: Option<NaiveDate>,
    pub arr: Cents,
}

/// An outreach email filled in for one contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: Subject,
    /// Plain text: an email, not a page.
    pub body: String,
}

fn fill(template: &str, facts: &OutreachFacts) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 64);
    for piece in pieces(template)? {
        match piece {
            Piece::Text(t) => out.push_str(&t),
            Piece::Field(Placeholder::AccountName) => out.push_str(&facts.account_name),
            Piece::Field(Placeholder::ContactFirstName) => out.push_str(&facts.contact_first_name),
            Piece::Field(Placeholder::CsmName) => out.push_str(&facts.csm_name),
            Piece::Field(Placeholder::Arr) => out.push_str(&facts.arr.whole_dollars()),
            Piece::Field(Placeholder::RenewalDate) => {
                let day = facts.renewal_date.ok_or_else(|| {
                    format!(
                        "uses {{{{renewal_date}}}} but {} has no renewal date on record",
                        facts.account_name
                    )
                })?;
                out.push_str(&day.format("%-d %B %Y").to_string());
            }
        }
    }
    Ok(out)
}

/// Which library entry a churn retrospective asks to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaybookTarget {
    Outcome(OutcomeId),
    Risk(OutreachApproach),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(renewal: Option<NaiveDate>) -> OutreachFacts {
        OutreachFacts {
            account_name: "Acme Travel".into(),
            contact_first_name: "Ada".into(),
            csm_name: "Carla Diaz".into(),
            renewal_date: renewal,
            arr: Cents(12_000_00),
        }
    }

    #[test]
    fn a_template_is_filled_in_with_the_accounts_details() {
        let t = OutreachTemplate::parse(
            "{{account.name}}: your renewal on {{ renewal_date }}",
            "Hi {{contact.first_name}},\n\nYour {{arr}} plan renews on {{renewal_date}}.\n\n{{csm.name}}",
        )
        .unwrap();
        let email = t.render(&facts(NaiveDate::from_ymd_opt(2027, 2, 1))).unwrap();
        assert_eq!(email.subject.as_str(), "Acme Travel: your renewal on 1 February 2027");
        assert_eq!(
            email.body,
            "Hi Ada,\n\nYour $12,000 plan renews on 1 February 2027.\n\nCarla Diaz"
        );
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_refused_by_name() {
        let err = OutreachTemplate::parse("Hello {{account.nmae}}", "Hi {{contact.first_name}}").unwrap_err();
        assert_eq!(err.errors.len(), 1);
        assert_eq!(err.errors[0].field, "subject");
        assert!(
            err.errors[0].reason.starts_with("unknown placeholder {{account.nmae}}"),
            "{err}"
        );
        assert!(
            err.errors[0].reason.contains("{{contact.first_name}}"),
            "lists the known ones: {err}"
        );
        let err = OutreachTemplate::parse("Hello", "Hi {{contact.first_name").unwrap_err();
        assert_eq!(err.errors[0].field, "body");
        assert!(err.errors[0].reason.contains("never closed"), "{err}");
        let err = OutreachTemplate::parse("", "").unwrap_err();
        assert_eq!(err.errors.len(), 2, "{err}");
        assert!(
            OutreachTemplate::parse("Two\nlines", "Body").is_err(),
            "a subject is one line"
        );
    }

    #[test]
    fn a_renewal_date_the_account_lacks_is_refused_not_left_blank() {
        let t = OutreachTemplate::parse("Renewal", "It renews on {{renewal_date}}.").unwrap();
        let err = t.render(&facts(None)).unwrap_err();
        assert_eq!(err.errors[0].field, "body");
        assert!(
            err.errors[0].reason.contains("Acme Travel has no renewal date"),
            "{err}"
        );
        let plain = OutreachTemplate::parse("Checking in", "Hi {{contact.first_name}}").unwrap();
        assert_eq!(plain.render(&facts(None)).unwrap().body, "Hi Ada");
    }

    #[test]
    fn text_that_only_looks_like_markup_stays_text() {
        // The email is text: nothing is escaped or interpreted.
        let t = OutreachTemplate::parse("Q&A <today>", "Single { braces } and }} stay").unwrap();
        let email = t.render(&facts(None)).unwrap();
        assert_eq!(email.subject.as_str(), "Q&A <today>");
        assert_eq!(email.body, "Single { braces } and }} stay");
    }

    #[test]
    fn roi_values_are_exact_hundredths() {
        assert_eq!(RoiValue::parse("40").unwrap(), RoiValue(4000));
        assert_eq!(RoiValue::parse(" 2.5 ").unwrap(), RoiValue(250));
        assert_eq!(RoiValue::parse("1,200.75").unwrap(), RoiValue(120_075));
        assert_eq!(RoiValue::parse("-12.05").unwrap(), RoiValue(-1205));
        assert_eq!(RoiValue(4000).to_string(), "40");
        assert_eq!(RoiValue(250).to_string(), "2.5");
        assert_eq!(RoiValue(-1205).to_string(), "-12.05");
        assert!(RoiValue::parse("1.234").unwrap_err().contains("two decimal places"));
        for bad in ["", "abc", "1.2.3", "--1", "."] {
            assert!(RoiValue::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_outcome_recommends_tactics_each_listed_once() {
        let tactic = |id: Option<i64>| Tactic {
            id: id.map(TacticId),
            title: Name::parse("Weekly adoption review").unwrap(),
            description: Note::default(),
        };
        let outcome = |tactics: Vec<Tactic>| OutcomeFields {
            tier: Tier::Enterprise,
            title: Name::parse("Faster month-end close").unwrap(),
            description: Note::default(),
            tactics,
            case_studies: Vec::new(),
            roi_figures: Vec::new(),
        };
        assert_eq!(outcome(vec![]).validate().unwrap_err().errors[0].field, "tactics");
        let twice = outcome(vec![tactic(Some(3)), tactic(Some(3))]).validate().unwrap_err();
        assert!(twice.errors[0].reason.contains("twice"));
        assert!(
            outcome(vec![tactic(Some(3)), tactic(None), tactic(None)])
                .validate()
                .is_ok()
        );
        assert!(outcome(vec![tactic(None); MAX_ENTRIES + 1]).validate().is_err());
    }

    #[test]
    fn approaches_follow_the_exposure_levels() {
        for e in Exposure::ALL {
            assert_eq!(OutreachApproach::for_exposure(e).exposure(), e);
        }
        assert_eq!(
            "high".parse::<OutreachApproach>().unwrap(),
            OutreachApproach::OpenQuestion
        );
        assert_eq!(segment_warning(Tier::Strategic, 5), None);
        assert_eq!(
            segment_warning(Tier::LongTail, 1).unwrap(),
            "Long tail has 1 outcome; a segment should have 3 to 5"
        );
    }
}
