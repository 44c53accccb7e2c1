//! Renewals and expansion (F-62) on both databases: the pipeline's window with the renewals
//! past due, calls kept as history, the close once only, the forecast holding each renewal at
//! the call it carried when the period began, and opportunities with their owner routed by
//! kind and their close dated.

use chrono::Duration;
use lodestar_domain::contract::{ContractFields, Currency};
use lodestar_domain::renewal::{OpportunityFields, RenewalCall, RenewalClose};
use lodestar_domain::text::{ExternalId, Name, Note};
use lodestar_domain::vocabulary::{
    ForecastCategory, OpportunityKind, OpportunityStage, RenewalOutlook, RenewalResult, Route,
};
use lodestar_domain::{AccountId, Cents, ContractId};
use lodestar_store::{ContractUpsert, OpportunityFilter, Store, StoreError, TimelineKind, store_test};

use crate::common::*;

async fn contract_ending(store: &Store, account: AccountId, key: &str, start: &str, end: &str, arr: i64) -> ContractId {
    let fields = ContractFields {
        external_id: ExternalId::parse(key).unwrap(),
        account_id: account,
        name: None,
        start_date: d(start),
        end_date: d(end),
        currency: Currency::USD,
    };
    store
        .create_contract(ContractUpsert {
            fields: fields.validate().unwrap(),
            arr: Cents(arr),
            as_of: d(start),
        })
        .await
        .unwrap()
        .id
}

fn call(outlook: RenewalOutlook, category: ForecastCategory, arr: i64) -> RenewalCall {
    RenewalCall {
        outlook,
        category,
        forecast_arr: Cents(arr),
        note: Note::default(),
    }
}

