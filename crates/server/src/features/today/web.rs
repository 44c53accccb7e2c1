//! The Today page: the start page of every user.

use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use lodestar_domain::today::Reason;
use lodestar_domain::user::User;
use lodestar_store::Finish;
use serde::Deserialize;

use crate::AppState;
use crate::http::error::ApiError;
use crate::http::pages::{SignedIn, back_after_form, render};

pub(crate) struct Line {
    key: String,
    why: String,
    account: Option<(i64, String)>,
    owner: Option<String>,
    score: String,
    band: &'static str,
    finish: Finish,
    rank: usize,
    /// The customer's contact who owes it, when the line is their overdue promise.
    remind: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "today/today.html")]
struct TodayPage {
    me: User,
    lines: Vec<Line>,
    leads: bool,
    team: bool,
    today: chrono::NaiveDate,
    tomorrow: chrono::NaiveDate,
    next_week: chrono::NaiveDate,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct TodayQuery {
    of: Option<String>,
}

pub(crate) async fn today(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
    Query(q): Query<TodayQuery>,
) -> Result<Response, ApiError> {
    let team = q.of.as_deref() == Some("team");
    let scope = super::api::scope_of(q.of.as_deref())?;
    let (today, lines) = super::list(&state.store, &actor, scope).await?;
    let names: std::collections::HashMap<_, _> = if team {
        state
            .store
            .users()
            .await?
            .into_iter()
            .map(|u| (u.id, u.fields.name.to_string()))
            .collect()
    } else {
        Default::default()
    };
    let lines = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| Line {
            remind: match &l.reason {
                Reason::TheirPromiseOverdue { owner, .. } => Some(owner.clone()),
                _ => None,
            },
            why: l.reason.explain(),
            key: l.key,
            account: l.account.map(|(id, name)| (id.0, name)),
            owner: l.owner.and_then(|o| names.get(&o).cloned()),
            score: format!("{:.0}", l.score),
            band: l.band.map_or("", |b| b.as_str()),
            finish: l.finish,
            rank: i + 1,
        })
        .collect();
    let page = TodayPage {
        leads: matches!(
            me.fields.role,
            lodestar_domain::vocabulary::Role::Leader | lodestar_domain::vocabulary::Role::Admin
        ),
        me,
        lines,
        team,
        today,
        tomorrow: today + Duration::days(1),
        next_week: today + Duration::days(7),
        error: flash.for_slot("today_error"),
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub(crate) struct SnoozeForm {
    key: String,
    until: String,
}

pub(crate) async fn snooze(
    State(state): State<AppState>,
    SignedIn { user: me, .. }: SignedIn,
    Form(form): Form<SnoozeForm>,
) -> Result<Response, ApiError> {
    let result = async {
        let until = form
            .until
            .parse()
            .map_err(|_| lodestar_domain::Invalid::field("until", "is a date (YYYY-MM-DD)"))?;
        super::snooze(&state.store, me.id, &form.key, until).await
    }
    .await;
    back_after_form("/today", "today_error", "today", result)
}
