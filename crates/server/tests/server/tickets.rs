//! Tickets and feature requests (F-43) over HTTP: the Zendesk webhook (its secret, its payload,
//! idempotence), an account's tickets and numbers, requests created, linked and ranked, the
//! Jira webhook (its signature, its payload, shipping tells the CSMs), and the pages.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hmac::{Hmac, Mac};
use lodestar_domain::vocabulary::{Role, TaskSource};
use lodestar_server::ServerConfig;
use lodestar_store::TaskView;
use lodestar_store::testing::TestDb;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{HOST, Reply, TestApp, account, create_account};

const ZENDESK_SECRET: &str = "zd-shared-secret";
const JIRA_SECRET: &str = "jira-shared-secret";

async fn app() -> TestApp {
    let config = ServerConfig {
        zendesk_secret: Some(ZENDESK_SECRET.into()),
        jira_secret: Some(JIRA_SECRET.into()),
        ..ServerConfig::default()
    };
    TestApp::with_app(TestDb::sqlite().await, move |store| lodestar_server::app(store, config)).await
}

/// Posts `body` as is, with `headers`, and no token or cookie (as the help desk does).
async fn hook(app: &TestApp, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    app.exchange(req.body(Body::from(body.to_owned())).unwrap()).await
}

fn zendesk_event(id: &str, org: &str, status: &str) -> String {
    json!({
        "type": "zen:event-type:ticket.status_changed",
        "account_id": 88888888,
        "id": "01HNXXXX-CTEXAMPLE",
        "time": "2026-11-20T10:00:00Z",
        "zendesk_event_version": "2022-11-06",
        "subject": format!("zen:ticket:{id}"),
        "detail": {
            "id": id, "subject": "SSO login fails for new users", "status": status, "priority": "urgent",
            "created_at": "2026-11-20T09:00:00Z", "updated_at": "2026-11-20T15:00:00Z",
            "tags": ["sso", "login"], "requester": {"email": "ada@acme.example"},
            "organization": {"external_id": org}, "via": {"channel": "web"}
        }
    })
    .to_string()
}

fn signature(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn jira_event(key: &str, status: &str, category: &str) -> String {
    json!({
        "timestamp": 1_764_600_000_000_i64,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "issue": {"id": "10500", "key": key, "fields": {
            "summary": "SAML single sign-on",
            "status": {"name": status, "id": "10001", "statusCategory": {"key": category}}
        }},
        "changelog": {"items": [{"field": "status", "toString": status}]}
    })
    .to_string()
}

async fn tickets(app: &TestApp, token: &str, account: i64) -> Value {
    app.send("GET", &format!("/api/v1/accounts/{account}/tickets"), Some(token), None)
        .await
        .body
}

fn is_problem(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.content_type, "application/problem+json", "{}", reply.text);
}

