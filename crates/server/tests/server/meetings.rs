//! Meetings, promises, tasks, Today and the calendar feed, through the API as a CSM uses them.

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use lodestar_domain::vocabulary::Role;
use serde_json::json;

use crate::support::{TestApp, account, create_account};

fn unfold(ics: &str) -> String {
    ics.replace("\r\n ", "").replace("\r\n\t", "")
}

#[tokio::test]
async fn a_meeting_with_promises_lands_on_the_account_today_tasks_and_the_calendar_feed() {
    let app = TestApp::new().await;
    let (csm, token) = app.api_user("csm@v.io", Role::Csm).await;
    let (_, other) = app.api_user("other@v.io", Role::Csm).await;
    let id = create_account(
        &app,
        &app.api_user("lead@v.io", Role::Leader).await.1,
        account("acme", Some(csm)),
    )
    .await;
    let contact = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contacts"),
            Some(&token),
            Some(json!({"external_id": "dana", "first_name": "Dana", "last_name": "Lee"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let today = app.store.today();
    let starts = Utc::now() + Duration::days(3);
    let body = json!({
        "kind": "check_in", "title": "Monthly check-in", "starts_at": starts, "duration_minutes": 30,
        "time_zone": "Europe/Berlin", "notes": "## Heard\n- wants **SSO**\n<script>alert(1)</script>",
        "user_ids": [csm.0], "contact_ids": [contact],
        "promises": [
            {"description": "Share the admin list", "owner_contact_id": contact, "due_on": today - Duration::days(2)},
            {"description": "Send the SSO guide", "owner_user_id": csm.0, "due_on": today - Duration::days(1)}
        ]
    });
    // Another CSM may not log meetings on this account; a bad field is named, nothing is written.
    let refused = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/meetings"),
            Some(&other),
            Some(body.clone()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let mut bad = body.clone();
    bad["promises"][0]["owner_contact_id"] = json!(null);
    let invalid = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/meetings"),
            Some(&token),
            Some(bad),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", invalid.text);
    assert_eq!(invalid.body["errors"][0]["field"], "owner", "{}", invalid.text);
    let none = app
        .send("GET", &format!("/api/v1/accounts/{id}/meetings"), Some(&token), None)
        .await;
    assert_eq!(none.body.as_array().unwrap().len(), 0);

    let created = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/meetings"),
            Some(&token),
            Some(body),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let meeting = created.body["id"].as_i64().unwrap();
    let html = created.body["notes_html"].as_str().unwrap();
    assert!(
        html.contains("<strong>SSO</strong>") && !html.contains("<script"),
        "{html}"
    );
    assert_eq!(created.body["attendees"].as_array().unwrap().len(), 2);

    // Promises: one overdue on each side; ours is also a task on the CSM's list.
    let promises = app
        .send("GET", &format!("/api/v1/accounts/{id}/promises"), Some(&token), None)
        .await;
    assert_eq!(promises.body["ours"]["overdue"], 1, "{}", promises.text);
    assert_eq!(promises.body["theirs"]["overdue"], 1);
    assert_eq!(
        promises.body["kept"],
        "we kept 0 of 1, they kept 0 of 1 in the last 90 days"
    );
    // Two tasks: our promise, and the reactive QBR that the account's red score opened (its
    // only measure, promises kept, is at 0 %).
    let tasks = app.send("GET", "/api/v1/tasks", Some(&token), None).await;
    let sources: Vec<&str> = tasks
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["promise", "reactive_qbr"], "{}", tasks.text);
    assert_eq!(tasks.body[0]["title"], "Send the SSO guide");

    // Today: both overdue promises, ours above theirs, each saying why.
    let list = app.send("GET", "/api/v1/today", Some(&token), None).await;
    let lines = list.body.as_array().unwrap();
    let whys: Vec<&str> = lines.iter().map(|l| l["why"].as_str().unwrap()).collect();
    let ours = whys
        .iter()
        .position(|w| w.starts_with("Our promise is 1 day overdue"))
        .expect("ours");
    let theirs = whys
        .iter()
        .position(|w| w.starts_with("Dana Lee's promise is 2 days overdue"))
        .expect("theirs");
    assert!(ours < theirs, "{whys:?}");

    // Finishing the task keeps the promise (done today, one day late); it leaves Today.
    let task = tasks.body[0]["id"].as_i64().unwrap();
    let done = app
        .send(
            "POST",
            "/api/v1/tasks/bulk",
            Some(&token),
            Some(json!({"ids": [task], "action": "done"})),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let promises = app
        .send("GET", &format!("/api/v1/accounts/{id}/promises"), Some(&token), None)
        .await;
    assert_eq!(promises.body["ours"]["late"], 1, "{}", promises.text);
    // Another user's task is "not found" to this one.
    let theirs_task = app
        .send(
            "POST",
            "/api/v1/tasks/bulk",
            Some(&other),
            Some(json!({"ids": [task], "action": "done"})),
        )
        .await;
    assert_eq!(theirs_task.status, StatusCode::NOT_FOUND, "{}", theirs_task.text);
    // Snoozing the customer's promise takes it off Today until then.
    let key = lines[theirs]["key"].as_str().unwrap();
    let snoozed = app
        .send(
            "POST",
            "/api/v1/today/snooze",
            Some(&token),
            Some(json!({"key": key, "until": today + Duration::days(1)})),
        )
        .await;
    assert_eq!(snoozed.status, StatusCode::NO_CONTENT, "{}", snoozed.text);
    let list = app.send("GET", "/api/v1/today", Some(&token), None).await;
    assert!(!list.text.contains("Dana Lee's promise"), "{}", list.text);

    // The calendar feed: secret URL in /me, the meeting with a stable UID; moving it raises
    // SEQUENCE, cancelling marks it cancelled; a revoked URL is a 404.
    let me = app.send("GET", "/api/v1/me", Some(&token), None).await;
    assert!(me.body["calendar_feed"].is_null(), "{}", me.text);
    let feed = app.send("POST", "/api/v1/me/calendar-feed", Some(&token), None).await;
    assert_eq!(feed.status, StatusCode::CREATED, "{}", feed.text);
    let url = feed.body["url"].as_str().unwrap().to_owned();
    let path = &url[url.find("/feeds/").unwrap()..];
    let me = app.send("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(me.body["calendar_feed"]["url"], url.as_str());
    let ics = app.send("GET", path, None, None).await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(ics.content_type.starts_with("text/calendar"), "{}", ics.content_type);
    let text = unfold(&ics.text);
    assert!(text.contains(&format!("UID:meeting-{meeting}@lodestar")), "{text}");
    assert!(
        text.contains("SEQUENCE:0") && text.contains("STATUS:CONFIRMED"),
        "{text}"
    );
    assert!(
        text.contains(&format!("DTSTART:{}", starts.format("%Y%m%dT%H%M%SZ"))),
        "{text}"
    );

    let mut moved = app
        .send("GET", &format!("/api/v1/meetings/{meeting}"), Some(&token), None)
        .await
        .body;
    for field in [
        "id",
        "account_id",
        "account_name",
        "ends_at",
        "notes_html",
        "attendees",
        "cancelled",
        "sequence",
        "created_by",
        "created_at",
        "updated_at",
    ] {
        moved.as_object_mut().unwrap().remove(field);
    }
    moved["starts_at"] = json!(starts + Duration::hours(2));
    let put = app
        .send("PUT", &format!("/api/v1/meetings/{meeting}"), Some(&token), Some(moved))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.body["sequence"], 1);
    let cancel = app
        .send(
            "POST",
            &format!("/api/v1/meetings/{meeting}/cancel"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(cancel.body["sequence"], 2, "{}", cancel.text);
    let text = unfold(&app.send("GET", path, None, None).await.text);
    assert!(text.contains(&format!("UID:meeting-{meeting}@lodestar")), "{text}");
    assert!(
        text.contains("SEQUENCE:2") && text.contains("STATUS:CANCELLED"),
        "{text}"
    );

    let renewed = app.send("POST", "/api/v1/me/calendar-feed", Some(&token), None).await;
    assert_ne!(renewed.body["url"], url.as_str());
    assert_eq!(app.send("GET", path, None, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.send("GET", "/feeds/nothing.ics", None, None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_leader_sees_the_teams_today_and_an_account_feed_is_for_its_writers() {
    let app = TestApp::new().await;
    let (lead, lead_token) = app.api_user("lead@v.io", Role::Leader).await;
    let (csm, token) = app.api_user("csm@v.io", Role::Csm).await;
    let (_, other) = app.api_user("other@v.io", Role::Csm).await;
    let patched = app
        .send(
            "PATCH",
            &format!("/api/v1/users/{csm}"),
            Some(&app.api_user("admin@v.io", Role::Admin).await.1),
            Some(json!({"manager_id": lead.0})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let id = create_account(&app, &lead_token, account("acme", Some(csm))).await;
    let due = app.store.today() - Duration::days(4);
    let promise = json!({"description": "Send the SSO guide", "owner_user_id": csm.0, "due_on": due});
    let made = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/promises"),
            Some(&token),
            Some(promise),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);

    let mine = app.send("GET", "/api/v1/today", Some(&lead_token), None).await;
    assert_eq!(
        mine.body.as_array().unwrap().len(),
        0,
        "the leader's own book is empty: {}",
        mine.text
    );
    let team = app.send("GET", "/api/v1/today?of=team", Some(&lead_token), None).await;
    assert!(team.text.contains("Our promise is 4 days overdue"), "{}", team.text);
    assert_eq!(team.body[0]["owner_id"], csm.0);
    let refused = app.send("GET", "/api/v1/today?of=team", Some(&other), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let bad = app
        .send("GET", "/api/v1/today?of=everyone", Some(&lead_token), None)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);

    // The account's feed: its writers make, see and revoke it; another CSM may not see the URL.
    let feed = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/calendar-feed"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(feed.status, StatusCode::CREATED, "{}", feed.text);
    let seen = app
        .send(
            "GET",
            &format!("/api/v1/accounts/{id}/calendar-feed"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(seen.status, StatusCode::FORBIDDEN, "{}", seen.text);
    let url = feed.body["url"].as_str().unwrap();
    let path = &url[url.find("/feeds/").unwrap()..];
    let ics = app.send("GET", path, None, None).await;
    assert!(ics.text.starts_with("BEGIN:VCALENDAR"), "{}", ics.text);
    assert_eq!(
        app.send(
            "DELETE",
            &format!("/api/v1/accounts/{id}/calendar-feed"),
            Some(&token),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.send("GET", path, None, None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_meeting_form_logs_a_meeting_keeps_what_was_typed_on_a_problem_and_refuses_outsiders() {
    use crate::forms::{location, page, post};

    let app = TestApp::new().await;
    let csm = app.user("csm@v.io", Role::Csm).await;
    app.user("other@v.io", Role::Csm).await;
    let (_, lead) = app.api_user("lead@v.io", Role::Leader).await;
    let id = create_account(&app, &lead, account("acme", Some(csm))).await;
    let contact = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contacts"),
            Some(&lead),
            Some(json!({"external_id": "dana", "first_name": "Dana"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let cookie = app.session("csm@v.io").await;
    let form = page(&app, &cookie, &format!("/accounts/{id}/meetings/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text.contains(&format!("value=\"contact:{contact}\"")),
        "the customer's people own promises too"
    );

    let contact_id = contact.to_string();
    let yesterday = (app.store.today() - Duration::days(1)).to_string();
    let mut fields = vec![
        ("kind", "kickoff"),
        ("title", "Kickoff"),
        ("date", "2026-03-29"),
        ("time", "02:30"),
        ("time_zone", "Europe/Berlin"),
        ("duration_minutes", "60"),
        ("contact_ids", contact_id.as_str()),
        ("notes", "Goals: **faster onboarding**"),
        ("promise_0_description", "Send the kickoff deck"),
        ("promise_0_owner", "user:1"),
        ("promise_0_due_on", yesterday.as_str()),
    ];
    // 02:30 on 2026-03-29 does not exist in Berlin: the form comes back with the reason and
    // everything typed, and nothing is written.
    let again = post(&app, &cookie, &format!("/accounts/{id}/meetings/new"), &fields).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.text);
    assert!(again.text.contains("does not exist in Europe/Berlin"), "{}", again.text);
    assert!(again.text.contains("Send the kickoff deck") && again.text.contains("faster onboarding"));
    let listed = app
        .send("GET", &format!("/api/v1/accounts/{id}/meetings"), Some(&lead), None)
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 0);

    fields[3] = ("time", "10:30");
    let saved = post(&app, &cookie, &format!("/accounts/{id}/meetings/new"), &fields).await;
    assert!(location(&saved).starts_with(&format!("/accounts/{id}#meeting-")));
    let account_page = page(&app, &cookie, &format!("/accounts/{id}")).await;
    assert!(
        account_page.text.contains("<strong>faster onboarding</strong>"),
        "notes rendered"
    );
    assert!(account_page.text.contains("Send the kickoff deck"));
    assert!(
        account_page.text.contains("Kickoff: Kickoff"),
        "the meeting is on the timeline"
    );

    // Another CSM may neither open the form nor post it.
    let other = app.session("other@v.io").await;
    let refused = page(&app, &other, &format!("/accounts/{id}/meetings/new")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = post(&app, &other, &format!("/accounts/{id}/meetings/new"), &fields).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_customers_overdue_promise_is_reminded_by_email_once_a_day() {
    use lodestar_server::config::{MailConfig, ServerConfig};
    use lodestar_store::testing::TestDb;

    let config = ServerConfig {
        mail: Some(MailConfig::new("smtp://127.0.0.1:2525", "Lodestar <cs@vendor.io>").unwrap()),
        ..ServerConfig::default()
    };
    let app = TestApp::with_app(TestDb::sqlite().await, move |store| lodestar_server::app(store, config)).await;
    let (csm, token) = app.api_user("csm@v.io", Role::Csm).await;
    let (_, other) = app.api_user("other@v.io", Role::Csm).await;
    let (_, lead) = app.api_user("lead@v.io", Role::Leader).await;
    let id = create_account(&app, &lead, account("acme", Some(csm))).await;
    let contact = |key: &str, email: Option<&str>| json!({"external_id": key, "first_name": "Dana", "email": email});
    let add = |body: serde_json::Value| {
        let (app, token) = (&app, token.clone());
        async move {
            app.send(
                "POST",
                &format!("/api/v1/accounts/{id}/contacts"),
                Some(&token),
                Some(body),
            )
            .await
            .body["id"]
                .as_i64()
                .unwrap()
        }
    };
    let dana = add(contact("dana", Some("dana@acme.example"))).await;
    let silent = add(contact("sam", None)).await;
    let due = app.store.today() - Duration::days(2);
    let promise = |owner: serde_json::Value| {
        let mut body = json!({"description": "Send us the list of admins", "due_on": due});
        body.as_object_mut().unwrap().extend(owner.as_object().unwrap().clone());
        body
    };
    let make = |body| {
        let (app, token) = (&app, token.clone());
        async move {
            app.send(
                "POST",
                &format!("/api/v1/accounts/{id}/promises"),
                Some(&token),
                Some(body),
            )
            .await
            .body["id"]
                .as_i64()
                .unwrap()
        }
    };
    let theirs = make(promise(json!({"owner_contact_id": dana}))).await;
    let no_email = make(promise(json!({"owner_contact_id": silent}))).await;
    let ours = make(promise(json!({"owner_user_id": csm.0}))).await;
    let remind = |promise: i64, token: String| {
        let app = &app;
        async move {
            app.send(
                "POST",
                &format!("/api/v1/promises/{promise}/remind"),
                Some(&token),
                None,
            )
            .await
        }
    };

    assert_eq!(
        remind(theirs, other.clone()).await.status,
        StatusCode::FORBIDDEN,
        "another CSM's account"
    );
    let sent = remind(theirs, token.clone()).await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.text);
    let job = app
        .store
        .jobs(None, 50, 0)
        .await
        .unwrap()
        .1
        .into_iter()
        .find(|j| j.id.0 == sent.body["job_id"].as_i64().unwrap())
        .unwrap();
    assert_eq!(job.kind, "email");
    assert_eq!(job.payload["to"], "dana@acme.example");
    assert_eq!(job.payload["subject"], "Reminder: Send us the list of admins");
    let body = job.payload["text_body"].as_str().unwrap();
    assert!(
        body.starts_with("Hi Dana,") && body.contains("\"Send us the list of admins\" by"),
        "{body}"
    );
    assert!(body.trim_end().ends_with("csm@v.io"), "signed by the CSM: {body}");

    let again = remind(theirs, token.clone()).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "once a day: {}", again.text);
    let ours = remind(ours, token.clone()).await;
    assert_eq!(ours.status, StatusCode::CONFLICT, "{}", ours.text);
    let nowhere = remind(no_email, token.clone()).await;
    assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nowhere.text);
    assert!(nowhere.text.contains("no email address"), "{}", nowhere.text);

    let timeline = app
        .store
        .timeline_entries(lodestar_domain::AccountId(id))
        .await
        .unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.text == "Reminder sent to Dana: Send us the list of admins"),
        "{timeline:?}"
    );
}

#[tokio::test]
async fn without_email_a_reminder_says_how_to_set_it_up() {
    let app = TestApp::new().await;
    let (csm, token) = app.api_user("csm@v.io", Role::Csm).await;
    let id = create_account(
        &app,
        &app.api_user("lead@v.io", Role::Leader).await.1,
        account("acme", Some(csm)),
    )
    .await;
    let dana = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contacts"),
            Some(&token),
            Some(json!({"external_id": "dana", "email": "dana@acme.example"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let made = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/promises"),
            Some(&token),
            Some(json!({"description": "Share the plan", "owner_contact_id": dana, "due_on": "2026-01-05"})),
        )
        .await;
    let promise = made.body["id"].as_i64().unwrap();
    let refused = app
        .send(
            "POST",
            &format!("/api/v1/promises/{promise}/remind"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text.contains("LODESTAR_SMTP_URL"), "{}", refused.text);
}

#[tokio::test]
async fn the_morning_alerts_and_meeting_reminders_go_out_once() {
    use lodestar_domain::job::JobState;
    use lodestar_server::digest::{alerts_for, remind_meetings};
    use lodestar_store::Clock;

    let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T09:40:00Z")
        .unwrap()
        .to_utc();
    let app = TestApp::new().await;
    let store = app.store.with_clock(Clock::fixed(now));
    let (csm, token) = app.api_user("csm@v.io", Role::Csm).await;
    let (_, admin) = app.api_user("admin@v.io", Role::Admin).await;
    let id = create_account(&app, &admin, account("acme", Some(csm))).await;
    let dana = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/contacts"),
            Some(&token),
            Some(json!({"external_id": "dana", "first_name": "Dana"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let meeting = json!({
        "kind": "qbr", "title": "QBR", "starts_at": "2026-12-02T10:00:00Z", "duration_minutes": 60,
        "contact_ids": [dana],
        "promises": [
            {"description": "Send the SSO guide", "owner_user_id": csm.0, "due_on": "2026-11-30"},
            {"description": "Share the admin list", "owner_contact_id": dana, "due_on": "2026-11-29"}
        ]
    });
    let logged = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{id}/meetings"),
            Some(&token),
            Some(meeting),
        )
        .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.text);
    let hook = json!({"name": "alerts", "url": "http://127.0.0.1:9/hook", "allow_private": true,
                      "kinds": ["meeting_reminder", "promise_due", "customer_promise_overdue"]});
    let made = app.send("POST", "/api/v1/webhooks", Some(&admin), Some(hook)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);

    let user = store.user(csm).await.unwrap().unwrap();
    let alerts = alerts_for(&store, &user, store.today()).await.unwrap();
    let kinds: Vec<&str> = alerts.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, vec!["promise_due", "customer_promise_overdue"], "{alerts:#?}");
    assert!(
        alerts[0]
            .subject
            .as_str()
            .contains("Our promise is 2 days overdue: Send the SSO guide")
    );

    // The QBR starts in 20 minutes: its CSM is reminded once, however often the sweep runs.
    remind_meetings(&store, now).await.unwrap();
    remind_meetings(&store, now + Duration::minutes(15)).await.unwrap();
    let (_, queued) = store.jobs(Some(JobState::Queued), 50, 0).await.unwrap();
    let posts: Vec<_> = queued.iter().filter(|j| j.kind == "webhook").collect();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert!(
        posts[0].payload.to_string().contains("At 10:00 UTC: QBR"),
        "{}",
        posts[0].payload
    );
}
