//! QBRs, EBRs and check-ins (F-35): the cadence of a review (which experience level entitles an
//! account to which is `experience`), the agenda a review is
//! held on — the customer's goals and plan, the contract and the CSM's gut-check of the
//! renewal, usage against peers of the same segment, recommendations — whether a senior
//! sponsor attends, and the pack the customer keeps afterwards.
//!
//! Seed 001: a QBR is about the customer's outcomes, not a slide show; seed 002: hold it with
//! someone who decides, and send what was agreed to the people who were there.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::vocabulary::{ContactRole, Level, MeetingKind, RenewalOutlook};

/// The meeting kinds a cadence can ask for.
pub const REVIEW_KINDS: [MeetingKind; 3] = [MeetingKind::Qbr, MeetingKind::Ebr, MeetingKind::CheckIn];

/// The shortest and longest time a cadence allows between two reviews.
pub const CADENCE_DAYS: std::ops::RangeInclusive<u32> = 7..=366;

/// One review an experience level entitles its accounts to: which kind, and how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cadence {
    pub kind: MeetingKind,
    pub every_days: u32,
}

impl Cadence {
    /// The meetings that keep this cadence. A QBR and an EBR stand for each other; either
    /// also keeps a check-in cadence (it covers everything a check-in does, and more).
    pub fn kept_by(self) -> &'static [MeetingKind] {
        match self.kind {
            MeetingKind::CheckIn => &REVIEW_KINDS,
            _ => &[MeetingKind::Qbr, MeetingKind::Ebr],
        }
    }
}

/// Whether a meeting of `kind` is a review with an agenda (QBR, EBR, check-in).
pub fn is_review(kind: MeetingKind) -> bool {
    REVIEW_KINDS.contains(&kind)
}

/// Whether a meeting of `kind` needs a senior sponsor on the customer's side to be worth
/// holding (business reviews; a check-in does not).
pub fn needs_sponsor(kind: MeetingKind) -> bool {
    matches!(kind, MeetingKind::Qbr | MeetingKind::Ebr)
}

/// A contact senior enough for a business review: the executive sponsor, a decision maker, or
/// anyone of high influence.
pub fn is_senior(role: Option<ContactRole>, influence: Option<Level>) -> bool {
    matches!(role, Some(ContactRole::ExecSponsor | ContactRole::DecisionMaker)) || influence == Some(Level::High)
}

/// Where `value` stands among `peers` (which include it), 0–100: the share of peers below it,
/// counting ties as half below (the mid-rank, so equal values get equal ranks). `None` without
/// peers.
pub fn percentile_rank(value: f64, peers: &[f64]) -> Option<u8> {
    if peers.is_empty() {
        return None;
    }
    let below = peers.iter().filter(|p| **p < value).count() as f64;
    let equal = peers.iter().filter(|p| **p == value).count() as f64;
    let rank = 100.0 * (below + equal / 2.0) / peers.len() as f64;
    Some(rank.round().clamp(0.0, 100.0) as u8)
}

/// A percentile as people say it: 1st, 2nd, 3rd, 11th, 22nd, 93rd.
pub fn ordinal(n: u8) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Below this percentile a usage figure is a talking point.
pub const LOW_PERCENTILE: u8 = 25;

/// One of the customer's goals as the review discusses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaGoal {
    pub title: String,
    /// Metric, baseline → target by due date.
    pub measure: String,
    pub status: String,
    /// The parts of its ecosystem below expectations, named with their kind.
    pub below: Vec<String>,
    /// The value received so far, in words.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaTactic {
    pub title: String,
    pub due_on: Option<NaiveDate>,
}

/// The success plan as the review discusses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaPlan {
    pub title: String,
    pub version: i64,
    pub state: String,
    pub approved: bool,
    pub active: Vec<AgendaTactic>,
    pub done: Vec<AgendaTactic>,
}

/// The contract and renewal gut-check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractCheck {
    /// Current ARR, as money is shown.
    pub arr: String,
    pub renewal_date: Option<NaiveDate>,
    pub days_to_renewal: Option<i64>,
    pub health_score: Option<u32>,
    /// Red, yellow or green.
    pub health_band: Option<String>,
    /// The CSM's gut-check, when written.
    pub outlook: Option<RenewalOutlook>,
    pub outlook_note: String,
}

