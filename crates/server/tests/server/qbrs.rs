//! QBRs, EBRs and check-ins over HTTP: experience levels (admins keep them; leaders place an
//! account in one), the overdue list that follows them, a QBR's
//! agenda with the sponsor check, the gut-check, and the pack shared with the customer's
//! attendees through customer links — one self-contained page, each link bound to its pack.

use axum::http::{StatusCode, header};
use chrono::{Duration, Utc};
use lodestar_domain::vocabulary::{AuditKind, Role};
use lodestar_store::testing::TestDb;
use lodestar_store::{AuditFilter, Clock};
use serde_json::{Value, json};

use crate::support::{TestApp, account, create_account};

async fn app() -> TestApp {
    let clock = Clock::fixed(Utc::now());
    TestApp::with_app(TestDb::sqlite().await, move |store| {
        lodestar_server::app(store.with_clock(clock), lodestar_server::ServerConfig::default())
    })
    .await
}

fn path_of(url: &Value) -> String {
    let url = url.as_str().unwrap();
    url[url.find("/c/").expect("a customer link")..].to_owned()
}

fn fields_of(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn admins_keep_the_experience_levels_and_the_overdue_list_follows_them() {
    let app = app().await;
    let (_, admin) = app.api_user("admin@v.io", Role::Admin).await;
    let (_, leader) = app.api_user("lead@v.io", Role::Leader).await;
    let (_, csm) = app.api_user("csm@v.io", Role::Csm).await;
    let list = app.send("GET", "/api/v1/experience-levels", Some(&csm), None).await;
    assert_eq!(list.status, StatusCode::OK);
    let names: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Strategic", "Enterprise", "Mid-tier", "Long tail"],
        "{}",
        list.text
    );
    assert_eq!(
        (
            &list.body[0]["qbr_every_days"],
            &list.body[0]["check_in_every_days"],
            &list.body[0]["coverage"],
            &list.body[0]["tiers"]
        ),
        (&json!(91), &Value::Null, &json!("named"), &json!(["strategic"]))
    );
    let enterprise = list.body[1]["id"].as_i64().unwrap();

    let level = |name: &str, qbr: Value, check_in: Value, coverage: &str| json!({"name": name, "qbr_every_days": qbr, "check_in_every_days": check_in, "coverage": coverage});
    let neighborhood = level("Neighborhood", Value::Null, json!(91), "pooled");
    let refused = app
        .send(
            "POST",
            "/api/v1/experience-levels",
            Some(&csm),
            Some(neighborhood.clone()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let invalid = app
        .send(
            "POST",
            "/api/v1/experience-levels",
            Some(&admin),
            Some(level("", json!(91), Value::Null, "solo")),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", invalid.text);
    assert_eq!(invalid.content_type, "application/problem+json");
    assert_eq!(fields_of(&invalid.body), ["name", "coverage"], "{}", invalid.text);
    let too_long = app
        .send(
            "POST",
            "/api/v1/experience-levels",
            Some(&admin),
            Some(level("Rare", json!(400), json!(3), "named")),
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields_of(&too_long.body),
        ["qbr_every_days", "check_in_every_days"],
        "{}",
        too_long.text
    );
    let made = app
        .send(
            "POST",
            "/api/v1/experience-levels",
            Some(&admin),
            Some(neighborhood.clone()),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert_eq!(
        (&made.body["coverage"], &made.body["tiers"]),
        (&json!("pooled"), &json!([]))
    );
    let pooled = made.body["id"].as_i64().unwrap();
    let again = app
        .send("POST", "/api/v1/experience-levels", Some(&admin), Some(neighborhood))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);

    // An enterprise account launched long ago and never reviewed is overdue for a check-in;
    // once the enterprise level also promises a QBR, a check-in held yesterday does not keep it.
    let id = create_account(&app, &admin, account("acme", None)).await;
    let patched = app
        .send(
            "PATCH",
            &format!("/api/v1/accounts/{id}"),
            Some(&admin),
            Some(json!({"launch_date": "2025-01-01", "tier": "enterprise"})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let yesterday = (Utc::now() - Duration::days(1)).to_rfc3339();
    let held = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/meetings"),
            Some(&admin),
            Some(json!({"kind": "check_in", "title": "Check-in", "starts_at": yesterday, "duration_minutes": 30})),
        )
        .await;
    assert_eq!(held.status, StatusCode::CREATED, "{}", held.text);
    let overdue = app.send("GET", "/api/v1/reviews/overdue", Some(&csm), None).await;
    assert_eq!(overdue.body["total"], 0, "{}", overdue.text);
    let set = app
        .send(
            "PUT",
            &format!("/api/v1/experience-levels/{enterprise}"),
            Some(&admin),
            Some(level("Enterprise", json!(91), json!(30), "named")),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["accounts"], 1, "{}", set.text);
    let overdue = app
        .send("GET", "/api/v1/reviews/overdue?limit=10", Some(&csm), None)
        .await;
    assert_eq!(overdue.body["total"], 1, "{}", overdue.text);
    let first = &overdue.body["accounts"][0];
    assert_eq!(
        (
            first["account_id"].as_i64(),
            first["meeting_kind"].as_str(),
            first["due_on"].as_str(),
            first["experience_level"].as_str(),
            first["coverage"].as_str(),
        ),
        (
            Some(id),
            Some("qbr"),
            Some("2025-04-02"),
            Some("Enterprise"),
            Some("named")
        )
    );
    let bad = app
        .send("GET", "/api/v1/reviews/overdue?limit=0", Some(&csm), None)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A leader places the account in the pooled level (check-ins only): yesterday's check-in
    // keeps it. A CSM may not; an unknown level is a 404.
    let place = |level: Value| json!({ "level_id": level });
    let path = format!("/api/v1/accounts/{id}/experience-level");
    let refused = app.send("PUT", &path, Some(&csm), Some(place(json!(pooled)))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unknown = app.send("PUT", &path, Some(&leader), Some(place(json!(9999)))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
    let placed = app.send("PUT", &path, Some(&leader), Some(place(json!(pooled)))).await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.text);
    assert_eq!(
        placed.body,
        json!({"level_id": pooled, "level_name": "Neighborhood", "placed": true})
    );
    let overdue = app.send("GET", "/api/v1/reviews/overdue", Some(&csm), None).await;
    assert_eq!(overdue.body["total"], 0, "{}", overdue.text);
    let back = app.send("PUT", &path, Some(&leader), Some(place(Value::Null))).await;
    assert_eq!(
        back.body,
        json!({"level_id": enterprise, "level_name": "Enterprise", "placed": false})
    );

    // The enterprise tier's accounts get the pooled level.
    let unnamed = app
        .send("PUT", "/api/v1/tier-experience/gold", Some(&admin), Some(json!({})))
        .await;
    assert_eq!(unnamed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields_of(&unnamed.body), ["tier", "level_id"], "{}", unnamed.text);
    let moved = app
        .send(
            "PUT",
            "/api/v1/tier-experience/enterprise",
            Some(&admin),
            Some(json!({"level_id": pooled})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    let now_pooled = moved
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == pooled)
        .unwrap();
    assert_eq!(
        (&now_pooled["tiers"], &now_pooled["accounts"]),
        (&json!(["enterprise"]), &json!(1))
    );

    let audit = app
        .store
        .audit_entries(
            &AuditFilter {
                kind: Some(AuditKind::ExperienceChanged),
                ..AuditFilter::default()
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        audit.len(),
        3,
        "a level added, one changed, a tier's level set: {audit:?}"
    );
}

#[tokio::test]
async fn a_qbr_pack_reaches_each_customer_attendee_as_one_self_contained_page() {
    let app = app().await;
    let csm_id = app.user("csm@v.io", Role::Csm).await;
    let csm = app.token_for(csm_id, Role::Csm).await;
    let (_, lead) = app.api_user("lead@v.io", Role::Leader).await;
    let id = create_account(&app, &lead, account("acme", Some(csm_id))).await;
    let contact = |key: &str, role: &str| {
        let app = &app;
        let csm = csm.clone();
        let body = json!({"external_id": key, "first_name": key, "last_name": "Lee", "role": role});
        async move {
            let made = app
                .send(
                    "POST",
                    &format!("/api/v1/accounts/{id}/contacts"),
                    Some(&csm),
                    Some(body),
                )
                .await;
            assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
            made.body["id"].as_i64().unwrap()
        }
    };
    let dana = contact("dana", "user").await;
    let sam = contact("sam", "exec_sponsor").await;
    let meeting = |at: chrono::DateTime<Utc>, contacts: Vec<i64>, kind: &str| {
        let app = &app;
        let csm = csm.clone();
        let body = json!({"kind": kind, "title": "Q4 business review", "starts_at": at.to_rfc3339(),
            "duration_minutes": 60, "contact_ids": contacts, "user_ids": [csm_id.0],
            "promises": [{"description": "Name an admin for EMEA", "owner_contact_id": sam, "due_on": "2030-01-01"}]});
        async move {
            let made = app
                .send(
                    "POST",
                    &format!("/api/v1/accounts/{id}/meetings"),
                    Some(&csm),
                    Some(body),
                )
                .await;
            assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
            made.body["id"].as_i64().unwrap()
        }
    };

    // Ahead, with a user of theirs only: flagged, and no pack yet.
    let ahead = meeting(Utc::now() + Duration::days(5), vec![dana], "qbr").await;
    let upcoming = app.send("GET", "/api/v1/reviews/upcoming", Some(&csm), None).await;
    assert_eq!(upcoming.body[0]["meeting_id"], ahead, "{}", upcoming.text);
    assert_eq!(upcoming.body[0]["sponsor_missing"], true);
    let review = app
        .send("GET", &format!("/api/v1/meetings/{ahead}/review"), Some(&csm), None)
        .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.text);
    assert_eq!(review.body["sponsor_missing"], true);
    assert_eq!(review.body["agenda"]["usage"]["segment"], "Enterprise");
    let early = app
        .send(
            "POST",
            &format!("/api/v1/meetings/{ahead}/review/pack"),
            Some(&csm),
            Some(json!({"summary": "Too early"})),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);

    // Held yesterday with the sponsor: the gut-check is written, then the pack is shared.
    let held = meeting(Utc::now() - Duration::days(1), vec![dana, sam], "qbr").await;
    let outlook = app
        .send(
            "PUT",
            &format!("/api/v1/meetings/{held}/review/outlook"),
            Some(&csm),
            Some(json!({"renewal_outlook": "at risk", "outlook_note": "New CFO reviews every tool"})),
        )
        .await;
    assert_eq!(outlook.status, StatusCode::OK, "{}", outlook.text);
    assert_eq!(outlook.body["agenda"]["contract"]["outlook"], "at_risk");
    assert_eq!(outlook.body["sponsor_missing"], false);
    let wrong = app
        .send(
            "PUT",
            &format!("/api/v1/meetings/{held}/review/outlook"),
            Some(&csm),
            Some(json!({"renewal_outlook": "maybe"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.body["errors"][0]["field"], "renewal_outlook");

    let (_, other) = app.api_user("other@v.io", Role::Csm).await;
    let not_theirs = app
        .send(
            "POST",
            &format!("/api/v1/meetings/{held}/review/pack"),
            Some(&other),
            Some(json!({"summary": "x"})),
        )
        .await;
    assert_eq!(not_theirs.status, StatusCode::FORBIDDEN);

    let shared = app
        .send(
            "POST",
            &format!("/api/v1/meetings/{held}/review/pack"),
            Some(&csm),
            Some(json!({"summary": "## We agreed\nFocus on **EMEA**", "expires_in_days": 14})),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.text);
    let links = shared.body["links"].as_array().unwrap();
    assert_eq!(links.len(), 2, "one link per customer attendee");
    assert!(links.iter().all(|l| l["link"]["actions"] == json!([])), "read only");
    assert!(!shared.text.contains("New CFO"), "the gut-check is not in the pack");
    let sams = links.iter().find(|l| l["link"]["contact_id"] == sam).unwrap();
    let path = path_of(&sams["url"]);
    let secret = path.rsplit('/').next().unwrap().to_owned();
    assert!(secret.len() >= 43, "at least 256 bits in base64: {secret}");

    let page = app.browse("GET", &path, None, None, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Focus on <strong>EMEA</strong>"), "{}", page.text);
    assert!(page.text.contains("Name an admin for EMEA"));
    assert!(page.text.contains("prepared for sam Lee"), "{}", page.text);
    for outside in ["<script", "<link", "src=", "@import", "url("] {
        assert!(!page.text.contains(outside), "the pack stands alone: found {outside}");
    }
    assert!(!page.text.contains("New CFO"));
    assert_eq!(page.headers[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    let policy = page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'; style-src 'sha256-"), "{policy}");
    let inline = &page.text[page.text.find("<style>").unwrap() + 7..page.text.find("</style>").unwrap()];
    let hash = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(inline.as_bytes()))
    };
    assert!(
        policy.contains(&format!("'sha256-{hash}'")),
        "the policy allows exactly its style"
    );

    // The same secret at the other meeting's address, an unknown one, and a withdrawn one:
    // the same 404 as every link that does not open.
    let elsewhere = app
        .browse("GET", &format!("/c/packs/{ahead}/{secret}"), None, None, None)
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let unknown = app
        .browse("GET", &format!("/c/packs/{held}/{}", "B".repeat(43)), None, None, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.text, elsewhere.text);
    let revoked = app
        .send(
            "POST",
            &format!("/api/v1/customer-links/{}/revoke", sams["link"]["id"]),
            Some(&csm),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    let gone = app.browse("GET", &path, None, None, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.text, elsewhere.text);

    // Our side: the pack with its links, and the preview page for printing.
    let pack = app
        .send("GET", &format!("/api/v1/meetings/{held}/review/pack"), Some(&csm), None)
        .await;
    assert_eq!(pack.status, StatusCode::OK, "{}", pack.text);
    assert_eq!(pack.body["links"].as_array().unwrap().len(), 2);
    assert_eq!(pack.body["pack"]["promises"][0]["text"], "Name an admin for EMEA");
    let none_yet = app
        .send(
            "GET",
            &format!("/api/v1/meetings/{ahead}/review/pack"),
            Some(&csm),
            None,
        )
        .await;
    assert_eq!(none_yet.status, StatusCode::NOT_FOUND);

    // A call has no agenda.
    let call = meeting(Utc::now(), vec![], "call").await;
    let no_agenda = app
        .send("GET", &format!("/api/v1/meetings/{call}/review"), Some(&csm), None)
        .await;
    assert_eq!(no_agenda.status, StatusCode::CONFLICT);

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
    assert_eq!(used.len(), 1, "one opening of a live link");
    let created = app
        .store
        .audit_entries(
            &AuditFilter {
                kind: Some(AuditKind::CustomerLinkCreated),
                ..AuditFilter::default()
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(created.len(), 2);
}
