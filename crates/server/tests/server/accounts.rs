//! Accounts, contacts and contracts on the API and the pages: lists, numbers, the book
//! each follows, and pages showing only what the viewer may do.

use crate::support::{PASSWORD, TestApp, account, create_account};
use axum::http::{StatusCode, header};
use lodestar_domain::text::{ExternalId, Name};
use lodestar_domain::vocabulary::Role;
use serde_json::json;

#[tokio::test]
async fn lists_filter_sort_and_page() {
    let api = TestApp::new().await;
    let (csm, _) = api.api_user("csm@v.io", Role::Csm).await;
    let (_, leader) = api.api_user("lead@v.io", Role::Leader).await;
    for i in 0..12 {
        let body = json!({"external_id": format!("a{i:02}"), "name": format!("Name {:02}", 11 - i),
                          "tier": if i < 4 { "strategic" } else { "long_tail" },
                          "owner_id": if i % 2 == 0 { Some(csm.0) } else { None }, "industry": "Retail"});
        assert_eq!(
            api.send("POST", "/api/v1/accounts", Some(&leader), Some(body))
                .await
                .status,
            StatusCode::CREATED
        );
    }
    let mut names = Vec::new();
    let mut uri = "/api/v1/accounts?limit=5&sort=-name".to_owned();
    loop {
        let page = api.send("GET", &uri, Some(&leader), None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        names.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["name"].as_str().unwrap().to_owned()),
        );
        match page.body["next_cursor"].as_str() {
            Some(c) => uri = format!("/api/v1/accounts?limit=5&sort=-name&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..12).rev().map(|i| format!("Name {i:02}")).collect();
    assert_eq!(names, expected);
    let strategic_mine = api
        .send(
            "GET",
            &format!("/api/v1/accounts?tier=strategic&owner_id={}", csm.0),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(strategic_mine.body["items"].as_array().unwrap().len(), 2);
    let q = api
        .send(
            "GET",
            "/api/v1/accounts?q=name%2003&industry=retail",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(q.body["items"][0]["external_id"], "a08");
    let none_renewing = api
        .send("GET", "/api/v1/accounts?renewal_within_days=90", Some(&leader), None)
        .await;
    assert!(
        none_renewing.body["items"].as_array().unwrap().is_empty(),
        "no contracts, no renewals"
    );
}

#[tokio::test]
async fn counts_accept_integral_json_numbers_only() {
    let api = TestApp::new().await;
    let (_, admin) = api.api_user("admin@v.io", Role::Admin).await;
    let whole = api
        .send(
            "POST",
            "/api/v1/accounts",
            Some(&admin),
            Some(json!({"external_id": "a", "name": "A", "employees": 40.0})),
        )
        .await;
    assert_eq!(
        (whole.status, whole.body["employees"].as_u64()),
        (StatusCode::CREATED, Some(40))
    );
    for bad in [json!(40.5), json!(-1), json!(5_000_000_000u64)] {
        let r = api
            .send(
                "POST",
                "/api/v1/accounts",
                Some(&admin),
                Some(json!({"external_id": "b", "name": "B", "employees": bad})),
            )
            .await;
        assert_eq!(
            (r.status, r.body["errors"][0]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("employees")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn contacts_and_contracts_follow_their_accounts_book() {
    let api = TestApp::new().await;
    let (anna, anna_token) = api.api_user("anna@v.io", Role::Csm).await;
    let (_, ben_token) = api.api_user("ben@v.io", Role::Csm).await;
    let (_, viewer) = api.api_user("view@v.io", Role::Viewer).await;
    let (_, leader) = api.api_user("lead@v.io", Role::Leader).await;
    let acc = create_account(&api, &leader, account("annas", Some(anna))).await;

    let contact = json!({"external_id": "c1", "first_name": "Ada", "email": "ada@annas.com", "role": "champion", "influence": "high"});
    let path = format!("/api/v1/accounts/{acc}/contacts");
    assert_eq!(
        api.send("POST", &path, Some(&ben_token), Some(contact.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let created = api.send("POST", &path, Some(&anna_token), Some(contact)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let cid = created.body["id"].as_i64().unwrap();
    let left = json!({"external_id": "c1", "first_name": "Ada", "status": "left"});
    let refused = api
        .send("PUT", &format!("/api/v1/contacts/{cid}"), Some(&anna_token), Some(left))
        .await;
    assert_eq!(
        (refused.status, refused.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("left_on"))
    );
    let listed = api.send("GET", &path, Some(&viewer), None).await;
    assert_eq!(listed.body[0]["role"], "champion");
    assert_eq!(
        api.send("DELETE", &format!("/api/v1/contacts/{cid}"), Some(&viewer), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.send("DELETE", &format!("/api/v1/contacts/{cid}"), Some(&anna_token), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    let path = format!("/api/v1/accounts/{acc}/contracts");
    let no_arr = api
        .send(
            "POST",
            &path,
            Some(&anna_token),
            Some(json!({"external_id": "k1", "start_date": "2025-01-01", "end_date": "2026-01-01"})),
        )
        .await;
    assert_eq!(
        (no_arr.status, no_arr.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("arr"))
    );
    let backwards = api
        .send(
            "POST",
            &path,
            Some(&anna_token),
            Some(json!({"external_id": "k1", "start_date": "2025-01-01", "end_date": "2024-01-01", "arr": "100"})),
        )
        .await;
    assert_eq!(backwards.body["errors"][0]["field"], "end_date");
    let k = api
        .send(
            "POST",
            &path,
            Some(&anna_token),
            Some(json!({"external_id": "k1", "start_date": "2025-01-01", "end_date": "2026-01-01", "arr": "12,000"})),
        )
        .await;
    assert_eq!(
        (k.status, k.body["arr"].as_str()),
        (StatusCode::CREATED, Some("12000.00")),
        "{}",
        k.body
    );
    let kid = k.body["id"].as_i64().unwrap();
    let changes = format!("/api/v1/contracts/{kid}/changes");
    let shrink = api
        .send(
            "POST",
            &changes,
            Some(&anna_token),
            Some(json!({"effective_date": "2025-06-01", "kind": "expansion", "arr": "9000"})),
        )
        .await;
    assert_eq!(
        (shrink.status, shrink.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("arr"))
    );
    let grow = api
        .send(
            "POST",
            &changes,
            Some(&anna_token),
            Some(json!({"effective_date": "2025-06-01", "kind": "expansion", "arr": "15000"})),
        )
        .await;
    assert_eq!(grow.status, StatusCode::CREATED);
    assert_eq!(
        api.send(
            "POST",
            &changes,
            Some(&ben_token),
            Some(json!({"effective_date": "2025-07-01", "kind": "churn", "arr": "0"}))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let items = json!([{"product": "Seats", "quantity": 100, "unit_price": "150", "discount_bp": 0}]);
    let with_items = api
        .send(
            "PUT",
            &format!("/api/v1/contracts/{kid}/line_items"),
            Some(&anna_token),
            Some(items),
        )
        .await;
    assert_eq!(with_items.body["line_items"][0]["annual_amount"], "15000.00");
    let account_now = api
        .send("GET", &format!("/api/v1/accounts/{acc}"), Some(&viewer), None)
        .await;
    assert_eq!(
        (
            account_now.body["arr"].as_str(),
            account_now.body["renewal_date"].as_str()
        ),
        (Some("15000.00"), Some("2026-01-01"))
    );
    let history = api
        .send("GET", &format!("/api/v1/contracts/{kid}"), Some(&viewer), None)
        .await;
    let kinds: Vec<&str> = history.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["new", "expansion"]);
    assert_eq!(
        api.send("DELETE", &format!("/api/v1/contracts/{kid}"), Some(&anna_token), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn pages_show_only_what_the_viewer_may_do_and_refuse_the_rest() {
    let web = TestApp::new().await;
    web.user("vera@v.io", Role::Viewer).await;
    web.user("lena@v.io", Role::Leader).await;
    let account = lodestar_domain::account::AccountFields {
        external_id: ExternalId::parse("acme").unwrap(),
        name: Name::parse("Acme").unwrap(),
        domain: None,
        industry: None,
        employees: None,
        region: None,
        lifecycle_stage: "adopt".parse().unwrap(),
        tier: None,
        owner_id: None,
        ae_id: None,
        sponsor_id: None,
        growth_potential: None,
        engagement_preference: None,
        launch_date: None,
        first_value_date: None,
        parent_id: None,
        custom_fields: Default::default(),
    };
    let id = web
        .db
        .store
        .create_account(account.validate(None).unwrap())
        .await
        .unwrap()
        .account
        .id
        .0;
    let vera = web.sign_in("vera@v.io", PASSWORD, None).await.cookie().unwrap();
    let page = web
        .browse("GET", &format!("/accounts/{id}"), Some(&vera), None, None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Acme") && !page.text.contains("edit-account"),
        "no edit control for a viewer"
    );
    let csp = page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(
        web.browse("GET", &format!("/accounts/{id}/edit"), Some(&vera), None, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let forced = web
        .browse("POST", &format!("/accounts/{id}/edit"), Some(&vera), Some("http://lodestar.test"),
            Some("name=Hijacked&domain=&industry=&employees=&region=&lifecycle_stage=adopt&tier=&growth_potential=&engagement_preference=&launch_date=&first_value_date="))
        .await;
    assert_eq!(forced.status, StatusCode::FORBIDDEN);
    assert_eq!(
        web.db
            .store
            .account_summary(lodestar_domain::AccountId(id))
            .await
            .unwrap()
            .unwrap()
            .account
            .fields
            .name
            .as_str(),
        "Acme"
    );

    let lena = web.sign_in("lena@v.io", PASSWORD, None).await.cookie().unwrap();
    assert!(
        web.browse("GET", &format!("/accounts/{id}"), Some(&lena), None, None)
            .await
            .text
            .contains("edit-account")
    );
    let bad = web
        .browse("POST", &format!("/accounts/{id}/edit"), Some(&lena), Some("http://lodestar.test"),
            Some("name=&domain=not+a+domain&industry=&employees=-3&region=&lifecycle_stage=adopt&tier=&growth_potential=&engagement_preference=&launch_date=&first_value_date="))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["error-name", "error-domain", "error-employees"] {
        assert!(bad.text.contains(field), "{field} shown next to its field");
    }
}
