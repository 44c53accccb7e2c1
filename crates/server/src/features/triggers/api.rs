//! Trigger rules on the API (admins): write them, see what a rule would hit now (a dry run),
//! its firings, and queue a run now.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use lodestar_domain::trigger::{Action, RuleFields};
use lodestar_store::{Candidate, Firing, TriggerRule};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, ActionInput, RuleInput, admins_only};
use crate::AppState;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(get_rule, update_rule, delete_rule))
        .routes(routes!(dry_run))
        .routes(routes!(firings))
        .routes(routes!(run_now))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleOutput {
    id: i64,
    name: String,
    /// The rule in words: "When …, then …".
    description: String,
    /// health_band, usage_drop, milestone_missed, champion_left, renewal_in,
    /// plan_not_approved or promise_overdue.
    signal: &'static str,
    /// The signal's parameter: a band, a percentage or days.
    param: String,
    tier: Option<&'static str>,
    stage: Option<&'static str>,
    /// Minimum ARR, as a decimal string.
    min_arr: Option<String>,
    /// Each action: `kind` (create_task, playbook_task, reactive_qbr, send_email, post_webhook,
    /// notify_user) and its parameters (`title` and `due_in_days`, `tactic` and `due_in_days`,
    /// `approach`, `user`).
    #[schema(value_type = Vec<Object>)]
    actions: Vec<Action>,
    enabled: bool,
    /// How many times it fired.
    firings: i64,
    last_fired: Option<DateTime<Utc>>,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<TriggerRule> for RuleOutput {
    fn from(r: TriggerRule) -> Self {
        let f = r.fields;
        RuleOutput {
            id: r.id,
            description: r.description,
            name: f.name.to_string(),
            signal: f.signal.kind(),
            param: f.signal.param(),
            tier: f.condition.tier.map(|t| t.as_str()),
            stage: f.condition.stage.map(|s| s.as_str()),
            min_arr: f.condition.min_arr.map(|a| a.to_string()),
            actions: f.actions,
            enabled: f.enabled,
            firings: r.firings,
            last_fired: r.last_fired,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// create_task, playbook_task, reactive_qbr, send_email, post_webhook or notify_user.
    #[schema(example = "create_task")]
    kind: String,
    /// create_task: the title; `{account}` and `{cause}` are filled in.
    #[serde(default)]
    title: String,
    /// create_task and playbook_task: days until due (0–365, 7 when left out).
    due_in_days: Option<u32>,
    /// playbook_task: the playbook library's tactic (see `/api/v1/playbooks`) the task is made
    /// from; it is titled "<tactic> — <outcome>: <cause>".
    tactic_id: Option<i64>,
    /// send_email: the risk playbook's outreach approach (open_question, menu_of_options,
    /// open_channel).
    #[serde(default)]
    approach: String,
    /// notify_user: whom.
    user_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    #[schema(example = "Renewal in 90 days")]
    name: String,
    /// health_band, usage_drop, milestone_missed, champion_left, renewal_in,
    /// plan_not_approved or promise_overdue.
    #[schema(example = "renewal_in")]
    signal: String,
    /// The signal's parameter: red/yellow/green for health_band, a percentage for usage_drop,
    /// days for the others (none for milestone_missed).
    #[serde(default)]
    #[schema(example = "90")]
    param: String,
    /// Only accounts of this tier.
    #[serde(default)]
    tier: String,
    /// Only accounts in this lifecycle stage.
    #[serde(default)]
    stage: String,
    /// Only accounts with at least this ARR.
    #[serde(default)]
    min_arr: String,
    actions: Vec<ActionBody>,
    /// true when left out.
    enabled: Option<bool>,
}

impl RuleBody {
    async fn fields(&self, state: &AppState) -> Result<lodestar_domain::Valid<RuleFields>, ApiError> {
        ops::rule_fields(
            state,
            RuleInput {
                name: &self.name,
                signal: &self.signal,
                param: &self.param,
                tier: &self.tier,
                stage: &self.stage,
                min_arr: &self.min_arr,
                actions: self
                    .actions
                    .iter()
                    .map(|a| ActionInput {
                        kind: &a.kind,
                        title: &a.title,
                        due_in_days: a.due_in_days,
                        approach: &a.approach,
                        user_id: a.user_id,
                        tactic_id: a.tactic_id,
                    })
                    .collect(),
                enabled: self.enabled.unwrap_or(true),
            },
        )
        .await
    }
}

/// Every trigger rule (admins).
#[utoipa::path(get, path = "/api/v1/triggers", tag = "triggers",
    responses((status = 200, description = "The rules", body = Vec<RuleOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_rules(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<axum::Json<Vec<RuleOutput>>, ApiError> {
    admins_only(&actor)?;
    Ok(axum::Json(
        state.store.trigger_rules().await?.into_iter().map(Into::into).collect(),
    ))
}

/// Write a rule: "when <signal> [and <condition>] then <actions>" (admins). It runs on the job
/// queue every quarter of an hour, once per account and cause.
#[utoipa::path(post, path = "/api/v1/triggers", tag = "triggers", request_body = RuleBody,
    responses((status = 201, description = "Written", body = RuleOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_rule(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<RuleBody>,
) -> Result<(StatusCode, axum::Json<RuleOutput>), ApiError> {
    admins_only(&actor)?;
    let fields = body.read()?.fields(&state).await?;
    let rule = ops::create(&state, &actor, &origin, fields).await?;
    Ok((StatusCode::CREATED, axum::Json(rule.into())))
}

/// One rule (admins).
#[utoipa::path(get, path = "/api/v1/triggers/{id}", tag = "triggers", params(("id" = i64, Path)),
    responses((status = 200, description = "The rule", body = RuleOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_rule(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<axum::Json<RuleOutput>, ApiError> {
    admins_only(&actor)?;
    Ok(axum::Json(state.store.trigger_rule(path_id(id)?).await?.into()))
}

/// Replace a rule (admins); what it fired for stays fired.
#[utoipa::path(put, path = "/api/v1/triggers/{id}", tag = "triggers", params(("id" = i64, Path)),
    request_body = RuleBody,
    responses((status = 200, description = "Replaced", body = RuleOutput), WriteProblems),
    security(("bearer" = [])))]
async fn update_rule(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
    body: Json<RuleBody>,
) -> Result<axum::Json<RuleOutput>, ApiError> {
    admins_only(&actor)?;
    let id = path_id(id)?;
    let fields = body.read()?.fields(&state).await?;
    Ok(axum::Json(
        ops::update(&state, &actor, &origin, id, fields).await?.into(),
    ))
}

/// Delete a rule and its firings (admins).
#[utoipa::path(delete, path = "/api/v1/triggers/{id}", tag = "triggers", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), WriteProblems),
    security(("bearer" = [])))]
async fn delete_rule(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    ops::delete(&state, &actor, &origin, path_id(id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateOutput {
    account_id: i64,
    account_name: String,
    /// What happened, as the key the rule fires once for.
    cause: String,
    cause_text: String,
    /// The rule fired for this account and cause already: it will not again.
    fired: bool,
}

impl From<Candidate> for CandidateOutput {
    fn from(c: Candidate) -> Self {
        CandidateOutput {
            account_id: c.account_id.0,
            account_name: c.account_name,
            cause: c.cause,
            cause_text: c.cause_text,
            fired: c.fired,
        }
    }
}

/// A dry run: the accounts the rule hits now, with their causes, doing nothing (admins).
#[utoipa::path(get, path = "/api/v1/triggers/{id}/dry-run", tag = "triggers", params(("id" = i64, Path)),
    responses((status = 200, description = "What it would hit", body = Vec<CandidateOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn dry_run(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<CandidateOutput>>, ApiError> {
    admins_only(&actor)?;
    let rule = state.store.trigger_rule(path_id(id)?).await?;
    let hits = state
        .store
        .trigger_candidates(Some(rule.id), &rule.fields, state.store.today())
        .await?;
    Ok(axum::Json(hits.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiringOutput {
    rule_id: i64,
    rule_name: String,
    account_id: i64,
    account_name: String,
    cause_text: String,
    /// What its actions did.
    done: String,
    fired_at: DateTime<Utc>,
}

impl From<Firing> for FiringOutput {
    fn from(f: Firing) -> Self {
        FiringOutput {
            rule_id: f.rule_id,
            rule_name: f.rule_name,
            account_id: f.account_id.0,
            account_name: f.account_name,
            cause_text: f.cause_text,
            done: f.done,
            fired_at: f.fired_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FiringsQuery {
    /// At most this many, the latest first (1–500, 100 when left out).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A rule's firings, the latest first, each with its cause and what its actions did (admins).
#[utoipa::path(get, path = "/api/v1/triggers/{id}/firings", tag = "triggers", params(("id" = i64, Path), FiringsQuery),
    responses((status = 200, description = "The firings", body = Vec<FiringOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn firings(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    query: Result<Query<FiringsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<FiringOutput>>, ApiError> {
    admins_only(&actor)?;
    let Query(q) = query?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(lodestar_domain::Invalid::field("limit", "between 1 and 500").into());
    }
    let rule = state.store.trigger_rule(path_id(id)?).await?;
    let list = state.store.trigger_firings(Some(rule.id), limit).await?;
    Ok(axum::Json(list.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunOutput {
    /// The queued run (see `/api/v1/jobs`).
    job_id: i64,
}

/// Queue a run of every enabled rule now (admins); the job queue runs it.
#[utoipa::path(post, path = "/api/v1/triggers/run", tag = "triggers",
    responses((status = 202, description = "Queued", body = RunOutput), WriteProblems),
    security(("bearer" = [])))]
async fn run_now(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<(StatusCode, axum::Json<RunOutput>), ApiError> {
    let job = ops::run_now(&state, &actor).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(RunOutput { job_id: job.0 })))
}
