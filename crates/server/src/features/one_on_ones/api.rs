//! 1:1s on the API: a leader's roster, 1:1s recorded and read by the two people in them,
//! long-term goals with their history, and anonymous feedback to leadership.

use axum::extract::{Query, State};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use lodestar_domain::UserId;
use lodestar_domain::one_on_one::{BookFigures, Due};
use lodestar_store::{CareerGoal, OneOnOne, RosterLine};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops;
use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(roster))
        .routes(routes!(list_one_on_ones, record_one_on_one))
        .routes(routes!(get_one_on_one, update_one_on_one))
        .routes(routes!(list_goals, add_goal))
        .routes(routes!(set_goal_status))
        .routes(routes!(list_feedback, submit_feedback))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RosterOutput {
    user_id: i64,
    name: String,
    role: &'static str,
    last_held: Option<NaiveDate>,
    /// never, due or overdue.
    state: &'static str,
    /// When the next is due (never held: null, due now).
    due_on: Option<NaiveDate>,
}

impl From<RosterLine> for RosterOutput {
    fn from(r: RosterLine) -> Self {
        let (state, due_on) = match r.due {
            Due::Never => ("never", None),
            Due::On { day } => ("due", Some(day)),
            Due::Overdue { since } => ("overdue", Some(since)),
        };
        RosterOutput {
            user_id: r.user.0,
            name: r.name,
            role: r.role.as_str(),
            last_held: r.last_held,
            state,
            due_on,
        }
    }
}

