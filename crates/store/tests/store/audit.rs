//! The audit log: appended, read newest first with filters, and never changed.

use chrono::Duration;
use lodestar_domain::UserId;
use lodestar_domain::vocabulary::AuditKind;
use lodestar_store::testing::try_execute_sql;
use lodestar_store::{AuditActor, AuditFilter, AuditRecord, Clock, Store, store_test};

store_test!(the_audit_log_is_append_only_and_filtered);

async fn the_audit_log_is_append_only_and_filtered(store: Store) {
    let clock = Clock::fixed(chrono::Utc::now());
    let store = store.with_clock(clock.clone());
    let ana = AuditActor {
        user_id: Some(UserId(3)),
        label: "ana@v.io".into(),
    };
    let cli = AuditActor::command_line();
    let record = |actor, kind, detail: &str| AuditRecord {
        actor,
        client: Some("10.0.0.9"),
        kind,
        subject: Some("user 7".into()),
        detail: detail.into(),
    };
    store.audit(&record(&ana, AuditKind::SignIn, "")).await.unwrap();
    clock.advance(Duration::hours(1));
    store
        .audit(&record(&ana, AuditKind::RoleChanged, "csm → leader"))
        .await
        .unwrap();
    clock.advance(Duration::hours(1));
    store
        .audit(&record(&cli, AuditKind::Backup, "to b.ndjson"))
        .await
        .unwrap();

    let all = store.audit_entries(&AuditFilter::default(), 10).await.unwrap();
    let kinds: Vec<_> = all.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [AuditKind::Backup, AuditKind::RoleChanged, AuditKind::SignIn],
        "newest first"
    );
    assert_eq!(all[1].detail, "csm → leader");
    assert_eq!(all[1].client.as_deref(), Some("10.0.0.9"));
    let by_ana = AuditFilter {
        actor: Some(UserId(3)),
        ..Default::default()
    };
    assert_eq!(store.audit_entries(&by_ana, 10).await.unwrap().len(), 2);
    let role_changes = AuditFilter {
        kind: Some(AuditKind::RoleChanged),
        ..Default::default()
    };
    assert_eq!(store.audit_entries(&role_changes, 10).await.unwrap().len(), 1);
    let window = AuditFilter {
        from: Some(all[1].at),
        to: Some(all[0].at),
        ..Default::default()
    };
    assert_eq!(
        store.audit_entries(&window, 10).await.unwrap()[0].kind,
        AuditKind::RoleChanged
    );
    let next_page = AuditFilter {
        before_id: Some(all[1].id),
        ..Default::default()
    };
    assert_eq!(
        store.audit_entries(&next_page, 1).await.unwrap()[0].kind,
        AuditKind::SignIn
    );

    for sql in [
        "UPDATE audit_log SET detail = 'nothing happened'",
        "DELETE FROM audit_log",
    ] {
        let refused = try_execute_sql(&store, sql).await.unwrap_err();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    assert_eq!(store.audit_entries(&AuditFilter::default(), 10).await.unwrap(), all);
}
