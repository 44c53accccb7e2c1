//! QBRs, EBRs and check-ins, on both databases: the overdue list, the agenda, the pack and
//! its links, and the reactive QBR a red score opens.

use chrono::{DateTime, Duration, TimeZone, Utc};
use lodestar_domain::health::PulseLevel;
use lodestar_domain::meeting::MeetingFields;
use lodestar_domain::promise::{PromiseFields, PromiseOwner};
use lodestar_domain::qbr::Cadence;
use lodestar_domain::review::ActionText;
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{ContactRole, LifecycleStage, MeetingKind, RenewalOutlook, Role, TaskSource, Tier};
use lodestar_domain::{AccountId, ContactId, MeetingId, UserId};
use lodestar_store::{Clock, LinkTarget, NewCustomerLink, Store, StoreError, TaskView, store_test};

use crate::common::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()
}

async fn tiered(store: &Store, key: &str, tier: Tier, owner: Option<UserId>, stage: LifecycleStage) -> AccountId {
    let mut fields = account(key);
    fields.tier = Some(tier);
    fields.owner_id = owner;
    fields.lifecycle_stage = stage;
    store.upsert_accounts(vec![upsert(fields)]).await.unwrap();
    account_id_of(store, key).await
}

async fn hold(
    store: &Store,
    account: AccountId,
    kind: MeetingKind,
    at: DateTime<Utc>,
    users: Vec<UserId>,
    contacts: Vec<ContactId>,
    promises: Vec<PromiseFields>,
) -> MeetingId {
    let fields = MeetingFields {
        kind,
        title: Name::parse("Quarterly business review").unwrap(),
        starts_at: at,
        duration_minutes: 60,
        time_zone: chrono_tz::UTC,
        notes: Note::default(),
        users,
        contacts,
    };
    store
        .create_meeting(account, fields.validate().unwrap(), promises, None)
        .await
        .unwrap()
        .id
}

fn names(list: &[lodestar_store::OverdueReview]) -> Vec<String> {
    list.iter().map(|o| o.account_name.clone()).collect()
}

store_test!(the_overdue_list_follows_each_tiers_cadence);

