//! Capacity over HTTP: who sees the team's books and who changes them, the benchmarks with
//! every problem named, the suggested rebalancing, and applying it — refused whole when stale,
//! audited, from the API and from the page.

use axum::http::StatusCode;
use lodestar_domain::AccountId;
use lodestar_domain::vocabulary::{AuditKind, Role};
use lodestar_store::AuditFilter;
use serde_json::json;

use crate::support::{ORIGIN, TestApp, account, create_account};

#[tokio::test]
async fn leaders_see_the_books_and_apply_the_rebalancing_once() {
    let app = TestApp::new().await;
    let (_, leader) = app.api_user("leader@v.io", Role::Leader).await;
    let (_, executive) = app.api_user("exec@v.io", Role::Executive).await;
    let (busy, csm) = app.api_user("busy@v.io", Role::Csm).await;
    let (quiet, _) = app.api_user("quiet@v.io", Role::Csm).await;
    for i in 0..16 {
        create_account(&app, &leader, account(&format!("b{i}"), Some(busy))).await;
    }
    create_account(&app, &leader, account("q0", Some(quiet))).await;

    let refused = app.send("GET", "/api/v1/capacity", Some(&csm), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let team = app.send("GET", "/api/v1/capacity", Some(&executive), None).await;
    assert_eq!(team.status, StatusCode::OK, "{}", team.text);
    assert_eq!(team.body["people"][0]["user_id"], busy.0, "the most loaded first");
    assert_eq!(
        team.body["people"][0]["loading"], "over",
        "16 enterprise accounts of 15"
    );
    assert_eq!(team.body["people"][1]["loading"], "under");
    assert_eq!(team.body["benchmarks"]["tiers"][0]["max_accounts"], 12);

    let suggestion = app
        .send("GET", "/api/v1/capacity/rebalancing", Some(&executive), None)
        .await;
    let moves = suggestion.body["moves"].as_array().unwrap().clone();
    assert_eq!(moves.len(), 1, "{}", suggestion.text);
    assert_eq!(moves[0]["from_id"], busy.0);
    assert_eq!(moves[0]["to_id"], quiet.0);
    let body = json!({"moves": [{"account_id": moves[0]["account_id"], "from_id": busy.0, "to_id": quiet.0}]});
    let forbidden = app
        .send(
            "POST",
            "/api/v1/capacity/rebalancing",
            Some(&executive),
            Some(body.clone()),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "executives look, leaders move");

    let stale = json!({"moves": [{"account_id": moves[0]["account_id"], "from_id": quiet.0, "to_id": busy.0}]});
    let conflict = app
        .send("POST", "/api/v1/capacity/rebalancing", Some(&leader), Some(stale))
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{}", conflict.text);
    assert_eq!(conflict.content_type, "application/problem+json");

    let applied = app
        .send("POST", "/api/v1/capacity/rebalancing", Some(&leader), Some(body))
        .await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.text);
    assert_eq!(applied.body["moved"], 1);
    let after = app.send("GET", "/api/v1/capacity", Some(&leader), None).await;
    assert_eq!(after.body["people"][0]["loading"], "within", "{}", after.text);
    let audit = app
        .store
        .audit_entries(
            &AuditFilter {
                kind: Some(AuditKind::BooksRebalanced),
                ..AuditFilter::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    let account = moves[0]["account_id"].as_i64().unwrap();
    let timeline = app.store.timeline_entries(AccountId(account)).await.unwrap();
    assert!(
        timeline.iter().any(|e| e.text == "Owner (CSM): busy@v.io → quiet@v.io"),
        "{timeline:?}"
    );
}

#[tokio::test]
async fn benchmarks_are_set_by_leaders_with_every_problem_named() {
    let app = TestApp::new().await;
    let (_, leader) = app.api_user("leader@v.io", Role::Leader).await;
    let invalid = app
        .send(
            "PUT",
            "/api/v1/capacity/benchmarks/gold",
            Some(&leader),
            Some(json!({"min_accounts": 20, "max_accounts": 10})),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", invalid.text);
    assert_eq!(invalid.content_type, "application/problem+json");
    let fields: Vec<&str> = invalid.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["tier", "review_minutes"], "{}", invalid.text);
    let upside_down = app
        .send(
            "PUT",
            "/api/v1/capacity/benchmarks/enterprise",
            Some(&leader),
            Some(json!({"min_accounts": 20, "max_accounts": 10, "review_minutes": 45})),
        )
        .await;
    assert_eq!(upside_down.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(upside_down.text.contains("max_accounts"), "{}", upside_down.text);
    let set = app
        .send(
            "PUT",
            "/api/v1/capacity/benchmarks/enterprise",
            Some(&leader),
            Some(json!({"min_accounts": 12, "max_accounts": 18, "review_minutes": 60})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(
        set.body["tiers"][1],
        json!({"tier": "enterprise", "min_accounts": 12, "max_accounts": 18, "review_minutes": 60})
    );
    let hours = app
        .send(
            "PUT",
            "/api/v1/capacity/meeting-hours",
            Some(&leader),
            Some(json!({"meeting_hours_per_month": 0})),
        )
        .await;
    assert_eq!(hours.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(hours.text.contains("meeting_hours_per_month"));
}

#[tokio::test]
async fn the_page_highlights_who_is_over_and_applies_the_suggestion() {
    let app = TestApp::new().await;
    let leader_id = app.user("leader@v.io", Role::Leader).await;
    let leader_token = app.token_for(leader_id, Role::Leader).await;
    let (busy, _) = app.api_user("busy@v.io", Role::Csm).await;
    app.api_user("quiet@v.io", Role::Csm).await;
    for i in 0..16 {
        create_account(&app, &leader_token, account(&format!("b{i}"), Some(busy))).await;
    }
    let leader = app.session("leader@v.io").await;
    let page = app.browse("GET", "/capacity", Some(&leader), None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("<span class=\"badge bad\">Over</span>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("Move these 1 accounts"));
    let value = page
        .text
        .split("name=\"move\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let applied = app
        .browse(
            "POST",
            "/capacity/rebalance",
            Some(&leader),
            Some(ORIGIN),
            Some(&format!("move={}", value.replace(':', "%3A"))),
        )
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.text);
    let page = app.browse("GET", "/capacity", Some(&leader), None, None).await;
    assert!(page.text.contains("id=\"no-moves\""), "{}", page.text);

    app.user("csm@v.io", Role::Csm).await;
    let csm = app.session("csm@v.io").await;
    let refused = app.browse("GET", "/capacity", Some(&csm), None, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
