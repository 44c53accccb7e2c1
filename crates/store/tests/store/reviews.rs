//! QBRs, EBRs and check-ins, on both databases: the overdue list, the agenda, the pack and
//! its links, and the reactive QBR a red score opens.

use chrono::{DateTime, Duration, TimeZone, Utc};
use lodestar_domain::experience::{Entitlements, ExperienceFields, LevelName};
use lodestar_domain::health::PulseLevel;
use lodestar_domain::meeting::MeetingFields;
use lodestar_domain::promise::{PromiseFields, PromiseOwner};
use lodestar_domain::qbr::Cadence;
use lodestar_domain::review::ActionText;
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{
    ContactRole, Coverage, LifecycleStage, MeetingKind, RenewalOutlook, Role, TaskSource, Tier,
};
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

store_test!(the_overdue_list_follows_each_accounts_experience_level);

async fn the_overdue_list_follows_each_accounts_experience_level(store: Store) {
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
    assert_eq!(
        s3.cadence,
        Cadence {
            kind: MeetingKind::Qbr,
            every_days: 91
        },
        "the level the migration made of the strategic tier's old default"
    );
    assert_eq!((s3.level.as_str(), s3.tier), ("Strategic", Some(Tier::Strategic)));
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
    let strategic = level_of(&store, Tier::Strategic).await;
    set_level(&store, strategic.id, "Strategic", None, Some(60), Coverage::Named).await;
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

    // Both a quarterly QBR and check-ins every 60 days: s3 kept its check-ins but never had a
    // QBR, so it is listed once, for the QBR (holding one keeps both).
    set_level(&store, strategic.id, "High touch", Some(91), Some(60), Coverage::Named).await;
    let overdue = store.overdue_reviews(None, today).await.unwrap();
    assert_eq!(names(&overdue), ["Account s1", "Account s3"], "{overdue:?}");
    assert_eq!(overdue[1].cadence.kind, MeetingKind::Qbr);
    assert_eq!(overdue[1].level, "High touch", "a renamed level is read by name");

    // Placed in high touch, the enterprise account is owed QBRs: its EBR of 20 days ago keeps
    // that too. Placed back, it follows its tier again; each move is on its timeline.
    let placed = store
        .place_account_experience(enterprise, Some(strategic.id), None)
        .await
        .unwrap();
    assert_eq!(placed.map(|(id, _)| id), Some(strategic.id));
    let at = store.account_experience(enterprise).await.unwrap().unwrap();
    assert!(at.placed);
    assert_eq!(at.entitlements.qbr_every_days, Some(91));
    assert_eq!(
        names(&store.overdue_reviews(None, later).await.unwrap()),
        ["Account s1", "Account s3"],
        "e1 is no longer owed a 30-day check-in"
    );
    store.place_account_experience(enterprise, None, None).await.unwrap();
    assert!(!store.account_experience(enterprise).await.unwrap().unwrap().placed);
    let timeline = store.timeline_entries(enterprise).await.unwrap();
    let moves: Vec<&str> = timeline
        .iter()
        .filter(|e| e.text.starts_with("Experience level"))
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(
        moves,
        [
            "Experience level: Enterprise (by its tier) → High touch (placed)",
            "Experience level: High touch (placed) → Enterprise (by its tier)",
        ]
    );
    let missing = store.place_account_experience(enterprise, Some(9999), None).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");
}

async fn level_of(store: &Store, tier: Tier) -> lodestar_store::ExperienceLevel {
    let levels = store.experience_levels().await.unwrap();
    levels.into_iter().find(|l| l.tiers.contains(&tier)).unwrap()
}

async fn set_level(store: &Store, id: i64, name: &str, qbr: Option<u32>, check_in: Option<u32>, coverage: Coverage) {
    let fields = ExperienceFields {
        name: LevelName::parse(name).unwrap(),
        entitlements: Entitlements {
            qbr_every_days: qbr,
            check_in_every_days: check_in,
            coverage,
        },
    };
    store
        .update_experience_level(id, fields.validate().unwrap(), None)
        .await
        .unwrap();
}

store_test!(a_pooled_levels_reviews_are_listed_for_every_csm_of_its_pool);

