//! The onboarding plan as its customer contact sees it through a link: the dates, the risks,
//! every task of both sides; they tick off their own side's tasks and, at the end, say whether
//! the technical implementation and the process integration are complete — only their "yes" to
//! both completes onboarding.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use lodestar_domain::onboarding::{CustomerVerdict, OnboardingId, TaskSide};
use lodestar_domain::vocabulary::LinkAction;
use lodestar_store::{CustomerLink, LinkTarget, Onboarding};

use super::plan::{Client, page_error};
use super::{allowed, open};
use crate::AppState;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{render, user_problem};

struct TaskLine {
    id: i64,
    title: String,
    owner: String,
    due_on: NaiveDate,
    done: bool,
    yours: bool,
}

#[derive(Template)]
#[template(path = "customer/onboarding.html")]
struct OnboardingPage {
    base: String,
    account_name: String,
    contact_name: String,
    kickoff_due_on: NaiveDate,
    midway_on: NaiveDate,
    target_on: NaiveDate,
    risks: String,
    tasks: Vec<TaskLine>,
    /// Yours done, of yours.
    yours_done: usize,
    yours: usize,
    completed_on: Option<NaiveDate>,
    technical: bool,
    process: bool,
    can_tick: bool,
    can_answer: bool,
    problem: Option<String>,
}

fn page(plan: &Onboarding, link: &CustomerLink, secret: &str, problem: Option<String>) -> OnboardingPage {
    let tasks: Vec<TaskLine> = plan
        .tasks
        .iter()
        .map(|t| TaskLine {
            id: t.id,
            title: t.fields.title.to_string(),
            owner: t.fields.owner.to_string(),
            due_on: t.fields.due_on,
            done: t.done_at.is_some(),
            yours: t.fields.side == TaskSide::Customer,
        })
        .collect();
    OnboardingPage {
        base: format!("/c/onboarding/{}/{secret}", plan.id),
        account_name: plan.account_name.clone(),
        contact_name: link.contact_name.clone(),
        kickoff_due_on: plan.kickoff_due_on,
        midway_on: plan.midway_on,
        target_on: plan.fields.target_on,
        risks: plan.fields.risks.to_string(),
        yours_done: tasks.iter().filter(|t| t.yours && t.done).count(),
        yours: tasks.iter().filter(|t| t.yours).count(),
        tasks,
        completed_on: plan.completed_on,
        technical: plan.verdict.is_some_and(|v| v.technical),
        process: plan.verdict.is_some_and(|v| v.process),
        can_tick: link.allows(LinkAction::Tick),
        can_answer: link.allows(LinkAction::Answer),
        problem,
    }
}

async fn visit(state: &AppState, client: Client, id: i64, secret: &str, what: &str) -> Result<CustomerLink, ApiError> {
    open(state, client.0, secret, LinkTarget::Onboarding(OnboardingId(id)), what).await
}

/// `GET /c/onboarding/{plan}/{secret}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    client: Client,
    Path((id, secret)): Path<(i64, String)>,
) -> Response {
    let shown = async {
        let link = visit(&state, client, id, &secret, "opened the onboarding plan").await?;
        let plan = state.store.onboarding(OnboardingId(id)).await?;
        render(&page(&plan, &link, &secret, None))
    };
    shown.await.map_or_else(page_error, IntoResponse::into_response)
}

/// Back to the plan after an action, or the plan with the problem.
async fn after(
    state: &AppState,
    link: &CustomerLink,
    id: i64,
    secret: &str,
    result: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/c/onboarding/{id}/{secret}")).into_response()),
        Err(e) => {
            let status = e.status();
            let problem = user_problem(e)?;
            let plan = state.store.onboarding(OnboardingId(id)).await?;
            Ok((status, render(&page(&plan, link, secret, Some(problem)))?).into_response())
        }
    }
}

/// `POST /c/onboarding/{plan}/{secret}/tasks/{task}`: one of their tasks ticked off (or open
/// again with `done=0`); a task of ours is not theirs to tick (the one 404).
pub(crate) async fn tick(
    State(state): State<AppState>,
    client: Client,
    Path((id, secret, task)): Path<(i64, String, i64)>,
    body: Bytes,
) -> Response {
    let done = async {
        let link = visit(&state, client, id, &secret, "ticked off an onboarding task").await?;
        let done = FormFields::parse(&body).text("done") != "0";
        let result = async {
            allowed(&link, LinkAction::Tick)?;
            let by = format!("{} (customer)", link.contact_name);
            state
                .store
                .tick_onboarding_task(OnboardingId(id), task, done, &by, Some(TaskSide::Customer))
                .await?;
            Ok(())
        }
        .await;
        after(&state, &link, id, &secret, result).await
    };
    done.await.unwrap_or_else(page_error)
}

/// `POST /c/onboarding/{plan}/{secret}/answer`: is the technical implementation complete, and
/// the process integration? Both ticked completes onboarding.
pub(crate) async fn answer(
    State(state): State<AppState>,
    client: Client,
    Path((id, secret)): Path<(i64, String)>,
    body: Bytes,
) -> Response {
    let done = async {
        let link = visit(&state, client, id, &secret, "answered whether onboarding is complete").await?;
        let form = FormFields::parse(&body);
        let result = async {
            allowed(&link, LinkAction::Answer)?;
            let verdict = CustomerVerdict {
                technical: form.text("technical") == "yes",
                process: form.text("process") == "yes",
            };
            state
                .store
                .answer_onboarding(OnboardingId(id), verdict, &link.contact_name)
                .await?;
            Ok(())
        }
        .await;
        after(&state, &link, id, &secret, result).await
    };
    done.await.unwrap_or_else(page_error)
}
