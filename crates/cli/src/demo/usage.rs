//! Demo product usage: about 180 days of Segment-style events for the demo accounts, stored
//! through the bulk import path (`lodestar import events`), so rollups, milestones and first
//! value happen as they would for real.
//!
//! The people are the accounts' contacts with an email (identified by it, placed by a group
//! call). Each account follows one story: growing, steady, declining (the accounts the
//! falling-usage view should catch) or never activated (it never reaches first value).
//! Activity has a weekly rhythm: weekdays busy, weekends quiet. Accounts launched before the
//! window also get the milestone behaviours just after their launch, as their history.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc, Weekday};
use lodestar_domain::AccountId;
use lodestar_domain::account::Account;
use lodestar_domain::contact::Contact;
use lodestar_domain::milestone::{MilestoneFields, Threshold};
use lodestar_domain::text::Name;
use lodestar_domain::usage::Message;
use lodestar_domain::vocabulary::LifecycleStage;
use lodestar_store::{Dataset, IngestSummary, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Only this many accounts get usage, so a 100,000-account demo stays quick to load.
pub const MAX_ACCOUNTS_WITH_USAGE: usize = 1000;
const DAYS: u64 = 180;
const MAX_PEOPLE: usize = 5;

const FIRST_VALUE: &str = "Integration Connected";
const EXPORT: &str = "Report Exported";
const SIGN_IN: &str = "Signed In";
/// Everyday features and their weights.
const FEATURES: [(&str, u32); 8] = [
    (SIGN_IN, 30),
    ("Dashboard Viewed", 25),
    (EXPORT, 10),
    ("Alert Created", 8),
    ("Comment Added", 10),
    ("Workflow Run", 9),
    ("User Invited", 3),
    ("Search Performed", 5),
];

/// The milestones the demo defines.
pub fn milestones() -> Vec<MilestoneFields> {
    let name = |n: &str| Name::parse(n).expect("a valid name");
    vec![
        MilestoneFields {
            name: name("Connected a data source"),
            feature: FIRST_VALUE.into(),
            threshold: Threshold::Times(1),
            within_days: 90,
            first_value: true,
        },
        MilestoneFields {
            name: name("Exported five reports"),
            feature: EXPORT.into(),
            threshold: Threshold::Times(5),
            within_days: 120,
            first_value: false,
        },
        MilestoneFields {
            name: name("Three people signed in"),
            feature: SIGN_IN.into(),
            threshold: Threshold::People(3),
            within_days: 60,
            first_value: false,
        },
    ]
}

#[derive(Clone, Copy)]
enum Story {
    Growing,
    Steady,
    Declining,
    NeverActivated,
}

impl Story {
    /// How likely a person is to be active on a weekday, `t` of the way through the window.
    fn activity(self, t: f64) -> f64 {
        match self {
            Story::Growing => 0.15 + 0.40 * t,
            Story::Steady => 0.45,
            // Falls hard in the last month, so the four-week comparison catches it.
            Story::Declining => {
                if t < 0.8 {
                    0.45
                } else {
                    0.45 * (1.0 - (t - 0.8) * 4.5).max(0.03)
                }
            }
            Story::NeverActivated => 0.03,
        }
    }
}

struct Writer {
    messages: Vec<Message>,
    received_at: DateTime<Utc>,
    /// Message ids run across the whole demo.
    next_id: usize,
}

impl Writer {
    fn push(&mut self, json: serde_json::Value) {
        let id = format!("demo-{}", self.next_id);
        self.next_id += 1;
        let text = json.to_string();
        self.messages
            .push(Message::parse(&text, None, self.received_at, || id).expect("demo events follow the rules"));
    }

    /// The account's events so far, oldest first (its identify and group calls come first,
    /// so its events find the account at once), leaving the writer empty for the next.
    fn take(&mut self) -> Vec<Message> {
        let mut messages = std::mem::take(&mut self.messages);
        messages.sort_by_key(|m| m.occurred_at);
        messages
    }
}

fn at(day: NaiveDate, rng: &mut ChaCha8Rng) -> String {
    let time =
        NaiveTime::from_num_seconds_from_midnight_opt(rng.random_range(8 * 3600..19 * 3600), 0).expect("a time of day");
    format!("{}T{}Z", day, time.format("%H:%M:%S"))
}

/// The accounts that get usage (the first [`MAX_ACCOUNTS_WITH_USAGE`]) with their contacts,
/// kept from the data set's parts as they go by.
#[derive(Debug, Default)]
pub struct UsageAccounts {
    accounts: Vec<Account>,
    /// Their contacts, by account, in id order.
    contacts: BTreeMap<AccountId, Vec<Contact>>,
}

impl UsageAccounts {
    pub fn keep(&mut self, part: &Dataset) {
        let gets_usage = |id: AccountId| id.0 <= MAX_ACCOUNTS_WITH_USAGE as i64;
        self.accounts
            .extend(part.accounts.iter().filter(|a| gets_usage(a.id)).cloned());
        for contact in part.contacts.iter().filter(|c| gets_usage(c.fields.account_id)) {
            self.contacts
                .entry(contact.fields.account_id)
                .or_default()
                .push(contact.clone());
        }
    }

    /// The accounts that get usage: the best known of the demo book.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    pub fn account_ids(&self) -> Vec<AccountId> {
        self.accounts.iter().map(|a| a.id).collect()
    }
}

