//! Goals and value (F-30) through the API and the pages, as a CSM uses them: a goal with its
//! ecosystem, ratings, value received, the portfolio's goals at risk; each refusal named.

use axum::http::StatusCode;
use lodestar_domain::vocabulary::{AuditKind, Role};
use lodestar_store::AuditFilter;
use serde_json::json;

use crate::support::{TestApp, account, create_account};

#[tokio::test]
async fn a_goal_with_a_part_below_is_at_risk_until_it_is_met_and_its_value_is_kept() {
    let app = TestApp::new().await;
    let (csm, token) = app.api_user("csm@v.io", Role::Csm).await;
    let (_, other) = app.api_user("other@v.io", Role::Csm).await;
    let (_, viewer) = app.api_user("viewer@v.io", Role::Viewer).await;
    let lead = app.api_user("lead@v.io", Role::Leader).await.1;
    let id = create_account(&app, &lead, account("acme", Some(csm))).await;
    let goals = format!("/api/v1/accounts/{id}/goals");
    let body = json!({
        "title": "200 demo requests a month", "metric": "Demo requests per month", "baseline": "120",
        "target": "200", "due_on": "2027-03-31", "severity": 4,
        "ecosystem": [
            {"kind": "our_product", "name": "Lodestar", "metric": "Lead scoring on every campaign", "rating": "meeting"},
            {"kind": "other_product", "name": "Their CRM", "metric": "Leads routed within an hour"}
        ]
    });

    // Only those who write to the account set goals; every problem is named; nothing is written.
    for refused in [&other, &viewer] {
        let reply = app.send("POST", &goals, Some(refused), Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    }
    let mut bad = body.clone();
    bad["target"] = json!("120");
    bad["severity"] = json!(9);
    bad["due_on"] = json!(null);
    bad["ecosystem"][1]["rating"] = json!("great");
    let invalid = app.send("POST", &goals, Some(&token), Some(bad)).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", invalid.text);
    let fields: Vec<&str> = invalid.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["due_on", "severity"], "{}", invalid.text);
    let mut same = body.clone();
    same["target"] = json!("120");
    let same = app.send("POST", &goals, Some(&token), Some(same)).await;
    assert_eq!(same.body["errors"][0]["field"], "target", "{}", same.text);
    let mut rated = body.clone();
    rated["ecosystem"][1]["rating"] = json!("great");
    let rated = app.send("POST", &goals, Some(&token), Some(rated)).await;
    assert_eq!(rated.body["errors"][0]["field"], "rating", "{}", rated.text);
    let none = app.send("GET", &goals, Some(&viewer), None).await;
    assert_eq!(none.body.as_array().unwrap().len(), 0);

    let created = app.send("POST", &goals, Some(&token), Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let goal = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body["status"], "active");
    assert_eq!(created.body["at_risk"], false);
    let crm = created.body["ecosystem"][1]["id"].as_i64().unwrap();
    assert_eq!(created.body["ecosystem"][1]["rating"], json!(null));

    // Their CRM falls below expectations: the goal is at risk, in the portfolio and in the
    // CSM's book, not in another's.
    let rating = format!("/api/v1/goals/{goal}/parts/{crm}/rating");
    let refused = app
        .send("PUT", &rating, Some(&other), Some(json!({"rating": "below"})))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let below = app
        .send("PUT", &rating, Some(&token), Some(json!({"rating": "below"})))
        .await;
    assert_eq!(below.status, StatusCode::OK, "{}", below.text);
    assert_eq!(below.body["rated_by"], "csm@v.io");
    let at_risk = app.send("GET", "/api/v1/goals/at-risk", Some(&viewer), None).await;
    assert_eq!(at_risk.status, StatusCode::OK, "{}", at_risk.text);
    assert_eq!(at_risk.body[0]["goal"]["id"], goal, "{}", at_risk.text);
    assert_eq!(at_risk.body[0]["goal"]["owner_id"], csm.0);
    assert_eq!(at_risk.body[0]["below"][0]["name"], "Their CRM");
    assert_eq!(at_risk.body[0]["below"].as_array().unwrap().len(), 1);
    let mine = app
        .send(
            "GET",
            &format!("/api/v1/goals/at-risk?owner_id={}", csm.0),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(mine.body.as_array().unwrap().len(), 1);
    let theirs = app
        .send("GET", "/api/v1/goals/at-risk?owner_id=9999", Some(&token), None)
        .await;
    assert_eq!(theirs.body.as_array().unwrap().len(), 0);

    // Value received: partial must say how much; entries are kept, the latest first.
    let value = format!("/api/v1/goals/{goal}/value");
    let vague = app
        .send("POST", &value, Some(&token), Some(json!({"level": "partial"})))
        .await;
    assert_eq!(vague.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(vague.body["errors"][0]["field"], "how_much", "{}", vague.text);
    let full_with_share = app
        .send(
            "POST",
            &value,
            Some(&token),
            Some(json!({"level": "full", "percent": 100})),
        )
        .await;
    assert_eq!(full_with_share.body["errors"][0]["field"], "percent");
    let refused = app
        .send("POST", &value, Some(&viewer), Some(json!({"level": "none"})))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    for entry in [
        json!({"level": "none", "note": "Not live yet"}),
        json!({"level": "partial", "percent": 60, "how_much": "150 of 200 requests"}),
    ] {
        let reply = app.send("POST", &value, Some(&token), Some(entry)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    }
    let one = app
        .send("GET", &format!("/api/v1/goals/{goal}"), Some(&viewer), None)
        .await;
    assert_eq!(one.body["value"]["summary"], "Partial (60%, 150 of 200 requests)");
    let history: Vec<&str> = one.body["value_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["level"].as_str().unwrap())
        .collect();
    assert_eq!(history.len(), 2);
    assert!(history.contains(&"none") && history.contains(&"partial"));

    // Met: out of risk. The ecosystem is not replaced through PUT.
    let mut met = json!({
        "title": "200 demo requests a month", "metric": "Demo requests per month", "baseline": "120",
        "target": "200", "due_on": "2027-03-31", "severity": 4, "status": "achieved"
    });
    let put = app
        .send("PUT", &format!("/api/v1/goals/{goal}"), Some(&token), Some(met.clone()))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.body["status"], "achieved");
    let at_risk = app.send("GET", "/api/v1/goals/at-risk", Some(&viewer), None).await;
    assert_eq!(at_risk.body.as_array().unwrap().len(), 0);
    met["ecosystem"] = json!([{"kind": "service", "name": "Agency", "metric": "x"}]);
    let put = app
        .send("PUT", &format!("/api/v1/goals/{goal}"), Some(&token), Some(met))
        .await;
    assert_eq!(put.status, StatusCode::BAD_REQUEST);

    // Parts: added, removed (audited); a part must belong to the goal in the path.
    let added = app
        .send(
            "POST",
            &format!("/api/v1/goals/{goal}/parts"),
            Some(&token),
            Some(json!({"kind": "customer_process", "name": "Pipeline review", "metric": "Every Monday"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let second = app
        .send(
            "POST",
            &goals,
            Some(&lead),
            Some(
                json!({"title": "Faster onboarding", "metric": "Days to productive", "target": "15",
                         "due_on": "2027-06-30", "severity": 2}),
            ),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    let elsewhere = format!("/api/v1/goals/{}/parts/{crm}", second.body["id"]);
    assert_eq!(
        app.send("DELETE", &elsewhere, Some(&token), None).await.status,
        StatusCode::NOT_FOUND
    );
    let removed = app
        .send(
            "DELETE",
            &format!("/api/v1/goals/{goal}/parts/{crm}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    let listed = app.send("GET", &goals, Some(&viewer), None).await;
    let names: Vec<&str> = listed.body[1]["ecosystem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed.body[0]["title"], "Faster onboarding", "in progress first");
    assert_eq!(names, ["Lodestar", "Pipeline review"]);

    let audited: Vec<AuditKind> = app
        .store
        .audit_entries(&AuditFilter::default(), 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| matches!(k, AuditKind::ValueRecorded | AuditKind::GoalPartRemoved))
        .collect();
    assert_eq!(
        audited,
        [
            AuditKind::GoalPartRemoved,
            AuditKind::ValueRecorded,
            AuditKind::ValueRecorded
        ]
    );
}

#[tokio::test]
async fn a_csm_sets_a_goal_from_the_account_page_rates_it_and_finds_it_at_risk() {
    use crate::forms::{location, page, post};

    let app = TestApp::new().await;
    let csm = app.user("csm@v.io", Role::Csm).await;
    app.user("other@v.io", Role::Csm).await;
    let (_, lead) = app.api_user("lead@v.io", Role::Leader).await;
    let id = create_account(&app, &lead, account("acme", Some(csm))).await;
    let cookie = app.session("csm@v.io").await;
    let account_page = format!("/accounts/{id}");

    let empty = page(&app, &cookie, &account_page).await;
    assert!(empty.text.contains("Goals and value") && empty.text.contains("Ask the customer which outcome"));
    let none = page(&app, &cookie, "/goals/at-risk").await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(none.text.contains("id=\"no-goals-at-risk\""), "{}", none.text);

    let mut fields = vec![
        ("title", "200 demo requests a month"),
        ("metric", "Demo requests per month"),
        ("baseline", "120"),
        ("target", "120"),
        ("due_on", "2027-03-31"),
        ("severity", "4"),
        ("part_kind", "other_product"),
        ("part_name", "Their CRM"),
        ("part_metric", "Leads routed within an hour"),
        ("part_rating", "below"),
    ];
    // A target equal to the baseline comes back to the section with the reason.
    let refused = post(&app, &cookie, &format!("/accounts/{id}/goals"), &fields).await;
    assert_eq!(location(&refused), format!("/accounts/{id}#goals"));
    let shown = page(&app, &cookie, &account_page).await;
    assert!(shown.text.contains("id=\"goals-error\""), "{}", shown.text);
    assert!(shown.text.contains("same as the baseline"));

    fields[3] = ("target", "200");
    let saved = post(&app, &cookie, &format!("/accounts/{id}/goals"), &fields).await;
    let anchor = location(&saved).to_owned();
    assert!(anchor.starts_with(&format!("/accounts/{id}#goal-")), "{anchor}");
    let goal: i64 = anchor.rsplit('-').next().unwrap().parse().unwrap();
    let shown = page(&app, &cookie, &account_page).await;
    assert!(shown.text.contains(&format!("id=\"goal-{goal}-at-risk\"")));
    assert!(
        shown.text.contains("Goal set: 200 demo requests a month"),
        "on the timeline"
    );

    let at_risk = page(&app, &cookie, "/goals/at-risk?book=mine").await;
    assert!(
        at_risk.text.contains(&format!("id=\"at-risk-goal-{goal}\"")),
        "{}",
        at_risk.text
    );
    assert!(at_risk.text.contains("Their CRM (another product)"));

    // Rated up inline and value recorded: out of the list, the value on the page.
    let part = app.store.goal(lodestar_domain::GoalId(goal)).await.unwrap().parts[0].id;
    let rated = post(
        &app,
        &cookie,
        &format!("/goals/{goal}/parts/{part}/rating"),
        &[("rating", "meeting")],
    )
    .await;
    assert_eq!(location(&rated), format!("/accounts/{id}#goal-{goal}"));
    let recorded = post(
        &app,
        &cookie,
        &format!("/goals/{goal}/value"),
        &[("level", "partial"), ("percent", "40"), ("how_much", ""), ("note", "")],
    )
    .await;
    assert_eq!(location(&recorded), format!("/accounts/{id}#goal-{goal}"));
    let shown = page(&app, &cookie, &account_page).await;
    assert!(shown.text.contains("Partial (40%)"), "{}", shown.text);
    assert!(!shown.text.contains(&format!("id=\"goal-{goal}-at-risk\"")));
    let at_risk = page(&app, &cookie, "/goals/at-risk").await;
    assert!(!at_risk.text.contains(&format!("at-risk-goal-{goal}")));

    // Another CSM may not touch the goal.
    let other = app.session("other@v.io").await;
    for (uri, form) in [
        (format!("/accounts/{id}/goals"), fields.clone()),
        (format!("/goals/{goal}/value"), vec![("level", "full")]),
        (format!("/goals/{goal}/parts/{part}/rating"), vec![("rating", "below")]),
        (format!("/goals/{goal}/parts/{part}/remove"), Vec::new()),
    ] {
        let reply = post(&app, &other, &uri, &form).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{uri}");
    }
    let shown = page(&app, &other, &account_page).await;
    assert!(
        !shown.text.contains("id=\"goal-form\""),
        "no forms for those who may not write"
    );
}
