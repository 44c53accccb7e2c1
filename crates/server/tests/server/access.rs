//! Who may call what, route by route: every operation of the OpenAPI document is tried with
//! every role, with a body that is not even valid, and the answer is compared with the rules
//! table below. A caller without the right gets 403 whatever it sent; a caller with it never
//! does. A new route fails this test until its rule is written here.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use lodestar_domain::UserId;
use lodestar_domain::vocabulary::Role;
use lodestar_store::NewJob;
use serde_json::{Value, json};

use crate::support::{TestApp, account, create_account};

/// Who an operation is for, in the terms of `lodestar_domain::access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Every role reads.
    Everyone,
    /// Admins only: people, credentials, scorecards, milestones, jobs, the audit log.
    Admins,
    /// Leaders and admins: creating and deleting accounts, LxL reviews, risk settings.
    Leaders,
    /// Those who see the whole team: leaders, admins and executives.
    Team,
    /// Leaders alone: they hold 1:1s with the people who report to them.
    LeaderRole,
    /// Leadership (leaders and executives): the anonymous feedback.
    Leadership,
    /// Whoever may change the fixture account: leaders, admins and its CSM (not another CSM).
    Book,
    /// Whoever may change some account: leaders, admins, CSMs and associates.
    SomeBook,
    /// Every person, for themselves.
    Myself,
    /// Revenue figures: leaders, admins and executives everything, CSMs their own book.
    Revenue,
}

const ROLES: [Role; 7] = [
    Role::Admin,
    Role::Leader,
    Role::Csm,
    Role::AssociateCsm,
    Role::Ae,
    Role::Executive,
    Role::Viewer,
];

impl Rule {
    fn allows(self, role: Role) -> bool {
        match self {
            Rule::Everyone | Rule::Myself => true,
            Rule::Admins => role == Role::Admin,
            Rule::Leaders => matches!(role, Role::Admin | Role::Leader),
            Rule::Team => matches!(role, Role::Admin | Role::Leader | Role::Executive),
            Rule::LeaderRole => role == Role::Leader,
            Rule::Leadership => matches!(role, Role::Leader | Role::Executive),
            Rule::Book => matches!(role, Role::Admin | Role::Leader | Role::Csm),
            Rule::SomeBook => matches!(role, Role::Admin | Role::Leader | Role::Csm | Role::AssociateCsm),
            Rule::Revenue => !matches!(role, Role::Ae | Role::Viewer),
        }
    }
}

