//! LxL reviews: the agenda assembled when a review starts, action items brought back.

use crate::common::*;
use lodestar_domain::health::Band;
use lodestar_domain::text::{Note, Text};
use lodestar_domain::vocabulary::Role;
use lodestar_domain::{AccountId, Cents, UserId};
use lodestar_store::{Store, StoreError, store_test};

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
    let carried: Vec<(lodestar_domain::PromiseId, ActionStatus)> = store
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
    let carried: Vec<lodestar_domain::PromiseId> = store
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

    // Someone who owns action items is not removed from under them: the refusal names them.
    let helper = store
        .create_user(user("helper@v.io", Role::Csm).validate(None).unwrap())
        .await
        .unwrap();
    store
        .add_action_item(q1.id, red, item("Send the \"value\" deck", helper.id))
        .await
        .unwrap();
    let refused = store.delete_user(helper.id).await.unwrap_err();
    assert!(
        matches!(&refused, StoreError::Conflict(m) if m.contains("1 promise(s)") && m.contains("Send the \"value\" deck")),
        "{refused}"
    );
}
