//! What every request meets: public health and OpenAPI, tokens, problem+json naming the
//! field, the role matrix, and the CSRF guard on cookie-carrying writes.

use crate::support::{PASSWORD, TestApp, account};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lodestar_domain::UserId;
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::Role;
use serde_json::json;
use tower::ServiceExt;

#[tokio::test]
async fn health_and_openapi_are_public() {
    let api = TestApp::new().await;
    let health = api.send("GET", "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    let doc = api.send("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["paths"]["/api/v1/accounts"]["get"].is_object());
    assert!(doc.body["paths"]["/api/v1/accounts/{id}"]["put"].is_object());
    assert!(doc.body["components"]["securitySchemes"]["bearer"].is_object());
    let missing = api.send("GET", "/nope", None, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.content_type, "application/problem+json");
    let (_, token) = api.api_user("v@v.io", Role::Viewer).await;
    let wrong_method = api.send("PATCH", "/api/v1/users", Some(&token), None).await;
    assert_eq!(
        (wrong_method.status, wrong_method.content_type.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "application/problem+json")
    );
    assert_eq!(wrong_method.headers[axum::http::header::ALLOW], "GET,HEAD,POST");
    assert!(
        wrong_method.body["detail"]
            .as_str()
            .unwrap()
            .contains("does not answer PATCH")
    );
    let page = api
        .browse("DELETE", "/sign-in", None, Some("http://lodestar.test"), None)
        .await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(page.headers[axum::http::header::ALLOW], "GET,HEAD,POST");
}

