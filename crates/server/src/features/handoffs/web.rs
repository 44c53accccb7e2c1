//! Handoffs in the web UI: an account's handoff page (hand a closed deal to CS, tick its
//! criteria, accept it at kickoff or ask to reject it, a leader's decision) and the deal
//! quality page (every deal with its exceptions beside the renewal outcome, and the team's
//! qualification list).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::NaiveDate;
use lodestar_domain::AccountId;
use lodestar_domain::handoff::{ExceptionKind, HandoffId, HandoffState};
use lodestar_domain::user::User;
use lodestar_store::Handoff;

use super::ops::{self, HandoffInput, handoff_fields, labels};
use crate::AppState;
use crate::features::accounts::ops::existing;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, back_after_form, render};

/// Where a handoff form's problem is shown after its redirect.
const SLOT: &str = "handoff";

pub(crate) struct CriterionLine {
    name: String,
    met: bool,
    cited: bool,
}

pub(crate) struct HandoffCard {
    id: i64,
    account_id: i64,
    account_name: String,
    state: &'static str,
    state_label: &'static str,
    signed_on: NaiveDate,
    kickoff_due_on: NaiveDate,
    /// Handed off and not accepted by its due date.
    kickoff_late: bool,
    goals: String,
    pain_points: String,
    criteria: Vec<CriterionLine>,
    met: usize,
    exceptions: Vec<String>,
    /// "Renewed on 2026-01-01", "Renewal due 2027-03-01", "Churned on …".
    outcome: String,
    rejection: Option<String>,
    decision: Option<String>,
    editable: bool,
}

fn card(h: &Handoff, today: NaiveDate) -> HandoffCard {
    let outcome = match (h.outcome.kind, h.outcome.on, h.outcome.renewal_date) {
        (Some(kind), Some(on), _) => format!("{} on {on}", kind.label()),
        (_, _, Some(renewal)) => format!("Not renewed yet; renewal due {renewal}"),
        _ => "No renewal on record yet".to_owned(),
    };
    HandoffCard {
        id: h.id.0,
        account_id: h.account_id.0,
        account_name: h.account_name.clone(),
        state: h.state.as_str(),
        state_label: h.state.label(),
        signed_on: h.signed_on,
        kickoff_due_on: h.kickoff_due_on,
        kickoff_late: h.state == HandoffState::HandedOff && today > h.kickoff_due_on,
        goals: h.goals.to_string(),
        pain_points: h.pain_points.to_string(),
        met: h.criteria.iter().filter(|c| c.met).count(),
        criteria: h
            .criteria
            .iter()
            .map(|c| CriterionLine {
                name: c.name.to_string(),
                met: c.met,
                cited: c.cited,
            })
            .collect(),
        exceptions: h
            .exceptions
            .iter()
            .map(|e| format!("{}: {}", e.kind.label(), e.detail))
            .collect(),
        outcome,
        rejection: h.rejection_requested_at.map(|at| {
            let by = h.rejection_requested_by.as_deref().unwrap_or("someone");
            let reason = h.rejection_reason.as_ref().map(ToString::to_string).unwrap_or_default();
            format!("Asked by {by} on {}: {reason}", at.date_naive())
        }),
        decision: h.decided_at.map(|at| {
            let by = h.decided_by.as_deref().unwrap_or("a leader");
            let note = h.decision_note.as_ref().map(ToString::to_string).unwrap_or_default();
            format!("Decided by {by} on {}: {note}", at.date_naive())
        }),
        editable: matches!(h.state, HandoffState::HandedOff | HandoffState::Accepted),
    }
}

#[derive(askama::Template)]
#[template(path = "handoffs/account.html")]
struct AccountPage {
    me: User,
    account_id: i64,
    account_name: String,
    handoffs: Vec<HandoffCard>,
    team_criteria: Vec<String>,
    kinds: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    can_decide: bool,
    today: NaiveDate,
    error: Option<String>,
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    ExceptionKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
}

/// `GET /accounts/{id}/handoff`: the account's handed-off deals and the form to hand one off.
pub(crate) async fn account(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
) -> Result<Html, ApiError> {
    let account = existing(&state.store, AccountId(id)).await?;
    let today = state.store.today();
    let handoffs = state.store.handoffs_of_account(account.id).await?;
    render(&AccountPage {
        account_id: id,
        account_name: account.fields.name.to_string(),
        handoffs: handoffs.iter().map(|h| card(h, today)).collect(),
        team_criteria: state
            .store
            .qualification_criteria()
            .await?
            .iter()
            .map(ToString::to_string)
            .collect(),
        kinds: kinds(),
        can_edit: page.actor.can_write_account(account.fields.owner_id),
        can_decide: page.actor.can_manage_all_accounts(),
        today,
        error: page.flash.for_slot(SLOT),
        me: page.user,
    })
}

fn back(account: i64, anchor: &str, result: Result<(), ApiError>) -> Result<Response, ApiError> {
    back_after_form(&format!("/accounts/{account}/handoff"), SLOT, anchor, result)
}

