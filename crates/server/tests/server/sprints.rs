//! Sprints and customer retrospectives over HTTP: every problem of a sprint named, goals moved
//! and wins recorded by the account's CSM, the board and the admins' rhythm; a retrospective
//! run from the three questions to its close, which is refused without the next date — on the
//! API with the field named, and in the form, which comes back with everything typed.

use axum::http::StatusCode;
use lodestar_domain::vocabulary::Role;
use serde_json::{Value, json};

use crate::forms::{location, page, post};
use crate::support::{Reply, TestApp, account, create_account};

/// An account of `csm` with one goal; its id and the goal's.
async fn account_with_goal(app: &TestApp, admin: &str, csm: lodestar_domain::UserId) -> (i64, i64) {
    let id = create_account(app, admin, account("acme", Some(csm))).await;
    let goal = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/goals"),
            Some(admin),
            Some(
                json!({"title": "Board reporting from Lodestar", "metric": "Reports", "target": "12",
                "due_on": "2027-06-30", "severity": 3}),
            ),
        )
        .await;
    assert_eq!(goal.status, StatusCode::CREATED, "{}", goal.text);
    let contract = send(
        &app,
        admin,
        "POST",
        &format!("/api/v1/accounts/{id}/contracts"),
        json!({"external_id": "k1", "start_date": "2026-01-15", "end_date": "2099-01-15", "arr": "50000"}),
    )
    .await;
    assert_eq!(contract.status, StatusCode::CREATED, "{}", contract.text);
    (id, goal.body["id"].as_i64().unwrap())
}

/// `method path` with a JSON body, as the holder of `token`.
async fn send(app: &TestApp, token: &str, method: &str, path: &str, body: Value) -> Reply {
    app.send(method, path, Some(token), Some(body)).await
}