#[tokio::test]
async fn zendesk_tickets_arrive_by_webhook_once_each_and_only_with_the_secret() {
    let app = app().await;
    let lead = app.api_user("lead@v.io", Role::Leader).await.1;
    let id = create_account(&app, &lead, account("acme", None)).await;

    let body = zendesk_event("35436", "acme", "Open");
    let secret = |s: &'static str| [("X-Lodestar-Webhook-Secret", s)];
    is_problem(
        &hook(&app, "/api/v1/webhooks/zendesk", &[], &body).await,
        StatusCode::UNAUTHORIZED,
    );
    is_problem(
        &hook(&app, "/api/v1/webhooks/zendesk", &secret("wrong"), &body).await,
        StatusCode::UNAUTHORIZED,
    );
    // An API token is no substitute for the secret.
    let as_lead = app
        .send("POST", "/api/v1/webhooks/zendesk", Some(&lead), Some(json!({})))
        .await;
    assert_eq!(as_lead.status, StatusCode::UNAUTHORIZED);
    assert_eq!(tickets(&app, &lead, id).await["summary"]["open"], 0, "nothing written");

    let got = hook(&app, "/api/v1/webhooks/zendesk", &secret(ZENDESK_SECRET), &body).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body["created"], true);
    assert_eq!(got.body["ticket"]["account_id"], id);
    assert_eq!(got.body["ticket"]["priority"], "urgent");
    let listed = tickets(&app, &lead, id).await;
    assert_eq!(listed["summary"]["open"], 1, "{listed}");
    assert_eq!(listed["summary"]["load"], 4.0);
    assert_eq!(listed["summary"]["top_topics"][0]["tag"], "login");
    assert_eq!(listed["tickets"][0]["external_id"], "35436");

    // The same ticket again, solved: updated in place.
    let solved = zendesk_event("35436", "acme", "Solved");
    let again = hook(&app, "/api/v1/webhooks/zendesk", &secret(ZENDESK_SECRET), &solved).await;
    assert_eq!(again.body["created"], false, "{}", again.text);
    let listed = tickets(&app, &lead, id).await;
    assert_eq!(listed["summary"]["open"], 0);
    assert_eq!(listed["summary"]["median_solve_hours"], 6);
    assert_eq!(listed["tickets"].as_array().unwrap().len(), 1);

    // Malformed payloads: 422 naming what is wrong, nothing written.
    let no_detail = hook(
        &app,
        "/api/v1/webhooks/zendesk",
        &secret(ZENDESK_SECRET),
        r#"{"type":"x"}"#,
    )
    .await;
    is_problem(&no_detail, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_detail.text.contains("detail"), "{}", no_detail.text);
    let bad_status = zendesk_event("35437", "acme", "Exploded");
    let bad = hook(&app, "/api/v1/webhooks/zendesk", &secret(ZENDESK_SECRET), &bad_status).await;
    is_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "detail.status", "{}", bad.text);
    let nowhere = zendesk_event("35438", "nobody", "Open");
    let lost = hook(&app, "/api/v1/webhooks/zendesk", &secret(ZENDESK_SECRET), &nowhere).await;
    is_problem(&lost, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(lost.body["errors"][0]["field"], "detail.organization.external_id");
    assert_eq!(tickets(&app, &lead, id).await["tickets"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn webhooks_answer_401_when_no_secret_is_configured() {
    let app = TestApp::new().await;
    let body = zendesk_event("1", "acme", "Open");
    let zd = hook(
        &app,
        "/api/v1/webhooks/zendesk",
        &[("X-Lodestar-Webhook-Secret", "")],
        &body,
    )
    .await;
    is_problem(&zd, StatusCode::UNAUTHORIZED);
    let body = jira_event("PROD-1", "Done", "done");
    let sig = signature("", &body);
    let jira = hook(&app, "/api/v1/webhooks/jira", &[("X-Hub-Signature", &sig)], &body).await;
    is_problem(&jira, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn requests_rank_by_demand_and_a_signed_jira_event_ships_one_to_the_csms() {
    let app = app().await;
    let lead = app.api_user("lead@v.io", Role::Leader).await.1;
    let (ana, ana_token) = app.api_user("ana@v.io", Role::Csm).await;
    let (ben, ben_token) = app.api_user("ben@v.io", Role::Csm).await;
    let acme = create_account(&app, &lead, account("acme", Some(ana))).await;
    let globex = create_account(&app, &lead, account("globex", Some(ben))).await;
    for (id, arr) in [(acme, "50000"), (globex, "20000")] {
        let c = app
            .send(
                "POST",
                &format!("/api/v1/accounts/{id}/contracts"),
                Some(&lead),
                Some(json!({"external_id": format!("k{id}"), "start_date": "2026-01-01", "end_date": "2027-12-31", "arr": arr})),
            )
            .await;
        assert!(c.status.is_success(), "{}", c.text);
    }

    let bad = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{acme}/requests"),
            Some(&ana_token),
            Some(json!({"title": "", "jira_key": "not a key"})),
        )
        .await;
    is_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "jira_key"]);
    let not_hers = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{globex}/requests"),
            Some(&ana_token),
            Some(json!({"title": "Dark mode"})),
        )
        .await;
    assert_eq!(not_hers.status, StatusCode::FORBIDDEN);

    let sso = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{acme}/requests"),
            Some(&ana_token),
            Some(json!({"title": "SAML single sign-on", "kind": "feature", "jira_key": "prod-42", "detail": "Security review"})),
        )
        .await;
    assert_eq!(sso.status, StatusCode::CREATED, "{}", sso.text);
    assert_eq!(sso.body["jira_key"], "PROD-42");
    let sso = sso.body["id"].as_i64().unwrap();
    let dark = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{globex}/requests"),
            Some(&ben_token),
            Some(json!({"title": "Dark mode", "kind": "feature"})),
        )
        .await;
    let dark = dark.body["id"].as_i64().unwrap();
    let linked = app
        .send(
            "POST",
            &format!("/api/v1/requests/{sso}/accounts"),
            Some(&ben_token),
            Some(json!({"account_id": globex})),
        )
        .await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.text);
    assert_eq!(linked.body["demand_cents"], 7_000_000);
    let twice = app
        .send(
            "POST",
            &format!("/api/v1/requests/{sso}/accounts"),
            Some(&ben_token),
            Some(json!({"account_id": globex})),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    let ranked = app.send("GET", "/api/v1/requests", Some(&lead), None).await.body;
    let order: Vec<i64> = ranked["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [sso, dark], "{ranked}");

    // Jira: a wrong signature or a malformed body changes nothing.
    let done = jira_event("PROD-42", "Done", "done");
    let forged = hook(
        &app,
        "/api/v1/webhooks/jira",
        &[("X-Hub-Signature", &signature("guess", &done))],
        &done,
    )
    .await;
    is_problem(&forged, StatusCode::UNAUTHORIZED);
    let unsigned = hook(&app, "/api/v1/webhooks/jira", &[], &done).await;
    is_problem(&unsigned, StatusCode::UNAUTHORIZED);
    let malformed = r#"{"webhookEvent":"jira:issue_updated","issue":{"key":"PROD-42"}}"#;
    let sig = signature(JIRA_SECRET, malformed);
    let bad = hook(&app, "/api/v1/webhooks/jira", &[("X-Hub-Signature", &sig)], malformed).await;
    is_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("fields"), "{}", bad.text);
    let still = app
        .send("GET", &format!("/api/v1/requests/{sso}"), Some(&lead), None)
        .await;
    assert_eq!(still.body["status"], "open");

    // A custom status name falls back to its category.
    let review = jira_event("PROD-42", "Code Review", "indeterminate");
    let sig = signature(JIRA_SECRET, &review);
    let moved = hook(&app, "/api/v1/webhooks/jira", &[("X-Hub-Signature", &sig)], &review).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.body["request"]["request"]["status"], "in_progress");

    let sig = signature(JIRA_SECRET, &done);
    let shipped = hook(&app, "/api/v1/webhooks/jira", &[("X-Hub-Signature", &sig)], &done).await;
    assert_eq!(shipped.status, StatusCode::OK, "{}", shipped.text);
    assert_eq!(shipped.body["request"]["request"]["status"], "shipped");
    assert_eq!(
        shipped.body["request"]["told_account_ids"],
        json!([acme, globex]),
        "larger ARR first"
    );
    let today = app.store.today();
    for csm in [ana, ben] {
        let tasks = app.store.tasks(csm, TaskView::Open, today).await.unwrap();
        assert!(
            tasks
                .iter()
                .any(|t| t.source == TaskSource::RequestShipped && t.title.contains("SAML")),
            "{tasks:?}"
        );
    }
    let unknown = jira_event("PROD-999", "Done", "done");
    let sig = signature(JIRA_SECRET, &unknown);
    let ignored = hook(&app, "/api/v1/webhooks/jira", &[("X-Hub-Signature", &sig)], &unknown).await;
    assert_eq!(ignored.status, StatusCode::OK);
    assert_eq!(ignored.body["request"], Value::Null);

    let ranked = app.send("GET", "/api/v1/requests", Some(&lead), None).await.body;
    assert_eq!(
        ranked["requests"].as_array().unwrap().len(),
        1,
        "shipped leaves the ranking"
    );
    let moved = app
        .send(
            "POST",
            &format!("/api/v1/requests/{dark}/status"),
            Some(&ben_token),
            Some(json!({"status": "Won't Do"})),
        )
        .await;
    assert_eq!(moved.body["request"]["status"], "declined", "{}", moved.text);
}

