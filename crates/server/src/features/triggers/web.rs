//! The trigger pages (admins): `/admin/triggers` (the rules, a new one, "Run now") and
//! `/admin/triggers/{id}` (the rule, changed in place, its dry run and its firings).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use lodestar_domain::playbook::OutreachApproach;
use lodestar_domain::trigger::{Action, RuleFields, Signal};
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::{LifecycleStage, Tier};
use lodestar_store::{LibraryOutcome, TriggerRule};

use super::ops::{self, ActionInput, RuleInput, admins_only};
use crate::AppState;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Choice, Html, SignedIn, back_after_form, choices, render};

/// The rule form's values and choices.
pub(crate) struct RuleForm {
    action: String,
    submit: &'static str,
    name: String,
    param: String,
    min_arr: String,
    task_on: bool,
    task_title: String,
    task_days: String,
    playbook_on: bool,
    playbook_days: String,
    /// The library's tactics, one group per outcome ("Strategic · Executive alignment on
    /// value"); none is selected for a new rule or when the rule's tactic was deleted, so the
    /// admin picks one rather than getting the first by accident.
    tactic_groups: Vec<(String, Vec<Choice>)>,
    qbr_on: bool,
    email_on: bool,
    webhook_on: bool,
    notify_on: bool,
    enabled: bool,
    signals: Vec<Choice>,
    tiers: Vec<Choice>,
    stages: Vec<Choice>,
    approaches: Vec<Choice>,
    users: Vec<Choice>,
}

impl RuleForm {
    fn of(
        action: String,
        submit: &'static str,
        rule: Option<&RuleFields>,
        users: &[User],
        library: &[LibraryOutcome],
    ) -> RuleForm {
        let find = |f: fn(&Action) -> bool| rule.and_then(|r| r.actions.iter().find(|a| f(a)).cloned());
        let task = find(|a| matches!(a, Action::CreateTask { .. }));
        let playbook_task = find(|a| matches!(a, Action::PlaybookTask { .. }));
        let email = find(|a| matches!(a, Action::SendEmail { .. }));
        let notify = find(|a| matches!(a, Action::NotifyUser { .. }));
        let (task_title, task_days) = match &task {
            Some(Action::CreateTask { title, due_in_days }) => (title.clone(), due_in_days.to_string()),
            _ => ("Follow up with {account}: {cause}".to_owned(), "7".to_owned()),
        };
        let (tactic, playbook_days) = match &playbook_task {
            Some(Action::PlaybookTask { tactic, due_in_days }) => (Some(*tactic), due_in_days.to_string()),
            _ => (None, "7".to_owned()),
        };
        let approach = match email {
            Some(Action::SendEmail { approach }) => Some(approach),
            _ => None,
        };
        let notified = match notify {
            Some(Action::NotifyUser { user }) => Some(user),
            _ => None,
        };
        let signal = rule.map_or("renewal_in", |r| r.signal.kind());
        RuleForm {
            action,
            submit,
            name: rule.map(|r| r.name.to_string()).unwrap_or_default(),
            param: rule.map_or_else(|| "90".to_owned(), |r| r.signal.param()),
            min_arr: rule
                .and_then(|r| r.condition.min_arr)
                .map(|a| a.to_string())
                .unwrap_or_default(),
            task_on: task.is_some() || rule.is_none(),
            task_title,
            task_days,
            playbook_on: playbook_task.is_some(),
            playbook_days,
            tactic_groups: library
                .iter()
                .map(|o| {
                    let fields = &o.outcome.fields;
                    let tactics = fields
                        .tactics
                        .iter()
                        .filter_map(|t| t.id.map(|id| (id, t)))
                        .map(|(id, t)| Choice {
                            value: id.to_string(),
                            label: t.title.to_string(),
                            selected: tactic == Some(id),
                        })
                        .collect();
                    (format!("{} · {}", fields.tier.label(), fields.title), tactics)
                })
                .collect(),
            qbr_on: rule.is_some_and(|r| r.actions.contains(&Action::ReactiveQbr)),
            email_on: approach.is_some(),
            webhook_on: rule.is_some_and(|r| r.actions.contains(&Action::PostWebhook)),
            notify_on: notified.is_some(),
            enabled: rule.is_none_or(|r| r.enabled),
            signals: Signal::KINDS
                .iter()
                .map(|(value, label)| Choice {
                    value: (*value).to_owned(),
                    label: (*label).to_owned(),
                    selected: *value == signal,
                })
                .collect(),
            tiers: choices(
                Tier::ALL,
                rule.and_then(|r| r.condition.tier),
                Tier::as_str,
                Tier::label,
            ),
            stages: choices(
                LifecycleStage::ALL,
                rule.and_then(|r| r.condition.stage),
                LifecycleStage::as_str,
                LifecycleStage::label,
            ),
            approaches: choices(
                OutreachApproach::ALL,
                approach.or(Some(OutreachApproach::OpenQuestion)),
                OutreachApproach::as_str,
                OutreachApproach::label,
            ),
            users: users
                .iter()
                .map(|u| Choice {
                    value: u.id.0.to_string(),
                    label: u.fields.name.to_string(),
                    selected: notified == Some(u.id),
                })
                .collect(),
        }
    }
}

