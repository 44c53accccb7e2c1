//! Health on the API: scores that explain themselves, scorecards only admins change.

use crate::support::{TestApp, account, create_account};
use axum::http::StatusCode;
use lodestar_domain::vocabulary::Role;
use serde_json::{Value, json};

#[tokio::test]
async fn health_scores_explain_themselves_and_only_admins_change_scorecards() {
    let api = TestApp::new().await;
    let (_, admin) = api.api_user("admin@v.io", Role::Admin).await;
    let (_, leader) = api.api_user("lead@v.io", Role::Leader).await;
    let (anna, anna_token) = api.api_user("anna@v.io", Role::Csm).await;
    let (_, ben_token) = api.api_user("ben@v.io", Role::Csm).await;
    let id = create_account(&api, &admin, account("annas", Some(anna))).await;

    let health = api
        .send("GET", &format!("/api/v1/accounts/{id}/health"), Some(&ben_token), None)
        .await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["score"], Value::Null, "nothing to score yet");

    // Only the account's CSM (or a leader) records a pulse; a bad level names the field.
    let pulse = json!({"level": 5, "reason": "Sponsor presented our results to their board"});
    let path = format!("/api/v1/accounts/{id}/pulses");
    assert_eq!(
        api.send("POST", &path, Some(&ben_token), Some(pulse.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bad = api
        .send(
            "POST",
            &path,
            Some(&anna_token),
            Some(json!({"level": 9, "reason": "x"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "level", "{}", bad.body);
    let recorded = api.send("POST", &path, Some(&anna_token), Some(pulse)).await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.body);
    assert_eq!(recorded.body["label"], "Very positive");

    let health = api
        .send("GET", &format!("/api/v1/accounts/{id}/health"), Some(&ben_token), None)
        .await;
    assert_eq!(health.body["score"], 100, "{}", health.body);
    assert_eq!(health.body["band"], "green");
    assert_eq!(health.body["measures"].as_array().unwrap().len(), 13);
    let pulse_line = health.body["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["measure"] == "csm_pulse")
        .unwrap();
    assert_eq!(pulse_line["share"], 1.0);
    assert!(
        health.body["left_out"]
            .as_str()
            .unwrap()
            .starts_with("No data for Usage trend")
    );

    // Problem severity 5 ("on fire") with the pulse: (100 × 15 + 0 × 10) / 25 = 60, yellow.
    let problem = json!({"severity": 5, "note": "Outage"});
    let put = api
        .send(
            "PUT",
            &format!("/api/v1/accounts/{id}/problem"),
            Some(&anna_token),
            Some(problem),
        )
        .await;
    assert_eq!(put.status, StatusCode::NO_CONTENT, "{}", put.body);
    let health = api
        .send("GET", &format!("/api/v1/accounts/{id}/health"), Some(&anna_token), None)
        .await;
    assert_eq!(
        (health.body["score"].clone(), health.body["band"].clone()),
        (json!(60), json!("yellow"))
    );

    // Scorecards: everyone reads them, only admins change them; bad cards name the field.
    let cards = api.send("GET", "/api/v1/scorecards", Some(&ben_token), None).await;
    assert_eq!(cards.body[0]["is_default"], true);
    let card = json!({
        "name": "Pulse only", "lifecycle_stage": "land", "red_below": 40, "green_from": 70,
        "measures": [{"measure": "csm_pulse", "weight": 10, "zero_at": 1, "full_at": 5}]
    });
    assert_eq!(
        api.send("POST", "/api/v1/scorecards", Some(&leader), Some(card.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let broken = json!({"name": "Broken", "red_below": 80, "green_from": 70,
        "measures": [{"measure": "mood", "weight": 10, "zero_at": 1, "full_at": 5}]});
    let refused = api.send("POST", "/api/v1/scorecards", Some(&admin), Some(broken)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"green_from") && fields.contains(&"measures"),
        "{fields:?}"
    );
    let made = api.send("POST", "/api/v1/scorecards", Some(&admin), Some(card)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let health = api
        .send("GET", &format!("/api/v1/accounts/{id}/health"), Some(&anna_token), None)
        .await;
    assert_eq!(
        health.body["scorecard"], "Pulse only",
        "the Land account moved to the new card at once"
    );
    let default_id = cards.body[0]["id"].as_i64().unwrap();
    let delete_default = api
        .send(
            "DELETE",
            &format!("/api/v1/scorecards/{default_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(delete_default.status, StatusCode::CONFLICT);

    // Risk settings: leaders set them, CSMs do not.
    let exposure = json!([{"industry": "Retail", "exposure": "high"}]);
    assert_eq!(
        api.send(
            "PUT",
            "/api/v1/settings/industry-exposures",
            Some(&anna_token),
            Some(exposure.clone())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.send(
            "PUT",
            "/api/v1/settings/industry-exposures",
            Some(&leader),
            Some(exposure)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let bad = api
        .send(
            "PUT",
            "/api/v1/settings/price-thresholds",
            Some(&leader),
            Some(json!([{"tier": "enterprise", "min_arr": "lots"}])),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "min_arr");
}
