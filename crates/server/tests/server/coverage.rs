//! Coverage and the sponsor programme over HTTP: every role reads them, the gaps are named,
//! and a sponsor set through the API is in the programme and the account's history.

use axum::http::StatusCode;
use lodestar_domain::vocabulary::Role;
use serde_json::json;

use crate::support::{TestApp, account, create_account};

#[tokio::test]
async fn coverage_names_the_gaps_and_the_programme_shows_who_sponsors_the_top_accounts() {
    let app = TestApp::new().await;
    let (_, admin) = app.api_user("admin@v.io", Role::Admin).await;
    let (exec, _) = app.api_user("exec@v.io", Role::Executive).await;
    let (_, viewer) = app.api_user("viewer@v.io", Role::Viewer).await;
    let id = create_account(&app, &admin, account("acme", None)).await;
    for (key, title) in [("cfo", "Chief Financial Officer"), ("itm", "IT Manager")] {
        let made = app
            .send(
                "POST",
                &format!("/api/v1/accounts/{id}/contacts"),
                Some(&admin),
                Some(json!({"external_id": key, "last_name": key, "title": title})),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    }
    let coverage = app
        .send("GET", &format!("/api/v1/accounts/{id}/coverage"), Some(&viewer), None)
        .await;
    assert_eq!(coverage.status, StatusCode::OK, "{}", coverage.text);
    assert_eq!(
        (coverage.body["high"].as_u64(), coverage.body["wide"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        coverage.body["gaps"],
        json!([
            "No one doing the work: meet the people who use the product",
            "Only 2 functions (IT and engineering, Finance and procurement): build a relationship in 1 more"
        ])
    );
    assert_eq!(coverage.body["contacts"][0]["level"], "executive");
    let missing = app
        .send("GET", "/api/v1/accounts/999/coverage", Some(&viewer), None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // With ARR and a sponsor, the account is the programme (the top fifth of one account).
    let contract = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contracts"),
            Some(&admin),
            Some(json!({"external_id": "k1", "start_date": "2026-01-01", "end_date": "2027-12-31", "arr": "120000"})),
        )
        .await;
    assert_eq!(contract.status, StatusCode::CREATED, "{}", contract.text);
    let programme = app.send("GET", "/api/v1/sponsor-programme", Some(&viewer), None).await;
    assert_eq!(programme.body["unsponsored"], 1, "{}", programme.text);
    let set = app
        .send(
            "PATCH",
            &format!("/api/v1/accounts/{id}"),
            Some(&admin),
            Some(json!({"sponsor_id": exec.0})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let programme = app.send("GET", "/api/v1/sponsor-programme", Some(&viewer), None).await;
    assert_eq!(programme.body["unsponsored"], 0);
    assert_eq!(programme.body["accounts"][0]["sponsor_name"], "exec@v.io");
    assert_eq!(programme.body["programme_share"], 1.0);
    let history = app
        .send("GET", &format!("/api/v1/accounts/{id}/coverage"), Some(&viewer), None)
        .await;
    assert_eq!(history.body["sponsor_history"][0]["sponsor"], "exec@v.io");
    assert_eq!(history.body["sponsor_history"][0]["previous"], json!(null));
}
