//! Goals and value in the web UI: the account page's section (goals with their ecosystems,
//! rated inline; value received and its history; a goal set, edited, a part added or removed)
//! and the portfolio's goals at risk.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use lodestar_domain::goal::{EcosystemKind, GoalStatus, PartRating, ValueLevel};
use lodestar_domain::health::Severity;
use lodestar_domain::user::User;
use lodestar_domain::{AccountId, GoalId, GoalPartId};
use lodestar_store::{Goal, GoalPart, Store, ValueEntry};
use serde::Deserialize;

use super::ops::{self, GoalInput, goal_fields, new_part, rating, value_received};
use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::forms::optional_count;
use crate::http::pages::{Choice, Html, SignedIn, back_after_form, book_choices, render};

/// Where a goal form's problem is shown after its redirect: the goals section.
const SLOT: &str = "goals_error";

pub(crate) struct PartRow {
    pub(crate) id: i64,
    pub(crate) kind: &'static str,
    pub(crate) name: String,
    pub(crate) metric: String,
    /// The rating's value (`below`…), blank when not rated.
    pub(crate) rating: &'static str,
    pub(crate) rating_label: &'static str,
    /// `bad`, `good` or nothing: how the rating cell looks.
    pub(crate) class: &'static str,
    /// "by Casey on 2026-12-02", blank when not rated.
    pub(crate) rated: String,
}

impl PartRow {
    fn of(p: &GoalPart) -> PartRow {
        PartRow {
            id: p.id.0,
            kind: p.fields.kind.label(),
            name: p.fields.name.to_string(),
            metric: p.fields.metric.to_string(),
            rating: p.rating.map_or("", PartRating::as_str),
            rating_label: p.rating.map_or("Not rated yet", PartRating::label),
            class: match p.rating {
                Some(PartRating::Below) => "bad",
                Some(PartRating::Exceeding) => "good",
                Some(PartRating::Meeting) | None => "",
            },
            rated: match (&p.rated_at, &p.rated_by) {
                (Some(at), Some(by)) => format!("by {by} on {}", at.date_naive()),
                (Some(at), None) => format!("on {}", at.date_naive()),
                _ => String::new(),
            },
        }
    }
}

pub(crate) struct ValueLine {
    pub(crate) summary: String,
    pub(crate) note: String,
    /// "2026-12-02 by Casey".
    pub(crate) when: String,
}

impl ValueLine {
    fn of(v: &ValueEntry) -> ValueLine {
        ValueLine {
            summary: v.value.describe(),
            note: v.note.to_string(),
            when: match &v.recorded_by {
                Some(by) => format!("{} by {by}", v.recorded_at.date_naive()),
                None => v.recorded_at.date_naive().to_string(),
            },
        }
    }
}

pub(crate) struct GoalCard {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) measure: String,
    pub(crate) status: &'static str,
    pub(crate) status_label: &'static str,
    pub(crate) severity: u8,
    pub(crate) severity_label: &'static str,
    pub(crate) at_risk: bool,
    pub(crate) parts: Vec<PartRow>,
    /// Every value received, the latest (the current value) first.
    pub(crate) history: Vec<ValueLine>,
    // The edit form's values.
    pub(crate) metric: String,
    pub(crate) baseline: String,
    pub(crate) target: String,
    pub(crate) due_on: NaiveDate,
}

/// The goals part of the account page, with the choices its forms offer.
pub(crate) struct AccountGoals {
    pub(crate) goals: Vec<GoalCard>,
    pub(crate) error: Option<String>,
    pub(crate) today: NaiveDate,
    pub(crate) kinds: Vec<(&'static str, &'static str)>,
    pub(crate) ratings: Vec<(&'static str, &'static str)>,
    pub(crate) levels: Vec<(&'static str, &'static str)>,
    pub(crate) statuses: Vec<(&'static str, &'static str)>,
    pub(crate) severities: Vec<(u8, &'static str)>,
}

fn pairs<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| (value(*v), label(*v))).collect()
}

/// Reads the account page's goals, each with its value history.
pub(crate) async fn account_goals(
    store: &Store,
    account: AccountId,
    today: NaiveDate,
    error: Option<String>,
) -> Result<AccountGoals, ApiError> {
    let mut goals = Vec::new();
    for g in store.goals_of_account(account).await? {
        let history = store.value_history(g.id).await?;
        goals.push(GoalCard {
            id: g.id.0,
            at_risk: g.at_risk(),
            measure: g.fields.measure(),
            title: g.fields.title.to_string(),
            status: g.fields.status.as_str(),
            status_label: g.fields.status.label(),
            severity: g.fields.severity.get(),
            severity_label: g.fields.severity.label(),
            parts: g.parts.iter().map(PartRow::of).collect(),
            history: history.iter().map(ValueLine::of).collect(),
            metric: g.fields.metric.to_string(),
            baseline: g.fields.baseline.map(|b| b.to_string()).unwrap_or_default(),
            target: g.fields.target.to_string(),
            due_on: g.fields.due_on,
        });
    }
    Ok(AccountGoals {
        goals,
        error,
        today,
        kinds: pairs(EcosystemKind::ALL, EcosystemKind::as_str, EcosystemKind::label),
        ratings: pairs(PartRating::ALL, PartRating::as_str, PartRating::label),
        levels: pairs(ValueLevel::ALL, ValueLevel::as_str, ValueLevel::label),
        statuses: pairs(GoalStatus::ALL, GoalStatus::as_str, GoalStatus::label),
        severities: (1..=5u8)
            .map(|l| (l, Severity::new(l).expect("1 to 5").label()))
            .collect(),
    })
}

