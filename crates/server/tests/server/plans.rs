//! Success plans and customer links: a CSM writes and shares the plan, the customer contact
//! reviews and approves it through the link, and every rule of customer links holds.

use std::num::NonZeroU32;

use axum::http::{StatusCode, header};
use chrono::Duration;
use lodestar_domain::vocabulary::{AuditKind, Role};
use lodestar_server::ServerConfig;
use lodestar_store::testing::TestDb;
use lodestar_store::{AuditFilter, Clock};
use serde_json::{Value, json};

use crate::support::{HOST, TestApp, account, create_account};

use crate::support::ORIGIN;

/// An app whose clock can be moved and whose customer links allow `per_minute` requests.
async fn app(per_minute: u32) -> (TestApp, Clock) {
    let clock = Clock::fixed(chrono::Utc::now());
    let c = clock.clone();
    let config = ServerConfig {
        customer_link_requests_per_minute: NonZeroU32::new(per_minute),
        ..ServerConfig::default()
    };
    let app = TestApp::with_app(TestDb::sqlite().await, move |store| {
        lodestar_server::app(store.with_clock(c), config)
    })
    .await;
    (app, clock)
}

/// A CSM's token, their account and a contact (Dana Lee, with an email) on it.
async fn book(app: &TestApp) -> (String, i64, i64) {
    let csm = app.user("csm@v.io", Role::Csm).await;
    let token = app.token_for(csm, Role::Csm).await;
    let lead = app.api_user("lead@v.io", Role::Leader).await.1;
    let id = create_account(app, &lead, account("acme", Some(csm))).await;
    let contact = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contacts"),
            Some(&token),
            Some(json!({"external_id": "dana", "first_name": "Dana", "last_name": "Lee", "email": "dana@acme.test"})),
        )
        .await;
    assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.text);
    (token, id, contact.body["id"].as_i64().unwrap())
}

/// The path of a shared link (its address is made from the request's host).
pub(crate) fn path_of(url: &Value) -> String {
    let url = url.as_str().unwrap();
    let path = &url[url.find("/c/").expect("a customer link")..];
    path.to_owned()
}

async fn customer_post(app: &TestApp, path: &str, form: &str) -> crate::support::Reply {
    app.browse("POST", path, None, Some(ORIGIN), Some(form)).await
}

