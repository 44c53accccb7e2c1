//! Churns: all or nothing, and a retrospective that knows whether an LxL flagged it.

use crate::common::*;
use chrono::NaiveDate;
use lodestar_domain::text::Note;
use lodestar_domain::vocabulary::LifecycleStage;
use lodestar_domain::{AccountId, Cents};
use lodestar_store::{Store, StoreError, TimelineKind, store_test};

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
