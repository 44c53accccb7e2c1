//! Milestones: reached as events arrive, shown per account, first value ends Land.

use crate::common::*;
use lodestar_domain::account::AccountFields;
use lodestar_domain::milestone::{MilestoneFields, MilestoneStatus, Threshold};
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::LifecycleStage;
use lodestar_store::{Store, StoreError, TimelineKind, store_test};

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
