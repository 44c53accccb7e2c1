//! Contacts (and the one-by-one writes of contacts and contracts).

use crate::common::*;
use lodestar_domain::contact::ContactFields;
use lodestar_domain::text::{Email, ExternalId, Name};
use lodestar_domain::vocabulary::ContactStatus;
use lodestar_domain::{AccountId, Cents};
use lodestar_store::{Store, StoreError, store_test};

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
