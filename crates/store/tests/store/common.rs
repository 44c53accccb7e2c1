//! What the store tests share: dates, records to write, and lookups.

use chrono::{NaiveDate, TimeZone, Utc};
use lodestar_domain::account::AccountFields;
use lodestar_domain::contact::ContactFields;
use lodestar_domain::contract::{ContractFields, Currency};
use lodestar_domain::health::{Band, Bands, Exposure, MeasureWeight, PulseLevel, ScorecardFields, Severity};
use lodestar_domain::text::{CustomFields, Email, ExternalId, Label, Name};
use lodestar_domain::usage::Message;
use lodestar_domain::user::UserFields;
use lodestar_domain::vocabulary::{ContactStatus, Level, LifecycleStage, Role};
use lodestar_domain::{AccountId, Cents, UserId};
use lodestar_store::{AccountUpsert, Clock, ContractUpsert, Store, StoreError};

pub(crate) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// An instant written in RFC 3339.
pub(crate) fn instant(s: &str) -> chrono::DateTime<Utc> {
    s.parse().unwrap()
}

pub(crate) fn user(email: &str, role: Role) -> UserFields {
    UserFields {
        email: Email::parse(email).unwrap(),
        name: Name::parse(email.split('@').next().unwrap()).unwrap(),
        role,
        manager_id: None,
        capacity: None,
    }
}

pub(crate) fn account(key: &str) -> AccountFields {
    AccountFields {
        external_id: ExternalId::parse(key).unwrap(),
        name: Name::parse(&format!("Account {key}")).unwrap(),
        domain: None,
        industry: Some(Label::parse("Retail").unwrap()),
        employees: Some(120),
        region: None,
        lifecycle_stage: LifecycleStage::Adopt,
        tier: None,
        owner_id: None,
        ae_id: None,
        sponsor_id: None,
        growth_potential: None,
        engagement_preference: None,
        launch_date: Some(d("2025-02-01")),
        first_value_date: None,
        parent_id: None,
        custom_fields: CustomFields::parse_json(r#"{"plan":"growth","seats":40}"#).unwrap(),
    }
}

pub(crate) fn upsert(fields: AccountFields) -> AccountUpsert {
    AccountUpsert {
        fields: fields.validate(None).unwrap(),
        parent_external_id: None,
    }
}

pub(crate) fn contact(key: &str, account: AccountId) -> ContactFields {
    ContactFields {
        external_id: ExternalId::parse(key).unwrap(),
        account_id: account,
        first_name: Some(Label::parse("Ada").unwrap()),
        last_name: Some(Label::parse(key).unwrap()),
        email: None,
        title: None,
        role: None,
        influence: None,
        status: ContactStatus::Active,
        left_on: None,
    }
}

pub(crate) fn contract(key: &str, account: AccountId, arr: i64, as_of: &str) -> ContractUpsert {
    let fields = ContractFields {
        external_id: ExternalId::parse(key).unwrap(),
        account_id: account,
        name: None,
        start_date: d("2025-01-01"),
        end_date: d("2026-01-01"),
        currency: Currency::USD,
    };
    ContractUpsert {
        fields: fields.validate().unwrap(),
        arr: Cents(arr),
        as_of: d(as_of),
    }
}

pub(crate) async fn one_account(store: &Store, key: &str) -> AccountId {
    store.upsert_accounts(vec![upsert(account(key))]).await.unwrap();
    account_id_of(store, key).await
}

/// A store whose clock stands at noon on 2026-12-02, with a CSM owning the account "acme".
pub(crate) async fn owned_account(store: Store) -> (Store, UserId, AccountId) {
    let store = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()));
    let csm = store
        .create_user(user("csm@example.com", Role::Csm).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    let mut fields = account("acme");
    fields.owner_id = Some(csm);
    store.upsert_accounts(vec![upsert(fields)]).await.unwrap();
    let acme = account_id_of(&store, "acme").await;
    (store, csm, acme)
}

