//! Demo subscription history (F-63, F-64): each contract's ARR history read as billing periods
//! — a period from each change to the next at a twelfth of the ARR, none after a churn — so
//! revenue retention and retention curves tell the same story as the contracts, expansions,
//! contractions and churns included; and one account in eight whose first contract is a
//! win-back, with an earlier stint that ended more than a year before it (a reactivation).

use std::collections::BTreeMap;

use chrono::Months;
use lodestar_domain::revenue::SubscriptionFields;
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::ChangeKind;
use lodestar_domain::{AccountId, Cents, ContractId, Valid};
use lodestar_store::Store;

type History = Vec<(Valid<SubscriptionFields>, Option<ContractId>)>;

/// Loads the history of every account with contracts; returns how many periods.
pub async fn load(store: &Store) -> anyhow::Result<usize> {
    let mut by_account: BTreeMap<AccountId, History> = BTreeMap::new();
    for contract in store.contracts().await? {
        let item = contract.line_items.first();
        let product = match (item, &contract.fields.name) {
            (Some(item), _) => item.product.clone(),
            (None, Some(name)) => name.clone(),
            (None, None) => Name::parse("Platform").map_err(anyhow::Error::msg)?,
        };
        let quantity = item.map_or(1, |i| i.quantity);
        let changes = contract.changes.changes();
        let history = by_account.entry(contract.fields.account_id).or_default();
        for (i, change) in changes.iter().enumerate() {
            let next = changes.get(i + 1).map(|c| c.effective_date);
            if change.kind == ChangeKind::Churn || next == Some(change.effective_date) {
                continue;
            }
            let fields = SubscriptionFields {
                product: product.clone(),
                start_date: change.effective_date,
                end_date: next,
                mrr: Cents(change.arr_after.0 / 12),
                quantity,
                discount_bp: item.map_or(0, |i| i.discount_bp),
            };
            history.push((fields.validate()?, Some(contract.id)));
        }
    }
    for (account, history) in by_account.iter_mut() {
        let Some((first, _)) = history.iter().min_by_key(|(s, _)| s.start_date) else {
            continue;
        };
        if account.0 % 8 != 3 {
            continue;
        }
        // A former customer: two years at 60 % of today's first price, gone for fourteen months.
        let earlier = SubscriptionFields {
            product: first.product.clone(),
            start_date: first.start_date - Months::new(38),
            end_date: Some(first.start_date - Months::new(14)),
            mrr: Cents(first.mrr.0 * 6 / 10),
            quantity: first.quantity,
            discount_bp: first.discount_bp,
        };
        history.push((earlier.validate()?, None));
    }
    Ok(store
        .load_subscription_history(by_account.into_iter().collect())
        .await?)
}
