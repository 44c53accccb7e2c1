//! Demo capacity (F-61): the books are dealt evenly, so a leader would see nothing to do. Here
//! one CSM of a tier has taken over part of a colleague's book (a leave, say) — a few accounts
//! over the benchmark for one, under it for the other — in up to two tiers, through the same
//! reassignment a leader applies, so each handover is on its account's timeline and the
//! capacity page has a rebalancing to suggest.

use lodestar_domain::capacity::Move;
use lodestar_domain::vocabulary::{LifecycleStage, Role, Tier};
use lodestar_store::{AccountFilter, AccountOrder, AccountSort, Store};

/// How far over the benchmark's top the receiving CSM ends up.
const OVER_BY: u32 = 3;
/// The tiers with a handover, where their owners are at least two.
const TIERS: [Tier; 2] = [Tier::MidTier, Tier::Enterprise];

/// Hands accounts over; returns how many changed hands.
pub async fn load(store: &Store) -> anyhow::Result<usize> {
    let team = store.team_capacity().await?;
    let mut moves = Vec::new();
    for tier in TIERS {
        let owners: Vec<_> = team
            .books
            .iter()
            .filter(|b| b.role == Role::Csm && b.book.accounts.contains_key(&Some(tier)))
            .collect();
        let [receiver, donor, ..] = owners[..] else { continue };
        let max = team.benchmarks.of(Some(tier)).max_accounts;
        let wanted = (max + OVER_BY).saturating_sub(receiver.book.total());
        let filter = AccountFilter {
            owner_id: Some(donor.user),
            tier: Some(tier),
            ..AccountFilter::default()
        };
        let order = AccountOrder {
            sort: AccountSort::Name,
            descending: false,
        };
        // Churned accounts count in no book: skip them.
        let page = store.list_accounts(&filter, order, wanted * 2, None).await?;
        let live = page
            .items
            .iter()
            .filter(|a| a.account.fields.lifecycle_stage != LifecycleStage::Churned)
            .take(wanted as usize);
        moves.extend(live.map(|a| Move {
            account: a.account.id,
            from: donor.user,
            to: receiver.user,
        }));
    }
    if moves.is_empty() {
        return Ok(0);
    }
    Ok(store.apply_rebalancing(&moves, None).await?)
}
