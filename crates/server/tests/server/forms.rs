//! Creating records from the web UI: the new-account, contact, contract and ARR-change forms,
//! which apply the API's rules (problems shown next to their fields, the typed values kept)
//! and its permissions (leaders create accounts; a CSM adds to their own book only). Each runs
//! on SQLite and PostgreSQL.

use crate::support::{HOST, Reply, TestApp, account, create_account};
use axum::http::{StatusCode, header};
use chrono::Days;
use lodestar_domain::vocabulary::Role;
use lodestar_domain::{AccountId, ContractId};
use lodestar_store::store_test;
use lodestar_store::testing::TestDb;

/// A form body as a browser encodes it.
fn encoded(fields: &[(&str, &str)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) async fn page(web: &TestApp, cookie: &str, uri: &str) -> Reply {
    web.browse("GET", uri, Some(cookie), None, None).await
}

pub(crate) async fn post(web: &TestApp, cookie: &str, uri: &str, fields: &[(&str, &str)]) -> Reply {
    let origin = format!("http://{HOST}");
    web.browse("POST", uri, Some(cookie), Some(&origin), Some(&encoded(fields)))
        .await
}

pub(crate) fn location(reply: &Reply) -> &str {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    reply.headers[header::LOCATION].to_str().unwrap()
}

/// The message shown next to `field`.
fn problem<'a>(reply: &'a Reply, field: &str) -> &'a str {
    let marker = format!("id=\"error-{field}\">");
    let start = reply
        .text
        .find(&marker)
        .unwrap_or_else(|| panic!("no problem shown for {field}"))
        + marker.len();
    let rest = &reply.text[start..];
    &rest[..rest.find('<').unwrap()]
}

fn new_account<'a>(external_id: &'a str, name: &'a str, owner: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("external_id", external_id),
        ("name", name),
        ("domain", "https://www.northwind.example/about"),
        ("industry", "Logistics"),
        ("employees", "1,200"),
        ("region", "EMEA"),
        ("lifecycle_stage", "land"),
        ("tier", "enterprise"),
        ("owner_id", owner),
        ("growth_potential", "high"),
        ("engagement_preference", "high_touch"),
        ("launch_date", ""),
        ("first_value_date", ""),
    ]
}

