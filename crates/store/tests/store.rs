//! The store test suite: every case runs on SQLite and on PostgreSQL (see `store_test!`).

use chrono::NaiveDate;
use lodestar_domain::account::AccountFields;
use lodestar_domain::contact::ContactFields;
use lodestar_domain::contract::{ContractFields, Currency, LineItem};
use lodestar_domain::health::{Band, Bands, Exposure, MeasureWeight, PulseLevel, ScorecardFields, Severity};
use lodestar_domain::milestone::{MilestoneFields, MilestoneStatus, Threshold};
use lodestar_domain::risk::{LossRate, LossRates, Tally};
use lodestar_domain::text::{CustomFields, Email, ExternalId, Label, Name, Note, Text};
use lodestar_domain::usage::Message;
use lodestar_domain::user::UserFields;
use lodestar_domain::vocabulary::{ChangeKind, ContactStatus, Level, LifecycleStage, Role, Tier};
use lodestar_domain::{AccountId, Cents, UserId};
use lodestar_store::testing::TestDb;
use lodestar_store::{
    AccountFilter, AccountOrder, AccountSort, AccountUpsert, ContractUpsert, IngestSummary, Store, StoreError,
    TimelineKind, assemble_timeline, store_test,
};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn user(email: &str, role: Role) -> UserFields {
    UserFields {
        email: Email::parse(email).unwrap(),
        name: Name::parse(email.split('@').next().unwrap()).unwrap(),
        role,
        manager_id: None,
        capacity: None,
    }
}

