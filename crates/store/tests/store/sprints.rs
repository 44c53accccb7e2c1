//! Sprints and customer retrospectives (F-33, F-34), on both databases.

use chrono::{Days, Duration, TimeZone, Utc};
use lodestar_domain::goal::GoalFields;
use lodestar_domain::goal::GoalStatus;
use lodestar_domain::health::Severity;
use lodestar_domain::plan::{PlanFields, TacticFields};
use lodestar_domain::promise::{PromiseFields, PromiseOwner};
use lodestar_domain::retro::{ChallengeFields, NextDate, RetroAnswers};
use lodestar_domain::review::ActionText;
use lodestar_domain::sprint::{GoalSource, RootCause, SprintFields, SprintSettings, WinFields};
use lodestar_domain::text::{Email, Label, Name, Note};
use lodestar_domain::vocabulary::{
    Answer, CauseSide, ContactRole, MeetingKind, RetroCadence, SuspectedCause, TacticState, TaskSource,
};
use lodestar_domain::{AccountId, ContactId, GoalId, PlanTacticId};
use lodestar_store::{EMAIL_JOB, Outbox, Store, StoreError, TaskView, TimelineKind, store_test};

use crate::common::*;

async fn goal_on(store: &Store, account: AccountId, title: &str) -> GoalId {
    let fields = GoalFields {
        title: Name::parse(title).unwrap(),
        metric: Label::parse("Reports shared per month").unwrap(),
        baseline: None,
        target: Label::parse("20").unwrap(),
        due_on: d("2027-06-30"),
        severity: Severity::new(3).unwrap(),
        status: GoalStatus::Active,
    };
    store
        .create_goal(account, fields.validate().unwrap(), vec![], None)
        .await
        .unwrap()
        .id
}

async fn tactic_on(store: &Store, account: AccountId, title: &str) -> PlanTacticId {
    let plan = PlanFields {
        title: Name::parse("Value plan").unwrap(),
        summary: Note::parse("").unwrap(),
    };
    let plan = store.create_success_plan(account, plan, None).await.unwrap();
    let tactic = TacticFields {
        title: Name::parse(title).unwrap(),
        description: Note::parse("").unwrap(),
        due_on: None,
    };
    let plan = store
        .add_tactic(
            plan.id,
            tactic.validate(store.today()).unwrap(),
            TacticState::Active,
            None,
        )
        .await
        .unwrap();
    plan.tactics[0].id
}

fn sprint(goals: Vec<GoalSource>, starts_on: chrono::NaiveDate) -> SprintFields {
    SprintFields {
        starts_on,
        weeks: 8,
        focus: Note::parse("Roll reporting out to the finance team").unwrap(),
        goals,
        root_cause: None,
    }
}

async fn key_person(store: &Store, account: AccountId, key: &str, role: ContactRole, email: &str) -> ContactId {
    let mut fields = contact(key, account);
    fields.role = Some(role);
    fields.email = Some(Email::parse(email).unwrap());
    store.create_contact(fields.validate().unwrap()).await.unwrap().id
}

store_test!(a_sprint_draws_up_to_three_goals_from_the_account_and_books_its_first_retrospective);

