//! Handoff and deal quality (F-65), on both databases: the team's qualification list, a
//! handoff with its criteria and exceptions, the kickoff's due date, acceptance, a rejection
//! resting on unmet criteria and a leader's decision, the states that refuse a step, the
//! timeline, and the renewal outcome read beside the deal.

use lodestar_domain::Cents;
use lodestar_domain::handoff::{
    Criterion, DealException, ExceptionKind, HandoffFields, HandoffState, Rejection, criteria_list,
};
use lodestar_domain::text::{ExternalId, Label, Note};
use lodestar_domain::vocabulary::ChangeKind;
use lodestar_store::{ImportedHandoff, Store, StoreError, TimelineKind, store_test};

use crate::common::*;

fn label(s: &str) -> Label {
    Label::parse(s).unwrap()
}

fn note(s: &str) -> Note {
    Note::parse(s).unwrap()
}

fn fields(signed_on: &str) -> HandoffFields {
    HandoffFields {
        signed_on: d(signed_on),
        goals: note("Halve the time to onboard a franchise"),
        pain_points: note("Three spreadsheets and a shared inbox"),
        criteria: vec![
            Criterion {
                name: label("Executive sponsor named"),
                met: true,
            },
            Criterion {
                name: label("Success criteria agreed in writing"),
                met: false,
            },
        ],
        exceptions: vec![DealException {
            kind: ExceptionKind::Discount,
            detail: label("20% off year one"),
        }],
    }
}

store_test!(handoff_kickoff_rejection_and_decision);
async fn handoff_kickoff_rejection_and_decision(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    // The team's list: the defaults until a leader sets one.
    assert_eq!(store.qualification_criteria().await.unwrap().len(), 5);
    let list = criteria_list(vec![label("Executive sponsor named"), label("Budget confirmed")]).unwrap();
    store.set_qualification_criteria(list).await.unwrap();
    let kept: Vec<String> = store
        .qualification_criteria()
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(kept, ["Executive sponsor named", "Budget confirmed"]);

    // Signed on a Wednesday: the kickoff is due the Tuesday after.
    let h = store
        .create_handoff(acme, fields("2026-12-02").validate().unwrap(), Some(csm))
        .await
        .unwrap();
    assert_eq!(h.state, HandoffState::HandedOff);
    assert_eq!(h.kickoff_due_on, d("2026-12-08"));
    assert_eq!(h.criteria.len(), 2);
    assert!(h.criteria[0].met && !h.criteria[1].met);
    assert_eq!(h.exceptions[0].detail.as_str(), "20% off year one");
    assert_eq!(h.created_by.as_deref(), Some("csm"));

    // A leader's decision before anyone asked is refused.
    let early = store.decide_rejection(h.id, true, note(""), None).await.unwrap_err();
    assert!(matches!(early, StoreError::Conflict(_)), "{early:?}");

    // A rejection checked against criteria that have changed since is refused by the store.
    let stale = Rejection::new(
        &h.fields(),
        vec![label("Success criteria agreed in writing")],
        note("x"),
    )
    .unwrap();
    let mut ticked = fields("2026-12-02");
    ticked.criteria[1].met = true;
    store
        .update_handoff(h.id, ticked.validate().unwrap(), Some(csm))
        .await
        .unwrap();
    let refused = store.request_rejection(h.id, stale, Some(csm)).await.unwrap_err();
    assert_eq!(field_of(refused), "criteria");
    store
        .update_handoff(h.id, fields("2026-12-02").validate().unwrap(), Some(csm))
        .await
        .unwrap();
    let forged = Rejection::new(
        &h.fields(),
        vec![label("Success criteria agreed in writing")],
        note("No criteria"),
    )
    .unwrap();
    let asked = store.request_rejection(h.id, forged, Some(csm)).await.unwrap();
    assert_eq!(asked.state, HandoffState::RejectionRequested);
    assert!(asked.criteria[1].cited && !asked.criteria[0].cited);
    assert_eq!(asked.rejection_requested_by.as_deref(), Some("csm"));

    // Under a rejection the handoff is frozen and cannot be accepted.
    let edit = store
        .update_handoff(h.id, fields("2026-12-02").validate().unwrap(), Some(csm))
        .await
        .unwrap_err();
    assert!(matches!(edit, StoreError::Conflict(_)), "{edit:?}");
    assert!(matches!(
        store.accept_handoff(h.id, Some(csm)).await.unwrap_err(),
        StoreError::Conflict(_)
    ));

    let decided = store
        .decide_rejection(h.id, true, note("Approved: no success criteria"), None)
        .await
        .unwrap();
    assert_eq!(decided.state, HandoffState::Rejected);
    assert_eq!(decided.decision_note.unwrap().as_str(), "Approved: no success criteria");
    assert!(decided.decided_at.is_some());
    assert!(matches!(
        store.decide_rejection(h.id, false, note(""), None).await.unwrap_err(),
        StoreError::Conflict(_)
    ));

    let timeline = store.timeline_entries(acme).await.unwrap();
    let texts: Vec<&str> = timeline
        .iter()
        .filter(|e| e.kind == TimelineKind::Handoff)
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(texts.len(), 5, "created, changed twice, asked, decided: {texts:?}");
    assert!(texts.iter().any(|t| t.contains("1 of 2 qualification criteria met")));
    assert!(
        texts
            .iter()
            .any(|t| t.contains("unmet: Success criteria agreed in writing"))
    );
}