store_test!(leaders_create_accounts_from_the_accounts_page, with_db);
async fn leaders_create_accounts_from_the_accounts_page(db: TestDb) {
    let web = TestApp::on(db).await;
    let lena = web.user("lena@v.io", Role::Leader).await;
    let cara = web.user("cara@v.io", Role::Csm).await;
    web.user("vera@v.io", Role::Viewer).await;
    let (leader, csm, viewer) = (
        web.session("lena@v.io").await,
        web.session("cara@v.io").await,
        web.session("vera@v.io").await,
    );

    assert!(
        page(&web, &leader, "/accounts")
            .await
            .text
            .contains("id=\"new-account\"")
    );
    for who in [&csm, &viewer] {
        assert!(!page(&web, who, "/accounts").await.text.contains("id=\"new-account\""));
        assert_eq!(page(&web, who, "/accounts/new").await.status, StatusCode::FORBIDDEN);
        let forced = post(&web, who, "/accounts/new", &new_account("nw-1", "Northwind", "")).await;
        assert_eq!(forced.status, StatusCode::FORBIDDEN);
    }

    // A new customer starts in Land, owned by the leader creating it, with an id to keep.
    let blank = page(&web, &leader, "/accounts/new").await;
    assert_eq!(blank.status, StatusCode::OK);
    assert!(
        blank
            .text
            .contains("name=\"external_id\" id=\"field-external_id\" value=\"acct-")
    );
    assert!(blank.text.contains("<option value=\"land\" selected>"));
    assert!(blank.text.contains(&format!("<option value=\"{}\" selected>", lena.0)));

    // The API's rules, every problem next to its field, what was typed kept.
    let mut wrong = new_account("nw-1", " ", "");
    wrong[2].1 = "not a domain";
    wrong[4].1 = "many";
    let refused = post(&web, &leader, "/accounts/new", &wrong).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem(&refused, "name").contains("must not be empty"),
        "{}",
        problem(&refused, "name")
    );
    assert!(problem(&refused, "domain").contains("is not a web domain"));
    assert!(problem(&refused, "employees").contains("not a whole number"));
    assert!(
        refused.text.contains("value=\"not a domain\""),
        "the typed value is kept"
    );
    let owner = cara.0.to_string();
    let mut dates = new_account("nw-1", "Northwind", &owner);
    dates[11].1 = "2025-03-01";
    dates[12].1 = "2025-01-01";
    let refused = post(&web, &leader, "/accounts/new", &dates).await;
    assert!(problem(&refused, "first_value_date").contains("before the launch date"));
    let token = web.token_for(lena, Role::Leader).await;
    let accounts = || async {
        let list = web.send("GET", "/api/v1/accounts", Some(&token), None).await;
        list.body["items"].as_array().unwrap().len()
    };
    assert_eq!(accounts().await, 0, "nothing is created from a refused form");

    let created = post(
        &web,
        &leader,
        "/accounts/new",
        &new_account("nw-1", "Northwind", &owner),
    )
    .await;
    let to = location(&created).to_owned();
    let id = AccountId(to.strip_prefix("/accounts/").unwrap().parse().unwrap());
    let stored = web.store.account(id).await.unwrap().unwrap().fields;
    assert_eq!(
        (stored.name.as_str(), stored.owner_id, stored.employees),
        ("Northwind", Some(cara), Some(1200))
    );
    assert_eq!(
        stored.domain.unwrap().as_str(),
        "northwind.example",
        "the host of a pasted address"
    );
    assert!(page(&web, &leader, &to).await.text.contains("Northwind"));

    let twin = post(
        &web,
        &leader,
        "/accounts/new",
        &new_account("nw-1", "Northwind again", ""),
    )
    .await;
    assert_eq!(twin.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(&twin, "external_id").contains("already exists"));
    assert_eq!(accounts().await, 1);
    web.db.finish().await;
}

store_test!(csms_add_contacts_to_accounts_in_their_book, with_db);
async fn csms_add_contacts_to_accounts_in_their_book(db: TestDb) {
    let web = TestApp::on(db).await;
    let lena = web.user("lena@v.io", Role::Leader).await;
    let cara = web.user("cara@v.io", Role::Csm).await;
    let (olga, _) = web.api_user("olga@v.io", Role::Csm).await;
    web.user("vera@v.io", Role::Viewer).await;
    let token = web.token_for(lena, Role::Leader).await;
    let own = create_account(&web, &token, account("own", Some(cara))).await;
    let other = create_account(&web, &token, account("other", Some(olga))).await;
    let (csm, viewer) = (web.session("cara@v.io").await, web.session("vera@v.io").await);

    let account_page = page(&web, &csm, &format!("/accounts/{own}")).await;
    assert!(account_page.text.contains("No contacts yet."));
    assert!(
        account_page
            .text
            .contains(&format!("href=\"/accounts/{own}/contacts/new\""))
    );
    let form = page(&web, &csm, &format!("/accounts/{own}/contacts/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("value=\"contact-"), "an external id is offered");

    let contact = |external_id, last_name, email| {
        vec![
            ("external_id", external_id),
            ("first_name", ""),
            ("last_name", last_name),
            ("email", email),
            ("title", "VP Operations"),
            ("role", "champion"),
            ("influence", "high"),
        ]
    };
    let uri = format!("/accounts/{own}/contacts/new");
    let nameless = post(&web, &csm, &uri, &contact("c-1", "", "")).await;
    assert_eq!(nameless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(&nameless, "last_name").contains("needs a first name, a last name or an email"));
    assert!(nameless.text.contains("value=\"VP Operations\""));
    let bad_email = post(&web, &csm, &uri, &contact("c-1", "Okafor", "dana-at-acme")).await;
    assert!(problem(&bad_email, "email").contains("not an email address"));

    let added = post(&web, &csm, &uri, &contact("c-1", "Okafor", "Dana@Acme.com")).await;
    assert_eq!(location(&added), format!("/accounts/{own}#contacts"));
    let stored = web.store.contacts_of(AccountId(own)).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].fields.email.as_ref().unwrap().as_str(), "dana@acme.com");
    assert!(
        page(&web, &csm, &format!("/accounts/{own}"))
            .await
            .text
            .contains("dana@acme.com")
    );

    // Outside her book, and for a viewer: refused, whatever was sent.
    let elsewhere = format!("/accounts/{other}/contacts/new");
    assert_eq!(page(&web, &csm, &elsewhere).await.status, StatusCode::FORBIDDEN);
    let forced = post(&web, &csm, &elsewhere, &contact("c-2", "Okafor", "")).await;
    assert_eq!(forced.status, StatusCode::FORBIDDEN);
    assert_eq!(page(&web, &viewer, &uri).await.status, StatusCode::FORBIDDEN);
    assert!(
        !page(&web, &viewer, &format!("/accounts/{own}"))
            .await
            .text
            .contains("add-contact")
    );
    assert!(web.store.contacts_of(AccountId(other)).await.unwrap().is_empty());
    web.db.finish().await;
}