/// One usage figure of the account beside its peers'.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerMetric {
    pub label: String,
    pub value: f64,
    /// The value as shown ("1,204", "12.5").
    pub shown: String,
    /// Where the account stands among its peers, 0–100.
    pub percentile: Option<u8>,
    /// The peers' median.
    pub peer_median: f64,
    pub median_shown: String,
}

impl PeerMetric {
    /// Its percentile as people say it ("93rd"), or a dash without peers.
    pub fn percentile_said(&self) -> String {
        self.percentile.map_or_else(|| "—".to_owned(), ordinal)
    }
}

/// Usage over the last four weeks against the accounts of the same segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerUsage {
    /// The segment compared with ("Strategic", or "All accounts" for an account with no tier).
    pub segment: String,
    /// Accounts compared with, the account included.
    pub peers: usize,
    pub metrics: Vec<PeerMetric>,
}

/// A person at the review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaAttendee {
    pub name: String,
    /// From the customer's side (a contact), not ours.
    pub customer: bool,
    /// Their role at the customer.
    pub role: Option<String>,
    pub senior: bool,
}

/// Everything a review is held on, assembled from the account's records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agenda {
    pub account_name: String,
    pub title: String,
    pub kind: MeetingKind,
    pub starts_at: DateTime<Utc>,
    pub attendees: Vec<AgendaAttendee>,
    pub goals: Vec<AgendaGoal>,
    pub plan: Option<AgendaPlan>,
    pub contract: ContractCheck,
    pub usage: PeerUsage,
    /// What to bring up, the most pressing first.
    pub recommendations: Vec<String>,
}

impl Agenda {
    /// A business review with no senior person of the customer's invited: worth rescheduling
    /// until one comes (or inviting one).
    pub fn sponsor_missing(&self) -> bool {
        needs_sponsor(self.kind) && !self.attendees.iter().any(|a| a.customer && a.senior)
    }

    /// What the CSM should bring to this review, the most pressing first, from the facts
    /// assembled; `library` holds tactics the playbook library recommends for the segment
    /// that the plan does not use yet.
    pub fn recommend(&mut self, library: &[String]) {
        let mut out = Vec::new();
        if self.sponsor_missing() {
            out.push(
                "No senior sponsor of the customer is invited: invite their executive sponsor or a decision maker, or reschedule"
                    .to_owned(),
            );
        }
        if let (Some(days), Some(date)) = (self.contract.days_to_renewal, self.contract.renewal_date)
            && (0..=120).contains(&days)
        {
            out.push(format!(
                "The renewal is on {date} ({days} days away): confirm who decides and the timeline"
            ));
        }
        if self.contract.outlook == Some(RenewalOutlook::AtRisk) {
            out.push("Your gut-check says the renewal is at risk: agree a recovery plan with the sponsor".to_owned());
        }
        for goal in &self.goals {
            if !goal.below.is_empty() {
                out.push(format!(
                    "Goal \"{}\" is at risk: {} below expectations; agree what fixes it",
                    goal.title,
                    goal.below.join(", ")
                ));
            }
        }
        match &self.plan {
            None => out.push("There is no success plan: write one with the customer in this meeting".to_owned()),
            Some(plan) if !plan.approved => out.push(format!(
                "The success plan (version {}) is not approved: walk through it and ask for sign-off",
                plan.version
            )),
            Some(_) => {}
        }
        if self.goals.is_empty() {
            out.push("No goals are recorded: ask what outcomes they want and how they measure them".to_owned());
        }
        let low: Vec<String> = self
            .usage
            .metrics
            .iter()
            .filter(|m| m.percentile.is_some_and(|p| p < LOW_PERCENTILE))
            .map(|m| {
                format!(
                    "{} ({} against a median of {})",
                    m.label.to_lowercase(),
                    m.shown,
                    m.median_shown
                )
            })
            .collect();
        if !low.is_empty() {
            out.push(format!(
                "Usage is in the bottom quarter of {} peers on {}: propose an adoption session",
                self.usage.segment,
                low.join("; ")
            ));
        }
        let room = self.plan.as_ref().map_or(crate::plan::MAX_ACTIVE_TACTICS, |p| {
            crate::plan::MAX_ACTIVE_TACTICS.saturating_sub(p.active.len())
        });
        if room > 0
            && let Some(tactic) = library.first()
        {
            out.push(format!(
                "The playbook library recommends \"{tactic}\" for this segment: consider it for the plan"
            ));
        }
        if self.contract.health_band.as_deref() == Some("red") {
            out.push("Health is red: open with what changed and what you will do about it".to_owned());
        }
        self.recommendations = out;
    }
}