fn fields_of(reply: &Value) -> Vec<&str> {
    reply["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_sprint_is_started_moved_and_won_by_the_accounts_csm() {
    let app = TestApp::new().await;
    let (_, admin) = app.api_user("admin@v.io", Role::Admin).await;
    let (csm, csm_token) = app.api_user("csm@v.io", Role::Csm).await;
    let (_, other) = app.api_user("other@v.io", Role::Csm).await;
    let (id, goal) = account_with_goal(&app, &admin, csm).await;

    let bad = send(
        &app,
        &csm_token,
        "POST",
        &format!("/api/v1/accounts/{id}/sprints"),
        json!({"focus": "", "weeks": 40, "goals": ["goal:1", "goal:2", "goal:3", "tactic:4", "nonsense"]}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(fields_of(&bad.body), ["focus", "goals"], "{}", bad.text);
    let four = send(
        &app,
        &csm_token,
        "POST",
        &format!("/api/v1/accounts/{id}/sprints"),
        json!({"focus": "Adoption", "goals": ["goal:1", "goal:2", "goal:3", "tactic:4"]}),
    )
    .await;
    assert_eq!(four.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        four.body["errors"][0]["reason"].as_str().unwrap().contains("at most 3"),
        "{}",
        four.text
    );
    let forbidden = send(
        &app,
        &other,
        "POST",
        &format!("/api/v1/accounts/{id}/sprints"),
        json!({"focus": "Adoption", "goals": [format!("goal:{goal}")]}),
    )
    .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);

    let started = send(
        &app,
        &csm_token,
        "POST",
        &format!("/api/v1/accounts/{id}/sprints"),
        json!({"focus": "Roll reporting out to finance", "goals": [format!("goal:{goal}")]}),
    )
    .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.text);
    assert_eq!(started.body["number"], 1);
    let sprint = started.body["id"].as_i64().unwrap();
    let sprint_goal = started.body["goals"][0]["id"].as_i64().unwrap();
    assert_eq!(started.body["goals"][0]["source"], format!("goal:{goal}"));

    let moved = send(
        &app,
        &csm_token,
        "PUT",
        &format!("/api/v1/sprint-goals/{sprint_goal}"),
        json!({"progress": 140}),
    )
    .await;
    assert_eq!(moved.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields_of(&moved.body), ["progress"]);
    let moved = send(
        &app,
        &csm_token,
        "PUT",
        &format!("/api/v1/sprint-goals/{sprint_goal}"),
        json!({"progress": 60}),
    )
    .await;
    assert_eq!(moved.body["progress"], 60, "{}", moved.text);
    let future = send(
        &app,
        &csm_token,
        "POST",
        &format!("/api/v1/sprints/{sprint}/wins"),
        json!({"title": "First board pack", "achieved_on": "2099-01-01"}),
    )
    .await;
    assert_eq!(fields_of(&future.body), ["achieved_on"]);
    let won = send(
        &app,
        &csm_token,
        "POST",
        &format!("/api/v1/sprints/{sprint}/wins"),
        json!({"title": "First board pack built in Lodestar"}),
    )
    .await;
    assert_eq!(won.status, StatusCode::CREATED, "{}", won.text);
    assert_eq!(won.body["wins"][0]["title"], "First board pack built in Lodestar");

    let listed = app
        .send("GET", &format!("/api/v1/accounts/{id}/sprints"), Some(&other), None)
        .await;
    assert_eq!(listed.body["sprints"][0]["progress"], 60);
    assert_eq!(listed.body["propose_sprint"], false);
    let lifecycle = &listed.body["lifecycle"];
    assert_eq!(
        lifecycle["steps"][0]["evidence"], "contract signed, starting 2026-01-15",
        "{}",
        listed.text
    );
    assert_eq!(lifecycle["by_evidence"], "land");
    let board = app
        .send(
            "GET",
            &format!("/api/v1/sprint-board?owner_id={}", csm.0),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(board.body[0]["sprint"]["number"], 1, "{}", board.text);

    let settings = send(
        &app,
        &csm_token,
        "PUT",
        "/api/v1/sprint-settings",
        json!({"sprint_weeks": 6, "retro_cadence": "monthly"}),
    )
    .await;
    assert_eq!(settings.status, StatusCode::FORBIDDEN);
    let settings = send(
        &app,
        &admin,
        "PUT",
        "/api/v1/sprint-settings",
        json!({"sprint_weeks": 1, "retro_cadence": "weekly"}),
    )
    .await;
    assert_eq!(fields_of(&settings.body), ["retro_cadence"], "{}", settings.text);
    let settings = send(
        &app,
        &admin,
        "PUT",
        "/api/v1/sprint-settings",
        json!({"sprint_weeks": 6, "retro_cadence": "bi_monthly"}),
    )
    .await;
    assert_eq!(settings.body["sprint_weeks"], 6, "{}", settings.text);
    let audit = app.send("GET", "/api/v1/audit", Some(&admin), None).await;
    assert!(audit.text.contains("sprints last 6 weeks"), "{}", audit.text);
}

#[tokio::test]
async fn a_retrospective_closes_only_with_the_next_date_and_its_form_keeps_what_was_typed() {
    let app = TestApp::new().await;
    let (_, admin) = app.api_user("admin@v.io", Role::Admin).await;
    let csm = app.user("csm@v.io", Role::Csm).await;
    let csm_token = app.token_for(csm, Role::Csm).await;
    let (id, goal) = account_with_goal(&app, &admin, csm).await;
    let made = send(
        &app,
        &admin,
        "POST",
        &format!("/api/v1/accounts/{id}/contacts"),
        json!({"external_id": "dana", "first_name": "Dana", "last_name": "Fox", "role": "champion"}),
    )
    .await;
    let dana = made.body["id"].as_i64().unwrap();
    let started = send(
        &app,
        &csm_token,
        "POST",
        &format!("/api/v1/accounts/{id}/sprints"),
        json!({"focus": "Adoption", "goals": [format!("goal:{goal}")]}),
    )
    .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.text);
    let meetings = app
        .send(
            "GET",
            &format!("/api/v1/accounts/{id}/meetings"),
            Some(&csm_token),
            None,
        )
        .await;
    let retro = meetings.body["items"]
        .as_array()
        .or_else(|| meetings.body.as_array())
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "retrospective")
        .unwrap_or_else(|| panic!("a retrospective is booked: {}", meetings.text))["id"]
        .as_i64()
        .unwrap();

    let read = app
        .send(
            "GET",
            &format!("/api/v1/meetings/{retro}/retrospective"),
            Some(&csm_token),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.body["customer_attendees"][0]["contact_id"], dana);
    assert_eq!(read.body["decision_power_present"], false, "a champion does not decide");

    let saved = send(
        &app,
        &csm_token,
        "PUT",
        &format!("/api/v1/meetings/{retro}/retrospective"),
        json!({"continue_or_start": "Weekly office hours", "stop": "Long status emails", "ideas": "A CFO dashboard"}),
    )
    .await;
    assert_eq!(saved.body["stop"], "Long status emails", "{}", saved.text);
    let vented = send(
        &app,
        &csm_token,
        "POST",
        &format!("/api/v1/meetings/{retro}/retrospective/challenges"),
        json!({"description": "Procurement approvals take two weeks", "suspected_cause": "vibes"}),
    )
    .await;
    assert_eq!(fields_of(&vented.body), ["suspected_cause"]);
    let vented = send(
        &app,
        &csm_token,
        "POST",
        &format!("/api/v1/meetings/{retro}/retrospective/challenges"),
        json!({"description": "Procurement approvals take two weeks", "suspected_cause": "process"}),
    )
    .await;
    assert_eq!(vented.status, StatusCode::CREATED, "{}", vented.text);
    let promised = app
        .send(
            "POST",
            &format!("/api/v1/meetings/{retro}/retrospective/promises"),
            Some(&csm_token),
            Some(
                json!({"description": "Share the rollout calendar", "owner_contact_id": dana, "due_on": "2027-01-08"}),
            ),
        )
        .await;
    assert_eq!(promised.status, StatusCode::CREATED, "{}", promised.text);
    assert_eq!(promised.body["promises"][0]["side"], "theirs");

    // The form: closing without a date comes back with the reason and what was typed.
    let cookie = app.session("csm@v.io").await;
    let shown = page(&app, &cookie, &format!("/meetings/{retro}/retrospective")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.text.contains("No one who can decide for the customer attends"));
    let refused = post(
        &app,
        &cookie,
        &format!("/meetings/{retro}/retrospective"),
        &[
            ("step", "close"),
            ("next_on", ""),
            ("next_time", "10:00"),
            ("promise", "Draft the CFO dashboard"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("set the date of the next retrospective before closing this one"),
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("value=\"Draft the CFO dashboard\""),
        "typed text kept"
    );
    assert!(refused.text.contains("value=\"10:00\""));

    let api_refused = send(
        &app,
        &csm_token,
        "POST",
        &format!("/api/v1/meetings/{retro}/retrospective/close"),
        json!({}),
    )
    .await;
    assert_eq!(api_refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields_of(&api_refused.body), ["next_starts_at"]);

    let next_at = chrono::DateTime::parse_from_rfc3339(read.body["starts_at"].as_str().unwrap()).unwrap()
        + chrono::Duration::days(27);
    let closed = post(
        &app,
        &cookie,
        &format!("/meetings/{retro}/retrospective"),
        &[
            ("step", "close"),
            ("next_on", &next_at.date_naive().to_string()),
            ("next_time", &next_at.format("%H:%M").to_string()),
        ],
    )
    .await;
    assert_eq!(location(&closed), format!("/meetings/{retro}/retrospective#close"));
    let after = app
        .send(
            "GET",
            &format!("/api/v1/meetings/{retro}/retrospective"),
            Some(&csm_token),
            None,
        )
        .await;
    assert!(after.body["closed_at"].is_string(), "{}", after.text);
    let next_id = after.body["next_meeting_id"].as_i64().unwrap();
    let next = app
        .send(
            "GET",
            &format!("/api/v1/meetings/{next_id}/retrospective"),
            Some(&csm_token),
            None,
        )
        .await;
    assert_eq!(
        next.body["customer_attendees"][0]["contact_id"], dana,
        "the same people"
    );
    let again = send(
        &app,
        &csm_token,
        "PUT",
        &format!("/api/v1/meetings/{retro}/retrospective"),
        json!({"stop": "changed my mind"}),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "closed stays closed");

    // Another kind of meeting has no retrospective.
    let call = send(
        &app,
        &csm_token,
        "POST",
        &format!("/api/v1/accounts/{id}/meetings"),
        json!({"kind": "call", "title": "Quick call", "starts_at": "2027-01-10T15:00:00Z", "duration_minutes": 15}),
    )
    .await;
    let call = call.body["id"].as_i64().unwrap();
    let not_one = app
        .send(
            "GET",
            &format!("/api/v1/meetings/{call}/retrospective"),
            Some(&csm_token),
            None,
        )
        .await;
    assert_eq!(not_one.status, StatusCode::CONFLICT);
}
