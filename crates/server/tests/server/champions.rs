//! Champion health over HTTP: every role reads an account's champions and the alerts; the
//! 12-month answer and bounce reports are refused with the field named or the reason; an SMTP
//! server refusing a mailbox for good records a bounce that marks a quiet champion gone; the
//! champions page shows the quadrant and its form.

use axum::http::StatusCode;
use chrono::Duration;
use lodestar_domain::champion::Departure;
use lodestar_domain::job::JobState;
use lodestar_domain::vocabulary::Role;
use lodestar_server::ServerConfig;
use lodestar_server::config::MailConfig;
use lodestar_server::jobs::{JobKinds, Runner};
use lodestar_store::Clock;
use lodestar_store::testing::TestDb;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::notify::{at, fast, turned_red, until_job};
use crate::support::{ORIGIN, TestApp, account, create_account};

#[tokio::test]
async fn champions_are_read_by_everyone_and_changed_by_the_accounts_csm() {
    let app = TestApp::new().await;
    let (_, admin) = app.api_user("admin@v.io", Role::Admin).await;
    let csm = app.user("csm@v.io", Role::Csm).await;
    let csm_token = app.token_for(csm, Role::Csm).await;
    let (_, other_csm) = app.api_user("other@v.io", Role::Csm).await;
    let viewer_id = app.user("viewer@v.io", Role::Viewer).await;
    let viewer = app.token_for(viewer_id, Role::Viewer).await;
    let id = create_account(&app, &admin, account("acme", Some(csm))).await;
    let made = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contacts"),
            Some(&admin),
            Some(
                json!({"external_id": "vp", "first_name": "Vera", "last_name": "Park", "email": "vera@acme.example",
                        "title": "VP Finance", "role": "decision_maker", "influence": "high"}),
            ),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let vera = made.body["id"].as_i64().unwrap();

    let read = app
        .send("GET", &format!("/api/v1/accounts/{id}/champions"), Some(&viewer), None)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let person = &read.body["contacts"][0];
    assert_eq!(person["name"], "Vera Park");
    assert_eq!(person["influence"]["value"], 90, "{}", read.text);
    assert_eq!(person["delight"], json!(null), "nothing said yet");
    assert_eq!(person["quadrant"], json!(null));
    assert_eq!(person["key"], true);
    assert_eq!(
        person["engagement"]["facts"][0],
        "used the product on 0 days of the last 30 (+0)"
    );

    let outlook = format!("/api/v1/contacts/{vera}/relationship-outlook");
    for (token, status) in [(&viewer, StatusCode::FORBIDDEN), (&other_csm, StatusCode::FORBIDDEN)] {
        let refused = app
            .send("PUT", &outlook, Some(token), Some(json!({"will_own": false})))
            .await;
        assert_eq!(refused.status, status, "{}", refused.text);
    }
    let bad = app
        .send("PUT", &outlook, Some(&csm_token), Some(json!({"will_own": "maybe"})))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert_eq!(bad.body["errors"][0]["field"], "will_own");
    let set = app
        .send("PUT", &outlook, Some(&csm_token), Some(json!({"will_own": false})))
        .await;
    assert_eq!(set.status, StatusCode::NO_CONTENT, "{}", set.text);
    let read = app
        .send("GET", &format!("/api/v1/accounts/{id}/champions"), Some(&viewer), None)
        .await;
    assert_eq!(read.body["contacts"][0]["will_own_relationship"], false);
    assert_eq!(read.body["contacts"][0]["influence"]["value"], 55);
    let missing = app
        .send(
            "PUT",
            "/api/v1/contacts/999/relationship-outlook",
            Some(&csm_token),
            Some(json!({"will_own": true})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // Bounces: reported by those who run accounts, the address checked.
    let refused = app
        .send(
            "POST",
            "/api/v1/email-bounces",
            Some(&viewer),
            Some(json!({"email": "vera@acme.example", "reason": "550"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let bad = app
        .send(
            "POST",
            "/api/v1/email-bounces",
            Some(&csm_token),
            Some(json!({"email": "not an address", "reason": "550"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "email", "{}", bad.text);
    let ok = app
        .send(
            "POST",
            "/api/v1/email-bounces",
            Some(&csm_token),
            Some(json!({"email": "Vera@acme.example", "reason": "550 mailbox unavailable"})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text);
    // Added today, so not quiet for 60 days yet: no alert.
    let alerts = app
        .send(
            "GET",
            &format!("/api/v1/champion-alerts?owner_id={}", csm.0),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(alerts.status, StatusCode::OK, "{}", alerts.text);
    assert_eq!(alerts.body, json!([]));

    // The page: the chart's data, each score's facts, the 12-month form for the CSM only.
    let cookie = app.session("csm@v.io").await;
    let page = app
        .browse("GET", &format!("/accounts/{id}/champions"), Some(&cookie), None, None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("id=\"champion-chart\""), "{}", page.text);
    assert!(page.text.contains("VP Finance"));
    assert!(page.text.contains(&format!("action=\"/contacts/{vera}/outlook\"")));
    let form = app
        .browse(
            "POST",
            &format!("/contacts/{vera}/outlook"),
            Some(&cookie),
            Some(ORIGIN),
            Some("will_own=yes"),
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.text);
    let read = app
        .send("GET", &format!("/api/v1/accounts/{id}/champions"), Some(&viewer), None)
        .await;
    assert_eq!(read.body["contacts"][0]["will_own_relationship"], true);
    let viewer_cookie = app.session("viewer@v.io").await;
    let page = app
        .browse(
            "GET",
            &format!("/accounts/{id}/champions"),
            Some(&viewer_cookie),
            None,
            None,
        )
        .await;
    assert!(!page.text.contains("/outlook\""), "a viewer has no form");
}

/// An SMTP server that refuses every recipient for good (550), as a mailbox that no longer
/// exists is refused.
async fn refusing_smtp_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 refuse.test ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 refuse.test\r\n",
                        "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
                        "RCPT" => b"550 5.1.1 The email account that you tried to reach does not exist\r\n",
                        "QUIT" => b"221 Bye\r\n",
                        _ => b"502 Command not implemented\r\n",
                    };
                    if write.write_all(reply).await.is_err() || verb == "QUIT" {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn a_mailbox_refused_for_good_is_a_bounce_that_marks_a_quiet_champion_gone() {
    let port = refusing_smtp_server().await;
    let config = ServerConfig {
        mail: Some(MailConfig::new(&format!("smtp://127.0.0.1:{port}"), "Lodestar <lodestar@vendor.io>").unwrap()),
        ..ServerConfig::default()
    };
    let api = TestApp::on(TestDb::sqlite().await).await;
    let now = at("2026-12-02T15:00:00Z");
    let store = api.store.with_clock(Clock::fixed(now)).with_outbox(config.outbox());
    let (_, admin) = api.api_user("admin@v.io", Role::Admin).await;
    let id = create_account(&api, &admin, account("acme", None)).await;
    let made = api
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contacts"),
            Some(&admin),
            Some(json!({"external_id": "cam", "last_name": "Cam", "email": "jo@v.io", "role": "champion"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let meeting = api
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/meetings"),
            Some(&admin),
            Some(
                json!({"kind": "call", "title": "Kickoff", "starts_at": (now - Duration::days(90)).to_rfc3339(),
                        "duration_minutes": 30, "contact_ids": [made.body["id"]]}),
            ),
        )
        .await;
    assert_eq!(meeting.status, StatusCode::CREATED, "{}", meeting.text);

    // An email to the same address (here a person of ours who shares it) is refused for good.
    let (jo, _) = api.api_user("jo@v.io", Role::Csm).await;
    store.notify(jo, &turned_red()).await.unwrap();
    let (_, jobs) = store.jobs(Some(JobState::Queued), 10, 0).await.unwrap();
    let email = jobs.iter().find(|j| j.kind == "email").expect("an email is queued").id;
    let runner = Runner::start(store.clone(), JobKinds::standard(&config), fast());
    let failed = until_job(&store, email, "the email is refused", |j| j.last_error.is_some()).await;
    runner.stop().await;
    assert!(failed.last_error.as_deref().unwrap().contains("550"), "{failed:?}");

    let (_, people) = store.account_champions(lodestar_domain::AccountId(id)).await.unwrap();
    match &people[0].departure {
        Some(Departure::Inferred { reason, .. }) => {
            assert!(reason.contains("an email to them bounced on 2026-12-02"), "{reason}")
        }
        other => panic!("the refusal should be a bounce: {other:?}"),
    }
    let alerts = store.champion_alerts(None).await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
}