store_test!(renewals_are_called_closed_once_and_forecast_at_the_call_the_period_began_with);
async fn renewals_are_called_closed_once_and_forecast_at_the_call_the_period_began_with(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let today = store.today();
    let soon = contract_ending(&store, acme, "k1", "2026-01-15", "2027-01-15", 48_000_00).await;
    let later = contract_ending(&store, acme, "k2", "2026-02-20", "2027-02-20", 10_000_00).await;
    let lapsed = contract_ending(&store, acme, "k3", "2025-11-20", "2026-11-20", 5_000_00).await;
    let keys = |found: Vec<lodestar_store::Renewal>| -> Vec<String> {
        found.into_iter().map(|r| r.contract_external_id).collect()
    };
    assert_eq!(
        keys(store.renewal_pipeline(None, today, 60).await.unwrap()),
        ["k3", "k1"]
    );
    assert_eq!(
        keys(store.renewal_pipeline(None, today, 90).await.unwrap()),
        ["k3", "k1", "k2"]
    );
    assert!(
        store
            .renewal_pipeline(Some(lodestar_domain::UserId(csm.0 + 99)), today, 90)
            .await
            .unwrap()
            .is_empty()
    );

    store
        .call_renewal(
            soon,
            call(RenewalOutlook::Likely, ForecastCategory::Commit, 48_000_00)
                .validate()
                .unwrap(),
            Some(csm),
        )
        .await
        .unwrap();
    store.clock().advance(Duration::days(18));
    let today = store.today();
    let detail = store
        .call_renewal(
            soon,
            call(RenewalOutlook::Unsure, ForecastCategory::BestCase, 40_000_00)
                .validate()
                .unwrap(),
            Some(csm),
        )
        .await
        .unwrap();
    assert_eq!(detail.calls.len(), 2);
    assert_eq!(
        detail.renewal.call.unwrap().call.category,
        ForecastCategory::BestCase,
        "the latest"
    );

    // The period began before the second call: it holds k1 at the commit.
    let (from, to) = (d("2026-12-15"), d("2027-03-01"));
    let forecast = store.renewal_forecast(from, to, None).await.unwrap();
    assert_eq!((forecast.renewals.due, forecast.renewals.open), (2, 2));
    assert_eq!(forecast.renewals.commit_arr, Cents(48_000_00));
    let categories: Vec<_> = forecast
        .renewals
        .by_category
        .iter()
        .map(|(c, l)| (*c, l.renewals))
        .collect();
    assert_eq!(categories, [(Some(ForecastCategory::Commit), 1), (None, 1)]);

    let close = RenewalClose {
        result: RenewalResult::Renewed,
        renewed_arr: Cents(50_000_00),
        decided_on: today,
        note: Note::default(),
    };
    let closed = store
        .close_renewal(soon, close.clone().validate(today).unwrap(), Some(csm))
        .await
        .unwrap();
    assert_eq!(closed.renewal.closed.unwrap().close.renewed_arr, Cents(50_000_00));
    assert!(matches!(
        store.close_renewal(soon, close.validate(today).unwrap(), None).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .call_renewal(
                soon,
                call(RenewalOutlook::Likely, ForecastCategory::Commit, 1)
                    .validate()
                    .unwrap(),
                None
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    let churn = RenewalClose {
        result: RenewalResult::Churned,
        renewed_arr: Cents::ZERO,
        decided_on: d("2026-11-30"),
        note: Note::parse("Acquired; the parent uses a competitor").unwrap(),
    };
    store
        .close_renewal(lapsed, churn.validate(today).unwrap(), Some(csm))
        .await
        .unwrap();
    assert_eq!(keys(store.renewal_pipeline(None, today, 90).await.unwrap()), ["k2"]);
    let forecast = store.renewal_forecast(from, to, None).await.unwrap();
    assert_eq!((forecast.renewals.renewed, forecast.renewals.open), (1, 1));
    assert_eq!(forecast.renewals.gross_renewal_per_mille, Some(1000));
    assert_eq!(forecast.renewals.commit_attainment_per_mille, Some(1041));
    assert_eq!(store.renewal(later).await.unwrap().calls.len(), 0);

    let view = store.account_view(acme, today).await.unwrap().unwrap();
    let lines: Vec<&str> = view
        .timeline
        .iter()
        .filter(|e| e.kind == TimelineKind::Renewal)
        .map(|e| e.text.as_str())
        .collect();
    assert!(
        lines.contains(&"Renewal of contract k1 closed: renewed at $50,000 ARR (was $48,000)"),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"Renewal of contract k3 closed: churned ($5,000 ARR lost)"),
        "{lines:?}"
    );
}

fn opportunity(kind: OpportunityKind, stage: OpportunityStage, close: &str) -> OpportunityFields {
    OpportunityFields {
        kind,
        title: Name::parse("Analytics add-on").unwrap(),
        amount: Cents(12_000_00),
        expected_close: d(close),
        stage,
        note: Note::default(),
    }
}

store_test!(opportunities_are_routed_by_kind_and_their_close_is_dated);
async fn opportunities_are_routed_by_kind_and_their_close_is_dated(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let today = store.today();
    let product = store
        .create_opportunity(
            acme,
            opportunity(OpportunityKind::NewProduct, OpportunityStage::Qualified, "2027-01-20")
                .validate(today)
                .unwrap(),
            Some(csm),
        )
        .await
        .unwrap();
    assert_eq!(product.owner_id, Some(csm), "no AE on the account: its CSM");
    assert!(product.routed.contains("no AE"), "{}", product.routed);
    assert_eq!(product.closed_on, None);

    let won = store
        .update_opportunity(
            product.id,
            opportunity(OpportunityKind::NewProduct, OpportunityStage::Won, "2027-01-20")
                .validate(today)
                .unwrap(),
            Some(csm),
        )
        .await
        .unwrap();
    assert_eq!(won.closed_on, Some(today));
    store.clock().advance(Duration::days(3));
    let same = store
        .update_opportunity(
            product.id,
            opportunity(OpportunityKind::NewProduct, OpportunityStage::Won, "2027-01-21")
                .validate(today)
                .unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(same.closed_on, Some(today), "still won: the close keeps its day");
    let seats = store
        .create_opportunity(
            acme,
            opportunity(
                OpportunityKind::OrganicSeats,
                OpportunityStage::Identified,
                "2027-01-10",
            )
            .validate(today)
            .unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(seats.owner_id, Some(csm));

    let forecast = store
        .renewal_forecast(d("2026-12-01"), d("2027-03-01"), None)
        .await
        .unwrap();
    assert_eq!(
        (forecast.expansion.won, forecast.expansion.won_amount),
        (1, Cents(12_000_00))
    );
    assert_eq!(
        (forecast.expansion.open, forecast.expansion.open_amount),
        (1, Cents(12_000_00))
    );

    let reopened = store
        .update_opportunity(
            product.id,
            opportunity(OpportunityKind::NewProduct, OpportunityStage::Proposal, "2027-02-01")
                .validate(today)
                .unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(reopened.closed_on, None);
    let open = OpportunityFilter {
        account: Some(acme),
        open_only: true,
        ..Default::default()
    };
    let (total, found) = store.opportunities(&open, 1, 0).await.unwrap();
    assert_eq!((total, found.len()), (2, 1), "counted in all, one page of one");
    assert_eq!(
        found[0].fields.kind,
        OpportunityKind::OrganicSeats,
        "the soonest close first"
    );

    let routes = store
        .set_opportunity_route(OpportunityKind::OrganicSeats, Route::Ae)
        .await
        .unwrap();
    assert!(routes.contains(&(OpportunityKind::OrganicSeats, Route::Ae)));
    assert!(
        routes.contains(&(OpportunityKind::PriceIncrease, Route::Csm)),
        "the default where unset"
    );
    assert_eq!(store.opportunity_routes().await.unwrap(), routes);
}
