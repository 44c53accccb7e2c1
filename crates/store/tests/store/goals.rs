//! Goals and value (F-30), on both databases: goals with their ecosystems, ratings, value
//! received with its history, the timeline, the portfolio's goals at risk and the batch load.

use chrono::{Duration, TimeZone, Utc};
use lodestar_domain::goal::{EcosystemKind, GoalFields, GoalStatus, PartFields, PartRating, ValueLevel, ValueReceived};
use lodestar_domain::health::Severity;
use lodestar_domain::text::{Label, Name, Note};
use lodestar_domain::vocabulary::Role;
use lodestar_domain::{AccountId, GoalId, GoalPartId, UserId};
use lodestar_store::{Clock, GoalDraft, NewPart, Store, StoreError, TimelineKind, store_test};

use crate::common::*;

/// A store whose clock stands at noon on 2026-12-02, with two CSMs owning one account each.
async fn book(store: Store) -> (Store, [UserId; 2], [AccountId; 2]) {
    let store = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()));
    let mut csms = Vec::new();
    let mut accounts = Vec::new();
    for key in ["acme", "globex"] {
        let csm = store
            .create_user(
                user(&format!("{key}-csm@example.com"), Role::Csm)
                    .validate(None)
                    .unwrap(),
            )
            .await
            .unwrap()
            .id;
        let mut fields = account(key);
        fields.owner_id = Some(csm);
        store.upsert_accounts(vec![upsert(fields)]).await.unwrap();
        csms.push(csm);
        accounts.push(account_id_of(&store, key).await);
    }
    (store, [csms[0], csms[1]], [accounts[0], accounts[1]])
}

fn label(s: &str) -> Label {
    Label::parse(s).unwrap()
}

fn goal(title: &str, severity: u8) -> GoalFields {
    GoalFields {
        title: Name::parse(title).unwrap(),
        metric: label("Demo requests per month"),
        baseline: Some(label("120")),
        target: label("200"),
        due_on: d("2027-03-31"),
        severity: Severity::new(severity).unwrap(),
        status: GoalStatus::Active,
    }
}

fn part(kind: EcosystemKind, name: &str, rating: Option<PartRating>) -> NewPart {
    NewPart {
        fields: PartFields {
            kind,
            name: Name::parse(name).unwrap(),
            metric: label("Does its share on time"),
        },
        rating,
    }
}

store_test!(a_goal_keeps_its_ecosystem_ratings_and_value_history);

