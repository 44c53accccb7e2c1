//! The playbook library (F-32): leaders keep it, everyone reads it; a CSM previews and sends a
//! risk playbook's outreach; churn retrospectives ask for playbooks to change.

use axum::http::StatusCode;
use lodestar_domain::vocabulary::Role;
use serde_json::{Value, json};

use crate::forms::{location, page, post};
use crate::support::{TestApp, account, create_account};

fn outcome(tier: &str, title: &str) -> Value {
    json!({
        "tier": tier,
        "title": title,
        "description": "What the customer wants to see",
        "tactics": [
            {"title": "Weekly adoption review", "description": "With the champion"},
            {"title": "Executive check-in"}
        ],
        "case_studies": [{"title": "Close in 4 days", "customer": "Northwind", "text": "From 9 days to 4."}],
        "roi_figures": [{"label": "Time to close", "value": "55", "unit": "% faster"}]
    })
}

fn first_field(reply: &crate::support::Reply) -> (StatusCode, String, String) {
    (
        reply.status,
        reply.body["errors"][0]["field"].as_str().unwrap_or_default().to_owned(),
        reply.body["errors"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn leaders_keep_the_library_and_everyone_reads_it() {
    let app = TestApp::new().await;
    let (_, lead) = app.api_user("lead@v.io", Role::Leader).await;
    let (_, csm) = app.api_user("csm@v.io", Role::Csm).await;
    let (_, viewer) = app.api_user("viewer@v.io", Role::Viewer).await;
    let create = |token: String, body: Value| {
        let app = &app;
        async move {
            app.send("POST", "/api/v1/playbooks/outcomes", Some(&token), Some(body))
                .await
        }
    };

    assert_eq!(
        create(csm.clone(), outcome("enterprise", "Mine")).await.status,
        StatusCode::FORBIDDEN
    );
    let mut ids = Vec::new();
    for n in 1..=5 {
        let made = create(lead.clone(), outcome("enterprise", &format!("Outcome {n}"))).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
        ids.push(made.body["id"].as_i64().unwrap());
    }
    let sixth = first_field(&create(lead.clone(), outcome("enterprise", "Outcome 6")).await);
    assert_eq!((sixth.0, sixth.1.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "tier"));
    assert!(sixth.2.contains("at most 5"), "{}", sixth.2);

    // Every problem is named against its field.
    let mut bad = outcome("gold", "");
    bad["tactics"] = json!([]);
    bad["roi_figures"] = json!([{"label": "Saved", "value": "a lot", "unit": "hours"}]);
    let refused = create(lead.clone(), bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["tier", "title", "roi_figures"], "{}", refused.text);
    assert!(
        refused.text.contains("figure 1: \\\"a lot\\\" is not a number"),
        "{}",
        refused.text
    );

    // Editing keeps the tactic's id.
    let stored = app
        .send(
            "GET",
            &format!("/api/v1/playbooks/outcomes/{}", ids[0]),
            Some(&viewer),
            None,
        )
        .await;
    let tactic_id = stored.body["tactics"][1]["id"].as_i64().unwrap();
    let mut edit = outcome("enterprise", "Outcome 1, sharper");
    edit["tactics"] = json!([{"id": tactic_id, "title": "Quarterly executive check-in"}]);
    let edited = app
        .send(
            "PUT",
            &format!("/api/v1/playbooks/outcomes/{}", ids[0]),
            Some(&lead),
            Some(edit.clone()),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(
        edited.body["tactics"],
        json!([{"id": tactic_id, "title": "Quarterly executive check-in", "description": ""}])
    );
    assert_eq!(
        app.send(
            "PUT",
            &format!("/api/v1/playbooks/outcomes/{}", ids[0]),
            Some(&csm),
            Some(edit)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // Risk playbooks: unknown placeholders are refused by name.
    let risk = |token: String, approach: &'static str, body: Value| {
        let app = &app;
        async move {
            app.send(
                "PUT",
                &format!("/api/v1/playbooks/risk/{approach}"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let typo = first_field(
        &risk(
            lead.clone(),
            "open_question",
            json!({"subject": "Renewal", "body": "Hi {{contact.firstname}}"}),
        )
        .await,
    );
    assert_eq!((typo.0, typo.1.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "body"));
    assert!(
        typo.2.starts_with("unknown placeholder {{contact.firstname}}"),
        "{}",
        typo.2
    );
    let template =
        json!({"subject": "{{account.name}}: your renewal", "body": "Hi {{contact.first_name}},\n\nHow can we help?"});
    assert_eq!(
        risk(csm.clone(), "open_question", template.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        risk(lead.clone(), "sometimes", template.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    let saved = risk(lead.clone(), "open_question", template).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.body["exposure"], "high");

    let library = app.send("GET", "/api/v1/playbooks", Some(&viewer), None).await;
    assert_eq!(library.status, StatusCode::OK);
    let segments = library.body["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 4);
    assert_eq!(segments[0]["tier"], "strategic");
    assert_eq!(
        segments[0]["warning"],
        "Strategic has 0 outcomes; a segment should have 3 to 5"
    );
    assert_eq!(segments[1]["outcomes"].as_array().unwrap().len(), 5);
    assert!(segments[1]["warning"].is_null());
    let risks: Vec<(&str, bool)> = library.body["risk_playbooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["approach"].as_str().unwrap(), r["subject"].is_string()))
        .collect();
    assert_eq!(
        risks,
        [
            ("open_question", true),
            ("menu_of_options", false),
            ("open_channel", false)
        ]
    );

    let gone = app
        .send(
            "DELETE",
            &format!("/api/v1/playbooks/outcomes/{}", ids[4]),
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        create(lead.clone(), outcome("enterprise", "Outcome 6")).await.status,
        StatusCode::CREATED
    );
}

/// An app whose server sends email (the job runner is not running: the email stays queued).
async fn sending_app() -> TestApp {
    use lodestar_server::config::{MailConfig, ServerConfig};
    use lodestar_store::testing::TestDb;

    let config = ServerConfig {
        mail: Some(MailConfig::new("smtp://127.0.0.1:2525", "Lodestar <cs@vendor.io>").unwrap()),
        ..ServerConfig::default()
    };
    TestApp::with_app(TestDb::sqlite().await, move |store| lodestar_server::app(store, config)).await
}

/// A leader, the account's CSM with a contract renewing and two contacts (one without an
/// address), and the open-question template written.
struct Book {
    lead: String,
    csm: String,
    other: String,
    viewer: String,
    account: i64,
    dana: i64,
    silent: i64,
    /// The leader, the CSM and the other CSM.
    people: [lodestar_domain::UserId; 3],
}

async fn book(app: &TestApp) -> Book {
    let (csm_id, csm) = app.api_user("csm@v.io", Role::Csm).await;
    let (other_id, other) = app.api_user("other@v.io", Role::Csm).await;
    let (_, viewer) = app.api_user("viewer@v.io", Role::Viewer).await;
    let (lead_id, lead) = app.api_user("lead@v.io", Role::Leader).await;
    let account = create_account(app, &lead, account("acme", Some(csm_id))).await;
    let renews = app.store.today() + chrono::Days::new(60);
    let contract = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{account}/contracts"),
            Some(&lead),
            Some(
                json!({"external_id": "k1", "start_date": app.store.today() - chrono::Days::new(300),
                        "end_date": renews, "arr": "48000"}),
            ),
        )
        .await;
    assert!(contract.status.is_success(), "{}", contract.text);
    let mut contacts = Vec::new();
    for (key, email) in [("dana", Some("dana@acme.example")), ("sam", None)] {
        let made = app
            .send(
                "POST",
                &format!("/api/v1/accounts/{account}/contacts"),
                Some(&lead),
                Some(json!({"external_id": key, "first_name": if email.is_some() { "Dana" } else { "Sam" }, "email": email})),
            )
            .await;
        contacts.push(made.body["id"].as_i64().unwrap());
    }
    let template = json!({
        "subject": "{{account.name}}: your renewal on {{renewal_date}}",
        "body": "Hi {{contact.first_name}},\n\nWe understand these are challenging times. Your {{arr}} renewal is coming up. \
                 Can we have a conversation about what you would need?\n\n{{csm.name}}"
    });
    let saved = app
        .send(
            "PUT",
            "/api/v1/playbooks/risk/open_question",
            Some(&lead),
            Some(template),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    Book {
        lead,
        csm,
        other,
        viewer,
        account,
        dana: contacts[0],
        silent: contacts[1],
        people: [lead_id, csm_id, other_id],
    }
}

#[tokio::test]
async fn a_csm_previews_a_risk_playbooks_outreach_and_sends_it_once_a_day() {
    let app = sending_app().await;
    let b = book(&app).await;
    let call = |path: &'static str, token: &str, contact: i64, approach: &str| {
        let (app, token) = (&app, token.to_owned());
        let body = json!({"approach": approach, "contact_id": contact});
        let uri = format!("/api/v1/accounts/{}/outreach{path}", b.account);
        async move { app.send("POST", &uri, Some(&token), Some(body)).await }
    };
    for token in [&b.other, &b.viewer] {
        assert_eq!(
            call("/preview", token, b.dana, "open_question").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            call("", token, b.dana, "open_question").await.status,
            StatusCode::FORBIDDEN
        );
    }
    let preview = call("/preview", &b.csm, b.dana, "open_question").await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    let renews = (app.store.today() + chrono::Days::new(60))
        .format("%-d %B %Y")
        .to_string();
    assert_eq!(
        preview.body["subject"],
        format!("Account acme: your renewal on {renews}")
    );
    assert_eq!(preview.body["to"], "dana@acme.example");
    let body = preview.body["body"].as_str().unwrap();
    assert!(
        body.starts_with("Hi Dana,") && body.contains("Your $48,000 renewal"),
        "{body}"
    );
    assert!(body.trim_end().ends_with("csm@v.io"), "signed by the sender: {body}");

    let no_template = first_field(&call("/preview", &b.csm, b.dana, "open_channel").await);
    assert_eq!(no_template.0, StatusCode::CONFLICT, "{no_template:?}");
    let unknown = first_field(&call("/preview", &b.csm, b.dana, "panic").await);
    assert_eq!(
        (unknown.0, unknown.1.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "approach")
    );

    let silent = first_field(&call("", &b.csm, b.silent, "open_question").await);
    assert_eq!(
        (silent.0, silent.1.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "contact_id")
    );
    assert!(silent.2.contains("no email address"), "{}", silent.2);
    let sent = call("", &b.csm, b.dana, "open_question").await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.text);
    let job = app
        .store
        .job(lodestar_domain::JobId(sent.body["job_id"].as_i64().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.kind, "email");
    assert_eq!(job.payload["to"], "dana@acme.example");
    assert!(job.payload["html_body"].is_null(), "the email is text");
    assert_eq!(
        call("", &b.lead, b.dana, "open_question").await.status,
        StatusCode::CONFLICT,
        "once a day"
    );
    let view = app
        .store
        .account_view(lodestar_domain::AccountId(b.account), app.store.today())
        .await
        .unwrap()
        .unwrap();
    assert!(
        view.timeline
            .iter()
            .any(|e| e.text.starts_with("Outreach (Open question) sent to Dana")),
        "on the account's timeline"
    );

    // Without an SMTP server nothing can be sent.
    let quiet = TestApp::new().await;
    let q = book(&quiet).await;
    let refused = quiet
        .send(
            "POST",
            &format!("/api/v1/accounts/{}/outreach", q.account),
            Some(&q.csm),
            Some(json!({"approach": "open_question", "contact_id": q.dana})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text.contains("LODESTAR_SMTP_URL"), "{}", refused.text);
}

#[tokio::test]
async fn a_churn_retrospective_asks_for_a_playbook_change_that_a_leader_resolves() {
    let app = TestApp::new().await;
    let b = book(&app).await;
    let outcome_id = app
        .send(
            "POST",
            "/api/v1/playbooks/outcomes",
            Some(&b.lead),
            Some(outcome("enterprise", "Renewal without surprises")),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let ask = |token: &str, body: Value| {
        let (app, token) = (&app, token.to_owned());
        let uri = format!("/api/v1/accounts/{}/playbook-changes", b.account);
        async move { app.send("POST", &uri, Some(&token), Some(body)).await }
    };
    let note = "Map the CFO before renewals above $100k";
    assert_eq!(
        ask(&b.csm, json!({"outcome_id": outcome_id, "note": note}))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "no retrospective before the churn"
    );
    let churned = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{}/churn", b.account),
            Some(&b.csm),
            Some(json!({"churned_on": app.store.today(), "reason": "budget"})),
        )
        .await;
    assert_eq!(churned.status, StatusCode::CREATED, "{}", churned.text);
    assert_eq!(
        ask(&b.other, json!({"outcome_id": outcome_id, "note": note}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let neither = first_field(&ask(&b.csm, json!({"note": note})).await);
    assert_eq!(
        (neither.0, neither.1.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "outcome_id")
    );
    let blank = first_field(&ask(&b.csm, json!({"approach": "open_question", "note": " "})).await);
    assert_eq!(blank.1, "note");
    let asked = ask(&b.csm, json!({"outcome_id": outcome_id, "note": note})).await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.text);
    assert_eq!(asked.body["target"], "Renewal without surprises");
    let risk = ask(
        &b.csm,
        json!({"approach": "menu_of_options", "note": "Offer a payment plan first"}),
    )
    .await;
    assert_eq!(risk.body["target"], "Menu of options");

    let library = app.send("GET", "/api/v1/playbooks", Some(&b.viewer), None).await;
    assert_eq!(library.body["open_change_requests"].as_array().unwrap().len(), 2);
    let id = asked.body["id"].as_i64().unwrap();
    let resolve = |token: &str| {
        let (app, token) = (&app, token.to_owned());
        async move {
            app.send(
                "POST",
                &format!("/api/v1/playbook-changes/{id}/resolve"),
                Some(&token),
                None,
            )
            .await
        }
    };
    assert_eq!(resolve(&b.csm).await.status, StatusCode::FORBIDDEN);
    let resolved = resolve(&b.lead).await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text);
    assert_eq!(resolved.body["resolved_by"], "lead@v.io");
    assert_eq!(resolve(&b.lead).await.status, StatusCode::CONFLICT);
    let library = app.send("GET", "/api/v1/playbooks", Some(&b.viewer), None).await;
    assert_eq!(library.body["open_change_requests"][0]["approach"], "menu_of_options");
}

#[tokio::test]
async fn the_library_outreach_and_change_requests_in_the_web_ui() {
    let app = sending_app().await;
    let b = book(&app).await;
    let hash = lodestar_server::password::hash(crate::support::PASSWORD).unwrap();
    for id in b.people {
        app.store.set_password_hash(id, &hash).await.unwrap();
    }
    let lead = app.session("lead@v.io").await;
    let csm = app.session("csm@v.io").await;

    // A leader adds an outcome through the form; blank rows are skipped.
    let form = page(&app, &lead, "/playbooks/outcomes/new?tier=strategic").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text.contains("<option value=\"strategic\" selected>"),
        "{}",
        form.text
    );
    let fields = [
        ("tier", "strategic"),
        ("title", "Renewal without surprises"),
        ("description", ""),
        ("tactic_id", ""),
        ("tactic_title", "Map the CFO"),
        ("tactic_description", "Before every renewal"),
        ("tactic_id", ""),
        ("tactic_title", ""),
        ("tactic_description", ""),
        ("case_title", "Kept at renewal"),
        ("case_customer", "Northwind"),
        ("case_text", ""),
        ("roi_label", "Renewal rate"),
        ("roi_value", "x"),
        ("roi_unit", "%"),
    ];
    let refused = post(&app, &lead, "/playbooks/outcomes/new", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains("figure 1:") && refused.text.contains("Map the CFO"),
        "{}",
        refused.text
    );
    let mut fields = fields.to_vec();
    fields[13] = ("roi_value", "97.5");
    let saved = post(&app, &lead, "/playbooks/outcomes/new", &fields).await;
    let at = location(&saved).to_owned();
    assert!(at.starts_with("/playbooks#outcome-"), "{at}");
    let outcome_id = at.trim_start_matches("/playbooks#outcome-");

    let library = page(&app, &lead, "/playbooks").await;
    assert!(library.text.contains("Renewal without surprises") && library.text.contains("97.5 %"));
    assert!(
        library.text.contains("id=\"risk-form-open_question\""),
        "leaders edit templates"
    );
    assert!(
        library
            .text
            .contains("Strategic has 1 outcome; a segment should have 3 to 5")
    );
    let read_only = page(&app, &csm, "/playbooks").await;
    assert_eq!(read_only.status, StatusCode::OK);
    assert!(read_only.text.contains("Renewal without surprises"));
    assert!(!read_only.text.contains("id=\"add-outcome-") && !read_only.text.contains("risk-form-"));
    assert_eq!(
        page(&app, &csm, "/playbooks/outcomes/new").await.status,
        StatusCode::FORBIDDEN
    );

    // A template with a typo comes back with the placeholder named.
    let typo = post(
        &app,
        &lead,
        "/playbooks/risk/open_channel",
        &[("subject", "Hi {{acount.name}}"), ("body", "x")],
    )
    .await;
    assert!(location(&typo).ends_with("#risk-open_channel"));
    let shown = page(&app, &lead, "/playbooks").await;
    assert!(
        shown.text.contains("unknown placeholder {{acount.name}}"),
        "{}",
        shown.text
    );

    // The CSM previews the outreach with the account's name filled in, then sends it.
    let account_page = page(&app, &csm, &format!("/accounts/{}", b.account)).await;
    assert!(
        account_page
            .text
            .contains(&format!("href=\"/accounts/{}/outreach\"", b.account))
    );
    let preview = page(
        &app,
        &csm,
        &format!(
            "/accounts/{}/outreach?approach=open_question&contact_id={}",
            b.account, b.dana
        ),
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        preview.text.contains("Account acme: your renewal on"),
        "{}",
        preview.text
    );
    assert!(preview.text.contains("Hi Dana,"));
    let silent = page(
        &app,
        &csm,
        &format!(
            "/accounts/{}/outreach?approach=open_question&contact_id={}",
            b.account, b.silent
        ),
    )
    .await;
    assert!(silent.text.contains("has no email address") && !silent.text.contains("id=\"send-outreach\""));
    let contact = b.dana.to_string();
    let sent = post(
        &app,
        &csm,
        &format!("/accounts/{}/outreach", b.account),
        &[("approach", "open_question"), ("contact_id", &contact)],
    )
    .await;
    assert_eq!(location(&sent), format!("/accounts/{}#timeline", b.account));
    let again = post(
        &app,
        &csm,
        &format!("/accounts/{}/outreach", b.account),
        &[("approach", "open_question"), ("contact_id", &contact)],
    )
    .await;
    let back = location(&again).to_owned();
    assert!(
        page(&app, &csm, &back)
            .await
            .text
            .contains("already got the Open question outreach today")
    );
    let other = app.session("other@v.io").await;
    assert_eq!(
        page(&app, &other, &format!("/accounts/{}/outreach", b.account))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // After the churn, the retrospective asks for the outcome to change; the library shows it.
    post(
        &app,
        &csm,
        &format!("/accounts/{}/churn", b.account),
        &[
            ("churned_on", &app.store.today().to_string()),
            ("reason", "budget"),
            ("detail", ""),
        ],
    )
    .await;
    let retro = page(&app, &csm, &format!("/accounts/{}/retrospective", b.account)).await;
    assert!(
        retro.text.contains(&format!("value=\"outcome:{outcome_id}\"")),
        "{}",
        retro.text
    );
    let target = format!("outcome:{outcome_id}");
    let asked = post(
        &app,
        &csm,
        &format!("/accounts/{}/playbook-changes", b.account),
        &[("target", &target), ("note", "Ask for the CFO sooner")],
    )
    .await;
    assert!(location(&asked).ends_with("#playbook-changes"));
    let library = page(&app, &lead, "/playbooks").await;
    assert!(library.text.contains("Ask for the CFO sooner"), "{}", library.text);
}
