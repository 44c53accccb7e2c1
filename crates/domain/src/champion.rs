//! Champion health (F-41). Seed 004 ("How to gauge champion health"): map each person at a key
//! account on a quadrant of *engagement* (are they using the product, answering our surveys,
//! raising a healthy amount of support requests?) and *delight* (how do they answer, are their
//! tickets handled quickly, are we shipping what they asked for?), with *influence* (a VP or an
//! individual contributor; will they own the relationship in 12 months?) as the bubble's size.
//! "If a high-influence individual at a key account is in the lower right quadrant, … the person
//! cares about the problem your product is trying to solve, but they don't like the way you're
//! solving it" — they may shop around, so that raises an alert. So does a champion who left.
//!
//! Each score is 0–100 and comes with the facts that made it, so a CSM can argue with it.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::coverage::{ContactLevel, level_of};
use crate::vocabulary::{ContactRole, Influence};

/// Product use counts over this many days.
pub const USE_DAYS: i64 = 30;
/// Meetings and tickets count over this many days.
pub const RECENT_DAYS: i64 = 90;
/// Survey answers and shipped requests count over this many days.
pub const ANSWER_DAYS: i64 = 180;
/// A key contact with no activity for this long, and a sign they moved on, probably left.
pub const QUIET_DAYS: i64 = 60;
/// Engagement and delight at or above this are "high" (the quadrant's middle lines).
pub const HIGH: u8 = 50;
/// Influence at or above this makes a contact high-influence (a big bubble).
pub const HIGH_INFLUENCE: u8 = 60;

/// How one of a contact's tickets went, as delight sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketOutcome {
    /// Solved within two days.
    SolvedQuickly,
    /// Solved, but it took longer.
    SolvedSlowly,
    /// Still open after a week.
    Waiting,
}

impl TicketOutcome {
    /// The outcome of a ticket opened `opened` and solved `solved` (if it is), seen on `today`;
    /// `None` while it is open and younger than a week (too early to say).
    pub fn of(opened: NaiveDate, solved: Option<NaiveDate>, today: NaiveDate) -> Option<TicketOutcome> {
        match solved {
            Some(day) if day - opened <= Duration::days(2) => Some(TicketOutcome::SolvedQuickly),
            Some(_) => Some(TicketOutcome::SolvedSlowly),
            None if today - opened > Duration::days(7) => Some(TicketOutcome::Waiting),
            None => None,
        }
    }

    fn points(self) -> u32 {
        match self {
            TicketOutcome::SolvedQuickly => 100,
            TicketOutcome::SolvedSlowly => 50,
            TicketOutcome::Waiting => 0,
        }
    }
}

/// What Lodestar knows about one contact, over the windows above.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub role: Option<ContactRole>,
    pub title: Option<String>,
    pub influence: Option<Influence>,
    /// The CSM's answer to "will they own the relationship in 12 months?", if given.
    pub will_own: Option<bool>,
    /// Days they used the product in the last [`USE_DAYS`].
    pub active_days: u32,
    /// Their survey scores of the last [`ANSWER_DAYS`], on a 0–10 scale.
    pub answers: Vec<f64>,
    /// Meetings they attended in the last [`RECENT_DAYS`].
    pub meetings: u32,
    /// Tickets they opened in the last [`RECENT_DAYS`], and how those went.
    pub tickets: u32,
    pub ticket_outcomes: Vec<TicketOutcome>,
    /// Their requests shipped in the last [`ANSWER_DAYS`], and their requests still open.
    pub requests_shipped: u32,
    pub requests_open: u32,
}

/// A score with the facts behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    pub value: u8,
    pub facts: Vec<String>,
}

/// Where a contact sits on the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// High engagement, high delight.
    Champion,
    /// High engagement, low delight: cares about the problem, dislikes our solution.
    CaresDislikes,
    /// Low engagement, high delight.
    DistantFan,
    /// Low engagement, low delight.
    Disengaged,
}

