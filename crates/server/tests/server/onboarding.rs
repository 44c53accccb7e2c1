//! Onboarding (F-36) through the API, the staff page and the customer's link: a plan starts
//! with the kickoff four business days after signature and the sponsor's midway touchpoint;
//! the contact ticks off only their own tasks, and onboarding is complete only when they say
//! both the technical implementation and the process integration are done.

use axum::http::StatusCode;
use lodestar_domain::vocabulary::{AuditKind, Role};
use lodestar_store::AuditFilter;
use serde_json::json;

use crate::plans::path_of;
use crate::support::{ORIGIN, TestApp, account, create_account};

#[tokio::test]
async fn the_customer_ticks_off_their_tasks_and_completes_onboarding_through_their_link() {
    let app = TestApp::new().await;
    let (csm, token) = app.api_user("csm@v.io", Role::Csm).await;
    let (_, other) = app.api_user("other@v.io", Role::Csm).await;
    let lead = app.api_user("lead@v.io", Role::Leader).await.1;
    let id = create_account(&app, &lead, account("acme", Some(csm))).await;
    let dana = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contacts"),
            Some(&token),
            Some(json!({"external_id": "dana", "first_name": "Dana", "last_name": "Lee", "email": "dana@acme.test"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();

    let start = format!("/api/v1/accounts/{id}/onboarding");
    let body = json!({
        "signed_on": "2026-12-02", "target_on": "2027-01-07", "risks": "Their IT team is busy until January",
        "tasks": [{"title": "Connect single sign-on", "side": "customer", "owner": "Priya (IT)", "due_on": "2026-12-15"}]
    });
    let refused = app.send("POST", &start, Some(&other), Some(body.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let early = json!({"signed_on": "2026-12-02", "target_on": "2026-12-08"});
    let early = app.send("POST", &start, Some(&token), Some(early)).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", early.text);
    assert_eq!(early.body["errors"][0]["field"], "target_on");
    let started = app.send("POST", &start, Some(&token), Some(body)).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.text);
    let plan = started.body["id"].as_i64().unwrap();
    assert_eq!(started.body["kickoff_due_on"], "2026-12-08");
    assert_eq!(started.body["midway_on"], "2026-12-23");
    let tasks = started.body["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 3, "kickoff, sponsor touchpoint, SSO: {}", started.text);
    assert_eq!(tasks[0]["title"], "External kickoff with the customer's project team");
    assert_eq!(tasks[0]["side"], "ours");
    let kickoff = tasks[0]["id"].as_i64().unwrap();
    let sso = tasks.iter().find(|t| t["side"] == "customer").unwrap()["id"]
        .as_i64()
        .unwrap();
    let added = app
        .send(
            "POST",
            &format!("/api/v1/onboarding/{plan}/tasks"),
            Some(&token),
            Some(json!({"title": "Map the renewal process", "side": "customer", "owner": "Dana", "due_on": "2026-12-20"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let mapped = added.body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == "Map the renewal process")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    let shared = app
        .send(
            "POST",
            &format!("/api/v1/onboarding/{plan}/share"),
            Some(&token),
            Some(json!({"contact_id": dana})),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.text);
    let path = path_of(&shared.body["url"]);

    // Dana opens the plan without an account and ticks off her task; ours is not hers to tick.
    let page = app.browse("GET", &path, None, None, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Connect single sign-on") && page.text.contains("Their IT team is busy"));
    let ticked = app
        .browse("POST", &format!("{path}/tasks/{sso}"), None, Some(ORIGIN), Some(""))
        .await;
    assert_eq!(ticked.status, StatusCode::SEE_OTHER, "{}", ticked.text);
    let ours = app
        .browse("POST", &format!("{path}/tasks/{kickoff}"), None, Some(ORIGIN), Some(""))
        .await;
    assert_eq!(ours.status, StatusCode::NOT_FOUND, "{}", ours.text);
    let seen = app
        .send("GET", &format!("/api/v1/onboarding/{plan}"), Some(&token), None)
        .await;
    let sso_task = seen.body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == sso)
        .unwrap();
    assert_eq!(sso_task["done_by"], "Dana Lee (customer)");
    assert_eq!(seen.body["tasks"][0]["done_at"], json!(null), "the kickoff stays ours");

    // Every task done is not complete: only her "yes" to both parts is.
    let half = app
        .browse(
            "POST",
            &format!("{path}/answer"),
            None,
            Some(ORIGIN),
            Some("technical=yes"),
        )
        .await;
    assert_eq!(half.status, StatusCode::SEE_OTHER);
    let seen = app
        .send("GET", &format!("/api/v1/onboarding/{plan}"), Some(&token), None)
        .await;
    assert_eq!(seen.body["technical_done"], true);
    assert_eq!(seen.body["process_done"], false);
    assert_eq!(seen.body["completed_on"], json!(null));
    let both = app
        .browse(
            "POST",
            &format!("{path}/answer"),
            None,
            Some(ORIGIN),
            Some("technical=yes&process=yes"),
        )
        .await;
    assert_eq!(both.status, StatusCode::SEE_OTHER);
    let done = app
        .send("GET", &format!("/api/v1/onboarding/{plan}"), Some(&token), None)
        .await;
    assert!(done.body["completed_on"].is_string(), "{}", done.text);
    assert_eq!(done.body["answered_by"], "Dana Lee");
    assert!(done.body["days_to_complete"].is_i64());
    let page = app.browse("GET", &path, None, None, None).await;
    assert!(page.text.contains("id=\"onboarding-complete\""), "{}", page.text);
    // A completed plan no longer changes.
    let late = app
        .send(
            "POST",
            &format!("/api/v1/onboarding/{plan}/tasks/{mapped}/done"),
            Some(&token),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text);

    let times = app.send("GET", "/api/v1/onboarding-times", Some(&token), None).await;
    assert_eq!(times.body[0]["completed"], 1, "{}", times.text);
    assert_eq!(times.body[0]["projects"], 1);
    // And on the deal-quality page, per segment.
    app.user("viewer@v.io", Role::Viewer).await;
    let cookie = app.session("viewer@v.io").await;
    let shown = crate::forms::page(&app, &cookie, "/handoffs").await;
    let section = &shown.text[shown.text.find("id=\"onboarding-times\"").expect("the times section")..];
    assert!(
        section.contains("<td>1</td><td>1</td>"),
        "one plan, complete: {section}"
    );

    // Each use of the link is in the audit log.
    let used = app
        .store
        .audit_entries(
            &AuditFilter {
                kind: Some(AuditKind::CustomerLinkUsed),
                ..AuditFilter::default()
            },
            100,
        )
        .await
        .unwrap();
    assert!(used.len() >= 5, "{}", used.len());
    // A link to the plan does not open another object.
    let wrong = path.replace(&format!("/c/onboarding/{plan}/"), "/c/onboarding/999/");
    assert_eq!(
        app.browse("GET", &wrong, None, None, None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_onboarding_page_starts_a_plan_and_shares_it_once() {
    use crate::forms::{location, page, post};
    let app = TestApp::new().await;
    let csm = app.user("csm@v.io", Role::Csm).await;
    let lead = app.api_user("lead@v.io", Role::Leader).await.1;
    let id = create_account(&app, &lead, account("acme", Some(csm))).await;
    app.send(
        "POST",
        &format!("/api/v1/accounts/{id}/contacts"),
        Some(&lead),
        Some(json!({"external_id": "dana", "first_name": "Dana", "email": "dana@acme.test"})),
    )
    .await;
    let cookie = app.session("csm@v.io").await;
    let url = format!("/accounts/{id}/onboarding");
    // The deal handed off gives the plan its signature day.
    let handed = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/handoff"),
            Some(&lead),
            Some(json!({"signed_on": "2026-11-30", "goals": "Faster onboarding"})),
        )
        .await;
    assert_eq!(handed.status, StatusCode::CREATED, "{}", handed.text);
    let empty = page(&app, &cookie, &url).await;
    assert!(empty.text.contains("id=\"no-onboarding\""));
    assert!(
        empty.text.contains("name=\"signed_on\" value=\"2026-11-30\""),
        "{}",
        empty.text
    );
    let started = post(
        &app,
        &cookie,
        &url,
        &[("signed_on", "2026-12-02"), ("target_on", "2027-01-07"), ("risks", "")],
    )
    .await;
    location(&started);
    let plans = app
        .send("GET", &format!("/api/v1/accounts/{id}/onboarding"), Some(&lead), None)
        .await;
    let plan = plans.body[0]["id"].as_i64().unwrap();
    let shown = page(&app, &cookie, &url).await;
    assert!(
        shown.text.contains("Midway touchpoint with the executive sponsor"),
        "{}",
        shown.text
    );
    let contact = app
        .send("GET", &format!("/api/v1/accounts/{id}/contacts"), Some(&lead), None)
        .await
        .body[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let shared = post(
        &app,
        &cookie,
        &format!("/onboarding/{plan}/share"),
        &[("contact_id", &contact)],
    )
    .await;
    assert_eq!(shared.status, StatusCode::OK, "{}", shared.text);
    assert!(shared.text.contains("id=\"shared-link\"") && shared.text.contains("/c/onboarding/"));
    let again = page(&app, &cookie, &url).await;
    assert!(!again.text.contains("/c/onboarding/"), "the address is shown once");
}