fn input_of(form: &FormFields) -> Result<GoalInput<'_>, ApiError> {
    Ok(GoalInput {
        title: form.text("title"),
        metric: form.text("metric"),
        baseline: form.text("baseline"),
        target: form.text("target"),
        due_on: form.date("due_on"),
        severity: optional_count(form.text("severity")).map_err(|e| lodestar_domain::Invalid::field("severity", e))?,
        status: form.text("status"),
    })
}

fn back(account: AccountId, anchor: &str, result: Result<(), ApiError>) -> Result<Response, ApiError> {
    back_after_form(&format!("/accounts/{account}"), SLOT, anchor, result)
}

/// Sets a goal from the account page, with the first part of its ecosystem when one is named.
pub(crate) async fn create_goal(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    writable(&state.store, &actor, account).await?;
    let form = FormFields::parse(&body);
    let mut anchor = "goals".to_owned();
    let result = async {
        let fields = goal_fields(input_of(&form)?)?;
        let parts = if form.text("part_name").trim().is_empty() {
            Vec::new()
        } else {
            vec![new_part(
                form.text("part_kind"),
                form.text("part_name"),
                form.text("part_metric"),
                form.text("part_rating"),
            )?]
        };
        let goal = ops::create(&state.store, &actor, account, fields, parts).await?;
        anchor = format!("goal-{}", goal.id);
        Ok(())
    }
    .await;
    back(account, &anchor, result)
}

pub(crate) async fn update_goal(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let goal = ops::changeable(&state.store, &actor, GoalId(id)).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let fields = goal_fields(input_of(&form)?)?;
        ops::update(&state.store, &actor, goal.id, fields).await.map(|_| ())
    }
    .await;
    back(goal.account_id, &format!("goal-{id}"), result)
}

pub(crate) async fn add_part(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let goal = ops::changeable(&state.store, &actor, GoalId(id)).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let part = new_part(
            form.text("kind"),
            form.text("name"),
            form.text("metric"),
            form.text("rating"),
        )?;
        ops::add_part(&state.store, &actor, goal.id, part).await.map(|_| ())
    }
    .await;
    back(goal.account_id, &format!("goal-{id}"), result)
}

pub(crate) async fn rate_part(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path((id, part)): Path<(i64, i64)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (goal, part) = ops::changeable_part(&state.store, &actor, GoalId(id), GoalPartId(part)).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let rating = rating(form.text("rating"))?;
        ops::rate_part(&state.store, &actor, goal.id, part.id, rating)
            .await
            .map(|_| ())
    }
    .await;
    back(goal.account_id, &format!("goal-{id}"), result)
}

pub(crate) async fn remove_part(
    State(state): State<AppState>,
    SignedIn { actor, origin, .. }: SignedIn,
    Path((id, part)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    let (goal, part) = ops::changeable_part(&state.store, &actor, GoalId(id), GoalPartId(part)).await?;
    let result = ops::remove_part(&state, &origin, &actor, goal.id, part.id).await;
    back(goal.account_id, &format!("goal-{id}"), result)
}

pub(crate) async fn record_value(
    State(state): State<AppState>,
    SignedIn { actor, origin, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let goal = ops::changeable(&state.store, &actor, GoalId(id)).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let percent =
            optional_count(form.text("percent")).map_err(|e| lodestar_domain::Invalid::field("percent", e))?;
        let (value, note) = value_received(form.text("level"), percent, form.text("how_much"), form.text("note"))?;
        ops::record_value(&state, &origin, &actor, goal.id, value, note)
            .await
            .map(|_| ())
    }
    .await;
    back(goal.account_id, &format!("goal-{id}"), result)
}

#[derive(Deserialize, Default)]
pub(crate) struct AtRiskPageQuery {
    book: Option<String>,
}

struct AtRiskRow {
    goal_id: i64,
    account_id: i64,
    account: String,
    owner: String,
    title: String,
    measure: String,
    severity: String,
    due_on: NaiveDate,
    /// The parts below expectations, named with their kind.
    below: Vec<String>,
    value: String,
}

#[derive(askama::Template)]
#[template(path = "goals/at_risk.html")]
struct AtRiskPage {
    me: User,
    books: Vec<Choice>,
    mine: bool,
    rows: Vec<AtRiskRow>,
}

/// The portfolio's goals at risk (or one's own book's): where a part of a goal's ecosystem is
/// below expectations.
pub(crate) async fn at_risk(
    State(state): State<AppState>,
    SignedIn { user: me, .. }: SignedIn,
    Query(q): Query<AtRiskPageQuery>,
) -> Result<Html, ApiError> {
    let mine = q.book.as_deref() == Some("mine");
    let goals: Vec<Goal> = state.store.goals_at_risk(mine.then_some(me.id)).await?;
    let rows = goals
        .into_iter()
        .map(|g| AtRiskRow {
            goal_id: g.id.0,
            account_id: g.account_id.0,
            owner: g.account_owner.clone().unwrap_or_else(|| "—".into()),
            account: g.account_name.clone(),
            measure: g.fields.measure(),
            title: g.fields.title.to_string(),
            severity: format!("{} – {}", g.fields.severity.get(), g.fields.severity.label()),
            due_on: g.fields.due_on,
            below: g
                .parts
                .iter()
                .filter(|p| p.rating == Some(PartRating::Below))
                .map(|p| format!("{} ({})", p.fields.name, p.fields.kind.label().to_lowercase()))
                .collect(),
            value: g
                .value
                .as_ref()
                .map_or_else(|| "Not recorded".to_owned(), |v| v.value.describe()),
        })
        .collect();
    render(&AtRiskPage {
        books: book_choices(mine),
        mine,
        me,
        rows,
    })
}