async fn a_goal_keeps_its_ecosystem_ratings_and_value_history(store: Store) {
    let (store, [csm, _], [acme, _]) = book(store).await;
    let g = store
        .create_goal(
            acme,
            goal("200 demo requests a month", 4).validate().unwrap(),
            vec![
                part(EcosystemKind::OurProduct, "Lodestar", Some(PartRating::Meeting)),
                part(EcosystemKind::OtherProduct, "Their CRM", None),
            ],
            Some(csm),
        )
        .await
        .unwrap();
    assert_eq!(g.account_id, acme);
    assert_eq!(g.account_owner_id, Some(csm));
    assert_eq!(g.fields, goal("200 demo requests a month", 4));
    assert_eq!(g.parts.len(), 2);
    assert_eq!(g.parts[0].rating, Some(PartRating::Meeting));
    assert!(g.parts[0].rated_at.is_some() && g.parts[0].rated_by.is_some());
    assert_eq!((g.parts[1].rating, g.parts[1].rated_at), (None, None));
    assert!(!g.at_risk() && g.value.is_none());

    // A part rated below puts the goal at risk; a process of theirs joins the ecosystem.
    let crm = g.parts[1].id;
    let rated = store.rate_goal_part(crm, PartRating::Below, Some(csm)).await.unwrap();
    assert_eq!(rated.rating, Some(PartRating::Below));
    store
        .add_goal_part(
            g.id,
            part(EcosystemKind::CustomerProcess, "Weekly pipeline review", None),
            Some(csm),
        )
        .await
        .unwrap();
    let again = store.goal(g.id).await.unwrap();
    assert!(again.at_risk());
    assert_eq!(again.parts.len(), 3);

    // Value history: appended; the latest entry is the goal's value.
    let partial = ValueReceived::new(ValueLevel::Partial, Some(60), Some(label("150 of 200"))).unwrap();
    store
        .record_value(g.id, ValueReceived::None, Note::default(), Some(csm))
        .await
        .unwrap();
    let store = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 9, 12, 0, 0).unwrap()));
    let entry = store
        .record_value(
            g.id,
            partial.clone(),
            Note::parse("Confirmed at the QBR").unwrap(),
            Some(csm),
        )
        .await
        .unwrap();
    assert_eq!(entry.value, partial);
    assert_eq!(store.goal(g.id).await.unwrap().value.unwrap().value, partial);
    let history = store.value_history(g.id).await.unwrap();
    let levels: Vec<ValueLevel> = history.iter().map(|v| v.value.level()).collect();
    assert_eq!(levels, [ValueLevel::Partial, ValueLevel::None], "latest first");

    // An edit of the status takes the goal out of risk; a second, same edit changes nothing.
    let mut met = goal("200 demo requests a month", 4);
    met.status = GoalStatus::Achieved;
    let done = store
        .update_goal(g.id, met.clone().validate().unwrap(), Some(csm))
        .await
        .unwrap();
    assert!(!done.at_risk());
    assert!(done.updated_by.is_some());
    store
        .update_goal(g.id, met.validate().unwrap(), Some(csm))
        .await
        .unwrap();

    // Removing a part takes it out; a part of another goal is not found by its id twice.
    let removed = store.remove_goal_part(crm, Some(csm)).await.unwrap();
    assert_eq!(removed.fields.name.as_str(), "Their CRM");
    assert!(matches!(
        store.remove_goal_part(crm, Some(csm)).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.goal(GoalId(9999)).await,
        Err(StoreError::NotFound { what: "goal", .. })
    ));
    assert!(matches!(
        store.rate_goal_part(GoalPartId(9999), PartRating::Meeting, None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .create_goal(AccountId(9999), goal("x", 1).validate().unwrap(), Vec::new(), None)
            .await,
        Err(StoreError::NotFound { what: "account", .. })
    ));

    // The timeline tells the story: set, rated, a part added and removed, value, the edit.
    let texts: Vec<(TimelineKind, String)> = store
        .timeline_entries(acme)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.kind, TimelineKind::Goal | TimelineKind::ValueReceived))
        .map(|e| (e.kind, e.text))
        .collect();
    let has = |kind: TimelineKind, text: &str| texts.iter().any(|(k, t)| *k == kind && t.contains(text));
    assert!(
        has(
            TimelineKind::Goal,
            "Goal set: 200 demo requests a month (Demo requests per month: 120 → 200 by 2027-03-31)"
        ),
        "{texts:?}"
    );
    assert!(has(
        TimelineKind::Goal,
        "another product Their CRM rated below expectations"
    ));
    assert!(has(
        TimelineKind::Goal,
        "needs the customer's process Weekly pipeline review"
    ));
    assert!(has(TimelineKind::Goal, "changed: status In progress → Achieved"));
    assert!(has(TimelineKind::Goal, "no longer counts on another product Their CRM"));
    assert!(has(
        TimelineKind::ValueReceived,
        "Value received on “200 demo requests a month”: Partial (60%, 150 of 200) — Confirmed at the QBR"
    ));
    assert_eq!(
        texts.iter().filter(|(_, t)| t.contains("changed:")).count(),
        1,
        "an edit that changes nothing writes nothing"
    );
}

store_test!(goals_at_risk_are_those_in_progress_with_a_part_below_in_the_book_asked_for);