#[tokio::test]
async fn the_account_page_writes_a_request_and_the_product_view_ranks_it() {
    let app = app().await;
    let ana = app.user("ana@v.io", Role::Csm).await;
    let lead = app.api_user("lead@v.io", Role::Leader).await.1;
    let acme = create_account(&app, &lead, account("acme", Some(ana))).await;
    let cookie = app.session("ana@v.io").await;
    let origin = format!("http://{HOST}");

    let page = app
        .browse("GET", &format!("/accounts/{acme}"), Some(&cookie), None, None)
        .await;
    assert!(page.text.contains("id=\"no-tickets\""), "empty state");
    assert!(page.text.contains("id=\"no-requests\""));

    let empty = app
        .browse(
            "POST",
            &format!("/accounts/{acme}/requests"),
            Some(&cookie),
            Some(&origin),
            Some("title=&kind=feature"),
        )
        .await;
    assert_eq!(empty.status, StatusCode::SEE_OTHER);
    let page = app
        .browse("GET", &format!("/accounts/{acme}"), Some(&cookie), None, None)
        .await;
    assert!(
        page.text.contains("id=\"requests-error\""),
        "the problem is shown in the section"
    );

    let saved = app
        .browse(
            "POST",
            &format!("/accounts/{acme}/requests"),
            Some(&cookie),
            Some(&origin),
            Some("title=Audit+log+export&kind=feature&jira_key=PROD-9&detail="),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = app
        .browse("GET", &format!("/accounts/{acme}"), Some(&cookie), None, None)
        .await;
    assert!(page.text.contains("Audit log export"), "{}", page.text);
    let view = app.browse("GET", "/requests", Some(&cookie), None, None).await;
    assert_eq!(view.status, StatusCode::OK);
    assert!(view.text.contains("Audit log export") && view.text.contains("PROD-9"));
    let tickets = app
        .browse("GET", &format!("/accounts/{acme}/tickets"), Some(&cookie), None, None)
        .await;
    assert_eq!(tickets.status, StatusCode::OK);

    // Shipped from the product view: it leaves the ranking, and Ana has the task of telling them.
    let request = app
        .store
        .requests_of_account(lodestar_domain::AccountId(acme))
        .await
        .unwrap()[0]
        .id;
    let moved = app
        .browse(
            "POST",
            &format!("/requests/{request}/status"),
            Some(&cookie),
            Some(&origin),
            Some("status=shipped"),
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let view = app.browse("GET", "/requests", Some(&cookie), None, None).await;
    assert!(view.text.contains("id=\"no-open-requests\""), "{}", view.text);
    let tasks = app.store.tasks(ana, TaskView::Open, app.store.today()).await.unwrap();
    assert!(
        tasks.iter().any(|t| t.source == TaskSource::RequestShipped),
        "{tasks:?}"
    );
}
