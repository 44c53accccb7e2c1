//! Trigger rules, on both databases: what a rule hits (signal and condition), firing once per
//! account and cause, and what the actions did.

use chrono::{Days, TimeZone, Utc};
use lodestar_domain::text::Name;
use lodestar_domain::trigger::{Action, Condition, RuleFields, Signal};
use lodestar_domain::vocabulary::{ContactRole, ContactStatus, Role, TaskSource, Tier};
use lodestar_domain::{Cents, TacticId};
use lodestar_store::{Clock, Store, StoreError, TaskView, store_test};

use crate::common::*;
use crate::playbooks::outcome;

fn rule(signal: Signal, condition: Condition, actions: Vec<Action>) -> RuleFields {
    RuleFields {
        name: Name::parse("Renewal prep").unwrap(),
        signal,
        condition,
        actions,
        enabled: true,
    }
}

store_test!(a_rule_fires_once_per_account_and_cause_and_keeps_what_it_did);

async fn a_rule_fires_once_per_account_and_cause_and_keeps_what_it_did(store: Store) {
    let store = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()));
    let today = store.today();
    let csm = store
        .create_user(user("csm@example.com", Role::Csm).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    let mut ids = Vec::new();
    for (key, arr, days) in [
        ("acme", 80_000_00, 60),
        ("far", 80_000_00, 200),
        ("small", 10_000_00, 30),
    ] {
        let mut fields = account(key);
        fields.owner_id = Some(csm);
        store.upsert_accounts(vec![upsert(fields)]).await.unwrap();
        let id = account_id_of(&store, key).await;
        store
            .upsert_contracts(vec![contract_ending(
                &format!("k-{key}"),
                id,
                arr,
                today + Days::new(days),
                today,
            )])
            .await
            .unwrap();
        ids.push(id);
    }
    let renewal = store
        .create_trigger_rule(
            rule(
                Signal::RenewalIn { days: 90 },
                Condition {
                    min_arr: Some(Cents(50_000_00)),
                    ..Condition::default()
                },
                vec![
                    Action::CreateTask {
                        title: "Confirm the renewal with {account}: {cause}".into(),
                        due_in_days: 7,
                    },
                    Action::PostWebhook,
                ],
            )
            .validate()
            .unwrap(),
            Some(csm),
        )
        .await
        .unwrap();

    // The dry run: only acme renews within 90 days with enough ARR; nothing is done.
    let hits = store
        .trigger_candidates(Some(renewal.id), &renewal.fields, today)
        .await
        .unwrap();
    let names: Vec<&str> = hits.iter().map(|h| h.account_name.as_str()).collect();
    assert_eq!(names, ["Account acme"]);
    assert_eq!(hits[0].cause, "renewal:2027-01-31");
    assert!(!hits[0].fired);
    // (Scores may have opened reactive QBRs already: only the rule's own tasks count here.)
    let of_rules = |source: TaskSource| {
        let store = store.clone();
        async move {
            store
                .tasks(csm, TaskView::Open, today)
                .await
                .unwrap()
                .into_iter()
                .filter(|t| t.source == source)
                .collect::<Vec<_>>()
        }
    };
    assert!(of_rules(TaskSource::Trigger).await.is_empty());

    let run = store.run_trigger_rules(today).await.unwrap();
    assert_eq!((run.rules, run.fired), (1, 1));
    let tasks = of_rules(TaskSource::Trigger).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        tasks[0].title,
        "Confirm the renewal with Account acme: renews on 2027-01-31 (60 days)"
    );
    assert_eq!(tasks[0].due_on, Some(today + Days::new(7)));

    // Again, for the same cause: nothing more.
    assert_eq!(store.run_trigger_rules(today).await.unwrap().fired, 0);
    assert_eq!(of_rules(TaskSource::Trigger).await.len(), 1);
    assert!(
        store
            .trigger_candidates(Some(renewal.id), &renewal.fields, today)
            .await
            .unwrap()[0]
            .fired
    );
    let firings = store.trigger_firings(Some(renewal.id), 10).await.unwrap();
    assert_eq!(firings.len(), 1);
    assert_eq!(firings[0].cause_text, "renews on 2027-01-31 (60 days)");
    assert!(
        firings[0].done.contains("task \"Confirm the renewal"),
        "{}",
        firings[0].done
    );
    assert!(
        firings[0].done.contains("posted to 0 webhook targets"),
        "{}",
        firings[0].done
    );
    assert_eq!(store.trigger_rule(renewal.id).await.unwrap().firings, 1);

    // A champion who left: a reactive QBR and a notification; an off rule does nothing.
    let mut champion = contact("cam", ids[1]);
    champion.role = Some(ContactRole::Champion);
    champion.status = ContactStatus::Left;
    champion.left_on = Some(today - Days::new(3));
    store.create_contact(champion.validate().unwrap()).await.unwrap();
    let left = store
        .create_trigger_rule(
            rule(
                Signal::ChampionLeft { days: 30 },
                Condition::default(),
                vec![Action::ReactiveQbr, Action::NotifyUser { user: csm }],
            )
            .validate()
            .unwrap(),
            None,
        )
        .await
        .unwrap();
    let mut off = rule(
        Signal::RenewalIn { days: 365 },
        Condition::default(),
        vec![Action::ReactiveQbr],
    );
    off.enabled = false;
    store.create_trigger_rule(off.validate().unwrap(), None).await.unwrap();
    let run = store.run_trigger_rules(today).await.unwrap();
    assert_eq!((run.rules, run.fired), (2, 1));
    let reactive: Vec<_> = of_rules(TaskSource::ReactiveQbr)
        .await
        .into_iter()
        .filter(|t| t.account_id == Some(ids[1]))
        .collect();
    assert_eq!(reactive.len(), 1);
    assert!(
        reactive[0].title.contains("Ada cam (champion) left on 2026-11-29"),
        "{}",
        reactive[0].title
    );
    let firing = &store.trigger_firings(Some(left.id), 10).await.unwrap()[0];
    assert!(
        firing.done.contains("a reactive QBR task") && firing.done.contains("notified user"),
        "{}",
        firing.done
    );

    // Deleting a rule takes its firings with it.
    store.delete_trigger_rule(left.id).await.unwrap();
    assert_eq!(store.trigger_firings(None, 10).await.unwrap().len(), 1);
}

