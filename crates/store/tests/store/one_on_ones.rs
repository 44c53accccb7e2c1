//! Team 1:1s, on both databases: the roster and who is due, a 1:1 keeping the book's figures
//! as they stood, long-term goals with their history, and feedback kept without its author.

use chrono::{Duration, TimeZone, Utc};
use lodestar_domain::one_on_one::{
    CareerGoalFields, CareerGoalStatus, Due, FeedbackFields, FeedbackTopic, OneOnOneFields,
};
use lodestar_domain::review::ActionText;
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{Role, Tier};
use lodestar_store::{Clock, Store, TaskFields, store_test};

use crate::common::*;

store_test!(a_one_on_one_keeps_the_book_as_it_stood_and_resets_the_due_day);

async fn a_one_on_one_keeps_the_book_as_it_stood_and_resets_the_due_day(store: Store) {
    let store = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap()));
    let today = store.today();
    let leader = store
        .create_user(user("lead@example.com", Role::Leader).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    let mut report = user("csm@example.com", Role::Csm);
    report.manager_id = Some(leader);
    let csm = store.create_user(report.validate(None).unwrap()).await.unwrap().id;
    let mut elsewhere = user("other@example.com", Role::Csm);
    elsewhere.manager_id = None;
    store.create_user(elsewhere.validate(None).unwrap()).await.unwrap();

    let mut fields = account("acme");
    fields.tier = Some(Tier::Enterprise);
    fields.owner_id = Some(csm);
    store.upsert_accounts(vec![upsert(fields)]).await.unwrap();
    let acme = account_id_of(&store, "acme").await;
    let mut k = contract("k1", acme, 30_000_00, "2026-03-01");
    let mut contract_fields = k.fields.into_inner();
    contract_fields.start_date = d("2026-03-01");
    contract_fields.end_date = d("2027-01-31");
    k.fields = contract_fields.validate().unwrap();
    store.upsert_contracts(vec![k]).await.unwrap();
    store
        .create_task(
            csm,
            TaskFields {
                title: ActionText::parse("Send the renewal quote").unwrap(),
                account: Some(acme),
                due_on: Some(today - Duration::days(2)),
            },
        )
        .await
        .unwrap();

    let roster = store.one_on_one_roster(leader, today).await.unwrap();
    assert_eq!(roster.len(), 1, "only the leader's own reports");
    assert_eq!(roster[0].due, Due::Never);

    let held = OneOnOneFields {
        held_on: today,
        look_around: Note::parse("Tired after the EMEA trip").unwrap(),
        look_back: Note::parse("Saved the Acme renewal").unwrap(),
        look_forward: Note::parse("Wants to lead the enterprise pod").unwrap(),
    };
    let one = store
        .record_one_on_one(leader, csm, held.clone().validate(today).unwrap())
        .await
        .unwrap();
    assert_eq!(one.figures.accounts, 1);
    assert_eq!(one.figures.arr.0, 30_000_00);
    assert_eq!(one.figures.renewals_due, 1, "renews within 90 days");
    assert_eq!(one.figures.overdue_tasks, 1);
    assert_eq!(one.leader_name, "lead");

    // The figures stay as they were when the book changes.
    store
        .create_task(
            csm,
            TaskFields {
                title: ActionText::parse("Another").unwrap(),
                account: None,
                due_on: Some(today - Duration::days(1)),
            },
        )
        .await
        .unwrap();
    let edited = store
        .update_one_on_one(
            one.id,
            OneOnOneFields {
                look_back: Note::parse("Saved the Acme renewal; QBR deck reused by the team").unwrap(),
                ..held
            }
            .validate(today)
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(edited.figures.overdue_tasks, 1);
    assert!(edited.fields.look_back.as_str().contains("QBR deck"));
    assert_eq!(store.one_on_ones_of(csm).await.unwrap().len(), 1);

    let roster = store.one_on_one_roster(leader, today).await.unwrap();
    assert_eq!(roster[0].last_held, Some(today));
    assert_eq!(roster[0].due, Due::On { day: d("2027-01-03") });
}

store_test!(goals_keep_their_history_and_feedback_keeps_no_author);

async fn goals_keep_their_history_and_feedback_keeps_no_author(store: Store) {
    let leader = store
        .create_user(user("lead@example.com", Role::Leader).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    let csm = store
        .create_user(user("csm@example.com", Role::Csm).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    let goal = store
        .add_career_goal(
            csm,
            CareerGoalFields {
                title: Name::parse("Lead the enterprise pod").unwrap(),
                target_on: Some(d("2027-12-31")),
            },
            Some(csm),
        )
        .await
        .unwrap();
    store
        .set_career_goal_status(
            goal,
            CareerGoalStatus::Stalled,
            &Note::parse("No pod opens before the reorg").unwrap(),
            Some(leader),
        )
        .await
        .unwrap();
    let goals = store.career_goals(csm).await.unwrap();
    assert_eq!(goals[0].status, CareerGoalStatus::Stalled);
    let history: Vec<_> = goals[0]
        .history
        .iter()
        .map(|c| (c.status, c.by.clone().unwrap()))
        .collect();
    assert_eq!(
        history,
        [
            (CareerGoalStatus::Stalled, "lead".to_owned()),
            (CareerGoalStatus::OnTrack, "csm".to_owned())
        ],
        "the latest first"
    );
    assert_eq!(store.career_goal_owner(goal).await.unwrap(), csm);

    for (key, topic, body) in [
        (
            991,
            FeedbackTopic::Values,
            "We say customer first, but bonuses follow bookings",
        ),
        (
            17,
            FeedbackTopic::Problem,
            "Handoffs from sales miss the success criteria",
        ),
    ] {
        let fields = FeedbackFields {
            topic,
            body: Note::parse(body).unwrap(),
        };
        store.submit_feedback(key, fields.validate().unwrap()).await.unwrap();
    }
    let list = store.feedback_since(store.today() - Duration::days(30)).await.unwrap();
    let topics: Vec<_> = list.iter().map(|f| f.topic).collect();
    assert_eq!(
        topics,
        [FeedbackTopic::Values, FeedbackTopic::Problem],
        "ordered by topic, not by arrival"
    );
    assert!(list.iter().all(|f| f.submitted_on == store.today()));
}