async fn a_pooled_levels_reviews_are_listed_for_every_csm_of_its_pool(store: Store) {
    let store = store.with_clock(Clock::fixed(now()));
    let today = store.today();
    let mut csms = Vec::new();
    for email in ["ana@example.com", "ben@example.com", "cy@example.com"] {
        csms.push(
            store
                .create_user(user(email, Role::Csm).validate(None).unwrap())
                .await
                .unwrap()
                .id,
        );
    }
    let adopt = LifecycleStage::Adopt;
    tiered(&store, "t1", Tier::LongTail, Some(csms[0]), adopt).await;
    tiered(&store, "t2", Tier::LongTail, Some(csms[1]), adopt).await;
    tiered(&store, "m1", Tier::MidTier, Some(csms[2]), adopt).await;
    let named = |store: &Store, who: UserId| {
        let store = store.clone();
        async move { names(&store.overdue_reviews(Some(who), today).await.unwrap()) }
    };
    // Named: each CSM sees their own book.
    assert_eq!(named(&store, csms[0]).await, ["Account t1"]);
    assert_eq!(named(&store, csms[2]).await, ["Account m1"]);

    // The long tail moves to a pooled level of its own: Ana and Ben serve its pool, and each
    // sees both of its accounts; Cy, who owns none of them, still sees only hers.
    let fields = ExperienceFields {
        name: LevelName::parse("Neighborhood").unwrap(),
        entitlements: Entitlements {
            qbr_every_days: None,
            check_in_every_days: Some(91),
            coverage: Coverage::Pooled,
        },
    };
    let (pool, levels) = store
        .create_experience_level(fields.clone().validate().unwrap(), Some(csms[0]))
        .await
        .unwrap();
    assert_eq!(levels.len(), 5);
    let levels = store.set_tier_experience(Tier::LongTail, pool).await.unwrap();
    let neighborhood = levels.iter().find(|l| l.id == pool).unwrap();
    assert_eq!(
        (neighborhood.tiers.as_slice(), neighborhood.accounts),
        (&[Tier::LongTail][..], 2)
    );
    let old = levels.iter().find(|l| l.name.as_str() == "Long tail").unwrap();
    assert!(old.tiers.is_empty() && old.accounts == 0, "{old:?}");
    assert_eq!(named(&store, csms[0]).await, ["Account t1", "Account t2"]);
    assert_eq!(named(&store, csms[1]).await, ["Account t1", "Account t2"]);
    assert_eq!(named(&store, csms[2]).await, ["Account m1"]);
    let all = store.overdue_reviews(None, today).await.unwrap();
    let row = all.iter().find(|o| o.account_name == "Account t1").unwrap();
    assert_eq!((row.coverage, row.level.as_str()), (Coverage::Pooled, "Neighborhood"));

    // A name is one level's only.
    let taken = store.create_experience_level(fields.validate().unwrap(), None).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    // A level with no cadence owes nothing.
    set_level(&store, pool, "Neighborhood", None, None, Coverage::Pooled).await;
    assert_eq!(named(&store, csms[0]).await, Vec::<String>::new());
}

store_test!(
    each_tiers_review_cadence_becomes_an_experience_level_when_the_schema_is_upgraded,
    unmigrated
);

async fn each_tiers_review_cadence_becomes_an_experience_level_when_the_schema_is_upgraded(store: Store) {
    store.migrate_until(29).await.unwrap();
    lodestar_store::testing::execute_sql(
        &store,
        "INSERT INTO review_cadences (tier, meeting_kind, every_days, updated_at) VALUES \
           ('enterprise', 'ebr', 120, '2026-11-02T09:00:00+00:00'), \
           ('strategic', 'check_in', 45, '2026-11-02T09:00:00+00:00')",
    )
    .await;
    store.migrate().await.unwrap();
    let levels = store.experience_levels().await.unwrap();
    let got: Vec<(String, Vec<Tier>, Option<u32>, Option<u32>, Coverage)> = levels
        .iter()
        .map(|l| {
            let e = l.entitlements;
            (
                l.name.to_string(),
                l.tiers.clone(),
                e.qbr_every_days,
                e.check_in_every_days,
                e.coverage,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Strategic".into(),
                vec![Tier::Strategic],
                None,
                Some(45),
                Coverage::Named
            ),
            (
                "Enterprise".into(),
                vec![Tier::Enterprise],
                Some(120),
                None,
                Coverage::Named
            ),
            ("Mid-tier".into(), vec![Tier::MidTier], None, Some(60), Coverage::Named),
            (
                "Long tail".into(),
                vec![Tier::LongTail],
                None,
                Some(91),
                Coverage::Named
            ),
        ],
        "a tier's cadence is kept; a tier without one gets the practice the code held"
    );
    let gone = lodestar_store::testing::try_execute_sql(&store, "SELECT 1 FROM review_cadences").await;
    assert!(gone.is_err(), "the cadences are gone");
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
