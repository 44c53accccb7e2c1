//! Demo handoffs (F-65): eight accounts with usage each have a closed deal handed to CS, one in
//! every state — just handed off with the kickoff ahead, handed off with the kickoff overdue,
//! accepted, a rejection awaiting a leader, rejected with a leader's approval, a rejection a
//! leader declined — with the goals Sales heard, criteria met and unmet, and deal-desk
//! exceptions on some, so the account's Handoff page and /handoffs show every case. One
//! transaction.

use chrono::{Days, NaiveDate};
use lodestar_domain::account::Account;
use lodestar_domain::handoff::{Criterion, DEFAULT_CRITERIA, DealException, ExceptionKind, HandoffFields, Rejection};
use lodestar_domain::text::{Label, Note};
use lodestar_domain::vocabulary::{LifecycleStage, Role};
use lodestar_store::{HandoffDraft, Store};

/// What happens to a demo deal after it is handed off.
#[derive(Clone, Copy)]
enum Fate {
    Open,
    Accepted,
    Asked,
    Rejected,
    Declined,
}

/// Days since signature, criteria met (by position in the default list), exceptions, fate.
const DEALS: [(u64, &[usize], &[(ExceptionKind, &str)], Fate); 8] = [
    (1, &[0, 1, 2, 3, 4], &[], Fate::Open),
    (9, &[0, 2], &[(ExceptionKind::Discount, "15% off year one")], Fate::Open),
    (40, &[0, 1, 2, 3, 4], &[], Fate::Accepted),
    (
        90,
        &[0, 1, 2],
        &[
            (ExceptionKind::PaymentTerms, "Net 90"),
            (ExceptionKind::Discount, "25% off two years"),
        ],
        Fate::Accepted,
    ),
    (
        5,
        &[0, 2],
        &[(ExceptionKind::Scope, "Custom SSO connector by March")],
        Fate::Asked,
    ),
    (
        30,
        &[2],
        &[(ExceptionKind::Discount, "40% off year one")],
        Fate::Rejected,
    ),
    (
        60,
        &[0, 2, 3],
        &[(ExceptionKind::SpecialTerms, "Termination for convenience")],
        Fate::Declined,
    ),
    (
        200,
        &[0, 1, 2, 3, 4],
        &[(ExceptionKind::Discount, "10% multi-year")],
        Fate::Accepted,
    ),
];

const GOALS: [(&str, &str); 4] = [
    (
        "Halve the time to onboard a new franchise; one view of every location's health",
        "Three spreadsheets and a shared inbox; renewals found out about too late",
    ),
    (
        "Every renewal forecast from data, not gut feel",
        "Churn surprises last year cost two of their top ten customers",
    ),
    (
        "CSMs spend mornings on the right accounts",
        "Forty tabs open and no list of what matters today",
    ),
    (
        "Prove ROI to their board by the second quarter",
        "The last tool was bought and never adopted",
    ),
];

fn label(text: &str) -> anyhow::Result<Label> {
    Label::parse(text).map_err(anyhow::Error::msg)
}

fn note(text: &str) -> anyhow::Result<Note> {
    Note::parse(text).map_err(anyhow::Error::msg)
}

/// Loads the demo handoffs; returns how many.
pub async fn load(store: &Store, accounts: &[Account], today: NaiveDate) -> anyhow::Result<usize> {
    let leader = store
        .users()
        .await?
        .into_iter()
        .find(|u| u.fields.role == Role::Leader)
        .map(|u| u.id);
    let mut drafts = Vec::new();
    let open = accounts
        .iter()
        .filter(|a| a.fields.lifecycle_stage != LifecycleStage::Churned)
        .filter(|a| a.fields.owner_id.is_some());
    for (i, (account, (days, met, exceptions, fate))) in open.zip(DEALS).enumerate() {
        let signed_on = today - Days::new(days);
        let (goals, pains) = GOALS[i % GOALS.len()];
        let criteria = DEFAULT_CRITERIA
            .iter()
            .enumerate()
            .map(|(n, name)| {
                Ok(Criterion {
                    name: label(name)?,
                    met: met.contains(&n),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let fields = HandoffFields {
            signed_on,
            goals: note(goals)?,
            pain_points: note(pains)?,
            criteria,
            exceptions: exceptions
                .iter()
                .map(|(kind, detail)| {
                    Ok(DealException {
                        kind: *kind,
                        detail: label(detail)?,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        };
        let unmet: Vec<Label> = fields.unmet().map(|c| c.name.clone()).take(2).collect();
        let rejection = match fate {
            Fate::Asked | Fate::Rejected | Fate::Declined => Some(Rejection::new(
                &fields,
                unmet,
                note("The customer could not name an owner or agree success criteria at kickoff")?,
            )?),
            Fate::Open | Fate::Accepted => None,
        };
        let decision = match fate {
            Fate::Rejected => Some((true, note("Agreed: sold on a discount, not a fit")?, leader)),
            Fate::Declined => Some((false, note("Strategic logo; we staff the gaps")?, leader)),
            Fate::Open | Fate::Accepted | Fate::Asked => None,
        };
        drafts.push(HandoffDraft {
            account: account.id,
            fields: fields.validate()?,
            by: account.fields.owner_id,
            created_at: super::clock_on(signed_on).now(),
            accepted: matches!(fate, Fate::Accepted),
            rejection,
            decision,
        });
    }
    let count = drafts.len();
    store.load_handoffs(drafts).await?;
    Ok(count)
}
