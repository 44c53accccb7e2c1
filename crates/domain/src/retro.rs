//! Customer retrospectives (F-34, seed 000): half an hour, routinely, three open questions,
//! venting welcome (each challenge kept with its suspected root cause), promises on both sides,
//! and the next date set before it closes.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::error::{Invalid, Rules, Valid};
use crate::review::ActionText;
use crate::text::Note;
use crate::vocabulary::{ContactRole, Level, SuspectedCause};

/// Seed 000 recommends half-hour retrospectives.
pub const MINUTES: u32 = 30;
/// The furthest ahead the next retrospective may be set: two months and a little slack.
pub const NEXT_WITHIN_DAYS: i64 = 70;

/// The three questions, as the page and the email ask them.
pub const QUESTIONS: [&str; 3] = [
    "What should we continue or start doing?",
    "What should we stop doing?",
    "What are some ideas for the future?",
];

/// What was said to the three questions (Markdown, each possibly empty while it runs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetroAnswers {
    pub continue_or_start: Note,
    pub stop: Note,
    pub ideas: Note,
}

/// A challenge the customer vented, with what it probably comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeFields {
    pub description: ActionText,
    pub suspected_cause: SuspectedCause,
}

/// The next retrospective, set before this one closes (seed 000: a standing date affirms the
/// value of the meeting and the accountability for what was decided).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextDate {
    pub starts_at: DateTime<Utc>,
}

impl NextDate {
    /// Required; after the retrospective being closed and within [`NEXT_WITHIN_DAYS`] of it.
    pub fn validate(next: Option<DateTime<Utc>>, this_one: DateTime<Utc>) -> Result<Valid<NextDate>, Invalid> {
        let Some(starts_at) = next else {
            return Err(Invalid::field(
                "next_starts_at",
                "set the date of the next retrospective before closing this one",
            ));
        };
        let mut rules = Rules::default();
        rules.require(starts_at > this_one, "next_starts_at", || {
            "the next retrospective comes after this one".into()
        });
        rules.require(
            starts_at <= this_one + Duration::days(NEXT_WITHIN_DAYS),
            "next_starts_at",
            || format!("hold retrospectives at least every two months: within {NEXT_WITHIN_DAYS} days"),
        );
        rules.finish(NextDate { starts_at })
    }
}

/// Someone who can build consensus and decide at the customer: the executive sponsor, a
/// decision maker, or anyone of high influence (seed 000: the group must be able to decide).
pub fn has_decision_power(role: Option<ContactRole>, influence: Option<Level>) -> bool {
    crate::qbr::is_senior(role, influence)
}

/// One promise agreed at a retrospective, as the customer's email lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreedPromise {
    pub owner: String,
    pub description: String,
    pub due_on: NaiveDate,
    pub ours: bool,
}

/// The email a customer attendee receives when a retrospective closes: what each side agreed
/// to do, by when, and the next date.
pub fn promises_email(
    first_name: Option<&str>,
    held_on: NaiveDate,
    promises: &[AgreedPromise],
    next: &str,
    sender: &str,
) -> String {
    let greeting = first_name.map_or_else(|| "Hello,".to_owned(), |n| format!("Hi {n},"));
    let list = |ours: bool| -> String {
        let lines: Vec<String> = promises
            .iter()
            .filter(|p| p.ours == ours)
            .map(|p| format!("- {} ({}, by {})", p.description, p.owner, p.due_on.format("%d %B %Y")))
            .collect();
        if lines.is_empty() {
            "- nothing this time".to_owned()
        } else {
            lines.join("\n")
        }
    };
    format!(
        "{greeting}\n\nThank you for the retrospective on {}. Here is what we agreed.\n\n\
         What we will do:\n{}\n\nWhat your team will do:\n{}\n\nOur next retrospective: {next}.\n\n\
         Best,\n{sender}\n",
        held_on.format("%d %B %Y"),
        list(true),
        list(false),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_retrospective_closes_only_with_a_next_date_after_it_and_within_two_months() {
        let at = Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap();
        let missing = NextDate::validate(None, at).unwrap_err();
        assert_eq!(missing.errors[0].field, "next_starts_at");
        assert!(NextDate::validate(Some(at - Duration::days(1)), at).is_err());
        assert!(NextDate::validate(Some(at + Duration::days(71)), at).is_err());
        let next = NextDate::validate(Some(at + Duration::days(28)), at).unwrap();
        assert_eq!(next.starts_at, at + Duration::days(28));
    }

    #[test]
    fn decision_power_is_a_sponsor_a_decision_maker_or_high_influence() {
        assert!(has_decision_power(Some(ContactRole::ExecSponsor), None));
        assert!(has_decision_power(Some(ContactRole::User), Some(Level::High)));
        assert!(!has_decision_power(Some(ContactRole::Champion), Some(Level::Medium)));
        assert!(!has_decision_power(None, None));
    }

    #[test]
    fn the_email_lists_both_sides_and_the_next_date() {
        let promises = [
            AgreedPromise {
                owner: "Dana Fox".into(),
                description: "Share the rollout calendar".into(),
                due_on: "2026-12-09".parse().unwrap(),
                ours: false,
            },
            AgreedPromise {
                owner: "Casey CSM".into(),
                description: "Run the admin training".into(),
                due_on: "2026-12-15".parse().unwrap(),
                ours: true,
            },
        ];
        let text = promises_email(
            Some("Dana"),
            "2026-12-02".parse().unwrap(),
            &promises,
            "Wednesday 6 January 2027, 15:00 (Europe/Berlin)",
            "Casey CSM",
        );
        assert!(text.starts_with("Hi Dana,"));
        let ours = text.find("What we will do:\n- Run the admin training (Casey CSM, by 15 December 2026)");
        let theirs = text.find("What your team will do:\n- Share the rollout calendar (Dana Fox, by 09 December 2026)");
        assert!(ours.is_some() && theirs.is_some(), "{text}");
        assert!(text.contains("Our next retrospective: Wednesday 6 January 2027"));
        let none = promises_email(None, "2026-12-02".parse().unwrap(), &[], "soon", "C");
        assert!(none.contains("What we will do:\n- nothing this time"), "{none}");
    }
}
