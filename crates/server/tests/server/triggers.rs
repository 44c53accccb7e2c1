//! Trigger rules over HTTP: admins only, every problem of a rule named, a dry run that does
//! nothing, and "run now" that queues the job which fires once per cause.

use axum::http::StatusCode;
use lodestar_domain::UserId;
use lodestar_domain::vocabulary::Role;
use serde_json::json;

use crate::forms::{location, page, post};
use crate::support::{TestApp, account, create_account};

/// The account "acme", owned by `csm`, on a 90,000 contract that ends in 45 days.
async fn renewing_in_45_days(app: &TestApp, admin: &str, csm: UserId) -> i64 {
    let id = create_account(app, admin, account("acme", Some(csm))).await;
    let renews = (chrono::Utc::now().date_naive() + chrono::Duration::days(45)).to_string();
    let contract = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contracts"),
            Some(admin),
            Some(json!({"external_id": "k1", "start_date": "2026-01-01", "end_date": renews, "arr": "90000"})),
        )
        .await;
    assert_eq!(contract.status, StatusCode::CREATED, "{}", contract.text);
    id
}

#[tokio::test]
async fn admins_write_rules_that_a_dry_run_previews_and_a_run_fires_once() {
    let app = TestApp::new().await;
    let (_, admin) = app.api_user("admin@v.io", Role::Admin).await;
    let (csm, csm_token) = app.api_user("csm@v.io", Role::Csm).await;
    let id = renewing_in_45_days(&app, &admin, csm).await;

    let bad = app
        .send(
            "POST",
            "/api/v1/triggers",
            Some(&admin),
            Some(json!({"name": "", "signal": "renewal_in", "param": "0", "tier": "gold",
                "actions": [{"kind": "notify_user", "user_id": 999}]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "signal", "tier", "notify_user_id"], "{}", bad.text);
    let none = app
        .send(
            "POST",
            "/api/v1/triggers",
            Some(&admin),
            Some(json!({"name": "Idle", "signal": "renewal_in", "param": "30", "actions": []})),
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(none.body["errors"][0]["field"], "actions");

    let rule = json!({"name": "Renewal in 60 days", "signal": "renewal_in", "param": "60", "min_arr": "50000",
        "actions": [{"kind": "create_task", "title": "Confirm the renewal with {account}", "due_in_days": 0},
                    {"kind": "post_webhook"}]});
    let refused = app
        .send("POST", "/api/v1/triggers", Some(&csm_token), Some(rule.clone()))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let made = app.send("POST", "/api/v1/triggers", Some(&admin), Some(rule)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let rule_id = made.body["id"].as_i64().unwrap();
    assert_eq!(
        made.body["description"],
        "When the renewal is 60 days away or less and ARR is at least $50,000, then task \"Confirm the renewal with {account}\" due in 0 days, post to the webhooks"
    );

    let dry = app
        .send(
            "GET",
            &format!("/api/v1/triggers/{rule_id}/dry-run"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    assert_eq!(dry.body.as_array().unwrap().len(), 1);
    assert_eq!(
        (dry.body[0]["account_id"].as_i64(), dry.body[0]["fired"].as_bool()),
        (Some(id), Some(false))
    );
    let tasks = app.send("GET", "/api/v1/tasks", Some(&csm_token), None).await;
    assert!(
        tasks.body.as_array().unwrap().iter().all(|t| t["source"] != "trigger"),
        "a dry run does nothing"
    );

    // "Run now" queues the job; the store runs the same rules the job would.
    let run = app.send("POST", "/api/v1/triggers/run", Some(&admin), None).await;
    assert_eq!(run.status, StatusCode::ACCEPTED, "{}", run.text);
    let job = app
        .store
        .job(lodestar_domain::JobId(run.body["job_id"].as_i64().unwrap()))
        .await
        .unwrap()
        .expect("queued");
    assert_eq!(job.kind, "trigger_sweep");
    for _ in 0..2 {
        app.store.run_trigger_rules(app.store.today()).await.unwrap();
    }
    let tasks = app.send("GET", "/api/v1/tasks", Some(&csm_token), None).await;
    let titles: Vec<&str> = tasks
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["source"] == "trigger")
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Confirm the renewal with Account acme"],
        "once, however often it runs"
    );
    let firings = app
        .send(
            "GET",
            &format!("/api/v1/triggers/{rule_id}/firings"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(firings.body.as_array().unwrap().len(), 1, "{}", firings.text);
    assert!(
        firings.body[0]["cause_text"]
            .as_str()
            .unwrap()
            .starts_with("renews on ")
    );

    let off = app
        .send(
            "PUT",
            &format!("/api/v1/triggers/{rule_id}"),
            Some(&admin),
            Some(
                json!({"name": "Renewal in 60 days", "signal": "renewal_in", "param": "60", "enabled": false,
                "actions": [{"kind": "reactive_qbr"}]}),
            ),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(
        (off.body["enabled"].as_bool(), off.body["firings"].as_i64()),
        (Some(false), Some(1))
    );
    let gone = app
        .send("DELETE", &format!("/api/v1/triggers/{rule_id}"), Some(&admin), None)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let missing = app
        .send("GET", &format!("/api/v1/triggers/{rule_id}"), Some(&admin), None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_rule_makes_a_task_from_a_playbook_tactic_that_must_exist() {
    let app = TestApp::new().await;
    let (admin_id, admin) = app.api_user("admin@v.io", Role::Admin).await;
    let (csm, csm_token) = app.api_user("csm@v.io", Role::Csm).await;
    renewing_in_45_days(&app, &admin, csm).await;
    let outcome = app
        .send(
            "POST",
            "/api/v1/playbooks/outcomes",
            Some(&admin),
            Some(json!({"tier": "strategic", "title": "Executive alignment",
                "tactics": [{"title": "Quarterly EBR"}, {"title": "Sponsor pairing"}]})),
        )
        .await;
    assert_eq!(outcome.status, StatusCode::CREATED, "{}", outcome.text);
    let tactic = outcome.body["tactics"][0]["id"].as_i64().unwrap();
    let rule = |action: serde_json::Value| json!({"name": "Renewal EBR", "signal": "renewal_in", "param": "60", "actions": [action]});
    let fields_of = |reply: &crate::support::Reply| -> Vec<String> {
        reply.body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", reply.text))
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    };

    // An unknown tactic, a missing one and too many days are each named.
    let unknown = app
        .send(
            "POST",
            "/api/v1/triggers",
            Some(&admin),
            Some(rule(json!({"kind": "playbook_task", "tactic_id": tactic + 1000}))),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.text);
    assert!(
        unknown.content_type.starts_with("application/problem+json"),
        "{}",
        unknown.content_type
    );
    assert_eq!(fields_of(&unknown), ["playbook_tactic_id"]);
    let missing = app
        .send(
            "POST",
            "/api/v1/triggers",
            Some(&admin),
            Some(rule(json!({"kind": "playbook_task", "due_in_days": 400}))),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.text);
    assert_eq!(fields_of(&missing), ["playbook_task_due_in_days", "playbook_tactic_id"]);

    let made = app
        .send(
            "POST",
            "/api/v1/triggers",
            Some(&admin),
            Some(rule(
                json!({"kind": "playbook_task", "tactic_id": tactic, "due_in_days": 5}),
            )),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert_eq!(
        made.body["description"],
        "When the renewal is 60 days away or less, then playbook task \"Quarterly EBR — Executive alignment\" due in 5 days"
    );
    assert_eq!(
        made.body["actions"],
        json!([{"kind": "playbook_task", "tactic": tactic, "due_in_days": 5}])
    );
    for _ in 0..2 {
        app.store.run_trigger_rules(app.store.today()).await.unwrap();
    }
    let tasks = app.send("GET", "/api/v1/tasks", Some(&csm_token), None).await;
    let titles: Vec<&str> = tasks
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["source"] == "trigger")
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 1, "once, however often it runs: {titles:?}");
    assert!(
        titles[0].starts_with("Quarterly EBR — Executive alignment: renews on "),
        "{titles:?}"
    );

    // The form offers the library's tactics by segment and outcome, the rule's selected; an
    // unknown one comes back with the problem shown.
    let hash = lodestar_server::password::hash(crate::support::PASSWORD).unwrap();
    app.store.set_password_hash(admin_id, &hash).await.unwrap();
    let session = app.session("admin@v.io").await;
    let rule_id = made.body["id"].as_i64().unwrap();
    let shown = page(&app, &session, &format!("/admin/triggers/{rule_id}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown
            .text
            .contains("<optgroup label=\"Strategic · Executive alignment\">")
            && shown
                .text
                .contains(&format!("<option value=\"{tactic}\" selected>Quarterly EBR</option>")),
        "{}",
        shown.text
    );
    let posted = post(
        &app,
        &session,
        "/admin/triggers",
        &[
            ("name", "From the form"),
            ("signal", "renewal_in"),
            ("param", "30"),
            ("playbook_on", "on"),
            ("playbook_tactic", &(tactic + 1000).to_string()),
            ("playbook_days", "7"),
        ],
    )
    .await;
    assert!(location(&posted).ends_with("/admin/triggers#new-rule"));
    let back = page(&app, &session, "/admin/triggers").await;
    assert!(back.text.contains("id=\"rules-problem\""), "{}", back.text);
    assert!(
        back.text.contains("the playbook library has no tactic"),
        "{}",
        back.text
    );
}