store_test!(a_low_survey_answer_and_a_shipped_request_are_signals_too);

async fn a_low_survey_answer_and_a_shipped_request_are_signals_too(store: Store) {
    use lodestar_domain::text::Note;
    use lodestar_domain::ticket::RequestFields;
    use lodestar_domain::vocabulary::{RequestKind, RequestStatus, SurveyKind};
    use lodestar_store::ImportedAnswer;

    let store = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()));
    let today = store.today();
    let acme = one_account(&store, "acme").await;
    let beta = one_account(&store, "beta").await;
    let answer = |key: &str, account: &str, kind: SurveyKind, score: i32, on: &str| ImportedAnswer {
        external_id: key.into(),
        account_external_id: account.into(),
        contact_email: None,
        kind,
        question: "How likely are you to recommend us?".into(),
        score,
        comment: Some("Exports keep failing".into()),
        answered_on: d(on),
    };
    store
        .import_survey_answers(&[
            answer("a1", "acme", SurveyKind::Nps, 3, "2026-12-01"),
            // A CSAT of 2 (of 1–5) is 2.5 of 10: low too.
            answer("b1", "beta", SurveyKind::Csat, 2, "2026-12-01"),
            answer("b2", "beta", SurveyKind::Nps, 9, "2026-12-01"),
            // Too old to be news.
            answer("a0", "acme", SurveyKind::Nps, 0, "2026-10-01"),
        ])
        .await
        .unwrap();
    let low = RuleFields {
        name: Name::parse("Low scores").unwrap(),
        signal: Signal::SurveyAnswer { at_most: 6 },
        condition: Condition::default(),
        actions: vec![Action::PostWebhook],
        enabled: true,
    };
    let hits = store.trigger_candidates(None, &low, today).await.unwrap();
    let seen: Vec<(&str, &str)> = hits
        .iter()
        .map(|h| (h.account_name.as_str(), h.cause_text.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("Account acme", "answered NPS with 3: \"Exports keep failing\""),
            ("Account beta", "answered CSAT with 2: \"Exports keep failing\""),
        ]
    );

    let request = store
        .create_request(
            RequestFields {
                title: Name::parse("SAML single sign-on").unwrap(),
                kind: RequestKind::Feature,
                detail: Note::parse("Their IT requires it").unwrap(),
                jira_key: None,
            }
            .validate()
            .unwrap(),
            acme,
            None,
            None,
        )
        .await
        .unwrap();
    store.link_request(request.id, beta, None, None).await.unwrap();
    let shipped = RuleFields {
        signal: Signal::RequestShipped,
        ..low
    };
    assert!(
        store
            .trigger_candidates(None, &shipped, today)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .set_request_status(request.id, RequestStatus::Shipped, None)
        .await
        .unwrap();
    let hits = store.trigger_candidates(None, &shipped, today).await.unwrap();
    assert_eq!(hits.len(), 2, "both accounts that asked");
    assert_eq!(
        hits[0].cause_text,
        "\"SAML single sign-on\", which they asked for, shipped"
    );
}

store_test!(a_playbook_task_is_titled_from_its_tactic_and_a_deleted_tactic_makes_none);