/// The rules table: one line per operation (GETs not listed are for everyone).
fn rule(method: &str, path: &str) -> Rule {
    let path = path.trim_start_matches("/api/v1");
    match (method, path) {
        ("GET", "/audit" | "/jobs" | "/usage/unmatched" | "/webhooks" | "/webhooks/{id}") => Rule::Admins,
        ("GET", "/triggers" | "/triggers/{id}" | "/triggers/{id}/dry-run" | "/triggers/{id}/firings")
        | ("POST", "/triggers" | "/triggers/run")
        | ("PUT" | "DELETE", "/triggers/{id}") => Rule::Admins,
        ("GET", "/accounts/{id}/calendar-feed" | "/plans/{id}/links") => Rule::Book,
        ("GET", "/revenue/retention" | "/revenue/survival" | "/revenue/sticky-drivers") => Rule::Revenue,
        ("GET", "/capacity" | "/capacity/rebalancing") => Rule::Team,
        ("GET", "/one-on-ones/roster") | ("POST", "/one-on-ones") | ("PUT", "/one-on-ones/{id}") => Rule::LeaderRole,
        ("GET", "/feedback") => Rule::Leadership,
        ("POST", "/segmentation/preview" | "/segmentation/apply") => Rule::Admins,
        ("POST", "/experience-levels") | ("PUT", "/experience-levels/{id}" | "/tier-experience/{tier}") => Rule::Admins,
        ("PUT", "/accounts/{id}/experience-level") => Rule::Leaders,
        // Goals and feedback are each person's own (a manager also writes their reports' goals).
        ("POST", "/career-goals" | "/career-goals/{id}/status" | "/feedback") => Rule::Myself,
        ("PUT", "/capacity/benchmarks/{tier}" | "/capacity/meeting-hours") | ("POST", "/capacity/rebalancing") => {
            Rule::Leaders
        }
        ("GET", _) => Rule::Everyone,
        ("POST" | "DELETE", "/accounts/{id}/calendar-feed")
        | ("POST", "/accounts/{id}/meetings" | "/accounts/{id}/promises")
        | ("PUT", "/meetings/{id}")
        | ("POST", "/meetings/{id}/cancel" | "/promises/{id}/status" | "/promises/{id}/remind") => Rule::Book,
        ("POST", "/accounts/{id}/goals" | "/goals/{id}/parts" | "/goals/{id}/value")
        | ("PUT", "/goals/{id}" | "/goals/{id}/parts/{part_id}/rating")
        | ("DELETE", "/goals/{id}/parts/{part_id}") => Rule::Book,
        ("POST", "/accounts/{id}/handoff" | "/handoffs/{id}/accept" | "/handoffs/{id}/rejection")
        | ("PUT", "/handoffs/{id}") => Rule::Book,
        ("POST", "/handoffs/{id}/decision") | ("PUT", "/qualification-criteria") => Rule::Leaders,
        ("POST", "/accounts/{id}/onboarding" | "/onboarding/{id}/tasks" | "/onboarding/{id}/share")
        | ("POST", "/onboarding/{id}/tasks/{task_id}/done") => Rule::Book,
        ("POST", "/accounts/{id}/plan" | "/plans/{id}/tactics" | "/plans/{id}/tactics/from-library")
        | ("POST", "/plans/{id}/comments" | "/plans/{id}/share" | "/tactics/{id}/state")
        | ("POST", "/customer-links/{id}/revoke")
        | ("PUT", "/plans/{id}") => Rule::Book,
        ("PUT", "/meetings/{id}/review/outlook") | ("POST", "/meetings/{id}/review/pack") => Rule::Book,
        ("POST", "/accounts/{id}/sprints" | "/sprints/{id}/wins")
        | ("PUT", "/sprint-goals/{id}" | "/meetings/{id}/retrospective")
        | ("POST", "/meetings/{id}/retrospective/challenges" | "/meetings/{id}/retrospective/promises")
        | ("POST", "/meetings/{id}/retrospective/close") => Rule::Book,
        ("PUT", "/sprint-settings") => Rule::Admins,
        (
            "POST",
            "/contracts/{id}/renewal/calls" | "/contracts/{id}/renewal/close" | "/accounts/{id}/opportunities",
        )
        | ("PUT", "/opportunities/{id}") => Rule::Book,
        ("PUT", "/opportunity-routes/{kind}") => Rule::Admins,
        ("POST", "/accounts/{id}/surveys" | "/surveys/{id}/send")
        | ("PUT" | "DELETE", "/contacts/{id}/beta-candidate") => Rule::Book,
        ("POST", "/accounts/{id}/requests") => Rule::Book,
        ("PUT", "/contacts/{id}/relationship-outlook") => Rule::Book,
        ("POST", "/email-bounces") => Rule::SomeBook,
        ("POST", "/requests/{id}/accounts" | "/requests/{id}/status") => Rule::SomeBook,
        // The webhooks answer to their shared secret, never to a role: 401 for every token.
        ("POST", "/webhooks/zendesk" | "/webhooks/jira") => Rule::Everyone,
        ("POST", "/tasks" | "/tasks/bulk" | "/today/snooze") | ("POST" | "DELETE", "/me/calendar-feed") => Rule::Myself,
        ("POST", "/accounts") | ("DELETE", "/accounts/{id}") => Rule::Leaders,
        ("PUT" | "PATCH", "/accounts/{id}")
        | ("POST", "/accounts/{id}/churn" | "/accounts/{id}/contacts" | "/accounts/{id}/contracts")
        | ("POST", "/accounts/{id}/pulses")
        | ("PUT", "/accounts/{id}/problem" | "/accounts/{id}/retrospective")
        | ("PUT" | "PATCH" | "DELETE", "/contacts/{id}" | "/contracts/{id}")
        | ("POST", "/contracts/{id}/changes")
        | ("PUT", "/contracts/{id}/line_items")
        | ("PUT", "/lxl-reviews/{id}/lines/{account_id}")
        | ("POST", "/lxl-reviews/{id}/lines/{account_id}/action-items")
        | ("PUT", "/action-items/{id}/status") => Rule::Book,
        ("POST", "/lxl-reviews/{id}/lines") => Rule::SomeBook,
        ("POST", "/accounts/{id}/outreach" | "/accounts/{id}/outreach/preview" | "/accounts/{id}/playbook-changes") => {
            Rule::Book
        }
        ("POST", "/playbooks/outcomes" | "/playbook-changes/{id}/resolve")
        | ("PUT" | "DELETE", "/playbooks/outcomes/{id}")
        | ("PUT", "/playbooks/risk/{approach}") => Rule::Leaders,
        ("POST", "/lxl-reviews") | ("PUT", "/settings/industry-exposures" | "/settings/loss-rates") => Rule::Leaders,
        ("PUT", "/settings/price-thresholds") => Rule::Leaders,
        ("POST", "/me/password") | ("PUT", "/me/notifications") => Rule::Myself,
        ("POST", "/jobs/{id}/retry")
        | ("POST" | "PUT" | "PATCH" | "DELETE", "/users" | "/users/{id}")
        | ("POST", "/users/{id}/deactivate" | "/users/{id}/reactivate" | "/users/{id}/password")
        | ("POST" | "PUT" | "DELETE", "/milestones" | "/milestones/{id}" | "/scorecards" | "/scorecards/{id}")
        | ("POST" | "PUT" | "DELETE", "/webhooks" | "/webhooks/{id}" | "/webhooks/{id}/test") => Rule::Admins,
        _ => panic!("no access rule for {method} {path}: add one to the table in tests/server/access.rs"),
    }
}

