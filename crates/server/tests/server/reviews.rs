//! Risk, LxL reviews and churns on the API: each follows the book, and names bad fields.

use crate::support::{Reply, TestApp, account, create_account};
use axum::http::StatusCode;
use lodestar_domain::vocabulary::Role;
use serde_json::json;

#[tokio::test]
async fn risk_lxl_reviews_and_churns_follow_the_book_and_name_bad_fields() {
    let api = TestApp::new().await;
    let (_, admin) = api.api_user("admin@v.io", Role::Admin).await;
    let (_, leader) = api.api_user("lead@v.io", Role::Leader).await;
    let (anna, anna_token) = api.api_user("anna@v.io", Role::Csm).await;
    let (_, ben_token) = api.api_user("ben@v.io", Role::Csm).await;
    let id = create_account(&api, &admin, account("annas", Some(anna))).await;
    let pulse = json!({"level": 1, "reason": "Champion left"});
    let recorded = api
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/pulses"),
            Some(&anna_token),
            Some(pulse),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::CREATED);
    let field = |r: &Reply| r.body["errors"][0]["field"].as_str().unwrap_or_default().to_owned();

    // Portfolio risk: everyone reads it; only leaders set the loss rates.
    let risk = api.send("GET", "/api/v1/risk", Some(&ben_token), None).await;
    assert_eq!(risk.status, StatusCode::OK, "{}", risk.body);
    assert_eq!(risk.body["at_risk"][0]["account_id"], id);
    assert_eq!(risk.body["at_risk"][0]["main_drag"], "CSM pulse");
    assert_eq!(risk.body["renewals"].as_array().unwrap().len(), 4);
    let bad = api
        .send("GET", "/api/v1/risk?horizon_days=0", Some(&ben_token), None)
        .await;
    assert_eq!(
        (bad.status, field(&bad)),
        (StatusCode::BAD_REQUEST, "horizon_days".into())
    );
    let rates = json!({"high": 40, "moderate": 20, "low": 5, "not_set": 10});
    let put = api
        .send(
            "PUT",
            "/api/v1/settings/loss-rates",
            Some(&anna_token),
            Some(rates.clone()),
        )
        .await;
    assert_eq!(put.status, StatusCode::FORBIDDEN);
    let put = api
        .send(
            "PUT",
            "/api/v1/settings/loss-rates",
            Some(&leader),
            Some(json!({"high": 150, "moderate": 20, "low": 5, "not_set": 10})),
        )
        .await;
    assert_eq!(
        (put.status, field(&put)),
        (StatusCode::UNPROCESSABLE_ENTITY, "high".into())
    );
    let put = api
        .send("PUT", "/api/v1/settings/loss-rates", Some(&leader), Some(rates.clone()))
        .await;
    assert_eq!(put.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.send("GET", "/api/v1/settings/loss-rates", Some(&ben_token), None)
            .await
            .body,
        rates
    );
    let bad = api
        .send("GET", "/api/v1/accounts?band=purple", Some(&ben_token), None)
        .await;
    assert_eq!((bad.status, field(&bad)), (StatusCode::BAD_REQUEST, "band".into()));
    let red = api
        .send("GET", "/api/v1/accounts?band=red", Some(&ben_token), None)
        .await;
    assert_eq!(red.body["items"][0]["id"], id);

    // The LxL: leaders start it, once a quarter; the CSM prepares their own lines.
    let start = api
        .send("POST", "/api/v1/lxl-reviews", Some(&anna_token), Some(json!({})))
        .await;
    assert_eq!(start.status, StatusCode::FORBIDDEN);
    let start = api
        .send(
            "POST",
            "/api/v1/lxl-reviews",
            Some(&leader),
            Some(json!({"quarter": "2026-Q9"})),
        )
        .await;
    assert_eq!(
        (start.status, field(&start)),
        (StatusCode::UNPROCESSABLE_ENTITY, "quarter".into())
    );
    let start = api
        .send("POST", "/api/v1/lxl-reviews", Some(&leader), Some(json!({})))
        .await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.body);
    assert_eq!(start.body["lines"], 1);
    let review = start.body["id"].as_i64().unwrap();
    let again = api
        .send("POST", "/api/v1/lxl-reviews", Some(&leader), Some(json!({})))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let lines = api
        .send(
            "GET",
            &format!("/api/v1/lxl-reviews/{review}/lines?reason=at_risk"),
            Some(&ben_token),
            None,
        )
        .await;
    assert_eq!(
        (
            lines.body["total"].clone(),
            lines.body["items"][0]["reasons"][0].clone()
        ),
        (json!(1), json!("at_risk"))
    );
    let bad = api
        .send(
            "GET",
            &format!("/api/v1/lxl-reviews/{review}/lines?reason=bored"),
            Some(&ben_token),
            None,
        )
        .await;
    assert_eq!((bad.status, field(&bad)), (StatusCode::BAD_REQUEST, "reason".into()));
    let line = format!("/api/v1/lxl-reviews/{review}/lines/{id}");
    let notes = json!({"history": "Signed 2024", "challenges": "Champion left", "asks": "CEO call"});
    assert_eq!(
        api.send("PUT", &line, Some(&ben_token), Some(notes.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let long = api
        .send(
            "PUT",
            &line,
            Some(&anna_token),
            Some(json!({"history": "x".repeat(5001)})),
        )
        .await;
    assert_eq!(
        (long.status, field(&long)),
        (StatusCode::UNPROCESSABLE_ENTITY, "history".into())
    );
    let saved = api.send("PUT", &line, Some(&anna_token), Some(notes)).await;
    assert_eq!(
        (saved.status, saved.body["asks"].clone()),
        (StatusCode::OK, json!("CEO call"))
    );

    let items = format!("{line}/action-items");
    let item =
        |description: &str, owner: i64| json!({"description": description, "owner_id": owner, "due_on": "2027-01-15"});
    let bad = api
        .send("POST", &items, Some(&anna_token), Some(item(" ", anna.0)))
        .await;
    assert_eq!(
        (bad.status, field(&bad)),
        (StatusCode::UNPROCESSABLE_ENTITY, "description".into())
    );
    let bad = api
        .send("POST", &items, Some(&anna_token), Some(item("CEO call", 999_999)))
        .await;
    assert_eq!(
        (bad.status, field(&bad)),
        (StatusCode::UNPROCESSABLE_ENTITY, "owner_id".into())
    );
    let added = api
        .send("POST", &items, Some(&anna_token), Some(item("CEO call", anna.0)))
        .await;
    assert_eq!(
        (added.status, added.body["status"].clone()),
        (StatusCode::CREATED, json!("open")),
        "{}",
        added.body
    );
    let status = format!("/api/v1/action-items/{}/status", added.body["id"]);
    let done = json!({"status": "done"});
    assert_eq!(
        api.send("PUT", &status, Some(&ben_token), Some(done.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bad = api
        .send("PUT", &status, Some(&anna_token), Some(json!({"status": "finished"})))
        .await;
    assert_eq!(
        (bad.status, field(&bad)),
        (StatusCode::UNPROCESSABLE_ENTITY, "status".into())
    );
    let moved = api.send("PUT", &status, Some(&anna_token), Some(done)).await;
    assert_eq!(moved.body["status"], "done");
    let listed = api
        .send(
            "GET",
            &format!("/api/v1/lxl-reviews/{review}/action-items"),
            Some(&ben_token),
            None,
        )
        .await;
    assert_eq!(listed.body["agreed"].as_array().unwrap().len(), 1);

    // The churn: the account's CSM records it; the retrospective knows the LxL flagged it.
    let churn = format!("/api/v1/accounts/{id}/churn");
    let today = chrono::Utc::now().date_naive();
    let body =
        |on: chrono::NaiveDate, reason: &str| json!({"churned_on": on, "reason": reason, "detail": "Budget cut"});
    assert_eq!(
        api.send("POST", &churn, Some(&ben_token), Some(body(today, "budget")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bad = api
        .send(
            "POST",
            &churn,
            Some(&anna_token),
            Some(body(today + chrono::Days::new(1), "budget")),
        )
        .await;
    assert_eq!(
        (bad.status, field(&bad)),
        (StatusCode::UNPROCESSABLE_ENTITY, "churned_on".into())
    );
    let bad = api
        .send("POST", &churn, Some(&anna_token), Some(body(today, "bored")))
        .await;
    assert_eq!(
        (bad.status, field(&bad)),
        (StatusCode::UNPROCESSABLE_ENTITY, "reason".into())
    );
    let churned = api
        .send("POST", &churn, Some(&anna_token), Some(body(today, "budget")))
        .await;
    assert_eq!(churned.status, StatusCode::CREATED, "{}", churned.body);
    assert_eq!(churned.body["flagged_in_lxl"], true);
    assert_eq!(
        api.send("POST", &churn, Some(&anna_token), Some(body(today, "budget")))
            .await
            .status,
        StatusCode::CONFLICT
    );
    let retro = format!("/api/v1/accounts/{id}/retrospective");
    let saved = api
        .send(
            "PUT",
            &retro,
            Some(&anna_token),
            Some(json!({"learnings": "Map the CFO", "playbook": "Renewal risk"})),
        )
        .await;
    assert_eq!(
        (saved.status, saved.body["learnings"].clone()),
        (StatusCode::OK, json!("Map the CFO"))
    );
    assert_eq!(
        api.send("GET", &retro, Some(&ben_token), None).await.body["playbook"],
        "Renewal risk"
    );
    let unflagged = api
        .send(
            "GET",
            "/api/v1/retrospectives?never_flagged=true",
            Some(&ben_token),
            None,
        )
        .await;
    assert_eq!(unflagged.body["total"], 0);
    let all = api.send("GET", "/api/v1/retrospectives", Some(&ben_token), None).await;
    assert_eq!(all.body["items"][0]["account_id"], id);
}
