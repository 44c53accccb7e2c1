//! Search (F-07): `GET /api/v1/search` on both databases, its refusals, and the page.

use axum::http::StatusCode;
use lodestar_domain::search::SearchText;
use lodestar_domain::vocabulary::Role;
use lodestar_store::testing::{TestDb, execute_sql};
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, account, create_account};

/// Acme (by name), Globex with a contact at acme.com and a call whose notes mention Acme; the
/// ids of both accounts and of the call.
async fn book(app: &TestApp, token: &str) -> (i64, i64, i64) {
    let mut acme = account("ACC-000042", None);
    acme["name"] = json!("Acme Corporation");
    acme["domain"] = json!("acme.com");
    let acme = create_account(app, token, acme).await;
    let mut globex = account("globex", None);
    globex["name"] = json!("Globex <script>alert(1)</script>");
    let globex = create_account(app, token, globex).await;
    let contact = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{globex}/contacts"),
            Some(token),
            Some(json!({"external_id": "wile", "first_name": "Wile", "last_name": "Coyote", "email": "wile@acme.com"})),
        )
        .await;
    assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.body);
    execute_sql(
        &app.store,
        &format!(
            "INSERT INTO meetings (account_id, kind, title, starts_at, duration_minutes, time_zone, notes, created_at, \
             updated_at) VALUES ({globex}, 'call', 'Quarterly check-in', '2026-11-20T10:00:00+00:00', 30, 'UTC', \
             'They want the <b>Acme</b> integration first.', '2026-11-18T08:00:00+00:00', '2026-11-18T08:00:00+00:00')"
        ),
    )
    .await;
    let quarterly = SearchText::parse("quarterly").unwrap();
    let call = app.store.search(&quarterly, &[], 1).await.unwrap()[0].id;
    (acme, globex, call)
}

async fn the_api_finds_every_kind_ranked(db: TestDb) {
    let app = TestApp::on(db).await;
    let (_, token) = app.api_user("lena@v.io", Role::Viewer).await;
    let (_, leader) = app.api_user("leo@v.io", Role::Leader).await;
    let (acme, globex, call) = book(&app, &leader).await;

    let found = app.send("GET", "/api/v1/search?q=acm", Some(&token), None).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let hits = found.body["hits"].as_array().unwrap();
    let kinds: Vec<&str> = hits.iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds[0], "account", "{hits:#?}");
    assert_eq!(kinds.len(), 3, "{hits:#?}");
    assert!(kinds.contains(&"contact") && kinds.contains(&"meeting"));
    let top = &hits[0];
    assert_eq!(
        (top["id"].as_i64(), top["account_id"].as_i64(), top["title"].as_str()),
        (Some(acme), Some(acme), Some("Acme Corporation"))
    );
    assert!(top["rank"].as_f64().unwrap() > 0.0);
    assert!(
        top["snippet"]
            .as_array()
            .unwrap()
            .contains(&json!({"text": "Acme", "matched": true})),
        "{}",
        top["snippet"]
    );
    let meeting = hits.iter().find(|h| h["kind"] == "meeting").unwrap();
    assert_eq!(
        (meeting["id"].as_i64(), meeting["account_id"].as_i64()),
        (Some(call), Some(globex))
    );

    let narrowed = app
        .send(
            "GET",
            "/api/v1/search?q=ACME&kind=contact,promise&limit=5",
            Some(&token),
            None,
        )
        .await;
    let hits = narrowed.body["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{}", narrowed.body);
    assert_eq!(
        (
            hits[0]["kind"].as_str(),
            hits[0]["title"].as_str(),
            hits[0]["account_name"].as_str()
        ),
        (
            Some("contact"),
            Some("Wile Coyote"),
            Some("Globex <script>alert(1)</script>")
        )
    );
    let one = app
        .send("GET", "/api/v1/search?q=acm&limit=1", Some(&token), None)
        .await;
    assert_eq!(one.body["hits"].as_array().unwrap().len(), 1);
    let nothing = app.send("GET", "/api/v1/search?q=zebra", Some(&token), None).await;
    assert_eq!((nothing.status, &nothing.body), (StatusCode::OK, &json!({"hits": []})));
    app.db.finish().await;
}

