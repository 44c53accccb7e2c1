//! Support tickets and product requests (F-43, seed 004: CSMs lose track of the bugs and
//! features they promised to push, and must tell the customer when one ships).
//!
//! A ticket is Zendesk's record, kept by its external id: what an account's support load is
//! (open tickets weighted by priority), how long its people wait, what they ask about. A
//! request is a bug or a feature linked to the accounts that want it; their ARR summed is its
//! demand, and when it ships each account's CSM is told, the renewals within 90 days first.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Invalid, Rules, Valid};
use crate::text::{Email, ExternalId, Name, Note};
use crate::vocabulary::{RequestKind, TicketPriority, TicketStatus};
use crate::{AccountId, Cents};

/// At most this many tags a ticket keeps (Zendesk puts no limit; ours keeps rows small).
pub const MAX_TAGS: usize = 20;
/// The window of solved tickets the wait times and topics look at.
pub const RECENT_DAYS: i64 = 90;
/// A shipped request reaches the accounts renewing within this many days first.
pub const RENEWING_SOON_DAYS: i64 = 90;

/// A ticket's tag, as Zendesk writes them: one lower-case word (letters, digits, `_ - : /`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    pub fn parse(input: &str) -> Result<Tag, String> {
        let tag = input.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > 50 {
            return Err(format!("{tag:?} is not a tag: 1 to 50 characters"));
        }
        if !tag
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '/' | '.'))
        {
            return Err(format!(
                "{tag:?} is not a tag: one word of letters, digits and _ - : / ."
            ));
        }
        Ok(Tag(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Tags as written in a CSV cell or a form: separated by spaces, commas or semicolons;
    /// each kept once, in order.
    pub fn parse_list(input: &str) -> Result<Vec<Tag>, String> {
        let mut tags: Vec<Tag> = Vec::new();
        for word in input.split([' ', ',', ';']).filter(|w| !w.trim().is_empty()) {
            let tag = Tag::parse(word)?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(format!("{} tags; a ticket keeps at most {MAX_TAGS}", tags.len()));
        }
        Ok(tags)
    }
}

impl TryFrom<String> for Tag {
    type Error = String;
    fn try_from(s: String) -> Result<Tag, String> {
        Tag::parse(&s)
    }
}

impl From<Tag> for String {
    fn from(t: Tag) -> String {
        t.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A support ticket as the help desk describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFields {
    /// The help desk's id for it (Zendesk's ticket id): importing it again updates it.
    pub external_id: ExternalId,
    pub account_id: AccountId,
    pub subject: Name,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub requester_email: Option<Email>,
    pub tags: Vec<Tag>,
    pub opened_at: DateTime<Utc>,
    /// When the help desk last changed it; for a solved ticket, when it was solved.
    pub updated_at: DateTime<Utc>,
}

impl TicketFields {
    pub fn validate(self) -> Result<Valid<TicketFields>, Invalid> {
        let mut rules = Rules::default();
        rules.require(self.updated_at >= self.opened_at, "updated_at", || {
            format!(
                "{} is before the ticket was opened ({})",
                self.updated_at.to_rfc3339(),
                self.opened_at.to_rfc3339()
            )
        });
        rules.finish(self)
    }

    /// When it was solved: its last change, once it is solved or closed.
    pub fn solved_at(&self) -> Option<DateTime<Utc>> {
        (!self.status.is_open()).then_some(self.updated_at)
    }
}

/// What the numbers read of one ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFact {
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub opened_at: DateTime<Utc>,
    pub solved_at: Option<DateTime<Utc>>,
    pub tags: Vec<String>,
}

/// An account's support picture: how much is open and how heavy, how long people wait, what
/// they ask about.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct TicketStats {
    pub open: usize,
    /// Open tickets of high or urgent priority.
    pub open_urgent: usize,
    /// Open tickets weighted by priority (see [`TicketPriority::weight`]).
    pub load: f64,
    /// Age of the oldest open ticket, in days.
    pub oldest_open_days: Option<i64>,
    /// Median age of the open tickets, in hours.
    pub median_open_hours: Option<i64>,
    /// Median time from opened to solved of the tickets solved in the last 90 days, in hours.
    pub median_solve_hours: Option<i64>,
    pub solved_recently: usize,
    /// The most frequent tags of the tickets opened in the last 90 days (at most five), with
    /// how many tickets carry each: most first, then by name.
    pub top_tags: Vec<(String, usize)>,
}

/// The median of whole numbers (the lower middle of an even count: no half hours).
fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[(values.len() - 1) / 2])
}