async fn a_sprint_draws_up_to_three_goals_from_the_account_and_books_its_first_retrospective(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let today = store.today();
    let reports = goal_on(&store, acme, "Board reporting from Lodestar").await;
    let training = tactic_on(&store, acme, "Admin training").await;
    let other = one_account(&store, "other").await;
    let theirs = goal_on(&store, other, "Someone else's goal").await;
    let options = store.sprint_goal_options(acme).await.unwrap();
    assert_eq!(
        options.iter().map(|o| o.title.as_str()).collect::<Vec<_>>(),
        ["Board reporting from Lodestar", "Admin training"]
    );

    let refused = store
        .start_sprint(
            acme,
            sprint(vec![GoalSource::Goal(theirs)], today).validate(today).unwrap(),
            Some(csm),
        )
        .await;
    assert_eq!(field_of(refused.unwrap_err()), "goals");
    assert!(store.account_sprints(acme).await.unwrap().is_empty(), "nothing written");

    let first = store
        .start_sprint(
            acme,
            sprint(vec![GoalSource::Goal(reports), GoalSource::Tactic(training)], today)
                .validate(today)
                .unwrap(),
            Some(csm),
        )
        .await
        .unwrap();
    assert_eq!((first.number, first.ends_on), (1, today + Days::new(55)));
    assert_eq!(
        first.goals.iter().map(|g| g.title.as_str()).collect::<Vec<_>>(),
        ["Board reporting from Lodestar", "Admin training"]
    );
    // Monthly retrospectives: the first four weeks in, at ten in the CSM's zone (UTC here).
    let retros = store.account_retrospectives(acme).await.unwrap();
    assert_eq!(retros.len(), 1);
    assert_eq!(retros[0].1, Utc.with_ymd_and_hms(2026, 12, 30, 10, 0, 0).unwrap());
    let retro = store.sprint_retro(retros[0].0).await.unwrap();
    assert_eq!(retro.sprint, Some((first.id, 1)));

    let moved = store
        .set_sprint_goal_progress(first.goals[0].id, 40, false)
        .await
        .unwrap();
    let moved = store
        .set_sprint_goal_progress(moved.goals[1].id, 10, true)
        .await
        .unwrap();
    assert_eq!((moved.goals[1].progress, moved.goals[1].done_on), (100, Some(today)));
    assert_eq!(moved.progress(), 70);
    let win = WinFields {
        title: Name::parse("First board pack built in Lodestar").unwrap(),
        achieved_on: today,
    };
    let won = store
        .add_sprint_win(first.id, win.validate(today).unwrap(), Some(csm))
        .await
        .unwrap();
    assert_eq!(won.wins.len(), 1);

    // A new sprint ends the running one the day before; the retrospective ahead joins it.
    let second_start = today + Days::new(14);
    let second = store
        .start_sprint(
            acme,
            sprint(vec![GoalSource::Goal(reports)], second_start)
                .validate(today)
                .unwrap(),
            Some(csm),
        )
        .await
        .unwrap();
    assert_eq!(second.number, 2);
    let sprints = store.account_sprints(acme).await.unwrap();
    assert_eq!(sprints[1].ended_on, Some(today + Days::new(13)));
    assert_eq!(
        store.account_retrospectives(acme).await.unwrap().len(),
        1,
        "no second booking"
    );
    let joined = store.sprint_retro(retros[0].0).await.unwrap();
    assert_eq!(joined.sprint, Some((second.id, 2)));
    assert_eq!(joined.meeting.fields.title.as_str(), "Retrospective, sprint 2");
    // Sprint 1 is over now: its record stays as its retrospective saw it.
    let late = store.set_sprint_goal_progress(first.goals[0].id, 90, false).await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    let late_win = WinFields {
        title: Name::parse("Late win").unwrap(),
        achieved_on: today,
    };
    let late = store
        .add_sprint_win(first.id, late_win.clone().validate(today).unwrap(), None)
        .await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    // A win before sprint 2 starts is not sprint 2's.
    let early = store
        .add_sprint_win(second.id, late_win.validate(today).unwrap(), None)
        .await;
    assert_eq!(field_of(early.unwrap_err()), "achieved_on");
    let before = store
        .start_sprint(
            acme,
            sprint(vec![GoalSource::Goal(reports)], today).validate(today).unwrap(),
            None,
        )
        .await;
    assert!(matches!(before, Err(StoreError::Conflict(_))), "{before:?}");

    let view = store.account_view(acme, today).await.unwrap().unwrap();
    let sprint_lines: Vec<&str> = view
        .timeline
        .iter()
        .filter(|e| e.kind == TimelineKind::Sprint)
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(sprint_lines.len(), 3, "{sprint_lines:?}");
    assert!(sprint_lines.iter().any(|t| t.starts_with("Quick win in sprint 1")));
}

store_test!(a_slipping_account_is_proposed_a_sprint_that_keeps_the_root_cause);