impl Quadrant {
    pub fn of(engagement: u8, delight: u8) -> Quadrant {
        match (engagement >= HIGH, delight >= HIGH) {
            (true, true) => Quadrant::Champion,
            (true, false) => Quadrant::CaresDislikes,
            (false, true) => Quadrant::DistantFan,
            (false, false) => Quadrant::Disengaged,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Quadrant::Champion => "Engaged and delighted",
            Quadrant::CaresDislikes => "Cares about the problem, dislikes our solution",
            Quadrant::DistantFan => "Likes us, rarely engages",
            Quadrant::Disengaged => "Neither engaged nor delighted",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Quadrant::Champion => "champion",
            Quadrant::CaresDislikes => "cares_dislikes",
            Quadrant::DistantFan => "distant_fan",
            Quadrant::Disengaged => "disengaged",
        }
    }
}

/// A contact's champion health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChampionHealth {
    pub engagement: Score,
    /// `None` when nothing they said or asked for is known yet.
    pub delight: Option<Score>,
    pub influence: Score,
    /// `None` while delight is unknown.
    pub quadrant: Option<Quadrant>,
}

impl ChampionHealth {
    pub fn of(evidence: &Evidence) -> ChampionHealth {
        let engagement = engagement(evidence);
        let delight = delight(evidence);
        let quadrant = delight.as_ref().map(|d| Quadrant::of(engagement.value, d.value));
        ChampionHealth {
            engagement,
            delight,
            influence: influence(evidence),
            quadrant,
        }
    }

    /// A high-influence contact who cares about the problem and dislikes our solution.
    pub fn needs_attention(&self) -> bool {
        self.quadrant == Some(Quadrant::CaresDislikes) && self.influence.value >= HIGH_INFLUENCE
    }

