//! Success plans and customer links, on both databases.

use chrono::Duration;
use lodestar_domain::ContactId;
use lodestar_domain::plan::{PlanFields, TacticFields};
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{LinkAction, MeetingKind, PlanState, TacticState};
use lodestar_store::{
    CommentAuthor, LinkTarget, MeetingFilter, NewCustomerLink, SignOffKind, Store, StoreError, TaskView, TimelineKind,
    store_test,
};

use crate::common::*;
use crate::meetings::book;

fn plan(title: &str) -> PlanFields {
    PlanFields {
        title: Name::parse(title).unwrap(),
        summary: Note::parse("Halve onboarding time for new hires by Q2.").unwrap(),
    }
}

fn tactic(title: &str) -> TacticFields {
    TacticFields {
        title: Name::parse(title).unwrap(),
        description: Note::parse("").unwrap(),
        due_on: Some(d("2027-01-15")),
    }
}

fn link(store: &Store, plan: lodestar_domain::PlanId, contact: ContactId, hash: &str) -> NewCustomerLink {
    NewCustomerLink {
        target: LinkTarget::SuccessPlan(plan),
        contact_id: contact,
        actions: vec![LinkAction::Comment, LinkAction::Review, LinkAction::Approve],
        expires_at: store.now() + Duration::days(30),
        token_hash: hash.to_owned(),
    }
}

store_test!(a_plan_works_on_three_tactics_at_most_and_versions_its_content);

async fn a_plan_works_on_three_tactics_at_most_and_versions_its_content(store: Store) {
    let (store, csm, acme, _) = book(store).await;
    let p = store
        .create_success_plan(acme, plan("Faster onboarding"), Some(csm))
        .await
        .unwrap();
    assert_eq!((p.state, p.version), (PlanState::Draft, 1));
    let again = store.create_success_plan(acme, plan("Another"), Some(csm)).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "one plan per account");

    for (i, title) in ["Admin training", "Weekly usage report", "SSO rollout"]
        .iter()
        .enumerate()
    {
        let p = store
            .add_tactic(
                p.id,
                tactic(title).validate(store.today()).unwrap(),
                TacticState::Active,
                Some(csm),
            )
            .await
            .unwrap();
        assert_eq!(p.version, 2 + i as i64, "each tactic added is a new version");
    }
    let fourth = store
        .add_tactic(
            p.id,
            tactic("Exec dashboard").validate(store.today()).unwrap(),
            TacticState::Active,
            Some(csm),
        )
        .await;
    match fourth {
        Err(StoreError::Conflict(why)) => {
            assert!(
                why.contains("Admin training; Weekly usage report; SSO rollout"),
                "{why}"
            )
        }
        other => panic!("a fourth active tactic must be refused, got {other:?}"),
    }
    // Parked, it is taken; activating it is refused until one of the three is finished.
    let p = store
        .add_tactic(
            p.id,
            tactic("Exec dashboard").validate(store.today()).unwrap(),
            TacticState::Parked,
            Some(csm),
        )
        .await
        .unwrap();
    assert_eq!((p.tactics.len(), p.active_tactics().count()), (4, 3));
    let parked = p.tactics[3].id;
    assert!(matches!(
        store.set_tactic_state(parked, TacticState::Active).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .set_tactic_state(p.tactics[0].id, TacticState::Done)
        .await
        .unwrap();
    let p = store.set_tactic_state(parked, TacticState::Active).await.unwrap();
    assert_eq!(p.active_tactics().count(), 3);
    assert_eq!(p.version, 5, "progress on tactics is not a new version");

    // Saving the same content is no new version; a change is.
    let same = store
        .update_success_plan(p.id, p.fields.clone(), Some(csm))
        .await
        .unwrap();
    assert_eq!(same.version, 5);
    let changed = store
        .update_success_plan(p.id, plan("Faster onboarding, fewer tickets"), Some(csm))
        .await
        .unwrap();
    assert_eq!(changed.version, 6);
    let timeline = store.timeline_entries(acme).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.kind == TimelineKind::Plan && e.text == "Success plan edited: version 6"),
        "{timeline:?}"
    );
}

store_test!(an_approval_binds_to_the_version_the_contact_read);

