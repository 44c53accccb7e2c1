//! Hardening: where sign-in may send a browser, throttling that holds under parallel guessing,
//! idle sessions, passwords and deactivation, the CSRF guard, the audit log, the headers
//! every answer carries and the messages pages show.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use lodestar_domain::vocabulary::Role;
use lodestar_server::ServerConfig;
use lodestar_store::Clock;
use lodestar_store::testing::TestDb;
use serde_json::json;

use crate::support::{HOST, PASSWORD, TestApp, account, create_account};

use crate::support::ORIGIN;

fn app_with(config: ServerConfig, clock: Option<Clock>) -> impl FnOnce(lodestar_store::Store) -> axum::Router {
    move |store| {
        let store = match clock {
            Some(c) => store.with_clock(c),
            None => store,
        };
        lodestar_server::app(store, config)
    }
}

#[tokio::test]
async fn sign_in_sends_people_only_to_paths_on_this_site() {
    let web = TestApp::new().await;
    web.user("lena@v.io", Role::Leader).await;
    for (next, expected) in [
        ("/accounts/7", "/accounts/7"),
        ("//evil.example", "/accounts"),
        ("/%5Cevil.example", "/accounts"),
        ("/%09/evil.example", "/accounts"),
        ("/%0A/evil.example", "/accounts"),
        ("/%00x", "/accounts"),
        ("https://evil.example", "/accounts"),
        ("%2F%2Fevil.example", "/accounts"),
    ] {
        let form = format!("email=lena@v.io&password={}&next={next}", PASSWORD.replace(' ', "+"));
        let reply = web.browse("POST", "/sign-in", None, Some(ORIGIN), Some(&form)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{next}");
        assert_eq!(reply.headers[header::LOCATION], expected, "next={next}");
        let page = web
            .browse("GET", &format!("/sign-in?next={next}"), None, None, None)
            .await;
        assert!(
            page.text.contains(&format!("name=\"next\" value=\"{expected}\"")),
            "the form carries only a safe path for next={next}"
        );
    }
}

#[tokio::test]
async fn forty_guesses_at_once_get_at_most_five_evaluations() {
    let web = TestApp::new().await;
    web.user("lena@v.io", Role::Leader).await;
    let guesses = (0..40).map(|i| {
        let web_app = web.app.clone();
        tokio::spawn(async move {
            let form = format!("email=lena@v.io&password=guess{i:04}guess&next=/accounts");
            let req = Request::builder()
                .method("POST")
                .uri("/sign-in")
                .header(header::HOST, HOST)
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap();
            tower::ServiceExt::oneshot(web_app, req).await.unwrap().status()
        })
    });
    let (mut evaluated, mut throttled) = (0, 0);
    for g in guesses {
        match g.await.unwrap() {
            StatusCode::UNAUTHORIZED => evaluated += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(evaluated <= 5, "{evaluated} passwords were checked");
    assert_eq!(evaluated + throttled, 40);
    let failures = web
        .store
        .audit_entries(&Default::default(), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.as_str() == "sign_in_failed")
        .count();
    assert_eq!(failures, evaluated, "each checked guess is in the audit log");
}

#[tokio::test]
async fn one_address_guessing_many_emails_is_throttled_and_the_proxy_header_is_only_read_when_trusted() {
    let config = ServerConfig {
        client_address_header: Some(lodestar_server::config::header_name("X-Forwarded-For").unwrap()),
        ..Default::default()
    };
    let limit = config.sign_in.per_client;
    let web = TestApp::with_app(TestDb::sqlite().await, app_with(config, None)).await;
    let from = |address: &'static str, email: String| {
        let form = format!("email={email}&password=not+the+password&next=/accounts");
        Request::builder()
            .method("POST")
            .uri("/sign-in")
            .header(header::HOST, HOST)
            .header(header::ORIGIN, ORIGIN)
            .header("x-forwarded-for", format!("198.51.100.7, {address}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap()
    };
    for i in 0..limit {
        let reply = web.exchange(from("203.0.113.9", format!("person{i}@v.io"))).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let blocked = web.exchange(from("203.0.113.9", "fresh@v.io".into())).await;
    assert_eq!(
        blocked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address, not the email"
    );
    let other = web.exchange(from("203.0.113.10", "fresh@v.io".into())).await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED, "another address is not blocked");
    let logged = web.store.audit_entries(&Default::default(), 1).await.unwrap();
    assert_eq!(
        logged[0].client.as_deref(),
        Some("203.0.113.10"),
        "the proxy's entry, not the one the client wrote"
    );

    // Without the setting, the header is anyone's to write and is ignored.
    let untrusting = TestApp::new().await;
    let reply = untrusting.exchange(from("203.0.113.9", "x@v.io".into())).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let logged = untrusting.store.audit_entries(&Default::default(), 1).await.unwrap();
    assert_eq!(logged[0].client, None);
}

#[tokio::test]
async fn sessions_end_after_two_idle_hours_and_use_a_host_only_cookie() {
    let clock = Clock::fixed(chrono::Utc::now());
    let web = TestApp::with_app(
        TestDb::sqlite().await,
        app_with(ServerConfig::default(), Some(clock.clone())),
    )
    .await;
    web.user("lena@v.io", Role::Leader).await;
    let signed = web.sign_in("lena@v.io", PASSWORD, None).await;
    let set = signed.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.starts_with("__Host-lodestar_session="), "{set}");
    assert!(!set.contains("Domain"), "{set}");
    let cookie = signed.cookie().unwrap();
    let page = |c: &str| {
        let c = c.to_owned();
        let web = &web;
        async move { web.browse("GET", "/accounts", Some(&c), None, None).await.status }
    };
    clock.advance(Duration::minutes(100));
    assert_eq!(page(&cookie).await, StatusCode::OK, "used within two hours");
    clock.advance(Duration::minutes(100));
    assert_eq!(
        page(&cookie).await,
        StatusCode::OK,
        "the last use counts, not the sign-in"
    );
    clock.advance(Duration::minutes(121));
    assert_eq!(page(&cookie).await, StatusCode::SEE_OTHER, "idle for two hours: ended");

    let fresh = web.session("lena@v.io").await;
    for _ in 0..13 {
        clock.advance(Duration::minutes(60));
        if page(&fresh).await != StatusCode::OK {
            break;
        }
    }
    assert_eq!(page(&fresh).await, StatusCode::SEE_OTHER, "twelve hours at most");
}

#[tokio::test]
async fn people_change_their_password_and_admins_reset_and_deactivate() {
    let web = TestApp::new().await;
    let admin = web.user("root@v.io", Role::Admin).await;
    let csm = web.user("cara@v.io", Role::Csm).await;
    let admin_session = web.session("root@v.io").await;
    let here = web.session("cara@v.io").await;
    let elsewhere = web.session("cara@v.io").await;
    let token = web.token_for(csm, Role::Csm).await;

    // Changing one's own password needs the current one; other sessions end, this one stays.
    let wrong = web
        .browse(
            "POST",
            "/me/password",
            Some(&here),
            Some(ORIGIN),
            Some("current_password=nope&new_password=a+brand+new+secret&repeat_password=a+brand+new+secret"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text.contains("is not your current password"), "{}", wrong.text);
    let changed = web
        .browse(
            "POST",
            "/me/password",
            Some(&here),
            Some(ORIGIN),
            Some("current_password=correct+horse+battery&new_password=a+brand+new+secret&repeat_password=a+brand+new+secret"),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert!(changed.text.contains("Your password is changed"));
    let status = |c: String| {
        let web = &web;
        async move { web.browse("GET", "/accounts", Some(&c), None, None).await.status }
    };
    assert_eq!(status(here.clone()).await, StatusCode::OK, "this session stays");
    assert_eq!(status(elsewhere).await, StatusCode::SEE_OTHER, "the others end");
    assert_eq!(
        web.sign_in("cara@v.io", PASSWORD, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        web.sign_in("cara@v.io", "a brand new secret", None)
            .await
            .cookie()
            .is_some()
    );

    // The API does the same for a token's user.
    let api_change = web
        .send(
            "POST",
            "/api/v1/me/password",
            Some(&token),
            Some(json!({"current_password": "a brand new secret", "new_password": "short"})),
        )
        .await;
    assert_eq!(api_change.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api_change.body["errors"][0]["field"], "new_password");

    // An admin resets it: every session of the user ends.
    let (_, admin_token) = (admin, web.token_for(admin, Role::Admin).await);
    let reset = web
        .send(
            "POST",
            &format!("/api/v1/users/{csm}/password"),
            Some(&admin_token),
            Some(json!({"password": "set by the admin"})),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.body);
    assert_eq!(status(here).await, StatusCode::SEE_OTHER);
    let csm_refused = web
        .send(
            "POST",
            &format!("/api/v1/users/{admin}/password"),
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(csm_refused.status, StatusCode::FORBIDDEN, "whatever the body");

    // Deactivation locks the user out at once: sessions, sign-in and tokens.
    let session = web
        .sign_in("cara@v.io", "set by the admin", None)
        .await
        .cookie()
        .unwrap();
    let owned = create_account(&web, &admin_token, account("caras", Some(csm))).await;
    let off = web
        .browse(
            "POST",
            &format!("/admin/users/{csm}/deactivate"),
            Some(&admin_session),
            Some(ORIGIN),
            Some(""),
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert_eq!(status(session).await, StatusCode::SEE_OTHER);
    assert_eq!(
        web.sign_in("cara@v.io", "set by the admin", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        web.send("GET", "/api/v1/accounts", Some(&token), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let kept = web
        .send("GET", &format!("/api/v1/accounts/{owned}"), Some(&admin_token), None)
        .await;
    assert_eq!(kept.body["owner_id"], csm.0, "their records stay");
    let users = web
        .browse("GET", "/admin/users", Some(&admin_session), None, None)
        .await;
    assert!(users.text.contains("Deactivated"));
    let on = web
        .send(
            "POST",
            &format!("/api/v1/users/{csm}/reactivate"),
            Some(&admin_token),
            None,
        )
        .await;
    assert_eq!(on.status, StatusCode::NO_CONTENT);
    assert_eq!(
        web.send("GET", "/api/v1/accounts", Some(&token), None).await.status,
        StatusCode::OK
    );
    let myself = web
        .send(
            "POST",
            &format!("/api/v1/users/{admin}/deactivate"),
            Some(&admin_token),
            None,
        )
        .await;
    assert_eq!(
        myself.status,
        StatusCode::CONFLICT,
        "an admin cannot lock themselves out"
    );

    // All of it is in the audit log, readable by admins only.
    let log = web
        .send("GET", "/api/v1/audit?limit=500", Some(&admin_token), None)
        .await;
    let kinds: Vec<&str> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "sign_in",
        "sign_in_failed",
        "password_changed",
        "password_reset",
        "user_deactivated",
        "user_reactivated",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let resets = web
        .send("GET", "/api/v1/audit?kind=password_reset", Some(&admin_token), None)
        .await;
    let entry = &resets.body["entries"][0];
    assert_eq!(
        (entry["actor"].as_str(), entry["subject"].as_str()),
        (
            Some("root@v.io (token \"test\", #2)"),
            Some(format!("user {csm}").as_str())
        ),
        "{entry}"
    );
    assert_eq!(
        web.send("GET", "/api/v1/audit", Some(&token), None).await.status,
        StatusCode::FORBIDDEN
    );
    let page = web
        .browse(
            "GET",
            "/admin/audit?kind=password_reset",
            Some(&admin_session),
            None,
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Reset a password") && page.text.contains("root@v.io"));
}

#[tokio::test]
async fn only_a_bearer_api_token_skips_the_origin_check() {
    let web = TestApp::new().await;
    web.user("lena@v.io", Role::Leader).await;
    let cookie = web.session("lena@v.io").await;
    let post = |authorization: &'static str, uri: &'static str| {
        Request::builder()
            .method("POST")
            .uri(uri)
            .header(header::HOST, HOST)
            .header(header::COOKIE, &cookie)
            .header(header::AUTHORIZATION, authorization)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(account("forged", None).to_string()))
            .unwrap()
    };
    let basic = web.exchange(post("Basic bGVuYTpwdw==", "/api/v1/accounts")).await;
    assert_eq!(basic.status, StatusCode::FORBIDDEN, "a cookie request is checked");
    assert!(basic.body["detail"].as_str().unwrap().contains("cross-site"));
    let bearer_page = web.exchange(post("Bearer lst_x", "/sign-out")).await;
    assert_eq!(bearer_page.status, StatusCode::FORBIDDEN, "pages always check");
    // A token of the right form that no one was given.
    let unknown = "Bearer lst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let bearer_api = web.exchange(post(unknown, "/api/v1/accounts")).await;
    assert_eq!(
        bearer_api.status,
        StatusCode::UNAUTHORIZED,
        "judged by the token alone, never the cookie"
    );
    assert_eq!(web.store.count_accounts().await.unwrap(), 0);
}

#[tokio::test]
async fn answers_are_not_cached_and_hsts_follows_the_public_url() {
    let https = ServerConfig {
        https: true,
        ..Default::default()
    };
    let web = TestApp::with_app(TestDb::sqlite().await, app_with(https, None)).await;
    let (_, token) = web.api_user("lena@v.io", Role::Leader).await;
    web.user("page@v.io", Role::Leader).await;
    let cookie = web.session("page@v.io").await;
    let api = web.send("GET", "/api/v1/accounts", Some(&token), None).await;
    let page = web.browse("GET", "/accounts", Some(&cookie), None, None).await;
    let asset = web.browse("GET", "/assets/app.css", None, None, None).await;
    for reply in [&api, &page] {
        assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
        assert!(
            reply.headers[header::STRICT_TRANSPORT_SECURITY]
                .to_str()
                .unwrap()
                .starts_with("max-age=")
        );
    }
    assert_ne!(asset.headers[header::CACHE_CONTROL], "no-store", "assets may be cached");
    let plain = TestApp::new().await;
    let reply = plain.browse("GET", "/sign-in", None, None, None).await;
    assert!(!reply.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
}

#[tokio::test]
async fn pages_print_no_message_handed_to_them_in_the_url() {
    let web = TestApp::new().await;
    let (leader, token) = web.api_user("lead@v.io", Role::Leader).await;
    let id = create_account(&web, &token, account("acme", Some(leader))).await;
    web.user("page@v.io", Role::Leader).await;
    let cookie = web.session("page@v.io").await;
    for param in ["health_error", "error"] {
        let page = web
            .browse(
                "GET",
                &format!("/accounts/{id}?{param}=Call+0800+123+456+to+verify+your+account"),
                Some(&cookie),
                None,
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.text.contains("0800"), "{param} is not shown");
    }
    // A form's real problem is still shown after the redirect, once.
    let bad = web
        .browse(
            "POST",
            &format!("/accounts/{id}/pulse"),
            Some(&cookie),
            Some(ORIGIN),
            Some("level=9&reason="),
        )
        .await;
    assert_eq!(bad.status, StatusCode::SEE_OTHER);
    let to = bad.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(!to.contains('?'), "{to}");
    let shown = web.browse("GET", &to, Some(&cookie), None, None).await;
    assert!(shown.text.contains("is not a pulse level"), "the problem is shown");
    let again = web.browse("GET", &to, Some(&cookie), None, None).await;
    assert!(!again.text.contains("is not a pulse level"), "once");
}

#[tokio::test]
async fn metrics_are_read_with_a_metrics_token_and_count_requests_by_route() {
    use lodestar_domain::text::Name;
    use lodestar_domain::vocabulary::TokenScope;
    let web = TestApp::new().await;
    let (_, viewer) = web.api_user("view@v.io", Role::Viewer).await;
    let (_, metrics) = lodestar_server::auth::issue_token(
        &web.store,
        &Name::parse("prometheus").unwrap(),
        Role::Viewer,
        None,
        TokenScope::Metrics,
    )
    .await
    .unwrap();
    for _ in 0..3 {
        assert_eq!(
            web.send("GET", "/api/v1/accounts", Some(&viewer), None).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        web.send("GET", "/metrics", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        web.send("GET", "/metrics", Some(&viewer), None).await.status,
        StatusCode::FORBIDDEN,
        "an API token of another role is not a metrics token"
    );
    let refused = web.send("GET", "/api/v1/accounts", Some(&metrics), None).await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "a metrics token reads nothing else"
    );
    let scraped = web.send("GET", "/metrics", Some(&metrics), None).await;
    assert_eq!(scraped.status, StatusCode::OK);
    assert!(scraped.content_type.starts_with("application/openmetrics-text"));
    for line in [
        "lodestar_http_requests_total{method=\"GET\",route=\"/api/v1/accounts\",status=\"200\"} 3",
        "lodestar_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/accounts\"} 4",
        "lodestar_ingest_queue_depth 0",
        "lodestar_ingest_requests_in_memory 0",
        "lodestar_events_stored_total 0",
        "lodestar_jobs{state=\"failed\"} 0",
    ] {
        assert!(scraped.text.contains(line), "{line} in\n{}", scraped.text);
    }
}
