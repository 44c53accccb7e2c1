//! Demo sprints and retrospectives (F-33, F-34): accounts with goals work in 8-week sprints —
//! some a few weeks in with progress and quick wins, one that slipped and was re-engaged after
//! its root cause was looked for — and the first one has a retrospective held and closed (the
//! three questions answered, a challenge vented, promises on both sides) with the next booked.

use chrono::{Days, Duration, NaiveDate};
use lodestar_domain::AccountId;
use lodestar_domain::promise::{PromiseFields, PromiseOwner};
use lodestar_domain::retro::{ChallengeFields, NextDate, RetroAnswers};
use lodestar_domain::review::ActionText;
use lodestar_domain::sprint::{RootCause, SprintFields, WinFields};
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{Answer, CauseSide, SuspectedCause};
use lodestar_store::Store;

use super::clock_on;

/// How many accounts with goals run a sprint.
pub const ACCOUNTS: usize = 6;

const FOCUS: [&str; 3] = [
    "Roll the weekly reporting out to the finance team",
    "Get the regional managers using the dashboards every week",
    "Automate the month-end export so the ops team stops doing it by hand",
];

const WINS: [&str; 4] = [
    "First board pack built in Lodestar",
    "Finance team's weekly review runs on the dashboard",
    "Month-end export ran without a spreadsheet",
    "Ten regional managers signed in this week",
];

fn note(text: &str) -> anyhow::Result<Note> {
    Note::parse(text).map_err(anyhow::Error::msg)
}

fn name(text: &str) -> anyhow::Result<Name> {
    Name::parse(text).map_err(anyhow::Error::msg)
}

fn action(text: &str) -> anyhow::Result<ActionText> {
    ActionText::parse(text).map_err(anyhow::Error::msg)
}

/// Starts the demo sprints on the accounts that have goals; returns (sprints, retrospectives).
pub async fn load(store: &Store, accounts: &[AccountId], today: NaiveDate) -> anyhow::Result<(usize, usize)> {
    let mut sprints = 0;
    let mut with_goals = Vec::new();
    for account in accounts {
        let options = store.sprint_goal_options(*account).await?;
        if !options.is_empty() {
            with_goals.push((*account, options));
        }
        if with_goals.len() == ACCOUNTS {
            break;
        }
    }
    let mut retros = 0;
    for (i, (account, options)) in with_goals.iter().enumerate() {
        let goals = options.iter().take(1 + i % 3).map(|o| o.source).collect();
        if i == 0 {
            retros += with_history(store, *account, goals, today).await?;
            sprints += 2;
            continue;
        }
        let weeks_in = 1 + (u64::try_from(i)? * 2) % 7;
        let start = today - Days::new(weeks_in * 7);
        let then = store.with_clock(clock_on(start));
        let fields = SprintFields {
            starts_on: start,
            weeks: 8,
            focus: note(FOCUS[i % FOCUS.len()])?,
            goals,
            root_cause: None,
        };
        let sprint = then.start_sprint(*account, fields.validate(start)?, None).await?;
        for (n, goal) in sprint.goals.iter().enumerate() {
            let progress = u8::try_from((weeks_in * 12 + u64::try_from(n)? * 15).min(95))?;
            store.set_sprint_goal_progress(goal.id, progress, false).await?;
        }
        if weeks_in >= 3 {
            let win = WinFields {
                title: name(WINS[i % WINS.len()])?,
                achieved_on: today - Days::new(weeks_in * 2),
            };
            store.add_sprint_win(sprint.id, win.validate(today)?, None).await?;
        }
        sprints += 1;
        retros += 1;
    }
    // A red account is re-engaged with a sprint agreed after looking for the root cause.
    let board = store.sprint_board(None, today).await?;
    for card in board.iter().filter(|c| c.propose_sprint && c.sprint.is_none()) {
        let options = store.sprint_goal_options(card.account_id).await?;
        let Some(goal) = options.first() else { continue };
        let fields = SprintFields {
            starts_on: today,
            weeks: 8,
            focus: note("Re-engage: a quick win for the new admin, then the rollout again")?,
            goals: vec![goal.source],
            root_cause: Some(RootCause {
                side: CauseSide::Them,
                same_goals: Answer::Yes,
                communication_breakdown: Answer::Yes,
                too_fast: Answer::Yes,
                objectives_misunderstood: Answer::No,
                skills_gap: Answer::Yes,
                note: note(
                    "Their admin left in October and nobody took the rollout over; we kept pushing new features.",
                )?,
            }),
        };
        store
            .start_sprint(card.account_id, fields.validate(today)?, None)
            .await?;
        sprints += 1;
        retros += 1;
        break;
    }
    Ok((sprints, retros))
}

/// The first account: a sprint two months ago whose retrospective was held and closed, and
/// the sprint running now. Returns the retrospectives it has.
async fn with_history(
    store: &Store,
    account: AccountId,
    goals: Vec<lodestar_domain::sprint::GoalSource>,
    today: NaiveDate,
) -> anyhow::Result<usize> {
    let first_start = today - Days::new(60);
    let then = store.with_clock(clock_on(first_start));
    let first = SprintFields {
        starts_on: first_start,
        weeks: 8,
        focus: note(FOCUS[0])?,
        goals: goals.clone(),
        root_cause: None,
    };
    let first = then.start_sprint(account, first.validate(first_start)?, None).await?;
    for goal in &first.goals {
        then.set_sprint_goal_progress(goal.id, 100, true).await?;
    }
    let retro_day = first_start + Days::new(28);
    let held = store.with_clock(clock_on(retro_day));
    let (id, at, _) = held.account_retrospectives(account).await?[0];
    held.save_retro_answers(
        id,
        RetroAnswers {
            continue_or_start: note("Keep the Tuesday office hours; start inviting the regional leads.")?,
            stop: note("Stop sending the long weekly status email — nobody reads it.")?,
            ideas: note("A one-page view for the CFO before each board meeting.")?,
        },
    )
    .await?;
    held.add_retro_challenge(
        id,
        ChallengeFields {
            description: action("Getting a new user approved takes two weeks in procurement")?,
            suspected_cause: SuspectedCause::Process,
        },
    )
    .await?;
    let retro = held.sprint_retro(id).await?;
    let owner = retro.meeting.account_owner_id;
    let customer = retro.customer_attendees.first().map(|a| a.contact_id);
    if let Some(user) = owner {
        let ours = PromiseFields {
            description: action("Run a 30-minute training for the regional leads")?,
            owner: PromiseOwner::Us(user),
            due_on: retro_day + Days::new(10),
        };
        held.add_retro_promise(id, ours, Some(user)).await?;
    }
    if let Some(contact) = customer {
        let theirs = PromiseFields {
            description: action("Ask procurement for a standing approval for new seats")?,
            owner: PromiseOwner::Customer(contact),
            due_on: retro_day + Days::new(14),
        };
        held.add_retro_promise(id, theirs, owner).await?;
    }
    let next = at + Duration::days(28);
    held.close_retrospective(id, NextDate::validate(Some(next), at)?, owner)
        .await?;
    let now = store.with_clock(clock_on(today - Days::new(2)));
    let second = SprintFields {
        starts_on: today - Days::new(2),
        weeks: 8,
        focus: note("Bring the regional leads on board, one region at a time")?,
        goals,
        root_cause: None,
    };
    now.start_sprint(account, second.validate(today - Days::new(2))?, owner)
        .await?;
    Ok(now.account_retrospectives(account).await?.len())
}