/// One of each role with a token, and one record of each kind for the paths' ids.
struct Fixture {
    app: TestApp,
    tokens: Vec<(Role, String)>,
    account: i64,
    contact: i64,
    contract: i64,
    review: i64,
    item: i64,
    meeting: i64,
    goal: i64,
    part: i64,
    scorecard: i64,
    milestone: i64,
    job: i64,
    webhook: i64,
    outcome: i64,
    change: i64,
    plan: i64,
    tactic: i64,
    link: i64,
    survey: i64,
    request: i64,
    sprint: i64,
    sprint_goal: i64,
    handoff: i64,
    onboarding: i64,
    onboarding_task: i64,
    opportunity: i64,
    victim: UserId,
}

async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let mut tokens = Vec::new();
    let mut csm = None;
    let mut admin = String::new();
    for role in ROLES {
        let (id, token) = app.api_user(&format!("{}@v.io", role.as_str()), role).await;
        if role == Role::Csm {
            csm = Some(id);
        }
        if role == Role::Admin {
            admin = token.clone();
        }
        tokens.push((role, token));
    }
    let csm = csm.unwrap();
    let victim = app.api_user("victim@v.io", Role::Viewer).await.0;
    let ok = |reply: &crate::support::Reply| {
        assert!(reply.status.is_success(), "fixture: {} {}", reply.status, reply.body);
        reply.body["id"].as_i64().unwrap_or_default()
    };
    let account = create_account(&app, &admin, account("fixture", Some(csm))).await;
    let send = |method: &'static str, path: String, body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move { app.send(method, &path, Some(&admin), Some(body)).await }
    };
    let contact = ok(&send(
        "POST",
        format!("/api/v1/accounts/{account}/contacts"),
        json!({"external_id": "c1", "first_name": "Ada"}),
    )
    .await);
    let contract = ok(&send(
        "POST",
        format!("/api/v1/accounts/{account}/contracts"),
        json!({"external_id": "k1", "start_date": "2025-01-01", "end_date": "2026-01-01", "arr": "12000"}),
    )
    .await);
    let review = ok(&send("POST", "/api/v1/lxl-reviews".into(), json!({})).await);
    let line = send(
        "POST",
        format!("/api/v1/lxl-reviews/{review}/lines"),
        json!({"account_id": account}),
    )
    .await;
    assert!(
        line.status.is_success() || line.status == StatusCode::CONFLICT,
        "{}",
        line.body
    );
    let item = ok(&send(
        "POST",
        format!("/api/v1/lxl-reviews/{review}/lines/{account}/action-items"),
        json!({"description": "CEO call", "owner_id": csm.0, "due_on": "2027-01-15"}),
    )
    .await);
    let meeting = ok(&send(
        "POST",
        format!("/api/v1/accounts/{account}/meetings"),
        json!({"kind": "check_in", "title": "Monthly check-in", "starts_at": "2027-01-10T15:00:00Z",
               "duration_minutes": 30, "contact_ids": [contact]}),
    )
    .await);
    let goal = send(
        "POST",
        format!("/api/v1/accounts/{account}/goals"),
        json!({"title": "200 demo requests a month", "metric": "Demo requests", "target": "200",
               "due_on": "2027-03-31", "severity": 3,
               "ecosystem": [{"kind": "our_product", "name": "Lodestar", "metric": "Scores every lead"}]}),
    )
    .await;
    let part = goal.body["ecosystem"][0]["id"].as_i64().unwrap_or_default();
    let goal = ok(&goal);
    let scorecard = ok(&send(
        "POST",
        "/api/v1/scorecards".into(),
        json!({"name": "Pulse only", "lifecycle_stage": "land", "red_below": 40, "green_from": 70,
               "measures": [{"measure": "csm_pulse", "weight": 10, "zero_at": 1, "full_at": 5}]}),
    )
    .await);
    let milestone = ok(&send(
        "POST",
        "/api/v1/milestones".into(),
        json!({"name": "Exported", "feature": "Report Exported", "threshold_kind": "times",
               "threshold": 2, "within_days": 30, "first_value": true}),
    )
    .await);
    let job = app
        .store
        .enqueue_job(&NewJob {
            kind: "daily_rescore".into(),
            payload: json!({}),
            run_at: chrono::Utc::now() + chrono::Duration::days(1),
            max_attempts: 1,
            dedupe_key: None,
        })
        .await
        .unwrap()
        .unwrap()
        .0;
    let webhook = ok(&send(
        "POST",
        "/api/v1/webhooks".into(),
        json!({"name": "#cs-alerts", "url": "https://hooks.example.com/x", "kinds": ["account_turned_red"]}),
    )
    .await);
    let outcome = ok(&send(
        "POST",
        "/api/v1/playbooks/outcomes".into(),
        json!({"tier": "enterprise", "title": "Faster close", "tactics": [{"title": "Weekly review"}]}),
    )
    .await);
    let lost = create_account(&app, &admin, crate::support::account("lost", None)).await;
    let churned = send(
        "POST",
        format!("/api/v1/accounts/{lost}/churn"),
        json!({"churned_on": "2026-01-05", "reason": "budget"}),
    )
    .await;
    assert!(churned.status.is_success(), "fixture: {}", churned.body);
    let change = ok(&send(
        "POST",
        format!("/api/v1/accounts/{lost}/playbook-changes"),
        json!({"outcome_id": outcome, "note": "Map the CFO sooner"}),
    )
    .await);
    let plan = send(
        "POST",
        format!("/api/v1/accounts/{account}/plan"),
        json!({"title": "Faster onboarding"}),
    )
    .await;
    let plan = ok(&plan);
    let tactic = send(
        "POST",
        format!("/api/v1/plans/{plan}/tactics"),
        json!({"title": "Admin training", "state": "parked"}),
    )
    .await;
    assert!(tactic.status.is_success(), "fixture: {}", tactic.body);
    let tactic = tactic.body["tactics"][0]["id"].as_i64().unwrap_or_default();
    let shared = send(
        "POST",
        format!("/api/v1/plans/{plan}/share"),
        json!({"contact_id": contact}),
    )
    .await;
    assert!(shared.status.is_success(), "fixture: {}", shared.body);
    let link = shared.body["link"]["id"].as_i64().unwrap_or_default();
    let survey = ok(&send(
        "POST",
        format!("/api/v1/accounts/{account}/surveys"),
        json!({"kind": "nps"}),
    )
    .await);
    let request = ok(&send(
        "POST",
        format!("/api/v1/accounts/{account}/requests"),
        json!({"title": "SAML single sign-on", "jira_key": "PROD-1"}),
    )
    .await);
    let sprint = send(
        "POST",
        format!("/api/v1/accounts/{account}/sprints"),
        json!({"focus": "Adoption", "goals": [format!("goal:{goal}")]}),
    )
    .await;
    let sprint_goal = sprint.body["goals"][0]["id"].as_i64().unwrap_or_default();
    let sprint = ok(&sprint);
    let handoff = ok(&send(
        "POST",
        format!("/api/v1/accounts/{account}/handoff"),
        json!({"signed_on": "2026-12-02", "goals": "Faster onboarding", "met": ["Executive sponsor named"]}),
    )
    .await);
    let onboarding = send(
        "POST",
        format!("/api/v1/accounts/{account}/onboarding"),
        json!({"signed_on": "2026-12-02", "target_on": "2027-02-01"}),
    )
    .await;
    let onboarding_task = onboarding.body["tasks"][0]["id"].as_i64().unwrap_or_default();
    let onboarding = ok(&onboarding);
    let opportunity = ok(&send(
        "POST",
        format!("/api/v1/accounts/{account}/opportunities"),
        json!({"kind": "organic_seats", "title": "20 more seats", "amount": "6000", "expected_close": "2027-03-01"}),
    )
    .await);
    Fixture {
        opportunity,
        sprint,
        sprint_goal,
        request,
        handoff,
        onboarding,
        onboarding_task,
        app,
        survey,
        tokens,
        plan,
        tactic,
        link,
        account,
        contact,
        contract,
        review,
        item,
        meeting,
        goal,
        part,
        scorecard,
        milestone,
        job,
        webhook,
        outcome,
        change,
        victim,
    }
}