#[tokio::test]
async fn requests_without_a_live_token_are_refused() {
    let api = TestApp::new().await;
    let none = api.send("GET", "/api/v1/accounts", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.content_type, "application/problem+json");
    assert_eq!(none.body["status"], 401);
    let forged = api.send("GET", "/api/v1/accounts", Some("lst_forged"), None).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let (_, token) = api.api_user("v@v.io", Role::Viewer).await;
    assert_eq!(
        api.send("GET", "/api/v1/accounts", Some(&token), None).await.status,
        StatusCode::OK
    );
    let id = api.store.tokens().await.unwrap()[0].id;
    api.store.revoke_token(id).await.unwrap();
    assert_eq!(
        api.send("GET", "/api/v1/accounts", Some(&token), None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn bad_input_is_a_problem_naming_the_field() {
    let api = TestApp::new().await;
    let (_, admin) = api.api_user("admin@v.io", Role::Admin).await;
    let unknown = api
        .send(
            "POST",
            "/api/v1/accounts",
            Some(&admin),
            Some(json!({"external_id": "a", "name": "A", "colour": "red"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.content_type, "application/problem+json");
    assert!(
        unknown.body["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`"),
        "{}",
        unknown.body
    );
    let wrong_type = api
        .send(
            "POST",
            "/api/v1/accounts",
            Some(&admin),
            Some(json!({"external_id": "a", "name": "A", "owner_id": "x"})),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_type.body["errors"][0]["field"], "owner_id");
    let rules = api
        .send(
            "POST",
            "/api/v1/accounts",
            Some(&admin),
            Some(json!({"external_id": "a b", "name": " ", "tier": "gold", "domain": "nope"})),
        )
        .await;
    assert_eq!(rules.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = rules.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["external_id", "name", "domain", "tier"], "{}", rules.body);
    let unknown_owner = api
        .send(
            "POST",
            "/api/v1/accounts",
            Some(&admin),
            Some(account("a", Some(UserId(999)))),
        )
        .await;
    assert_eq!(unknown_owner.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown_owner.body["errors"][0]["field"], "owner_id");
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/accounts")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(
        api.app.clone().oneshot(req).await.unwrap().status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let bad_sort = api.send("GET", "/api/v1/accounts?sort=size", Some(&admin), None).await;
    assert_eq!(
        (bad_sort.status, bad_sort.body["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("sort"))
    );
    let bad_cursor = api.send("GET", "/api/v1/accounts?cursor=zzz", Some(&admin), None).await;
    assert_eq!(bad_cursor.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        api.send("GET", "/api/v1/accounts/abc", Some(&admin), None).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(api.store.count_accounts().await.unwrap(), 0, "nothing was written");
}

#[tokio::test]
async fn each_role_gets_exactly_its_rights() {
    let api = TestApp::new().await;
    let (_, admin) = api.api_user("admin@v.io", Role::Admin).await;
    let (_, leader) = api.api_user("lead@v.io", Role::Leader).await;
    let (anna, anna_token) = api.api_user("anna@v.io", Role::Csm).await;
    let (ben, ben_token) = api.api_user("ben@v.io", Role::Csm).await;
    let (assoc, assoc_token) = api.api_user("al@v.io", Role::AssociateCsm).await;
    let mut readers = Vec::new();
    for (email, role) in [
        ("ae@v.io", Role::Ae),
        ("exec@v.io", Role::Executive),
        ("view@v.io", Role::Viewer),
    ] {
        readers.push(api.api_user(email, role).await.1);
    }

    // Creating: leaders and admins only.
    let created = api
        .send(
            "POST",
            "/api/v1/accounts",
            Some(&leader),
            Some(account("bens", Some(ben))),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let bens = created.body["id"].as_i64().unwrap();
    assert_eq!(
        api.send("POST", "/api/v1/accounts", Some(&admin), Some(account("x1", None)))
            .await
            .status,
        StatusCode::CREATED
    );
    for (name, owner) in [("annas", anna), ("als", assoc)] {
        assert_eq!(
            api.send(
                "POST",
                "/api/v1/accounts",
                Some(&leader),
                Some(account(name, Some(owner)))
            )
            .await
            .status,
            StatusCode::CREATED
        );
    }
    // CSMs and associates work their book but do not create accounts (access.rs: leaders and
    // admins run the book of business), and a forbidden caller learns nothing from the body.
    for (token, owner) in [(&anna_token, anna), (&assoc_token, assoc)] {
        for body in [account("mine", Some(owner)), json!({})] {
            let refused = api.send("POST", "/api/v1/accounts", Some(token), Some(body)).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        }
    }
    for r in &readers {
        for body in [account("x3", None), json!({"name": 7})] {
            let refused = api.send("POST", "/api/v1/accounts", Some(r), Some(body)).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
            assert!(refused.body["errors"].is_null(), "no schema is described to a reader");
        }
    }

    // Everyone reads everything.
    for t in readers.iter().chain([&anna_token, &ben_token]) {
        let page = api.send("GET", "/api/v1/accounts", Some(t), None).await;
        assert_eq!(page.body["items"].as_array().unwrap().len(), 4);
        assert_eq!(
            api.send("GET", &format!("/api/v1/accounts/{bens}"), Some(t), None)
                .await
                .status,
            StatusCode::OK
        );
    }

    // Anna tries to change Ben's account by id: refused, and nothing changes.
    let hijack = json!({"external_id": "bens", "name": "Hijacked", "owner_id": anna.0});
    let refused = api
        .send(
            "PUT",
            &format!("/api/v1/accounts/{bens}"),
            Some(&anna_token),
            Some(hijack),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.content_type, "application/problem+json");
    let still = api
        .send("GET", &format!("/api/v1/accounts/{bens}"), Some(&ben_token), None)
        .await;
    assert_eq!(still.body["name"], "Account bens");
    // Ben edits his own account, but cannot give it away.
    let renamed = json!({"external_id": "bens", "name": "Ben's Best", "owner_id": ben.0, "tier": "strategic"});
    let ok = api
        .send(
            "PUT",
            &format!("/api/v1/accounts/{bens}"),
            Some(&ben_token),
            Some(renamed),
        )
        .await;
    assert_eq!(
        (ok.status, ok.body["name"].as_str()),
        (StatusCode::OK, Some("Ben's Best"))
    );
    let give = json!({"external_id": "bens", "name": "Ben's Best", "owner_id": anna.0});
    assert_eq!(
        api.send(
            "PUT",
            &format!("/api/v1/accounts/{bens}"),
            Some(&ben_token),
            Some(give.clone())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.send("PUT", &format!("/api/v1/accounts/{bens}"), Some(&leader), Some(give))
            .await
            .status,
        StatusCode::OK
    );
    for r in &readers {
        let body = json!({"external_id": "bens", "name": "Reader edit"});
        assert_eq!(
            api.send("PUT", &format!("/api/v1/accounts/{bens}"), Some(r), Some(body))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }

    // Deleting: leaders and admins only.
    assert_eq!(
        api.send("DELETE", &format!("/api/v1/accounts/{bens}"), Some(&anna_token), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.send("DELETE", &format!("/api/v1/accounts/{bens}"), Some(&leader), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let gone = api
        .send("GET", &format!("/api/v1/accounts/{bens}"), Some(&admin), None)
        .await;
    assert_eq!(
        (gone.status, gone.content_type.as_str()),
        (StatusCode::NOT_FOUND, "application/problem+json")
    );

    // An integration token with the CSM role owns no book: it reads but never writes.
    let (_, integration) = lodestar_server::auth::issue_token(
        &api.store,
        &Name::parse("sync").unwrap(),
        Role::Csm,
        None,
        lodestar_domain::vocabulary::TokenScope::Api,
    )
    .await
    .unwrap();
    assert_eq!(
        api.send("GET", "/api/v1/users", Some(&integration), None)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        8
    );
    assert_eq!(
        api.send(
            "POST",
            "/api/v1/accounts",
            Some(&integration),
            Some(account("x4", None))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let web = TestApp::new().await;
    web.user("lena@v.io", Role::Leader).await;
    let cookie = web.sign_in("lena@v.io", PASSWORD, None).await.cookie().unwrap();
    let evil = web
        .browse(
            "POST",
            "/sign-out",
            Some(&cookie),
            Some("https://evil.example"),
            Some(""),
        )
        .await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN);
    let no_origin = web
        .browse("POST", "/sign-in", None, None, Some("email=lena@v.io&password=x"))
        .await;
    assert_eq!(no_origin.status, StatusCode::FORBIDDEN, "login CSRF too");
    assert_eq!(
        web.browse("GET", "/accounts", Some(&cookie), None, None).await.status,
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn patch_changes_only_the_fields_a_merge_patch_names() {
    let api = TestApp::new().await;
    let (_, admin) = api.api_user("admin@v.io", Role::Admin).await;
    let (ben, ben_token) = api.api_user("ben@v.io", Role::Csm).await;
    let created = api
        .send(
            "POST",
            "/api/v1/accounts",
            Some(&admin),
            Some(
                json!({"external_id": "acme", "name": "Acme", "tier": "enterprise", "region": "EMEA",
                        "owner_id": ben.0, "custom_fields": {"plan": "gold", "seats": 40}}),
            ),
        )
        .await;
    let id = created.body["id"].as_i64().unwrap();
    let patch = |token: &str, uri: String, body: serde_json::Value| {
        let req = Request::builder()
            .method("PATCH")
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/merge-patch+json")
            .body(Body::from(body.to_string()))
            .unwrap();
        api.exchange(req)
    };
    let renamed = patch(
        &ben_token,
        format!("/api/v1/accounts/{id}"),
        json!({"name": "Acme Corp", "region": null, "custom_fields": {"seats": null, "champion": "Ada"}}),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(
        (
            &renamed.body["name"],
            &renamed.body["tier"],
            &renamed.body["region"],
            &renamed.body["custom_fields"]
        ),
        (
            &json!("Acme Corp"),
            &json!("enterprise"),
            &json!(null),
            &json!({"plan": "gold", "champion": "Ada"})
        ),
        "named fields change, null clears, the rest stays"
    );
    let bad = patch(
        &ben_token,
        format!("/api/v1/accounts/{id}"),
        json!({"employees": "many"}),
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("employees"))
    );
    let give_away = patch(&ben_token, format!("/api/v1/accounts/{id}"), json!({"owner_id": null})).await;
    assert_eq!(
        give_away.status,
        StatusCode::FORBIDDEN,
        "a CSM does not hand the account away"
    );
    let not_an_object = patch(&admin, format!("/api/v1/accounts/{id}"), json!(["name"])).await;
    assert_eq!(not_an_object.status, StatusCode::BAD_REQUEST);

    let contract = api
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contracts"),
            Some(&admin),
            Some(json!({"external_id": "k1", "start_date": "2025-01-01", "end_date": "2026-01-01", "arr": "12000"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let moved = patch(
        &admin,
        format!("/api/v1/contracts/{contract}"),
        json!({"end_date": "2026-06-30"}),
    )
    .await;
    assert_eq!(
        (
            moved.status,
            moved.body["end_date"].as_str(),
            moved.body["arr"].as_str()
        ),
        (StatusCode::OK, Some("2026-06-30"), Some("12000.00")),
        "{}",
        moved.body
    );
    let arr = patch(&admin, format!("/api/v1/contracts/{contract}"), json!({"arr": "1"})).await;
    assert_eq!(
        (arr.status, arr.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("arr"))
    );

    let contact = api
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contacts"),
            Some(&admin),
            Some(json!({"external_id": "c1", "first_name": "Ada", "title": "CTO"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let left = patch(
        &ben_token,
        format!("/api/v1/contacts/{contact}"),
        json!({"status": "left", "left_on": "2026-11-30"}),
    )
    .await;
    assert_eq!(
        (left.status, left.body["title"].as_str(), left.body["status"].as_str()),
        (StatusCode::OK, Some("CTO"), Some("left")),
        "{}",
        left.body
    );

    let promoted = patch(&admin, format!("/api/v1/users/{ben}"), json!({"role": "leader"})).await;
    assert_eq!(
        (
            promoted.status,
            promoted.body["role"].as_str(),
            promoted.body["email"].as_str()
        ),
        (StatusCode::OK, Some("leader"), Some("ben@v.io"))
    );
    let audit = api
        .send("GET", "/api/v1/audit?kind=role_changed", Some(&admin), None)
        .await;
    assert_eq!(audit.body["entries"][0]["detail"], "ben@v.io: csm → leader");
}

#[tokio::test]
async fn the_top_bar_groups_pages_by_section_marks_the_current_one_and_offers_search() {
    let web = TestApp::new().await;
    web.user("ada@v.io", Role::Admin).await;
    web.user("lena@v.io", Role::Leader).await;
    web.user("cara@v.io", Role::Csm).await;
    let admin = web.session("ada@v.io").await;
    let page = |cookie: &str, uri: &str| {
        let (web, cookie, uri) = (&web, cookie.to_owned(), uri.to_owned());
        async move { web.browse("GET", &uri, Some(&cookie), None, None).await.text }
    };

    let accounts = page(&admin, "/accounts").await;
    for menu in ["menu-my-work", "menu-portfolio", "menu-reviews", "menu-admin"] {
        assert!(accounts.contains(&format!("id=\"{menu}\"")), "{menu}");
    }
    assert!(accounts.contains("<details class=\"menu current\" id=\"menu-portfolio\">"));
    assert!(accounts.contains("<a href=\"/accounts\" aria-current=\"page\">Accounts</a>"));
    assert!(accounts.contains("<a href=\"/today\">Today</a>"));
    assert!(accounts.contains("<form class=\"search\" role=\"search\" method=\"get\" action=\"/search\">"));
    assert!(accounts.contains("name=\"q\" id=\"global-search\""));
    let jobs = page(&admin, "/admin/jobs").await;
    assert!(jobs.contains("<details class=\"menu current\" id=\"menu-admin\">"));
    assert!(jobs.contains("<a href=\"/admin/jobs\" aria-current=\"page\">Jobs</a>"));
    assert!(!jobs.contains("<details class=\"menu current\" id=\"menu-portfolio\">"));

    // The admin entries follow the role, as before; a CSM has no Admin menu at all.
    let leader = page(&web.session("lena@v.io").await, "/team").await;
    assert!(leader.contains("id=\"menu-admin\"") && leader.contains("Health scoring"));
    assert!(!leader.contains("/admin/users"));
    assert!(leader.contains("class=\"top-link current\" href=\"/team\" aria-current=\"page\""));
    let csm = page(&web.session("cara@v.io").await, "/accounts").await;
    assert!(!csm.contains("id=\"menu-admin\"") && !csm.contains("/admin/"));
}
