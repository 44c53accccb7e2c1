//! Renewals and expansion (F-62) through the API and the pages: the pipeline's windows, a call
//! kept as history and refused when it contradicts itself, the close recorded once and audited,
//! the forecast holding each renewal at the call it carried when the period began, and
//! opportunities routed to the CSM or the AE by the kind of growth.

use axum::http::StatusCode;
use chrono::{Days, Utc};
use lodestar_domain::vocabulary::Role;
use serde_json::{Value, json};

use crate::forms::{location, page, post};
use crate::support::{TestApp, account, create_account};

fn fields_of(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_renewal_is_called_closed_once_and_held_against_the_call_the_period_began_with() {
    let app = TestApp::new().await;
    let (csm, token) = app.api_user("csm@v.io", Role::Csm).await;
    let (_, other) = app.api_user("other@v.io", Role::Csm).await;
    let (_, admin) = app.api_user("admin@v.io", Role::Admin).await;
    let id = create_account(&app, &admin, account("acme", Some(csm))).await;
    let today = Utc::now().date_naive();
    let contract = |key: &str, days: u64, arr: &str| {
        json!({"external_id": key, "start_date": (today - Days::new(300)).to_string(),
               "end_date": (today + Days::new(days)).to_string(), "arr": arr})
    };
    let soon = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contracts"),
            Some(&admin),
            Some(contract("k1", 45, "48000")),
        )
        .await;
    assert!(soon.status.is_success(), "{}", soon.text);
    let soon = soon.body["id"].as_i64().unwrap();
    let later = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contracts"),
            Some(&admin),
            Some(contract("k2", 200, "9000")),
        )
        .await;
    assert!(later.status.is_success(), "{}", later.text);

    // The windows: 60 days holds k1; k2 is beyond the widest; 45 is not a window.
    let keys = |body: &Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|r| r["contract_external_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let sixty = app
        .send("GET", "/api/v1/renewals?within_days=60", Some(&token), None)
        .await;
    assert_eq!(keys(&sixty.body), ["k1"]);
    assert_eq!(sixty.body[0]["arr"], "48000.00");
    let thirty = app
        .send("GET", "/api/v1/renewals?within_days=30", Some(&token), None)
        .await;
    assert_eq!(keys(&thirty.body), Vec::<String>::new());
    let odd = app
        .send("GET", "/api/v1/renewals?within_days=45", Some(&token), None)
        .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST, "{}", odd.text);

    // A call: only the account's CSM (or a leader); at risk is no commit.
    let calls = format!("/api/v1/contracts/{soon}/renewal/calls");
    let call = json!({"outlook": "likely", "category": "commit", "forecast_arr": "48000"});
    let refused = app.send("POST", &calls, Some(&other), Some(call.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let torn = json!({"outlook": "at_risk", "category": "commit", "forecast_arr": "48,000"});
    let torn = app.send("POST", &calls, Some(&token), Some(torn)).await;
    assert_eq!(torn.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", torn.text);
    assert_eq!(fields_of(&torn.body), ["category"]);
    let bad = json!({"outlook": "maybe", "category": "commit", "forecast_arr": "-5"});
    let bad = app.send("POST", &calls, Some(&token), Some(bad)).await;
    assert_eq!(fields_of(&bad.body), ["outlook", "forecast_arr"]);
    let first = app.send("POST", &calls, Some(&token), Some(call)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = json!({"outlook": "unsure", "category": "best_case", "forecast_arr": "40000", "note": "New CFO"});
    let second = app.send("POST", &calls, Some(&token), Some(second)).await;
    assert_eq!(second.body["call"]["category"], "best_case");
    let history: Vec<&str> = second.body["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["best_case", "commit"], "the latest first, the first kept");

    // The page's form keeps what was typed when refused.
    app.user("lead@v.io", Role::Leader).await;
    let cookie = app.session("lead@v.io").await;
    let refused = post(
        &app,
        &cookie,
        &format!("/contracts/{soon}/renewal"),
        &[
            ("step", "call"),
            ("outlook", "at_risk"),
            ("category", "commit"),
            ("forecast_arr", "41,500"),
            ("note", "Budget freeze"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("is not a commit"), "{}", refused.text);
    assert!(refused.text.contains("value=\"41,500\"") && refused.text.contains("value=\"Budget freeze\""));
    let pipeline = page(&app, &cookie, "/renewals?within=60").await;
    assert_eq!(pipeline.status, StatusCode::OK);
    assert!(pipeline.text.contains("Account acme") && pipeline.text.contains("Best case"));

    // The forecast of a period starting tomorrow: k1 carried best case at 40,000 into it.
    let (from, to) = (today + Days::new(1), today + Days::new(91));
    let forecast_path = format!("/api/v1/renewals/forecast?from={from}&to={to}");
    let before = app.send("GET", &forecast_path, Some(&token), None).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    assert_eq!(
        (before.body["due"].as_i64(), before.body["open"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(before.body["commit_arr"], "0.00");
    assert_eq!(before.body["best_case_arr"], "40000.00");

    // Closed: renewed at some ARR (not 0), once, audited, off the pipeline.
    let close = format!("/api/v1/contracts/{soon}/renewal/close");
    let zero = app
        .send(
            "POST",
            &close,
            Some(&token),
            Some(json!({"result": "renewed", "renewed_arr": "0"})),
        )
        .await;
    assert_eq!(fields_of(&zero.body), ["renewed_arr"]);
    let closed = app
        .send(
            "POST",
            &close,
            Some(&token),
            Some(json!({"result": "renewed", "renewed_arr": "52000", "note": "Uplift"})),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
    assert_eq!(closed.body["closed"]["renewed_arr"], "52000.00");
    let again = app
        .send(
            "POST",
            &close,
            Some(&token),
            Some(json!({"result": "churned", "renewed_arr": "0"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let late_call = json!({"outlook": "likely", "category": "commit", "forecast_arr": "1"});
    assert_eq!(
        app.send("POST", &calls, Some(&token), Some(late_call)).await.status,
        StatusCode::CONFLICT
    );
    let sixty = app
        .send("GET", "/api/v1/renewals?within_days=60", Some(&token), None)
        .await;
    assert!(keys(&sixty.body).is_empty(), "closed renewals leave the pipeline");
    let after = app.send("GET", &forecast_path, Some(&token), None).await;
    assert_eq!(after.body["renewed_arr"], "52000.00");
    assert_eq!(after.body["by_category"][0]["category"], "best_case");
    assert_eq!(
        after.body["gross_renewal_per_mille"], 1000,
        "an uplift is capped at the contract's ARR"
    );
    let audit = app.send("GET", "/api/v1/audit", Some(&admin), None).await;
    assert!(audit.text.contains("renewal_closed"), "{}", audit.text);
    let shown = page(&app, &cookie, &format!("/contracts/{soon}/renewal")).await;
    assert!(shown.text.contains("Renewed on") && !shown.text.contains("id=\"call-form\""));
}

#[tokio::test]
async fn expansion_goes_to_the_csm_or_the_ae_by_the_kind_of_growth_and_its_owner_moves_it() {
    let app = TestApp::new().await;
    let (csm, token) = app.api_user("csm@v.io", Role::Csm).await;
    let (ae, ae_token) = app.api_user("ae@v.io", Role::Ae).await;
    let (_, admin) = app.api_user("admin@v.io", Role::Admin).await;
    let (_, viewer) = app.api_user("viewer@v.io", Role::Viewer).await;
    let mut with_ae = account("acme", Some(csm));
    with_ae["ae_id"] = json!(ae.0);
    let acme = create_account(&app, &admin, with_ae).await;
    let solo = create_account(&app, &admin, account("solo", Some(csm))).await;
    let close = (Utc::now().date_naive() + Days::new(60)).to_string();
    let open = |account: i64, kind: &str, title: &str| {
        let body = json!({"kind": kind, "title": title, "amount": "12000", "expected_close": close});
        let app = &app;
        let token = token.clone();
        async move {
            app.send(
                "POST",
                &format!("/api/v1/accounts/{account}/opportunities"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let seats = open(acme, "organic_seats", "40 more seats").await;
    assert_eq!(seats.status, StatusCode::CREATED, "{}", seats.text);
    assert_eq!(seats.body["owner_id"], csm.0);
    let product = open(acme, "new_product", "The analytics add-on").await;
    assert_eq!(
        (product.body["owner_id"].as_i64(), product.body["cross_sell"].as_bool()),
        (Some(ae.0), Some(true))
    );
    let division = open(solo, "new_division", "The Paris office").await;
    assert_eq!(division.body["owner_id"], csm.0);
    assert!(
        division.body["routed"].as_str().unwrap().contains("no AE"),
        "{}",
        division.text
    );
    let bad = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{acme}/opportunities"),
            Some(&token),
            Some(json!({"kind": "bribe", "title": "", "amount": "0"})),
        )
        .await;
    assert_eq!(fields_of(&bad.body), ["kind", "title", "expected_close"]);

    // The AE moves their own opportunity (won: dated today), not the CSM's.
    let moved = json!({"kind": "new_product", "title": "The analytics add-on", "amount": "15000",
                       "expected_close": close, "stage": "won"});
    let theirs = format!("/api/v1/opportunities/{}", product.body["id"]);
    let won = app.send("PUT", &theirs, Some(&ae_token), Some(moved.clone())).await;
    assert_eq!(won.status, StatusCode::OK, "{}", won.text);
    assert_eq!(won.body["closed_on"], Utc::now().date_naive().to_string());
    let not_theirs = format!("/api/v1/opportunities/{}", seats.body["id"]);
    assert_eq!(
        app.send("PUT", &not_theirs, Some(&ae_token), Some(moved)).await.status,
        StatusCode::FORBIDDEN
    );
    let open_only = app
        .send("GET", "/api/v1/opportunities?open=true", Some(&viewer), None)
        .await;
    assert_eq!(open_only.body["total"], 2);

    // Admins change the policy; opportunities opened afterwards follow it.
    let set = app
        .send(
            "PUT",
            "/api/v1/opportunity-routes/new_product",
            Some(&token),
            Some(json!({"route": "csm"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::FORBIDDEN);
    let set = app
        .send(
            "PUT",
            "/api/v1/opportunity-routes/new_product",
            Some(&admin),
            Some(json!({"route": "csm"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert!(
        set.body
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "new_product" && r["route"] == "csm")
    );
    let again = open(acme, "new_product", "The mobile add-on").await;
    assert_eq!(again.body["owner_id"], csm.0);

    // The account's page opens one from a form, which keeps what was typed when refused.
    app.user("lead@v.io", Role::Leader).await;
    let cookie = app.session("lead@v.io").await;
    let refused = post(
        &app,
        &cookie,
        &format!("/accounts/{acme}/opportunities"),
        &[
            ("kind", "consumption"),
            ("title", "Double the API volume"),
            ("amount", "0"),
            ("expected_close", &close),
            ("stage", "identified"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("value=\"Double the API volume\""));
    let opened = post(
        &app,
        &cookie,
        &format!("/accounts/{acme}/opportunities"),
        &[
            ("kind", "consumption"),
            ("title", "Double the API volume"),
            ("amount", "8000"),
            ("expected_close", &close),
            ("stage", "identified"),
        ],
    )
    .await;
    assert!(location(&opened).starts_with(&format!("/accounts/{acme}/opportunities#opportunity-")));
    let list = page(&app, &cookie, "/opportunities").await;
    assert!(list.text.contains("Double the API volume") && list.text.contains("40 more seats"));
}