/// `POST /accounts/{id}/handoff`: a closed deal handed to CS.
pub(crate) async fn create(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    crate::features::accounts::ops::writable(&state.store, &actor, AccountId(id)).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let team = state.store.qualification_criteria().await?;
        let met: Vec<&str> = form.all("met").collect();
        let names: Vec<String> = team.iter().map(ToString::to_string).collect();
        let kinds: Vec<&str> = form.all("exception_kind").collect();
        let details: Vec<&str> = form.all("exception_detail").collect();
        let fields = handoff_fields(HandoffInput {
            signed_on: form.date("signed_on"),
            goals: form.text("goals"),
            pain_points: form.text("pain_points"),
            criteria: names.iter().map(|n| (n.as_str(), met.contains(&n.as_str()))).collect(),
            exceptions: kinds.into_iter().zip(details).collect(),
        })?;
        ops::create(&state.store, &actor, AccountId(id), fields)
            .await
            .map(|_| ())
    }
    .await;
    back(id, "handoffs", result)
}

/// The account a handoff form acts on, for the redirect.
async fn account_of(state: &AppState, id: i64) -> Result<i64, ApiError> {
    Ok(state.store.handoff(HandoffId(id)).await?.account_id.0)
}

/// `POST /handoffs/{id}/criteria`: the criteria ticked as met.
pub(crate) async fn tick(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = ops::changeable(&state.store, &actor, HandoffId(id)).await?.account_id.0;
    let form = FormFields::parse(&body);
    let met: Vec<&str> = form.all("met").collect();
    let result = ops::tick(&state.store, &actor, HandoffId(id), &met).await.map(|_| ());
    back(account, &format!("handoff-{id}"), result)
}

/// `POST /handoffs/{id}/accept`: the deal accepted at kickoff.
pub(crate) async fn accept(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let account = ops::changeable(&state.store, &actor, HandoffId(id)).await?.account_id.0;
    let result = ops::accept(&state.store, &actor, HandoffId(id)).await.map(|_| ());
    back(account, &format!("handoff-{id}"), result)
}

/// `POST /handoffs/{id}/rejection`: the CSM asks to reject the deal on unmet criteria.
pub(crate) async fn request_rejection(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = ops::changeable(&state.store, &actor, HandoffId(id)).await?.account_id.0;
    let form = FormFields::parse(&body);
    let result = async {
        let criteria = labels(form.all("criteria"))?;
        ops::request_rejection(&state.store, &actor, HandoffId(id), criteria, form.text("reason"))
            .await
            .map(|_| ())
    }
    .await;
    back(account, &format!("handoff-{id}"), result)
}

/// `POST /handoffs/{id}/decision`: a leader approves or declines a rejection.
pub(crate) async fn decide(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    ops::may_lead(&actor)?;
    let account = account_of(&state, id).await?;
    let form = FormFields::parse(&body);
    let approve = form.text("decision") == "reject";
    let result = ops::decide(&state.store, &actor, HandoffId(id), approve, form.text("note"))
        .await
        .map(|_| ());
    back(account, &format!("handoff-{id}"), result)
}

#[derive(askama::Template)]
#[template(path = "handoffs/list.html")]
struct ListPage {
    me: User,
    awaiting: Vec<HandoffCard>,
    others: Vec<HandoffCard>,
    criteria: String,
    can_decide: bool,
    /// Time to first value and to onboarding complete, per segment.
    times: Vec<lodestar_store::OnboardingTimes>,
    error: Option<String>,
}

/// `GET /handoffs`: deal quality — rejections awaiting a leader, then every deal with its
/// exceptions beside the account's renewal outcome; the team's qualification list.
pub(crate) async fn list(State(state): State<AppState>, page: SignedIn) -> Result<Html, ApiError> {
    let today = state.store.today();
    let (awaiting, others): (Vec<HandoffCard>, Vec<HandoffCard>) = state
        .store
        .handoffs(None)
        .await?
        .iter()
        .map(|h| card(h, today))
        .partition(|c| c.state == HandoffState::RejectionRequested.as_str());
    let criteria: Vec<String> = state
        .store
        .qualification_criteria()
        .await?
        .iter()
        .map(ToString::to_string)
        .collect();
    render(&ListPage {
        awaiting,
        others,
        criteria: criteria.join("\n"),
        can_decide: page.actor.can_manage_all_accounts(),
        times: state.store.onboarding_times().await?,
        error: page.flash.for_slot(SLOT),
        me: page.user,
    })
}

/// `POST /handoffs/qualification`: the team's list, one criterion a line (leaders).
pub(crate) async fn set_criteria(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    ops::may_lead(&actor)?;
    let form = FormFields::parse(&body);
    let result = async {
        let names = labels(form.text("criteria").lines())?;
        ops::set_criteria(&state.store, &actor, names).await.map(|_| ())
    }
    .await;
    back_after_form("/handoffs", SLOT, "qualification", result)
}
