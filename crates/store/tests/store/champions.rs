//! Champion health, on both databases: each contact's evidence read from meetings, survey
//! answers, tickets and requests; a quiet key contact inferred gone by a bounce or a successor;
//! the alerts, the trigger signal and the scorecard measure.

use chrono::{Days, Duration, TimeZone, Utc};
use lodestar_domain::champion::{Departure, Quadrant};
use lodestar_domain::meeting::MeetingFields;
use lodestar_domain::text::{Email, ExternalId, Label, Name, Note};
use lodestar_domain::ticket::{RequestFields, TicketFields};
use lodestar_domain::trigger::{Action, Condition, RuleFields, Signal};
use lodestar_domain::vocabulary::{
    ContactRole, Influence, MeetingKind, RequestKind, RequestStatus, SurveyKind, TicketPriority, TicketStatus,
};
use lodestar_domain::{AccountId, ContactId};
use lodestar_store::{ChampionAlertKind, Clock, ContactChampion, ImportedAnswer, Store, StoreError, store_test};

use crate::common::*;

async fn person(
    store: &Store,
    key: &str,
    account: AccountId,
    title: &str,
    role: ContactRole,
    influence: Option<Influence>,
) -> ContactId {
    let mut c = contact(key, account);
    c.email = Some(Email::parse(&format!("{key}@acme.example")).unwrap());
    c.title = Some(Label::parse(title).unwrap());
    c.role = Some(role);
    c.influence = influence;
    store.create_contact(c.validate().unwrap()).await.unwrap().id
}

async fn met(store: &Store, account: AccountId, contact: ContactId, days_ago: u64) {
    let fields = MeetingFields {
        kind: MeetingKind::Call,
        title: Name::parse("Call").unwrap(),
        starts_at: store.now() - Duration::days(days_ago as i64),
        duration_minutes: 30,
        time_zone: chrono_tz::UTC,
        notes: Note::default(),
        users: Vec::new(),
        contacts: vec![contact],
    };
    store
        .create_meeting(account, fields.validate().unwrap(), Vec::new(), None)
        .await
        .unwrap();
}

fn answer(key: &str, email: &str, score: i32, days_ago: u64, today: chrono::NaiveDate) -> ImportedAnswer {
    ImportedAnswer {
        external_id: key.into(),
        account_external_id: "acme".into(),
        contact_email: Some(email.into()),
        kind: SurveyKind::Nps,
        question: "How likely…".into(),
        score,
        comment: None,
        answered_on: today - Days::new(days_ago),
    }
}

fn of<'a>(people: &'a [ContactChampion], id: ContactId) -> &'a ContactChampion {
    people.iter().find(|c| c.contact_id == id).unwrap()
}

store_test!(each_contact_is_placed_from_the_records_and_a_quiet_champion_whose_email_bounced_has_left);

