//! Today (F-50): one ranked list of what matters today, instead of noise. Each line has a reason
//! (why it is there) and a score; the list is sorted by score, highest first.
//!
//! ## The formula
//!
//! `score = base(reason) × urgency(reason) × value(ARR) × risk(band)`
//!
//! - `base` says how much a kind of work matters when everything else is equal: a meeting today
//!   50, a promise of ours overdue 40, an account turning red 35, a renewal coming up 30, a task
//!   of mine due 30, a red account nobody has touched 25, usage falling 20, a customer's promise
//!   overdue 20 (ours come first: we can keep our word, we can only chase theirs), a milestone
//!   missed 15.
//! - `urgency` grows with lateness and closeness, capped so that nothing old drowns the rest:
//!   overdue items `1 + min(days late, 30) / 10` (up to 4×); a renewal `1 + (90 − days left) / 30`
//!   (1× at 90 days, 4× on the day); a red account untouched `1 + min(days − N, 60) / 30`; usage
//!   falling `1 + drop share × 2`; the rest 1.
//! - `value = 1 + log10(1 + ARR / $1,000)`: $0 → 1, $10k → 2.0, $100k → 3.0, $1M → 4.0 — a
//!   bigger account matters more, but not so much that small ones never surface.
//! - `risk`: red 2.0, yellow 1.4, green 1.0, not yet scored 1.2.

use chrono::NaiveDate;

use crate::health::Band;
use crate::money::Cents;

/// How long a red account may go without a meeting or a note before Today says so.
pub const UNTOUCHED_DAYS: i64 = 14;
/// How far ahead renewals show.
pub const RENEWAL_HORIZON_DAYS: i64 = 90;

/// Why a line is on the list, with the facts its score uses.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    MeetingToday {
        title: String,
        starts: String,
    },
    OurPromiseOverdue {
        description: String,
        days_late: i64,
    },
    TheirPromiseOverdue {
        description: String,
        owner: String,
        days_late: i64,
    },
    TurnedRed {
        on: NaiveDate,
    },
    RenewalComing {
        on: NaiveDate,
        days_left: i64,
    },
    TaskDue {
        title: String,
        days_late: i64,
    },
    RedUntouched {
        days_since_touch: Option<i64>,
    },
    UsageFalling {
        drop_share: f64,
    },
    MilestoneMissed {
        milestone: String,
    },
}

impl Reason {
    /// What kind of work this is, for the score's `base` and for grouping.
    pub fn base(&self) -> f64 {
        match self {
            Reason::MeetingToday { .. } => 50.0,
            Reason::OurPromiseOverdue { .. } => 40.0,
            Reason::TurnedRed { .. } => 35.0,
            Reason::RenewalComing { .. } | Reason::TaskDue { .. } => 30.0,
            Reason::RedUntouched { .. } => 25.0,
            Reason::UsageFalling { .. } | Reason::TheirPromiseOverdue { .. } => 20.0,
            Reason::MilestoneMissed { .. } => 15.0,
        }
    }

    pub fn urgency(&self) -> f64 {
        let late = |days: i64| 1.0 + days.clamp(0, 30) as f64 / 10.0;
        match self {
            Reason::OurPromiseOverdue { days_late, .. }
            | Reason::TheirPromiseOverdue { days_late, .. }
            | Reason::TaskDue { days_late, .. } => late(*days_late),
            Reason::RenewalComing { days_left, .. } => {
                1.0 + (RENEWAL_HORIZON_DAYS - days_left.clamp(&0, &RENEWAL_HORIZON_DAYS)) as f64 / 30.0
            }
            Reason::RedUntouched { days_since_touch } => {
                let beyond = days_since_touch.map_or(60, |d| d - UNTOUCHED_DAYS);
                1.0 + beyond.clamp(0, 60) as f64 / 30.0
            }
            Reason::UsageFalling { drop_share } => 1.0 + drop_share.clamp(0.0, 1.0) * 2.0,
            Reason::MeetingToday { .. } | Reason::TurnedRed { .. } | Reason::MilestoneMissed { .. } => 1.0,
        }
    }

    /// The line's "why", in words.
    pub fn explain(&self) -> String {
        let days = |n: i64| {
            if n == 1 {
                "1 day".to_string()
            } else {
                format!("{n} days")
            }
        };
        match self {
            Reason::MeetingToday { title, starts } => format!("Meeting today at {starts}: {title}"),
            Reason::OurPromiseOverdue { description, days_late } => {
                format!("Our promise is {} overdue: {description}", days(*days_late))
            }
            Reason::TheirPromiseOverdue {
                description,
                owner,
                days_late,
            } => format!("{owner}'s promise is {} overdue: {description}", days(*days_late)),
            Reason::TurnedRed { on } => format!("Health turned red on {on}"),
            Reason::RenewalComing { on, days_left } => format!("Renews on {on}, in {}", days(*days_left)),
            Reason::TaskDue { title, days_late: 0 } => format!("Task due today: {title}"),
            Reason::TaskDue { title, days_late } => format!("Task {} overdue: {title}", days(*days_late)),
            Reason::RedUntouched {
                days_since_touch: Some(d),
            } => format!("Red, and no meeting or note for {}", days(*d)),
            Reason::RedUntouched { days_since_touch: None } => "Red, and no meeting or note ever logged".into(),
            Reason::UsageFalling { drop_share } => {
                format!("Usage fell {:.0}% week on week", drop_share * 100.0)
            }
            Reason::MilestoneMissed { milestone } => format!("Missed the milestone \"{milestone}\""),
        }
    }
}

