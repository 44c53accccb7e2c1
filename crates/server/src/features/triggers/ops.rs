//! What the triggers API and pages both do: only admins see and change rules; a rule's input
//! read with every problem named.

use lodestar_domain::access::Actor;
use lodestar_domain::text::Name;
use lodestar_domain::trigger::{Action, Condition, RuleFields, Signal};
use lodestar_domain::vocabulary::{AuditKind, LifecycleStage, Tier};
use lodestar_domain::{Cents, FieldError, Invalid, TacticId, UserId, Valid};
use lodestar_store::TriggerRule;

use crate::AppState;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::checked;

pub(crate) fn admins_only(actor: &Actor) -> Result<(), ApiError> {
    if actor.can_administer() {
        Ok(())
    } else {
        Err(ApiError::Forbidden("only admins see and change trigger rules"))
    }
}

/// One action as typed: its kind and the parameters that kind takes.
pub(crate) struct ActionInput<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub due_in_days: Option<u32>,
    pub approach: &'a str,
    pub user_id: Option<i64>,
    pub tactic_id: Option<i64>,
}

/// A rule as typed.
pub(crate) struct RuleInput<'a> {
    pub name: &'a str,
    pub signal: &'a str,
    pub param: &'a str,
    pub tier: &'a str,
    pub stage: &'a str,
    pub min_arr: &'a str,
    pub actions: Vec<ActionInput<'a>>,
    pub enabled: bool,
}

/// A task's days until due as typed (7 when left out), named `field` when out of range.
fn due_in_days(errors: &mut Vec<FieldError>, field: &'static str, typed: Option<u32>) -> Option<u16> {
    match typed.unwrap_or(7) {
        d @ 0..=365 => Some(d as u16),
        _ => {
            errors.push(FieldError {
                field,
                reason: "0 to 365 days".into(),
            });
            None
        }
    }
}

fn action(errors: &mut Vec<FieldError>, a: &ActionInput<'_>) -> Option<Action> {
    match a.kind.trim() {
        "create_task" => Some(Action::CreateTask {
            title: a.title.trim().to_owned(),
            due_in_days: due_in_days(errors, "task_due_in_days", a.due_in_days)?,
        }),
        // Whether the tactic exists is checked where the rule is saved (the store).
        "playbook_task" => {
            let due = due_in_days(errors, "playbook_task_due_in_days", a.due_in_days);
            let Some(tactic) = a.tactic_id else {
                errors.push(FieldError {
                    field: "playbook_tactic_id",
                    reason: "is required: which playbook tactic the task is made from".into(),
                });
                return None;
            };
            Some(Action::PlaybookTask {
                tactic: TacticId(tactic),
                due_in_days: due?,
            })
        }
        "reactive_qbr" => Some(Action::ReactiveQbr),
        "send_email" => {
            checked(errors, "email_approach", a.approach.parse()).map(|approach| Action::SendEmail { approach })
        }
        "post_webhook" => Some(Action::PostWebhook),
        "notify_user" => match a.user_id {
            Some(id) => Some(Action::NotifyUser { user: UserId(id) }),
            None => {
                errors.push(FieldError {
                    field: "notify_user_id",
                    reason: "is required: whom to notify".into(),
                });
                None
            }
        },
        other => {
            errors.push(FieldError {
                field: "actions",
                reason: format!(
                    "unknown action {other:?}; expected create_task, playbook_task, reactive_qbr, send_email, post_webhook or notify_user"
                ),
            });
            None
        }
    }
}

fn optional<T: std::str::FromStr<Err = String>>(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    text: &str,
) -> Option<Option<T>> {
    match text.trim() {
        "" => Some(None),
        t => checked(errors, field, t.parse()).map(Some),
    }
}

/// Reads a rule, naming every problem; a notified user must exist.
pub(crate) async fn rule_fields(state: &AppState, input: RuleInput<'_>) -> Result<Valid<RuleFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let name = checked(&mut errors, "name", Name::parse(input.name));
    let signal = checked(&mut errors, "signal", Signal::parse(input.signal, input.param));
    let tier = optional::<Tier>(&mut errors, "tier", input.tier);
    let stage = optional::<LifecycleStage>(&mut errors, "stage", input.stage);
    let min_arr = match input.min_arr.trim() {
        "" => Some(None),
        t => checked(&mut errors, "min_arr", Cents::parse(t)).map(Some),
    };
    let actions: Vec<Option<Action>> = input.actions.iter().map(|a| action(&mut errors, a)).collect();
    for a in actions.iter().flatten() {
        if let Action::NotifyUser { user } = a
            && state.store.user(*user).await?.is_none()
        {
            errors.push(FieldError {
                field: "notify_user_id",
                reason: format!("there is no user {user}"),
            });
        }
    }
    match (name, signal, tier, stage, min_arr) {
        (Some(name), Some(signal), Some(tier), Some(stage), Some(min_arr)) if errors.is_empty() => Ok(RuleFields {
            name,
            signal,
            condition: Condition { tier, stage, min_arr },
            actions: actions.into_iter().flatten().collect(),
            enabled: input.enabled,
        }
        .validate()?),
        _ => Err(Invalid { errors }.into()),
    }
}

async fn audit(state: &AppState, origin: &Origin, rule: &TriggerRule, what: &str) -> Result<(), ApiError> {
    state
        .audit(
            origin,
            AuditKind::TriggerChanged,
            Some(format!("trigger rule {}", rule.id)),
            format!("{what} \"{}\": {}", rule.fields.name, rule.description),
        )
        .await
}

pub(crate) async fn create(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    fields: Valid<RuleFields>,
) -> Result<TriggerRule, ApiError> {
    admins_only(actor)?;
    let rule = state.store.create_trigger_rule(fields, actor.user).await?;
    audit(state, origin, &rule, "created").await?;
    Ok(rule)
}

pub(crate) async fn update(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    fields: Valid<RuleFields>,
) -> Result<TriggerRule, ApiError> {
    admins_only(actor)?;
    let rule = state.store.update_trigger_rule(id, fields).await?;
    audit(state, origin, &rule, "changed").await?;
    Ok(rule)
}

pub(crate) async fn delete(state: &AppState, actor: &Actor, origin: &Origin, id: i64) -> Result<(), ApiError> {
    admins_only(actor)?;
    let rule = state.store.trigger_rule(id).await?;
    state.store.delete_trigger_rule(id).await?;
    audit(state, origin, &rule, "deleted").await
}

/// Queues a run of every enabled rule now (the job queue runs it, not this request).
pub(crate) async fn run_now(state: &AppState, actor: &Actor) -> Result<lodestar_domain::JobId, ApiError> {
    admins_only(actor)?;
    let job = crate::jobs::trigger_sweep::now(state.store.now());
    state
        .store
        .enqueue_job(&job)
        .await?
        .ok_or_else(|| ApiError::Conflict("a run is queued already".into()))
}
