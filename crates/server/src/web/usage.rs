//! Usage in the web UI (F-12, F-13): the usage part of the account page, the portfolio page
//! of accounts whose active users fell, and the admin page for milestones and the events that
//! wait for an account.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::milestone::{MilestoneStatus, Threshold};
use lodestar_domain::user::User;
use lodestar_store::AccountUsageSummary;
use serde::Deserialize;

use super::{Html, SignedIn, forbidden, render};
use crate::AppState;
use crate::api::usage::{MilestoneInput, milestone_fields};
use crate::error::ApiError;

/// One milestone as the account page shows it.
pub(crate) struct MilestoneLine {
    pub(crate) name: String,
    pub(crate) rule: String,
    /// achieved, pending, missed or unknown: the badge's style.
    pub(crate) state: &'static str,
    pub(crate) status: String,
}

pub(crate) struct PersonLine {
    pub(crate) who: String,
    pub(crate) email: String,
    pub(crate) last_active: String,
    pub(crate) active_days: i64,
    pub(crate) events: i64,
    pub(crate) missing: String,
}

/// The usage part of the account page.
pub(crate) struct AccountUsage {
    /// JSON `[[week, active users, events], …]` for the chart.
    pub(crate) chart: String,
    pub(crate) has_activity: bool,
    pub(crate) features_used: Vec<String>,
    pub(crate) features_known: usize,
    pub(crate) milestones: Vec<MilestoneLine>,
    pub(crate) people: Vec<PersonLine>,
}

fn rule(threshold: Threshold, feature: &str, within_days: u32) -> String {
    match threshold {
        Threshold::Times(n) => format!("{feature} ×{n} within {within_days} days of launch"),
        Threshold::People(n) => format!("{feature} by {n} people within {within_days} days of launch"),
    }
}

pub(crate) fn account_usage(summary: AccountUsageSummary) -> AccountUsage {
    let has_activity = summary.weeks.iter().any(|w| w.events > 0);
    let points: Vec<(String, i64, i64)> = summary
        .weeks
        .iter()
        .map(|w| (w.week_start.format("%b %d").to_string(), w.active_users, w.events))
        .collect();
    let milestones = summary
        .milestones
        .into_iter()
        .map(|(m, status)| {
            let (state, status) = match status {
                MilestoneStatus::Achieved { on } => ("achieved", format!("Achieved {on}")),
                MilestoneStatus::Pending { progress, target, due } => {
                    ("pending", format!("Pending: {progress} of {target}, due {due}"))
                }
                MilestoneStatus::Missed { progress, target, due } => {
                    ("missed", format!("Missed: {progress} of {target} by {due}"))
                }
                MilestoneStatus::NoLaunchDate => ("unknown", "No launch date to measure from".to_owned()),
            };
            MilestoneLine {
                name: format!(
                    "{}{}",
                    m.fields.name,
                    if m.fields.first_value { " (first value)" } else { "" }
                ),
                rule: rule(m.fields.threshold, &m.fields.feature, m.fields.within_days),
                state,
                status,
            }
        })
        .collect();
    let people = summary
        .people
        .into_iter()
        .map(|p| PersonLine {
            who: p.name.unwrap_or_else(|| p.user_key.clone()),
            email: p.email.unwrap_or_default(),
            last_active: p.last_active.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
            active_days: p.active_days_30,
            events: p.events_30,
            missing: p.missing_features.join(", "),
        })
        .collect();
    AccountUsage {
        chart: serde_json::to_string(&points).expect("chart data serialises"),
        has_activity,
        features_used: summary.features_used,
        features_known: summary.features_known.len(),
        milestones,
        people,
    }
}

struct DropLine {
    id: i64,
    name: String,
    before: i64,
    now: i64,
    fall: String,
}

#[derive(askama::Template)]
#[template(path = "usage.html")]
struct DropsPage {
    me: User,
    share: u32,
    shares: Vec<(u32, bool)>,
    drops: Vec<DropLine>,
    /// How many accounts fell in all; the page shows the steepest [`SHOWN_DROPS`].
    total: usize,
}

const SHOWN_DROPS: usize = 200;

#[derive(Deserialize)]
pub(crate) struct DropsQuery {
    /// The smallest fall shown, in percent.
    share: Option<u32>,
}