/// The demo events for the accounts that get usage, an account at a time (each oldest first),
/// made as they are read: the whole demo's events are never held at once.
pub fn events(data: &UsageAccounts, seed: u64, today: NaiveDate) -> impl Iterator<Item = Vec<Message>> + '_ {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5e6_3e47);
    let received_at = DateTime::<Utc>::from_naive_utc_and_offset(today.and_time(NaiveTime::MIN), Utc);
    let mut out = Writer {
        messages: Vec::new(),
        received_at,
        next_id: 0,
    };
    let start = today.checked_sub_days(Days::new(DAYS)).expect("a start day");
    let total_weight: u32 = FEATURES.iter().map(|(_, w)| w).sum();
    data.accounts.iter().filter_map(move |account| {
        let launch = account.fields.launch_date?;
        let group = account.fields.external_id.as_str();
        let people: Vec<(String, String)> = data
            .contacts
            .get(&account.id)
            .into_iter()
            .flatten()
            .filter(|c| c.fields.left_on.is_none())
            .filter_map(|c| {
                c.fields
                    .email
                    .as_ref()
                    .map(|e| (format!("u-{}", c.id.0), e.to_string()))
            })
            .take(MAX_PEOPLE)
            .collect();
        if people.is_empty() {
            return None;
        }
        let story = match rng.random_range(0..10) {
            0..3 => Story::Growing,
            3..8 => Story::Steady,
            8..9 => Story::Declining,
            _ => Story::NeverActivated,
        };
        let first_day = launch.max(start);
        for (user, email) in &people {
            out.push(
                serde_json::json!({"type": "identify", "userId": user, "traits": {"email": email},
                "timestamp": at(first_day, &mut rng)}),
            );
            out.push(serde_json::json!({"type": "group", "userId": user, "groupId": group,
                "timestamp": at(first_day, &mut rng)}));
        }
        if !matches!(story, Story::NeverActivated) {
            // The behaviours of a good start, shortly after go-live.
            let (user, _) = &people[0];
            let connected = account
                .fields
                .first_value_date
                .unwrap_or_else(|| launch + Days::new(rng.random_range(2..20)));
            out.push(
                serde_json::json!({"type": "track", "userId": user, "event": FIRST_VALUE,
                "context": {"groupId": group}, "timestamp": at(connected, &mut rng)}),
            );
            for i in 0..6 {
                let (user, _) = &people[i % people.len()];
                let day = connected + Days::new(rng.random_range(1..30));
                out.push(serde_json::json!({"type": "track", "userId": user, "event": EXPORT,
                    "context": {"groupId": group}, "timestamp": at(day, &mut rng)}));
            }
        }
        // A churned customer's people no longer come by.
        let last_day = if account.fields.lifecycle_stage == LifecycleStage::Churned {
            first_day
        } else {
            today
        };
        let mut day = first_day;
        while day < last_day {
            let t = (day - start).num_days() as f64 / DAYS as f64;
            let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            let chance = story.activity(t) * if weekend { 0.15 } else { 1.0 };
            for (user, _) in &people {
                if !rng.random_bool(chance.clamp(0.0, 1.0)) {
                    continue;
                }
                {
                    let mut pick = rng.random_range(0..total_weight);
                    let feature = FEATURES
                        .iter()
                        .find(|(_, w)| {
                            if pick < *w {
                                true
                            } else {
                                pick -= w;
                                false
                            }
                        })
                        .map(|(f, _)| *f)
                        .expect("weights cover the range");
                    out.push(serde_json::json!({"type": "track", "userId": user, "event": feature,
                        "context": {"groupId": group}, "timestamp": at(day, &mut rng)}));
                }
            }
            day = day.succ_opt().expect("a next day");
        }
        Some(out.take())
    })
}

