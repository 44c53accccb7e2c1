//! Product usage through the real router: Segment-compatible ingestion (write keys, every call,
//! the limits, all-or-nothing batches, duplicates, saturation answered with 503 + Retry-After),
//! the usage and milestone API, falling accounts.

use crate::support::{Reply, TestApp};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lodestar_domain::text::Name;
use lodestar_server::AppState;
use lodestar_server::ingest::Ingestor;
use lodestar_store::testing::{SqliteWriteLock, TestDb};
use lodestar_store::{Store, UsageCounts};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A Segment source: the app and a write key.
struct Source {
    app: TestApp,
    key: String,
}

impl std::ops::Deref for Source {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

impl Source {
    async fn new() -> Source {
        Source::with_app(TestDb::sqlite().await, |store| {
            lodestar_server::app(store, lodestar_server::ServerConfig::default())
        })
        .await
    }

    async fn with_app(db: TestDb, app: impl FnOnce(Store) -> Router) -> Source {
        let (_, key) = lodestar_server::auth::issue_write_key(&db.store, &Name::parse("web app").unwrap())
            .await
            .unwrap();
        Source {
            app: TestApp::with_app(db, app).await,
            key,
        }
    }

    async fn post(&self, path: &str, key: Option<&str>, body: impl Into<String>) -> Reply {
        let mut req = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            req = req.header(
                header::AUTHORIZATION,
                format!("Basic {}", STANDARD.encode(format!("{k}:"))),
            );
        }
        self.exchange(req.body(Body::from(body.into())).unwrap()).await
    }

    async fn send(&self, path: &str, body: Value) -> Reply {
        self.post(path, Some(&self.key.clone()), body.to_string()).await
    }

    /// What is stored, once every acknowledged block is applied (events waiting for an
    /// account are known only then).
    async fn counts(&self) -> UsageCounts {
        self.settled().await;
        self.store.usage_counts().await.unwrap()
    }

    /// Applies what the server acknowledged and its follower may not have applied yet: the
    /// reads that follow count every event answered 200.
    async fn settled(&self) {
        self.store.apply_all_queued_usage().await.unwrap();
    }

    /// An API token of a new user of `role`.
    async fn token(&self, role: lodestar_domain::vocabulary::Role) -> String {
        self.app
            .api_user(&format!("{}@example.com", role.as_str()), role)
            .await
            .1
    }

