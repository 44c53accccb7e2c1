//! Surveys on the API and through customer links: one answer per link, the score's range, the
//! wrong object's 404, the detractor's task, the NPS report, verbatims for every role, beta
//! candidates and the pages.

use axum::http::StatusCode;
use lodestar_domain::vocabulary::Role;
use serde_json::json;

use crate::support::{TestApp, account, create_account};

use crate::support::ORIGIN;

/// A CSM (token, id), their account and a contact with an email.
async fn book(app: &TestApp) -> (String, lodestar_domain::UserId, i64, i64) {
    let csm = app.user("csm@v.io", Role::Csm).await;
    let token = app.token_for(csm, Role::Csm).await;
    let lead = app.api_user("lead@v.io", Role::Leader).await.1;
    let id = create_account(app, &lead, account("acme", Some(csm))).await;
    let contact = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contacts"),
            Some(&token),
            Some(json!({"external_id": "dana", "first_name": "Dana", "last_name": "Lee", "email": "dana@acme.test"})),
        )
        .await;
    assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.text);
    (token, csm, id, contact.body["id"].as_i64().unwrap())
}

fn path_of(url: &str) -> String {
    url[url.find("/c/").expect("a customer link")..].to_owned()
}

#[tokio::test]
async fn a_contact_answers_once_through_the_link_and_a_detractor_opens_a_task() {
    let app = TestApp::new().await;
    let (token, csm, id, dana) = book(&app).await;
    let bad = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/surveys"),
            Some(&token),
            Some(json!({"kind": "micro"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.body["errors"][0]["field"], "question");
    let survey = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/surveys"),
            Some(&token),
            Some(json!({"kind": "nps"})),
        )
        .await;
    assert_eq!(survey.status, StatusCode::CREATED, "{}", survey.text);
    let sid = survey.body["id"].as_i64().unwrap();
    let other = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/surveys"),
            Some(&token),
            Some(json!({"kind": "csat"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();

    let none = app
        .send(
            "POST",
            &format!("/api/v1/surveys/{sid}/send"),
            Some(&token),
            Some(json!({"contact_ids": []})),
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(none.body["errors"][0]["field"], "contact_ids");
    let sent = app
        .send(
            "POST",
            &format!("/api/v1/surveys/{sid}/send"),
            Some(&token),
            Some(json!({"contact_ids": [dana], "expires_in_days": 14})),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    assert_eq!(sent.body["emailed"], json!([]), "no SMTP: the links are shown instead");
    let path = path_of(sent.body["links"][0]["url"].as_str().unwrap());
    let secret = path.rsplit('/').next().unwrap().to_owned();

    // The link opens its own survey only; another object's address is the same 404.
    let page = app.browse("GET", &path, None, None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("How likely are you to recommend us"),
        "{}",
        page.text
    );
    let wrong = app
        .browse("GET", &format!("/c/surveys/{other}/{secret}"), None, None, None)
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let unknown = app
        .browse("GET", &format!("/c/surveys/{sid}/nope"), None, None, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(wrong.text, unknown.text, "every bad link looks the same");
    let on_plan = app
        .browse("GET", &format!("/c/plans/{sid}/{secret}"), None, None, None)
        .await;
    assert_eq!(on_plan.status, StatusCode::NOT_FOUND);

    let out_of_range = app
        .browse("POST", &path, None, Some(ORIGIN), Some("score=11&comment="))
        .await;
    assert_eq!(
        out_of_range.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        out_of_range.text
    );
    assert!(out_of_range.text.contains("0–10"), "{}", out_of_range.text);
    let long = format!("score=3&comment={}", "x".repeat(2001));
    let too_long = app.browse("POST", &path, None, Some(ORIGIN), Some(&long)).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);

    let answered = app
        .browse(
            "POST",
            &path,
            None,
            Some(ORIGIN),
            Some("score=4&comment=Exports+keep+failing"),
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.text);
    let thanks = app.browse("GET", &path, None, None, None).await;
    assert!(thanks.text.contains("you answered 4"), "{}", thanks.text);
    assert!(!thanks.text.contains("answer-form"), "no second form");
    let second = app
        .browse("POST", &path, None, Some(ORIGIN), Some("score=10&comment="))
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text);
    assert!(second.text.contains("answered already"), "{}", second.text);

    let detail = app
        .send("GET", &format!("/api/v1/surveys/{sid}"), Some(&token), None)
        .await;
    assert_eq!(detail.body["answers"].as_array().unwrap().len(), 1);
    assert_eq!(detail.body["answers"][0]["score"], 4, "the first answer stands");
    assert_eq!(detail.body["answers"][0]["band"], "detractor");
    assert_eq!(detail.body["survey"]["sent"], 1);
    assert!(
        detail.body["links"][0].get("url").is_none(),
        "the secret is never shown again"
    );

    let tasks = app
        .store
        .tasks(csm, lodestar_store::TaskView::Open, app.store.today())
        .await
        .unwrap();
    let loops: Vec<_> = tasks
        .iter()
        .filter(|t| t.source == lodestar_domain::vocabulary::TaskSource::Detractor)
        .collect();
    assert_eq!(loops.len(), 1, "{tasks:?}");
    assert!(loops[0].title.contains("Dana Lee"), "{}", loops[0].title);

    let report = app
        .send("GET", "/api/v1/surveys/nps?by=account", Some(&token), None)
        .await;
    assert_eq!(report.status, StatusCode::OK);
    assert_eq!(report.body[0]["nps"], -100);
    assert_eq!(report.body[0]["response_rate"], 100);
    let bad_by = app.send("GET", "/api/v1/surveys/nps?by=week", Some(&token), None).await;
    assert_eq!(bad_by.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_by.body["errors"][0]["field"], "by");
}

#[tokio::test]
async fn verbatims_are_for_every_role_and_beta_candidates_for_the_book() {
    let app = TestApp::new().await;
    let (token, _, id, dana) = book(&app).await;
    let sid = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/surveys"),
            Some(&token),
            Some(json!({"kind": "nps"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let sent = app
        .send(
            "POST",
            &format!("/api/v1/surveys/{sid}/send"),
            Some(&token),
            Some(json!({"contact_ids": [dana]})),
        )
        .await;
    let path = path_of(sent.body["links"][0]["url"].as_str().unwrap());
    app.browse(
        "POST",
        &path,
        None,
        Some(ORIGIN),
        Some("score=10&comment=Want+to+try+the+new+API+first"),
    )
    .await;

    let viewer_id = app.user("viewer@v.io", Role::Viewer).await;
    let viewer = app.token_for(viewer_id, Role::Viewer).await;
    let read = app
        .send("GET", "/api/v1/surveys/verbatims?q=new%20api", Some(&viewer), None)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.body["total"], 1);
    assert_eq!(read.body["answers"][0]["comment"], "Want to try the new API first");
    let miss = app
        .send("GET", "/api/v1/surveys/verbatims?q=pricing", Some(&viewer), None)
        .await;
    assert_eq!(miss.body["total"], 0);

    let denied = app
        .send(
            "PUT",
            &format!("/api/v1/contacts/{dana}/beta-candidate"),
            Some(&viewer),
            Some(json!({})),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let tagged = app
        .send(
            "PUT",
            &format!("/api/v1/contacts/{dana}/beta-candidate"),
            Some(&token),
            Some(json!({"note": "asked for the API"})),
        )
        .await;
    assert_eq!(tagged.status, StatusCode::NO_CONTENT, "{}", tagged.text);
    let list = app
        .send("GET", "/api/v1/surveys/beta-candidates", Some(&viewer), None)
        .await;
    assert_eq!(list.body[0]["contact_name"], "Dana Lee");
    assert_eq!(list.body[0]["note"], "asked for the API");

    let cookie = app.session("viewer@v.io").await;
    let page = app.browse("GET", "/surveys?q=API", Some(&cookie), None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Want to try the new API first"), "{}", page.text);
    assert!(page.text.contains("asked for the API"));
    let account_page = app
        .browse("GET", &format!("/accounts/{id}"), Some(&cookie), None, None)
        .await;
    assert!(account_page.text.contains("id=\"surveys\""));
    assert!(!account_page.text.contains("survey-form"), "a viewer writes no survey");

    let untagged = app
        .send(
            "DELETE",
            &format!("/api/v1/contacts/{dana}/beta-candidate"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(untagged.status, StatusCode::NO_CONTENT);
    let list = app
        .send("GET", "/api/v1/surveys/beta-candidates", Some(&token), None)
        .await;
    assert_eq!(list.body, json!([]));
}

#[tokio::test]
async fn an_emailed_link_is_made_as_it_is_sent_and_withdrawn_when_sending_fails() {
    use lodestar_domain::job::JobState;
    use lodestar_server::ServerConfig;
    use lodestar_server::config::MailConfig;
    use lodestar_server::jobs::{JobKinds, Runner, RunnerConfig};
    use lodestar_store::LinkTarget;

    // An SMTP server nobody listens on: every send fails.
    let config = ServerConfig {
        mail: Some(MailConfig::new("smtp://127.0.0.1:9", "Lodestar <cs@vendor.io>").unwrap()),
        ..ServerConfig::default()
    };
    let app = TestApp::with_app(lodestar_store::testing::TestDb::sqlite().await, {
        let config = config.clone();
        move |store| lodestar_server::app(store.with_outbox(config.outbox()), config)
    })
    .await;
    let store = app.store.with_outbox(config.outbox());
    let (token, _, id, dana) = book(&app).await;
    let sid = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/surveys"),
            Some(&token),
            Some(json!({"kind": "nps"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let sent = app
        .send(
            "POST",
            &format!("/api/v1/surveys/{sid}/send"),
            Some(&token),
            Some(json!({"contact_ids": [dana]})),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    assert_eq!(sent.body["emailed"], json!(["Dana Lee <dana@acme.test>"]));
    assert_eq!(sent.body["links"], json!([]), "no link is shown: it goes by email");
    let target = LinkTarget::Survey(lodestar_domain::SurveyId(sid));
    assert!(
        store.customer_links_to(target).await.unwrap().is_empty(),
        "made when sent"
    );
    let (_, jobs) = store.jobs(None, 10, 0).await.unwrap();
    let job = jobs.iter().find(|j| j.kind == "customer_link_email").expect("queued");
    assert!(!job.payload.to_string().contains("/c/surveys/"), "{}", job.payload);

    let runner = Runner::start(
        store.clone(),
        JobKinds::standard(&config),
        RunnerConfig {
            poll: std::time::Duration::from_millis(5),
            ..RunnerConfig::default()
        },
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let failed = loop {
        let job = store.job(job.id).await.unwrap().unwrap();
        if job.last_error.is_some() || job.state == JobState::Done {
            break job;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the send was never tried: {job:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    runner.stop().await;
    assert_ne!(failed.state, JobState::Done);
    assert!(failed.last_error.unwrap().contains("sending through"));
    let links = store.customer_links_to(target).await.unwrap();
    assert_eq!(links.len(), 1, "the attempt made one link");
    assert!(links[0].revoked_at.is_some(), "and withdrew it when sending failed");
}