async fn a_slipping_account_is_proposed_a_sprint_that_keeps_the_root_cause(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let today = store.today();
    let calm = one_account(&store, "calm").await;
    let goal = goal_on(&store, acme, "Adoption back above 60 %").await;
    store
        .record_pulse(
            acme,
            lodestar_domain::health::PulseLevel::new(1).unwrap(),
            "Sponsor left",
            None,
        )
        .await
        .unwrap();
    let (slips, propose) = store.reengagement(acme, today).await.unwrap();
    assert_eq!(slips.len(), 1, "{slips:?}");
    assert!(propose);
    assert!(!store.reengagement(calm, today).await.unwrap().1);
    let board = store.sprint_board(None, today).await.unwrap();
    assert_eq!(board[0].account_id, acme, "slipping first");
    assert!(board[0].propose_sprint);

    let mut fields = sprint(vec![GoalSource::Goal(goal)], today);
    fields.root_cause = Some(RootCause {
        side: CauseSide::Them,
        same_goals: Answer::Yes,
        communication_breakdown: Answer::Yes,
        too_fast: Answer::No,
        objectives_misunderstood: Answer::No,
        skills_gap: Answer::Unsure,
        note: Note::parse("Their sponsor left; nobody owns the rollout").unwrap(),
    });
    let started = store
        .start_sprint(acme, fields.validate(today).unwrap(), Some(csm))
        .await
        .unwrap();
    assert_eq!(started.slipped.as_deref(), Some("health is red"));
    assert_eq!(started.root_cause.unwrap().side, CauseSide::Them);
    assert!(
        !store.reengagement(acme, today).await.unwrap().1,
        "answered by the new sprint"
    );
    let board = store.sprint_board(Some(csm), today).await.unwrap();
    assert_eq!(board.len(), 1, "the CSM's book only");
    assert_eq!(board[0].sprint.as_ref().map(|s| s.number), Some(1));
}

store_test!(settings_set_the_sprint_length_and_the_retrospective_cadence);