pub(crate) async fn account_id_of(store: &Store, key: &str) -> AccountId {
    store
        .account_by_external_id(&ExternalId::parse(key).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

pub(crate) fn field_of(err: StoreError) -> &'static str {
    match err {
        StoreError::Invalid(i) => i.errors[0].field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

pub(crate) fn message(json: &str) -> Message {
    Message::parse(json, None, "2026-11-25T12:00:00Z".parse().unwrap(), || {
        unreachable!("ids are given")
    })
    .unwrap()
}

pub(crate) fn track(id: &str, user: &str, event: &str, at: &str, group: Option<&str>) -> Message {
    let context = group.map_or(String::new(), |g| format!(r#","context":{{"groupId":"{g}"}}"#));
    message(&format!(
        r#"{{"type":"track","messageId":"{id}","userId":"{user}","event":"{event}","timestamp":"{at}"{context}}}"#
    ))
}

pub(crate) async fn days(store: &Store, account: AccountId) -> Vec<(String, i64, i64)> {
    store
        .usage_days(account, d("2026-01-01"), d("2026-12-31"))
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.day.to_string(), u.events, u.active_users))
        .collect()
}

pub(crate) fn card(name: &str, stage: Option<LifecycleStage>, measures: Vec<MeasureWeight>) -> ScorecardFields {
    ScorecardFields {
        name: Name::parse(name).unwrap(),
        tier: None,
        lifecycle_stage: stage,
        bands: Bands {
            red_below: 20,
            green_from: 60,
        },
        measures,
    }
}

pub(crate) fn keys() -> Vec<&'static str> {
    lodestar_store::health_measures().iter().map(|m| m.key).collect()
}

/// A contract of `arr` cents that ends on `end`, signed 200 days before `today`.
pub(crate) fn contract_ending(
    key: &str,
    account: AccountId,
    arr: i64,
    end: NaiveDate,
    today: NaiveDate,
) -> ContractUpsert {
    let start = today - chrono::Days::new(200);
    let fields = ContractFields {
        external_id: ExternalId::parse(key).unwrap(),
        account_id: account,
        name: None,
        start_date: start,
        end_date: end,
        currency: Currency::USD,
    };
    ContractUpsert {
        fields: fields.validate().unwrap(),
        arr: Cents(arr),
        as_of: start,
    }
}

/// Three accounts scored only by pulse, severity, exposure and days to renewal:
/// `red` (everything bad, Retail = high exposure, renews in 20 days, $10k),
/// `green` (everything good, Banking = low, renews in 100 days, $20k, high growth) and
/// `yellow` (a neutral pulse, Mining = no exposure set, renews in 300 days, $40k).
pub(crate) async fn risk_book(store: &Store, today: NaiveDate) -> [AccountId; 3] {
    let mut ids = Vec::new();
    for (key, industry, growth) in [
        ("red", "Retail", None),
        ("green", "Banking", Some(Level::High)),
        ("yellow", "Mining", None),
    ] {
        let mut fields = account(key);
        fields.industry = Some(Label::parse(industry).unwrap());
        fields.growth_potential = growth;
        store.upsert_accounts(vec![upsert(fields)]).await.unwrap();
        ids.push(store.account_ids().await.unwrap()[key]);
    }
    let [red, green, yellow] = [ids[0], ids[1], ids[2]];
    for (key, id, arr, days) in [
        ("c-red", red, 10_000_00, 20),
        ("c-green", green, 20_000_00, 100),
        ("c-yellow", yellow, 40_000_00, 300),
    ] {
        store
            .upsert_contracts(vec![contract_ending(
                key,
                id,
                arr,
                today + chrono::Days::new(days),
                today,
            )])
            .await
            .unwrap();
    }
    store
        .set_industry_exposures(&[
            ("Retail".into(), Some(Exposure::High)),
            ("Banking".into(), Some(Exposure::Low)),
        ])
        .await
        .unwrap();
    for (id, pulse, severity) in [(red, 1, Some(5)), (green, 5, Some(1)), (yellow, 3, None)] {
        store
            .record_pulse(id, PulseLevel::new(pulse).unwrap(), "Weekly call", None)
            .await
            .unwrap();
        if let Some(s) = severity {
            store
                .set_problem(id, Some(Severity::new(s).unwrap()), "", None)
                .await
                .unwrap();
        }
    }
    for (id, band) in [(red, Band::Red), (green, Band::Green), (yellow, Band::Yellow)] {
        let current = store.account_health(id, today).await.unwrap().current.unwrap();
        assert_eq!(current.health.band, band, "{current:?}");
    }
    [red, green, yellow]
}