struct RuleLine {
    id: i64,
    name: String,
    description: String,
    enabled: bool,
    firings: i64,
    last_fired: String,
}

impl RuleLine {
    fn of(r: &TriggerRule) -> RuleLine {
        RuleLine {
            id: r.id,
            name: r.fields.name.to_string(),
            description: r.description.clone(),
            enabled: r.fields.enabled,
            firings: r.firings,
            last_fired: r
                .last_fired
                .map_or_else(|| "never".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "triggers/rules.html")]
struct RulesPage {
    me: User,
    rules: Vec<RuleLine>,
    form: RuleForm,
    problem: Option<String>,
}

/// `GET /admin/triggers`.
pub(crate) async fn rules(State(state): State<AppState>, page: SignedIn) -> Result<Html, ApiError> {
    admins_only(&page.actor)?;
    let users = state.store.users().await?;
    let library = state.store.playbook_library().await?;
    let rules = state.store.trigger_rules().await?;
    render(&RulesPage {
        rules: rules.iter().map(RuleLine::of).collect(),
        form: RuleForm::of(
            "/admin/triggers".into(),
            "Add the rule",
            None,
            &users,
            &library.outcomes,
        ),
        problem: page.flash.for_slot("triggers"),
        me: page.user,
    })
}

struct CandidateLine {
    account_id: i64,
    account: String,
    cause: String,
    fired: bool,
}

struct FiringLine {
    account_id: i64,
    account: String,
    cause: String,
    done: String,
    when: String,
}

#[derive(askama::Template)]
#[template(path = "triggers/rule.html")]
struct RulePage {
    me: User,
    rule: RuleLine,
    form: RuleForm,
    candidates: Vec<CandidateLine>,
    firings: Vec<FiringLine>,
    problem: Option<String>,
}

/// `GET /admin/triggers/{id}`: the rule, its dry run now and its firings.
pub(crate) async fn rule(State(state): State<AppState>, page: SignedIn, Path(id): Path<i64>) -> Result<Html, ApiError> {
    admins_only(&page.actor)?;
    let rule = state.store.trigger_rule(id).await?;
    let users = state.store.users().await?;
    let library = state.store.playbook_library().await?;
    let candidates = state
        .store
        .trigger_candidates(Some(id), &rule.fields, state.store.today())
        .await?;
    let firings = state.store.trigger_firings(Some(id), 100).await?;
    render(&RulePage {
        form: RuleForm::of(
            format!("/admin/triggers/{id}"),
            "Save the rule",
            Some(&rule.fields),
            &users,
            &library.outcomes,
        ),
        rule: RuleLine::of(&rule),
        candidates: candidates
            .into_iter()
            .map(|c| CandidateLine {
                account_id: c.account_id.0,
                account: c.account_name,
                cause: c.cause_text,
                fired: c.fired,
            })
            .collect(),
        firings: firings
            .into_iter()
            .map(|f| FiringLine {
                account_id: f.account_id.0,
                account: f.account_name,
                cause: f.cause_text,
                done: f.done,
                when: f.fired_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            })
            .collect(),
        problem: page.flash.for_slot("trigger"),
        me: page.user,
    })
}

/// The rule a form sent.
async fn form_fields(state: &AppState, form: &FormFields) -> Result<lodestar_domain::Valid<RuleFields>, ApiError> {
    let on = |key: &str| !form.text(key).is_empty();
    let mut actions = Vec::new();
    let blank = ActionInput {
        kind: "",
        title: "",
        due_in_days: None,
        approach: "",
        user_id: None,
        tactic_id: None,
    };
    if on("task_on") {
        actions.push(ActionInput {
            kind: "create_task",
            title: form.text("task_title"),
            due_in_days: form.count("task_days"),
            ..blank
        });
    }
    if on("playbook_on") {
        actions.push(ActionInput {
            kind: "playbook_task",
            // "Pick a tactic" sends nothing: the action then names what is missing.
            tactic_id: form.text("playbook_tactic").parse().ok(),
            due_in_days: form.count("playbook_days"),
            ..blank
        });
    }
    for (key, kind) in [("qbr_on", "reactive_qbr"), ("webhook_on", "post_webhook")] {
        if on(key) {
            actions.push(ActionInput { kind, ..blank });
        }
    }
    if on("email_on") {
        actions.push(ActionInput {
            kind: "send_email",
            approach: form.text("approach"),
            ..blank
        });
    }
    if on("notify_on") {
        actions.push(ActionInput {
            kind: "notify_user",
            user_id: form.text("notify_user").parse().ok(),
            ..blank
        });
    }
    ops::rule_fields(
        state,
        RuleInput {
            name: form.text("name"),
            signal: form.text("signal"),
            param: form.text("param"),
            tier: form.text("tier"),
            stage: form.text("stage"),
            min_arr: form.text("min_arr"),
            actions,
            enabled: on("enabled"),
        },
    )
    .await
}

/// `POST /admin/triggers`: a new rule.
pub(crate) async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    admins_only(&signed_in.actor)?;
    let form = FormFields::parse(&body);
    let result = async {
        let fields = form_fields(&state, &form).await?;
        ops::create(&state, &signed_in.actor, &signed_in.origin, fields).await
    }
    .await;
    match result {
        Ok(rule) => back_after_form(&format!("/admin/triggers/{}", rule.id), "trigger", "rule", Ok(())),
        Err(e) => back_after_form("/admin/triggers", "triggers", "new-rule", Err(e)),
    }
}

/// `POST /admin/triggers/{id}`: the rule changed.
pub(crate) async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admins_only(&signed_in.actor)?;
    let form = FormFields::parse(&body);
    let result = async {
        let fields = form_fields(&state, &form).await?;
        ops::update(&state, &signed_in.actor, &signed_in.origin, id, fields).await
    }
    .await;
    back_after_form(&format!("/admin/triggers/{id}"), "trigger", "rule", result.map(drop))
}

/// `POST /admin/triggers/{id}/delete`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let result = ops::delete(&state, &signed_in.actor, &signed_in.origin, id).await;
    back_after_form("/admin/triggers", "triggers", "rules", result)
}

/// `POST /admin/triggers/run`: queues a run now.
pub(crate) async fn run_now(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, ApiError> {
    let result = ops::run_now(&state, &signed_in.actor).await;
    back_after_form("/admin/triggers", "triggers", "rules", result.map(drop))
}