fn account(key: &str) -> AccountFields {
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

fn upsert(fields: AccountFields) -> AccountUpsert {
    AccountUpsert {
        fields: fields.validate(None).unwrap(),
        parent_external_id: None,
    }
}

fn contact(key: &str, account: AccountId) -> ContactFields {
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

fn contract(key: &str, account: AccountId, arr: i64, as_of: &str) -> ContractUpsert {
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

async fn one_account(store: &Store, key: &str) -> AccountId {
    store.upsert_accounts(vec![upsert(account(key))]).await.unwrap();
    account_id_of(store, key).await
}

async fn account_id_of(store: &Store, key: &str) -> AccountId {
    store
        .account_by_external_id(&ExternalId::parse(key).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

fn field_of(err: StoreError) -> &'static str {
    match err {
        StoreError::Invalid(i) => i.errors[0].field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

store_test!(migrations_are_idempotent);
async fn migrations_are_idempotent(store: Store) {
    let latest = lodestar_store::MIGRATIONS.last().unwrap().version;
    assert_eq!(store.schema_version().await.unwrap(), latest);
    assert!(
        store.migrate().await.unwrap().is_empty(),
        "a second run applies nothing"
    );
    let tables = store.tables().await.unwrap();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert!(!names.contains(&"lodestar_migrations"));
    for core in [
        "users",
        "accounts",
        "contacts",
        "contracts",
        "usage_event_blocks",
        "milestones",
    ] {
        assert!(names.contains(&core), "{core} is missing from {names:?}");
    }
    // Parents before the tables that reference them: the order backups are written and
    // restored in, so a load never waits on a missing parent row.
    for (i, table) in tables.iter().enumerate() {
        for parent in table.references.iter().filter(|p| **p != table.name) {
            let at = names.iter().position(|n| n == parent).unwrap();
            assert!(at < i, "{} comes before its parent {parent}: {names:?}", table.name);
        }
    }
}

store_test!(users_have_unique_emails_and_acyclic_managers);
async fn users_have_unique_emails_and_acyclic_managers(store: Store) {
    let lead = store
        .create_user(user("lead@v.io", Role::Leader).validate(None).unwrap())
        .await
        .unwrap();
    let err = store
        .create_user(user("LEAD@v.io", Role::Csm).validate(None).unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("lead@v.io already exists"), "{err}");
    let csm_fields = UserFields {
        manager_id: Some(lead.id),
        ..user("csm@v.io", Role::Csm)
    };
    let csm = store.create_user(csm_fields.validate(None).unwrap()).await.unwrap();
    assert_eq!(csm.fields.manager_id, Some(lead.id));

    // The leader reporting to their own report would close a loop.
    let looped = lodestar_store::UserUpsert {
        fields: user("lead@v.io", Role::Leader).validate(None).unwrap(),
        manager_email: Some(Email::parse("csm@v.io").unwrap()),
    };
    assert_eq!(
        field_of(store.upsert_users(vec![looped]).await.unwrap_err()),
        "manager_id"
    );
    let unknown = lodestar_store::UserUpsert {
        fields: user("new@v.io", Role::Csm).validate(None).unwrap(),
        manager_email: Some(Email::parse("ghost@v.io").unwrap()),
    };
    assert_eq!(
        field_of(store.upsert_users(vec![unknown]).await.unwrap_err()),
        "manager_id"
    );
    assert_eq!(store.users().await.unwrap().len(), 2, "refused batches write nothing");
    assert_eq!(
        store
            .user_by_email(&Email::parse("lead@v.io").unwrap())
            .await
            .unwrap()
            .unwrap()
            .fields
            .manager_id,
        None
    );
}

store_test!(accounts_round_trip_every_field);
async fn accounts_round_trip_every_field(store: Store) {
    let csm = store
        .create_user(user("csm@v.io", Role::Csm).validate(None).unwrap())
        .await
        .unwrap();
    let ae = store
        .create_user(user("ae@v.io", Role::Ae).validate(None).unwrap())
        .await
        .unwrap();
    let exec = store
        .create_user(user("cro@v.io", Role::Executive).validate(None).unwrap())
        .await
        .unwrap();
    let full = AccountFields {
        domain: Some("https://www.acme.com".parse().unwrap()),
        region: Some(Label::parse("EMEA").unwrap()),
        tier: Some("enterprise".parse().unwrap()),
        owner_id: Some(csm.id),
        ae_id: Some(ae.id),
        sponsor_id: Some(exec.id),
        growth_potential: Some("high".parse().unwrap()),
        engagement_preference: Some("high_touch".parse().unwrap()),
        first_value_date: Some(d("2025-03-01")),
        ..account("acme")
    };
    let summary = store.upsert_accounts(vec![upsert(full.clone())]).await.unwrap();
    assert_eq!((summary.created, summary.updated), (1, 0));
    let stored = store.account_by_external_id(&full.external_id).await.unwrap().unwrap();
    assert_eq!(stored.fields, full);
    assert_eq!(store.account(stored.id).await.unwrap().unwrap(), stored);

    let renamed = AccountFields {
        name: Name::parse("Acme Corp").unwrap(),
        ..full
    };
    let summary = store.upsert_accounts(vec![upsert(renamed)]).await.unwrap();
    assert_eq!((summary.created, summary.updated), (0, 1), "same external id updates");
    assert_eq!(store.count_accounts().await.unwrap(), 1);
    assert_eq!(
        store.account(stored.id).await.unwrap().unwrap().fields.name.as_str(),
        "Acme Corp"
    );
}

store_test!(account_references_are_checked);
async fn account_references_are_checked(store: Store) {
    let viewer = store
        .create_user(user("vi@v.io", Role::Viewer).validate(None).unwrap())
        .await
        .unwrap();
    let csm = store
        .create_user(user("csm@v.io", Role::Csm).validate(None).unwrap())
        .await
        .unwrap();
    let unknown_owner = AccountFields {
        owner_id: Some(UserId(999)),
        ..account("a")
    };
    let err = store.upsert_accounts(vec![upsert(unknown_owner)]).await.unwrap_err();
    assert_eq!(err.to_string(), "owner_id: user 999 does not exist");
    let viewer_owner = AccountFields {
        owner_id: Some(viewer.id),
        ..account("a")
    };
    let err = store.upsert_accounts(vec![upsert(viewer_owner)]).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("vi@v.io is a Viewer; an account owner must be one of"),
        "{err}"
    );
    let csm_as_sponsor = AccountFields {
        sponsor_id: Some(csm.id),
        ..account("a")
    };
    assert_eq!(
        field_of(store.upsert_accounts(vec![upsert(csm_as_sponsor)]).await.unwrap_err()),
        "sponsor_id"
    );
    let csm_as_ae = AccountFields {
        ae_id: Some(csm.id),
        ..account("a")
    };
    assert_eq!(
        field_of(store.upsert_accounts(vec![upsert(csm_as_ae)]).await.unwrap_err()),
        "ae_id"
    );
    // A batch with one bad row writes none of its rows.
    let bad = AccountFields {
        owner_id: Some(viewer.id),
        ..account("b")
    };
    assert!(
        store
            .upsert_accounts(vec![upsert(account("ok")), upsert(bad)])
            .await
            .is_err()
    );
    assert_eq!(store.count_accounts().await.unwrap(), 0);
}

store_test!(parents_may_come_after_children_but_never_loop);
async fn parents_may_come_after_children_but_never_loop(store: Store) {
    let child = AccountUpsert {
        fields: account("child").validate(None).unwrap(),
        parent_external_id: Some(ExternalId::parse("parent").unwrap()),
    };
    store
        .upsert_accounts(vec![child, upsert(account("parent"))])
        .await
        .unwrap();
    let parent = store
        .account_by_external_id(&ExternalId::parse("parent").unwrap())
        .await
        .unwrap()
        .unwrap();
    let child = store
        .account_by_external_id(&ExternalId::parse("child").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(child.fields.parent_id, Some(parent.id));

    let looped = AccountUpsert {
        fields: account("parent").validate(None).unwrap(),
        parent_external_id: Some(ExternalId::parse("child").unwrap()),
    };
    let err = store.upsert_accounts(vec![looped]).await.unwrap_err();
    assert!(err.to_string().contains("would become its own ancestor"), "{err}");
    let orphan = AccountUpsert {
        fields: account("x").validate(None).unwrap(),
        parent_external_id: Some(ExternalId::parse("nope").unwrap()),
    };
    assert_eq!(
        field_of(store.upsert_accounts(vec![orphan]).await.unwrap_err()),
        "parent_id"
    );
    assert_eq!(store.account(parent.id).await.unwrap().unwrap().fields.parent_id, None);
}

store_test!(contacts_belong_to_existing_accounts);
async fn contacts_belong_to_existing_accounts(store: Store) {
    let acme = one_account(&store, "acme").await;
    let left = ContactFields {
        email: Some(Email::parse("ada@acme.com").unwrap()),
        status: ContactStatus::Left,
        left_on: Some(d("2025-06-30")),
        role: Some("champion".parse().unwrap()),
        influence: Some("high".parse().unwrap()),
        ..contact("c1", acme)
    };
    let summary = store
        .upsert_contacts(vec![left.clone().validate().unwrap()])
        .await
        .unwrap();
    assert_eq!(summary.created, 1);
    assert_eq!(store.contacts_of(acme).await.unwrap()[0].fields, left);
    store.upsert_contacts(vec![left.validate().unwrap()]).await.unwrap();
    assert_eq!(
        store.contacts().await.unwrap().len(),
        1,
        "re-import updates, never duplicates"
    );

    let err = store
        .upsert_contacts(vec![contact("c2", AccountId(4242)).validate().unwrap()])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

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

store_test!(backup_restores_identical_data);
async fn backup_restores_identical_data(store: Store) {
    fill(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.ndjson");
    let summary = store.backup(&first).await.unwrap();
    assert_eq!(summary.tables, store.tables().await.unwrap().len());

    let target = TestDb::sqlite().await;
    let restored = target.store.restore(&first).await.unwrap();
    assert_eq!(restored, summary);
    let second = dir.path().join("second.ndjson");
    target.store.backup(&second).await.unwrap();
    assert_eq!(
        body(&first),
        body(&second),
        "a restored database backs up to the same data"
    );
    assert_eq!(target.store.accounts().await.unwrap(), store.accounts().await.unwrap());
    assert_eq!(
        target.store.usage_counts().await.unwrap(),
        store.usage_counts().await.unwrap()
    );
    // The events came across whole: rebuilt from the restored blocks, the same rollups.
    let parent = account_id_of(&store, "parent").await;
    target.store.rebuild_usage_rollups().await.unwrap();
    assert_eq!(days(&target.store, parent).await, [("2026-11-02".into(), 1, 1)]);
    // New rows after a restore get fresh ids.
    one_account(&target.store, "after-restore").await;
    let err = target.store.restore(&first).await.unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty { .. }), "{err:?}");
    target.finish().await;
}

store_test!(damaged_backups_restore_nothing);
async fn damaged_backups_restore_nothing(store: Store) {
    fill(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.ndjson");
    store.backup(&good).await.unwrap();
    let text = std::fs::read_to_string(&good).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let truncated = dir.path().join("truncated.ndjson");
    std::fs::write(&truncated, lines[..lines.len() - 3].join("\n")).unwrap();
    let target = TestDb::sqlite().await;
    let err = target.store.restore(&truncated).await.unwrap_err();
    assert!(
        err.to_string().contains("truncated") || err.to_string().contains("rows"),
        "{err}"
    );
    assert!(target.store.accounts().await.unwrap().is_empty(), "nothing was written");
    let garbage = dir.path().join("garbage.ndjson");
    std::fs::write(&garbage, "hello\n").unwrap();
    assert!(
        target
            .store
            .restore(&garbage)
            .await
            .unwrap_err()
            .to_string()
            .contains(":1: not a Lodestar backup")
    );
    target.finish().await;
}

store_test!(backup_is_a_consistent_snapshot_while_writing);
async fn backup_is_a_consistent_snapshot_while_writing(store: Store) {
    // A writer adds an account and its contact in one transaction, again and again. A backup
    // taken meanwhile must hold whole pairs only.
    let writer_store = store.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_writer = stop.clone();
    let writer = tokio::spawn(async move {
        let mut i = 0;
        while !stop_writer.load(std::sync::atomic::Ordering::Relaxed) {
            let key = format!("w{i}");
            let id = one_account(&writer_store, &key).await;
            writer_store
                .upsert_contacts(vec![contact(&format!("{key}-c"), id).validate().unwrap()])
                .await
                .unwrap();
            i += 1;
        }
        i
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.ndjson");
    store.backup(&path).await.unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();

    let target = TestDb::sqlite().await;
    target.store.restore(&path).await.unwrap();
    let accounts = target.store.accounts().await.unwrap();
    let contacts = target.store.contacts().await.unwrap();
    assert!(!accounts.is_empty(), "the writer was running before the backup");
    // The snapshot may catch a pair between its two transactions, never half a transaction.
    assert!(contacts.len() == accounts.len() || contacts.len() + 1 == accounts.len());
    assert!(accounts.len() <= written + 1);
    target.finish().await;
}

/// One of everything, with a hierarchy and a manager chain.
async fn fill(store: &Store) {
    let lead = store
        .create_user(user("lead@v.io", Role::Leader).validate(None).unwrap())
        .await
        .unwrap();
    let csm = UserFields {
        manager_id: Some(lead.id),
        capacity: Some(40),
        ..user("csm@v.io", Role::Csm)
    };
    let csm = store.create_user(csm.validate(None).unwrap()).await.unwrap();
    let parent = AccountFields {
        owner_id: Some(csm.id),
        ..account("parent")
    };
    store.upsert_accounts(vec![upsert(parent)]).await.unwrap();
    let child = AccountUpsert {
        fields: AccountFields {
            name: Name::parse("Ünïcødé — \"quoted\", comma").unwrap(),
            ..account("child")
        }
        .validate(None)
        .unwrap(),
        parent_external_id: Some(ExternalId::parse("parent").unwrap()),
    };
    store.upsert_accounts(vec![child]).await.unwrap();
    let acme = account_id_of(store, "parent").await;
    store
        .upsert_contacts(vec![contact("c1", acme).validate().unwrap()])
        .await
        .unwrap();
    store
        .upsert_contracts(vec![contract("k1", acme, 10_000_00, "2025-01-01")])
        .await
        .unwrap();
    store
        .upsert_contracts(vec![contract("k1", acme, 11_000_00, "2025-05-01")])
        .await
        .unwrap();
    let k1 = store.contracts().await.unwrap()[0].id;
    let item = LineItem {
        product: Name::parse("Seats").unwrap(),
        quantity: 10,
        unit_price: Cents(1_100_00),
        discount_bp: 0,
    };
    store.set_line_items(k1, vec![item.validate().unwrap()]).await.unwrap();
    // Product usage: a block, keys, rollups, and an event waiting for its account.
    store
        .ingest(&[
            track("t1", "u1", "Signed In", "2026-11-02T09:00:00Z", Some("parent")),
            track("t2", "u2", "Signed In", "2026-11-02T09:00:00Z", Some("unknown")),
        ])
        .await
        .unwrap();
}

/// A backup without its first line (which says when and where it was made).
fn body(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.split_once('\n').unwrap().1.to_owned()
}

/// Needs both databases: the schema and the data must come out the same on each.
#[tokio::test]
async fn sqlite_and_postgres_have_the_same_schema_and_a_backup_moves_between_them() {
    let sqlite = TestDb::sqlite().await;
    let Some(postgres) = TestDb::postgres().await else {
        return;
    };
    assert_eq!(
        sqlite.store.tables().await.unwrap(),
        postgres.store.tables().await.unwrap()
    );

    fill(&sqlite.store).await;
    let dir = tempfile::tempdir().unwrap();
    let from_sqlite = dir.path().join("from-sqlite.ndjson");
    sqlite.store.backup(&from_sqlite).await.unwrap();
    postgres.store.restore(&from_sqlite).await.unwrap();
    let from_postgres = dir.path().join("from-postgres.ndjson");
    postgres.store.backup(&from_postgres).await.unwrap();
    assert_eq!(body(&from_sqlite), body(&from_postgres));
    // And back again, into a fresh SQLite database.
    let again = TestDb::sqlite().await;
    again.store.restore(&from_postgres).await.unwrap();
    assert_eq!(
        again.store.contracts().await.unwrap(),
        sqlite.store.contracts().await.unwrap()
    );
    // Identity sequences moved past the restored ids.
    one_account(&postgres.store, "new-after-restore").await;
    postgres.finish().await;
    sqlite.finish().await;
    again.finish().await;
}

store_test!(account_lists_filter_sort_and_page_with_cursors);
async fn account_lists_filter_sort_and_page_with_cursors(store: Store) {
    let csm = store
        .create_user(user("csm@v.io", Role::Csm).validate(None).unwrap())
        .await
        .unwrap();
    let mut batch = Vec::new();
    for i in 0..25 {
        let f = AccountFields {
            name: Name::parse(&format!("Company {:02}", 24 - i)).unwrap(),
            tier: Some(if i % 2 == 0 { "enterprise" } else { "long_tail" }.parse().unwrap()),
            owner_id: (i % 5 == 0).then_some(csm.id),
            domain: Some(format!("c{i}.example.com").parse().unwrap()),
            ..account(&format!("a{i:02}"))
        };
        batch.push(upsert(f));
    }
    store.upsert_accounts(batch).await.unwrap();
    for i in 0..10 {
        let id = store
            .account_by_external_id(&ExternalId::parse(&format!("a{i:02}")).unwrap())
            .await
            .unwrap()
            .unwrap()
            .id;
        let mut k = contract(&format!("k{i}"), id, (i + 1) * 1_000_00, "2025-01-01");
        let mut f = k.fields.clone().into_inner();
        f.end_date = d("2026-01-01") + chrono::Days::new(i as u64 * 10);
        k.fields = f.validate().unwrap();
        store.upsert_contracts(vec![k]).await.unwrap();
    }

    // Paging by name visits every account once, in order.
    let by_name = AccountOrder {
        sort: AccountSort::Name,
        descending: false,
    };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .list_accounts(&AccountFilter::default(), by_name, 10, cursor.as_deref())
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|a| a.account.fields.name.to_string()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen.len(), 25);
    assert_eq!(seen, sorted);

    let filter = AccountFilter {
        tier: Some("enterprise".parse().unwrap()),
        owner_id: Some(csm.id),
        ..Default::default()
    };
    let page = store.list_accounts(&filter, by_name, 50, None).await.unwrap();
    assert_eq!(page.items.len(), 3, "a00, a10, a20");
    let q = AccountFilter {
        q: Some("C7.EXAMPLE".into()),
        ..Default::default()
    };
    assert_eq!(store.list_accounts(&q, by_name, 50, None).await.unwrap().items.len(), 1);
    let literal = AccountFilter {
        q: Some("%".into()),
        ..Default::default()
    };
    assert!(
        store
            .list_accounts(&literal, by_name, 50, None)
            .await
            .unwrap()
            .items
            .is_empty(),
        "% is literal"
    );

    // ARR and renewal come from the contracts.
    let by_arr = AccountOrder {
        sort: AccountSort::Arr,
        descending: true,
    };
    let top = store
        .list_accounts(&AccountFilter::default(), by_arr, 2, None)
        .await
        .unwrap();
    assert_eq!(top.items[0].arr, Cents(10_000_00));
    assert_eq!(top.items[1].arr, Cents(9_000_00));
    let second = store
        .list_accounts(&AccountFilter::default(), by_arr, 2, top.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(second.items[0].arr, Cents(8_000_00));
    let err = store
        .list_accounts(&AccountFilter::default(), by_name, 2, top.next_cursor.as_deref())
        .await;
    assert!(
        matches!(err, Err(StoreError::BadCursor)),
        "a cursor belongs to its sort order"
    );
    let soon = AccountFilter {
        renewal_between: Some((d("2026-01-01"), d("2026-01-25"))),
        ..Default::default()
    };
    let by_renewal = AccountOrder {
        sort: AccountSort::RenewalDate,
        descending: false,
    };
    let renewing = store.list_accounts(&soon, by_renewal, 50, None).await.unwrap();
    let dates: Vec<_> = renewing
        .items
        .iter()
        .map(|a| a.renewal_date.unwrap().to_string())
        .collect();
    assert_eq!(dates, ["2026-01-01", "2026-01-11", "2026-01-21"]);
}

store_test!(accounts_are_created_updated_and_deleted_one_by_one);
async fn accounts_are_created_updated_and_deleted_one_by_one(store: Store) {
    let created = store
        .create_account(account("acme").validate(None).unwrap())
        .await
        .unwrap();
    let dup = store
        .create_account(account("acme").validate(None).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");
    let other = store
        .create_account(account("globex").validate(None).unwrap())
        .await
        .unwrap();
    let id = created.account.id;
    let renamed = AccountFields {
        external_id: ExternalId::parse("acme-2").unwrap(),
        ..account("x")
    };
    let updated = store
        .update_account(id, renamed.validate(None).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(updated.account.id, id);
    assert_eq!(updated.account.fields.external_id.as_str(), "acme-2");
    let taken = AccountFields {
        external_id: ExternalId::parse("globex").unwrap(),
        ..account("x")
    };
    assert!(matches!(
        store.update_account(id, taken.validate(None).unwrap(), None).await,
        Err(StoreError::Conflict(_))
    ));
    let child = AccountFields {
        parent_id: Some(id),
        ..account("globex")
    };
    store
        .update_account(other.account.id, child.validate(None).unwrap(), None)
        .await
        .unwrap();
    store
        .upsert_contracts(vec![contract("k1", id, 5_000_00, "2025-01-01")])
        .await
        .unwrap();
    store.delete_account(id).await.unwrap();
    assert!(store.account(id).await.unwrap().is_none());
    assert_eq!(
        store.count_contracts().await.unwrap(),
        0,
        "contracts go with their account"
    );
    assert_eq!(
        store.account(other.account.id).await.unwrap().unwrap().fields.parent_id,
        None
    );
    assert!(matches!(
        store.delete_account(id).await,
        Err(StoreError::NotFound { .. })
    ));
}

store_test!(api_tokens_are_found_by_hash_until_revoked);
async fn api_tokens_are_found_by_hash_until_revoked(store: Store) {
    let t = store
        .create_token(
            &Name::parse("zapier").unwrap(),
            Role::Viewer,
            None,
            "lst_ab12",
            "hash-1",
        )
        .await
        .unwrap();
    assert_eq!(store.token_actor("hash-1").await.unwrap(), Some((Role::Viewer, None)));
    assert!(store.token_actor("hash-2").await.unwrap().is_none());
    let csm = store
        .create_user(user("c@v.io", Role::Csm).validate(None).unwrap())
        .await
        .unwrap();
    store
        .create_token(
            &Name::parse("mine").unwrap(),
            Role::Viewer,
            Some(csm.id),
            "lst_cd34",
            "hash-3",
        )
        .await
        .unwrap();
    assert_eq!(
        store.token_actor("hash-3").await.unwrap(),
        Some((Role::Csm, Some(csm.id))),
        "a user's token has the user's role"
    );
    store.revoke_token(t.id).await.unwrap();
    assert!(store.token_actor("hash-1").await.unwrap().is_none());
    assert!(store.tokens().await.unwrap()[0].revoked_at.is_some());
    assert!(store.revoke_token(t.id).await.is_err(), "already revoked");
}

store_test!(contacts_and_contracts_are_created_updated_and_deleted_one_by_one);
async fn contacts_and_contracts_are_created_updated_and_deleted_one_by_one(store: Store) {
    let acme = one_account(&store, "acme").await;
    let globex = one_account(&store, "globex").await;
    let c = store
        .create_contact(contact("c1", acme).validate().unwrap())
        .await
        .unwrap();
    assert!(matches!(
        store.create_contact(contact("c1", acme).validate().unwrap()).await,
        Err(StoreError::Conflict(_))
    ));
    let moved = ContactFields {
        external_id: ExternalId::parse("c1b").unwrap(),
        ..contact("c1", globex)
    };
    let updated = store.update_contact(c.id, moved.validate().unwrap()).await.unwrap();
    assert_eq!(
        (
            updated.id,
            updated.fields.account_id,
            updated.fields.external_id.as_str()
        ),
        (c.id, globex, "c1b")
    );
    store.delete_contact(c.id).await.unwrap();
    assert!(store.contact(c.id).await.unwrap().is_none());
    assert!(matches!(
        store.delete_contact(c.id).await,
        Err(StoreError::NotFound { .. })
    ));

    let k = store
        .create_contract(contract("k1", acme, 7_000_00, "2025-01-01"))
        .await
        .unwrap();
    assert_eq!(k.changes.changes().len(), 1);
    assert_eq!(store.account_summary(acme).await.unwrap().unwrap().arr, Cents(7_000_00));
    let mut f = k.fields.clone();
    f.account_id = globex;
    f.name = Some(Name::parse("Moved").unwrap());
    let k2 = store.update_contract(k.id, f.validate().unwrap()).await.unwrap();
    assert_eq!(
        (k2.arr, k2.fields.account_id),
        (Cents(7_000_00), globex),
        "fields change, ARR stays"
    );
    assert_eq!(
        store.account_summary(acme).await.unwrap().unwrap().arr,
        Cents(0),
        "rollups follow the move"
    );
    assert_eq!(
        store.account_summary(globex).await.unwrap().unwrap().arr,
        Cents(7_000_00)
    );
    assert_eq!(
        store.account_arr_at(globex, d("2025-06-01")).await.unwrap(),
        Cents(7_000_00),
        "history moved too"
    );
    store.delete_contract(k.id).await.unwrap();
    assert_eq!(store.account_summary(globex).await.unwrap().unwrap().arr, Cents(0));
    assert!(store.contract(k.id).await.unwrap().is_none());
}

store_test!(sessions_live_until_they_end_and_failures_are_counted);
async fn sessions_live_until_they_end_and_failures_are_counted(store: Store) {
    let u = store
        .create_user(user("u@v.io", Role::Csm).validate(None).unwrap())
        .await
        .unwrap();
    store.set_password_hash(u.id, "$argon2id$dummy").await.unwrap();
    let (found, hash) = store
        .password_hash(&Email::parse("u@v.io").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, hash.as_deref()), (u.id, Some("$argon2id$dummy")));
    assert!(
        store
            .password_hash(&Email::parse("nobody@v.io").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let earlier = chrono::Utc::now() - chrono::Duration::hours(1);
    store.create_session(u.id, "live", later).await.unwrap();
    store.create_session(u.id, "stale", earlier).await.unwrap();
    assert_eq!(store.session_user("live").await.unwrap().unwrap().id, u.id);
    assert!(store.session_user("stale").await.unwrap().is_none(), "expired");
    store.delete_session("live").await.unwrap();
    assert!(store.session_user("live").await.unwrap().is_none(), "signed out");

    let since = chrono::Utc::now() - chrono::Duration::minutes(15);
    for _ in 0..3 {
        store.record_sign_in_failure("x@v.io").await.unwrap();
    }
    assert_eq!(store.sign_in_failures_since("x@v.io", since).await.unwrap(), 3);
    assert_eq!(store.sign_in_failures_since("y@v.io", since).await.unwrap(), 0);
    store.clear_sign_in_failures("x@v.io").await.unwrap();
    assert_eq!(store.sign_in_failures_since("x@v.io", since).await.unwrap(), 0);
}

store_test!(edits_are_told_on_the_account_timeline);
async fn edits_are_told_on_the_account_timeline(store: Store) {
    let ann = store
        .create_user(user("ann@v.io", Role::Csm).validate(None).unwrap())
        .await
        .unwrap();
    let leader = store
        .create_user(user("lee@v.io", Role::Leader).validate(None).unwrap())
        .await
        .unwrap();
    let id = one_account(&store, "acme").await;
    store
        .upsert_contracts(vec![contract("k1", id, 5_000_00, "2025-03-01")])
        .await
        .unwrap();
    let edited = AccountFields {
        lifecycle_stage: LifecycleStage::Expand,
        owner_id: Some(ann.id),
        ..store.account(id).await.unwrap().unwrap().fields
    };
    store
        .update_account(id, edited.clone().validate(Some(id)).unwrap(), Some(leader.id))
        .await
        .unwrap();
    // Saving without a change adds nothing.
    store
        .update_account(id, edited.validate(Some(id)).unwrap(), Some(leader.id))
        .await
        .unwrap();

    let entries = store.timeline_entries(id).await.unwrap();
    let texts: Vec<(&str, Option<&str>)> = entries.iter().map(|e| (e.text.as_str(), e.actor.as_deref())).collect();
    assert_eq!(
        texts,
        [
            ("Lifecycle stage: Adopt → Expand", Some("lee")),
            ("Owner (CSM): — → ann", Some("lee")),
        ]
    );
    assert!(entries.iter().all(|e| e.kind == TimelineKind::Edit && e.at.is_some()));

    let account = store.account(id).await.unwrap().unwrap();
    let contracts = store.contracts_of(id).await.unwrap();
    let story = assemble_timeline(&account, &contracts, entries);
    let kinds: Vec<TimelineKind> = story.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            TimelineKind::Edit,
            TimelineKind::Edit,
            TimelineKind::Launch,
            TimelineKind::ContractChange
        ],
        "newest first: {story:?}"
    );

    // The story goes with its account.
    store.delete_account(id).await.unwrap();
    assert!(store.timeline_entries(id).await.unwrap().is_empty());
}

fn message(json: &str) -> Message {
    Message::parse(json, None, "2026-11-25T12:00:00Z".parse().unwrap(), || {
        unreachable!("ids are given")
    })
    .unwrap()
}

fn track(id: &str, user: &str, event: &str, at: &str, group: Option<&str>) -> Message {
    let context = group.map_or(String::new(), |g| format!(r#","context":{{"groupId":"{g}"}}"#));
    message(&format!(
        r#"{{"type":"track","messageId":"{id}","userId":"{user}","event":"{event}","timestamp":"{at}"{context}}}"#
    ))
}

async fn days(store: &Store, account: AccountId) -> Vec<(String, i64, i64)> {
    store
        .usage_days(account, d("2026-01-01"), d("2026-12-31"))
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.day.to_string(), u.events, u.active_users))
        .collect()
}

store_test!(usage_is_stored_once_placed_on_accounts_and_rolled_up);
async fn usage_is_stored_once_placed_on_accounts_and_rolled_up(store: Store) {
    let acme = one_account(&store, "acme").await;
    let ada = ContactFields {
        email: Some(Email::parse("ada@acme.io").unwrap()),
        ..contact("ada", acme)
    };
    store.upsert_contacts(vec![ada.validate().unwrap()]).await.unwrap();
    let batch = vec![
        message(
            r#"{"type":"group","messageId":"g1","userId":"u1","groupId":"acme","timestamp":"2026-11-01T08:00:00Z"}"#,
        ),
        track("t1", "u1", "Report Exported", "2026-11-02T09:00:00Z", None),
        track("t2", "u1", "Report Exported", "2026-11-02T23:59:59Z", None),
        track("t2", "u1", "Report Exported", "2026-11-02T23:59:59Z", None),
        track("t3", "u2", "Signed In", "2026-11-02T10:00:00Z", Some("globex")),
        message(
            r#"{"type":"identify","messageId":"i1","userId":"u3","traits":{"email":"ADA@acme.io"},"timestamp":"2026-11-03T08:00:00Z"}"#,
        ),
        track("t4", "u3", "Signed In", "2026-11-03T08:05:00+02:00", None),
    ];
    let summary = store.ingest(&batch).await.unwrap();
    assert_eq!(
        summary,
        IngestSummary {
            stored: 6,
            duplicates: 1,
            unmatched: 1
        },
        "t2 repeats; t3 names an account not yet known"
    );
    assert_eq!(
        days(&store, acme).await,
        [("2026-11-02".into(), 2, 1), ("2026-11-03".into(), 1, 1)],
        "u1 by the group call, u3 by the contact's email; 08:05+02:00 is 06:05 UTC"
    );

    // The waiting event attaches when its account arrives.
    let globex = one_account(&store, "globex").await;
    assert_eq!(days(&store, globex).await, [("2026-11-02".into(), 1, 1)]);

    // A late event lands on its own day; a second user makes two active.
    store
        .ingest(&[track("t5", "u3", "Report Exported", "2026-11-02T12:00:00Z", None)])
        .await
        .unwrap();
    let expected = [("2026-11-02".to_owned(), 3, 2), ("2026-11-03".to_owned(), 1, 1)];
    assert_eq!(days(&store, acme).await, expected);
    let features: Vec<(String, String, i64)> = store
        .feature_days(acme, d("2026-11-01"), d("2026-11-30"))
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.feature, f.day.to_string(), f.events))
        .collect();
    assert_eq!(
        features,
        [
            ("Report Exported".into(), "2026-11-02".into(), 3),
            ("Signed In".into(), "2026-11-03".into(), 1)
        ]
    );

    // Sending everything again stores nothing; rebuilding gives the same rollups.
    let again = store.ingest(&batch).await.unwrap();
    assert_eq!(again.stored, 0);
    assert_eq!(again.duplicates, 7);
    store.rebuild_usage_rollups().await.unwrap();
    assert_eq!(days(&store, acme).await, expected);
    assert_eq!(days(&store, globex).await, [("2026-11-02".into(), 1, 1)]);
}

store_test!(a_contact_added_after_the_identify_call_claims_the_person_and_their_events);
async fn a_contact_added_after_the_identify_call_claims_the_person_and_their_events(store: Store) {
    let acme = one_account(&store, "acme").await;
    store
        .ingest(&[
            message(
                r#"{"type":"identify","messageId":"i1","userId":"u7","traits":{"email":"Grace@Acme.io"},"timestamp":"2026-11-02T08:00:00Z"}"#,
            ),
            track("t1", "u7", "Signed In", "2026-11-02T09:00:00Z", None),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.usage_counts().await.unwrap().unmatched,
        2,
        "no contact, no group: waiting"
    );
    let grace = ContactFields {
        email: Some(Email::parse("grace@acme.io").unwrap()),
        ..contact("grace", acme)
    };
    store.create_contact(grace.validate().unwrap()).await.unwrap();
    assert_eq!(days(&store, acme).await, [("2026-11-02".into(), 1, 1)]);
    assert_eq!(store.usage_counts().await.unwrap().unmatched, 0);
    let people = store.account_people(acme, d("2026-11-25")).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].email.as_deref(), Some("grace@acme.io"));
}

store_test!(an_alias_merges_an_anonymous_visitor_into_the_user);
async fn an_alias_merges_an_anonymous_visitor_into_the_user(store: Store) {
    let acme = one_account(&store, "acme").await;
    store
        .ingest(&[
            message(r#"{"type":"page","messageId":"p1","anonymousId":"anon-7","name":"Pricing","timestamp":"2026-11-02T09:00:00Z"}"#),
            message(r#"{"type":"group","messageId":"g1","userId":"u1","groupId":"acme","timestamp":"2026-11-02T09:10:00Z"}"#),
            track("t1", "u1", "Signed In", "2026-11-02T09:11:00Z", None),
        ])
        .await
        .unwrap();
    assert_eq!(
        days(&store, acme).await,
        [("2026-11-02".into(), 1, 1)],
        "the visitor is not placed yet"
    );
    store
        .ingest(&[message(
            r#"{"type":"alias","messageId":"a1","userId":"u1","previousId":"anon-7","timestamp":"2026-11-02T09:12:00Z"}"#,
        )])
        .await
        .unwrap();
    assert_eq!(
        days(&store, acme).await,
        [("2026-11-02".into(), 2, 1)],
        "the visit counts for u1 once the two ids are one person"
    );
}

store_test!(a_bulk_import_is_one_transaction_that_keeps_duplicates_out);
async fn a_bulk_import_is_one_transaction_that_keeps_duplicates_out(store: Store) {
    let acme = one_account(&store, "acme").await;
    let first = [
        track("t1", "u1", "Signed In", "2026-11-02T09:00:00Z", Some("acme")),
        track("t2", "u2", "Signed In", "2026-11-02T10:00:00Z", Some("acme")),
    ];
    // Batches of one import see each other: t1 again is a duplicate before anything is written.
    let second = [
        track("t1", "u1", "Signed In", "2026-11-02T09:00:00Z", Some("acme")),
        track("t3", "u1", "Report Exported", "2026-11-03T09:00:00Z", Some("acme")),
    ];
    let mut import = store.begin_event_import().await.unwrap();
    let mut summary = import.add(&first).await.unwrap();
    summary.add(import.add(&second).await.unwrap());
    assert_eq!(
        summary,
        IngestSummary {
            stored: 3,
            duplicates: 1,
            unmatched: 0
        }
    );
    import.commit().await.unwrap();
    assert_eq!(
        days(&store, acme).await,
        [("2026-11-02".into(), 2, 2), ("2026-11-03".into(), 1, 1)]
    );
    assert_eq!(store.usage_counts().await.unwrap().events, 3);

    // An import dropped before its commit leaves nothing behind.
    let mut abandoned = store.begin_event_import().await.unwrap();
    abandoned
        .add(&[track("t4", "u3", "Signed In", "2026-11-04T09:00:00Z", Some("acme"))])
        .await
        .unwrap();
    drop(abandoned);
    assert_eq!(store.usage_counts().await.unwrap().events, 3);
    assert!(store.stored_message_ids(&["t4".into()]).await.unwrap().is_empty());
    assert_eq!(days(&store, acme).await.len(), 2);
}

store_test!(a_day_counts_each_active_person_once_however_late_their_events);
async fn a_day_counts_each_active_person_once_however_late_their_events(store: Store) {
    let acme = one_account(&store, "acme").await;
    let at = |id: &str, user: &str, day: &str| track(id, user, "Signed In", &format!("{day}T09:00:00Z"), Some("acme"));
    store
        .ingest(&[at("t1", "u1", "2026-01-05"), at("t2", "u1", "2026-06-01")])
        .await
        .unwrap();
    // u1 again on a recent day and on a day long before their last (beyond what their
    // activity summary remembers), and a second person on that old day.
    store
        .ingest(&[at("t3", "u1", "2026-06-01"), at("t4", "u1", "2026-01-05")])
        .await
        .unwrap();
    store.ingest(&[at("t5", "u2", "2026-01-05")]).await.unwrap();
    let expected = [("2026-01-05".to_owned(), 3, 2), ("2026-06-01".to_owned(), 2, 1)];
    assert_eq!(days(&store, acme).await, expected);
    store.rebuild_usage_rollups().await.unwrap();
    assert_eq!(days(&store, acme).await, expected, "the rebuild agrees");
}

/// Two processes (two pools on one database) storing the same people's events for the same
/// days at the same moment: each day must count each person once.
async fn two_writers_count_a_person_once(db: TestDb) {
    let acme = one_account(&db.store, "acme").await;
    let other = Store::connect(&db.url).await.unwrap();
    let batch = |side: &str| -> Vec<Message> {
        (0..400)
            .map(|i| {
                let at = format!("2026-10-{:02}T{:02}:00:00Z", i % 20 + 1, i % 24);
                track(
                    &format!("{side}{i}"),
                    &format!("u{}", i % 7),
                    "Signed In",
                    &at,
                    Some("acme"),
                )
            })
            .collect()
    };
    let (first, second) = (batch("a"), batch("b"));
    let (a, b) = tokio::join!(db.store.ingest(&first), other.ingest(&second));
    a.unwrap();
    b.unwrap();
    let days = days(&db.store, acme).await;
    assert_eq!(days.len(), 20);
    // Each day: 20 events from each side, by all seven people (20 ≡ 6 mod 7 walks them all).
    assert!(
        days.iter().all(|(_, events, users)| (*events, *users) == (40, 7)),
        "{days:?}"
    );
    other.close().await;
    db.finish().await;
}

#[tokio::test]
async fn two_writers_count_a_person_once_sqlite() {
    two_writers_count_a_person_once(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn two_writers_count_a_person_once_postgres() {
    if let Some(db) = TestDb::postgres().await {
        two_writers_count_a_person_once(db).await;
    }
}

store_test!(stored_events_move_into_blocks_when_the_schema_is_upgraded, unmigrated);
async fn stored_events_move_into_blocks_when_the_schema_is_upgraded(store: Store) {
    // The database as version 9 left it: a row per event, an alias already applied to the
    // rows (p1 was sent by anon-7), and one event waiting for its account.
    store.migrate_until(9).await.unwrap();
    let at = "'2026-11-02T09:00:00+00:00'";
    lodestar_store::testing::execute_sql(
        &store,
        &format!(
            r#"INSERT INTO accounts (external_id, name, lifecycle_stage, custom_fields, created_at, updated_at)
               VALUES ('acme', 'Acme', 'adopt', '{{}}', {at}, {at});
            INSERT INTO usage_people (user_key, group_id, account_id, traits, first_seen_at, last_seen_at)
               VALUES ('u1', 'acme', (SELECT id FROM accounts), '{{}}', {at}, {at});
            INSERT INTO usage_events (message_id, kind, feature, user_key, group_id, account_id, occurred_at, received_at, payload) VALUES
              ('p1', 'page', 'Pricing', 'u1', NULL, (SELECT id FROM accounts), '2026-11-02T08:00:00+00:00', {at},
               '{{"type":"page","messageId":"p1","anonymousId":"anon-7","name":"Pricing","timestamp":"2026-11-02T08:00:00Z"}}'),
              ('a1', 'alias', NULL, 'u1', NULL, (SELECT id FROM accounts), {at}, {at},
               '{{"type":"alias","messageId":"a1","userId":"u1","previousId":"anon-7","timestamp":"2026-11-02T09:00:00Z"}}'),
              ('t1', 'track', 'Signed In', 'u1', NULL, (SELECT id FROM accounts), {at}, {at},
               '{{"type":"track","messageId":"t1","userId":"u1","event":"Signed In","timestamp":"2026-11-02T09:00:00Z"}}'),
              ('w1', 'track', 'Signed In', 'u9', 'globex', NULL, '2026-11-03T09:00:00+00:00', {at},
               '{{"type":"track","messageId":"w1","userId":"u9","event":"Signed In","context":{{"groupId":"globex"}},"timestamp":"2026-11-03T09:00:00Z"}}');"#
        ),
    )
    .await;
    assert!(
        store.migrate().await.unwrap().starts_with(&[10]),
        "version 10 and the later ones"
    );

    let counts = store.usage_counts().await.unwrap();
    assert_eq!((counts.events, counts.unmatched), (4, 1));
    let waiting = store.unmatched_events(10).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (waiting[0].message_id.as_str(), waiting[0].group_id.as_deref()),
        ("w1", Some("globex"))
    );
    let ids = ["p1", "a1", "t1", "w1", "never"].map(String::from);
    let mut stored: Vec<String> = store.stored_message_ids(&ids).await.unwrap().into_iter().collect();
    stored.sort();
    assert_eq!(stored, ["a1", "p1", "t1", "w1"]);

    // Rebuilt from the blocks: anon-7's visit is u1's, by the alias moved with the events.
    let acme = account_id_of(&store, "acme").await;
    store.rebuild_usage_rollups().await.unwrap();
    assert_eq!(days(&store, acme).await, [("2026-11-02".into(), 2, 1)]);
    let again = store
        .ingest(&[track("t1", "u1", "Signed In", "2026-11-02T09:00:00Z", None)])
        .await
        .unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 1));
    // The waiting event still attaches when its account arrives.
    let globex = one_account(&store, "globex").await;
    assert_eq!(days(&store, globex).await, [("2026-11-03".into(), 1, 1)]);
    assert_eq!(store.usage_counts().await.unwrap().unmatched, 0);
}

store_test!(milestones_are_recorded_as_events_show_them_and_first_value_ends_land);
async fn milestones_are_recorded_as_events_show_them_and_first_value_ends_land(store: Store) {
    let launched = AccountFields {
        lifecycle_stage: LifecycleStage::Land,
        launch_date: Some(d("2026-11-01")),
        ..account("acme")
    };
    store.upsert_accounts(vec![upsert(launched)]).await.unwrap();
    let acme = account_id_of(&store, "acme").await;
    let first_value = store
        .create_milestone(
            MilestoneFields {
                name: Name::parse("Exported three reports").unwrap(),
                feature: "Report Exported".into(),
                threshold: Threshold::Times(3),
                within_days: 30,
                first_value: true,
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
    let another_first = MilestoneFields {
        name: Name::parse("Other").unwrap(),
        feature: "x".into(),
        threshold: Threshold::Times(1),
        within_days: 5,
        first_value: true,
    };
    assert!(
        matches!(
            store.create_milestone(another_first.validate().unwrap()).await,
            Err(StoreError::Conflict(m)) if m == "another milestone is already the first-value one"
        ),
        "the same words on both databases"
    );
    let today = d("2026-11-25");
    let status = |store: Store| async move { store.account_milestones(acme, today).await.unwrap()[0].1 };

    store
        .ingest(&[
            track("t1", "u1", "Report Exported", "2026-11-02T09:00:00Z", Some("acme")),
            track("t2", "u2", "Report Exported", "2026-11-02T10:00:00Z", Some("acme")),
        ])
        .await
        .unwrap();
    assert_eq!(
        status(store.clone()).await,
        MilestoneStatus::Pending {
            progress: 2,
            target: 3,
            due: d("2026-12-01")
        }
    );
    store
        .ingest(&[track(
            "t3",
            "u1",
            "Report Exported",
            "2026-11-05T09:00:00Z",
            Some("acme"),
        )])
        .await
        .unwrap();
    assert_eq!(
        status(store.clone()).await,
        MilestoneStatus::Achieved { on: d("2026-11-05") }
    );
    let reached = store.account(acme).await.unwrap().unwrap();
    assert_eq!(
        reached.fields.lifecycle_stage,
        LifecycleStage::Adopt,
        "first value ends Land"
    );
    assert_eq!(reached.fields.first_value_date, Some(d("2026-11-05")));
    let story = store.timeline_entries(acme).await.unwrap();
    assert_eq!(story[0].kind, TimelineKind::Milestone);
    assert_eq!(story[0].on, d("2026-11-05"));
    assert!(story[0].text.contains("moved from Land to Adopt"), "{:?}", story[0]);

    // A milestone defined later is recorded from the events already stored.
    let team = store
        .create_milestone(
            MilestoneFields {
                name: Name::parse("Two people export").unwrap(),
                feature: "Report Exported".into(),
                threshold: Threshold::People(2),
                within_days: 14,
                first_value: false,
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
    let statuses = store.account_milestones(acme, today).await.unwrap();
    assert_eq!(statuses[1].0.id, team.id);
    assert_eq!(statuses[1].1, MilestoneStatus::Achieved { on: d("2026-11-02") });
    assert_eq!(statuses[0].0.id, first_value.id);

    // An account launched long ago without the behaviour has missed it.
    let old = AccountFields {
        launch_date: Some(d("2025-01-01")),
        ..account("old")
    };
    store.upsert_accounts(vec![upsert(old)]).await.unwrap();
    let old = account_id_of(&store, "old").await;
    assert_eq!(
        store.account_milestones(old, today).await.unwrap()[0].1,
        MilestoneStatus::Missed {
            progress: 0,
            target: 3,
            due: d("2025-01-31")
        }
    );
}

store_test!(usage_views_show_weeks_people_and_falling_accounts);
async fn usage_views_show_weeks_people_and_falling_accounts(store: Store) {
    let acme = one_account(&store, "acme").await;
    store
        .create_milestone(
            MilestoneFields {
                name: Name::parse("Exports").unwrap(),
                feature: "Report Exported".into(),
                threshold: Threshold::Times(1),
                within_days: 30,
                first_value: false,
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
    // Wednesday 2026-11-25: three people active four weeks ago, one of them last week.
    let mut batch = Vec::new();
    for (i, user) in ["u1", "u2", "u3"].into_iter().enumerate() {
        batch.push(track(
            &format!("old{i}"),
            user,
            "Signed In",
            "2026-10-24T09:00:00Z",
            Some("acme"),
        ));
    }
    batch.push(track(
        "new1",
        "u1",
        "Report Exported",
        "2026-11-23T09:00:00Z",
        Some("acme"),
    ));
    batch.push(track("new2", "u1", "Signed In", "2026-11-24T09:00:00Z", Some("acme")));
    batch.push(message(
        r#"{"type":"group","messageId":"g1","userId":"u2","groupId":"acme"}"#,
    ));
    store.ingest(&batch).await.unwrap();
    let today = d("2026-11-25");

    let weeks = store.usage_weeks(acme, today, 6).await.unwrap();
    let shape: Vec<(String, i64, i64)> = weeks
        .iter()
        .map(|w| (w.week_start.to_string(), w.active_users, w.events))
        .collect();
    assert_eq!(
        shape,
        [
            ("2026-10-19".into(), 3, 3),
            ("2026-10-26".into(), 0, 0),
            ("2026-11-02".into(), 0, 0),
            ("2026-11-09".into(), 0, 0),
            ("2026-11-16".into(), 0, 0),
            ("2026-11-23".into(), 1, 2),
        ]
    );
    let (used, all) = store.feature_breadth(acme, today).await.unwrap();
    assert_eq!(used, ["Report Exported", "Signed In"]);
    assert_eq!(all, ["Report Exported", "Signed In"]);

    // Only u2 was placed by a group call; the others came with context.groupId.
    let people = store.account_people(acme, today).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].user_key, "u2");
    assert_eq!(people[0].missing_features, ["Report Exported"], "u2 never exported");
    assert_eq!(people[0].active_days_30, 0, "u2 was last active 32 days ago");
    assert_eq!(people[0].last_active, Some(d("2026-10-24")));

    let drops = store.usage_drops(today, 0.5).await.unwrap();
    assert_eq!(drops.len(), 1);
    assert_eq!(
        (drops[0].account_id, drops[0].active_before, drops[0].active_now),
        (acme, 3, 1)
    );
    assert!(
        store.usage_drops(today, 0.7).await.unwrap().is_empty(),
        "3 → 1 is a 67 % fall"
    );
}

fn card(name: &str, stage: Option<LifecycleStage>, measures: Vec<MeasureWeight>) -> ScorecardFields {
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

fn keys() -> Vec<&'static str> {
    lodestar_store::health_measures().iter().map(|m| m.key).collect()
}

store_test!(health_is_rescored_as_inputs_change_and_explains_itself);
async fn health_is_rescored_as_inputs_change_and_explains_itself(store: Store) {
    let acme = one_account(&store, "acme").await;
    let today = chrono::Utc::now().date_naive();
    let cards = store.scorecards().await.unwrap();
    assert_eq!(cards.len(), 1);
    assert!(cards[0].is_default());
    assert_eq!(
        cards[0].fields.measures.len(),
        keys().len(),
        "the default card weighs every measure"
    );
    assert_eq!(
        store.account_health(acme, today).await.unwrap().current,
        None,
        "no data yet"
    );

    // A pulse alone: (2 - 1) / 4 of the way from 0 to 100 points.
    store
        .record_pulse(acme, PulseLevel::new(2).unwrap(), "Champion left", None)
        .await
        .unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    assert_eq!((health.health.score, health.health.band), (25, Band::Red));
    assert_eq!(health.health.missing().len(), keys().len() - 1);

    // Four people active five to seven weeks ago, one this week: the trend (4 people-days to
    // 1) scores 0 points, the share of active people (1 of 4 = 25 %) 30. Rescored as the
    // events are stored.
    let at = |days_ago: u64| {
        format!(
            "{}T10:00:00Z",
            today.checked_sub_days(chrono::Days::new(days_ago)).unwrap()
        )
    };
    let mut batch: Vec<Message> = (0..4)
        .map(|i| track(&format!("old{i}"), &format!("u{i}"), "Signed In", &at(40), Some("acme")))
        .collect();
    batch.push(track("new", "u0", "Signed In", &at(2), Some("acme")));
    store.ingest(&batch).await.unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    // (0 × 25 + 30 × 20 + 25 × 15) / 60 = 16.25
    assert_eq!(health.health.score, 16, "{:?}", health.health);
    let trend = &health.health.measures[0];
    assert_eq!(trend.measure, "usage_trend");
    assert!(
        trend
            .reading
            .as_ref()
            .unwrap()
            .fact
            .starts_with("people-days active 4 → 1"),
        "{trend:?}"
    );
    let share = &health.health.measures[1];
    assert_eq!(share.points, Some(30.0));
    assert!(
        (share.share - 20.0 / 60.0).abs() < 1e-4,
        "stored to four decimals: {}",
        share.share
    );

    // A high-exposure industry (the account is in Retail) adds 0 points with weight 5.
    store
        .set_industry_exposures(&[("Retail".into(), Some(Exposure::High))])
        .await
        .unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    assert_eq!(health.health.score, 15, "975 / 65");
    let exposures = store.industry_exposures().await.unwrap();
    assert_eq!(exposures[0].industry, "Retail");
    assert_eq!(
        (exposures[0].exposure, exposures[0].accounts),
        (Some(Exposure::High), 1)
    );

    // A card for Adopt accounts that weighs only the pulse takes over at once.
    let adopt = card(
        "Adoption",
        Some(LifecycleStage::Adopt),
        vec![MeasureWeight {
            measure: "csm_pulse".into(),
            weight: 10,
            zero_at: 1.0,
            full_at: 5.0,
        }],
    );
    let created = store
        .create_scorecard(adopt.clone().validate(&keys()).unwrap())
        .await
        .unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    assert_eq!(health.scorecard, "Adoption");
    assert_eq!((health.health.score, health.health.band), (25, Band::Yellow));
    let same_scope = store
        .create_scorecard(
            card("Other", Some(LifecycleStage::Adopt), adopt.measures.clone())
                .validate(&keys())
                .unwrap(),
        )
        .await;
    assert!(
        matches!(&same_scope, Err(StoreError::Conflict(m)) if m == "a scorecard already scores this segment and stage"),
        "the same words on both databases: {same_scope:?}"
    );
    let default = store
        .scorecards()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.is_default())
        .unwrap();
    let mut moved = default.fields.clone();
    moved.lifecycle_stage = Some(LifecycleStage::Land);
    let err = store
        .update_scorecard(default.id, moved.validate(&keys()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(field_of(err), "tier");
    assert!(matches!(
        store.delete_scorecard(default.id).await,
        Err(StoreError::Conflict(_))
    ));
    store.delete_scorecard(created.id).await.unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    assert_eq!((health.scorecard.as_str(), health.health.score), ("Default", 15));

    // Scored as of a week ago, the usage then was 4 → 0 people-days; "what changed" compares with it.
    let week_ago = today.checked_sub_days(chrono::Days::new(7)).unwrap();
    store.recompute_health(week_ago).await.unwrap();
    store.recompute_health(today).await.unwrap();
    let later = store.account_health(acme, today).await.unwrap();
    assert_eq!(later.since, Some(week_ago));
    assert_eq!(
        later.history.iter().map(|p| p.day).collect::<Vec<_>>(),
        [week_ago, today]
    );
    let usage = later
        .changes
        .iter()
        .find(|c| c.label == "Usage trend")
        .expect("usage moved");
    assert!(
        usage.before.as_deref().unwrap().starts_with("people-days active 4 → 0"),
        "{usage:?}"
    );
    assert!(
        usage.after.as_deref().unwrap().starts_with("people-days active 4 → 1"),
        "{usage:?}"
    );
    assert!(usage.effect == 0.0, "0 points then and now: {usage:?}");

    // A churned account is not scored.
    let mut churned = store.account(acme).await.unwrap().unwrap().fields;
    churned.lifecycle_stage = LifecycleStage::Churned;
    store
        .update_account(acme, churned.validate(Some(acme)).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(store.account_health(acme, today).await.unwrap().current, None);
    let pulses = store.pulses(acme, 10).await.unwrap();
    assert_eq!(pulses[0].reason, "Champion left");
    let err = store
        .record_pulse(acme, PulseLevel::new(3).unwrap(), "  ", None)
        .await
        .unwrap_err();
    assert_eq!(field_of(err), "reason");
}

store_test!(problem_severity_and_price_thresholds_feed_the_score);
async fn problem_severity_and_price_thresholds_feed_the_score(store: Store) {
    let mut fields = account("acme");
    fields.tier = Some(Tier::Enterprise);
    store.upsert_accounts(vec![upsert(fields)]).await.unwrap();
    let acme = store.account_ids().await.unwrap()["acme"];
    store
        .upsert_contracts(vec![contract("c1", acme, 8_000_00, "2025-01-01")])
        .await
        .unwrap();
    store
        .set_problem(acme, Some(Severity::new(4).unwrap()), "Outage last week", None)
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    let severity = health
        .health
        .measures
        .iter()
        .find(|m| m.measure == "problem_severity")
        .unwrap();
    assert_eq!(severity.points, Some(25.0));
    assert_eq!(severity.reading.as_ref().unwrap().fact, "4 – Serious: Outage last week");
    store
        .set_price_thresholds(&[(Tier::Enterprise, Some(Cents(10_000_00)))])
        .await
        .unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    let price = health
        .health
        .measures
        .iter()
        .find(|m| m.measure == "price_threshold")
        .unwrap();
    assert_eq!(price.points, Some(60.0), "80 % of the threshold");
    assert_eq!(
        price.reading.as_ref().unwrap().fact,
        "ARR $8,000 is 80 % of the Enterprise threshold $10,000"
    );
    store.set_problem(acme, None, "", None).await.unwrap();
    assert_eq!(store.problem(acme).await.unwrap(), None);
    let timeline: Vec<String> = store
        .account_view(acme, today)
        .await
        .unwrap()
        .unwrap()
        .timeline
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert!(
        timeline
            .iter()
            .any(|t| t == "Problem severity: 4 – Serious — Outage last week"),
        "{timeline:?}"
    );
}

/// A contract of `arr` cents that ends on `end`, signed 200 days before `today`.
fn contract_ending(key: &str, account: AccountId, arr: i64, end: NaiveDate, today: NaiveDate) -> ContractUpsert {
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
async fn risk_book(store: &Store, today: NaiveDate) -> [AccountId; 3] {
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

store_test!(an_lxl_review_assembles_its_agenda_and_brings_back_action_items);
async fn an_lxl_review_assembles_its_agenda_and_brings_back_action_items(store: Store) {
    use lodestar_domain::review::{ActionItemFields, Quarter};
    use lodestar_domain::vocabulary::{ActionStatus, AgendaReason};
    use lodestar_store::{LineFilter, LineNotes};

    let today = chrono::Utc::now().date_naive();
    let [red, green, yellow] = risk_book(&store, today).await;
    let leader = store
        .create_user(user("lead@example.com", Role::Leader).validate(None).unwrap())
        .await
        .unwrap();
    let q3: Quarter = "2026-Q3".parse().unwrap();
    let review = store.start_lxl_review(q3, Some(leader.id), today).await.unwrap();
    assert_eq!((review.quarter, review.lines, review.prepared), (q3, 2, 0));
    assert!(matches!(
        store.start_lxl_review(q3, None, today).await,
        Err(StoreError::Conflict(_))
    ));

    let (lines, total) = store.lxl_lines(review.id, LineFilter::default(), 0, 50).await.unwrap();
    assert_eq!(total, 2);
    let agenda: Vec<(AccountId, Vec<AgendaReason>)> = lines.iter().map(|l| (l.account_id, l.reasons.clone())).collect();
    assert_eq!(
        agenda,
        vec![
            (green, vec![AgendaReason::ExpansionReady, AgendaReason::RenewalSoon]),
            (red, vec![AgendaReason::AtRisk, AgendaReason::RenewalSoon]),
        ],
        "most ARR first; the yellow account renewing in 300 days is not on it"
    );
    assert_eq!(
        (lines[1].band, lines[1].score, lines[1].arr),
        (Some(Band::Red), Some(0), Cents(10_000_00))
    );
    let at_risk = LineFilter {
        reason: Some(AgendaReason::AtRisk),
        ..LineFilter::default()
    };
    let (lines, total) = store.lxl_lines(review.id, at_risk, 0, 50).await.unwrap();
    assert_eq!((total, lines[0].account_id), (1, red));

    // The team adds the account it worries about; once.
    let added = store.add_to_lxl_review(review.id, yellow).await.unwrap();
    assert_eq!(added.reasons, vec![AgendaReason::AddedByHand]);
    assert!(matches!(
        store.add_to_lxl_review(review.id, yellow).await,
        Err(StoreError::Conflict(_))
    ));

    let notes = LineNotes {
        history: Note::parse("Signed 2024.\nRenewed once.").unwrap(),
        challenges: Note::parse("Champion left in May").unwrap(),
        asks: Note::parse("CEO to call their CFO").unwrap(),
    };
    let line = store.save_lxl_notes(review.id, red, notes.clone()).await.unwrap();
    assert_eq!(line.notes, notes);
    assert_eq!(store.lxl_review(review.id).await.unwrap().prepared, 1);

    let item = |text: &str, owner: UserId| ActionItemFields {
        description: Text::parse(text).unwrap(),
        owner_id: owner,
        due_on: today + chrono::Days::new(14),
    };
    let ceo_call = store
        .add_action_item(review.id, red, item("CEO calls their CFO", leader.id))
        .await
        .unwrap();
    let training = store
        .add_action_item(review.id, red, item("Re-train the new admin", leader.id))
        .await
        .unwrap();
    assert_eq!(
        (ceo_call.status, ceo_call.quarter, ceo_call.owner.as_str()),
        (ActionStatus::Open, q3, "lead")
    );
    assert_eq!(
        field_of(
            store
                .add_action_item(review.id, red, item("Nobody's", UserId(999_999)))
                .await
                .unwrap_err()
        ),
        "owner_id"
    );
    assert!(matches!(
        store
            .add_action_item(review.id, AccountId(999_999), item("Off the agenda", leader.id))
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // The next review goes over every item of this one, whatever its status ...
    store.set_action_status(ceo_call.id, ActionStatus::Done).await.unwrap();
    let q4 = store
        .start_lxl_review("2026-Q4".parse().unwrap(), None, today)
        .await
        .unwrap();
    let carried: Vec<(i64, ActionStatus)> = store
        .carried_over_items(q4.id)
        .await
        .unwrap()
        .iter()
        .map(|i| (i.id, i.status))
        .collect();
    assert_eq!(
        carried,
        vec![(ceo_call.id, ActionStatus::Done), (training.id, ActionStatus::Open)]
    );
    // ... and the one after only what is still open.
    let q1 = store
        .start_lxl_review("2027-Q1".parse().unwrap(), None, today)
        .await
        .unwrap();
    let carried: Vec<i64> = store
        .carried_over_items(q1.id)
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(carried, vec![training.id]);
    let reopened = store.set_action_status(ceo_call.id, ActionStatus::Open).await.unwrap();
    assert_eq!(reopened.closed_at, None);
    assert_eq!(store.account_action_items(red).await.unwrap().len(), 2);
    assert_eq!(store.lxl_reviews().await.unwrap().len(), 3);
}

store_test!(a_churn_opens_a_retrospective_that_knows_whether_an_lxl_flagged_it);
async fn a_churn_opens_a_retrospective_that_knows_whether_an_lxl_flagged_it(store: Store) {
    use lodestar_domain::review::{ChurnFields, Quarter, RetrospectiveNotes};
    use lodestar_domain::vocabulary::ChurnReason;

    let today = chrono::Utc::now().date_naive();
    let [red, green, _] = risk_book(&store, today).await;
    let review = store.start_lxl_review(Quarter::of(today), None, today).await.unwrap();
    assert_eq!(review.lines, 2, "red at risk, green expansion-ready");
    let churn = |on: NaiveDate, reason| ChurnFields {
        churned_on: on,
        reason,
        detail: Note::parse("Budget cut after the merger").unwrap(),
    };
    assert_eq!(
        field_of(
            store
                .mark_churned(
                    red,
                    churn(today - chrono::Days::new(365), ChurnReason::Budget)
                        .validate(today)
                        .unwrap(),
                    None
                )
                .await
                .unwrap_err()
        ),
        "churned_on",
        "before the contract began"
    );
    assert_eq!(
        store.account_summary(red).await.unwrap().unwrap().arr,
        Cents(10_000_00),
        "nothing written"
    );

    let retro = store
        .mark_churned(red, churn(today, ChurnReason::Budget).validate(today).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        (retro.arr_lost, retro.reason, retro.flagged),
        (Cents(10_000_00), ChurnReason::Budget, true)
    );
    let summary = store.account_summary(red).await.unwrap().unwrap();
    assert_eq!(
        (summary.arr, summary.account.fields.lifecycle_stage),
        (Cents::ZERO, LifecycleStage::Churned)
    );
    let health = store.account_health(red, today).await.unwrap();
    assert!(health.current.is_none(), "churned accounts are not scored");
    assert!(!health.history.is_empty(), "but keep their history");
    let view = store.account_view(red, today).await.unwrap().unwrap();
    assert!(
        view.timeline
            .iter()
            .any(|e| e.kind == TimelineKind::Churn && e.text.starts_with("Churned on"))
    );
    assert!(
        view.timeline
            .iter()
            .any(|e| e.kind == TimelineKind::ContractChange && e.text.contains("Churn"))
    );
    assert!(matches!(
        store
            .mark_churned(red, churn(today, ChurnReason::Budget).validate(today).unwrap(), None)
            .await,
        Err(StoreError::Conflict(_))
    ));

    // Green was on the agenda as expansion-ready, not as a risk: never flagged. Its history
    // ends with the score it had, not one of an account without contracts.
    let before = store
        .account_health(green, today)
        .await
        .unwrap()
        .current
        .unwrap()
        .health
        .score;
    store
        .mark_churned(
            green,
            churn(today, ChurnReason::Competitor).validate(today).unwrap(),
            None,
        )
        .await
        .unwrap();
    let history = store.account_health(green, today).await.unwrap().history;
    assert_eq!(history.last().map(|p| p.score), Some(before));
    let (all, total) = store.retrospectives(false, 0, 50).await.unwrap();
    assert_eq!((total, all.len()), (2, 2));
    let (never, total) = store.retrospectives(true, 0, 50).await.unwrap();
    assert_eq!((total, never[0].account_id, never[0].flagged), (1, green, false));

    let notes = RetrospectiveNotes {
        prevention: Note::parse("Exec sponsor call at the first red week").unwrap(),
        exit_interview: Note::parse("Price was fine; the new CFO consolidated tools").unwrap(),
        learnings: Note::parse("Map the CFO before renewal").unwrap(),
        playbook: Note::parse("Renewal risk playbook").unwrap(),
    };
    let saved = store.save_retrospective(red, notes.clone()).await.unwrap();
    assert_eq!(saved.notes, notes);
    assert!(saved.updated_at.is_some());
    assert!(matches!(
        store.save_retrospective(AccountId(999_999), notes).await,
        Err(StoreError::NotFound { .. })
    ));
    let appearances = store.lxl_appearances(red, today).await.unwrap();
    assert_eq!(appearances.len(), 1);
}

store_test!(people_summaries_give_the_usage_measures_what_the_daily_rollups_give);
async fn people_summaries_give_the_usage_measures_what_the_daily_rollups_give(store: Store) {
    let acme = one_account(&store, "acme").await;
    one_account(&store, "globex").await;
    let today = chrono::Utc::now().date_naive();
    let at = |days_ago: u64, hour: u32| format!("{}T{hour:02}:00:00Z", today - chrono::Days::new(days_ago));
    // Four people over 100 days, in both windows, on both accounts; one placed by a group call
    // and never active; late events arriving after newer ones.
    let mut batch = vec![message(&format!(
        r#"{{"type":"group","messageId":"g-idle","userId":"idle","groupId":"acme","timestamp":"{}"}}"#,
        at(3, 8)
    ))];
    let mut n = 0;
    for (user, group, days) in [
        ("u1", "acme", vec![0u64, 1, 2, 9, 30, 31, 40, 55, 56, 63, 64, 70]),
        ("u2", "acme", vec![27, 28, 29, 50, 89, 95]),
        ("u3", "globex", vec![5, 5, 6, 33]),
        ("u4", "globex", vec![91, 99]),
    ] {
        for day in days {
            n += 1;
            batch.push(track(
                &format!("e{n}"),
                user,
                "Report Exported",
                &at(day, 10),
                Some(group),
            ));
        }
    }
    store.ingest(&batch).await.unwrap();
    let late = vec![
        track("late-1", "u1", "Signed In", &at(20, 9), Some("acme")),
        track("late-2", "u3", "Signed In", &at(60, 9), Some("globex")),
    ];
    store.ingest(&late).await.unwrap();
    let [summaries, days] = store.usage_activity_both_ways(today).await.unwrap();
    assert_eq!(summaries, days);
    let acme_row = summaries.iter().find(|(id, _)| *id == acme.0).unwrap().1;
    // Last 28 days (days 0–27 ago): u1 on 0, 1, 2, 9, 20 and u2 on 27 = 6; the 28 before
    // (28–55): u1 on 30, 31, 40, 55 and u2 on 28, 29, 50 = 7. Active: u1, u2. Known: u1, u2
    // and the idle one placed by its group call.
    assert_eq!(acme_row, [6, 7, 2, 3]);
    // After a rebuild from the stored events, the same.
    store.rebuild_usage_rollups().await.unwrap();
    assert_eq!(store.usage_activity_both_ways(today).await.unwrap()[0], summaries);
}

store_test!(a_full_recompute_never_overwrites_a_score_rescored_while_it_ran);
async fn a_full_recompute_never_overwrites_a_score_rescored_while_it_ran(store: Store) {
    let acme = one_account(&store, "acme").await;
    let globex = one_account(&store, "globex").await;
    let today = chrono::Utc::now().date_naive();
    for id in [acme, globex] {
        store
            .record_pulse(id, PulseLevel::new(5).unwrap(), "Great QBR", None)
            .await
            .unwrap();
    }
    // The recompute reads both accounts; before it writes, a pulse rescores acme.
    let done = store
        .recompute_chunk_around(&[acme.0, globex.0], today, async {
            store
                .record_pulse(acme, PulseLevel::new(1).unwrap(), "Champion left", None)
                .await
                .unwrap();
        })
        .await
        .unwrap();
    assert_eq!(done.scored, 1, "only globex is written");
    let acme_now = store.account_health(acme, today).await.unwrap().current.unwrap();
    assert_eq!(
        (acme_now.health.score, acme_now.health.band),
        (0, Band::Red),
        "the pulse's newer score stays"
    );
}

store_test!(deleting_an_account_deletes_its_health_history);
async fn deleting_an_account_deletes_its_health_history(store: Store) {
    let acme = one_account(&store, "acme").await;
    let globex = one_account(&store, "globex").await;
    let today = chrono::Utc::now().date_naive();
    for id in [acme, globex] {
        store
            .record_pulse(id, PulseLevel::new(4).unwrap(), "Good call", None)
            .await
            .unwrap();
    }
    store.recompute_health(today - chrono::Days::new(30)).await.unwrap();
    assert_eq!(
        store.account_health(acme, today).await.unwrap().history.len(),
        1,
        "today's; a month ago no pulse yet"
    );
    store.delete_account(acme).await.unwrap();
    assert!(store.account_health(acme, today).await.unwrap().history.is_empty());
    assert_eq!(
        store.account_health(globex, today).await.unwrap().history.len(),
        1,
        "the other account keeps its own"
    );
}

// Every uniqueness rule (the 409 messages) names a constraint both databases have, and every
// UNIQUE constraint of the schema has a rule: a new one without a message fails here.
store_test!(uniqueness_rules_match_the_schema_on_both_databases);
async fn uniqueness_rules_match_the_schema_on_both_databases(store: Store) {
    use lodestar_store::testing::{query_strings, unique_rules};
    let rules: Vec<_> = unique_rules().collect();
    match store.backend() {
        lodestar_store::Backend::Postgres => {
            let names = query_strings(
                &store,
                "SELECT c.conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
                 WHERE n.nspname = 'public' AND c.contype IN ('u', 'p') \
                 UNION SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'",
            )
            .await;
            for (table, _, constraint) in &rules {
                assert!(
                    names.contains(&constraint.to_string()),
                    "{table}: no constraint {constraint}"
                );
            }
            let unique = query_strings(
                &store,
                "SELECT c.conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
                 WHERE n.nspname = 'public' AND c.contype = 'u' \
                 UNION SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' \
                 AND indexdef LIKE 'CREATE UNIQUE INDEX%' AND indexname NOT LIKE '%_pkey' \
                 AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            )
            .await;
            for name in unique {
                assert!(
                    rules.iter().any(|(_, _, c)| *c == name),
                    "the unique constraint {name} has no rule in conflicts.rs"
                );
            }
        }
        lodestar_store::Backend::Sqlite => {
            for (table, columns, constraint) in &rules {
                let indexes = query_strings(
                    &store,
                    &format!("SELECT name FROM pragma_index_list('{table}') WHERE \"unique\" = 1"),
                )
                .await;
                let mut found = false;
                for index in indexes {
                    let cols = query_strings(
                        &store,
                        &format!("SELECT name FROM pragma_index_info('{index}') ORDER BY seqno"),
                    )
                    .await;
                    found |= cols.iter().map(String::as_str).eq(columns.iter().copied());
                }
                assert!(found, "{table}: no unique index on {columns:?} ({constraint})");
            }
        }
    }
}