/// Accounts whose weekly active users fell by more than the chosen share over four weeks.
pub(crate) async fn drops(
    State(state): State<AppState>,
    SignedIn { user: me, .. }: SignedIn,
    query: Result<Query<DropsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    // A mangled share falls back to the default rather than failing the page.
    let share = query.ok().and_then(|Query(q)| q.share).unwrap_or(30).clamp(10, 90);
    let all = state
        .store
        .usage_drops(state.store.today(), f64::from(share) / 100.0)
        .await?;
    let total = all.len();
    let drops = all
        .into_iter()
        .take(SHOWN_DROPS)
        .map(|d| DropLine {
            id: d.account_id.0,
            name: d.name,
            before: d.active_before,
            now: d.active_now,
            fall: format!("−{:.0} %", 100.0 * (1.0 - d.active_now as f64 / d.active_before as f64)),
        })
        .collect();
    let shares = [10, 30, 50, 70].into_iter().map(|s| (s, s == share)).collect();
    Ok(render(&DropsPage {
        me,
        share,
        shares,
        drops,
        total,
    })?
    .into_response())
}

struct DefinedMilestone {
    id: i64,
    name: String,
    rule: String,
    first_value: bool,
}

struct WaitingEvent {
    at: String,
    kind: String,
    user: String,
    group: String,
}

#[derive(askama::Template)]
#[template(path = "admin_usage.html")]
struct AdminUsagePage {
    me: User,
    milestones: Vec<DefinedMilestone>,
    error: Option<String>,
    unmatched_total: i64,
    unmatched: Vec<WaitingEvent>,
}

async fn admin_page(state: &AppState, me: User, error: Option<String>) -> Result<Html, ApiError> {
    let milestones = state
        .store
        .milestones()
        .await?
        .into_iter()
        .map(|m| DefinedMilestone {
            id: m.id,
            rule: rule(m.fields.threshold, &m.fields.feature, m.fields.within_days),
            name: m.fields.name.to_string(),
            first_value: m.fields.first_value,
        })
        .collect();
    let unmatched_total = state.store.usage_counts().await?.unmatched;
    let unmatched = state
        .store
        .unmatched_events(50)
        .await?
        .into_iter()
        .map(|e| WaitingEvent {
            at: e.occurred_at.format("%Y-%m-%d %H:%M").to_string(),
            kind: e.feature.unwrap_or(e.kind),
            user: e.user_key,
            group: e.group_id.unwrap_or_else(|| "—".into()),
        })
        .collect();
    render(&AdminUsagePage {
        me,
        milestones,
        error,
        unmatched_total,
        unmatched,
    })
}

pub(crate) async fn admin(
    State(state): State<AppState>,
    SignedIn { user: me, actor }: SignedIn,
) -> Result<Response, ApiError> {
    if !actor.can_administer() {
        return Ok(forbidden("only admins manage milestones"));
    }
    Ok(admin_page(&state, me, None).await?.into_response())
}

#[derive(Deserialize)]
pub(crate) struct MilestoneForm {
    name: String,
    feature: String,
    threshold_kind: String,
    threshold: String,
    within_days: String,
    first_value: Option<String>,
}

pub(crate) async fn create_milestone(
    State(state): State<AppState>,
    SignedIn { user: me, actor }: SignedIn,
    Form(form): Form<MilestoneForm>,
) -> Result<Response, ApiError> {
    if !actor.can_administer() {
        return Ok(forbidden("only admins manage milestones"));
    }
    let number = |field: &str, text: &str| {
        text.trim()
            .parse::<u32>()
            .map_err(|_| format!("{field}: {text:?} is not a whole number"))
    };
    let input = number("At least", &form.threshold).and_then(|threshold| {
        number("Within days", &form.within_days).map(|within_days| MilestoneInput {
            name: form.name,
            feature: form.feature,
            threshold_kind: form.threshold_kind,
            threshold,
            within_days,
            first_value: form.first_value.is_some(),
        })
    });
    let result = match input {
        Ok(input) => match milestone_fields(input) {
            Ok(fields) => state.store.create_milestone(fields).await.map_err(ApiError::from),
            Err(e) => Err(e),
        },
        Err(message) => Err(ApiError::BadRequest {
            field: None,
            reason: message,
        }),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/usage").into_response()),
        Err(e @ (ApiError::Invalid(_) | ApiError::BadRequest { .. } | ApiError::Conflict(_))) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            admin_page(&state, me, Some(e.message())).await?,
        )
            .into_response()),
        Err(other) => Err(other),
    }
}

pub(crate) async fn delete_milestone(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    if !actor.can_administer() {
        return Ok(forbidden("only admins manage milestones"));
    }
    state.store.delete_milestone(id).await?;
    Ok(Redirect::to("/admin/usage").into_response())
}