impl Fixture {
    /// `path` with its ids filled in from the fixture.
    fn concrete(&self, path: &str) -> String {
        if !path.contains('{') {
            return path.to_owned();
        }
        let kind = path
            .trim_start_matches("/api/v1/")
            .split('/')
            .next()
            .unwrap_or_default();
        let id = match kind {
            "accounts" => self.account,
            "contacts" => self.contact,
            "contracts" => self.contract,
            "lxl-reviews" => self.review,
            "action-items" | "promises" => self.item,
            "meetings" => self.meeting,
            "goals" => self.goal,
            "scorecards" => self.scorecard,
            "milestones" => self.milestone,
            "jobs" => self.job,
            "webhooks" => self.webhook,
            "playbooks" => self.outcome,
            "playbook-changes" => self.change,
            "plans" => self.plan,
            "tactics" => self.tactic,
            "customer-links" => self.link,
            "surveys" => self.survey,
            "requests" => self.request,
            "sprints" => self.sprint,
            "sprint-goals" => self.sprint_goal,
            "handoffs" => self.handoff,
            "onboarding" => self.onboarding,
            "opportunities" => self.opportunity,
            "opportunity-routes" => 0,
            "users" => self.victim.0,
            "tier-experience" | "capacity" | "one-on-ones" | "career-goals" => 0,
            // The first level, which the migration made.
            "experience-levels" => 1,
            "triggers" => 1,
            other => panic!("no fixture id for /{other}/{{id}}"),
        };
        path.replace("{id}", &id.to_string())
            .replace("{account_id}", &self.account.to_string())
            .replace("{part_id}", &self.part.to_string())
            .replace("{task_id}", &self.onboarding_task.to_string())
            .replace("{approach}", "open_question")
            .replace("{tier}", "strategic")
            .replace("{kind}", "new_product")
    }
}