async fn settings_set_the_sprint_length_and_the_retrospective_cadence(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let today = store.today();
    assert_eq!(store.sprint_settings().await.unwrap(), SprintSettings::default());
    let six = SprintSettings {
        weeks: 6,
        retro_cadence: RetroCadence::BiMonthly,
    };
    store
        .set_sprint_settings(six.validate().unwrap(), Some(csm))
        .await
        .unwrap();
    assert_eq!(store.sprint_settings().await.unwrap(), six);
    let goal = goal_on(&store, acme, "Adoption").await;
    let mut fields = sprint(vec![GoalSource::Goal(goal)], today);
    fields.weeks = six.weeks;
    let s = store
        .start_sprint(acme, fields.validate(today).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(s.retro_cadence, RetroCadence::BiMonthly);
    // Every two months is longer than the sprint: its one retrospective is on its last day.
    let retros = store.account_retrospectives(acme).await.unwrap();
    assert_eq!(retros[0].1.date_naive(), s.ends_on);
}

store_test!(a_retrospective_hears_the_three_questions_and_both_sides_and_closes_with_the_next_date);

async fn a_retrospective_hears_the_three_questions_and_both_sides_and_closes_with_the_next_date(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let store = store.with_outbox(Outbox {
        email: true,
        public_url: None,
    });
    let today = store.today();
    let vp = key_person(&store, acme, "vp", ContactRole::DecisionMaker, "vp@acme.test").await;
    let champion = key_person(&store, acme, "champ", ContactRole::Champion, "champ@acme.test").await;
    let goal = goal_on(&store, acme, "Adoption").await;
    store
        .start_sprint(
            acme,
            sprint(vec![GoalSource::Goal(goal)], today).validate(today).unwrap(),
            Some(csm),
        )
        .await
        .unwrap();
    let id = store.account_retrospectives(acme).await.unwrap()[0].0;
    let retro = store.sprint_retro(id).await.unwrap();
    assert_eq!(retro.customer_attendees.len(), 2, "the key people are invited");
    assert!(retro.decision_power_present(), "the decision maker decides");

    let answers = RetroAnswers {
        continue_or_start: Note::parse("Keep the weekly office hours").unwrap(),
        stop: Note::parse("Stop the long status emails").unwrap(),
        ideas: Note::parse("A dashboard for the CFO").unwrap(),
    };
    store.save_retro_answers(id, answers.clone()).await.unwrap();
    store
        .add_retro_challenge(
            id,
            ChallengeFields {
                description: ActionText::parse("Approvals take two weeks in procurement").unwrap(),
                suspected_cause: SuspectedCause::Process,
            },
        )
        .await
        .unwrap();
    let ours = PromiseFields {
        description: ActionText::parse("Run the admin training").unwrap(),
        owner: PromiseOwner::Us(csm),
        due_on: today + Days::new(7),
    };
    let theirs = PromiseFields {
        description: ActionText::parse("Share the rollout calendar").unwrap(),
        owner: PromiseOwner::Customer(champion),
        due_on: today + Days::new(5),
    };
    store.add_retro_promise(id, ours, Some(csm)).await.unwrap();
    let retro = store.add_retro_promise(id, theirs, Some(csm)).await.unwrap();
    assert_eq!(retro.answers, answers);
    assert_eq!(retro.challenges[0].fields.suspected_cause, SuspectedCause::Process);
    assert_eq!(retro.promises.len(), 2);
    let tasks = store.tasks(csm, TaskView::Open, today).await.unwrap();
    assert!(
        tasks
            .iter()
            .any(|t| t.source == TaskSource::Promise && t.title == "Run the admin training"),
        "our promise is the CSM's task"
    );

    let next_at = retro.meeting.fields.starts_at + Duration::days(27);
    let (closed, sent) = store
        .close_retrospective(
            id,
            NextDate::validate(Some(next_at), retro.meeting.fields.starts_at).unwrap(),
            Some(csm),
        )
        .await
        .unwrap();
    assert_eq!(sent, 2, "each customer attendee with an address");
    let (next_id, at) = closed.next.unwrap();
    assert_eq!(at, next_at);
    let next = store.sprint_retro(next_id).await.unwrap();
    let mut invited = next.meeting.fields.contacts.clone();
    invited.sort();
    assert_eq!(invited, [vp, champion]);
    assert_eq!(next.sprint, closed.sprint, "the sprint still runs then");
    let emails = store
        .jobs(Some(lodestar_domain::job::JobState::Queued), 100, 0)
        .await
        .unwrap()
        .1
        .into_iter()
        .filter(|j| j.kind == EMAIL_JOB)
        .collect::<Vec<_>>();
    assert_eq!(emails.len(), 2);
    let body = emails[0].payload["text_body"].as_str().unwrap();
    assert!(body.contains("What we will do:\n- Run the admin training"), "{body}");
    assert!(
        body.contains("What your team will do:\n- Share the rollout calendar"),
        "{body}"
    );

    // Closed is closed: what was agreed stays agreed.
    let again = store
        .close_retrospective(
            id,
            NextDate::validate(Some(next_at), retro.meeting.fields.starts_at).unwrap(),
            None,
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))));
    assert!(matches!(
        store.save_retro_answers(id, RetroAnswers::default()).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(store.cancel_meeting(id).await, Err(StoreError::Conflict(_))));
    let moved = store
        .update_meeting(id, retro.meeting.fields.clone().validate().unwrap())
        .await;
    assert!(matches!(moved, Err(StoreError::Conflict(_))), "{moved:?}");
    // Promises kept count for the scorecard's promises measure like any other.
    let kept = store
        .promises(&lodestar_store::PromiseFilter {
            account: Some(acme),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(kept.iter().filter(|p| p.meeting_id == Some(id)).count(), 2);

    // A retrospective logged by hand reads as a new one; without anyone who decides, it says
    // so. Another kind of meeting is not a retrospective.
    let user_only = key_person(&store, acme, "user", ContactRole::User, "user@acme.test").await;
    let logged = |kind| lodestar_domain::meeting::MeetingFields {
        kind,
        title: Name::parse("Monthly retro").unwrap(),
        starts_at: store.now(),
        duration_minutes: 30,
        time_zone: chrono_tz::UTC,
        notes: Note::default(),
        users: vec![csm],
        contacts: vec![user_only],
    };
    let by_hand = store
        .create_meeting(
            acme,
            logged(MeetingKind::Retrospective).validate().unwrap(),
            vec![],
            Some(csm),
        )
        .await
        .unwrap();
    let by_hand = store.sprint_retro(by_hand.id).await.unwrap();
    assert!(!by_hand.decision_power_present());
    assert_eq!((by_hand.sprint, by_hand.is_closed()), (None, false));
    let call = store
        .create_meeting(acme, logged(MeetingKind::Call).validate().unwrap(), vec![], Some(csm))
        .await
        .unwrap();
    assert!(matches!(
        store.sprint_retro(call.id).await,
        Err(StoreError::Conflict(_))
    ));
}
