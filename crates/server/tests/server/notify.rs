//! Notifications: a person's settings (API and page), webhook targets (admins only, audited),
//! and delivery end to end through the job runner — a signed post to a local receiver retried
//! after a 500, posts to private addresses refused without an admin's leave, and an email
//! received by a real SMTP server (Python's aiosmtpd).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use lodestar_domain::JobId;
use lodestar_domain::job::JobState;
use lodestar_domain::notify::{Notification, Subject};
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::{AuditKind, NotificationKind, Role, TokenScope};
use lodestar_server::ServerConfig;
use lodestar_server::config::MailConfig;
use lodestar_server::jobs::{JobKinds, Runner, RunnerConfig};
use lodestar_store::testing::{TestDb, execute_sql};
use lodestar_store::{AuditFilter, Clock, Job, Store};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{TestApp, account, create_account};

use crate::support::ORIGIN;

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(crate) fn fast() -> RunnerConfig {
    RunnerConfig {
        poll: Duration::from_millis(5),
        ..RunnerConfig::default()
    }
}

/// Waits (up to 20 s) until `ready` holds of job `id`.
pub(crate) async fn until_job(store: &Store, id: JobId, what: &str, ready: impl Fn(&Job) -> bool) -> Job {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let job = store.job(id).await.unwrap().unwrap();
        if ready(&job) {
            return job;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}: {job:#?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub(crate) fn turned_red() -> Notification {
    Notification {
        kind: NotificationKind::AccountTurnedRed,
        subject: Subject::parse("Acme turned red").unwrap(),
        text: "Health fell to 31: usage dropped by half.".into(),
        link: Some("/accounts/1".into()),
        once_key: None,
    }
}

#[tokio::test]
async fn people_keep_their_own_settings_through_the_api() {
    let api = TestApp::new().await;
    let (jo, token) = api.api_user("jo@v.io", Role::Csm).await;
    let got = api.send("GET", "/api/v1/me/notifications", Some(&token), None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body["time_zone"], "UTC");
    assert_eq!(got.body["email_available"], false, "the test server has no SMTP server");
    let kinds = got.body["kinds"].as_array().unwrap();
    assert_eq!(kinds.len(), NotificationKind::ALL.len());
    assert!(
        kinds.iter().all(|k| k["email"] == true && k["webhook"] == true),
        "{kinds:?}"
    );

    let put = api
        .send(
            "PUT",
            "/api/v1/me/notifications",
            Some(&token),
            Some(json!({"time_zone": "Europe/Berlin",
                        "kinds": [{"kind": "daily_digest", "email": false, "webhook": true}]})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.body["time_zone"], "Europe/Berlin");
    let digest = put.body["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "daily_digest")
        .unwrap();
    assert_eq!(
        (digest["email"].clone(), digest["webhook"].clone()),
        (json!(false), json!(true))
    );
    let me = api
        .send("GET", &format!("/api/v1/users/{jo}"), Some(&token), None)
        .await;
    assert_eq!(me.body["time_zone"], "Europe/Berlin", "the users API shows it");

    let bad = api
        .send(
            "PUT",
            "/api/v1/me/notifications",
            Some(&token),
            Some(json!({"time_zone": "Mars/Olympus", "kinds": [{"kind": "gossip", "email": true, "webhook": true}]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["time_zone", "kinds"]);
    let unknown = api
        .send(
            "PUT",
            "/api/v1/me/notifications",
            Some(&token),
            Some(json!({"time_zone": "UTC", "kinds": [], "x": 1})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);

    let name = Name::parse("integration").unwrap();
    let (_, integration) = lodestar_server::auth::issue_token(&api.store, &name, Role::Admin, None, TokenScope::Api)
        .await
        .unwrap();
    let nobody = api
        .send("GET", "/api/v1/me/notifications", Some(&integration), None)
        .await;
    assert_eq!(nobody.status, StatusCode::FORBIDDEN, "an integration token is nobody");
}

#[tokio::test]
async fn admins_manage_webhook_targets_and_each_change_is_audited() {
    let api = TestApp::new().await;
    let (_, admin) = api.api_user("ada@v.io", Role::Admin).await;
    let (_, csm) = api.api_user("jo@v.io", Role::Csm).await;
    let hook = json!({"name": "#cs-alerts", "url": "https://hooks.example.com/T0/B0",
                      "kinds": ["account_turned_red", "daily_digest"]});
    for (method, path) in [("GET", "/api/v1/webhooks"), ("POST", "/api/v1/webhooks")] {
        let refused = api.send(method, path, Some(&csm), Some(hook.clone())).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{method} {path}");
    }

    let created = api
        .send("POST", "/api/v1/webhooks", Some(&admin), Some(hook.clone()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_i64().unwrap();
    assert!(created.body["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created.body["enabled"], true);
    assert_eq!(created.body["allow_private"], false);
    assert_eq!(created.body["kinds"], json!(["account_turned_red", "daily_digest"]));
    let listed = api.send("GET", "/api/v1/webhooks", Some(&admin), None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert!(listed.body[0].get("secret").is_none(), "the secret is shown once");
    let again = api.send("POST", "/api/v1/webhooks", Some(&admin), Some(hook)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    for (body, field) in [
        (
            json!({"name": "x", "url": "ftp://example.com/", "kinds": ["promise_due"]}),
            "url",
        ),
        (
            json!({"name": "x", "url": "http://10.0.0.7/hook", "kinds": ["promise_due"]}),
            "url",
        ),
        (
            json!({"name": "x", "url": "http://[::ffff:127.0.0.1]/", "kinds": ["promise_due"]}),
            "url",
        ),
        (
            json!({"name": "x", "url": "https://hooks.example.com/", "kinds": []}),
            "kinds",
        ),
        (
            json!({"name": "", "url": "https://hooks.example.com/", "kinds": ["promise_due"]}),
            "name",
        ),
    ] {
        let refused = api
            .send("POST", "/api/v1/webhooks", Some(&admin), Some(body.clone()))
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused.body["errors"][0]["field"], field, "{body}");
    }
    let inside =
        json!({"name": "on-prem", "url": "http://10.0.0.7/hook", "allow_private": true, "kinds": ["promise_due"]});
    let inside = api.send("POST", "/api/v1/webhooks", Some(&admin), Some(inside)).await;
    assert_eq!(
        inside.status,
        StatusCode::CREATED,
        "an admin may allow private addresses"
    );

    let path = format!("/api/v1/webhooks/{id}");
    let changed = api
        .send(
            "PUT",
            &path,
            Some(&admin),
            Some(json!({"name": "#cs-alerts", "url": "https://hooks.example.com/T0/B1",
                        "enabled": false, "kinds": ["promise_due"]})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(
        (changed.body["enabled"].clone(), changed.body["kinds"].clone()),
        (json!(false), json!(["promise_due"]))
    );
    let off = api.send("POST", &format!("{path}/test"), Some(&admin), None).await;
    assert_eq!(off.status, StatusCode::CONFLICT, "a turned-off target gets no test");
    let refused = api.send("POST", &format!("{path}/test"), Some(&csm), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let deleted = api.send("DELETE", &path, Some(&admin), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.send("GET", &path, Some(&admin), None).await.status,
        StatusCode::NOT_FOUND
    );

    for kind in [
        AuditKind::WebhookCreated,
        AuditKind::WebhookChanged,
        AuditKind::WebhookDeleted,
    ] {
        let filter = AuditFilter {
            kind: Some(kind),
            ..AuditFilter::default()
        };
        let entries = api.store.audit_entries(&filter, 10).await.unwrap();
        assert!(!entries.is_empty(), "{kind} is audited");
        assert!(entries.iter().all(|e| e.actor.starts_with("ada@v.io")), "{entries:?}");
        assert!(
            entries.iter().any(|e| e.detail.starts_with("\"#cs-alerts\"")),
            "{entries:?}"
        );
        assert!(
            !entries.iter().any(|e| e.detail.contains("/T0/")),
            "a URL's path may hold a token: {entries:?}"
        );
    }
    let created = AuditFilter {
        kind: Some(AuditKind::WebhookCreated),
        ..AuditFilter::default()
    };
    let created = api.store.audit_entries(&created, 10).await.unwrap();
    assert_eq!(
        created.last().unwrap().detail,
        "\"#cs-alerts\" → hooks.example.com (on; account_turned_red, daily_digest)"
    );
}

#[tokio::test]
async fn the_pages_set_ones_own_notifications_and_admins_the_webhooks() {
    let web = TestApp::new().await;
    let jo = web.user("jo@v.io", Role::Csm).await;
    web.user("ada@v.io", Role::Admin).await;
    let csm = web.session("jo@v.io").await;
    let admin = web.session("ada@v.io").await;

    let page = web.browse("GET", "/me/notifications", Some(&csm), None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("id=\"email-off\""),
        "no SMTP server: the page says so"
    );
    assert!(
        page.text.contains("href=\"/me/notifications\""),
        "linked from the user menu"
    );
    let form = "time_zone=America%2FNew_York&email=promise_due&webhook=daily_digest";
    let saved = web
        .browse("POST", "/me/notifications", Some(&csm), Some(ORIGIN), Some(form))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert!(saved.text.contains("Saved."));
    let settings = web.store.notification_settings(jo).await.unwrap();
    assert_eq!(settings.time_zone.as_str(), "America/New_York");
    for (kind, channels) in settings.channels {
        assert_eq!(channels.email, kind == NotificationKind::PromiseDue, "{kind}");
        assert_eq!(channels.webhook, kind == NotificationKind::DailyDigest, "{kind}");
    }
    let bad = web
        .browse(
            "POST",
            "/me/notifications",
            Some(&csm),
            Some(ORIGIN),
            Some("time_zone=Atlantis"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("unknown time zone"), "{}", bad.text);

    let refused = web.browse("GET", "/admin/webhooks", Some(&csm), None, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let page = web.browse("GET", "/admin/webhooks", Some(&admin), None, None).await;
    assert!(page.text.contains("Email is off"), "{}", page.text);
    let form = "name=%23cs-alerts&url=https%3A%2F%2Fhooks.example.com%2Fx&enabled=on&kinds=account_turned_red";
    let created = web
        .browse("POST", "/admin/webhooks", Some(&admin), Some(ORIGIN), Some(form))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    assert!(created.text.contains("whsec_"), "the secret is shown once");
    let target = web.store.webhook_targets().await.unwrap().remove(0);
    let id = target.id;

    let tested = web
        .browse(
            "POST",
            &format!("/admin/webhooks/{id}/test"),
            Some(&admin),
            Some(ORIGIN),
            Some(""),
        )
        .await;
    assert_eq!(tested.status, StatusCode::SEE_OTHER);
    let location = tested.headers[header::LOCATION].to_str().unwrap().to_owned();
    let page = web.browse("GET", &location, Some(&admin), None, None).await;
    assert!(
        page.text.contains("A test message to “#cs-alerts” is queued"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("whsec_"), "never shown again");
    let queued = web.store.jobs(Some(JobState::Queued), 10, 0).await.unwrap().1;
    assert_eq!(queued.iter().filter(|j| j.kind == "webhook").count(), 1);

    let off = "name=%23cs-alerts&url=https%3A%2F%2Fhooks.example.com%2Fx&kinds=account_turned_red&kinds=promise_due";
    let changed = web
        .browse(
            "POST",
            &format!("/admin/webhooks/{id}"),
            Some(&admin),
            Some(ORIGIN),
            Some(off),
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let target = web.store.webhook_target(id).await.unwrap();
    assert!(!target.fields.enabled, "an unticked box turns it off");
    assert_eq!(target.fields.kinds.len(), 2);
    let refused = web
        .browse(
            "POST",
            &format!("/admin/webhooks/{id}"),
            Some(&admin),
            Some(ORIGIN),
            Some("name=x&url=http%3A%2F%2F127.0.0.1%2F&kinds=promise_due"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let page = web.browse("GET", "/admin/webhooks", Some(&admin), None, None).await;
    assert!(
        page.text.contains("allow private addresses to post there"),
        "the problem is shown"
    );
    let deleted = web
        .browse(
            "POST",
            &format!("/admin/webhooks/{id}/delete"),
            Some(&admin),
            Some(ORIGIN),
            Some(""),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(web.store.webhook_targets().await.unwrap().is_empty());
}

/// What the local receiver got: each request's headers and body.
type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A webhook receiver on 127.0.0.1 that answers 500 to its first `failures` posts and 200
/// after; its URL.
async fn receiver(received: &Received, failures: usize) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let mut seen = seen.lock().unwrap();
                seen.push((headers, body));
                if seen.len() <= failures {
                    (StatusCode::INTERNAL_SERVER_ERROR, "try again later")
                } else {
                    (StatusCode::OK, "ok")
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/hook")
}

/// Checks a post's `X-Lodestar-Signature` as a receiver would, with its own HMAC.
fn assert_signed(headers: &HeaderMap, body: &str, secret: &str, now: DateTime<Utc>) {
    let signature = headers["x-lodestar-signature"].to_str().unwrap();
    let (t, v1) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap_or_else(|| panic!("not t=…,v1=…: {signature}"));
    assert_eq!(t, now.timestamp().to_string(), "signed at the time of the attempt");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(v1, expected, "HMAC-SHA256 over t.body with the target's secret");
}

#[tokio::test]
async fn a_webhook_post_is_signed_and_retried_after_a_500() {
    let clock = Clock::fixed(at("2026-12-02T15:00:00Z"));
    let config = ServerConfig {
        public_url: Some("https://cs.vendor.io".into()),
        ..ServerConfig::default()
    };
    let app_clock = clock.clone();
    let app_config = config.clone();
    let api = TestApp::with_app(TestDb::sqlite().await, move |store| {
        lodestar_server::app(store.with_clock(app_clock), app_config)
    })
    .await;
    let store = api.store.with_clock(clock.clone()).with_outbox(config.outbox());
    let (_, admin) = api.api_user("ada@v.io", Role::Admin).await;
    let (jo, _) = api.api_user("jo@v.io", Role::Csm).await;
    let received: Received = Arc::default();
    let url = receiver(&received, 1).await;
    let created = api
        .send(
            "POST",
            "/api/v1/webhooks",
            Some(&admin),
            Some(json!({"name": "local", "url": url, "allow_private": true, "kinds": ["account_turned_red"]})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let (target, secret) = (
        created.body["id"].as_i64().unwrap(),
        created.body["secret"].as_str().unwrap().to_owned(),
    );

    store.notify(jo, &turned_red()).await.unwrap();
    let (_, jobs) = store.jobs(Some(JobState::Queued), 10, 0).await.unwrap();
    let post = jobs.iter().find(|j| j.kind == "webhook").expect("a post is queued").id;
    let runner = Runner::start(store.clone(), JobKinds::standard(&config), fast());
    let failed = until_job(&store, post, "the first attempt failed", |j| j.last_error.is_some()).await;
    assert_eq!(failed.state, JobState::Queued, "retried later");
    assert_eq!(
        failed.last_error.as_deref(),
        Some("the receiver answered 500 Internal Server Error: try again later")
    );
    let shown = api
        .send("GET", &format!("/api/v1/webhooks/{target}"), Some(&admin), None)
        .await;
    assert_eq!(
        shown.body["last_error"],
        "the receiver answered 500 Internal Server Error: try again later"
    );
    let first_try = clock.now();

    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(received.lock().unwrap().len(), 1, "not before its back-off");
    clock.advance(chrono::Duration::seconds(30));
    let done = until_job(&store, post, "the retry is done", |j| j.state == JobState::Done).await;
    runner.stop().await;
    assert_eq!(done.attempts, 2);
    let shown = api
        .send("GET", &format!("/api/v1/webhooks/{target}"), Some(&admin), None)
        .await;
    assert_eq!(shown.body["last_error"], Value::Null, "delivered");

    let received = received.lock().unwrap();
    assert_eq!(received.len(), 2);
    for (i, (headers, body)) in received.iter().enumerate() {
        let sent_at = if i == 0 { first_try } else { clock.now() };
        assert_signed(headers, body, &secret, sent_at);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            headers["x-lodestar-delivery"],
            post.to_string(),
            "one delivery id for every try"
        );
        let json: Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["text"], "Acme turned red (for jo@v.io)");
        let markdown = json["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(
            markdown.contains("<https://cs.vendor.io/accounts/1|Open in Lodestar>"),
            "{markdown}"
        );
    }
}

#[tokio::test]
async fn a_webhook_never_reaches_a_private_address_without_leave() {
    let clock = Clock::fixed(at("2026-12-02T15:00:00Z"));
    let config = ServerConfig::default();
    let app_clock = clock.clone();
    let api = TestApp::with_app(TestDb::sqlite().await, move |store| {
        lodestar_server::app(store.with_clock(app_clock), ServerConfig::default())
    })
    .await;
    let store = api.store.with_clock(clock.clone());
    let (_, admin) = api.api_user("ada@v.io", Role::Admin).await;
    let received: Received = Arc::default();
    let url = receiver(&received, 0).await;
    let port = url.split(':').nth(2).unwrap().split('/').next().unwrap().to_owned();
    let mut posts = Vec::new();
    // A name that resolves to loopback (as a rebound name would) and an address literal, both
    // stored as allowed when created and then restricted, as an admin would on second thoughts.
    for (name, url) in [
        ("by-name", format!("http://localhost:{port}/hook")),
        ("by-address", format!("http://127.0.0.1:{port}/hook")),
    ] {
        let created = api
            .send(
                "POST",
                "/api/v1/webhooks",
                Some(&admin),
                Some(json!({"name": name, "url": url, "allow_private": true, "kinds": ["promise_due"]})),
            )
            .await;
        let id = created.body["id"].as_i64().unwrap();
        execute_sql(
            &store,
            &format!("UPDATE webhook_targets SET allow_private = 0 WHERE id = {id}"),
        )
        .await;
        let test = api
            .send("POST", &format!("/api/v1/webhooks/{id}/test"), Some(&admin), None)
            .await;
        assert_eq!(test.status, StatusCode::ACCEPTED, "{}", test.text);
        posts.push((name, JobId(test.body["job_id"].as_i64().unwrap())));
    }
    let runner = Runner::start(store.clone(), JobKinds::standard(&config), fast());
    for (name, post) in posts {
        let failed = until_job(&store, post, "the attempt failed", |j| j.last_error.is_some()).await;
        let error = failed.last_error.unwrap();
        assert!(error.contains("loopback, private or link-local"), "{name}: {error}");
        if name == "by-name" {
            assert!(
                error.contains("localhost resolves to"),
                "refused by the resolver: {error}"
            );
        }
    }
    runner.stop().await;
    assert!(received.lock().unwrap().is_empty(), "nothing reached the receiver");
}

#[tokio::test]
async fn the_digest_comes_in_the_local_morning_once_a_day() {
    // 06:00 UTC is 07:00 in Berlin.
    let clock = Clock::fixed(at("2026-12-02T06:00:00Z"));
    let config = ServerConfig::default();
    let app_clock = clock.clone();
    let api = TestApp::with_app(TestDb::sqlite().await, move |store| {
        lodestar_server::app(store.with_clock(app_clock), ServerConfig::default())
    })
    .await;
    let store = api.store.with_clock(clock.clone()).with_outbox(config.outbox());
    let (_, admin) = api.api_user("ada@v.io", Role::Admin).await;
    let (jo, jo_token) = api.api_user("jo@v.io", Role::Csm).await;
    let zone = json!({"time_zone": "Europe/Berlin", "kinds": []});
    api.send("PUT", "/api/v1/me/notifications", Some(&jo_token), Some(zone))
        .await;
    let renewing = create_account(&api, &admin, account("renewing", Some(jo))).await;
    let contract = json!({"external_id": "k1", "start_date": "2025-12-21", "end_date": "2026-12-20", "arr": "12000"});
    let added = api
        .send(
            "POST",
            &format!("/api/v1/accounts/{renewing}/contracts"),
            Some(&admin),
            Some(contract),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let red = create_account(&api, &admin, account("slipping", Some(jo))).await;
    let pulse = json!({"level": 1, "reason": "The champion left and nobody logs in"});
    let added = api
        .send(
            "POST",
            &format!("/api/v1/accounts/{red}/pulses"),
            Some(&jo_token),
            Some(pulse),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    // A meeting this afternoon (14:00 in Berlin) where Jo promised something already due.
    let meeting = json!({
        "kind": "check_in", "title": "Quarterly review", "starts_at": "2026-12-02T13:00:00Z", "duration_minutes": 60,
        "time_zone": "Europe/Berlin", "notes": "", "user_ids": [jo.0], "contact_ids": [],
        "promises": [{"description": "Send the SSO guide", "owner_user_id": jo.0, "due_on": "2026-11-30"}]
    });
    let logged = api
        .send(
            "POST",
            &format!("/api/v1/accounts/{renewing}/meetings"),
            Some(&jo_token),
            Some(meeting),
        )
        .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.text);
    let received: Received = Arc::default();
    let url = receiver(&received, 0).await;
    let hook = json!({"name": "digests", "url": url, "allow_private": true, "kinds": ["daily_digest"]});
    api.send("POST", "/api/v1/webhooks", Some(&admin), Some(hook)).await;

    let runner = Runner::start(store.clone(), JobKinds::standard(&config), fast());
    // Until its post is done: a runner stopped mid-post puts the post back, and the receiver
    // would see it twice (with one X-Lodestar-Delivery, to drop the repeat by).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, jobs) = store.jobs(Some(JobState::Done), 100, 0).await.unwrap();
        if jobs.iter().any(|j| j.kind == "webhook") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no digest was posted: {jobs:#?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    runner.stop().await;
    let (_, body) = received.lock().unwrap()[0].clone();
    let digest: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(digest["text"], "Your day, Wednesday 2 December (for jo@v.io)");
    let markdown = digest["blocks"][0]["text"]["text"].as_str().unwrap();
    // Today's lines, in Today's order.
    assert_eq!(
        markdown.lines().skip(1).collect::<Vec<_>>(),
        [
            "- Account renewing: Renews on 2026-12-20, in 18 days",
            "- Account renewing: Meeting today at 14:00 CET: Quarterly review",
            "- Account renewing: Our promise is 2 days overdue: Send the SSO guide",
            "- Account slipping: Red, and no meeting or note ever logged",
        ],
        "{markdown}"
    );
    assert!(markdown.starts_with("*Your day, Wednesday 2 December* (for jo@v.io)"));

    // A restart a quarter of an hour later: the sweep runs again, the digest does not.
    clock.advance(chrono::Duration::minutes(15));
    let runner = Runner::start(store.clone(), JobKinds::standard(&config), fast());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, jobs) = store.jobs(Some(JobState::Done), 100, 0).await.unwrap();
        if jobs.iter().any(|j| j.kind == "digest_sweep" && j.run_at == clock.now()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second sweep did not run: {jobs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    runner.stop().await;
    let (_, jobs) = store.jobs(None, 100, 0).await.unwrap();
    assert_eq!(
        jobs.iter().filter(|j| j.kind == "daily_digest").count(),
        1,
        "once a day"
    );
    assert_eq!(received.lock().unwrap().len(), 1);
}

/// The python that has aiosmtpd (LODESTAR_TEST_PYTHON): without it the email test is skipped
/// loudly, except under CI=true, where it must run.
fn smtp_python() -> Option<String> {
    match std::env::var("LODESTAR_TEST_PYTHON") {
        Ok(python) if !python.is_empty() => Some(python),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but LODESTAR_TEST_PYTHON is not set: the email test must run in CI"
            );
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n*** email test SKIPPED: set LODESTAR_TEST_PYTHON to a python with aiosmtpd (pip install aiosmtpd) ***\n"
            );
            None
        }
    }
}

/// A child process killed when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn an_email_reaches_a_real_smtp_server() {
    let Some(python) = smtp_python() else { return };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = tempfile::tempdir().unwrap();
    let _smtp = Child(
        std::process::Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("mail"))
            .spawn()
            .unwrap_or_else(|e| panic!("{python} -m aiosmtpd: {e}")),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "aiosmtpd did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let config = ServerConfig {
        public_url: Some("https://cs.vendor.io".into()),
        mail: Some(MailConfig::new(&format!("smtp://127.0.0.1:{port}"), "Lodestar <lodestar@vendor.io>").unwrap()),
        ..ServerConfig::default()
    };
    let api = TestApp::on(TestDb::sqlite().await).await;
    let store = api
        .store
        .with_clock(Clock::fixed(at("2026-12-02T15:00:00Z")))
        .with_outbox(config.outbox());
    let (jo, _) = api.api_user("jo@v.io", Role::Csm).await;
    store.notify(jo, &turned_red()).await.unwrap();
    let (_, jobs) = store.jobs(Some(JobState::Queued), 10, 0).await.unwrap();
    let email = jobs.iter().find(|j| j.kind == "email").expect("an email is queued").id;
    let runner = Runner::start(store.clone(), JobKinds::standard(&config), fast());
    let done = until_job(&store, email, "the email is sent", |j| {
        j.state == JobState::Done || j.last_error.is_some()
    })
    .await;
    runner.stop().await;
    assert_eq!((done.state, done.last_error.as_deref()), (JobState::Done, None));

    let new = maildir.path().join("mail").join("new");
    let messages: Vec<_> = std::fs::read_dir(&new).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(messages.len(), 1, "one message arrived");
    let raw = std::fs::read_to_string(&messages[0]).unwrap();
    assert!(raw.contains("From: Lodestar <lodestar@vendor.io>"), "{raw}");
    assert!(raw.contains("To: jo@v.io"), "{raw}");
    assert!(raw.contains("Subject: Acme turned red"), "{raw}");
    assert!(raw.contains("X-RcptTo: jo@v.io"), "the envelope went to Jo: {raw}");
    assert!(
        raw.contains("multipart/alternative"),
        "a text part and an HTML part: {raw}"
    );
    assert!(raw.contains("Health fell to 31: usage dropped by half."), "{raw}");
    assert!(raw.contains("https://cs.vendor.io/accounts/1"), "{raw}");
}
