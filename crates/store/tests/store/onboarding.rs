//! Onboarding (F-36), on both databases: a plan with tasks on both sides, a task ticked off
//! only on the side allowed, the customer's answer completing it only when both parts are done,
//! a completed plan refusing changes, and the times per segment.

use chrono::{TimeZone, Utc};
use lodestar_domain::onboarding::{CustomerVerdict, OnboardingFields, TaskFields, TaskSide, standard_tasks};
use lodestar_domain::text::{Label, Name, Note};
use lodestar_store::{MeetingFilter, Store, StoreError, store_test};

use crate::common::*;

store_test!(the_customer_completes_onboarding_and_the_times_follow);
async fn the_customer_completes_onboarding_and_the_times_follow(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let fields = OnboardingFields {
        signed_on: d("2026-11-02"),
        target_on: d("2026-12-31"),
        risks: Note::parse("Busy IT team").unwrap(),
    };
    let mut tasks = standard_tasks(&fields, &Label::parse("Casey").unwrap());
    tasks.push(TaskFields {
        title: Name::parse("Connect single sign-on").unwrap(),
        side: TaskSide::Customer,
        owner: Label::parse("Priya").unwrap(),
        due_on: d("2026-11-20"),
    });
    let plan = store
        .create_onboarding(acme, fields.validate().unwrap(), tasks, Some(csm))
        .await
        .unwrap();
    assert_eq!(plan.kickoff_due_on, d("2026-11-06"));
    assert_eq!(plan.tasks.len(), 3);
    // The sponsor's touchpoint halfway to the target is on the calendars, at ten.
    let booked = store
        .meetings(&MeetingFilter {
            account: Some(acme),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(booked.len(), 1);
    assert_eq!(
        booked[0].fields.title.as_str(),
        "Onboarding midway touchpoint with the executive sponsor"
    );
    assert_eq!(
        booked[0].fields.starts_at,
        Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()
    );
    assert_eq!(booked[0].fields.users, [csm]);
    let ours = plan.tasks.iter().find(|t| t.fields.side == TaskSide::Ours).unwrap().id;
    let theirs = plan
        .tasks
        .iter()
        .find(|t| t.fields.side == TaskSide::Customer)
        .unwrap()
        .id;

    // The customer's link ticks only the customer's tasks.
    let refused = store
        .tick_onboarding_task(plan.id, ours, true, "Dana", Some(TaskSide::Customer))
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::NotFound { .. }), "{refused:?}");
    let ticked = store
        .tick_onboarding_task(plan.id, theirs, true, "Dana (customer)", Some(TaskSide::Customer))
        .await
        .unwrap();
    let t = ticked.tasks.iter().find(|t| t.id == theirs).unwrap();
    assert_eq!(t.done_by.as_deref(), Some("Dana (customer)"));
    assert!(t.done_at.is_some());

    // The "onboarding" measure reads the plan: of the tasks due by 2026-12-02 (the kickoff,
    // the sponsor's touchpoint is later, single sign-on) one of two is done.
    let health = store
        .account_health(acme, d("2026-12-02"))
        .await
        .unwrap()
        .current
        .unwrap();
    let onboarding = health
        .health
        .measures
        .iter()
        .find(|m| m.measure == "onboarding")
        .unwrap();
    let reading = onboarding.reading.as_ref().unwrap();
    assert_eq!(
        reading.fact, "1 of 2 onboarding tasks due so far are done",
        "{reading:?}"
    );

    let half = CustomerVerdict {
        technical: true,
        process: false,
    };
    let answered = store.answer_onboarding(plan.id, half, "Dana").await.unwrap();
    assert_eq!(answered.completed_on, None, "the process is not integrated yet");
    assert_eq!(answered.verdict, Some(half));
    let both = CustomerVerdict {
        technical: true,
        process: true,
    };
    let done = store.answer_onboarding(plan.id, both, "Dana").await.unwrap();
    // The store's clock stands at 2026-12-02: thirty days after signature.
    assert_eq!(done.completed_on, Some(d("2026-12-02")));
    assert_eq!(done.days_to_complete(), Some(30));
    // Launched: the first retrospective about a month later.
    let retros = store.account_retrospectives(done.account_id).await.unwrap();
    assert_eq!(retros.len(), 1);
    assert_eq!(retros[0].1.date_naive(), d("2026-12-30"));
    assert!(matches!(
        store.answer_onboarding(plan.id, both, "Dana").await.unwrap_err(),
        StoreError::Conflict(_)
    ));
    assert!(matches!(
        store
            .tick_onboarding_task(plan.id, ours, true, "Casey", None)
            .await
            .unwrap_err(),
        StoreError::Conflict(_)
    ));

    let times = store.onboarding_times().await.unwrap();
    assert_eq!(times.len(), 1);
    assert_eq!(times[0].completed, 1);
    assert_eq!(times[0].median_days_to_complete, Some(30));
    assert_eq!(store.onboardings_of_account(acme).await.unwrap()[0].id, plan.id);
}