    async fn api(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Reply {
        self.app.send(method, path, Some(token), body).await
    }
}

fn track(id: &str, user: &str, event: &str) -> Value {
    json!({"type": "track", "messageId": id, "userId": user, "event": event, "timestamp": "2026-11-20T10:00:00Z"})
}

#[tokio::test]
async fn every_call_is_stored_and_linked_to_its_account() {
    let s = Source::new().await;
    let admin = s.token(lodestar_domain::vocabulary::Role::Admin).await;
    let created = s
        .api(
            "POST",
            "/api/v1/accounts",
            &admin,
            Some(json!({"external_id": "acme", "name": "Acme"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let acme = lodestar_domain::AccountId(created.body["id"].as_i64().unwrap());
    let calls = [
        (
            "/v1/identify",
            json!({"messageId": "i1", "userId": "u1", "traits": {"email": "ann@acme.io"}}),
        ),
        (
            "/v1/group",
            json!({"messageId": "g1", "userId": "u1", "groupId": "acme"}),
        ),
        (
            "/v1/track",
            json!({"messageId": "t1", "userId": "u1", "event": "Report Exported", "timestamp": "2026-11-20T10:00:00Z"}),
        ),
        (
            "/v1/page",
            json!({"messageId": "p1", "userId": "u1", "name": "Dashboard", "timestamp": "2026-11-20T11:00:00Z"}),
        ),
        (
            "/v1/screen",
            json!({"messageId": "s1", "userId": "u1", "name": "Home", "timestamp": "2026-11-21T11:00:00Z"}),
        ),
        (
            "/v1/alias",
            json!({"messageId": "a1", "userId": "u1", "previousId": "anon-1"}),
        ),
    ];
    for (path, body) in calls {
        let reply = s.send(path, body).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
        assert_eq!(reply.body, json!({"success": true}));
    }
    let reply = s
        .send(
            "/v1/batch",
            json!({"batch": [track("t2", "u1", "Report Exported"), track("t3", "u2", "Signed In")], "sentAt": "2026-11-20T10:00:01Z", "writeKey": "ignored"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        s.counts().await,
        UsageCounts {
            events: 8,
            unmatched: 1
        },
        "u2 has no account yet"
    );
    let days = s
        .store
        .usage_days(acme, "2026-11-01".parse().unwrap(), "2026-11-30".parse().unwrap())
        .await
        .unwrap();
    let days: Vec<(String, i64, i64)> = days
        .into_iter()
        .map(|d| (d.day.to_string(), d.events, d.active_users))
        .collect();
    assert_eq!(days, [("2026-11-20".into(), 3, 1), ("2026-11-21".into(), 1, 1)]);
}

#[tokio::test]
async fn sources_without_a_live_write_key_are_refused() {
    let s = Source::new().await;
    let body = track("t1", "u1", "x").to_string();
    for key in [None, Some("wk_not-a-key")] {
        let reply = s.post("/v1/track", key, body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert!(
            reply.headers[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
    }
    let key = s.store.write_keys().await.unwrap()[0].id;
    s.store.revoke_write_key(key).await.unwrap();
    assert_eq!(
        s.send("/v1/track", track("t1", "u1", "x")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(s.counts().await.events, 0);
}

#[tokio::test]
async fn limits_and_bad_messages_answer_400_and_store_nothing_from_the_request() {
    let s = Source::new().await;
    let big = "x".repeat(33 * 1024);
    let reply = s
        .send(
            "/v1/track",
            json!({"messageId": "m", "userId": "u", "event": "x", "properties": {"p": big}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body["detail"].as_str().unwrap().contains("32768"),
        "{:?}",
        reply.body
    );

    let many: Vec<Value> = (0..400)
        .map(|i| json!({"type": "track", "messageId": format!("m{i}"), "userId": "u", "event": "x", "properties": {"p": "y".repeat(1400)}}))
        .collect();
    let reply = s.send("/v1/batch", json!({ "batch": many })).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body["detail"].as_str().unwrap().contains("500 KB"),
        "{:?}",
        reply.body
    );

    let reply = s
        .post(
            "/v1/batch",
            Some(&s.key.clone()),
            r#"{"batch": [{"type":"track","messageId":"ok","userId":"u","event":"x"}, {"type":"#,
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "malformed JSON");
    assert_eq!(reply.headers[header::CONTENT_TYPE], "application/problem+json");

    let reply = s
        .send(
            "/v1/batch",
            json!({"batch": [track("ok", "u", "x"), {"type": "track", "messageId": "bad", "userId": "u"}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["errors"][0]["field"], "batch[1].event", "{:?}", reply.body);
    assert_eq!(s.counts().await.events, 0, "nothing from a refused request is stored");
}

#[tokio::test]
async fn a_repeated_message_id_is_stored_once() {
    let s = Source::new().await;
    for _ in 0..3 {
        let reply = s
            .send(
                "/v1/batch",
                json!({"batch": [track("same", "u", "x"), track("same", "u", "x")]}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    assert_eq!(s.counts().await.events, 1);
}

#[tokio::test]
async fn a_saturated_server_answers_503_with_retry_after_and_loses_nothing_it_accepted() {
    let db = TestDb::sqlite().await;
    // A second connection holds the database's write lock, so the writer cannot commit.
    let url = db.url.clone();
    let s = Source::with_app(db, |store| {
        lodestar_server::app_with(AppState::new(
            store.clone(),
            Ingestor::with_limits(store, 8, 1),
            Default::default(),
        ))
    })
    .await;
    let lock = SqliteWriteLock::hold(&url).await;

    let first = tokio::spawn({
        let app = s.app.app.clone();
        let key = s.key.clone();
        async move { post_with(app, &key, json!({"batch": [track("a", "u", "x")]})).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let second = tokio::spawn({
        let app = s.app.app.clone();
        let key = s.key.clone();
        async move { post_with(app, &key, json!({"batch": [track("b", "u", "x")]})).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let third = s.send("/v1/batch", json!({"batch": [track("c", "u", "x")]})).await;
    assert_eq!(third.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", third.body);
    assert_eq!(third.headers[header::RETRY_AFTER], "1");

    lock.release().await;
    assert_eq!(first.await.unwrap(), StatusCode::OK);
    assert_eq!(second.await.unwrap(), StatusCode::OK);
    assert_eq!(
        s.counts().await.events,
        2,
        "both accepted batches are stored, the refused one is not"
    );
}

async fn post_with(app: Router, key: &str, body: Value) -> StatusCode {
    let req = Request::builder()
        .method("POST")
        .uri("/v1/batch")
        .header(
            header::AUTHORIZATION,
            format!("Basic {}", STANDARD.encode(format!("{key}:"))),
        )
        .body(Body::from(body.to_string()))
        .unwrap();
    app.oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn admins_define_milestones_and_everyone_reads_usage() {
    use lodestar_domain::vocabulary::Role;
    let s = Source::new().await;
    let admin = s.token(Role::Admin).await;
    let csm = s.token(Role::Csm).await;
    let milestone = json!({"name": "Exported", "feature": "Report Exported", "threshold_kind": "times",
                           "threshold": 2, "within_days": 30, "first_value": true});
    assert_eq!(
        s.api("POST", "/api/v1/milestones", &csm, Some(milestone.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bad = s
        .api(
            "POST",
            "/api/v1/milestones",
            &admin,
            Some(json!({"name": "X", "feature": " ", "threshold_kind": "often", "threshold": 0, "within_days": 0})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "threshold_kind", "{:?}", bad.body);
    let created = s.api("POST", "/api/v1/milestones", &admin, Some(milestone)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);

    let account = s
        .api(
            "POST",
            "/api/v1/accounts",
            &admin,
            Some(json!({"external_id": "acme", "name": "Acme",
            "lifecycle_stage": "land", "launch_date": "2026-11-01"})),
        )
        .await;
    assert_eq!(account.status, StatusCode::CREATED, "{:?}", account.body);
    let id = account.body["id"].as_i64().unwrap();
    let batch = json!({"batch": [
        {"type": "group", "messageId": "g", "userId": "u1", "groupId": "acme"},
        {"type": "track", "messageId": "a", "userId": "u1", "event": "Report Exported", "timestamp": "2026-11-03T10:00:00Z"},
        {"type": "track", "messageId": "b", "userId": "u1", "event": "Report Exported", "timestamp": "2026-11-04T10:00:00Z"},
        {"type": "track", "messageId": "c", "userId": "u9", "event": "Signed In", "context": {"groupId": "globex"}},
    ]});
    assert_eq!(s.send("/v1/batch", batch).await.status, StatusCode::OK);
    s.settled().await;

    let statuses = s
        .api("GET", &format!("/api/v1/accounts/{id}/milestones"), &csm, None)
        .await;
    assert_eq!(statuses.status, StatusCode::OK);
    assert_eq!(
        statuses.body[0]["status"],
        json!({"status": "achieved", "on": "2026-11-04"})
    );
    let account = s.api("GET", &format!("/api/v1/accounts/{id}"), &csm, None).await;
    assert_eq!(account.body["lifecycle_stage"], "adopt", "first value ended Land");
    let people = s.api("GET", &format!("/api/v1/accounts/{id}/people"), &csm, None).await;
    assert_eq!(people.body[0]["user_key"], "u1");
    let usage = s
        .api(
            "GET",
            &format!("/api/v1/accounts/{id}/usage?from=2026-11-01&to=2026-11-30"),
            &csm,
            None,
        )
        .await;
    assert_eq!(usage.body["days"].as_array().unwrap().len(), 2, "{:?}", usage.body);
    assert_eq!(usage.body["weeks"].as_array().unwrap().len(), 26);
    assert_eq!(
        s.api("GET", "/api/v1/usage/drops?share=2", &csm, None).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        s.api("GET", "/api/v1/usage/unmatched", &csm, None).await.status,
        StatusCode::FORBIDDEN
    );
    let unmatched = s.api("GET", "/api/v1/usage/unmatched", &admin, None).await;
    assert_eq!(unmatched.body["total"], 1);
    assert_eq!(unmatched.body["items"][0]["group_id"], "globex");
}

#[tokio::test]
async fn gzip_bodies_are_read_and_their_limit_applies_to_the_json() {
    use std::io::Write;
    let s = Source::new().await;
    let gzip = |json: &str| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(json.as_bytes()).unwrap();
        encoder.finish().unwrap()
    };
    let send = |body: Vec<u8>, encoding: &'static str| {
        Request::builder()
            .method("POST")
            .uri("/v1/batch")
            .header(
                header::AUTHORIZATION,
                format!("Basic {}", STANDARD.encode(format!("{}:", s.key))),
            )
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_ENCODING, encoding)
            .body(Body::from(body))
            .unwrap()
    };
    let batch = json!({"batch": [track("z1", "u", "x"), track("z2", "u", "x")]}).to_string();
    let reply = s.exchange(send(gzip(&batch), "gzip")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(s.counts().await.events, 2);

    // 600 KB of JSON compresses to almost nothing, and is still over the 500 KB limit.
    let huge = json!({"batch": [{"type": "track", "messageId": "big", "userId": "u", "event": "x",
        "properties": {"p": "a".repeat(600 * 1024)}}]})
    .to_string();
    let reply = s.exchange(send(gzip(&huge), "gzip")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body["detail"].as_str().unwrap().contains("500 KB"),
        "{:?}",
        reply.body
    );
    let reply = s.exchange(send(batch.into_bytes(), "br")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(s.counts().await.events, 2);
}

#[tokio::test]
async fn falling_accounts_come_a_page_at_a_time() {
    use lodestar_domain::vocabulary::Role;
    let s = Source::new().await;
    let admin = s.token(Role::Admin).await;
    let csm = s.token(Role::Csm).await;
    let today = chrono::Utc::now().date_naive();
    let at = |days_ago: u64| format!("{}T10:00:00Z", today - chrono::Days::new(days_ago));
    let mut batch = Vec::new();
    // Four people a month ago on each of three accounts; in the last week, one on the first,
    // two on the second, four (no fall) on the third.
    for (account, still_active) in [("falls-most", 1), ("falls-less", 2), ("steady", 4)] {
        let created = s
            .api(
                "POST",
                "/api/v1/accounts",
                &admin,
                Some(json!({"external_id": account, "name": account})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        for person in 0..4 {
            let user = format!("{account}-{person}");
            let mut event = |id: String, when: String| {
                batch.push(
                    json!({"type": "track", "messageId": id, "userId": user, "event": "Signed In",
                                  "context": {"groupId": account}, "timestamp": when}),
                );
            };
            event(format!("{user}-before"), at(30));
            if person < still_active {
                event(format!("{user}-now"), at(2));
            }
        }
    }
    assert_eq!(
        s.send("/v1/batch", json!({ "batch": batch })).await.status,
        StatusCode::OK
    );
    s.settled().await;

    let first = s.api("GET", "/api/v1/usage/drops?share=0.3&limit=1", &csm, None).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["total"], 2, "{:?}", first.body);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(first.body["items"][0]["name"], "falls-most");
    assert_eq!(first.body["items"][0]["active_before"], 4);
    assert_eq!(first.body["items"][0]["active_now"], 1);
    let next = s.api("GET", "/api/v1/usage/drops?limit=1&offset=1", &csm, None).await;
    assert_eq!(next.body["items"][0]["name"], "falls-less");
    let past = s.api("GET", "/api/v1/usage/drops?offset=5", &csm, None).await;
    assert_eq!(
        (past.body["total"].clone(), past.body["items"].clone()),
        (json!(2), json!([]))
    );
    let bad = s.api("GET", "/api/v1/usage/drops?limit=0", &csm, None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["errors"][0]["field"], "limit", "{:?}", bad.body);
}
