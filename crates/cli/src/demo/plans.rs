//! Demo success plans in every state: drafts, plans shared with a contact, reviewed, approved,
//! and one approved and then edited (its approval no longer holds), with tactics active, parked
//! and done and comments from both sides. The demo's links hold no secret anyone has: to try
//! the customer's side, share a plan again from its page.

use chrono::Duration;
use lodestar_domain::plan::{PlanFields, TacticFields};
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{LinkAction, TacticState};
use lodestar_domain::{AccountId, ContactId};
use lodestar_store::{CommentAuthor, LinkTarget, NewCustomerLink, SignOffKind, Store};

/// Accounts that get a plan.
pub const ACCOUNTS: usize = 20;

const OUTCOMES: [(&str, &str); 4] = [
    (
        "Cut onboarding time for new hires in half",
        "## Why it matters\nNew hires wait **three weeks** for a working setup.\n\n## How they measure it\nDays from start date to first report sent.",
    ),
    (
        "One dashboard for the weekly ops review",
        "## Why it matters\nThe ops lead builds the review by hand every Monday.\n\n## How they measure it\nHours spent preparing the review.",
    ),
    (
        "Roll out to the EMEA team",
        "## Why it matters\nOnly the US team uses the product; EMEA renewals depend on it.\n\n## How they measure it\nWeekly active users in EMEA.",
    ),
    (
        "Show the CFO the return on the renewal",
        "## Why it matters\nProcurement asks for numbers before the renewal.\n\n## How they measure it\nA one-page value summary agreed with the sponsor.",
    ),
];

const TACTICS: [&str; 6] = [
    "Admin training on reporting",
    "Weekly usage report to the sponsor",
    "SSO rollout",
    "Template library for new teams",
    "Executive dashboard",
    "Quarterly value summary",
];

fn name(s: &str) -> Name {
    Name::parse(s).expect("demo names are valid")
}

fn note(s: &str) -> Note {
    Note::parse(s).expect("demo notes are valid")
}

pub async fn load(store: &Store, contacts: &[(AccountId, ContactId)]) -> anyhow::Result<usize> {
    let today = store.today();
    let mut made = 0;
    for (i, &(account, contact)) in contacts.iter().enumerate() {
        let (title, summary) = OUTCOMES[i % OUTCOMES.len()];
        let plan = store
            .create_success_plan(
                account,
                PlanFields {
                    title: name(title),
                    summary: note(summary),
                },
                None,
            )
            .await?;
        for (t, state) in [
            TacticState::Active,
            TacticState::Active,
            TacticState::Parked,
            TacticState::Active,
        ]
        .into_iter()
        .enumerate()
        .take(2 + i % 3)
        {
            let fields = TacticFields {
                title: name(TACTICS[(i + t) % TACTICS.len()]),
                description: note(""),
                due_on: Some(today + Duration::days(21 * (t as i64 + 1))),
            }
            .validate(today)?;
            store.add_tactic(plan.id, fields, state, None).await?;
        }
        let stage = i % 5;
        if stage == 0 {
            made += 1;
            continue; // a draft
        }
        let (plan, link) = store
            .share_success_plan(
                plan.id,
                NewCustomerLink {
                    target: LinkTarget::SuccessPlan(plan.id),
                    contact_id: contact,
                    actions: vec![LinkAction::Comment, LinkAction::Review, LinkAction::Approve],
                    expires_at: store.now() + Duration::days(30),
                    // Not the hash of any secret: nobody holds a working link to demo plans.
                    token_hash: format!("demo-plan-{}", plan.id),
                },
                None,
            )
            .await?;
        if stage >= 2 {
            store
                .sign_off_success_plan(plan.id, plan.version, &link, SignOffKind::Reviewed, "")
                .await?;
            store
                .comment_on_success_plan(
                    plan.id,
                    CommentAuthor::Contact(contact),
                    note("Looks right. Can we move the training a week earlier?"),
                )
                .await?;
        }
        if stage >= 3 {
            store
                .sign_off_success_plan(plan.id, plan.version, &link, SignOffKind::Approved, &link.contact_name)
                .await?;
            if let Some(first) = plan.tactics.first() {
                store.set_tactic_state(first.id, TacticState::Done).await?;
            }
        }
        if stage == 4 {
            // Changed after sign-off: the approval was for the version before.
            store
                .update_success_plan(
                    plan.id,
                    PlanFields {
                        title: name(title),
                        summary: note(&format!("{summary}\n\nAdded after the QBR: include the APAC team.")),
                    },
                    None,
                )
                .await?;
        }
        made += 1;
    }
    Ok(made)
}
