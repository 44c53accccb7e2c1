//! The team and its access: users through the API (admins), sign-in, throttling, sessions,
//! and the admin pages for users and tokens.

use crate::support::{PASSWORD, TestApp, account};
use axum::http::{StatusCode, header};
use lodestar_domain::UserId;
use lodestar_domain::vocabulary::Role;
use serde_json::json;

#[tokio::test]
async fn only_admins_write_users_through_the_api() {
    let api = TestApp::new().await;
    let (_, admin) = api.api_user("admin@v.io", Role::Admin).await;
    let (_, leader) = api.api_user("lead@v.io", Role::Leader).await;
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
async fn sign_in_sets_a_protected_cookie_and_never_reveals_who_exists() {
    let web = TestApp::new().await;
    web.user("lena@v.io", Role::Leader).await;
    let ok = web.sign_in("lena@v.io", PASSWORD, None).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let set = ok.headers[header::SET_COOKIE].to_str().unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing in {set}");
    }
    let wrong = web.sign_in("lena@v.io", "wrong password!", None).await;
    let unknown = web.sign_in("ghost@v.io", "wrong password!", None).await;
    assert_eq!(
        (wrong.status, unknown.status),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert!(wrong.text.contains("Email or password is wrong.") && unknown.text.contains("Email or password is wrong."));
    assert!(wrong.cookie().is_none());
}

#[tokio::test]
async fn repeated_failures_are_throttled_for_known_and_unknown_emails_alike() {
    let web = TestApp::new().await;
    web.user("lena@v.io", Role::Leader).await;
    for email in ["lena@v.io", "ghost@v.io"] {
        for _ in 0..5 {
            assert_eq!(
                web.sign_in(email, "wrong password!", None).await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        let blocked = web.sign_in(email, PASSWORD, None).await;
        assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert_eq!(blocked.headers["retry-after"], "900");
        assert!(blocked.cookie().is_none(), "even the right password waits");
    }
}

#[tokio::test]
async fn sessions_rotate_at_sign_in_and_end_at_sign_out() {
    let web = TestApp::new().await;
    web.user("lena@v.io", Role::Leader).await;
    let first = web.sign_in("lena@v.io", PASSWORD, None).await.cookie().unwrap();
    assert_eq!(
        web.browse("GET", "/accounts", Some(&first), None, None).await.status,
        StatusCode::OK
    );
    let second = web.sign_in("lena@v.io", PASSWORD, Some(&first)).await.cookie().unwrap();
    assert_ne!(first, second, "a new session id at every sign-in");
    let old = web.browse("GET", "/accounts", Some(&first), None, None).await;
    assert_eq!(old.status, StatusCode::SEE_OTHER, "the old session ended");
    assert_eq!(old.headers[header::LOCATION], "/sign-in?next=/accounts");
    let out = web
        .browse(
            "POST",
            "/sign-out",
            Some(&second),
            Some("http://lodestar.test"),
            Some(""),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(
        web.browse("GET", "/accounts", Some(&second), None, None).await.status,
        StatusCode::SEE_OTHER
    );
    let api = web.browse("GET", "/api/v1/accounts", Some(&second), None, None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn only_admins_manage_users_and_tokens() {
    let web = TestApp::new().await;
    web.user("ada@v.io", Role::Admin).await;
    web.user("lena@v.io", Role::Leader).await;
    let ada = web.sign_in("ada@v.io", PASSWORD, None).await.cookie().unwrap();
    let lena = web.sign_in("lena@v.io", PASSWORD, None).await.cookie().unwrap();
    let origin = Some("http://lodestar.test");
    for path in ["/admin/users", "/admin/tokens"] {
        assert_eq!(
            web.browse("GET", path, Some(&lena), None, None).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            web.browse("GET", path, Some(&ada), None, None).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(
        web.browse("POST", "/admin/tokens", Some(&lena), origin, Some("name=x&role=admin"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let created = web
        .browse(
            "POST",
            "/admin/tokens",
            Some(&ada),
            origin,
            Some("name=CRM+sync&role=viewer"),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.headers[header::CACHE_CONTROL], "no-store");
    let secret = created
        .text
        .split("<pre class=\"secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("lst_"));
    let again = web.browse("GET", "/admin/tokens", Some(&ada), None, None).await;
    assert!(!again.text.contains(&secret), "the secret is shown only once");
    let id = web.store.tokens().await.unwrap()[0].id;
    web.browse(
        "POST",
        &format!("/admin/tokens/{id}/revoke"),
        Some(&ada),
        origin,
        Some(""),
    )
    .await;
    assert!(web.store.tokens().await.unwrap()[0].revoked_at.is_some());

    let short = web
        .browse(
            "POST",
            "/admin/users",
            Some(&ada),
            origin,
            Some("email=new@v.io&name=New&role=csm&password=short"),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text.contains("at least 12 characters"));
    let added = web
        .browse(
            "POST",
            "/admin/users",
            Some(&ada),
            origin,
            Some("email=new@v.io&name=New+Person&role=csm&password=long+enough+secret"),
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert_eq!(
        web.sign_in("new@v.io", "long enough secret", None).await.status,
        StatusCode::SEE_OTHER,
        "the new person can sign in"
    );
}
