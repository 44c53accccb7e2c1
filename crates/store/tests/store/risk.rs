//! Portfolio risk: renewals by band and exposure, and the churn re-forecast.

use crate::common::*;
use lodestar_domain::health::{Band, Exposure};
use lodestar_domain::risk::{LossRate, LossRates, Tally};
use lodestar_domain::vocabulary::Role;
use lodestar_domain::{AccountId, Cents};
use lodestar_store::{AccountFilter, AccountOrder, AccountSort, Store, store_test};

store_test!(portfolio_risk_splits_renewals_by_band_and_exposure_and_reforecasts_churn);

async fn portfolio_risk_splits_renewals_by_band_and_exposure_and_reforecasts_churn(store: Store) {
    let today = chrono::Utc::now().date_naive();
    let [red, green, yellow] = risk_book(&store, today).await;
    let mut rates = LossRates::default();
    rates.set(Some(Exposure::High), LossRate::new(50).unwrap());
    rates.set(None, LossRate::new(20).unwrap());
    store.set_loss_rates(rates).await.unwrap();
    assert_eq!(store.loss_rates().await.unwrap(), rates);

    let risk = store.portfolio_risk(None, today, 365, 10).await.unwrap();
    assert_eq!(risk.at_risk.len(), 1);
    let at_risk = &risk.at_risk[0];
    assert_eq!((at_risk.id, at_risk.score, at_risk.arr), (red, 0, Cents(10_000_00)));
    assert_eq!(
        at_risk.main_drag.as_ref().map(|(label, _)| label.as_str()),
        Some("CSM pulse"),
        "the heaviest measure at zero points costs the most"
    );
    assert_eq!(
        risk.at_risk_total,
        Tally {
            accounts: 1,
            arr: Cents(10_000_00)
        }
    );
    let window = |days| risk.renewals.iter().find(|w| w.days == days).unwrap();
    assert_eq!(
        window(30).total,
        Tally {
            accounts: 1,
            arr: Cents(10_000_00)
        }
    );
    assert_eq!(window(90).total.accounts, 1);
    let w180 = window(180);
    assert_eq!(
        w180.total,
        Tally {
            accounts: 2,
            arr: Cents(30_000_00)
        }
    );
    let by_band: Vec<(Option<Band>, i64)> = w180.by_band.iter().map(|(b, t)| (*b, t.arr.0)).collect();
    assert_eq!(
        by_band,
        vec![
            (Some(Band::Red), 10_000_00),
            (Some(Band::Yellow), 0),
            (Some(Band::Green), 20_000_00),
            (None, 0)
        ]
    );
    let by_exposure: Vec<(Option<Exposure>, i64)> = w180.by_exposure.iter().map(|(e, t)| (*e, t.arr.0)).collect();
    assert_eq!(
        by_exposure,
        vec![
            (Some(Exposure::High), 10_000_00),
            (Some(Exposure::Moderate), 0),
            (Some(Exposure::Low), 20_000_00),
            (None, 0)
        ]
    );
    // Within a year all three renew: 50 % of red's, the 5 % default of green's, 20 % of yellow's.
    let f = &risk.forecast;
    assert_eq!(f.current_arr, Cents(70_000_00));
    assert_eq!(f.expected_loss, Cents(5_000_00 + 1_000_00 + 8_000_00));
    assert_eq!(f.forecast_arr, Cents(56_000_00));

    // One CSM's book.
    let csm = store
        .create_user(user("csm@example.com", Role::Csm).validate(None).unwrap())
        .await
        .unwrap();
    let mut fields = store.account(green).await.unwrap().unwrap().fields;
    fields.owner_id = Some(csm.id);
    store
        .update_account(green, fields.validate(None).unwrap(), None)
        .await
        .unwrap();
    let book = store.portfolio_risk(Some(csm.id), today, 365, 10).await.unwrap();
    assert!(book.at_risk.is_empty());
    assert_eq!(book.forecast.current_arr, Cents(20_000_00));

    // The full at-risk list is the accounts list filtered by band.
    let filter = AccountFilter {
        band: Some(Band::Red),
        ..AccountFilter::default()
    };
    let order = AccountOrder {
        sort: AccountSort::Arr,
        descending: true,
    };
    let page = store.list_accounts(&filter, order, 50, None).await.unwrap();
    let listed: Vec<AccountId> = page.items.iter().map(|a| a.account.id).collect();
    assert_eq!(listed, vec![red]);
    let _ = yellow;
}