    /// What the champion-health measure takes from this contact: the mean of engagement and
    /// delight (delight counted as neutral while unknown).
    pub fn strength(&self) -> f64 {
        let delight = self.delight.as_ref().map_or(f64::from(HIGH), |d| f64::from(d.value));
        (f64::from(self.engagement.value) + delight) / 2.0
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Up to `max` points, in proportion to `count` of `full`.
fn share(count: u32, full: u32, max: u32) -> u32 {
    count.min(full) * max / full
}

fn engagement(e: &Evidence) -> Score {
    let product = share(e.active_days, 12, 40);
    let surveys = share(u32::try_from(e.answers.len()).unwrap_or(u32::MAX), 2, 20);
    let meetings = share(e.meetings, 2, 25);
    // A healthy amount of support requests is engagement; silence is not, and a flood adds
    // nothing more.
    let tickets = share(e.tickets, 3, 15);
    let facts = vec![
        format!(
            "used the product on {} of the last {USE_DAYS} (+{product})",
            plural(e.active_days, "day", "days")
        ),
        format!(
            "answered {} in the last {ANSWER_DAYS} days (+{surveys})",
            plural(u32::try_from(e.answers.len()).unwrap_or(u32::MAX), "survey", "surveys")
        ),
        format!(
            "attended {} in the last {RECENT_DAYS} days (+{meetings})",
            plural(e.meetings, "meeting", "meetings")
        ),
        format!(
            "opened {} in the last {RECENT_DAYS} days (+{tickets})",
            plural(e.tickets, "ticket", "tickets")
        ),
    ];
    Score {
        value: u8::try_from(product + surveys + meetings + tickets).unwrap_or(100),
        facts,
    }
}

fn delight(e: &Evidence) -> Option<Score> {
    // Each kind of evidence gives a 0–100 part; what they say in surveys counts twice.
    let mut parts: Vec<(f64, f64)> = Vec::new();
    let mut facts = Vec::new();
    if !e.answers.is_empty() {
        let mean = e.answers.iter().sum::<f64>() / e.answers.len() as f64;
        parts.push((mean * 10.0, 2.0));
        facts.push(format!(
            "survey answers average {mean:.1} of 10 over {}",
            plural(u32::try_from(e.answers.len()).unwrap_or(u32::MAX), "answer", "answers")
        ));
    }
    if !e.ticket_outcomes.is_empty() {
        let n = e.ticket_outcomes.len() as u32;
        let points: u32 = e.ticket_outcomes.iter().map(|o| o.points()).sum();
        let count = |kind| e.ticket_outcomes.iter().filter(|o| **o == kind).count();
        parts.push((f64::from(points / n), 1.0));
        facts.push(format!(
            "tickets: {} solved within two days, {} solved later, {} waiting over a week",
            count(TicketOutcome::SolvedQuickly),
            count(TicketOutcome::SolvedSlowly),
            count(TicketOutcome::Waiting)
        ));
    }
    let asked = e.requests_shipped + e.requests_open;
    if asked > 0 {
        parts.push((f64::from(e.requests_shipped * 100 / asked), 1.0));
        facts.push(format!(
            "{} of their {} shipped",
            e.requests_shipped,
            plural(asked, "request", "requests")
        ));
    }
    if parts.is_empty() {
        return None;
    }
    let weight: f64 = parts.iter().map(|(_, w)| w).sum();
    let value = parts.iter().map(|(v, w)| v * w).sum::<f64>() / weight;
    Some(Score {
        value: value.round().clamp(0.0, 100.0) as u8,
        facts,
    })
}

fn influence(e: &Evidence) -> Score {
    let mut facts = Vec::new();
    let role = match e.role {
        Some(ContactRole::ExecSponsor) => 35,
        Some(ContactRole::DecisionMaker) => 35,
        Some(ContactRole::Champion) => 25,
        Some(ContactRole::Admin) => 10,
        Some(ContactRole::User) | None => 5,
    };
    facts.push(format!("{} (+{role})", e.role.map_or("no buying role", |r| r.label())));
    let level = level_of(e.title.as_deref(), e.role);
    let seniority = match level {
        ContactLevel::Executive => 30,
        ContactLevel::Manager => 20,
        ContactLevel::Practitioner => 5,
    };
    facts.push(format!("{} level (+{seniority})", level.label().to_lowercase()));
    let said = match e.influence {
        Some(Influence::High) => 25,
        Some(Influence::Medium) => 10,
        Some(Influence::Low) | None => 0,
    };
    if let Some(i) = e.influence {
        facts.push(format!("{} influence on record (+{said})", i.label().to_lowercase()));
    }
    let mut value: i32 = role + seniority + said;
    match e.will_own {
        Some(true) => {
            value += 10;
            facts.push("will own the relationship in 12 months (+10)".to_owned());
        }
        Some(false) => {
            // Someone who will not carry the relationship next year cannot be the one it rests
            // on, however senior: not a big bubble any more.
            value -= 35;
            facts.push("will not own the relationship in 12 months (−35)".to_owned());
        }
        None => {}
    }
    Score {
        value: u8::try_from(value.clamp(0, 100)).unwrap_or(0),
        facts,
    }
}

/// Whether a contact matters enough to be watched for leaving: a buying role that carries the
/// relationship, or high influence on record.
pub fn is_key(role: Option<ContactRole>, influence: Option<Influence>) -> bool {
    matches!(
        role,
        Some(ContactRole::Champion | ContactRole::DecisionMaker | ContactRole::ExecSponsor)
    ) || influence == Some(Influence::High)
}

/// What says whether a contact is still there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Whereabouts {
    /// Marked as left, on this day.
    pub marked_left_on: Option<NaiveDate>,
    /// Their last product use, survey answer, meeting or ticket.
    pub last_activity: Option<NaiveDate>,
    /// When the contact was added (quiet since then if never active).
    pub added_on: NaiveDate,
    /// The latest bounce of an email to their address.
    pub bounced_on: Option<NaiveDate>,
    /// Someone added since their last activity in the same role at the same account.
    pub successor: Option<String>,
}

/// Why Lodestar thinks a contact left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Departure {
    /// Someone marked them as left.
    Marked { on: NaiveDate },
    /// No activity for a while and a sign they moved on.
    Inferred { since: NaiveDate, reason: String },
}

impl Departure {
    pub fn describe(&self) -> String {
        match self {
            Departure::Marked { on } => format!("marked as left on {on}"),
            Departure::Inferred { reason, .. } => format!("probably left: {reason}"),
        }
    }

