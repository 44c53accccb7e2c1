//! Churn (F-25) in the web UI: the churn form's answer, a retrospective, the list of churns.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use lodestar_domain::AccountId;
use lodestar_domain::user::User;
use lodestar_store::Retrospective;
use serde::Deserialize;

use crate::AppState;
use crate::features::churn::ops::{churn_fields, retrospective_notes};
use crate::features::playbooks::web::{ChangeView, change_targets};
use crate::http::error::ApiError;
use crate::http::pages::{Choice, Html, SignedIn, back_after_form, render};

const PAGE: u32 = 50;

/// Back to `url` at `anchor`, with the form's problem (if any) for the page to show.
fn back(url: &str, anchor: &str, result: Result<(), ApiError>) -> Result<Response, ApiError> {
    back_after_form(url, "error", anchor, result)
}

#[derive(Deserialize)]
pub(crate) struct ChurnForm {
    churned_on: String,
    reason: String,
    detail: String,
}

pub(crate) async fn mark_churned(
    State(state): State<AppState>,
    SignedIn { actor, origin, .. }: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<ChurnForm>,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let result = async {
        let on = form.churned_on.trim();
        let churned_on = if on.is_empty() {
            None
        } else {
            on.parse::<NaiveDate>().ok()
        };
        let fields = churn_fields(churned_on, &form.reason, &form.detail, state.store.today())?;
        super::ops::mark_churned(&state, &origin, &actor, account, fields).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{id}/retrospective")).into_response()),
        Err(e) => back(&format!("/accounts/{id}"), "lxl", Err(e)),
    }
}

#[derive(askama::Template)]
#[template(path = "churn/retrospective.html")]
struct RetrospectivePage {
    me: User,
    retro: RetroRow,
    can_edit: bool,
    appearances: Vec<(i64, String, String)>,
    /// JSON `[[day, score], …]`: the score over the 180 days before the churn.
    health_chart: String,
    has_health: bool,
    /// JSON `[[week, active people, events], …]`: the 26 weeks before the churn.
    usage_chart: String,
    has_usage: bool,
    timeline: Vec<(String, String, Option<String>)>,
    error: Option<String>,
    /// The playbook changes this retrospective asked for, and what it can ask to change.
    playbook_changes: Vec<ChangeView>,
    playbook_targets: Vec<(String, Vec<Choice>)>,
    playbook_change_error: Option<String>,
}

struct RetroRow {
    account_id: i64,
    account: String,
    owner: String,
    churned_on: String,
    reason: &'static str,
    detail: String,
    arr_lost: String,
    recorded: String,
    flagged: bool,
    prevention: String,
    exit_interview: String,
    learnings: String,
    playbook: String,
}

impl From<Retrospective> for RetroRow {
    fn from(r: Retrospective) -> Self {
        RetroRow {
            account_id: r.account_id.0,
            account: r.account_name,
            owner: r.owner.unwrap_or_else(|| "—".into()),
            churned_on: r.churned_on.to_string(),
            reason: r.reason.label(),
            detail: r.detail.to_string(),
            arr_lost: r.arr_lost.whole_dollars(),
            recorded: match r.recorded_by {
                Some(who) => format!("{} by {who}", r.recorded_at.date_naive()),
                None => r.recorded_at.date_naive().to_string(),
            },
            flagged: r.flagged,
            prevention: r.notes.prevention.to_string(),
            exit_interview: r.notes.exit_interview.to_string(),
            learnings: r.notes.learnings.to_string(),
            playbook: r.notes.playbook.to_string(),
        }
    }
}

pub(crate) async fn retrospective(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    let Some(retro) = state.store.retrospective(account).await? else {
        return Err(ApiError::NotFound(format!("account {id} has not been marked churned")));
    };
    // The account as it stood on the day it churned: health, usage and story up to then.
    let view = state
        .store
        .account_view(account, retro.churned_on)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("account {id} does not exist")))?;
    let can_edit = actor.can_write_account(view.summary.account.fields.owner_id);
    let health: Vec<(String, u32)> = view
        .health
        .history
        .iter()
        .map(|p| (p.day.to_string(), p.score))
        .collect();
    let usage = crate::features::usage::web::account_usage(view.usage);
    let appearances = state
        .store
        .lxl_appearances(account, retro.churned_on)
        .await?
        .into_iter()
        .map(|(review, reasons)| {
            (
                review.id.0,
                review.quarter.label(),
                crate::features::lxl::web::reasons_text(&reasons),
            )
        })
        .collect();
    let page = RetrospectivePage {
        retro: retro.into(),
        can_edit,
        appearances,
        has_health: health.len() > 1,
        health_chart: serde_json::to_string(&health).expect("chart data serialises"),
        has_usage: usage.has_activity,
        usage_chart: usage.chart,
        timeline: view
            .timeline
            .into_iter()
            .map(|e| (e.on.to_string(), e.text, e.actor))
            .collect(),
        error: flash.for_slot("error"),
        playbook_changes: state
            .store
            .playbook_changes_of(account)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        playbook_targets: if can_edit {
            change_targets(&state.store).await?
        } else {
            Vec::new()
        },
        playbook_change_error: flash.for_slot("playbook-change"),
        me,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub(crate) struct RetrospectiveForm {
    prevention: String,
    exit_interview: String,
    learnings: String,
    playbook: String,
}

pub(crate) async fn save_retrospective(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<RetrospectiveForm>,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let result = async {
        let notes = retrospective_notes(&form.prevention, &form.exit_interview, &form.learnings, &form.playbook)?;
        state.store.save_retrospective(account, notes).await?;
        Ok(())
    }
    .await;
    back(&format!("/accounts/{id}/retrospective"), "notes", result)
}

#[derive(askama::Template)]
#[template(path = "churn/retrospectives.html")]
struct RetrospectivesPage {
    me: User,
    rows: Vec<RetroRow>,
    never_flagged: bool,
    total: i64,
    first_shown: u32,
    last_shown: u32,
    previous_link: Option<String>,
    next_link: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct ChurnsQuery {
    never_flagged: Option<String>,
    page: Option<u32>,
}

pub(crate) async fn retrospectives(
    State(state): State<AppState>,
    SignedIn { user: me, .. }: SignedIn,
    Query(q): Query<ChurnsQuery>,
) -> Result<Html, ApiError> {
    let never_flagged = q.never_flagged.as_deref().is_some_and(|v| !v.is_empty());
    let page = q.page.unwrap_or(0);
    let offset = page.saturating_mul(PAGE);
    let (rows, total) = state.store.retrospectives(never_flagged, offset, PAGE).await?;
    let shown = u32::try_from(rows.len()).unwrap_or(PAGE);
    let link = |page: u32| {
        let flag = if never_flagged { "&never_flagged=1" } else { "" };
        format!("/retrospectives?page={page}{flag}")
    };
    render(&RetrospectivesPage {
        rows: rows.into_iter().map(Into::into).collect(),
        never_flagged,
        total,
        first_shown: offset + 1,
        last_shown: offset + shown,
        previous_link: (page > 0).then(|| link(page - 1)),
        next_link: (i64::from(offset + shown) < total).then(|| link(page + 1)),
        me,
    })
}
