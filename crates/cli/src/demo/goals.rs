//! Demo goals and value (F-30): one account in three of those with usage has one or two goals
//! from the outcomes customers buy a CS platform for, each with an ecosystem of three parts
//! (ours, another product or a service, a process of theirs) rated in every way, and a value
//! history that reaches none, partial and full — so the account page and the goals at risk
//! have something real to show. All of it is written in one transaction.

use chrono::{DateTime, Days, NaiveDate, Utc};
use lodestar_domain::account::Account;
use lodestar_domain::goal::{EcosystemKind, GoalFields, GoalStatus, PartFields, PartRating, ValueLevel, ValueReceived};
use lodestar_domain::health::Severity;
use lodestar_domain::text::{Label, Name, Note};
use lodestar_domain::vocabulary::LifecycleStage;
use lodestar_store::{GoalDraft, NewPart, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Every how-many-th account with usage gets goals.
const EVERY: usize = 3;

/// An outcome: title, metric, baseline, target, and the ecosystem it needs.
struct Outcome {
    title: &'static str,
    metric: &'static str,
    baseline: &'static str,
    target: &'static str,
    parts: [(EcosystemKind, &'static str, &'static str); 3],
}

const OUTCOMES: [Outcome; 5] = [
    Outcome {
        title: "Double qualified demo requests",
        metric: "Demo requests per month",
        baseline: "100",
        target: "200",
        parts: [
            (
                EcosystemKind::OurProduct,
                "Lodestar",
                "Lead scoring live for every campaign",
            ),
            (
                EcosystemKind::OtherProduct,
                "Their CRM",
                "Every lead routed within an hour",
            ),
            (
                EcosystemKind::CustomerProcess,
                "Weekly pipeline review",
                "Held every Monday with sales",
            ),
        ],
    },
    Outcome {
        title: "Cut onboarding time for new hires by half",
        metric: "Days until a new hire is productive",
        baseline: "30",
        target: "15",
        parts: [
            (
                EcosystemKind::OurProduct,
                "Lodestar",
                "Guided setup finished in week one",
            ),
            (EcosystemKind::Service, "Training partner", "Two sessions a month"),
            (
                EcosystemKind::CustomerProcess,
                "Buddy programme",
                "Every new hire has a buddy",
            ),
        ],
    },
    Outcome {
        title: "One dashboard for the weekly ops review",
        metric: "Reports assembled by hand each week",
        baseline: "6",
        target: "0",
        parts: [
            (EcosystemKind::OurProduct, "Lodestar", "Dashboard refreshed daily"),
            (
                EcosystemKind::OtherProduct,
                "Their data warehouse",
                "Nightly sync without failures",
            ),
            (
                EcosystemKind::CustomerProcess,
                "Ops review",
                "Run from the dashboard only",
            ),
        ],
    },
    Outcome {
        title: "Reduce churn in the SMB segment",
        metric: "Gross revenue churn per quarter",
        baseline: "6%",
        target: "3%",
        parts: [
            (
                EcosystemKind::OurProduct,
                "Lodestar",
                "Health alerts for every at-risk account",
            ),
            (
                EcosystemKind::Service,
                "Implementation partner",
                "Playbooks configured by go-live",
            ),
            (
                EcosystemKind::CustomerProcess,
                "Monthly risk review",
                "Every red account has an owner",
            ),
        ],
    },
    Outcome {
        title: "Roll out to every region",
        metric: "Regions live",
        baseline: "1",
        target: "4",
        parts: [
            (EcosystemKind::OurProduct, "Lodestar", "Localised for each region"),
            (
                EcosystemKind::OtherProduct,
                "Their SSO",
                "Every region's users can sign in",
            ),
            (
                EcosystemKind::CustomerProcess,
                "Regional champions",
                "One champion per region",
            ),
        ],
    },
];

/// Value histories, oldest first; together they reach every level.
const HISTORIES: [&[ValueLevel]; 5] = [
    &[],
    &[ValueLevel::None],
    &[ValueLevel::None, ValueLevel::Partial],
    &[ValueLevel::Partial, ValueLevel::Partial],
    &[ValueLevel::Partial, ValueLevel::Full],
];

fn label(text: &str) -> Label {
    Label::parse(text).expect("demo labels are valid")
}

fn name(text: &str) -> Name {
    Name::parse(text).expect("demo names are valid")
}

fn noon(day: NaiveDate) -> DateTime<Utc> {
    super::clock_on(day).now()
}

fn value(level: ValueLevel, step: usize) -> ValueReceived {
    let (percent, how_much) = match level {
        ValueLevel::Partial => (
            Some(30 + 25 * (step as u32 % 2)),
            Some(label("Part of the target reached")),
        ),
        ValueLevel::None | ValueLevel::Full => (None, None),
    };
    ValueReceived::new(level, percent, how_much).expect("demo values are valid")
}

fn draft(rng: &mut ChaCha8Rng, account: &Account, n: usize, today: NaiveDate) -> anyhow::Result<GoalDraft> {
    let outcome = &OUTCOMES[n % OUTCOMES.len()];
    let history = HISTORIES[rng.random_range(0..HISTORIES.len())];
    let fully = history.last() == Some(&ValueLevel::Full);
    // A goal with full value was met; one in ten of the rest was missed, the others run on.
    let status = if fully {
        GoalStatus::Achieved
    } else if rng.random_bool(0.1) {
        GoalStatus::Missed
    } else {
        GoalStatus::Active
    };
    let set_on = today - Days::new(rng.random_range(60..150));
    let due_on = match status {
        GoalStatus::Active => today + Days::new(rng.random_range(20..200)),
        _ => today - Days::new(rng.random_range(1..30)),
    };
    let fields = GoalFields {
        title: name(outcome.title),
        metric: label(outcome.metric),
        baseline: Some(label(outcome.baseline)),
        target: label(outcome.target),
        due_on,
        severity: Severity::new(rng.random_range(2..=5u8)).map_err(anyhow::Error::msg)?,
        status,
    }
    .validate()?;
    let parts = outcome
        .parts
        .iter()
        .map(|(kind, part, metric)| {
            let rating = match rng.random_range(0..10) {
                0..=2 => Some(PartRating::Below),
                3..=6 => Some(PartRating::Meeting),
                7..=8 => Some(PartRating::Exceeding),
                _ => None,
            };
            NewPart {
                fields: PartFields {
                    kind: *kind,
                    name: name(part),
                    metric: label(metric),
                },
                rating,
            }
        })
        .collect();
    let values = history
        .iter()
        .enumerate()
        .map(|(step, level)| {
            let on = set_on + Days::new(30 * (step as u64 + 1));
            let note = if step == 0 {
                "First read at the check-in"
            } else {
                "Confirmed at the QBR"
            };
            let note = Note::parse(note).expect("demo notes are valid");
            (value(*level, step), note, noon(on.min(today)))
        })
        .collect();
    Ok(GoalDraft {
        account: account.id,
        fields,
        parts,
        values,
        by: account.fields.owner_id,
        created_at: noon(set_on),
    })
}

/// Sets goals on every `EVERY`-th of `accounts` (churned ones left out), in one transaction.
pub async fn load(store: &Store, accounts: &[Account], seed: u64, today: NaiveDate) -> anyhow::Result<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x60a15);
    let mut drafts = Vec::new();
    for (i, account) in accounts
        .iter()
        .step_by(EVERY)
        .filter(|a| a.fields.lifecycle_stage != LifecycleStage::Churned)
        .enumerate()
    {
        let goals = if rng.random_bool(0.4) { 2 } else { 1 };
        for n in 0..goals {
            drafts.push(draft(&mut rng, account, i + n, today)?);
        }
    }
    Ok(store.add_goals(drafts).await?)
}
