//! The JSON API through the real router, in-process: per role, allowed and refused.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use lodestar_domain::UserId;
use lodestar_domain::text::{Email, Name};
use lodestar_domain::user::UserFields;
use lodestar_domain::vocabulary::Role;
use lodestar_store::Store;
use lodestar_store::testing::TestDb;
use serde_json::{Value, json};
use tower::ServiceExt;

struct Api {
    app: Router,
    store: Store,
    _db: TestDb,
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: Value,
}

impl Api {
    async fn new() -> Api {
        let db = TestDb::sqlite().await;
        Api {
            app: lodestar_server::app(db.store.clone()),
            store: db.store.clone(),
            _db: db,
        }
    }

    async fn user(&self, email: &str, role: Role) -> (UserId, String) {
        let fields = UserFields {
            email: Email::parse(email).unwrap(),
            name: Name::parse(email).unwrap(),
            role,
            manager_id: None,
            capacity: None,
        };
        let user = self.store.create_user(fields.validate(None).unwrap()).await.unwrap();
        let (_, secret) =
            lodestar_server::auth::issue_token(&self.store, &Name::parse("test").unwrap(), role, Some(user.id))
                .await
                .unwrap();
        (user.id, secret)
    }

    /// Creates an account through the API; its id.
    async fn create_account(&self, token: &str, body: Value) -> i64 {
        let created = self.send("POST", "/api/v1/accounts", Some(token), Some(body)).await;
        created.body["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("not created: {:?}", created.body))
    }

    async fn send(&self, method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
        Reply {
            status,
            content_type,
            body,
        }
    }
}

fn account(key: &str, owner: Option<UserId>) -> Value {
    json!({"external_id": key, "name": format!("Account {key}"), "tier": "enterprise", "owner_id": owner.map(|o| o.0)})
}

#[tokio::test]
async fn health_and_openapi_are_public() {
    let api = Api::new().await;
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
}

#[tokio::test]
async fn requests_without_a_live_token_are_refused() {
    let api = Api::new().await;
    let none = api.send("GET", "/api/v1/accounts", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.content_type, "application/problem+json");
    assert_eq!(none.body["status"], 401);
    let forged = api.send("GET", "/api/v1/accounts", Some("lst_forged"), None).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let (_, token) = api.user("v@v.io", Role::Viewer).await;
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
    let api = Api::new().await;
    let (_, admin) = api.user("admin@v.io", Role::Admin).await;
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
    let api = Api::new().await;
    let (_, admin) = api.user("admin@v.io", Role::Admin).await;
    let (_, leader) = api.user("lead@v.io", Role::Leader).await;
    let (anna, anna_token) = api.user("anna@v.io", Role::Csm).await;
    let (ben, ben_token) = api.user("ben@v.io", Role::Csm).await;
    let (assoc, assoc_token) = api.user("al@v.io", Role::AssociateCsm).await;
    let mut readers = Vec::new();
    for (email, role) in [
        ("ae@v.io", Role::Ae),
        ("exec@v.io", Role::Executive),
        ("view@v.io", Role::Viewer),
    ] {
        readers.push(api.user(email, role).await.1);
    }

    // Creating: leaders and admins anything; CSMs only into their own book; readers nothing.
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
    assert_eq!(
        api.send(
            "POST",
            "/api/v1/accounts",
            Some(&anna_token),
            Some(account("annas", Some(anna)))
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        api.send(
            "POST",
            "/api/v1/accounts",
            Some(&assoc_token),
            Some(account("als", Some(assoc)))
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        api.send(
            "POST",
            "/api/v1/accounts",
            Some(&anna_token),
            Some(account("x2", Some(ben)))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    for r in &readers {
        assert_eq!(
            api.send("POST", "/api/v1/accounts", Some(r), Some(account("x3", None)))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
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
    let (_, integration) =
        lodestar_server::auth::issue_token(&api.store, &Name::parse("sync").unwrap(), Role::Csm, None)
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
async fn lists_filter_sort_and_page() {
    let api = Api::new().await;
    let (csm, _) = api.user("csm@v.io", Role::Csm).await;
    let (_, leader) = api.user("lead@v.io", Role::Leader).await;
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
    let api = Api::new().await;
    let (_, admin) = api.user("admin@v.io", Role::Admin).await;
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
    let api = Api::new().await;
    let (anna, anna_token) = api.user("anna@v.io", Role::Csm).await;
    let (_, ben_token) = api.user("ben@v.io", Role::Csm).await;
    let (_, viewer) = api.user("view@v.io", Role::Viewer).await;
    let (_, leader) = api.user("lead@v.io", Role::Leader).await;
    let acc = api.create_account(&leader, account("annas", Some(anna))).await;

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
async fn only_admins_write_users_through_the_api() {
    let api = Api::new().await;
    let (_, admin) = api.user("admin@v.io", Role::Admin).await;
    let (_, leader) = api.user("lead@v.io", Role::Leader).await;
    let body = json!({"email": "New@V.io", "name": "New Person", "role": "csm", "capacity": 40});
    assert_eq!(
        api.send("POST", "/api/v1/users", Some(&leader), Some(body.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let created = api
        .send("POST", "/api/v1/users", Some(&admin), Some(body.clone()))
        .await;
    assert_eq!(
        (created.status, created.body["email"].as_str()),
        (StatusCode::CREATED, Some("new@v.io"))
    );
    assert_eq!(
        api.send("POST", "/api/v1/users", Some(&admin), Some(body)).await.status,
        StatusCode::CONFLICT
    );
    let id = created.body["id"].as_i64().unwrap();
    let own_manager = json!({"email": "new@v.io", "name": "New Person", "role": "csm", "manager_id": id});
    let refused = api
        .send("PUT", &format!("/api/v1/users/{id}"), Some(&admin), Some(own_manager))
        .await;
    assert_eq!(
        (refused.status, refused.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("manager_id"))
    );
    let promoted = json!({"email": "new@v.io", "name": "New Person", "role": "leader"});
    assert_eq!(
        api.send("PUT", &format!("/api/v1/users/{id}"), Some(&admin), Some(promoted))
            .await
            .body["role"],
        "leader"
    );
    let acc = api
        .send(
            "POST",
            "/api/v1/accounts",
            Some(&admin),
            Some(account("theirs", Some(UserId(id)))),
        )
        .await;
    let busy = api
        .send("DELETE", &format!("/api/v1/users/{id}"), Some(&admin), None)
        .await;
    assert_eq!(
        busy.status,
        StatusCode::CONFLICT,
        "an owner of accounts stays until they are handed over"
    );
    let acc = acc.body["id"].as_i64().unwrap();
    api.send("DELETE", &format!("/api/v1/accounts/{acc}"), Some(&admin), None)
        .await;
    assert_eq!(
        api.send("DELETE", &format!("/api/v1/users/{id}"), Some(&admin), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.send("GET", &format!("/api/v1/users/{id}"), Some(&admin), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn health_scores_explain_themselves_and_only_admins_change_scorecards() {
    let api = Api::new().await;
    let (_, admin) = api.user("admin@v.io", Role::Admin).await;
    let (_, leader) = api.user("lead@v.io", Role::Leader).await;
    let (anna, anna_token) = api.user("anna@v.io", Role::Csm).await;
    let (_, ben_token) = api.user("ben@v.io", Role::Csm).await;
    let id = api.create_account(&admin, account("annas", Some(anna))).await;

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
    assert_eq!(health.body["measures"].as_array().unwrap().len(), 8);
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

#[tokio::test]
async fn risk_lxl_reviews_and_churns_follow_the_book_and_name_bad_fields() {
    let api = Api::new().await;
    let (_, admin) = api.user("admin@v.io", Role::Admin).await;
    let (_, leader) = api.user("lead@v.io", Role::Leader).await;
    let (anna, anna_token) = api.user("anna@v.io", Role::Csm).await;
    let (_, ben_token) = api.user("ben@v.io", Role::Csm).await;
    let id = api.create_account(&admin, account("annas", Some(anna))).await;
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
