//! Demo 1:1s (F-66): the first leader with a team has held last month's 1:1 with one person and
//! one two months ago with another (now overdue); the others have never had one. Two people
//! have long-term goals, one of them stalled since, and leadership has some anonymous feedback.

use chrono::Duration;
use lodestar_domain::UserId;
use lodestar_domain::one_on_one::{CareerGoalFields, CareerGoalStatus, FeedbackFields, FeedbackTopic, OneOnOneFields};
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::Role;
use lodestar_store::Store;

const FEEDBACK: [(FeedbackTopic, &str); 4] = [
    (
        FeedbackTopic::Problem,
        "Deals reach us without success criteria: kickoffs start from zero.",
    ),
    (
        FeedbackTopic::Values,
        "We say customer first, but the quarter-end push says otherwise.",
    ),
    (
        FeedbackTopic::Recognition,
        "The support team saved two renewals this month and nobody said so.",
    ),
    (
        FeedbackTopic::Opportunity,
        "Long-tail customers ask for webinars; one a month would reach hundreds.",
    ),
];

fn note(text: &str) -> anyhow::Result<Note> {
    Note::parse(text).map_err(anyhow::Error::msg)
}

/// Loads the demo 1:1s, goals and feedback; returns how many 1:1s it recorded.
pub async fn load(store: &Store) -> anyhow::Result<usize> {
    let today = store.today();
    let users = store.users().await?;
    let mut leaders: Vec<UserId> = users
        .iter()
        .filter(|u| u.fields.role == Role::Leader)
        .map(|u| u.id)
        .collect();
    leaders.sort();
    let mut held = 0;
    for leader in leaders {
        let team = store.one_on_one_roster(leader, today).await?;
        let [first, second, ..] = &team[..] else { continue };
        for (person, days_ago, forward) in [
            (
                first.user,
                20,
                "Take the EMEA renewals to the QBR stage; shadow an EBR.",
            ),
            (second.user, 45, "Clear the overdue promises before the holidays."),
        ] {
            let fields = OneOnOneFields {
                held_on: today - Duration::days(days_ago),
                look_around: note(
                    "Busy month; the new onboarding playbook helps. Wants clearer priorities from sales.",
                )?,
                look_back: note("Two renewals closed early. Needs to push customers' sponsors into QBRs.")?,
                look_forward: note(forward)?,
            };
            store.record_one_on_one(leader, person, fields.validate(today)?).await?;
            held += 1;
        }
        let goal = store
            .add_career_goal(
                first.user,
                CareerGoalFields {
                    title: Name::parse("Lead the enterprise pod").map_err(anyhow::Error::msg)?,
                    target_on: Some(today + Duration::days(365)),
                },
                Some(first.user),
            )
            .await?;
        store
            .set_career_goal_status(
                goal,
                CareerGoalStatus::Stalled,
                &note("No pod opens before the reorg")?,
                Some(leader),
            )
            .await?;
        store
            .add_career_goal(
                second.user,
                CareerGoalFields {
                    title: Name::parse("Become a product specialist in analytics").map_err(anyhow::Error::msg)?,
                    target_on: None,
                },
                Some(leader),
            )
            .await?;
        break;
    }
    // Fixed keys: the demo is deterministic (real feedback gets a random one).
    for (i, (topic, body)) in FEEDBACK.into_iter().enumerate() {
        let fields = FeedbackFields {
            topic,
            body: note(body)?,
        };
        store
            .submit_feedback(1_000_003 * (i as i64 + 7), fields.validate()?)
            .await?;
    }
    Ok(held)
}