async fn an_approval_binds_to_the_version_the_contact_read(store: Store) {
    let (store, csm, acme, dana) = book(store).await;
    let p = store
        .create_success_plan(acme, plan("Faster onboarding"), Some(csm))
        .await
        .unwrap();
    let (p, l) = store
        .share_success_plan(p.id, link(&store, p.id, dana, "hash-1"), Some(csm))
        .await
        .unwrap();
    assert_eq!((p.state, p.version), (PlanState::Shared, 1));

    // Only the hash finds the link, and finding it marks it used.
    let used = store
        .use_customer_link("hash-1", LinkTarget::SuccessPlan(p.id))
        .await
        .unwrap()
        .expect("a live link opens");
    assert_eq!((used.id, used.contact_id), (l.id, dana));
    assert!(used.last_used_at.is_some());
    assert!(
        store
            .use_customer_link("hash-2", LinkTarget::SuccessPlan(p.id))
            .await
            .unwrap()
            .is_none()
    );
    // The right secret at another object's address opens nothing.
    let elsewhere = LinkTarget::SuccessPlan(lodestar_domain::PlanId(p.id.0 + 1000));
    assert!(store.use_customer_link("hash-1", elsewhere).await.unwrap().is_none());

    let (p, first) = store
        .sign_off_success_plan(p.id, 1, &used, SignOffKind::Reviewed, "")
        .await
        .unwrap();
    assert!(first);
    assert_eq!(p.state, PlanState::Reviewed);
    let (p, first) = store
        .sign_off_success_plan(p.id, 1, &used, SignOffKind::Approved, "Ada dana")
        .await
        .unwrap();
    assert!(first);
    assert_eq!(p.state, PlanState::Approved);
    // Approving twice records one approval.
    let (p, first) = store
        .sign_off_success_plan(p.id, 1, &used, SignOffKind::Approved, "Ada dana")
        .await
        .unwrap();
    assert!(!first);
    assert_eq!(
        p.sign_offs.iter().filter(|s| s.kind == SignOffKind::Approved).count(),
        1
    );
    assert_eq!(p.approval().map(|a| a.version), Some(1));

    // An edit makes version 2: the approval of version 1 does not carry over.
    let p = store
        .update_success_plan(p.id, plan("Faster onboarding, fewer tickets"), Some(csm))
        .await
        .unwrap();
    assert_eq!((p.state, p.version), (PlanState::Shared, 2));
    assert!(p.approval().is_none());
    assert_eq!(p.superseded_approval().map(|a| a.version), Some(1));
    // Approving the version read before the edit is refused; the new one can be approved.
    let stale = store
        .sign_off_success_plan(p.id, 1, &used, SignOffKind::Approved, "Ada dana")
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(why)) if why.contains("now version 2")));
    let (p, _) = store
        .sign_off_success_plan(p.id, 2, &used, SignOffKind::Approved, "Ada dana")
        .await
        .unwrap();
    assert_eq!(p.approval().map(|a| a.version), Some(2));

    // The first approval booked a check-in a month out (the plan has no milestones), with a
    // task for the CSM to prepare it; the second approval's month was booked already.
    let meetings = store
        .meetings(&MeetingFilter {
            account: Some(acme),
            ..MeetingFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(meetings.len(), 1, "{meetings:?}");
    assert_eq!(meetings[0].fields.kind, MeetingKind::CheckIn);
    assert_eq!(meetings[0].fields.starts_at.date_naive(), d("2027-01-02"));
    assert_eq!(meetings[0].attendees.len(), 2, "the CSM and the approving contact");
    let tasks = store.tasks(csm, TaskView::Open, store.today()).await.unwrap();
    assert!(
        tasks
            .iter()
            .any(|t| t.title.as_str().starts_with("Prepare the success plan check-in")),
        "{tasks:?}"
    );

    let timeline = store.timeline_entries(acme).await.unwrap();
    let texts: Vec<&str> = timeline
        .iter()
        .filter(|e| e.kind == TimelineKind::Plan)
        .map(|e| e.text.as_str())
        .collect();
    assert!(
        texts.contains(&"Success plan version 1 shared with Ada dana"),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"Success plan version 1 approved by Ada dana"),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"Success plan edited: version 2 — the customer's approval of version 1 does not carry over"),
        "{texts:?}"
    );

    // Comments from both sides, on the version they were written against.
    let p = store
        .comment_on_success_plan(p.id, CommentAuthor::Contact(dana), Note::parse("Looks right").unwrap())
        .await
        .unwrap();
    let p = store
        .comment_on_success_plan(p.id, CommentAuthor::User(csm), Note::parse("Thanks!").unwrap())
        .await
        .unwrap();
    assert_eq!(p.comments.len(), 2);
    assert!(p.comments[0].from_customer && !p.comments[1].from_customer);
    assert_eq!(p.comments[0].version, 2);
}

