//! Subscription history (F-63, F-64), on both databases: an import becomes contracts, line items
//! and a typed MRR history; importing again replaces an account's history instead of adding to
//! it; an unknown account refuses the whole file; reports read an account's movements in scope.

use lodestar_domain::Cents;
use lodestar_domain::access::Scope;
use lodestar_domain::revenue::{MovementKind, SubscriptionFields};
use lodestar_domain::text::{ExternalId, Name};
use lodestar_domain::vocabulary::ChangeKind;
use lodestar_store::{ImportedSubscription, RevenueAttributes, Store, StoreError, store_test};

use crate::common::*;

fn sub(account: &str, product: &str, start: &str, end: Option<&str>, mrr: i64, quantity: u32) -> ImportedSubscription {
    ImportedSubscription {
        account_external_id: ExternalId::parse(account).unwrap(),
        fields: SubscriptionFields {
            product: Name::parse(product).unwrap(),
            start_date: d(start),
            end_date: end.map(d),
            mrr: Cents(mrr),
            quantity,
            discount_bp: 2000,
        }
        .validate()
        .unwrap(),
    }
}

/// acme: 1,000/month from 2024-01, up to 1,500 in 2024-07, churned 2025-01, back at 800 in
/// 2025-06 and still there. beta: 500/month since 2025-03, with an add-on from 2026-02.
fn history() -> Vec<ImportedSubscription> {
    vec![
        sub("acme", "Platform", "2024-01-01", Some("2024-07-01"), 100_000, 10),
        sub("acme", "Platform", "2024-07-01", Some("2025-01-01"), 150_000, 15),
        sub("acme", "Platform", "2025-06-01", None, 80_000, 8),
        sub("beta", "Platform", "2025-03-01", None, 50_000, 5),
        sub("beta", "Analytics", "2026-02-01", None, 20_000, 1),
    ]
}