/// A usage figure as shown: whole numbers with thousands separators, others to one decimal.
pub fn shown_figure(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        let sign = if value < 0.0 { "-" } else { "" };
        format!("{sign}{}", crate::money::grouped(value.abs() as u64))
    } else {
        format!("{value:.1}")
    }
}

/// A promise made at the review, as the pack lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackPromise {
    /// Who keeps it: a person of ours or of the customer's.
    pub owner: String,
    pub ours: bool,
    pub text: String,
    pub due_on: Option<NaiveDate>,
}

/// The QBR pack: what the customer keeps after the review — one printable page. It holds only
/// what is meant for the customer: their goals, the plan, usage against peers, the renewal
/// date, the summary and the promises of both sides; never the CSM's gut-check, the health
/// score or the internal recommendations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QbrPack {
    pub account_name: String,
    pub title: String,
    pub kind: MeetingKind,
    /// The day it was held, in the meeting's zone.
    pub held_on: NaiveDate,
    pub attendees: Vec<String>,
    pub goals: Vec<AgendaGoal>,
    pub plan: Option<AgendaPlan>,
    pub renewal_date: Option<NaiveDate>,
    pub usage: PeerUsage,
    /// Markdown, written by the CSM after the meeting.
    pub summary: String,
    pub promises: Vec<PackPromise>,
}