async fn a_playbook_task_is_titled_from_its_tactic_and_a_deleted_tactic_makes_none(store: Store) {
    let (store, csm, acme) = owned_account(store).await;
    let today = store.today();
    store
        .upsert_contracts(vec![contract_ending(
            "k-acme",
            acme,
            80_000_00,
            today + Days::new(60),
            today,
        )])
        .await
        .unwrap();
    let library = store
        .create_playbook_outcome(
            outcome(Tier::Strategic, "Executive alignment").validate().unwrap(),
            None,
        )
        .await
        .unwrap();
    let tactic = |n: usize| library.outcome.fields.tactics[n].id.unwrap();
    let (review, check_in) = (tactic(0), tactic(1));
    let playbook_rule = |name: &str, tactic: TacticId| RuleFields {
        name: Name::parse(name).unwrap(),
        ..rule(
            Signal::RenewalIn { days: 90 },
            Condition::default(),
            vec![Action::PlaybookTask { tactic, due_in_days: 3 }],
        )
    };

    // A tactic the library does not hold is refused, on creating and on changing a rule.
    let unknown = TacticId(check_in.0 + 1000);
    let refused = store
        .create_trigger_rule(playbook_rule("Unknown", unknown).validate().unwrap(), None)
        .await
        .unwrap_err();
    let StoreError::Invalid(invalid) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(invalid.errors[0].field, "playbook_tactic_id");
    assert!(store.trigger_rules().await.unwrap().is_empty(), "nothing saved");

    let review_rule = store
        .create_trigger_rule(playbook_rule("Renewal review", review).validate().unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        review_rule.description,
        "When the renewal is 90 days away or less, then playbook task \"Adoption review — Executive alignment\" due in 3 days"
    );
    let changed = store
        .update_trigger_rule(
            review_rule.id,
            playbook_rule("Renewal review", unknown).validate().unwrap(),
        )
        .await;
    assert!(
        matches!(&changed, Err(StoreError::Invalid(i)) if i.errors[0].field == "playbook_tactic_id"),
        "{changed:?}"
    );
    assert_eq!(
        store.trigger_rule(review_rule.id).await.unwrap().fields,
        review_rule.fields,
        "unchanged"
    );

    // It fires once per cause, with one task titled from the tactic and its outcome.
    let trigger_tasks = || {
        let store = store.clone();
        async move {
            store
                .tasks(csm, TaskView::Open, today)
                .await
                .unwrap()
                .into_iter()
                .filter(|t| t.source == TaskSource::Trigger)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(store.run_trigger_rules(today).await.unwrap().fired, 1);
    assert_eq!(store.run_trigger_rules(today).await.unwrap().fired, 0);
    let tasks = trigger_tasks().await;
    assert_eq!(tasks.len(), 1, "once per cause");
    assert_eq!(
        tasks[0].title,
        "Adoption review — Executive alignment: renews on 2027-01-31 (60 days)"
    );
    assert_eq!(
        (tasks[0].account_id, tasks[0].due_on),
        (Some(acme), Some(today + Days::new(3)))
    );
    let firing = &store.trigger_firings(Some(review_rule.id), 10).await.unwrap()[0];
    assert_eq!(
        firing.done,
        "task \"Adoption review — Executive alignment: renews on 2027-01-31 (60 days)\""
    );

    // A rule on the other tactic, which the outcome then drops: the rule says the tactic is
    // gone, and its firing is recorded with no task and the reason.
    let check_in_rule = store
        .create_trigger_rule(playbook_rule("Renewal check-in", check_in).validate().unwrap(), None)
        .await
        .unwrap();
    let mut edited = library.outcome.fields.clone();
    edited.tactics.truncate(1);
    store
        .update_playbook_outcome(library.outcome.id, edited.validate().unwrap(), None)
        .await
        .unwrap();
    let orphan = store.trigger_rule(check_in_rule.id).await.unwrap();
    assert!(
        orphan
            .description
            .ends_with("then a playbook task whose tactic no longer exists"),
        "{}",
        orphan.description
    );
    let run = store.run_trigger_rules(today).await.unwrap();
    assert_eq!((run.rules, run.fired), (2, 1));
    assert_eq!(trigger_tasks().await.len(), 1, "no task from a deleted tactic");
    let firings = store.trigger_firings(Some(check_in_rule.id), 10).await.unwrap();
    assert_eq!(firings.len(), 1);
    assert_eq!(firings[0].cause_text, "renews on 2027-01-31 (60 days)");
    assert_eq!(firings[0].done, "no task: the rule's playbook tactic no longer exists");
    assert_eq!(
        store.run_trigger_rules(today).await.unwrap().fired,
        0,
        "recorded: not again"
    );
}