store_test!(an_import_becomes_contracts_and_a_typed_history);
async fn an_import_becomes_contracts_and_a_typed_history(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let beta = one_account(&store, "beta").await;
    let summary = store.import_subscriptions(history()).await.unwrap();
    assert_eq!(
        (
            summary.accounts,
            summary.subscriptions,
            summary.movements,
            summary.contracts
        ),
        (2, 5, 6, 3),
        "acme: new, expansion, churn, reactivation; beta: new, expansion"
    );

    let kinds: Vec<(MovementKind, i64)> = store
        .mrr_movements(acme)
        .await
        .unwrap()
        .iter()
        .map(|m| (m.kind, m.mrr_after.0))
        .collect();
    assert_eq!(
        kinds,
        [
            (MovementKind::New, 100_000),
            (MovementKind::Expansion, 150_000),
            (MovementKind::Churn, 0),
            (MovementKind::Reactivation, 80_000)
        ]
    );

    // A win-back is a new contract; the churned one keeps its story.
    let mut contracts = store.contracts_of(acme).await.unwrap();
    contracts.sort_by_key(|c| c.fields.start_date);
    assert_eq!(contracts.len(), 2);
    let (first, second) = (&contracts[0], &contracts[1]);
    assert_eq!(first.fields.external_id.as_str(), "acme-subscriptions-1");
    let story: Vec<(ChangeKind, i64)> = first
        .changes
        .changes()
        .iter()
        .map(|c| (c.kind, c.arr_after.0))
        .collect();
    assert_eq!(
        story,
        [
            (ChangeKind::New, 1_200_000),
            (ChangeKind::Expansion, 1_800_000),
            (ChangeKind::Churn, 0)
        ]
    );
    assert_eq!(
        (first.fields.start_date, first.fields.end_date),
        (d("2024-01-01"), d("2025-01-01"))
    );
    // The running contract renews on its anniversary after today (2026-12-02).
    assert_eq!(
        (second.fields.start_date, second.fields.end_date),
        (d("2025-06-01"), d("2027-06-01"))
    );
    assert_eq!(second.arr, Cents(960_000));
    let item = &second.line_items[0];
    assert_eq!(
        (item.product.as_str(), item.quantity, item.discount_bp),
        ("Platform", 8, 2000)
    );
    assert_eq!(item.annual_amount(), Cents(960_000), "line items add up to the ARR");

    // The account's ARR is the contracts', as everywhere else.
    assert_eq!(
        store.account_arr_at(acme, d("2026-12-02")).await.unwrap(),
        Cents(960_000)
    );
    assert_eq!(
        store.account_arr_at(beta, d("2026-12-02")).await.unwrap(),
        Cents(840_000)
    );

    // Reports: everything for a leader, the CSM's own book for the CSM.
    let all = store.revenue_accounts(Scope::All).await.unwrap();
    assert_eq!(all.iter().map(|a| a.id).collect::<Vec<_>>(), [acme, beta]);
    assert_eq!(all[0].owner.as_ref().map(|(id, _)| *id), Some(csm));
    assert_eq!(all[1].movements.len(), 2);
    let book = store.revenue_accounts(Scope::Book(csm)).await.unwrap();
    assert_eq!(book.iter().map(|a| a.id).collect::<Vec<_>>(), [acme]);
    assert_eq!(book[0].movements.len(), 4);
    // A report reading fewer attributes gets the same accounts and movements, the others empty.
    let kinds = |accounts: &[lodestar_store::RevenueAccount]| -> Vec<(i64, Vec<(MovementKind, i64, i64)>)> {
        accounts
            .iter()
            .map(|a| {
                let moves = a.movements.iter().map(|m| (m.kind, m.mrr_before.0, m.mrr_after.0));
                (a.id.0, moves.collect())
            })
            .collect()
    };
    let bare = store
        .revenue_accounts_reading(Scope::All, RevenueAttributes::NONE)
        .await
        .unwrap();
    assert_eq!(kinds(&bare), kinds(&all));
    assert!(bare.iter().all(|a| a.owner.is_none() && a.tier.is_none() && !a.had_qbr));
    let owners = RevenueAttributes {
        owner: true,
        ..RevenueAttributes::NONE
    };
    let book_owners = store.revenue_accounts_reading(Scope::Book(csm), owners).await.unwrap();
    assert_eq!(kinds(&book_owners), kinds(&book));
    assert_eq!(book_owners[0].owner, book[0].owner);
    assert_eq!(book_owners[0].name, "");

    // Importing the same history again replaces it: no second set of rows or contracts.
    let again = store.import_subscriptions(history()).await.unwrap();
    assert_eq!(again, summary);
    assert_eq!(store.contracts_of(acme).await.unwrap().len(), 2);
    assert_eq!(store.mrr_movements(acme).await.unwrap().len(), 4);

    let exported = store.exported_subscriptions().await.unwrap();
    let rows: Vec<(&str, &str, &str)> = exported
        .iter()
        .map(|(a, s)| {
            (
                a.as_str(),
                s.product.as_str(),
                if s.end_date.is_some() { "ended" } else { "running" },
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("acme", "Platform", "ended"),
            ("acme", "Platform", "ended"),
            ("acme", "Platform", "running"),
            ("beta", "Platform", "running"),
            ("beta", "Analytics", "running")
        ]
    );
}

store_test!(an_unknown_account_refuses_the_whole_file);
async fn an_unknown_account_refuses_the_whole_file(store: Store) {
    let (store, _, acme) = owned_account(store).await;
    let mut rows = history();
    rows.retain(|r| r.account_external_id.as_str() == "acme");
    rows.push(sub("nobody", "Platform", "2024-01-01", None, 100, 1));
    let err = store.import_subscriptions(rows).await.unwrap_err();
    let StoreError::Invalid(invalid) = err else {
        panic!("{err:?}")
    };
    assert_eq!(invalid.errors[0].field, "account_id");
    assert!(invalid.errors[0].reason.starts_with("row 4: "), "{invalid}");
    assert!(store.mrr_movements(acme).await.unwrap().is_empty(), "nothing written");
    assert!(store.contracts_of(acme).await.unwrap().is_empty());
}
