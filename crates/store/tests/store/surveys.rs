//! Surveys: answers once per link, scores in the kind's range, the detractor's task, NPS and
//! response rates, verbatims, beta candidates, imports and the NPS health measure — on both
//! databases.

use chrono::Duration;
use lodestar_domain::survey::{NpsGrouping, SurveyFields};
use lodestar_domain::text::Email;
use lodestar_domain::vocabulary::{LinkAction, SurveyKind, TaskSource};
use lodestar_domain::{AccountId, ContactId, SurveyId};
use lodestar_store::{
    CustomerLink, CustomerLinkEmail, ImportedAnswer, LinkTarget, NewCustomerLink, Outbox, Store, StoreError, TaskView,
    store_test,
};

use crate::common::*;
use crate::meetings::book;

async fn survey(store: &Store, account: AccountId, kind: SurveyKind, question: &str) -> SurveyId {
    store
        .create_survey(account, &SurveyFields::new(kind, question).unwrap(), None)
        .await
        .unwrap()
        .id
}

async fn link(store: &Store, survey: SurveyId, contact: ContactId, hash: &str) -> CustomerLink {
    store
        .create_customer_link(
            &NewCustomerLink {
                target: LinkTarget::Survey(survey),
                contact_id: contact,
                actions: vec![LinkAction::Answer],
                expires_at: store.now() + Duration::days(30),
                token_hash: hash.to_owned(),
            },
            None,
        )
        .await
        .unwrap()
}

store_test!(a_link_takes_one_answer_in_the_kinds_range_and_a_detractor_opens_one_task);

async fn a_link_takes_one_answer_in_the_kinds_range_and_a_detractor_opens_one_task(store: Store) {
    let (store, csm, acme, dana) = book(store).await;
    let nps = survey(&store, acme, SurveyKind::Nps, "").await;
    let l = link(&store, nps, dana, "h1").await;

    let too_high = store.answer_survey(&l, 11, "").await;
    match too_high {
        Err(StoreError::Invalid(e)) => assert_eq!(e.errors[0].field, "score"),
        other => panic!("{other:?}"),
    }
    let too_long = store.answer_survey(&l, 3, &"x".repeat(2001)).await;
    assert!(matches!(too_long, Err(StoreError::Invalid(_))), "{too_long:?}");
    assert_eq!(store.answer_of_link(&l).await.unwrap(), None, "nothing half-written");

    let answer = store
        .answer_survey(&l, 3, "  Reporting is too slow for our board pack  ")
        .await
        .unwrap();
    assert_eq!(answer.score, 3);
    assert_eq!(
        answer.comment.as_deref(),
        Some("Reporting is too slow for our board pack")
    );
    assert_eq!(answer.contact_id, Some(dana));

    let again = store.answer_survey(&l, 10, "changed my mind").await;
    assert!(
        matches!(again, Err(StoreError::Conflict(ref m)) if m.contains("once")),
        "{again:?}"
    );
    let kept = store.answer_of_link(&l).await.unwrap().unwrap();
    assert_eq!((kept.score, kept.id), (3, answer.id), "the first answer stands");

    let tasks = store.tasks(csm, TaskView::Open, store.today()).await.unwrap();
    let loops: Vec<_> = tasks.iter().filter(|t| t.source == TaskSource::Detractor).collect();
    assert_eq!(loops.len(), 1, "one task per detractor answer: {tasks:?}");
    assert!(loops[0].title.contains("NPS 3"), "{}", loops[0].title);
    assert_eq!(loops[0].account_id, Some(acme));

    // A promoter opens nothing; a CSAT of 1 is no NPS detractor.
    let l2 = link(&store, nps, dana, "h2").await;
    store.answer_survey(&l2, 9, "").await.unwrap();
    let csat = survey(&store, acme, SurveyKind::Csat, "").await;
    let l3 = link(&store, csat, dana, "h3").await;
    assert!(store.answer_survey(&l3, 0, "").await.is_err(), "CSAT is 1–5");
    store.answer_survey(&l3, 1, "").await.unwrap();
    let tasks = store.tasks(csm, TaskView::Open, store.today()).await.unwrap();
    assert_eq!(tasks.iter().filter(|t| t.source == TaskSource::Detractor).count(), 1);

    let s = store.survey(nps).await.unwrap();
    assert_eq!((s.sent, s.answered), (2, 2));
    let timeline = store.timeline_entries(acme).await.unwrap();
    assert!(timeline.iter().any(|e| e.text.contains("answered the NPS survey: 3")));
}