    /// The day that names this departure (it fires a trigger once).
    pub fn day(&self) -> NaiveDate {
        match self {
            Departure::Marked { on } => *on,
            Departure::Inferred { since, .. } => *since,
        }
    }
}

/// Whether a contact left, as of `today`: marked, or quiet for [`QUIET_DAYS`] with an email to
/// them bounced since, or someone new in their role since they went quiet.
pub fn departure(w: &Whereabouts, today: NaiveDate) -> Option<Departure> {
    if let Some(on) = w.marked_left_on {
        return Some(Departure::Marked { on });
    }
    let since = w.last_activity.unwrap_or(w.added_on);
    let quiet_days = (today - since).num_days();
    if quiet_days < QUIET_DAYS {
        return None;
    }
    let quiet = match w.last_activity {
        Some(day) => format!("no activity since {day}"),
        None => format!("no activity since they were added on {}", w.added_on),
    };
    if let Some(bounced) = w.bounced_on.filter(|b| *b >= since) {
        return Some(Departure::Inferred {
            since,
            reason: format!("{quiet}, and an email to them bounced on {bounced}"),
        });
    }
    w.successor.as_ref().map(|who| Departure::Inferred {
        since,
        reason: format!("{quiet}, and {who} has since been added in the same role"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn vp() -> Evidence {
        Evidence {
            role: Some(ContactRole::DecisionMaker),
            title: Some("VP Operations".into()),
            influence: Some(Influence::High),
            ..Evidence::default()
        }
    }

    #[test]
    fn engagement_adds_product_use_surveys_meetings_and_tickets_each_capped() {
        let e = Evidence {
            active_days: 6,
            answers: vec![9.0],
            meetings: 5,
            tickets: 40,
            ..Evidence::default()
        };
        let score = ChampionHealth::of(&e).engagement;
        // 6/12 of 40, 1/2 of 20, capped 25, capped 15.
        assert_eq!(score.value, 20 + 10 + 25 + 15);
        assert_eq!(score.facts[0], "used the product on 6 days of the last 30 (+20)");
        assert_eq!(score.facts[3], "opened 40 tickets in the last 90 days (+15)");
        assert_eq!(ChampionHealth::of(&Evidence::default()).engagement.value, 0);
    }

    #[test]
    fn delight_weighs_what_they_say_twice_and_is_unknown_without_evidence() {
        assert_eq!(ChampionHealth::of(&Evidence::default()).delight, None);
        assert_eq!(ChampionHealth::of(&Evidence::default()).quadrant, None);
        let e = Evidence {
            answers: vec![9.0, 7.0],
            ticket_outcomes: vec![TicketOutcome::SolvedQuickly, TicketOutcome::Waiting],
            requests_shipped: 0,
            requests_open: 2,
            ..Evidence::default()
        };
        let d = ChampionHealth::of(&e).delight.unwrap();
        // (80 × 2 + 50 + 0) / 4
        assert_eq!(d.value, 53);
        assert_eq!(
            d.facts,
            [
                "survey answers average 8.0 of 10 over 2 answers",
                "tickets: 1 solved within two days, 0 solved later, 1 waiting over a week",
                "0 of their 2 requests shipped"
            ]
        );
    }

    #[test]
    fn ticket_outcomes_wait_a_week_before_judging_an_open_ticket() {
        let today = day("2026-12-01");
        assert_eq!(
            TicketOutcome::of(day("2026-11-20"), Some(day("2026-11-22")), today),
            Some(TicketOutcome::SolvedQuickly)
        );
        assert_eq!(
            TicketOutcome::of(day("2026-11-20"), Some(day("2026-11-23")), today),
            Some(TicketOutcome::SolvedSlowly)
        );
        assert_eq!(TicketOutcome::of(day("2026-11-25"), None, today), None);
        assert_eq!(
            TicketOutcome::of(day("2026-11-23"), None, today),
            Some(TicketOutcome::Waiting)
        );
    }

    #[test]
    fn influence_comes_from_role_seniority_the_record_and_who_owns_the_relationship_next_year() {
        let score = ChampionHealth::of(&vp()).influence;
        assert_eq!(score.value, 35 + 30 + 25);
        let leaving = Evidence {
            will_own: Some(false),
            ..vp()
        };
        assert_eq!(ChampionHealth::of(&leaving).influence.value, 90 - 35);
        assert!(ChampionHealth::of(&leaving).influence.value < HIGH_INFLUENCE);
        let user = Evidence {
            role: Some(ContactRole::User),
            title: Some("Analyst".into()),
            ..Evidence::default()
        };
        let score = ChampionHealth::of(&user).influence;
        assert_eq!(score.value, 10);
        assert_eq!(score.facts, ["User (+5)", "practitioner level (+5)"]);
    }

    #[test]
    fn a_high_influence_contact_who_cares_but_dislikes_needs_attention() {
        let unhappy_vp = Evidence {
            active_days: 12,
            meetings: 2,
            answers: vec![2.0],
            ..vp()
        };
        let health = ChampionHealth::of(&unhappy_vp);
        assert_eq!(health.quadrant, Some(Quadrant::CaresDislikes));
        assert!(health.needs_attention());
        let unhappy_user = Evidence {
            role: Some(ContactRole::User),
            title: None,
            influence: None,
            ..unhappy_vp.clone()
        };
        let health = ChampionHealth::of(&unhappy_user);
        assert_eq!(health.quadrant, Some(Quadrant::CaresDislikes));
        assert!(!health.needs_attention(), "a small bubble is not an alert");
        let happy = Evidence {
            answers: vec![10.0],
            ..unhappy_vp
        };
        assert_eq!(ChampionHealth::of(&happy).quadrant, Some(Quadrant::Champion));
        assert!(!ChampionHealth::of(&happy).needs_attention());
    }

    #[test]
    fn quadrants_split_at_the_middle() {
        assert_eq!(Quadrant::of(50, 50), Quadrant::Champion);
        assert_eq!(Quadrant::of(50, 49), Quadrant::CaresDislikes);
        assert_eq!(Quadrant::of(49, 50), Quadrant::DistantFan);
        assert_eq!(Quadrant::of(0, 0), Quadrant::Disengaged);
    }

    #[test]
    fn a_champion_left_when_marked_or_quiet_with_a_bounce_or_a_successor() {
        let today = day("2026-12-01");
        let quiet = Whereabouts {
            last_activity: Some(day("2026-09-01")),
            added_on: day("2025-01-01"),
            ..Whereabouts::default()
        };
        assert_eq!(departure(&quiet, today), None, "quiet alone is not leaving");
        let bounced = Whereabouts {
            bounced_on: Some(day("2026-11-02")),
            ..quiet.clone()
        };
        assert_eq!(
            departure(&bounced, today),
            Some(Departure::Inferred {
                since: day("2026-09-01"),
                reason: "no activity since 2026-09-01, and an email to them bounced on 2026-11-02".into()
            })
        );
        let old_bounce = Whereabouts {
            bounced_on: Some(day("2026-08-01")),
            ..quiet.clone()
        };
        assert_eq!(
            departure(&old_bounce, today),
            None,
            "a bounce before they went quiet says nothing"
        );
        let replaced = Whereabouts {
            successor: Some("Kim Lee".into()),
            ..quiet.clone()
        };
        assert!(
            departure(&replaced, today)
                .unwrap()
                .describe()
                .ends_with("Kim Lee has since been added in the same role")
        );
        let recent = Whereabouts {
            last_activity: Some(day("2026-11-01")),
            bounced_on: Some(day("2026-11-20")),
            ..quiet.clone()
        };
        assert_eq!(departure(&recent, today), None, "active 30 days ago");
        let marked = Whereabouts {
            marked_left_on: Some(day("2026-11-30")),
            ..recent
        };
        assert_eq!(
            departure(&marked, today),
            Some(Departure::Marked { on: day("2026-11-30") })
        );
    }

    #[test]
    fn key_contacts_carry_the_relationship() {
        assert!(is_key(Some(ContactRole::Champion), None));
        assert!(is_key(Some(ContactRole::User), Some(Influence::High)));
        assert!(!is_key(Some(ContactRole::Admin), Some(Influence::Medium)));
    }
}