store_test!(
    contracts_and_their_arr_changes_are_recorded_from_the_account_page,
    with_db
);
async fn contracts_and_their_arr_changes_are_recorded_from_the_account_page(db: TestDb) {
    let web = TestApp::on(db).await;
    let lena = web.user("lena@v.io", Role::Leader).await;
    let cara = web.user("cara@v.io", Role::Csm).await;
    let (olga, _) = web.api_user("olga@v.io", Role::Csm).await;
    web.user("vera@v.io", Role::Viewer).await;
    let token = web.token_for(lena, Role::Leader).await;
    let own = create_account(&web, &token, account("own", Some(cara))).await;
    let other = create_account(&web, &token, account("other", Some(olga))).await;
    let (csm, viewer) = (web.session("cara@v.io").await, web.session("vera@v.io").await);
    let today = web.store.today();
    let (day_before, next_year) = (
        (today - Days::new(1)).to_string(),
        today.checked_add_months(chrono::Months::new(12)).unwrap().to_string(),
    );

    let form = page(&web, &csm, &format!("/accounts/{own}/contracts/new")).await;
    assert!(form.text.contains(&format!("value=\"{today}\"")), "starts today");
    assert!(
        form.text.contains(&format!("value=\"{next_year}\"")),
        "renews in a year"
    );
    let uri = format!("/accounts/{own}/contracts/new");
    let contract = |arr: &'static str, currency: &'static str, end: String| {
        let today = today.to_string();
        let (web, csm, uri) = (&web, &csm, &uri);
        async move {
            let fields = [
                ("external_id", "k-1"),
                ("name", "Platform"),
                ("start_date", today.as_str()),
                ("end_date", end.as_str()),
                ("currency", currency),
                ("arr", arr),
            ];
            post(web, csm, uri, &fields).await
        }
    };
    let refused = contract("", "dollars", next_year.clone()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(&refused, "arr").contains("is required"));
    assert!(problem(&refused, "currency").contains("not a currency code"));
    let backwards = contract("24000", "USD", day_before.clone()).await;
    assert!(problem(&backwards, "end_date").contains("is not after the start date"));
    let added = contract("24,000", "usd", next_year.clone()).await;
    assert_eq!(location(&added), format!("/accounts/{own}#contracts"));
    let stored = web.store.contracts_of(AccountId(own)).await.unwrap();
    assert_eq!(stored[0].arr.to_string(), "24000.00");
    let k = stored[0].id.0;

    let account_page = page(&web, &csm, &format!("/accounts/{own}")).await;
    let change_uri = format!("/accounts/{own}/contracts/{k}/changes/new");
    assert!(account_page.text.contains(&format!("href=\"{change_uri}\"")));
    let form = page(&web, &csm, &change_uri).await;
    assert!(form.text.contains("<option value=\"expansion\" selected>"));
    assert!(
        !form.text.contains("<option value=\"new\""),
        "`new` only starts a contract"
    );

    // The domain refuses a change that breaks the contract's story; the form says why.
    let change = |kind: &'static str, arr: &'static str, on: String| {
        let (web, csm, change_uri) = (&web, &csm, &change_uri);
        async move {
            let fields = [("kind", kind), ("arr", arr), ("effective_date", on.as_str())];
            post(web, csm, change_uri, &fields).await
        }
    };
    let lower = change("expansion", "20,000", today.to_string()).await;
    assert_eq!(lower.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(&lower, "arr").contains("an expansion must raise ARR above 24000.00"));
    let early = change("expansion", "30000", day_before.clone()).await;
    assert!(problem(&early, "effective_date").contains("before the previous change"));
    let expanded = change("expansion", "30,000", today.to_string()).await;
    assert_eq!(location(&expanded), format!("/accounts/{own}#contracts"));
    let account_page = page(&web, &csm, &format!("/accounts/{own}")).await;
    assert!(
        account_page
            .text
            .contains("<span class=\"value\" id=\"account-arr\">$30,000</span>")
    );
    assert!(
        account_page
            .text
            .contains("Platform — Expansion: ARR $24,000 → $30,000")
    );

    let churned = change("churn", "0", today.to_string()).await;
    location(&churned);
    let account_page = page(&web, &csm, &format!("/accounts/{own}")).await;
    assert!(
        !account_page.text.contains(&format!("href=\"{change_uri}\"")),
        "nothing follows a churn"
    );
    assert!(
        page(&web, &csm, &change_uri)
            .await
            .text
            .contains("id=\"churned-contract\"")
    );
    let after = change("expansion", "10", today.to_string()).await;
    assert_eq!(after.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(after.text.contains("id=\"churned-contract\""), "the page says why");
    assert_eq!(
        web.store
            .contract(ContractId(k))
            .await
            .unwrap()
            .unwrap()
            .arr
            .to_string(),
        "0.00"
    );

    // Outside her book, for a viewer, and a contract of another account: refused.
    let theirs = create_account(&web, &token, account("theirs-k", Some(olga))).await;
    let theirs_contract = web
        .send(
            "POST",
            &format!("/api/v1/accounts/{theirs}/contracts"),
            Some(&token),
            Some(serde_json::json!({"external_id": "k-9", "start_date": today, "end_date": next_year, "arr": "100"})),
        )
        .await;
    let theirs_contract = ContractId(theirs_contract.body["id"].as_i64().unwrap());
    let theirs_change = format!("/accounts/{theirs}/contracts/{theirs_contract}/changes/new");
    assert_eq!(page(&web, &csm, &theirs_change).await.status, StatusCode::FORBIDDEN);
    let forced = post(
        &web,
        &csm,
        &theirs_change,
        &[("kind", "churn"), ("arr", "0"), ("effective_date", &today.to_string())],
    )
    .await;
    assert_eq!(forced.status, StatusCode::FORBIDDEN);
    assert_eq!(
        web.store
            .contract(theirs_contract)
            .await
            .unwrap()
            .unwrap()
            .arr
            .to_string(),
        "100.00"
    );
    let elsewhere = format!("/accounts/{other}/contracts/new");
    assert_eq!(page(&web, &csm, &elsewhere).await.status, StatusCode::FORBIDDEN);
    assert_eq!(page(&web, &viewer, &change_uri).await.status, StatusCode::FORBIDDEN);
    let mismatched = format!("/accounts/{own}/contracts/{theirs_contract}/changes/new");
    assert_eq!(page(&web, &csm, &mismatched).await.status, StatusCode::NOT_FOUND);
    web.db.finish().await;
}
