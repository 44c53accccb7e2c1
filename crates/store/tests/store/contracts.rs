//! Contracts: ARR history on any date, line items in order.

use crate::common::*;
use lodestar_domain::Cents;
use lodestar_domain::contract::LineItem;
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::ChangeKind;
use lodestar_store::{Store, store_test};

store_test!(contract_history_derives_arr_at_any_date);

async fn contract_history_derives_arr_at_any_date(store: Store) {
    let acme = one_account(&store, "acme").await;
    let summary = store
        .upsert_contracts(vec![contract("k1", acme, 10_000_00, "2025-01-01")])
        .await
        .unwrap();
    assert_eq!((summary.created, summary.changes_recorded), (1, 1));
    let same = store
        .upsert_contracts(vec![contract("k1", acme, 10_000_00, "2025-03-01")])
        .await
        .unwrap();
    assert_eq!(
        (same.updated, same.changes_recorded),
        (1, 0),
        "same ARR records no change"
    );
    let up = store
        .upsert_contracts(vec![contract("k1", acme, 15_000_00, "2025-06-01")])
        .await
        .unwrap();
    assert_eq!(up.changes_recorded, 1);
    store
        .upsert_contracts(vec![contract("k1", acme, 12_000_00, "2025-09-01")])
        .await
        .unwrap();
    let k1 = store.contracts_of(acme).await.unwrap().pop().unwrap();
    let kinds: Vec<ChangeKind> = k1.changes.changes().iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [ChangeKind::New, ChangeKind::Expansion, ChangeKind::Contraction]);
    store
        .record_contract_change(k1.id, d("2026-01-01"), ChangeKind::Renewal, Cents(13_000_00))
        .await
        .unwrap();

    assert_eq!(store.account_arr_at(acme, d("2024-12-31")).await.unwrap(), Cents(0));
    assert_eq!(
        store.account_arr_at(acme, d("2025-05-31")).await.unwrap(),
        Cents(10_000_00)
    );
    assert_eq!(
        store.account_arr_at(acme, d("2025-06-01")).await.unwrap(),
        Cents(15_000_00)
    );
    assert_eq!(
        store.account_arr_at(acme, d("2025-12-01")).await.unwrap(),
        Cents(12_000_00)
    );
    assert_eq!(
        store.account_arr_at(acme, d("2026-02-01")).await.unwrap(),
        Cents(13_000_00)
    );

    // Out-of-order and impossible changes are refused and leave the history untouched.
    let err = store
        .record_contract_change(k1.id, d("2025-12-01"), ChangeKind::Expansion, Cents(20_000_00))
        .await;
    assert_eq!(field_of(err.unwrap_err()), "effective_date");
    let err = store
        .record_contract_change(k1.id, d("2026-02-01"), ChangeKind::Churn, Cents(5))
        .await;
    assert_eq!(field_of(err.unwrap_err()), "arr");
    // A contract that arrives already at zero (lapsed before the import) has no history.
    let lapsed = store
        .upsert_contracts(vec![contract("k2", acme, 0, "2025-01-01")])
        .await
        .unwrap();
    assert_eq!((lapsed.created, lapsed.changes_recorded), (1, 0));
    store
        .upsert_contracts(vec![contract("k1", acme, 0, "2026-03-01")])
        .await
        .unwrap();
    let k1 = store.contract(k1.id).await.unwrap().unwrap();
    assert!(k1.changes.is_churned());
    assert_eq!(k1.arr, Cents(0));
    assert_eq!(store.count_contracts().await.unwrap(), 2);
    let k2 = store
        .contracts()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.fields.external_id.as_str() == "k2")
        .unwrap();
    assert!(k2.changes.changes().is_empty() && k2.arr == Cents(0));
}

store_test!(line_items_are_replaced_in_order);

async fn line_items_are_replaced_in_order(store: Store) {
    let acme = one_account(&store, "acme").await;
    store
        .upsert_contracts(vec![contract("k1", acme, 10_000_00, "2025-01-01")])
        .await
        .unwrap();
    let id = store.contracts().await.unwrap()[0].id;
    let item = |product: &str, q| {
        LineItem {
            product: Name::parse(product).unwrap(),
            quantity: q,
            unit_price: Cents(100_00),
            discount_bp: 500,
        }
        .validate()
        .unwrap()
    };
    store
        .set_line_items(id, vec![item("Seats", 80), item("SSO add-on", 1)])
        .await
        .unwrap();
    store
        .set_line_items(id, vec![item("Seats", 100), item("Analytics", 2)])
        .await
        .unwrap();
    let items = store.contract(id).await.unwrap().unwrap().line_items;
    let names: Vec<&str> = items.iter().map(|i| i.product.as_str()).collect();
    assert_eq!(names, ["Seats", "Analytics"]);
    assert_eq!(items[0].annual_amount(), Cents(9_500_00));
}
