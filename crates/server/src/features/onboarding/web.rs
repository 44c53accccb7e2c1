//! Onboarding in the web UI: the account's onboarding page — start a plan, add tasks on
//! either side, tick them off, share the plan with a contact (the link shown once) — with the
//! customer's answer and the account's times.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use lodestar_domain::AccountId;
use lodestar_domain::onboarding::{OnboardingId, TaskSide};
use lodestar_domain::user::User;
use lodestar_store::Onboarding;

use super::ops::{self, onboarding_fields, task_fields};
use crate::AppState;
use crate::features::accounts::ops::existing;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, back_after_form, render};

const SLOT: &str = "onboarding";

pub(crate) struct TaskLine {
    id: i64,
    title: String,
    side: &'static str,
    owner: String,
    due_on: NaiveDate,
    done: bool,
    /// "by Priya on 2026-12-04".
    done_note: String,
    late: bool,
}

pub(crate) struct PlanCard {
    id: i64,
    signed_on: NaiveDate,
    kickoff_due_on: NaiveDate,
    midway_on: NaiveDate,
    target_on: NaiveDate,
    risks: String,
    tasks: Vec<TaskLine>,
    /// The customer's answer in words.
    answer: String,
    complete: bool,
    days_to_first_value: String,
    days_to_complete: String,
}

fn card(o: &Onboarding, today: NaiveDate) -> PlanCard {
    let yes_no = |b: bool| if b { "done" } else { "not done yet" };
    PlanCard {
        id: o.id.0,
        signed_on: o.fields.signed_on,
        kickoff_due_on: o.kickoff_due_on,
        midway_on: o.midway_on,
        target_on: o.fields.target_on,
        risks: o.fields.risks.to_string(),
        tasks: o
            .tasks
            .iter()
            .map(|t| TaskLine {
                id: t.id,
                title: t.fields.title.to_string(),
                side: t.fields.side.label(),
                owner: t.fields.owner.to_string(),
                due_on: t.fields.due_on,
                done: t.done_at.is_some(),
                done_note: match (&t.done_by, t.done_at) {
                    (Some(by), Some(at)) => format!("by {by} on {}", at.date_naive()),
                    _ => String::new(),
                },
                late: t.done_at.is_none() && t.fields.due_on < today,
            })
            .collect(),
        answer: match (o.verdict, &o.answered_by) {
            (Some(v), Some(by)) => format!(
                "{by}: technical implementation {}, process integration {}",
                yes_no(v.technical),
                yes_no(v.process)
            ),
            _ => "The customer has not answered yet".to_owned(),
        },
        complete: o.completed_on.is_some(),
        days_to_first_value: o
            .days_to_first_value()
            .map_or_else(|| "not reached yet".to_owned(), |d| format!("{d} days")),
        days_to_complete: o
            .days_to_complete()
            .map_or_else(|| "not complete yet".to_owned(), |d| format!("{d} days")),
    }
}

#[derive(askama::Template)]
#[template(path = "onboarding/account.html")]
struct AccountPage {
    me: User,
    account_id: i64,
    account_name: String,
    plans: Vec<PlanCard>,
    contacts: Vec<(i64, String)>,
    sides: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    /// The day the latest deal handed off was signed, else today: the form's default.
    signed_on: NaiveDate,
    /// The address of a link just made: shown once, on this answer only.
    shared: Option<String>,
    error: Option<String>,
}

async fn account_page(
    state: &AppState,
    page: SignedIn,
    id: AccountId,
    shared: Option<String>,
) -> Result<Html, ApiError> {
    let account = existing(&state.store, id).await?;
    let today = state.store.today();
    let plans = state.store.onboardings_of_account(id).await?;
    let contacts = state
        .store
        .contacts_of(id)
        .await?
        .into_iter()
        .map(|c| (c.id.0, c.fields.display_name()))
        .collect();
    render(&AccountPage {
        account_id: id.0,
        account_name: account.fields.name.to_string(),
        plans: plans.iter().map(|o| card(o, today)).collect(),
        contacts,
        sides: TaskSide::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        can_edit: page.actor.can_write_account(account.fields.owner_id),
        signed_on: state
            .store
            .handoffs_of_account(id)
            .await?
            .first()
            .map_or(today, |h| h.signed_on),
        shared,
        error: page.flash.for_slot(SLOT),
        me: page.user,
    })
}

/// `GET /accounts/{id}/onboarding`.
pub(crate) async fn account(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
) -> Result<Html, ApiError> {
    account_page(&state, page, AccountId(id), None).await
}

fn back(account: AccountId, result: Result<(), ApiError>) -> Result<Response, ApiError> {
    back_after_form(&format!("/accounts/{account}/onboarding"), SLOT, "onboarding", result)
}

/// `POST /accounts/{id}/onboarding`: a plan started.
pub(crate) async fn start(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = AccountId(id);
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let fields = onboarding_fields(form.date("signed_on"), form.date("target_on"), form.text("risks"))?;
        ops::start(&state.store, &actor, id, fields, Vec::new()).await.map(drop)
    }
    .await;
    back(id, result)
}

/// `POST /onboarding/{id}/tasks`: a task added.
pub(crate) async fn add_task(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = OnboardingId(id);
    let account = ops::changeable(&state.store, &actor, id).await?.account_id;
    let form = FormFields::parse(&body);
    let result = async {
        let task = task_fields(
            form.text("title"),
            form.text("side"),
            form.text("owner"),
            form.date("due_on"),
        )?;
        ops::add_task(&state.store, &actor, id, task).await.map(drop)
    }
    .await;
    back(account, result)
}

/// `POST /onboarding/{id}/tasks/{task}/done`: ticked off, or open again (`done=0`).
pub(crate) async fn tick(
    State(state): State<AppState>,
    SignedIn { actor, user, .. }: SignedIn,
    Path((id, task)): Path<(i64, i64)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = OnboardingId(id);
    let account = ops::changeable(&state.store, &actor, id).await?.account_id;
    let done = FormFields::parse(&body).text("done") != "0";
    let who = user.fields.name.to_string();
    let result = ops::tick(&state.store, &actor, &who, id, task, done).await.map(drop);
    back(account, result)
}

/// `POST /onboarding/{id}/share`: a link for a contact; the page shows its address once.
pub(crate) async fn share(
    State(state): State<AppState>,
    page: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = OnboardingId(id);
    let account = ops::changeable(&state.store, &page.actor, id).await?.account_id;
    let form = FormFields::parse(&body);
    let contact = form.text("contact_id").parse().ok();
    let shared = ops::share(&state, &page.actor, &page.origin, &headers, id, contact, None).await;
    match shared {
        Ok((_, url)) => Ok(account_page(&state, page, account, Some(url)).await?.into_response()),
        Err(e) => back(account, Err(e)),
    }
}
