//! Handoff and deal quality (F-65) through the API and the pages: a closed deal handed to CS
//! with the team's criteria, the kickoff's due date, a rejection resting on unmet criteria that
//! only a leader decides, the exceptions beside the renewal outcome; each refusal named.

use axum::http::StatusCode;
use lodestar_domain::vocabulary::Role;
use serde_json::json;

use crate::support::{TestApp, account, create_account};

#[tokio::test]
async fn a_deal_is_handed_off_rejected_on_unmet_criteria_and_a_leader_decides() {
    let app = TestApp::new().await;
    let (csm, token) = app.api_user("csm@v.io", Role::Csm).await;
    let (_, other) = app.api_user("other@v.io", Role::Csm).await;
    let (_, viewer) = app.api_user("viewer@v.io", Role::Viewer).await;
    let lead = app.api_user("lead@v.io", Role::Leader).await.1;
    let id = create_account(&app, &lead, account("acme", Some(csm))).await;

    // Leaders keep the team's list; a CSM may not.
    let list = json!({"criteria": ["Executive sponsor named", "Success criteria agreed in writing"]});
    let refused = app
        .send(
            "PUT",
            "/api/v1/qualification-criteria",
            Some(&token),
            Some(list.clone()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let twice = json!({"criteria": ["Budget", "budget"]});
    let twice = app
        .send("PUT", "/api/v1/qualification-criteria", Some(&lead), Some(twice))
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", twice.text);
    assert_eq!(twice.body["errors"][0]["field"], "criteria");
    let set = app
        .send("PUT", "/api/v1/qualification-criteria", Some(&lead), Some(list))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);

    let handoff = format!("/api/v1/accounts/{id}/handoff");
    let body = json!({
        "signed_on": "2026-12-04", "goals": "Halve franchise onboarding time",
        "pain_points": "Three spreadsheets", "met": ["executive sponsor named"],
        "exceptions": [{"kind": "discount", "detail": "20% off year one"}]
    });
    for refused in [&other, &viewer] {
        let reply = app.send("POST", &handoff, Some(refused), Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    }
    let bad = json!({"goals": "", "met": ["Budget"], "exceptions": [{"kind": "bribe", "detail": "x"}]});
    let bad = app.send("POST", &handoff, Some(&token), Some(bad)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.body["errors"][0]["field"], "met", "{}", bad.text);
    let mut blank = body.clone();
    blank["goals"] = json!(" ");
    blank["exceptions"][0]["kind"] = json!("bribe");
    let blank = app.send("POST", &handoff, Some(&token), Some(blank)).await;
    let fields: Vec<&str> = blank.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["exceptions"], "the exception is refused first: {}", blank.text);

    let created = app.send("POST", &handoff, Some(&token), Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let h = created.body["id"].as_i64().unwrap();
    // Signed on a Friday: the kickoff is due the Thursday after.
    assert_eq!(created.body["kickoff_due_on"], "2026-12-10");
    assert_eq!(created.body["state"], "handed_off");
    assert_eq!(created.body["criteria"][0]["met"], true);
    assert_eq!(created.body["criteria"][1]["met"], false);
    assert_eq!(created.body["exceptions"][0]["detail"], "20% off year one");

    // A rejection names unmet criteria of this handoff; another CSM may not ask.
    let rejection = format!("/api/v1/handoffs/{h}/rejection");
    let on_met = json!({"criteria": ["Executive sponsor named"], "reason": "x"});
    let on_met = app.send("POST", &rejection, Some(&token), Some(on_met)).await;
    assert_eq!(on_met.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", on_met.text);
    assert_eq!(on_met.body["errors"][0]["field"], "criteria");
    let unmet = json!({"criteria": ["Success criteria agreed in writing"], "reason": "Nothing agreed at kickoff"});
    let not_theirs = app.send("POST", &rejection, Some(&other), Some(unmet.clone())).await;
    assert_eq!(not_theirs.status, StatusCode::FORBIDDEN);
    let asked = app.send("POST", &rejection, Some(&token), Some(unmet.clone())).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.text);
    assert_eq!(asked.body["state"], "rejection_requested");
    assert_eq!(asked.body["criteria"][1]["cited"], true);
    let again = app.send("POST", &rejection, Some(&token), Some(unmet)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);

    // The CSM cannot decide their own rejection; a leader does.
    let decision = format!("/api/v1/handoffs/{h}/decision");
    let own = app
        .send("POST", &decision, Some(&token), Some(json!({"approve": true})))
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let awaiting = app
        .send("GET", "/api/v1/handoffs?state=rejection_requested", Some(&viewer), None)
        .await;
    assert_eq!(awaiting.body.as_array().unwrap().len(), 1, "{}", awaiting.text);
    let decided = app
        .send(
            "POST",
            &decision,
            Some(&lead),
            Some(json!({"approve": true, "note": "No success criteria: agreed"})),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.text);
    assert_eq!(decided.body["state"], "rejected");
    assert_eq!(decided.body["decided_by"], "lead@v.io");
    let edit = app
        .send(
            "PUT",
            &format!("/api/v1/handoffs/{h}"),
            Some(&token),
            Some(json!({"signed_on": "2026-12-04", "goals": "x"})),
        )
        .await;
    assert_eq!(
        edit.status,
        StatusCode::CONFLICT,
        "a rejected deal is frozen: {}",
        edit.text
    );
    let bad_state = app
        .send("GET", "/api/v1/handoffs?state=lost", Some(&viewer), None)
        .await;
    assert_eq!(bad_state.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_handoff_page_hands_off_accepts_and_shows_exceptions_beside_the_outcome() {
    use crate::forms::{location, page, post};
    let app = TestApp::new().await;
    let csm = app.user("csm@v.io", Role::Csm).await;
    app.user("other@v.io", Role::Csm).await;
    let lead = app.api_user("lead@v.io", Role::Leader).await.1;
    let id = create_account(&app, &lead, account("acme", Some(csm))).await;
    let cookie = app.session("csm@v.io").await;
    let url = format!("/accounts/{id}/handoff");

    let empty = page(&app, &cookie, &url).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.text.contains("id=\"no-handoffs\""), "{}", empty.text);
    assert!(
        empty.text.contains("Executive sponsor named"),
        "the default list is offered"
    );

    let form = [
        ("signed_on", "2026-11-30"),
        ("goals", "Halve franchise onboarding time"),
        ("pain_points", ""),
        ("met", "Executive sponsor named"),
        ("exception_kind", "payment_terms"),
        ("exception_detail", "Net 90"),
        ("exception_kind", ""),
        ("exception_detail", ""),
    ];
    let other = app.session("other@v.io").await;
    assert_eq!(post(&app, &other, &url, &form).await.status, StatusCode::FORBIDDEN);
    let done = post(&app, &cookie, &url, &form).await;
    assert!(location(&done).starts_with(&url));
    let list = app
        .send("GET", &format!("/api/v1/accounts/{id}/handoffs"), Some(&lead), None)
        .await;
    let h = list.body[0]["id"].as_i64().unwrap();
    assert_eq!(list.body[0]["exceptions"].as_array().unwrap().len(), 1, "{}", list.text);
    assert_eq!(list.body[0]["kickoff_due_on"], "2026-12-04");

    // A problem comes back on the page, once.
    let blank = post(&app, &cookie, &url, &[("signed_on", "2026-11-30"), ("goals", "")]).await;
    location(&blank);
    let shown = page(&app, &cookie, &url).await;
    assert!(shown.text.contains("id=\"handoff-error\""), "{}", shown.text);

    let accepted = post(&app, &cookie, &format!("/handoffs/{h}/accept"), &[]).await;
    location(&accepted);
    let shown = page(&app, &cookie, &url).await;
    assert!(
        shown.text.contains(&format!("id=\"handoff-{h}-state\">Accepted")),
        "{}",
        shown.text
    );
    assert!(!shown.text.contains("id=\"handoff-error\""), "shown once");

    // The deal-quality page puts the exception beside how the account renewed.
    let all = page(&app, &cookie, "/handoffs").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.text.contains("Payment terms: Net 90"), "{}", all.text);
    assert!(all.text.contains("Accepted"));
}