store_test!(a_micro_survey_needs_its_question_and_links_are_bound_to_their_account);

async fn a_micro_survey_needs_its_question_and_links_are_bound_to_their_account(store: Store) {
    let (store, _, acme, _) = book(store).await;
    assert!(SurveyFields::new(SurveyKind::Micro, "").is_err());
    let micro = survey(&store, acme, SurveyKind::Micro, "Is the weekly report useful?").await;
    assert_eq!(
        store.survey(micro).await.unwrap().question,
        "Is the weekly report useful?"
    );
    store.upsert_accounts(vec![upsert(account("globex"))]).await.unwrap();
    let globex = account_id_of(&store, "globex").await;
    let stranger = store
        .create_contact(contact("sam", globex).validate().unwrap())
        .await
        .unwrap()
        .id;
    let wrong = store
        .create_customer_link(
            &NewCustomerLink {
                target: LinkTarget::Survey(micro),
                contact_id: stranger,
                actions: vec![LinkAction::Answer],
                expires_at: store.now() + Duration::days(1),
                token_hash: "x".into(),
            },
            None,
        )
        .await;
    assert!(matches!(wrong, Err(StoreError::Invalid(_))), "{wrong:?}");
    let missing = store
        .create_survey(AccountId(9999), &SurveyFields::new(SurveyKind::Nps, "").unwrap(), None)
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })));
}

store_test!(nps_by_account_tier_and_period_with_response_rates_and_the_health_measure);

async fn nps_by_account_tier_and_period_with_response_rates_and_the_health_measure(store: Store) {
    let (store, _, acme, dana) = book(store).await;
    let nps = survey(&store, acme, SurveyKind::Nps, "").await;
    for (i, score) in [10, 9, 7, 2].into_iter().enumerate() {
        let l = link(&store, nps, dana, &format!("n{i}")).await;
        store.answer_survey(&l, score, "").await.unwrap();
    }
    // Four more sent, not answered: 4 of 8.
    for i in 0..4 {
        link(&store, nps, dana, &format!("u{i}")).await;
    }
    let by_account = store.nps_report(NpsGrouping::Account).await.unwrap();
    assert_eq!(by_account.len(), 1);
    let t = by_account[0].tally;
    assert_eq!((t.promoters, t.passives, t.detractors), (2, 1, 1));
    assert_eq!(t.nps(), Some(25));
    assert_eq!((t.sent, t.answered, t.response_rate()), (8, 4, Some(50)));
    assert_eq!(by_account[0].account_id, Some(acme));

    let by_month = store.nps_report(NpsGrouping::Month).await.unwrap();
    assert_eq!(by_month[0].label, "2026-12");
    let by_quarter = store.nps_report(NpsGrouping::Quarter).await.unwrap();
    assert_eq!(by_quarter[0].label, "2026-Q4");
    let by_tier = store.nps_report(NpsGrouping::Tier).await.unwrap();
    assert_eq!(by_tier.len(), 1);
    assert_eq!(by_tier[0].tally.nps(), Some(25));

    let health = store
        .account_health(acme, store.today())
        .await
        .unwrap()
        .current
        .unwrap();
    let measure = health.health.measures.iter().find(|m| m.measure == "nps").unwrap();
    let reading = measure.reading.as_ref().unwrap();
    assert_eq!(reading.value, 25.0);
    assert!(
        reading.fact.contains("2 promoters, 1 passives, 1 detractors"),
        "{}",
        reading.fact
    );
}

store_test!(verbatims_are_searchable_and_respondents_taggable_as_beta_candidates);