/// `1 + log10(1 + ARR / $1,000)`.
pub fn value(arr: Cents) -> f64 {
    let thousands = (arr.0.max(0) as f64) / 100_000.0;
    1.0 + (1.0 + thousands).log10()
}

pub fn risk(band: Option<Band>) -> f64 {
    match band {
        Some(Band::Red) => 2.0,
        Some(Band::Yellow) => 1.4,
        Some(Band::Green) => 1.0,
        None => 1.2,
    }
}

/// The score of one line: `base × urgency × value × risk`.
pub fn score(reason: &Reason, arr: Cents, band: Option<Band>) -> f64 {
    reason.base() * reason.urgency() * value(arr) * risk(band)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dollars(d: i64) -> Cents {
        Cents(d * 100)
    }

    fn overdue(ours: bool, days_late: i64) -> Reason {
        if ours {
            Reason::OurPromiseOverdue {
                description: "Send the deck".into(),
                days_late,
            }
        } else {
            Reason::TheirPromiseOverdue {
                description: "Share the user list".into(),
                owner: "Dana".into(),
                days_late,
            }
        }
    }

    #[test]
    fn value_grows_with_arr_by_orders_of_magnitude() {
        assert_eq!(value(Cents(0)), 1.0);
        assert!((value(dollars(9_000)) - 2.0).abs() < 1e-9);
        assert!((value(dollars(99_000)) - 3.0).abs() < 1e-9);
        assert!((value(dollars(999_000)) - 4.0).abs() < 1e-9);
    }

    #[test]
    fn our_overdue_promises_come_before_theirs() {
        let arr = dollars(50_000);
        let ours = score(&overdue(true, 3), arr, Some(Band::Green));
        let theirs = score(&overdue(false, 3), arr, Some(Band::Green));
        assert!(ours > theirs);
        // Exactly twice: same urgency, base 40 against 20.
        assert!((ours / theirs - 2.0).abs() < 1e-9);
    }

    #[test]
    fn lateness_raises_urgency_up_to_a_cap() {
        assert_eq!(overdue(true, 0).urgency(), 1.0);
        assert_eq!(overdue(true, 10).urgency(), 2.0);
        assert_eq!(overdue(true, 30).urgency(), 4.0);
        assert_eq!(overdue(true, 300).urgency(), 4.0);
    }

    #[test]
    fn a_closer_renewal_a_bigger_account_and_a_red_band_rank_higher() {
        let renewal = |days_left| Reason::RenewalComing {
            on: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            days_left,
        };
        let arr = dollars(100_000);
        assert!(score(&renewal(10), arr, None) > score(&renewal(80), arr, None));
        assert_eq!(renewal(90).urgency(), 1.0);
        assert_eq!(renewal(0).urgency(), 4.0);
        assert!(score(&renewal(30), dollars(500_000), None) > score(&renewal(30), dollars(20_000), None));
        assert!(score(&renewal(30), arr, Some(Band::Red)) > score(&renewal(30), arr, Some(Band::Yellow)));
        assert!(score(&renewal(30), arr, Some(Band::Yellow)) > score(&renewal(30), arr, Some(Band::Green)));
    }

    #[test]
    fn the_formula_is_the_product_of_its_four_parts() {
        // A red $99k account whose renewal is 30 days away: 30 × (1 + 60/30) × 3 × 2 = 540.
        let r = Reason::RenewalComing {
            on: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            days_left: 30,
        };
        assert!((score(&r, dollars(99_000), Some(Band::Red)) - 540.0).abs() < 1e-9);
        // A meeting today on a green account without ARR: 50.
        let m = Reason::MeetingToday {
            title: "Kickoff".into(),
            starts: "10:00".into(),
        };
        assert_eq!(score(&m, Cents(0), Some(Band::Green)), 50.0);
    }

    #[test]
    fn untouched_red_accounts_grow_more_urgent_with_silence() {
        let quiet = |d| Reason::RedUntouched { days_since_touch: d };
        assert_eq!(quiet(Some(UNTOUCHED_DAYS)).urgency(), 1.0);
        assert_eq!(quiet(Some(UNTOUCHED_DAYS + 30)).urgency(), 2.0);
        assert_eq!(quiet(None).urgency(), 3.0);
    }

    #[test]
    fn every_reason_explains_itself() {
        assert_eq!(
            overdue(true, 1).explain(),
            "Our promise is 1 day overdue: Send the deck"
        );
        assert_eq!(
            overdue(false, 4).explain(),
            "Dana's promise is 4 days overdue: Share the user list"
        );
        assert_eq!(
            Reason::UsageFalling { drop_share: 0.42 }.explain(),
            "Usage fell 42% week on week"
        );
    }
}