async fn each_contact_is_placed_from_the_records_and_a_quiet_champion_whose_email_bounced_has_left(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let today = store.today();
    let other = one_account(&store, "other").await;

    let vp = person(
        &store,
        "vp",
        acme,
        "VP Finance",
        ContactRole::DecisionMaker,
        Some(Influence::High),
    )
    .await;
    let fan = person(&store, "fan", acme, "Analyst", ContactRole::User, None).await;
    let champ = person(&store, "champ", acme, "Support Lead", ContactRole::Champion, None).await;
    let quiet_user = person(&store, "quiet", acme, "Analyst", ContactRole::User, None).await;

    // The VP: two meetings, two low answers, a ticket left waiting for three weeks.
    met(&store, acme, vp, 10).await;
    met(&store, acme, vp, 40).await;
    met(&store, acme, vp, 200).await; // too old to count
    store
        .import_survey_answers(&[
            answer("a1", "VP@acme.example", 3, 20, today),
            answer("a2", "vp@acme.example", 4, 100, today),
            answer("a3", "fan@acme.example", 9, 30, today),
        ])
        .await
        .unwrap();
    let opened = store.now() - Duration::days(21);
    let ticket = TicketFields {
        external_id: ExternalId::parse("z-1").unwrap(),
        account_id: acme,
        subject: Name::parse("Invoices disagree").unwrap(),
        status: TicketStatus::Open,
        priority: TicketPriority::Normal,
        requester_email: Some(Email::parse("vp@acme.example").unwrap()),
        tags: Vec::new(),
        opened_at: opened,
        updated_at: opened,
    };
    store.upsert_tickets(vec![ticket.validate().unwrap()]).await.unwrap();

    // The fan asked for a feature that shipped; naming someone of another account is refused.
    let fields = || {
        RequestFields {
            title: Name::parse("CSV export").unwrap(),
            kind: RequestKind::Feature,
            detail: Note::default(),
            jira_key: None,
        }
        .validate()
        .unwrap()
    };
    let request = store
        .create_request(fields(), acme, Some(fan), Some(csm))
        .await
        .unwrap();
    store
        .set_request_status(request.id, RequestStatus::Shipped, None)
        .await
        .unwrap();
    let refused = store
        .create_request(fields(), other, Some(fan), None)
        .await
        .unwrap_err();
    assert_eq!(field_of(refused), "asked_by");

    // The champion: last seen at a meeting 100 days ago, and now an email to them bounced.
    met(&store, acme, champ, 100).await;
    store
        .record_email_bounce(&Email::parse("Champ@acme.example").unwrap(), "550 no such user")
        .await
        .unwrap();
    // A bounce of a quiet contact without a buying role says nothing.
    store
        .record_email_bounce(&Email::parse("quiet@acme.example").unwrap(), "550 no such user")
        .await
        .unwrap();

    let (name, people) = store.account_champions(acme).await.unwrap();
    assert_eq!(
        name,
        store.account(acme).await.unwrap().unwrap().fields.name.to_string()
    );
    let vp_health = &of(&people, vp).health;
    // Meetings 2 of 2 (25), answers 2 of 2 (20), tickets 1 of 3 (5).
    assert_eq!(vp_health.engagement.value, 50, "{:?}", vp_health.engagement);
    // Answers average 3.5 (35, counted twice) and a ticket waiting (0): 70 / 3.
    assert_eq!(vp_health.delight.as_ref().unwrap().value, 23);
    assert_eq!(vp_health.quadrant, Some(Quadrant::CaresDislikes));
    assert!(vp_health.needs_attention(), "{vp_health:?}");
    assert_eq!(people[0].contact_id, vp, "the most influential first");

    let fan_health = &of(&people, fan).health;
    assert_eq!(fan_health.quadrant, Some(Quadrant::DistantFan));
    let delight = fan_health.delight.as_ref().unwrap();
    assert_eq!(delight.value, 93, "(90 × 2 + 100) / 3: {delight:?}");
    assert!(
        delight.facts.contains(&"1 of their 1 request shipped".to_owned()),
        "{delight:?}"
    );

    match &of(&people, champ).departure {
        Some(Departure::Inferred { since, reason }) => {
            assert_eq!(*since, today - Days::new(100));
            assert!(reason.contains("an email to them bounced on 2026-12-02"), "{reason}");
        }
        other => panic!("the champion should be inferred gone: {other:?}"),
    }
    assert_eq!(of(&people, quiet_user).departure, None, "not a key contact");
    assert_eq!(
        of(&people, quiet_user).health.delight,
        None,
        "nothing said, nothing known"
    );

    // The 12-month answer moves influence, and can be taken back.
    store
        .set_relationship_outlook(vp, Some(false), Some(csm))
        .await
        .unwrap();
    let (_, people) = store.account_champions(acme).await.unwrap();
    assert_eq!(of(&people, vp).will_own, Some(false));
    assert_eq!(of(&people, vp).health.influence.value, 90 - 35);
    assert!(!of(&people, vp).health.needs_attention(), "no longer a big bubble");
    store.set_relationship_outlook(vp, None, Some(csm)).await.unwrap();
    let (_, people) = store.account_champions(acme).await.unwrap();
    assert_eq!(of(&people, vp).will_own, None);
    assert!(matches!(
        store.set_relationship_outlook(ContactId(9999), Some(true), None).await,
        Err(StoreError::NotFound { .. })
    ));

    let alerts = store.champion_alerts(Some(csm)).await.unwrap();
    let kinds: Vec<_> = alerts.iter().map(|a| (a.kind.clone(), a.contact.contact_id)).collect();
    assert_eq!(kinds.len(), 2, "{alerts:?}");
    assert!(kinds.contains(&(ChampionAlertKind::CaresDislikes, vp)));
    assert!(kinds.contains(&(ChampionAlertKind::Left, champ)));
    assert!(
        store
            .champion_alerts(Some(lodestar_domain::UserId(9999)))
            .await
            .unwrap()
            .is_empty()
    );

    // The measure weighs each person by influence; the gone champion counts as nothing.
    store.recompute_health(today).await.unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    let line = health
        .health
        .measures
        .iter()
        .find(|m| m.measure == "champion_health")
        .unwrap();
    let fact = &line.reading.as_ref().unwrap().fact;
    // (90 × (50 + 23) / 2 + 10 × (10 + 93) / 2 + 45 × 0) / 145; the quiet user says nothing.
    assert!(
        fact.starts_with("26 over 3 contacts, 0 engaged and delighted"),
        "{fact}"
    );
    assert!(fact.contains("Ada champ probably left"), "{fact}");
    assert!(fact.contains("dislikes our solution"), "{fact}");
}