async fn verbatims_are_searchable_and_respondents_taggable_as_beta_candidates(store: Store) {
    let (store, csm, acme, dana) = book(store).await;
    let nps = survey(&store, acme, SurveyKind::Nps, "").await;
    let l = link(&store, nps, dana, "v1").await;
    store
        .answer_survey(&l, 9, "Would love early access to the API")
        .await
        .unwrap();
    let l = link(&store, nps, dana, "v2").await;
    store.answer_survey(&l, 8, "").await.unwrap();
    let (total, all) = store.survey_verbatims(None, 10, 0).await.unwrap();
    assert_eq!(total, 1, "only answers with a comment are verbatims");
    assert_eq!(all[0].comment.as_deref(), Some("Would love early access to the API"));
    let (found, _) = store.survey_verbatims(Some("EARLY access"), 10, 0).await.unwrap();
    assert_eq!(found, 1, "case does not matter");
    let (wild, _) = store.survey_verbatims(Some("%"), 10, 0).await.unwrap();
    assert_eq!(wild, 0, "% is a character, not a wildcard");
    let (none, page) = store.survey_verbatims(Some("pricing"), 10, 0).await.unwrap();
    assert_eq!((none, page.len()), (0, 0));
    let (_, second_page) = store.survey_verbatims(None, 10, 1).await.unwrap();
    assert!(second_page.is_empty());

    assert!(store.beta_candidates().await.unwrap().is_empty());
    store
        .tag_beta_candidate(dana, "wants the API", Some(csm))
        .await
        .unwrap();
    store
        .tag_beta_candidate(dana, "wants the API early", Some(csm))
        .await
        .unwrap();
    let beta = store.beta_candidates().await.unwrap();
    assert_eq!(beta.len(), 1, "tagging twice keeps one tag");
    assert_eq!(beta[0].note, "wants the API early");
    assert_eq!(beta[0].account_id, acme);
    assert!(store.survey_verbatims(None, 10, 0).await.unwrap().1[0].beta_candidate);
    store.untag_beta_candidate(dana).await.unwrap();
    assert!(store.beta_candidates().await.unwrap().is_empty());
    assert!(matches!(
        store.tag_beta_candidate(ContactId(9999), "", None).await,
        Err(StoreError::NotFound { .. })
    ));
}

store_test!(past_answers_import_all_or_nothing_and_once);

async fn past_answers_import_all_or_nothing_and_once(store: Store) {
    let (store, csm, acme, _) = book(store).await;
    let mut fields = contact("erin", acme);
    fields.email = Some(Email::parse("erin@acme.example").unwrap());
    store.create_contact(fields.validate().unwrap()).await.unwrap();
    let row = |id: &str, score: i32| ImportedAnswer {
        external_id: id.into(),
        account_external_id: "acme".into(),
        contact_email: Some("Erin@acme.example".into()),
        kind: SurveyKind::Nps,
        question: "How likely…".into(),
        score,
        comment: Some("old news".into()),
        answered_on: d("2026-06-01"),
    };
    let bad = store.import_survey_answers(&[row("a1", 10), row("a2", 12)]).await;
    match bad {
        Err(StoreError::Invalid(e)) => {
            assert_eq!(e.errors[0].field, "score");
            assert!(e.errors[0].reason.starts_with("row 2"), "{}", e.errors[0].reason);
        }
        other => panic!("{other:?}"),
    }
    assert!(store.all_survey_answers().await.unwrap().is_empty(), "all or nothing");
    assert_eq!(
        store
            .import_survey_answers(&[row("a1", 2), row("a2", 9)])
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.import_survey_answers(&[row("a1", 2)]).await.unwrap(), 0, "once");
    let all = store.all_survey_answers().await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].contact_name.is_some());
    assert!(
        store
            .tasks(csm, TaskView::Open, store.today())
            .await
            .unwrap()
            .is_empty(),
        "a past answer opens no task"
    );
}

store_test!(emailed_links_queue_a_job_without_a_secret);

async fn emailed_links_queue_a_job_without_a_secret(store: Store) {
    let (store, _, acme, dana) = book(store).await;
    let store = store.with_outbox(Outbox {
        email: true,
        public_url: None,
    });
    let nps = survey(&store, acme, SurveyKind::Nps, "").await;
    let order = CustomerLinkEmail {
        subject: "A question".into(),
        text: "Answer: {link}".into(),
        base_url: "https://cs.example.com".into(),
        ..CustomerLinkEmail::new(LinkTarget::Survey(nps), dana, vec![LinkAction::Answer], 30)
    };
    let no_address = store.email_survey_links(std::slice::from_ref(&order)).await;
    assert!(matches!(no_address, Err(StoreError::Invalid(_))), "{no_address:?}");
    let mut fields = contact("fay", acme);
    fields.email = Some(Email::parse("fay@acme.example").unwrap());
    let fay = store.create_contact(fields.validate().unwrap()).await.unwrap().id;
    let to = store
        .email_survey_links(&[CustomerLinkEmail {
            contact_id: fay,
            ..order
        }])
        .await
        .unwrap();
    assert_eq!(to[0].1, "fay@acme.example");
    let job = store
        .claim_job("w", store.now() + Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.kind, "customer_link_email");
    assert!(
        store
            .customer_links_to(LinkTarget::Survey(nps))
            .await
            .unwrap()
            .is_empty(),
        "the link is made when sent"
    );
    let back: CustomerLinkEmail = serde_json::from_value(job.payload).unwrap();
    assert_eq!(back.target().unwrap(), LinkTarget::Survey(nps));
}
