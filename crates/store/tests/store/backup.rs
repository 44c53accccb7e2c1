//! Backups: identical data after a restore, damaged files and other schema versions restore
//! nothing, a consistent snapshot while writing, files only their owner can read.

use crate::common::*;
use lodestar_domain::Cents;
use lodestar_domain::account::AccountFields;
use lodestar_domain::contract::LineItem;
use lodestar_domain::text::{ExternalId, Name};
use lodestar_domain::user::UserFields;
use lodestar_domain::vocabulary::Role;
use lodestar_store::testing::{TestDb, execute_sql};
use lodestar_store::{AccountUpsert, MIGRATIONS, Store, StoreError, store_test};

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

store_test!(a_backup_of_a_newer_schema_is_refused_before_anything_is_written);

async fn a_backup_of_a_newer_schema_is_refused_before_anything_is_written(store: Store) {
    fill(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current.ndjson");
    store.backup(&current).await.unwrap();
    // The database as a later lodestar would leave it: one migration this binary lacks.
    let known = MIGRATIONS.last().unwrap().version;
    let newer = known + 1;
    execute_sql(
        &store,
        &format!(
            "INSERT INTO lodestar_migrations (version, name, applied_at) VALUES ({newer}, 'from_a_later_lodestar', '2026-12-02T00:00:00Z')"
        ),
    )
    .await;
    let future = dir.path().join("future.ndjson");
    store.backup(&future).await.unwrap();

    let target = TestDb::sqlite().await;
    let err = target.store.restore(&future).await.unwrap_err();
    assert!(
        matches!(err, StoreError::BackupSchema { found, known: k, .. } if found == newer && k == known),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("schema version {newer}, newer than this lodestar's {known}"))
            && message.contains("future.ndjson"),
        "{message}"
    );
    assert_eq!(target.store.schema_version().await.unwrap(), known, "untouched");
    assert!(target.store.accounts().await.unwrap().is_empty(), "nothing was written");
    // Still empty: the backup of the current schema restores into it.
    target.store.restore(&current).await.unwrap();
    target.finish().await;
}

/// The file's mode is the file system's business, not the database's: SQLite is enough.
#[cfg(unix)]
#[tokio::test]
async fn backups_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let db = TestDb::sqlite().await;
    fill(&db.store).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lodestar.backup");
    // What an interrupted backup and an older, readable backup leave behind.
    let partial = path.with_extension("partial");
    for stale in [&partial, &path] {
        std::fs::write(stale, "stale").unwrap();
        std::fs::set_permissions(stale, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    db.store.backup(&path).await.unwrap();
    assert_eq!(mode(&path), 0o600, "password and token hashes are in it");
    assert!(!partial.exists());
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with(r#"{"format":"lodestar-backup""#)
    );
    db.finish().await;
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
pub(crate) async fn fill(store: &Store) {
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
    fill_playbooks(store, lead.id).await;
}

/// The playbook library: an outcome with all its parts, a risk playbook, and a churned
/// account's request to change the outcome.
async fn fill_playbooks(store: &Store, lead: lodestar_domain::UserId) {
    use lodestar_domain::playbook::{
        CaseStudy, OutcomeFields, OutreachApproach, OutreachTemplate, PlaybookTarget, RoiFigure, RoiValue, Tactic,
    };
    use lodestar_domain::review::ChurnFields;
    use lodestar_domain::text::{Label, Note};
    use lodestar_domain::vocabulary::{ChurnReason, Tier};

    let outcome = OutcomeFields {
        tier: Tier::Enterprise,
        title: Name::parse("Faster close").unwrap(),
        description: Note::parse("Days, not weeks").unwrap(),
        tactics: vec![Tactic {
            id: None,
            title: Name::parse("Close checklist").unwrap(),
            description: Note::default(),
        }],
        case_studies: vec![CaseStudy {
            title: Name::parse("4 days").unwrap(),
            customer: Name::parse("Northwind").unwrap(),
            text: Note::default(),
        }],
        roi_figures: vec![RoiFigure {
            label: Label::parse("Time to close").unwrap(),
            value: RoiValue(5550),
            unit: Label::parse("% faster").unwrap(),
        }],
    };
    let outcome = store
        .create_playbook_outcome(outcome.validate().unwrap(), Some(lead))
        .await
        .unwrap();
    let template = OutreachTemplate::parse("{{account.name}}", "Hi {{contact.first_name}}").unwrap();
    store
        .save_risk_playbook(OutreachApproach::OpenChannel, template, Some(lead))
        .await
        .unwrap();
    let child = account_id_of(store, "child").await;
    let churned_on = d("2026-10-01");
    let churn = ChurnFields {
        churned_on,
        reason: ChurnReason::Budget,
        detail: Note::default(),
    };
    store
        .mark_churned(child, churn.validate(churned_on).unwrap(), None)
        .await
        .unwrap();
    let target = PlaybookTarget::Outcome(outcome.outcome.id);
    let note = Note::required("Map the CFO sooner").unwrap();
    store
        .request_playbook_change(child, target, note, Some(lead))
        .await
        .unwrap();
}

/// A backup without its first line (which says when and where it was made).
pub(crate) fn body(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.split_once('\n').unwrap().1.to_owned()
}
