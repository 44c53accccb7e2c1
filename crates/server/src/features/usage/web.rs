//! Usage in the web UI (F-12, F-13): the usage part of the account page, the portfolio page
//! of accounts whose active users fell, and the admin page for milestones and the events that
//! wait for an account.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use lodestar_domain::milestone::MilestoneStatus;
use lodestar_domain::user::User;
use lodestar_store::AccountUsageSummary;
use serde::Deserialize;

use crate::AppState;
use crate::features::milestones::web::rule;
use crate::http::error::ApiError;
use crate::http::pages::{SignedIn, render};

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
#[template(path = "usage/usage.html")]
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