/// Defines the demo milestones.
pub async fn create_milestones(store: &Store) -> anyhow::Result<()> {
    for m in milestones() {
        store
            .create_milestone(m.validate().expect("demo milestones are valid"))
            .await?;
    }
    Ok(())
}

/// Stores the events as one bulk import (`lodestar import events`'s path): one transaction,
/// whose rollups are written and whose accounts are settled (milestones, health) once, at
/// commit, instead of once per batch. Events are handed on 20,000 at a time, as they are made.
pub async fn load(store: &Store, events: impl Iterator<Item = Vec<Message>>) -> anyhow::Result<IngestSummary> {
    const BATCH: usize = 20_000;
    let mut import = store.begin_event_import().await?;
    let mut summary = IngestSummary::default();
    let mut batch: Vec<Message> = Vec::with_capacity(BATCH);
    for account in events {
        batch.extend(account);
        if batch.len() >= BATCH {
            summary.add(import.add(&batch).await?);
            batch.clear();
        }
    }
    if !batch.is_empty() {
        summary.add(import.add(&batch).await?);
    }
    import.commit().await?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoConfig, generate};
    use lodestar_domain::milestone::MilestoneStatus;
    use lodestar_store::testing::TestDb;

    #[tokio::test]
    async fn demo_usage_tells_growing_falling_and_never_activated_stories() {
        let today: NaiveDate = "2026-11-25".parse().unwrap();
        let config = DemoConfig {
            accounts: 120,
            seed: 9,
            today,
        };
        let data = generate(&config);
        let mut with_usage = UsageAccounts::default();
        with_usage.keep(&data);
        let events: Vec<Vec<Message>> = events(&with_usage, config.seed, today).collect();
        assert_eq!(
            events,
            super::events(&with_usage, config.seed, today).collect::<Vec<_>>(),
            "deterministic"
        );
        let accounts: Vec<_> = data
            .accounts
            .iter()
            .map(|a| (a.id, a.fields.external_id.clone()))
            .collect();
        let db = TestDb::sqlite().await;
        create_milestones(&db.store).await.unwrap();
        db.store.load_into_empty([data]).await.unwrap();
        let summary = load(&db.store, events.into_iter()).await.unwrap();
        assert!(summary.stored > 5_000, "{summary:?}");
        assert_eq!(summary.unmatched, 0, "every demo event finds its account");

        let drops = db.store.usage_drops(today, 0.3).await.unwrap();
        assert!(!drops.is_empty(), "declining accounts show on the falling-usage view");
        let mut reached = 0;
        let mut not_reached = 0;
        for (id, _) in &accounts {
            let statuses = db.store.account_milestones(*id, today).await.unwrap();
            match statuses[0].1 {
                MilestoneStatus::Achieved { .. } => reached += 1,
                _ => not_reached += 1,
            }
        }
        assert!(
            reached > accounts.len() / 2,
            "most accounts reached first value: {reached}"
        );
        assert!(not_reached > 0, "some never did");
        let active_weeks = db
            .store
            .usage_weeks(accounts[0].0, today, 26)
            .await
            .unwrap()
            .iter()
            .filter(|w| w.events > 0)
            .count();
        assert!(active_weeks > 0);
    }
}
