//! 1:1s over HTTP: only a person's leader holds their 1:1, only the two people in it read it
//! (404 for anyone else, admins included), goals keep their history, and feedback reaches
//! leadership without anything that names its author.

use axum::http::StatusCode;
use lodestar_domain::UserId;
use lodestar_domain::text::{Email, Name};
use lodestar_domain::user::UserFields;
use lodestar_domain::vocabulary::Role;
use lodestar_store::AuditFilter;
use serde_json::json;

use crate::support::{PASSWORD, TestApp};

/// A CSM reporting to `manager`, who can sign in; their id and a token.
async fn report(app: &TestApp, email: &str, manager: UserId) -> (UserId, String) {
    let fields = UserFields {
        email: Email::parse(email).unwrap(),
        name: Name::parse(email).unwrap(),
        role: Role::Csm,
        manager_id: Some(manager),
        capacity: None,
    };
    let id = app.store.create_user(fields.validate(None).unwrap()).await.unwrap().id;
    let hash = lodestar_server::password::hash(PASSWORD).unwrap();
    app.store.set_password_hash(id, &hash).await.unwrap();
    (id, app.token_for(id, Role::Csm).await)
}

#[tokio::test]
async fn a_leader_holds_the_one_on_one_and_only_the_two_read_it() {
    let app = TestApp::new().await;
    let leader_id = app.user("lead@v.io", Role::Leader).await;
    let leader = app.token_for(leader_id, Role::Leader).await;
    let (_, other_leader) = app.api_user("other@v.io", Role::Leader).await;
    let (_, admin) = app.api_user("admin@v.io", Role::Admin).await;
    let (csm_id, csm) = report(&app, "csm@v.io", leader_id).await;

    let roster = app.send("GET", "/api/v1/one-on-ones/roster", Some(&leader), None).await;
    assert_eq!(roster.status, StatusCode::OK, "{}", roster.text);
    assert_eq!(roster.body[0]["user_id"], csm_id.0);
    assert_eq!(roster.body[0]["state"], "never", "never held is due now");

    let body = json!({"csm_id": csm_id.0, "look_around": "Tired after EMEA", "look_back": "Saved Acme", "look_forward": "Wants the enterprise pod"});
    let not_theirs = app
        .send("POST", "/api/v1/one-on-ones", Some(&other_leader), Some(body.clone()))
        .await;
    assert_eq!(not_theirs.status, StatusCode::FORBIDDEN, "not their report");
    let future = app
        .send(
            "POST",
            "/api/v1/one-on-ones",
            Some(&leader),
            Some(json!({"csm_id": csm_id.0, "held_on": "2999-01-01"})),
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(future.content_type, "application/problem+json");
    assert_eq!(future.body["errors"][0]["field"], "held_on", "{}", future.text);

    let held = app.send("POST", "/api/v1/one-on-ones", Some(&leader), Some(body)).await;
    assert_eq!(held.status, StatusCode::CREATED, "{}", held.text);
    assert_eq!(held.body["figures"]["accounts"], 0);
    let id = held.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/one-on-ones/{id}");
    assert_eq!(app.send("GET", &path, Some(&csm), None).await.status, StatusCode::OK);
    for outsider in [&admin, &other_leader] {
        let read = app.send("GET", &path, Some(outsider), None).await;
        assert_eq!(read.status, StatusCode::NOT_FOUND, "private to the two of them");
    }
    let listed = app
        .send(
            "GET",
            &format!("/api/v1/one-on-ones?user_id={}", csm_id.0),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(listed.body, json!([]));
    let mine = app.send("GET", "/api/v1/one-on-ones", Some(&csm), None).await;
    assert_eq!(mine.body[0]["look_forward"], "Wants the enterprise pod");

    let edited = app
        .send(
            "PUT",
            &path,
            Some(&leader),
            Some(json!({"look_back": "Saved Acme; coached Bea"})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(edited.body["look_back"], "Saved Acme; coached Bea");
    let roster = app.send("GET", "/api/v1/one-on-ones/roster", Some(&leader), None).await;
    assert_eq!(roster.body[0]["state"], "due");

    // The leader's page lists the person as due, no longer overdue.
    let session = app.session("lead@v.io").await;
    let page = app.browse("GET", "/one-on-ones", Some(&session), None, None).await;
    assert!(
        page.text.contains(&format!("id=\"roster-{}\"", csm_id.0)),
        "{}",
        page.text
    );
    assert!(page.text.contains("(0 due now)"), "{}", page.text);
    let one = app
        .browse("GET", &format!("/one-on-ones/{id}"), Some(&session), None, None)
        .await;
    assert!(one.text.contains("coached Bea"), "a PUT replaces every section");
}

#[tokio::test]
async fn goals_keep_their_history_for_the_person_and_their_manager() {
    let app = TestApp::new().await;
    let leader_id = app.user("lead@v.io", Role::Leader).await;
    let leader = app.token_for(leader_id, Role::Leader).await;
    let (_, other_leader) = app.api_user("other@v.io", Role::Leader).await;
    let (csm_id, csm) = report(&app, "csm@v.io", leader_id).await;

    let added = app
        .send(
            "POST",
            "/api/v1/career-goals",
            Some(&csm),
            Some(json!({"title": "Lead the enterprise pod", "target_on": "2027-12-31"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let goal = added.body["id"].as_i64().unwrap();
    let status = format!("/api/v1/career-goals/{goal}/status");
    let refused = app
        .send("POST", &status, Some(&other_leader), Some(json!({"status": "dropped"})))
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let bad = app
        .send("POST", &status, Some(&leader), Some(json!({"status": "forgotten"})))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let moved = app
        .send(
            "POST",
            &status,
            Some(&leader),
            Some(json!({"status": "stalled", "note": "No pod before the reorg"})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::NO_CONTENT, "{}", moved.text);
    let goals = app
        .send(
            "GET",
            &format!("/api/v1/career-goals?user_id={}", csm_id.0),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(goals.body[0]["status"], "stalled");
    assert_eq!(goals.body[0]["history"][0]["by"], "lead@v.io");
    assert_eq!(goals.body[0]["history"][1]["status"], "on_track");
    let hidden = app
        .send(
            "GET",
            &format!("/api/v1/career-goals?user_id={}", csm_id.0),
            Some(&other_leader),
            None,
        )
        .await;
    assert_eq!(hidden.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn feedback_reaches_leadership_without_its_author() {
    let app = TestApp::new().await;
    let (_, leader) = app.api_user("lead@v.io", Role::Leader).await;
    let (_, csm) = app.api_user("csm@v.io", Role::Csm).await;
    let audit_before = app
        .store
        .audit_entries(&AuditFilter::default(), 1000)
        .await
        .unwrap()
        .len();
    let empty = app
        .send(
            "POST",
            "/api/v1/feedback",
            Some(&csm),
            Some(json!({"topic": "problem", "body": " "})),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let sent = app
        .send(
            "POST",
            "/api/v1/feedback",
            Some(&csm),
            Some(json!({"topic": "problem", "body": "Handoffs miss the success criteria"})),
        )
        .await;
    assert_eq!(sent.status, StatusCode::NO_CONTENT, "{}", sent.text);
    let audit_after = app
        .store
        .audit_entries(&AuditFilter::default(), 1000)
        .await
        .unwrap()
        .len();
    assert_eq!(
        audit_after, audit_before,
        "sending feedback leaves no trace in the audit log"
    );

    assert_eq!(
        app.send("GET", "/api/v1/feedback", Some(&csm), None).await.status,
        StatusCode::FORBIDDEN
    );
    let read = app.send("GET", "/api/v1/feedback", Some(&leader), None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let item = read.body["feedback"][0].as_object().unwrap();
    let keys: Vec<&str> = item.keys().map(String::as_str).collect();
    assert_eq!(keys, ["body", "submitted_on", "topic"], "nothing names the author");
    let problems = read.body["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == "problem")
        .unwrap()
        .clone();
    assert_eq!(problems["count"], 1);
}