impl QbrPack {
    pub fn of(agenda: &Agenda, held_on: NaiveDate, summary: String, promises: Vec<PackPromise>) -> QbrPack {
        QbrPack {
            account_name: agenda.account_name.clone(),
            title: agenda.title.clone(),
            kind: agenda.kind,
            held_on,
            attendees: agenda.attendees.iter().map(|a| a.name.clone()).collect(),
            goals: agenda.goals.clone(),
            plan: agenda.plan.clone(),
            renewal_date: agenda.contract.renewal_date,
            usage: agenda.usage.clone(),
            summary,
            promises,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn agenda() -> Agenda {
        Agenda {
            account_name: "Northwind".into(),
            title: "Q4 business review".into(),
            kind: MeetingKind::Qbr,
            starts_at: Utc.with_ymd_and_hms(2026, 12, 10, 15, 0, 0).unwrap(),
            attendees: vec![AgendaAttendee {
                name: "Ada Admin".into(),
                customer: true,
                role: Some("Admin".into()),
                senior: false,
            }],
            goals: vec![],
            plan: None,
            contract: ContractCheck {
                arr: "$120,000".into(),
                renewal_date: NaiveDate::from_ymd_opt(2027, 2, 1),
                days_to_renewal: Some(61),
                health_score: Some(35),
                health_band: Some("red".into()),
                outlook: Some(RenewalOutlook::AtRisk),
                outlook_note: "Sponsor left".into(),
            },
            usage: PeerUsage {
                segment: "Strategic".into(),
                peers: 8,
                metrics: vec![PeerMetric {
                    label: "Events".into(),
                    value: 10.0,
                    shown: "10".into(),
                    percentile: Some(6),
                    peer_median: 1200.0,
                    median_shown: "1,200".into(),
                }],
            },
            recommendations: vec![],
        }
    }

    #[test]
    fn a_qbr_keeps_a_check_in_cadence_but_not_the_reverse() {
        let check_ins = Cadence {
            kind: MeetingKind::CheckIn,
            every_days: 60,
        };
        assert!(check_ins.kept_by().contains(&MeetingKind::Qbr));
        let qbrs = Cadence {
            kind: MeetingKind::Qbr,
            ..check_ins
        };
        assert!(qbrs.kept_by().contains(&MeetingKind::Ebr));
        assert!(!qbrs.kept_by().contains(&MeetingKind::CheckIn));
    }

    #[test]
    fn seniority_is_the_role_or_high_influence() {
        assert!(is_senior(Some(ContactRole::ExecSponsor), None));
        assert!(is_senior(Some(ContactRole::DecisionMaker), Some(Level::Low)));
        assert!(is_senior(Some(ContactRole::User), Some(Level::High)));
        assert!(!is_senior(Some(ContactRole::Champion), Some(Level::Medium)));
        assert!(!is_senior(None, None));
    }

    #[test]
    fn percentile_ranks_count_ties_as_half() {
        let peers = [1.0, 2.0, 2.0, 3.0, 10.0];
        assert_eq!(percentile_rank(1.0, &peers), Some(10));
        assert_eq!(percentile_rank(2.0, &peers), Some(40));
        assert_eq!(percentile_rank(10.0, &peers), Some(90));
        assert_eq!(percentile_rank(5.0, &[5.0]), Some(50));
        assert_eq!(percentile_rank(5.0, &[]), None);
    }

    #[test]
    fn a_qbr_without_a_senior_customer_is_flagged_and_a_check_in_is_not() {
        let mut a = agenda();
        assert!(a.sponsor_missing());
        a.attendees.push(AgendaAttendee {
            name: "Sam Sponsor".into(),
            customer: true,
            role: Some("Executive sponsor".into()),
            senior: true,
        });
        assert!(!a.sponsor_missing());
        let mut c = agenda();
        c.kind = MeetingKind::CheckIn;
        assert!(!c.sponsor_missing());
        // A senior person of ours does not count.
        let mut ours = agenda();
        ours.attendees[0].customer = false;
        ours.attendees[0].senior = true;
        assert!(ours.sponsor_missing());
    }

    #[test]
    fn recommendations_follow_the_facts() {
        let mut a = agenda();
        a.recommend(&["Executive dashboard".into()]);
        let text = a.recommendations.join("\n");
        assert!(a.recommendations[0].starts_with("No senior sponsor"), "{text}");
        assert!(text.contains("2027-02-01 (61 days away)"), "{text}");
        assert!(text.contains("gut-check says the renewal is at risk"), "{text}");
        assert!(text.contains("no success plan"), "{text}");
        assert!(
            text.contains("bottom quarter of Strategic peers on events (10 against a median of 1,200): propose"),
            "{text}"
        );
        assert!(text.contains("\"Executive dashboard\""), "{text}");
        assert!(text.contains("Health is red"), "{text}");

        // A healthy account with an approved, full plan and far renewal has little to raise.
        let mut calm = agenda();
        calm.kind = MeetingKind::CheckIn;
        calm.contract.days_to_renewal = Some(300);
        calm.contract.outlook = Some(RenewalOutlook::Likely);
        calm.contract.health_band = Some("green".into());
        calm.usage.metrics[0].percentile = Some(70);
        calm.goals.push(AgendaGoal {
            title: "Faster onboarding".into(),
            measure: "Days: 20 → 10 by 2027-03-01".into(),
            status: "In progress".into(),
            below: vec![],
            value: "None yet".into(),
        });
        let tactic = AgendaTactic {
            title: "SSO".into(),
            due_on: None,
        };
        calm.plan = Some(AgendaPlan {
            title: "Plan".into(),
            version: 2,
            state: "Approved".into(),
            approved: true,
            active: vec![tactic.clone(), tactic.clone(), tactic],
            done: vec![],
        });
        calm.recommend(&["Executive dashboard".into()]);
        assert!(calm.recommendations.is_empty(), "{:?}", calm.recommendations);
    }

    #[test]
    fn the_pack_leaves_out_what_is_internal() {
        let a = agenda();
        let pack = QbrPack::of(
            &a,
            NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            "We agreed".into(),
            vec![],
        );
        let json = serde_json::to_string(&pack).unwrap();
        assert!(!json.contains("Sponsor left"), "{json}");
        assert!(!json.contains("at_risk"), "{json}");
        assert!(!json.contains("red"), "{json}");
        assert_eq!(pack.renewal_date, NaiveDate::from_ymd_opt(2027, 2, 1));
    }

    #[test]
    fn ordinals_read_as_people_say_them() {
        let said: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 93, 100]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            said,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "93rd", "100th"
            ]
        );
    }

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(shown_figure(1204.0), "1,204");
        assert_eq!(shown_figure(1_000_000.0), "1,000,000");
        assert_eq!(shown_figure(12.5), "12.5");
        assert_eq!(shown_figure(0.0), "0");
    }
}