store_test!(a_link_opens_only_while_live_and_only_for_its_own_contact);

async fn a_link_opens_only_while_live_and_only_for_its_own_contact(store: Store) {
    let (store, csm, acme, dana) = book(store).await;
    let p = store
        .create_success_plan(acme, plan("Faster onboarding"), Some(csm))
        .await
        .unwrap();
    // A contact of another account cannot be given a link to this plan.
    store.upsert_accounts(vec![upsert(account("globex"))]).await.unwrap();
    let globex = account_id_of(&store, "globex").await;
    let sam = store
        .create_contact(contact("sam", globex).validate().unwrap())
        .await
        .unwrap()
        .id;
    let refused = store
        .share_success_plan(p.id, link(&store, p.id, sam, "hash-sam"), Some(csm))
        .await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
    assert!(
        store
            .use_customer_link("hash-sam", LinkTarget::SuccessPlan(p.id))
            .await
            .unwrap()
            .is_none(),
        "nothing written"
    );
    assert_eq!(store.success_plan(p.id).await.unwrap().state, PlanState::Draft);

    // Expired: not found.
    let mut short = link(&store, p.id, dana, "hash-short");
    short.expires_at = store.now() - Duration::seconds(1);
    store.share_success_plan(p.id, short, Some(csm)).await.unwrap();
    assert!(
        store
            .use_customer_link("hash-short", LinkTarget::SuccessPlan(p.id))
            .await
            .unwrap()
            .is_none()
    );

    // Revoked: not found, and listed as revoked.
    let (_, l) = store
        .share_success_plan(p.id, link(&store, p.id, dana, "hash-live"), Some(csm))
        .await
        .unwrap();
    assert!(
        store
            .use_customer_link("hash-live", LinkTarget::SuccessPlan(p.id))
            .await
            .unwrap()
            .is_some()
    );
    let revoked = store.revoke_customer_link(l.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(
        store
            .use_customer_link("hash-live", LinkTarget::SuccessPlan(p.id))
            .await
            .unwrap()
            .is_none()
    );
    let links = store.customer_links_to(LinkTarget::SuccessPlan(p.id)).await.unwrap();
    assert_eq!(links.len(), 2);
    assert!(links.iter().all(|l| !l.is_live(store.now())));
}

store_test!(a_library_tactic_joins_the_plan_in_one_step);

async fn a_library_tactic_joins_the_plan_in_one_step(store: Store) {
    let (store, csm, acme, _) = book(store).await;
    let library = store
        .create_playbook_outcome(
            crate::playbooks::outcome(lodestar_domain::vocabulary::Tier::Enterprise, "Faster close")
                .validate()
                .unwrap(),
            None,
        )
        .await
        .unwrap();
    let recommended = library.outcome.fields.tactics[0].id.unwrap();
    let p = store
        .create_success_plan(acme, plan("Faster onboarding"), Some(csm))
        .await
        .unwrap();
    let p = store
        .add_library_tactic(p.id, recommended, Some(d("2027-02-01")), TacticState::Active, Some(csm))
        .await
        .unwrap();
    assert_eq!(p.version, 2);
    assert_eq!(p.tactics[0].fields.title.as_str(), "Adoption review");
    assert_eq!(p.tactics[0].library_tactic_id, Some(recommended));
    assert_eq!(p.tactics[0].fields.due_on, Some(d("2027-02-01")));
    let missing = store
        .add_library_tactic(
            p.id,
            lodestar_domain::TacticId(9999),
            None,
            TacticState::Active,
            Some(csm),
        )
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })));
    // Rewriting the outcome without that tactic leaves the plan's copy, unlinked.
    let mut fields = library.outcome.fields.clone();
    fields.tactics.remove(0);
    store
        .update_playbook_outcome(library.outcome.id, fields.validate().unwrap(), None)
        .await
        .unwrap();
    let p = store.success_plan(p.id).await.unwrap();
    assert_eq!(
        (p.tactics[0].fields.title.as_str(), p.tactics[0].library_tactic_id),
        ("Adoption review", None)
    );
}