impl TicketStats {
    pub fn over(facts: &[TicketFact], now: DateTime<Utc>) -> TicketStats {
        let recent = now - Duration::days(RECENT_DAYS);
        let open: Vec<&TicketFact> = facts.iter().filter(|f| f.status.is_open()).collect();
        let solve_hours: Vec<i64> = facts
            .iter()
            .filter_map(|f| Some((f.opened_at, f.solved_at.filter(|s| *s >= recent)?)))
            .map(|(opened, solved)| (solved - opened).num_hours())
            .collect();
        let mut tag_counts: HashMap<&str, usize> = HashMap::new();
        for fact in facts.iter().filter(|f| f.opened_at >= recent) {
            for tag in &fact.tags {
                *tag_counts.entry(tag.as_str()).or_default() += 1;
            }
        }
        let mut top_tags: Vec<(String, usize)> = tag_counts.into_iter().map(|(t, n)| (t.to_owned(), n)).collect();
        top_tags.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top_tags.truncate(5);
        TicketStats {
            open: open.len(),
            open_urgent: open
                .iter()
                .filter(|f| matches!(f.priority, TicketPriority::High | TicketPriority::Urgent))
                .count(),
            load: support_load(open.iter().map(|f| f.priority)),
            oldest_open_days: open.iter().map(|f| (now - f.opened_at).num_days()).max(),
            median_open_hours: median(open.iter().map(|f| (now - f.opened_at).num_hours()).collect()),
            solved_recently: solve_hours.len(),
            median_solve_hours: median(solve_hours),
            top_tags,
        }
    }

    /// In words, for the health card: "3 open (1 high or urgent), load 5.0; median time to
    /// solve 18 h".
    pub fn describe(&self) -> String {
        let plural = if self.open == 1 { "" } else { "s" };
        let mut text = format!("{} open ticket{plural}", self.open);
        if self.open_urgent > 0 {
            text.push_str(&format!(" ({} high or urgent)", self.open_urgent));
        }
        text.push_str(&format!(", load {:.1}", self.load));
        if let Some(days) = self.oldest_open_days {
            text.push_str(&format!(", oldest open {days} days"));
        }
        if let Some(hours) = self.median_solve_hours {
            text.push_str(&format!("; median time to solve {}", hours_in_words(hours)));
        }
        text
    }
}

/// "18 h", "3 days".
pub fn hours_in_words(hours: i64) -> String {
    if hours < 48 {
        format!("{hours} h")
    } else {
        format!("{} days", hours / 24)
    }
}

/// The support load of open tickets of these priorities: each weighs its priority's weight.
pub fn support_load(open: impl IntoIterator<Item = TicketPriority>) -> f64 {
    // Folded from +0.0: an empty f64 sum is -0.0, which reads "-0.0".
    open.into_iter().map(TicketPriority::weight).fold(0.0, |a, b| a + b)
}

/// A Jira issue key: the project's key, a hyphen and the number (`PROD-142`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JiraKey(String);

