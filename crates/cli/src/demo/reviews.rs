//! Demo LxL reviews and churns: last quarter's review with prepared lines and action items
//! (some done, some still open), a handful of accounts churned since (some it had flagged as at
//! risk, some it never saw) and a few retrospectives written, each asking for a playbook to change
//! — so the risk, LxL, churn and playbook pages all show something real. This quarter's review is
//! left for the leader to start: it then goes over last quarter's items.

use chrono::{Datelike, Days, NaiveDate};
use lodestar_domain::playbook::{OutreachApproach, PlaybookTarget};
use lodestar_domain::review::{ActionItemFields, ActionText, ChurnFields, Quarter, RetrospectiveNotes};
use lodestar_domain::text::Note;
use lodestar_domain::vocabulary::{ActionStatus, AgendaReason, ChurnReason, Role};
use lodestar_domain::{AccountId, UserId};
use lodestar_store::{LineFilter, LineNotes, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Lines of last quarter's review the CSMs prepared.
const PREPARED: u32 = 12;
/// Accounts churned since last quarter's review: half it flagged, half it did not see.
const CHURNS: usize = 6;

const HISTORIES: [&str; 3] = [
    "Signed three years ago; renewed twice. Usage fell after their reorganisation in the spring.",
    "Landed with one team last year; two more teams onboarded this summer.",
    "Long-time customer; the original champion moved on in June.",
];
const CHALLENGES: [&str; 3] = [
    "The new VP questions the price and is talking to a competitor.",
    "Their admin left; nobody owns the rollout on their side.",
    "Integration with their data warehouse still fails at month end.",
];
const ASKS: [&str; 3] = [
    "Our CEO to call their CFO before the renewal conversation.",
    "Product to prioritise the warehouse connector fix this quarter.",
    "Solutions engineer for a two-day workshop with the new admin.",
];
const ITEMS: [&str; 4] = [
    "Executive sponsor call with their CFO",
    "Ship the connector fix and confirm with their admin",
    "Run a training session for the new team",
    "Send the ROI summary ahead of the renewal",
];
const CHURN_DETAILS: [(ChurnReason, &str); 6] = [
    (ChurnReason::Budget, "Budget cut after a hiring freeze"),
    (
        ChurnReason::ChampionLeft,
        "Our champion left; the new head of ops chose another tool",
    ),
    (ChurnReason::Competitor, "Moved to a competitor bundled with their CRM"),
    (ChurnReason::NoValue, "Never rolled out beyond the pilot team"),
    (
        ChurnReason::BusinessChange,
        "Acquired; the parent standardised on its own stack",
    ),
    (
        ChurnReason::ProductGap,
        "Needed an on-premise deployment we don't offer",
    ),
];

fn note(text: &str) -> Note {
    Note::parse(text).expect("demo notes are valid")
}

/// The first day of the quarter before the one `today` is in.
fn previous_quarter_day(today: NaiveDate) -> NaiveDate {
    let first_of_quarter = NaiveDate::from_ymd_opt(today.year(), today.month0() / 3 * 3 + 1, 1).expect("a real date");
    first_of_quarter
        .checked_sub_days(Days::new(60))
        .unwrap_or(first_of_quarter)
}

pub async fn load(store: &Store, seed: u64, today: NaiveDate) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x1c5);
    let started_on = previous_quarter_day(today);
    let last = store
        .start_lxl_review(Quarter::of(started_on), None, started_on)
        .await?;
    let at_risk = LineFilter {
        reason: Some(AgendaReason::AtRisk),
        ..LineFilter::default()
    };
    let (lines, _) = store.lxl_lines(last.id, at_risk, 0, 100).await?;
    let leader: Option<UserId> = store
        .users()
        .await?
        .into_iter()
        .find(|u| u.fields.role == Role::Leader)
        .map(|u| u.id);
    for (i, line) in lines.iter().take(PREPARED as usize).enumerate() {
        let pick = i % 3;
        let notes = LineNotes {
            history: note(HISTORIES[pick]),
            challenges: note(CHALLENGES[pick]),
            asks: note(ASKS[pick]),
        };
        store.save_lxl_notes(last.id, line.account_id, notes).await?;
        let Some(owner) = line.owner_id.or(leader) else {
            continue;
        };
        let due_on = started_on + Days::new(rng.random_range(14..60));
        let item = ActionItemFields {
            description: ActionText::parse(ITEMS[i % ITEMS.len()]).expect("demo items are valid"),
            owner_id: owner,
            due_on,
        };
        let item = store.add_action_item(last.id, line.account_id, item).await?;
        if rng.random_bool(0.5) {
            store.set_action_status(item.id, ActionStatus::Done).await?;
        }
    }
    // Churns since: the flagged ones from the at-risk lines, the unflagged from accounts the
    // review never had on its agenda.
    let (agenda, _) = store.lxl_lines(last.id, LineFilter::default(), 0, 10_000).await?;
    let on_agenda: std::collections::HashSet<AccountId> = agenda.iter().map(|l| l.account_id).collect();
    let flagged: Vec<AccountId> = lines
        .iter()
        .skip(PREPARED as usize)
        .map(|l| l.account_id)
        .take(CHURNS / 2)
        .collect();
    let unflagged: Vec<AccountId> = store
        .list_accounts(
            &lodestar_store::AccountFilter {
                band: Some(lodestar_domain::health::Band::Yellow),
                ..Default::default()
            },
            lodestar_store::AccountOrder {
                sort: lodestar_store::AccountSort::Arr,
                descending: true,
            },
            100,
            None,
        )
        .await?
        .items
        .into_iter()
        .map(|a| a.account.id)
        .filter(|id| !on_agenda.contains(id))
        .take(CHURNS / 2)
        .collect();
    // The retrospectives written ask for a playbook to change: the renewal outcome, or the
    // risk playbook for highly exposed customers.
    let renewal_outcome = store
        .playbook_library()
        .await?
        .outcomes
        .into_iter()
        .find(|o| o.outcome.fields.title.as_str() == "Renewal without surprises")
        .map(|o| o.outcome.id);
    for (i, account) in flagged.into_iter().chain(unflagged).enumerate() {
        let (reason, detail) = CHURN_DETAILS[i % CHURN_DETAILS.len()];
        let churned_on = today - Days::new(rng.random_range(3..30));
        let fields = ChurnFields {
            churned_on,
            reason,
            detail: note(detail),
        }
        .validate(today)?;
        // A contract changed after the drawn day refuses it; the churn is then today's.
        let churned = match store.mark_churned(account, fields.clone(), None).await {
            Ok(r) => r,
            Err(lodestar_store::StoreError::Invalid(_)) => {
                let today_fields = ChurnFields {
                    churned_on: today,
                    ..fields.into_inner()
                }
                .validate(today)?;
                store.mark_churned(account, today_fields, None).await?
            }
            Err(e) => return Err(e.into()),
        };
        if i % 2 == 0 {
            let notes = RetrospectiveNotes {
                prevention: note("An executive sponsor call the first week the account turned red."),
                exit_interview: note("They liked the product; the decision was made above our champion."),
                learnings: note("Map the economic buyer before every renewal over $50k."),
                playbook: note("Renewal risk playbook"),
            };
            store.save_retrospective(churned.account_id, notes).await?;
            let (target, change) = match renewal_outcome.filter(|_| i % 4 == 0) {
                Some(outcome) => (
                    PlaybookTarget::Outcome(outcome),
                    "Add a tactic: map the economic buyer 180 days out, not 120.",
                ),
                None => (
                    PlaybookTarget::Risk(OutreachApproach::OpenQuestion),
                    "Send the open question 90 days before renewal; 60 was too late for their budget cycle.",
                ),
            };
            store
                .request_playbook_change(churned.account_id, target, note(change), None)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_quarters_review_falls_in_the_previous_quarter() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            Quarter::of(previous_quarter_day(d("2026-11-25"))).to_string(),
            "2026-Q3"
        );
        assert_eq!(
            Quarter::of(previous_quarter_day(d("2026-01-01"))).to_string(),
            "2025-Q4"
        );
    }
}