async fn goals_at_risk_are_those_in_progress_with_a_part_below_in_the_book_asked_for(store: Store) {
    let (store, [ann, bob], [acme, globex]) = book(store).await;
    let below = || {
        part(
            EcosystemKind::Service,
            "Implementation partner",
            Some(PartRating::Below),
        )
    };
    let fine = || part(EcosystemKind::OurProduct, "Lodestar", Some(PartRating::Exceeding));
    let mut dropped = goal("Dropped goal", 5);
    dropped.status = GoalStatus::Dropped;
    let set = |account, fields: GoalFields, parts| {
        let store = store.clone();
        async move {
            store
                .create_goal(account, fields.validate().unwrap(), parts, None)
                .await
                .unwrap()
                .id
        }
    };
    let mild = set(acme, goal("Mild", 2), vec![fine(), below()]).await;
    let severe = set(globex, goal("Severe", 5), vec![below()]).await;
    set(acme, goal("All good", 5), vec![fine()]).await;
    set(acme, dropped, vec![below()]).await;
    set(globex, goal("No ecosystem yet", 4), Vec::new()).await;

    let all: Vec<GoalId> = store.goals_at_risk(None).await.unwrap().iter().map(|g| g.id).collect();
    assert_eq!(
        all,
        [severe, mild],
        "the most severe first; dropped and healthy goals left out"
    );
    let anns = store.goals_at_risk(Some(ann)).await.unwrap();
    assert_eq!(anns.len(), 1);
    assert_eq!((anns[0].id, anns[0].account_name.as_str()), (mild, "Account acme"));
    let bobs = store.goals_at_risk(Some(bob)).await.unwrap();
    assert_eq!(bobs.len(), 1);
    assert_eq!(
        (bobs[0].id, bobs[0].account_owner.as_deref()),
        (severe, Some("globex-csm"))
    );
    assert_eq!(bobs[0].parts[0].fields.name.as_str(), "Implementation partner");
    // Goals of an account: in progress first, then by due date; ids stay what plans refer to.
    let of_acme: Vec<String> = store
        .goals_of_account(acme)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.fields.title.to_string())
        .collect();
    assert_eq!(of_acme, ["Mild", "All good", "Dropped goal"]);
}

store_test!(goals_load_in_one_batch_with_their_history);

async fn goals_load_in_one_batch_with_their_history(store: Store) {
    let (store, [ann, _], [acme, globex]) = book(store).await;
    let at = store.now() - Duration::days(30);
    let draft = |account, title: &str, parts: Vec<NewPart>, values: Vec<ValueReceived>| GoalDraft {
        account,
        fields: goal(title, 3).validate().unwrap(),
        parts,
        values: values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (v, Note::default(), at + Duration::days(7 * i as i64)))
            .collect(),
        by: Some(ann),
        created_at: at,
    };
    let loaded = store
        .add_goals(vec![
            draft(
                acme,
                "Faster onboarding",
                vec![
                    part(EcosystemKind::OurProduct, "Lodestar", Some(PartRating::Meeting)),
                    part(EcosystemKind::Service, "Training", Some(PartRating::Below)),
                ],
                vec![ValueReceived::None, ValueReceived::Full],
            ),
            draft(globex, "One dashboard", Vec::new(), Vec::new()),
        ])
        .await
        .unwrap();
    assert_eq!(loaded, 2);
    let goals = store.goals_of_account(acme).await.unwrap();
    assert_eq!(goals.len(), 1);
    assert_eq!(goals[0].parts.len(), 2);
    assert_eq!(
        goals[0].value.as_ref().unwrap().value,
        ValueReceived::Full,
        "the latest entry"
    );
    assert_eq!(goals[0].created_at, at);
    assert_eq!(store.value_history(goals[0].id).await.unwrap().len(), 2);
    assert_eq!(store.goals_at_risk(None).await.unwrap().len(), 1);
    assert!(store.goals_of_account(globex).await.unwrap()[0].parts.is_empty());
}