#[tokio::test]
async fn a_shared_plan_is_approved_by_its_contact_and_an_edit_undoes_the_approval() {
    let (app, _) = app(1000).await;
    let (token, id, dana) = book(&app).await;
    let plan = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/plan"),
            Some(&token),
            Some(json!({"title": "Faster onboarding", "summary": "Halve the time to a **first report**."})),
        )
        .await;
    assert_eq!(plan.status, StatusCode::CREATED, "{}", plan.text);
    assert_eq!(
        (plan.body["state"].as_str(), plan.body["version"].as_i64()),
        (Some("draft"), Some(1))
    );
    let plan_id = plan.body["id"].as_i64().unwrap();

    // Three active tactics; a fourth is refused with the three named, parked it is taken.
    for title in ["Admin training", "Weekly usage report", "SSO rollout"] {
        let added = app
            .send(
                "POST",
                &format!("/api/v1/plans/{plan_id}/tactics"),
                Some(&token),
                Some(json!({"title": title})),
            )
            .await;
        assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    }
    let fourth = app
        .send(
            "POST",
            &format!("/api/v1/plans/{plan_id}/tactics"),
            Some(&token),
            Some(json!({"title": "Exec dashboard"})),
        )
        .await;
    assert_eq!(fourth.status, StatusCode::CONFLICT, "{}", fourth.text);
    assert!(
        fourth.body["detail"].as_str().unwrap().contains("finish or park one"),
        "{}",
        fourth.text
    );
    let parked = app
        .send(
            "POST",
            &format!("/api/v1/plans/{plan_id}/tactics"),
            Some(&token),
            Some(json!({"title": "Exec dashboard", "state": "parked"})),
        )
        .await;
    assert_eq!(parked.status, StatusCode::CREATED, "{}", parked.text);
    assert_eq!(parked.body["version"], 5);

    // Shared with Dana: the address holds the secret and is in this answer only.
    let shared = app
        .send(
            "POST",
            &format!("/api/v1/plans/{plan_id}/share"),
            Some(&token),
            Some(json!({"contact_id": dana, "expires_in_days": 14})),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.text);
    assert_eq!(shared.body["plan"]["state"], "shared");
    let path = path_of(&shared.body["url"]);
    let secret = path.rsplit('/').next().unwrap().to_owned();
    assert!(secret.len() >= 43, "at least 256 bits in base64: {secret}");
    let links = app
        .send("GET", &format!("/api/v1/plans/{plan_id}/links"), Some(&token), None)
        .await;
    assert!(!links.text.contains(&secret), "the secret is never shown again");

    // Dana opens it without an account: no referrer leaves the page, nothing is cached.
    let page = app.browse("GET", &path, None, None, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Faster onboarding") && page.text.contains("<strong>first report</strong>"));
    assert_eq!(page.headers[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");

    // A name that is not hers does not approve; her own does, once however often she sends it.
    let wrong = customer_post(&app, &format!("{path}/approve"), "version=5&signature=Someone+Else").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.text);
    assert!(wrong.text.contains("type your full name"), "{}", wrong.text);
    for _ in 0..2 {
        let approved = customer_post(&app, &format!("{path}/approve"), "version=5&signature=dana+lee").await;
        assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);
    }
    let comment = customer_post(&app, &format!("{path}/comment"), "body=Looks+right+to+us").await;
    assert_eq!(comment.status, StatusCode::SEE_OTHER, "{}", comment.text);
    let seen = app
        .send("GET", &format!("/api/v1/accounts/{id}/plan"), Some(&token), None)
        .await;
    assert_eq!(seen.body["state"], "approved", "{}", seen.text);
    assert_eq!(seen.body["approval"]["version"], 5);
    assert_eq!(seen.body["approval"]["contact_name"], "Dana Lee");
    assert_eq!(
        seen.body["sign_offs"].as_array().unwrap().len(),
        1,
        "approving twice is one approval"
    );
    assert_eq!(seen.body["comments"][0]["from_customer"], true);

    // An edit makes version 6: the approval of version 5 does not carry over, and a form
    // still showing version 5 cannot approve it.
    let edited = app
        .send(
            "PUT",
            &format!("/api/v1/plans/{plan_id}"),
            Some(&token),
            Some(json!({"title": "Faster onboarding", "summary": "Halve it, and cut tickets by a third."})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(
        (edited.body["state"].as_str(), edited.body["version"].as_i64()),
        (Some("shared"), Some(6))
    );
    assert!(edited.body["approval"].is_null(), "{}", edited.text);
    let stale = customer_post(&app, &format!("{path}/approve"), "version=5&signature=Dana+Lee").await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert!(stale.text.contains("changed since you opened it"), "{}", stale.text);

    // The timeline tells the story; the audit log has each use of the link.
    let timeline = app
        .browse(
            "GET",
            &format!("/accounts/{id}"),
            Some(&app.session("csm@v.io").await),
            None,
            None,
        )
        .await;
    assert!(
        timeline.text.contains("Success plan version 5 approved by Dana Lee"),
        "{}",
        timeline.text
    );
    let used = app
        .store
        .audit_entries(
            &AuditFilter {
                kind: Some(AuditKind::CustomerLinkUsed),
                ..AuditFilter::default()
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        used.len(),
        6,
        "the page, the refused approval, two approvals, the comment and the stale approval"
    );
    assert!(used.iter().all(|e| e.actor.contains("Dana Lee")), "{used:?}");
}

#[tokio::test]
async fn every_link_that_does_not_open_gets_the_same_404_and_clients_are_throttled() {
    let (app, clock) = app(1000).await;
    let (token, id, dana) = book(&app).await;
    let plan_id = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/plan"),
            Some(&token),
            Some(json!({"title": "Plan"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let share = |days: u32| {
        let app = &app;
        let token = token.clone();
        async move {
            let shared = app
                .send(
                    "POST",
                    &format!("/api/v1/plans/{plan_id}/share"),
                    Some(&token),
                    Some(json!({"contact_id": dana, "expires_in_days": days})),
                )
                .await;
            assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.text);
            (
                path_of(&shared.body["url"]),
                shared.body["link"]["id"].as_i64().unwrap(),
            )
        }
    };
    let (live, _) = share(30).await;
    let (short, _) = share(1).await;
    let (withdrawn, withdrawn_id) = share(30).await;
    assert_eq!(app.browse("GET", &short, None, None, None).await.status, StatusCode::OK);
    let revoked = app
        .send(
            "POST",
            &format!("/api/v1/customer-links/{withdrawn_id}/revoke"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    clock.advance(Duration::days(2));

    // A second plan: the live link of the first names it in its path, and is refused.
    let (other_csm, other_token) = app.api_user("other@v.io", Role::Csm).await;
    let globex = create_account(&app, &token_of_lead(&app).await, account("globex", Some(other_csm))).await;
    let other_plan = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{globex}/plan"),
            Some(&other_token),
            Some(json!({"title": "Other"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let secret = live.rsplit('/').next().unwrap();
    let wrong_object = format!("/c/plans/{other_plan}/{secret}");
    let unknown = format!("/c/plans/{plan_id}/{}", "A".repeat(43));

    let mut answers = Vec::new();
    for path in [&unknown, &short, &withdrawn, &wrong_object] {
        let reply = app.browse("GET", path, None, None, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.text);
        assert_eq!(reply.headers[header::REFERRER_POLICY], "no-referrer");
        answers.push(reply.text);
        // Posting through them is refused the same way, and writes nothing.
        let post = customer_post(&app, &format!("{path}/approve"), "version=1&signature=Dana+Lee").await;
        assert_eq!(post.status, StatusCode::NOT_FOUND);
        assert_eq!(post.text, answers[0]);
    }
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "one answer for every link that does not open"
    );
    assert_eq!(app.browse("GET", &live, None, None, None).await.status, StatusCode::OK);
    let plan = app
        .send("GET", &format!("/api/v1/accounts/{id}/plan"), Some(&token), None)
        .await;
    assert_eq!(plan.body["sign_offs"].as_array().unwrap().len(), 0);

    // Another CSM may not share or revoke links to this plan.
    let refused = app
        .send(
            "POST",
            &format!("/api/v1/plans/{plan_id}/share"),
            Some(&other_token),
            Some(json!({"contact_id": dana})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);

    // Throttled per client address: past the quota, 429 with Retry-After.
    let (tight, _) = self::app(3).await;
    let (token, id, dana) = book(&tight).await;
    let plan_id = tight
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/plan"),
            Some(&token),
            Some(json!({"title": "Plan"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let shared = tight
        .send(
            "POST",
            &format!("/api/v1/plans/{plan_id}/share"),
            Some(&token),
            Some(json!({"contact_id": dana})),
        )
        .await;
    let path = path_of(&shared.body["url"]);
    for _ in 0..3 {
        assert_eq!(
            tight.browse("GET", &path, None, None, None).await.status,
            StatusCode::OK
        );
    }
    let throttled = tight.browse("GET", &path, None, None, None).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS, "{}", throttled.text);
    let wait: u64 = throttled.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}

async fn token_of_lead(app: &TestApp) -> String {
    let lead = app
        .store
        .user_by_email(&lodestar_domain::text::Email::parse("lead@v.io").unwrap())
        .await
        .unwrap()
        .unwrap();
    app.token_for(lead.id, Role::Leader).await
}

#[tokio::test]
async fn the_plan_page_writes_shares_and_shows_the_approval() {
    let (app, _) = app(1000).await;
    let (_, id, dana) = book(&app).await;
    let cookie = app.session("csm@v.io").await;
    let empty = app
        .browse("GET", &format!("/accounts/{id}/plan"), Some(&cookie), None, None)
        .await;
    assert!(empty.text.contains("has no success plan yet"), "{}", empty.text);
    let started = app
        .browse(
            "POST",
            &format!("/accounts/{id}/plan"),
            Some(&cookie),
            Some(ORIGIN),
            Some("title=Faster+onboarding&summary=Halve+it"),
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.text);
    let plan_id = app
        .store
        .success_plan_of(lodestar_domain::AccountId(id))
        .await
        .unwrap()
        .unwrap()
        .id;
    let page = app
        .browse(
            "POST",
            &format!("/plans/{plan_id}/share"),
            Some(&cookie),
            Some(ORIGIN),
            Some(&format!("contact_id={dana}&expires_in_days=30")),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let start = page
        .text
        .find(&format!("http://{HOST}/c/plans/{plan_id}/"))
        .expect("the new link is shown");
    let url: String = page.text[start..].chars().take_while(|c| *c != '"').collect();
    let path = &url[url.find("/c/").unwrap()..];
    let approved = customer_post(&app, &format!("{path}/approve"), "version=1&signature=Dana+Lee").await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);
    let after = app
        .browse("GET", &format!("/accounts/{id}/plan"), Some(&cookie), None, None)
        .await;
    assert!(after.text.contains("Approved by Dana Lee"), "{}", after.text);
    assert!(!after.text.contains(&url), "the link's address is shown only once");
}
