//! Users, API tokens, sessions and sign-in failures.

use crate::common::*;
use chrono::Duration;
use lodestar_domain::text::{Email, Name};
use lodestar_domain::user::UserFields;
use lodestar_domain::vocabulary::{Role, TokenScope};
use lodestar_store::{Clock, SignInLimits, Store, store_test};

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
            TokenScope::Api,
            "lst_ab12",
            "hash-1",
        )
        .await
        .unwrap();
    let integration = store.token_caller("hash-1").await.unwrap().unwrap();
    assert_eq!(
        (integration.role, integration.user, integration.name.as_str()),
        (Role::Viewer, None, "zapier")
    );
    assert!(store.token_caller("hash-2").await.unwrap().is_none());
    let csm = store
        .create_user(user("c@v.io", Role::Csm).validate(None).unwrap())
        .await
        .unwrap();
    store
        .create_token(
            &Name::parse("mine").unwrap(),
            Role::Viewer,
            Some(csm.id),
            TokenScope::Api,
            "lst_cd34",
            "hash-3",
        )
        .await
        .unwrap();
    let mine = store.token_caller("hash-3").await.unwrap().unwrap();
    assert_eq!(
        (mine.role, mine.user, mine.email.as_deref()),
        (Role::Csm, Some(csm.id), Some("c@v.io")),
        "a user's token has the user's role"
    );
    store.set_user_active(csm.id, false).await.unwrap();
    assert!(
        store.token_caller("hash-3").await.unwrap().is_none(),
        "a deactivated user's token stops"
    );
    store.set_user_active(csm.id, true).await.unwrap();
    assert!(store.token_caller("hash-3").await.unwrap().is_some());
    store.revoke_token(t.id).await.unwrap();
    assert!(store.token_caller("hash-1").await.unwrap().is_none());
    assert!(store.tokens().await.unwrap()[0].revoked_at.is_some());
    assert!(store.revoke_token(t.id).await.is_err(), "already revoked");
}

store_test!(sessions_live_until_they_end_or_idle_and_deactivation_ends_them);

async fn sessions_live_until_they_end_or_idle_and_deactivation_ends_them(store: Store) {
    let clock = Clock::fixed(chrono::Utc::now());
    let store = store.with_clock(clock.clone());
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
    let idle = Duration::hours(2);
    let later = store.now() + Duration::hours(12);
    store.create_session(u.id, "live", later).await.unwrap();
    store.create_session(u.id, "quiet", later).await.unwrap();
    store
        .create_session(u.id, "stale", store.now() - Duration::hours(1))
        .await
        .unwrap();
    assert!(store.session_user("stale", idle).await.unwrap().is_none(), "expired");
    clock.advance(Duration::minutes(90));
    assert_eq!(store.session_user("live", idle).await.unwrap().unwrap().user.id, u.id);
    clock.advance(Duration::minutes(60));
    assert!(
        store.session_user("live", idle).await.unwrap().is_some(),
        "used 60 minutes ago: still live"
    );
    assert!(
        store.session_user("quiet", idle).await.unwrap().is_none(),
        "unused for 150 minutes: idle"
    );
    store.set_flash("live", "Reason: is required").await.unwrap();
    let flashed = store.session_user("live", idle).await.unwrap().unwrap();
    assert_eq!(flashed.flash.as_deref(), Some("Reason: is required"));
    let next = store.session_user("live", idle).await.unwrap().unwrap();
    assert_eq!(next.flash, None, "a flash is shown once");
    store.delete_session("live").await.unwrap();
    assert!(store.session_user("live", idle).await.unwrap().is_none(), "signed out");

    store.create_session(u.id, "a", later).await.unwrap();
    store.create_session(u.id, "b", later).await.unwrap();
    assert_eq!(store.end_sessions(u.id, Some("a")).await.unwrap(), 2, "b and quiet end");
    assert!(
        store.session_user("a", idle).await.unwrap().is_some(),
        "the kept one lives"
    );
    store.set_user_active(u.id, false).await.unwrap();
    assert!(store.session_user("a", idle).await.unwrap().is_none(), "deactivated");
    assert_eq!(
        store
            .password_hash(&Email::parse("u@v.io").unwrap())
            .await
            .unwrap()
            .unwrap()
            .1,
        None,
        "a deactivated user cannot sign in"
    );
    assert_eq!(store.deactivated_users().await.unwrap().len(), 1);
}

store_test!(sign_in_attempts_are_throttled_per_email_and_client);

async fn sign_in_attempts_are_throttled_per_email_and_client(store: Store) {
    let clock = Clock::fixed(chrono::Utc::now());
    let store = store.with_clock(clock.clone());
    let limits = SignInLimits {
        window: Duration::minutes(15),
        per_email: 3,
        per_client: 5,
    };
    for _ in 0..3 {
        assert!(
            store
                .begin_sign_in("x@v.io", Some("10.0.0.1"), limits)
                .await
                .unwrap()
                .is_some()
        );
    }
    assert!(
        store
            .begin_sign_in("x@v.io", Some("10.0.0.2"), limits)
            .await
            .unwrap()
            .is_none(),
        "the email has had its failures, from whatever address"
    );
    let ok = store
        .begin_sign_in("y@v.io", Some("10.0.0.1"), limits)
        .await
        .unwrap()
        .unwrap();
    store.sign_in_succeeded(ok, "y@v.io").await.unwrap();
    assert!(
        store
            .begin_sign_in("z@v.io", Some("10.0.0.1"), limits)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .begin_sign_in("w@v.io", Some("10.0.0.1"), limits)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .begin_sign_in("v@v.io", Some("10.0.0.1"), limits)
            .await
            .unwrap()
            .is_none(),
        "the address has had five failures, over many emails"
    );
    assert!(store.begin_sign_in("v@v.io", None, limits).await.unwrap().is_some());
    clock.advance(Duration::minutes(16));
    assert!(
        store
            .begin_sign_in("x@v.io", Some("10.0.0.1"), limits)
            .await
            .unwrap()
            .is_some(),
        "failures older than the window are forgotten"
    );
    let remaining: Vec<_> = store.audit_entries(&Default::default(), 10).await.unwrap();
    assert!(remaining.is_empty(), "throttling writes no audit entries by itself");
}

store_test!(parallel_sign_in_attempts_see_each_other);

async fn parallel_sign_in_attempts_see_each_other(store: Store) {
    let limits = SignInLimits::default();
    let attempts = (0..40).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.begin_sign_in("x@v.io", None, limits).await.unwrap() })
    });
    let mut allowed = 0;
    for a in attempts {
        allowed += usize::from(a.await.unwrap().is_some());
    }
    assert_eq!(allowed, 5, "exactly the allowed number of attempts go ahead");
}
