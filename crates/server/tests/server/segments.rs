//! Segmentation over HTTP: everyone reads the formula, admins preview and apply it (a preview
//! changes nothing, a stale one is refused whole), and the page shows the changes first.

use axum::http::StatusCode;
use lodestar_domain::vocabulary::{AuditKind, Role};
use lodestar_store::AuditFilter;
use serde_json::json;

use crate::support::{TestApp, create_account};

#[tokio::test]
async fn admins_preview_the_tier_formula_and_apply_it_in_one_step() {
    let app = TestApp::new().await;
    let admin_id = app.user("admin@v.io", Role::Admin).await;
    let admin = app.token_for(admin_id, Role::Admin).await;
    let (_, leader) = app.api_user("leader@v.io", Role::Leader).await;
    let (_, viewer) = app.api_user("viewer@v.io", Role::Viewer).await;
    for (key, growth, preference) in [("a", "high", "high_touch"), ("b", "low", "self_serve")] {
        let body = json!({"external_id": key, "name": format!("Account {key}"), "tier": "mid_tier",
            "growth_potential": growth, "engagement_preference": preference});
        create_account(&app, &admin, body).await;
    }
    let formula = app
        .send("GET", "/api/v1/segmentation/formula", Some(&viewer), None)
        .await;
    assert_eq!(formula.status, StatusCode::OK);
    assert_eq!(formula.body["arr_weight"], 50);

    // Growth and preference only: a, growing and wanting a person, is strategic; b long tail.
    let mine = json!({"arr_weight": 0, "growth_weight": 50, "engagement_weight": 0, "preference_weight": 50,
        "strategic_from": 90, "enterprise_from": 60, "mid_tier_from": 30});
    let refused = app
        .send(
            "POST",
            "/api/v1/segmentation/preview",
            Some(&leader),
            Some(mine.clone()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let invalid = app
        .send(
            "POST",
            "/api/v1/segmentation/preview",
            Some(&admin),
            Some(json!({"arr_weight": 10, "strategic_from": 50, "enterprise_from": 60, "mid_tier_from": 10})),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", invalid.text);
    assert_eq!(invalid.content_type, "application/problem+json");
    assert_eq!(invalid.body["errors"][0]["field"], "growth_weight", "{}", invalid.text);
    let preview = app
        .send("POST", "/api/v1/segmentation/preview", Some(&admin), Some(mine.clone()))
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    let changes: Vec<(String, String)> = preview.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["account_name"].as_str().unwrap().to_owned(),
                c["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("Account a".to_owned(), "strategic".to_owned()),
            ("Account b".to_owned(), "long_tail".to_owned())
        ]
    );

    let stale = app
        .send(
            "POST",
            "/api/v1/segmentation/apply",
            Some(&admin),
            Some(json!({"formula": mine, "expected_changes": 5})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    let applied = app
        .send(
            "POST",
            "/api/v1/segmentation/apply",
            Some(&admin),
            Some(json!({"formula": mine, "expected_changes": 2})),
        )
        .await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.text);
    assert_eq!(applied.body["changed"], 2);
    let audit = app
        .store
        .audit_entries(
            &AuditFilter {
                kind: Some(AuditKind::TiersApplied),
                ..AuditFilter::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    let formula = app
        .send("GET", "/api/v1/segmentation/formula", Some(&viewer), None)
        .await;
    assert_eq!(
        formula.body["growth_weight"], 50,
        "the formula applied is the one in use"
    );

    let session = app.session("admin@v.io").await;
    let page = app
        .browse(
            "GET",
            "/segmentation?arr_weight=100&growth_weight=0&engagement_weight=0&preference_weight=0&strategic_from=90&enterprise_from=60&mid_tier_from=30",
            Some(&session),
            None,
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("id=\"apply-formula\""), "{}", page.text);
    let bad = app
        .browse(
            "GET",
            "/segmentation?arr_weight=100&strategic_from=10",
            Some(&session),
            None,
            None,
        )
        .await;
    assert!(bad.text.contains("id=\"segmentation-problem\""), "{}", bad.text);
}