impl JiraKey {
    pub fn parse(input: &str) -> Result<JiraKey, String> {
        let key = input.trim().to_uppercase();
        let bad = || format!("{key:?} is not a Jira issue key (expected PROJECT-123)");
        let (project, number) = key.split_once('-').ok_or_else(bad)?;
        let project_ok = project.len() <= 20
            && project.starts_with(|c: char| c.is_ascii_uppercase())
            && project
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let number_ok = !number.is_empty() && number.len() <= 10 && number.chars().all(|c| c.is_ascii_digit());
        if project_ok && number_ok {
            Ok(JiraKey(key))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for JiraKey {
    type Error = String;
    fn try_from(s: String) -> Result<JiraKey, String> {
        JiraKey::parse(&s)
    }
}

impl From<JiraKey> for String {
    fn from(k: JiraKey) -> String {
        k.0
    }
}

impl fmt::Display for JiraKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bug or feature request as a CSM writes it down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFields {
    pub title: Name,
    pub kind: RequestKind,
    /// What the customer needs and why, in their words.
    pub detail: Note,
    /// The Jira issue that tracks it, whose status changes then move it.
    pub jira_key: Option<JiraKey>,
}

impl RequestFields {
    pub fn validate(self) -> Result<Valid<RequestFields>, Invalid> {
        Rules::default().finish(self)
    }
}

/// Whether an account renewing on `renewal` renews within [`RENEWING_SOON_DAYS`] of `today`.
pub fn renews_soon(renewal: Option<NaiveDate>, today: NaiveDate) -> bool {
    renewal.is_some_and(|r| r >= today && (r - today).num_days() <= RENEWING_SOON_DAYS)
}

/// An account that asked for a request, as the alerts of its shipping see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asker {
    pub account_id: AccountId,
    pub renewal_date: Option<NaiveDate>,
    pub arr: Cents,
}

/// Who hears first that a request shipped: the accounts renewing within 90 days (the soonest
/// renewal first), then the others by ARR, largest first.
pub fn alert_order(mut askers: Vec<Asker>, today: NaiveDate) -> Vec<Asker> {
    askers.sort_by_key(|a| {
        let soon = renews_soon(a.renewal_date, today);
        (
            !soon,
            if soon { a.renewal_date } else { None },
            std::cmp::Reverse(a.arr.0),
            a.account_id,
        )
    });
    askers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::RequestStatus;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2026, 11, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
            .and_utc()
    }

    fn fact(status: TicketStatus, priority: TicketPriority, opened: DateTime<Utc>, tags: &[&str]) -> TicketFact {
        TicketFact {
            status,
            priority,
            opened_at: opened,
            solved_at: (!status.is_open()).then(|| opened + Duration::hours(10)),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn stats_weigh_open_tickets_and_take_medians() {
        use TicketPriority::*;
        use TicketStatus::*;
        let now = at(30, 12);
        let facts = vec![
            fact(Open, Urgent, at(20, 12), &["sso", "login"]),
            fact(Pending, Normal, at(28, 12), &["sso"]),
            fact(Hold, Low, at(29, 12), &["billing"]),
            fact(Solved, High, at(10, 0), &["sso"]),
            fact(Closed, Normal, at(11, 0), &["export"]),
        ];
        let stats = TicketStats::over(&facts, now);
        assert_eq!(stats.open, 3);
        assert_eq!(stats.open_urgent, 1);
        assert!((stats.load - 5.5).abs() < 1e-9, "4 + 1 + 0.5: {}", stats.load);
        assert_eq!(stats.oldest_open_days, Some(10));
        assert_eq!(stats.median_open_hours, Some(48), "ages 24, 48, 240 hours");
        assert_eq!(stats.median_solve_hours, Some(10));
        assert_eq!(stats.solved_recently, 2);
        assert_eq!(stats.top_tags[0], ("sso".to_owned(), 3));
        assert_eq!(stats.top_tags.len(), 4);
        assert!(
            stats
                .describe()
                .starts_with("3 open tickets (1 high or urgent), load 5.5")
        );
    }

    #[test]
    fn old_solved_tickets_leave_the_wait_times_and_topics() {
        let now = at(30, 12);
        let old = at(1, 0) - Duration::days(120);
        let facts = vec![fact(TicketStatus::Solved, TicketPriority::Normal, old, &["sso"])];
        let stats = TicketStats::over(&facts, now);
        assert_eq!(stats.median_solve_hours, None);
        assert!(stats.top_tags.is_empty());
        assert_eq!(stats.load, 0.0);
        assert!(
            stats.describe().starts_with("0 open tickets, load 0.0"),
            "{}",
            stats.describe()
        );
    }

    #[test]
    fn tags_are_single_lower_case_words_kept_once() {
        let tags = Tag::parse_list("SSO, login;sso  billing").unwrap();
        let words: Vec<&str> = tags.iter().map(Tag::as_str).collect();
        assert_eq!(words, ["sso", "login", "billing"]);
        assert!(Tag::parse("two words").is_err());
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert!(Tag::parse_list(&many.join(" ")).unwrap_err().contains("at most 20"));
    }

    #[test]
    fn a_ticket_cannot_change_before_it_opened() {
        let fields = TicketFields {
            external_id: ExternalId::parse("35436").unwrap(),
            account_id: AccountId(1),
            subject: Name::parse("SSO broken").unwrap(),
            status: TicketStatus::Solved,
            priority: TicketPriority::High,
            requester_email: None,
            tags: vec![],
            opened_at: at(10, 0),
            updated_at: at(9, 0),
        };
        let e = fields.clone().validate().unwrap_err();
        assert_eq!(e.errors[0].field, "updated_at");
        let fine = TicketFields {
            updated_at: at(11, 0),
            ..fields
        };
        assert_eq!(fine.validate().unwrap().solved_at(), Some(at(11, 0)));
    }

    #[test]
    fn jira_keys_and_status_names() {
        assert_eq!(JiraKey::parse(" prod-142 ").unwrap().as_str(), "PROD-142");
        assert!(JiraKey::parse("PROD").is_err());
        assert!(JiraKey::parse("1PROD-3").is_err());
        assert!(JiraKey::parse("PROD-x").is_err());
        let status = |name: &str| name.parse::<RequestStatus>().unwrap();
        assert_eq!(status("To Do"), RequestStatus::Open);
        assert_eq!(status("Selected for Development"), RequestStatus::Planned);
        assert_eq!(status("In Progress"), RequestStatus::InProgress);
        assert_eq!(status("Done"), RequestStatus::Shipped);
        assert_eq!(status("Won't Do"), RequestStatus::Declined);
        assert!("Unheard of".parse::<RequestStatus>().is_err());
    }

    #[test]
    fn renewals_within_ninety_days_hear_first_then_by_arr() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let asker = |id: i64, renewal: Option<(i32, u32, u32)>, arr: i64| Asker {
            account_id: AccountId(id),
            renewal_date: renewal.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()),
            arr: Cents(arr),
        };
        let order = alert_order(
            vec![
                asker(1, Some((2027, 6, 1)), 900),
                asker(2, Some((2027, 2, 1)), 100),
                asker(3, None, 500),
                asker(4, Some((2026, 12, 20)), 50),
            ],
            today,
        );
        let ids: Vec<i64> = order.iter().map(|a| a.account_id.0).collect();
        assert_eq!(ids, [4, 2, 1, 3]);
    }
}
