//! The playbook library: at most five outcomes a segment, tactics that keep their ids, risk
//! playbooks' outreach filled in and queued, change requests from churn retrospectives.

use crate::common::*;
use lodestar_domain::playbook::{
    CaseStudy, OutcomeFields, OutreachApproach, OutreachTemplate, PlaybookTarget, RoiFigure, RoiValue, Tactic,
};
use lodestar_domain::review::ChurnFields;
use lodestar_domain::text::{Email, Label, Name, Note};
use lodestar_domain::vocabulary::{ChurnReason, Role, Tier};
use lodestar_domain::{OutcomeId, UserId};
use lodestar_store::{EMAIL_JOB, Outbox, Store, StoreError, TimelineKind, store_test};

fn tactic(title: &str) -> Tactic {
    Tactic {
        id: None,
        title: Name::parse(title).unwrap(),
        description: Note::parse("Every week with the champion").unwrap(),
    }
}

pub(crate) fn outcome(tier: Tier, title: &str) -> OutcomeFields {
    OutcomeFields {
        tier,
        title: Name::parse(title).unwrap(),
        description: Note::default(),
        tactics: vec![tactic("Adoption review"), tactic("Executive check-in")],
        case_studies: vec![CaseStudy {
            title: Name::parse("Close in 4 days").unwrap(),
            customer: Name::parse("Northwind").unwrap(),
            text: Note::parse("From 9 days to 4.").unwrap(),
        }],
        roi_figures: vec![RoiFigure {
            label: Label::parse("Time to close").unwrap(),
            value: RoiValue::parse("55.5").unwrap(),
            unit: Label::parse("% faster").unwrap(),
        }],
    }
}

store_test!(a_segment_keeps_at_most_five_outcomes_and_tactics_keep_their_ids);