#[tokio::test]
async fn every_operation_answers_each_role_as_the_rules_table_says() {
    let app = TestApp::new().await;
    let doc = app.send("GET", "/api/v1/openapi.json", None, None).await.body;
    let mut operations: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                operations.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert!(operations.len() > 60, "{} operations", operations.len());

    let mut wrong = BTreeSet::new();
    for (method, path) in &operations {
        let expected = rule(method, path);
        // A fresh fixture per operation: an allowed DELETE must not take the record away
        // from the next operation.
        let f = fixture().await;
        let uri = f.concrete(path);
        // Refused roles first: their attempts must change nothing for the allowed ones.
        let mut order: Vec<&(Role, String)> = f.tokens.iter().collect();
        order.sort_by_key(|(role, _)| expected.allows(*role));
        for (role, token) in order {
            let body = (method != "GET" && method != "DELETE").then(|| json!({"not": "a valid body"}));
            let reply = f.app.send(method, &uri, Some(token), body).await;
            let forbidden = reply.status == StatusCode::FORBIDDEN;
            if forbidden == expected.allows(*role) || reply.status.is_server_error() {
                wrong.insert(format!(
                    "{method} {path} as {role}: {} (rule {expected:?}) {}",
                    reply.status, reply.body["detail"]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "answers that break the rules table:\n{}", {
        let lines: Vec<String> = wrong.into_iter().collect();
        lines.join("\n")
    });
}