/// The people who report to the calling leader, with their last 1:1 and when the next is due
/// (a month after the last; never held is due now).
#[utoipa::path(get, path = "/api/v1/one-on-ones/roster", tag = "one-on-ones",
    responses((status = 200, description = "The roster", body = Vec<RosterOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn roster(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<axum::Json<Vec<RosterOutput>>, ApiError> {
    ops::may_lead(&actor)?;
    let leader = actor.user.expect("may_lead checked it");
    let lines = state.store.one_on_one_roster(leader, state.store.today()).await?;
    Ok(axum::Json(lines.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresOutput {
    accounts: u32,
    arr_cents: i64,
    green: u32,
    yellow: u32,
    red: u32,
    unscored: u32,
    /// Renewals within 90 days.
    renewals_due: u32,
    overdue_tasks: u32,
    overdue_promises: u32,
}

impl From<BookFigures> for FiguresOutput {
    fn from(f: BookFigures) -> Self {
        FiguresOutput {
            accounts: f.accounts,
            arr_cents: f.arr.0,
            green: f.green,
            yellow: f.yellow,
            red: f.red,
            unscored: f.unscored,
            renewals_due: f.renewals_due,
            overdue_tasks: f.overdue_tasks,
            overdue_promises: f.overdue_promises,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OneOnOneOutput {
    id: i64,
    leader_id: i64,
    leader_name: String,
    csm_id: i64,
    csm_name: String,
    held_on: NaiveDate,
    look_around: String,
    look_back: String,
    look_forward: String,
    /// The person's book as it stood when the 1:1 was recorded.
    figures: FiguresOutput,
}

impl From<OneOnOne> for OneOnOneOutput {
    fn from(o: OneOnOne) -> Self {
        OneOnOneOutput {
            id: o.id,
            leader_id: o.leader_id.0,
            leader_name: o.leader_name,
            csm_id: o.csm_id.0,
            csm_name: o.csm_name,
            held_on: o.fields.held_on,
            look_around: o.fields.look_around.as_str().to_owned(),
            look_back: o.fields.look_back.as_str().to_owned(),
            look_forward: o.fields.look_forward.as_str().to_owned(),
            figures: o.figures.into(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PersonQuery {
    /// Whose; the caller when left out.
    pub user_id: Option<i64>,
}

fn person(actor: &lodestar_domain::access::Actor, q: &PersonQuery) -> Result<UserId, ApiError> {
    q.user_id
        .map(UserId)
        .or(actor.user)
        .ok_or_else(|| lodestar_domain::Invalid::field("user_id", "is required for a token without a user").into())
}

/// The 1:1s of a person (the caller when `user_id` is left out), the latest first: only those
/// the caller was in — a 1:1 is private to its leader and its CSM.
#[utoipa::path(get, path = "/api/v1/one-on-ones", tag = "one-on-ones", params(PersonQuery),
    responses((status = 200, description = "The 1:1s", body = Vec<OneOnOneOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_one_on_ones(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<PersonQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<OneOnOneOutput>>, ApiError> {
    let Query(q) = query?;
    let csm = person(&actor, &q)?;
    let list = ops::of_person(&state, &actor, csm).await?;
    Ok(axum::Json(list.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OneOnOneBody {
    /// Who the 1:1 was with (on creation; they must report to the caller).
    csm_id: Option<i64>,
    /// Today when left out.
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    look_around: String,
    #[serde(default)]
    look_back: String,
    #[serde(default)]
    look_forward: String,
}

/// Record a 1:1 the calling leader held with someone who reports to them; the person's book
/// figures are kept with it as they are now.
#[utoipa::path(post, path = "/api/v1/one-on-ones", tag = "one-on-ones",
    request_body = OneOnOneBody,
    responses((status = 201, description = "Recorded", body = OneOnOneOutput), WriteProblems),
    security(("bearer" = [])))]
async fn record_one_on_one(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<OneOnOneBody>,
) -> Result<(axum::http::StatusCode, axum::Json<OneOnOneOutput>), ApiError> {
    ops::may_lead(&actor)?;
    let b = body.read()?;
    let csm = b
        .csm_id
        .map(UserId)
        .ok_or_else(|| lodestar_domain::Invalid::field("csm_id", "is required: who the 1:1 was with"))?;
    let fields = ops::fields(
        state.store.today(),
        &b.held_on,
        &b.look_around,
        &b.look_back,
        &b.look_forward,
    )?;
    let one = ops::record(&state, &actor, csm, fields).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(one.into())))
}

/// A 1:1, for the two people in it (404 for anyone else).
#[utoipa::path(get, path = "/api/v1/one-on-ones/{id}", tag = "one-on-ones",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The 1:1", body = OneOnOneOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_one_on_one(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<axum::Json<OneOnOneOutput>, ApiError> {
    let id = path_id(id)?;
    Ok(axum::Json(ops::readable(&state, &actor, id).await?.into()))
}

/// Rewrite a 1:1's day and sections (the leader who held it); its figures stay.
#[utoipa::path(put, path = "/api/v1/one-on-ones/{id}", tag = "one-on-ones",
    params(("id" = i64, Path)),
    request_body = OneOnOneBody,
    responses((status = 200, description = "Changed", body = OneOnOneOutput), WriteProblems),
    security(("bearer" = [])))]
async fn update_one_on_one(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<OneOnOneBody>,
) -> Result<axum::Json<OneOnOneOutput>, ApiError> {
    let id = path_id(id)?;
    ops::editable(&state, &actor, id).await?;
    let b = body.read()?;
    if b.csm_id.is_some() {
        return Err(lodestar_domain::Invalid::field("csm_id", "a 1:1 stays with the person it was with").into());
    }
    let fields = ops::fields(
        state.store.today(),
        &b.held_on,
        &b.look_around,
        &b.look_back,
        &b.look_forward,
    )?;
    Ok(axum::Json(ops::update(&state, &actor, id, fields).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GoalChangeOutput {
    /// on_track, changed, stalled, reached or dropped.
    status: &'static str,
    note: String,
    by: Option<String>,
    at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CareerGoalOutput {
    id: i64,
    user_id: i64,
    title: String,
    target_on: Option<NaiveDate>,
    status: &'static str,
    /// Every status it had, the latest first.
    history: Vec<GoalChangeOutput>,
}

impl From<CareerGoal> for CareerGoalOutput {
    fn from(g: CareerGoal) -> Self {
        CareerGoalOutput {
            id: g.id,
            user_id: g.user_id.0,
            title: g.fields.title.as_str().to_owned(),
            target_on: g.fields.target_on,
            status: g.status.as_str(),
            history: g
                .history
                .into_iter()
                .map(|c| GoalChangeOutput {
                    status: c.status.as_str(),
                    note: c.note,
                    by: c.by,
                    at: c.at,
                })
                .collect(),
        }
    }
}

/// A person's long-term goals (the caller's when `user_id` is left out; a manager reads their
/// reports'), open ones first.
#[utoipa::path(get, path = "/api/v1/career-goals", tag = "one-on-ones", params(PersonQuery),
    responses((status = 200, description = "The goals", body = Vec<CareerGoalOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_goals(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<PersonQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<CareerGoalOutput>>, ApiError> {
    let Query(q) = query?;
    let who = person(&actor, &q)?;
    let goals = ops::goals(&state, &actor, who).await?;
    Ok(axum::Json(goals.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CareerGoalBody {
    /// Whose goal; the caller's when left out (a manager sets their reports').
    user_id: Option<i64>,
    #[serde(default)]
    title: String,
    /// By when, if they said (YYYY-MM-DD).
    #[serde(default)]
    target_on: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GoalCreated {
    id: i64,
}

/// Add a long-term goal, on track.
#[utoipa::path(post, path = "/api/v1/career-goals", tag = "one-on-ones",
    request_body = CareerGoalBody,
    responses((status = 201, description = "Added", body = GoalCreated), WriteProblems),
    security(("bearer" = [])))]
async fn add_goal(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<CareerGoalBody>,
) -> Result<(axum::http::StatusCode, axum::Json<GoalCreated>), ApiError> {
    let b = body.read()?;
    let who = person(&actor, &PersonQuery { user_id: b.user_id })?;
    let id = ops::add_goal(&state, &actor, who, &b.title, &b.target_on).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(GoalCreated { id })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalStatusBody {
    /// on_track, changed, stalled, reached or dropped.
    #[serde(default)]
    status: String,
    /// Why: what changed.
    #[serde(default)]
    note: String,
}

/// Move a long-term goal to a status, with why; the change joins its history.
#[utoipa::path(post, path = "/api/v1/career-goals/{id}/status", tag = "one-on-ones",
    params(("id" = i64, Path)),
    request_body = GoalStatusBody,
    responses((status = 204, description = "Moved"), WriteProblems),
    security(("bearer" = [])))]
async fn set_goal_status(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<GoalStatusBody>,
) -> Result<axum::http::StatusCode, ApiError> {
    let id = path_id(id)?;
    let b = body.read()?;
    ops::set_goal_status(&state, &actor, id, &b.status, &b.note).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    /// The last this many days (1 to 366; 90 when left out).
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackOutput {
    /// The day it came: nothing finer is kept.
    submitted_on: NaiveDate,
    topic: &'static str,
    body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicCount {
    topic: &'static str,
    count: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackList {
    /// How many per topic.
    topics: Vec<TopicCount>,
    /// Without authors, the latest day first, by topic within a day.
    feedback: Vec<FeedbackOutput>,
}

/// Feedback to leadership of the last `days` days (leaders and executives): counts per topic,
/// and the list without authors.
#[utoipa::path(get, path = "/api/v1/feedback", tag = "one-on-ones", params(FeedbackQuery),
    responses((status = 200, description = "The feedback", body = FeedbackList), ReadProblems),
    security(("bearer" = [])))]
async fn list_feedback(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<FeedbackQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<FeedbackList>, ApiError> {
    ops::may_read_all_feedback(&actor)?;
    let Query(q) = query?;
    let days = q.days.unwrap_or(90);
    if !(1..=366).contains(&days) {
        return Err(lodestar_domain::Invalid::field("days", "between 1 and 366").into());
    }
    let list = state
        .store
        .feedback_since(state.store.today() - Duration::days(i64::from(days) - 1))
        .await?;
    let topics = lodestar_domain::one_on_one::FeedbackTopic::ALL
        .iter()
        .map(|t| TopicCount {
            topic: t.as_str(),
            count: list.iter().filter(|f| f.topic == *t).count(),
        })
        .collect();
    Ok(axum::Json(FeedbackList {
        topics,
        feedback: list
            .into_iter()
            .map(|f| FeedbackOutput {
                submitted_on: f.submitted_on,
                topic: f.topic.as_str(),
                body: f.body,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    /// leadership, values, problem, opportunity, recognition or other.
    #[serde(default)]
    topic: String,
    #[serde(default)]
    body: String,
}

/// Send feedback to leadership, anonymously: only its topic, its text and the day are kept —
/// no user, no time of day, no address, no audit entry.
#[utoipa::path(post, path = "/api/v1/feedback", tag = "one-on-ones",
    request_body = FeedbackBody,
    responses((status = 204, description = "Sent"), WriteProblems),
    security(("bearer" = [])))]
async fn submit_feedback(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    body: Json<FeedbackBody>,
) -> Result<axum::http::StatusCode, ApiError> {
    let b = body.read()?;
    ops::submit_feedback(&state, &b.topic, &b.body).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