async fn the_overdue_list_follows_each_tiers_cadence(store: Store) {
    let store = store.with_clock(Clock::fixed(now()));
    let today = store.today();
    let csm = store
        .create_user(user("csm@example.com", Role::Csm).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    let adopt = LifecycleStage::Adopt;
    let never = tiered(&store, "s1", Tier::Strategic, Some(csm), adopt).await;
    let recent = tiered(&store, "s2", Tier::Strategic, None, adopt).await;
    let only_check_in = tiered(&store, "s3", Tier::Strategic, None, adopt).await;
    tiered(&store, "s4", Tier::Strategic, None, LifecycleStage::Churned).await;
    let enterprise = tiered(&store, "e1", Tier::Enterprise, None, adopt).await;
    let mut young = account("m1");
    young.tier = Some(Tier::MidTier);
    young.launch_date = Some(d("2026-11-01"));
    store.upsert_accounts(vec![upsert(young)]).await.unwrap();

    hold(
        &store,
        recent,
        MeetingKind::Qbr,
        now() - Duration::days(30),
        vec![],
        vec![],
        vec![],
    )
    .await;
    hold(
        &store,
        only_check_in,
        MeetingKind::CheckIn,
        now() - Duration::days(30),
        vec![],
        vec![],
        vec![],
    )
    .await;
    let booked = now() + Duration::days(7);
    hold(&store, only_check_in, MeetingKind::Qbr, booked, vec![], vec![], vec![]).await;
    // An EBR keeps an enterprise account's check-in cadence (it goes further than one).
    hold(
        &store,
        enterprise,
        MeetingKind::Ebr,
        now() - Duration::days(20),
        vec![],
        vec![],
        vec![],
    )
    .await;
    // A cancelled QBR keeps nothing.
    let off = hold(
        &store,
        never,
        MeetingKind::Qbr,
        now() - Duration::days(5),
        vec![],
        vec![],
        vec![],
    )
    .await;
    store.cancel_meeting(off).await.unwrap();

    let overdue = store.overdue_reviews(None, today).await.unwrap();
    assert_eq!(names(&overdue), ["Account s1", "Account s3"], "{overdue:?}");
    let s3 = &overdue[1];
    assert_eq!(s3.cadence, Cadence::default_for(Tier::Strategic));
    assert_eq!(s3.last_held, None, "a check-in does not keep a QBR cadence");
    assert_eq!(s3.due_on, d("2025-05-03"), "launch day plus 91 days");
    assert_eq!(s3.next_booked, Some(booked));
    assert_eq!(s3.owner, None);
    assert_eq!(overdue[0].owner.as_deref(), Some("csm"));
    assert_eq!(
        names(&store.overdue_reviews(Some(csm), today).await.unwrap()),
        ["Account s1"]
    );

    // Strategic accounts owed a check-in every 60 days instead: s3's check-in keeps it.
    let cadence = Cadence {
        tier: Tier::Strategic,
        kind: MeetingKind::CheckIn,
        every_days: 60,
    };
    let all = store.set_review_cadence(cadence.validate().unwrap()).await.unwrap();
    assert_eq!(all.len(), Tier::ALL.len());
    assert!(all.contains(&cadence));
    assert_eq!(
        names(&store.overdue_reviews(None, today).await.unwrap()),
        ["Account s1"]
    );
    // Time passes: the EBR of 20 days ago no longer covers a 30-day cadence 15 days on.
    let later = today + Duration::days(15);
    let overdue = store.overdue_reviews(None, later).await.unwrap();
    assert_eq!(names(&overdue), ["Account s1", "Account e1"], "{overdue:?}");
    assert_eq!(overdue[1].last_held, Some(d("2026-11-12")));
    assert_eq!(overdue[1].due_on, d("2026-12-12"));
}

store_test!(an_agenda_compares_usage_with_peers_and_the_pack_keeps_only_what_the_customer_may_see);

async fn an_agenda_compares_usage_with_peers_and_the_pack_keeps_only_what_the_customer_may_see(store: Store) {
    let store = store.with_clock(Clock::fixed(now()));
    let today = store.today();
    let csm = store
        .create_user(user("csm@example.com", Role::Csm).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    let adopt = LifecycleStage::Adopt;
    let acme = tiered(&store, "acme", Tier::Strategic, Some(csm), adopt).await;
    tiered(&store, "beta", Tier::Strategic, None, adopt).await;
    tiered(&store, "gamma", Tier::Strategic, None, adopt).await;
    tiered(&store, "big", Tier::Enterprise, None, adopt).await;
    let mut events = Vec::new();
    for (group, users, count) in [("acme", 3, 12), ("beta", 1, 4), ("big", 9, 90)] {
        for i in 0..count {
            let at = format!("2026-11-{:02}T10:00:00Z", 20 + i % 10);
            events.push(track(
                &format!("{group}-{i}"),
                &format!("{group}-u{}", i % users),
                if i % 2 == 0 {
                    "Report Exported"
                } else {
                    "Dashboard Viewed"
                },
                &at,
                Some(group),
            ));
        }
    }
    store.ingest(&events).await.unwrap();

    let dana = store
        .create_contact(contact("dana", acme).validate().unwrap())
        .await
        .unwrap()
        .id;
    let mut sponsor = contact("sam", acme);
    sponsor.role = Some(ContactRole::ExecSponsor);
    let sam = store.create_contact(sponsor.validate().unwrap()).await.unwrap().id;

    // Ahead, with only a user of theirs invited: flagged.
    let ahead = hold(
        &store,
        acme,
        MeetingKind::Qbr,
        now() + Duration::days(3),
        vec![csm],
        vec![dana],
        vec![],
    )
    .await;
    let review = store.review(ahead, today).await.unwrap();
    assert!(review.agenda.sponsor_missing());
    let upcoming = store
        .upcoming_reviews(Some(csm), now(), now() + Duration::weeks(8))
        .await
        .unwrap();
    assert_eq!(upcoming.len(), 1);
    assert!(upcoming[0].sponsor_missing);
    let usage = &review.agenda.usage;
    assert_eq!((usage.segment.as_str(), usage.peers), ("Strategic", 3), "{usage:?}");
    let events_metric = &usage.metrics[0];
    assert_eq!(events_metric.value, 12.0);
    assert_eq!(events_metric.percentile, Some(83), "top of three strategic peers");
    assert_eq!(events_metric.peer_median, 4.0);
    assert_eq!(usage.metrics[2].value, 2.0, "two features used");
    assert_eq!(
        review.agenda.recommendations[0],
        "No senior sponsor of the customer is invited: invite their executive sponsor or a decision maker, or reschedule"
    );
    assert!(
        store
            .share_review_pack(ahead, Note::default(), vec![], Some(csm))
            .await
            .is_err_and(|e| matches!(e, StoreError::Conflict(ref m) if m.contains("after it"))),
        "no pack before the meeting"
    );

    // Held, with the sponsor: the gut-check stays internal, the pack freezes the rest.
    let promises = vec![
        PromiseFields {
            description: ActionText::parse("Send the usage report").unwrap(),
            owner: PromiseOwner::Us(csm),
            due_on: d("2026-12-09"),
        },
        PromiseFields {
            description: ActionText::parse("Name an admin for EMEA").unwrap(),
            owner: PromiseOwner::Customer(sam),
            due_on: d("2026-12-16"),
        },
    ];
    let held = hold(
        &store,
        acme,
        MeetingKind::Qbr,
        now() - Duration::days(1),
        vec![csm],
        vec![dana, sam],
        promises,
    )
    .await;
    store
        .set_renewal_outlook(
            held,
            Some(RenewalOutlook::AtRisk),
            Note::parse("New CFO reviews every tool").unwrap(),
        )
        .await
        .unwrap();
    let review = store.review(held, today).await.unwrap();
    assert!(!review.agenda.sponsor_missing());
    assert_eq!(review.agenda.contract.outlook, Some(RenewalOutlook::AtRisk));
    assert!(
        review
            .agenda
            .recommendations
            .iter()
            .any(|r| r.contains("renewal is at risk")),
        "{:?}",
        review.agenda.recommendations
    );
    assert!(review.pack.is_none());

    let link = |contact: ContactId, hash: &str| NewCustomerLink {
        target: LinkTarget::ReviewPack(held),
        contact_id: contact,
        actions: vec![],
        expires_at: now() + Duration::days(30),
        token_hash: hash.into(),
    };
    let (shared, links) = store
        .share_review_pack(
            held,
            Note::parse("We agreed to focus on EMEA").unwrap(),
            vec![link(dana, "hash-dana"), link(sam, "hash-sam")],
            Some(csm),
        )
        .await
        .unwrap();
    assert_eq!(links.len(), 2);
    let pack = &shared.pack;
    assert_eq!(pack.held_on, d("2026-12-01"));
    assert_eq!(pack.attendees.len(), 3);
    assert_eq!(pack.promises.len(), 2);
    assert!(
        pack.promises
            .iter()
            .any(|p| !p.ours && p.text == "Name an admin for EMEA")
    );
    assert_eq!(pack.summary, "We agreed to focus on EMEA");
    let json = serde_json::to_string(pack).unwrap();
    assert!(!json.contains("New CFO"), "the gut-check stays internal: {json}");
    assert_eq!(store.review_pack(held).await.unwrap().unwrap().pack, *pack);

    // Each attendee's link opens this pack, and nothing else.
    assert!(
        store
            .use_customer_link("hash-sam", LinkTarget::ReviewPack(held))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .use_customer_link("hash-sam", LinkTarget::ReviewPack(ahead))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .customer_links_to(LinkTarget::ReviewPack(held))
            .await
            .unwrap()
            .len(),
        2
    );

    // A link for a contact of another account is refused, and nothing is written.
    let other = tiered(&store, "other", Tier::Strategic, None, adopt).await;
    let stranger = store
        .create_contact(contact("zoe", other).validate().unwrap())
        .await
        .unwrap()
        .id;
    let refused = store
        .share_review_pack(held, Note::default(), vec![link(stranger, "hash-zoe")], Some(csm))
        .await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
    assert_eq!(
        store.review_pack(held).await.unwrap().unwrap().pack.summary,
        "We agreed to focus on EMEA"
    );

    // Only reviews have agendas.
    let call = hold(&store, acme, MeetingKind::Call, now(), vec![], vec![], vec![]).await;
    assert!(matches!(store.review(call, today).await, Err(StoreError::Conflict(_))));
}

store_test!(a_score_turning_red_opens_one_reactive_qbr);

async fn a_score_turning_red_opens_one_reactive_qbr(store: Store) {
    let store = store.with_clock(Clock::fixed(now()));
    let today = store.today();
    let csm = store
        .create_user(user("csm@example.com", Role::Csm).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    let acme = tiered(&store, "acme", Tier::Strategic, Some(csm), LifecycleStage::Adopt).await;
    let pulse = |level: u8| {
        let store = store.clone();
        async move {
            store
                .record_pulse(acme, PulseLevel::new(level).unwrap(), "Weekly call", None)
                .await
                .unwrap();
        }
    };
    let reactive = || async {
        store
            .tasks(csm, TaskView::Open, today)
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.source == TaskSource::ReactiveQbr)
            .collect::<Vec<_>>()
    };
    pulse(5).await;
    assert!(reactive().await.is_empty(), "green opens nothing");
    pulse(1).await;
    let open = reactive().await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].account_id, Some(acme));
    assert_eq!(open[0].due_on, Some(today + Duration::days(7)));
    assert!(open[0].title.contains("Account acme"), "{}", open[0].title);
    pulse(2).await;
    assert_eq!(reactive().await.len(), 1, "still red: the same task");
    store.finish_tasks(csm, &[open[0].id], true).await.unwrap();
    pulse(1).await;
    assert!(
        reactive().await.is_empty(),
        "red all along: no new task once it was done"
    );
    pulse(5).await;
    pulse(1).await;
    assert_eq!(reactive().await.len(), 1, "red again: a new reactive QBR");
}