store_test!(a_successor_in_the_role_marks_a_quiet_champion_gone_and_the_trigger_fires_once);

async fn a_successor_in_the_role_marks_a_quiet_champion_gone_and_the_trigger_fires_once(store: Store) {
    let store = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()));
    let today = store.today();
    let acme = one_account(&store, "acme").await;
    // Added in the spring, last met 80 days ago.
    let spring = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 4, 1, 12, 0, 0).unwrap()));
    let old = person(&spring, "old", acme, "Ops Manager", ContactRole::Champion, None).await;
    met(&store, acme, old, 80).await;
    let (_, people) = store.account_champions(acme).await.unwrap();
    assert_eq!(of(&people, old).departure, None, "quiet alone is not gone");
    // A colleague in the same role added the same day is no successor.
    person(&spring, "colleague", acme, "Ops Manager", ContactRole::Champion, None).await;
    let (_, people) = store.account_champions(acme).await.unwrap();
    assert_eq!(of(&people, old).departure, None, "imported together: colleagues");

    person(&store, "new", acme, "Ops Manager", ContactRole::Champion, None).await;
    let (_, people) = store.account_champions(acme).await.unwrap();
    match &of(&people, old).departure {
        Some(Departure::Inferred { reason, .. }) => {
            assert!(reason.contains("has since been added in the same role"), "{reason}")
        }
        other => panic!("{other:?}"),
    }

    let rule = RuleFields {
        name: Name::parse("Champion gone").unwrap(),
        signal: Signal::ChampionLeft { days: 30 },
        condition: Condition::default(),
        actions: vec![Action::ReactiveQbr],
        enabled: true,
    };
    let rule = store.create_trigger_rule(rule.validate().unwrap(), None).await.unwrap();
    // The old champion and the silent colleague both: a new champion came after both.
    assert_eq!(store.run_trigger_rules(today).await.unwrap().fired, 2);
    assert_eq!(store.run_trigger_rules(today).await.unwrap().fired, 0, "once per cause");
    let firing = &store.trigger_firings(Some(rule.id), 10).await.unwrap()[0];
    assert!(
        firing
            .cause_text
            .contains("(champion) probably left: no activity since"),
        "{}",
        firing.cause_text
    );
}