async fn a_segment_keeps_at_most_five_outcomes_and_tactics_keep_their_ids(store: Store) {
    let mut ids: Vec<OutcomeId> = Vec::new();
    for n in 1..=5 {
        let o = store
            .create_playbook_outcome(
                outcome(Tier::Enterprise, &format!("Outcome {n}")).validate().unwrap(),
                None,
            )
            .await
            .unwrap();
        ids.push(o.outcome.id);
    }
    let sixth = store
        .create_playbook_outcome(outcome(Tier::Enterprise, "Outcome 6").validate().unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(field_of(sixth), "tier");
    // Another segment has its own five; a freed slot takes a new one.
    store
        .create_playbook_outcome(
            outcome(Tier::LongTail, "Self-serve onboarding").validate().unwrap(),
            None,
        )
        .await
        .unwrap();
    store.delete_playbook_outcome(ids[4]).await.unwrap();
    let replacement = store
        .create_playbook_outcome(outcome(Tier::Enterprise, "Outcome 6").validate().unwrap(), None)
        .await
        .unwrap();
    let moved = store
        .update_playbook_outcome(
            replacement.outcome.id,
            outcome(Tier::LongTail, "Moved").validate().unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(moved.outcome.fields.tier, Tier::LongTail);

    // Editing keeps the listed tactics' ids, adds new ones and drops the unlisted.
    let first = store.playbook_outcome(ids[0]).await.unwrap().outcome;
    let kept = first.fields.tactics[1].clone();
    let mut edit = first.fields.clone();
    edit.tactics = vec![
        Tactic {
            title: Name::parse("Executive check-in, quarterly").unwrap(),
            ..kept.clone()
        },
        tactic("Office hours"),
    ];
    edit.case_studies.clear();
    let edited = store
        .update_playbook_outcome(ids[0], edit.validate().unwrap(), None)
        .await
        .unwrap()
        .outcome;
    assert_eq!(edited.fields.tactics.len(), 2);
    assert_eq!(edited.fields.tactics[0].id, kept.id, "the same tactic, renamed");
    assert_eq!(edited.fields.tactics[0].title.as_str(), "Executive check-in, quarterly");
    assert!(edited.fields.tactics[1].id.is_some() && edited.fields.tactics[1].id != first.fields.tactics[0].id);
    assert!(edited.fields.case_studies.is_empty());
    assert_eq!(edited.fields.roi_figures[0].value, RoiValue(5550));

    // A tactic of another outcome is not this one's to keep.
    let other = store.playbook_outcome(ids[1]).await.unwrap().outcome;
    let mut stolen = edited.fields.clone();
    stolen.tactics.push(other.fields.tactics[0].clone());
    let err = store
        .update_playbook_outcome(ids[0], stolen.validate().unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(field_of(err), "tactics");

    let library = store.playbook_library().await.unwrap();
    let tiers: Vec<Tier> = library.outcomes.iter().map(|o| o.outcome.fields.tier).collect();
    assert_eq!(
        tiers,
        [Tier::Enterprise; 4]
            .into_iter()
            .chain([Tier::LongTail; 2])
            .collect::<Vec<_>>(),
        "in tier order"
    );
}

store_test!(outreach_is_filled_in_from_the_account_and_queued_once_a_day);

async fn outreach_is_filled_in_from_the_account_and_queued_once_a_day(store: Store) {
    let today = store.today();
    let [red, green, _] = risk_book(&store, today).await;
    let csm = store
        .create_user(user("carla@vendor.io", Role::Csm).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    let mut with_email = contact("ada", red);
    with_email.email = Some(Email::parse("ada@red.example").unwrap());
    store
        .upsert_contacts(vec![
            with_email.validate().unwrap(),
            contact("bob", red).validate().unwrap(),
            contact("eve", green).validate().unwrap(),
        ])
        .await
        .unwrap();
    let people = store.contacts_of(red).await.unwrap();
    let ada = people.iter().find(|c| c.fields.email.is_some()).unwrap().id;
    let bob = people.iter().find(|c| c.fields.email.is_none()).unwrap().id;
    let eve = store.contacts_of(green).await.unwrap()[0].id;

    assert_eq!(
        store.suggested_outreach(red).await.unwrap(),
        Some(OutreachApproach::OpenQuestion),
        "Retail is highly exposed"
    );
    let approach = OutreachApproach::OpenQuestion;
    assert!(
        matches!(
            store.outreach_preview(red, approach, ada, csm).await,
            Err(StoreError::Conflict(_))
        ),
        "no template yet"
    );
    let template = OutreachTemplate::parse(
        "{{account.name}}: your renewal",
        "Hi {{contact.first_name}},\n\nYour {{arr}} renewal is on {{renewal_date}}. How can we help?\n\n{{csm.name}}",
    )
    .unwrap();
    let saved = store.save_risk_playbook(approach, template, Some(csm)).await.unwrap();
    assert_eq!(saved.updated_by.as_deref(), Some("carla"));

    let preview = store.outreach_preview(red, approach, ada, csm).await.unwrap();
    assert_eq!(preview.email.subject.as_str(), "Account red: your renewal");
    let renewal = (today + chrono::Days::new(20)).format("%-d %B %Y").to_string();
    assert_eq!(
        preview.email.body,
        format!("Hi Ada,\n\nYour $10,000 renewal is on {renewal}. How can we help?\n\ncarla")
    );
    assert_eq!(
        preview.to.as_ref().map(ToString::to_string).as_deref(),
        Some("ada@red.example")
    );
    assert_eq!(
        field_of(store.outreach_preview(red, approach, eve, csm).await.unwrap_err()),
        "contact_id",
        "another account's contact"
    );

    // Without SMTP nothing is queued; a contact without an address is refused.
    assert!(matches!(
        store.send_outreach(red, approach, ada, csm).await,
        Err(StoreError::Conflict(m)) if m.contains("sends no email")
    ));
    let sending = store.with_outbox(Outbox {
        email: true,
        public_url: None,
    });
    assert_eq!(
        field_of(sending.send_outreach(red, approach, bob, csm).await.unwrap_err()),
        "contact_id"
    );
    let (job, _) = sending.send_outreach(red, approach, ada, csm).await.unwrap();
    let queued = sending.job(job).await.unwrap().unwrap();
    assert_eq!(queued.kind, EMAIL_JOB);
    assert_eq!(queued.payload["to"], "ada@red.example");
    assert_eq!(queued.payload["subject"], "Account red: your renewal");
    assert!(matches!(
        sending.send_outreach(red, approach, ada, csm).await,
        Err(StoreError::Conflict(m)) if m.contains("today")
    ));
    let view = store.account_view(red, today).await.unwrap().unwrap();
    assert!(view.timeline.iter().any(|e| e.kind == TimelineKind::EmailSent
        && e.text == "Outreach (Open question) sent to Ada ada: Account red: your renewal"));
}

store_test!(a_churn_retrospective_asks_for_a_playbook_to_change);

async fn a_churn_retrospective_asks_for_a_playbook_to_change(store: Store) {
    let today = store.today();
    let [red, green, _] = risk_book(&store, today).await;
    let outcome_id = store
        .create_playbook_outcome(
            outcome(Tier::Strategic, "Renewal without surprises")
                .validate()
                .unwrap(),
            None,
        )
        .await
        .unwrap()
        .outcome
        .id;
    let note = || Note::required("Map the CFO before renewals above $100k").unwrap();
    assert!(
        matches!(
            store
                .request_playbook_change(red, PlaybookTarget::Outcome(outcome_id), note(), None)
                .await,
            Err(StoreError::NotFound { .. })
        ),
        "no retrospective before a churn"
    );
    store
        .mark_churned(
            red,
            ChurnFields {
                churned_on: today,
                reason: ChurnReason::Budget,
                detail: Note::default(),
            }
            .validate(today)
            .unwrap(),
            None,
        )
        .await
        .unwrap();
    let by: Option<UserId> = Some(
        store
            .create_user(user("lea@vendor.io", Role::Leader).validate(None).unwrap())
            .await
            .unwrap()
            .id,
    );
    let asked = store
        .request_playbook_change(red, PlaybookTarget::Outcome(outcome_id), note(), by)
        .await
        .unwrap();
    assert_eq!(asked.target_title, "Renewal without surprises");
    store
        .request_playbook_change(red, PlaybookTarget::Risk(OutreachApproach::MenuOfOptions), note(), by)
        .await
        .unwrap();
    assert_eq!(
        field_of(
            store
                .request_playbook_change(red, PlaybookTarget::Outcome(OutcomeId(9999)), note(), by)
                .await
                .unwrap_err()
        ),
        "outcome_id"
    );
    assert!(store.playbook_changes_of(green).await.unwrap().is_empty());
    assert_eq!(store.playbook_library().await.unwrap().open_changes.len(), 2);

    let resolved = store.resolve_playbook_change(asked.id, by).await.unwrap();
    assert_eq!(resolved.resolved_by.as_deref(), Some("lea"));
    assert!(matches!(
        store.resolve_playbook_change(asked.id, by).await,
        Err(StoreError::Conflict(_))
    ));
    let open = store.playbook_library().await.unwrap().open_changes;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].target, PlaybookTarget::Risk(OutreachApproach::MenuOfOptions));
    assert_eq!(
        store.playbook_changes_of(red).await.unwrap().len(),
        2,
        "the retrospective keeps both"
    );
    // Removing the outcome takes its requests with it.
    store.delete_playbook_outcome(outcome_id).await.unwrap();
    assert_eq!(store.playbook_changes_of(red).await.unwrap().len(), 1);
}
