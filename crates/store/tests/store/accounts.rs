//! Accounts: every field round-trips, references and hierarchies are checked, lists filter,
//! sort and page, edits are told on the timeline.

use crate::common::*;
use lodestar_domain::account::AccountFields;
use lodestar_domain::text::{ExternalId, Label, Name};
use lodestar_domain::vocabulary::{LifecycleStage, Role};
use lodestar_domain::{Cents, UserId};
use lodestar_store::{
    AccountFilter, AccountOrder, AccountSort, AccountUpsert, Store, StoreError, TimelineKind, assemble_timeline,
    store_test,
};

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
        "% holds no word, so nothing matches"
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