store_test!(accepted_handoffs_edit_and_show_the_renewal_outcome);
async fn accepted_handoffs_edit_and_show_the_renewal_outcome(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let k = store
        .create_contract(contract("k1", acme, 10_000_00, "2025-01-01"))
        .await
        .unwrap();
    let h = store
        .create_handoff(acme, fields("2025-01-01").validate().unwrap(), Some(csm))
        .await
        .unwrap();
    assert_eq!(h.outcome.kind, None, "nothing happened after signature yet");
    let accepted = store.accept_handoff(h.id, Some(csm)).await.unwrap();
    assert_eq!(accepted.state, HandoffState::Accepted);
    assert!(matches!(
        store.accept_handoff(h.id, Some(csm)).await.unwrap_err(),
        StoreError::Conflict(_)
    ));

    // Ticking a criterion later is an edit; the list is replaced as sent.
    let mut ticked = fields("2025-01-01");
    ticked.criteria[1].met = true;
    ticked.exceptions.push(DealException {
        kind: ExceptionKind::PaymentTerms,
        detail: label("Net 90"),
    });
    let edited = store
        .update_handoff(h.id, ticked.validate().unwrap(), Some(csm))
        .await
        .unwrap();
    assert!(edited.criteria.iter().all(|c| c.met));
    assert_eq!(edited.exceptions.len(), 2);

    // The exceptions stand beside how the account renewed.
    store
        .record_contract_change(k.id, d("2026-01-01"), ChangeKind::Renewal, Cents(9_000_00))
        .await
        .unwrap();
    let all = store.handoffs(None).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].outcome.kind, Some(ChangeKind::Renewal));
    assert_eq!(all[0].outcome.on, Some(d("2026-01-01")));
    assert_eq!(store.handoffs(Some(HandoffState::Rejected)).await.unwrap().len(), 0);
    assert_eq!(store.handoffs_of_account(acme).await.unwrap()[0].id, h.id);
}

store_test!(an_exported_lodestar_deal_imports_as_itself);
async fn an_exported_lodestar_deal_imports_as_itself(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let made_here = store
        .create_handoff(acme, fields("2026-12-02").validate().unwrap(), Some(csm))
        .await
        .unwrap();
    let exported = store.exported_handoffs().await.unwrap();
    let (deal, account, _) = &exported[0];
    assert_eq!(deal, &format!("lodestar-{}", made_here.id.0));
    let again = |deal: &str, account: &str| ImportedHandoff {
        external_id: ExternalId::parse(deal).unwrap(),
        account_external_id: ExternalId::parse(account).unwrap(),
        fields: fields("2026-12-02").validate().unwrap(),
    };
    assert_eq!(store.import_handoffs(vec![again(deal, account)]).await.unwrap(), 0);
    assert_eq!(store.exported_handoffs().await.unwrap().len(), 1, "not doubled");
    // Every unknown account is named at once, and nothing is written.
    let ghosts = store
        .import_handoffs(vec![
            again("opp-1", "ghost"),
            again("opp-2", account),
            again("opp-3", "phantom"),
        ])
        .await
        .unwrap_err();
    let StoreError::Invalid(invalid) = ghosts else {
        panic!("{ghosts:?}")
    };
    let reasons: Vec<&str> = invalid.errors.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "row 1: no account has the external id \"ghost\"",
            "row 3: no account has the external id \"phantom\""
        ]
    );
    assert_eq!(store.exported_handoffs().await.unwrap().len(), 1);
}
