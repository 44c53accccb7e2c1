//! Users, API tokens, sessions and sign-in failures.

use crate::common::*;
use lodestar_domain::text::{Email, Name};
use lodestar_domain::user::UserFields;
use lodestar_domain::vocabulary::Role;
use lodestar_store::{Store, store_test};

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