#[tokio::test]
async fn the_api_finds_every_kind_ranked_on_sqlite() {
    the_api_finds_every_kind_ranked(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn the_api_finds_every_kind_ranked_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        the_api_finds_every_kind_ranked(db).await;
    }
}

#[tokio::test]
async fn the_api_refuses_a_query_it_cannot_search_for() {
    let app = TestApp::new().await;
    let (_, token) = app.api_user("lena@v.io", Role::Viewer).await;
    let long = "a".repeat(201);
    for (query, field, reason) in [
        ("", "q", "type a word"),
        ("q=", "q", "type a word"),
        ("q=%20%20", "q", "type a word"),
        ("q=%25%25", "q", "letters or digits"),
        (&format!("q={long}") as &str, "q", "at most 200"),
        ("q=a+b+c+d+e+f+g+h+i", "q", "at most 8 are allowed"),
        ("q=acme&kind=deal", "kind", "unknown kind"),
        ("q=acme&limit=0", "limit", "between 1 and 50"),
        ("q=acme&limit=51", "limit", "between 1 and 50"),
    ] {
        let reply = app
            .send("GET", &format!("/api/v1/search?{query}"), Some(&token), None)
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {}", reply.body);
        assert_eq!(reply.content_type, "application/problem+json");
        let errors: &Value = &reply.body["errors"][0];
        assert_eq!(errors["field"], field, "{query}: {}", reply.body);
        assert!(
            errors["reason"].as_str().unwrap().contains(reason),
            "{query}: {}",
            reply.body
        );
    }
    let anonymous = app.send("GET", "/api/v1/search?q=acme", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_page_groups_hits_by_kind_with_the_words_highlighted() {
    let app = TestApp::new().await;
    app.user("vera@v.io", Role::Viewer).await;
    let (_, leader) = app.api_user("leo@v.io", Role::Leader).await;
    let (acme, globex, call) = book(&app, &leader).await;
    let vera = app.sign_in("vera@v.io", PASSWORD, None).await.cookie().unwrap();
    let get = |uri: &'static str| {
        let (app, vera) = (&app, vera.clone());
        async move { app.browse("GET", uri, Some(&vera), None, None).await }
    };

    let start = get("/search").await;
    assert_eq!(start.status, StatusCode::OK);
    assert!(start.text.contains(r#"id="search-start""#) && start.text.contains(r#"name="q""#));

    let page = get("/search?q=acm").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = &page.text;
    for section in ["hits-account", "hits-contact", "hits-meeting"] {
        assert!(
            text.contains(&format!(r#"id="{section}""#)),
            "{section} missing: {text}"
        );
    }
    assert!(
        text.find("hits-account").unwrap() < text.find("hits-contact").unwrap(),
        "accounts come first"
    );
    assert!(text.contains(&format!(r#"href="/accounts/{acme}""#)));
    assert!(text.contains(&format!(r#"href="/accounts/{globex}#meeting-{call}""#)));
    assert!(text.contains(&format!(r#"href="/accounts/{globex}#contacts""#)));
    assert!(text.contains("<mark>Acme</mark>"), "{text}");
    // Everything a record holds is text: its markup is shown, never run.
    assert!(
        text.contains("Globex &#60;script&#62;alert(1)&#60;/script&#62;"),
        "{text}"
    );
    assert!(!text.contains("<script>alert") && !text.contains("<b>Acme"));
    assert!(text.contains(r#"value="acm""#));
    // Narrowed to one kind by its tab.
    assert!(text.contains(r#"href="/search?q=acm&#38;kind=contact""#), "{text}");
    let contacts = get("/search?q=acm&kind=contact").await;
    assert!(contacts.text.contains("hits-contact") && !contacts.text.contains("hits-account"));

    let none = get("/search?q=zebra").await;
    assert!(none.text.contains(r#"id="no-results""#));
    let long = app
        .browse(
            "GET",
            &format!("/search?q={}", "a".repeat(201)),
            Some(&vera),
            None,
            None,
        )
        .await;
    assert_eq!(long.status, StatusCode::OK);
    assert!(long.text.contains(r#"id="search-error""#) && long.text.contains("at most 200"));
    let signed_out = app.browse("GET", "/search?q=acm", None, None, None).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
}
