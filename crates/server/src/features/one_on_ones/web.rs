//! The 1:1 pages: `/one-on-ones` (a leader's roster with who is overdue, one's own 1:1s and
//! long-term goals, the anonymous feedback form, and for leadership the feedback received),
//! `/one-on-ones/new?csm=ID` (holding one on the template, the book's figures filled in) and
//! `/one-on-ones/{id}`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use lodestar_domain::UserId;
use lodestar_domain::one_on_one::{
    BookFigures, CareerGoalStatus, Due, FeedbackTopic, LOOK_AROUND, LOOK_BACK, LOOK_FORWARD, may_read_feedback,
};
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::Role;
use lodestar_store::{CareerGoal, OneOnOne};
use serde::Deserialize;

use super::ops;
use crate::AppState;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, back_after_form, render};

/// Feedback items per page.
const FEEDBACK_PAGE: usize = 50;
/// How far back leadership's feedback list reaches.
const FEEDBACK_DAYS: i64 = 90;

struct RosterRow {
    user_id: i64,
    name: String,
    last_held: String,
    due: String,
    overdue: bool,
}

struct HeldRow {
    id: i64,
    held_on: String,
    with: String,
}

struct GoalRow {
    id: i64,
    title: String,
    target_on: String,
    status: &'static str,
    status_label: &'static str,
    /// "Stalled — No pod opens before the reorg (Dana, 2026-11-04)", the latest first.
    history: Vec<String>,
}

fn goal_rows(goals: Vec<CareerGoal>) -> Vec<GoalRow> {
    goals
        .into_iter()
        .map(|g| GoalRow {
            id: g.id,
            title: g.fields.title.as_str().to_owned(),
            target_on: g.fields.target_on.map_or_else(String::new, |d| d.to_string()),
            status: g.status.as_str(),
            status_label: g.status.label(),
            history: g
                .history
                .iter()
                .map(|c| {
                    let why = if c.note.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", c.note)
                    };
                    format!(
                        "{}{why} ({}, {})",
                        c.status.label(),
                        c.by.as_deref().unwrap_or("someone no longer here"),
                        c.at.date_naive()
                    )
                })
                .collect(),
        })
        .collect()
}

fn statuses() -> Vec<(&'static str, &'static str)> {
    CareerGoalStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect()
}

struct FeedbackRow {
    day: String,
    topic: &'static str,
    body: String,
}

#[derive(askama::Template)]
#[template(path = "one_on_ones/index.html")]
struct IndexPage {
    me: User,
    is_leader: bool,
    roster: Vec<RosterRow>,
    overdue: usize,
    mine: Vec<HeldRow>,
    goals: Vec<GoalRow>,
    statuses: Vec<(&'static str, &'static str)>,
    topics: Vec<(&'static str, &'static str)>,
    reads_feedback: bool,
    topic_counts: Vec<(&'static str, usize)>,
    feedback: Vec<FeedbackRow>,
    feedback_total: usize,
    first_shown: usize,
    previous_link: Option<String>,
    next_link: Option<String>,
    feedback_days: i64,
    problem: Option<String>,
    sent: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct IndexQuery {
    page: Option<usize>,
    sent: Option<String>,
}

/// `GET /one-on-ones`.
pub(crate) async fn index(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<IndexQuery>,
) -> Result<Html, ApiError> {
    let today = state.store.today();
    let is_leader = page.user.fields.role == Role::Leader;
    let roster: Vec<RosterRow> = if is_leader {
        state
            .store
            .one_on_one_roster(page.user.id, today)
            .await?
            .into_iter()
            .map(|r| {
                let (due, overdue) = match r.due {
                    Due::Never => ("never held: due now".to_owned(), true),
                    Due::On { day } => (format!("due {day}"), false),
                    Due::Overdue { since } => (
                        format!("overdue since {since} ({} days)", (today - since).num_days()),
                        true,
                    ),
                };
                RosterRow {
                    user_id: r.user.0,
                    name: r.name,
                    last_held: r.last_held.map_or_else(|| "never".to_owned(), |d| d.to_string()),
                    due,
                    overdue,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let mine = state
        .store
        .one_on_ones_of(page.user.id)
        .await?
        .into_iter()
        .map(|o| HeldRow {
            id: o.id,
            held_on: o.fields.held_on.to_string(),
            with: o.leader_name,
        })
        .collect();
    let goals = goal_rows(state.store.career_goals(page.user.id).await?);
    let reads_feedback = may_read_feedback(&page.actor);
    let (mut topic_counts, mut feedback, mut feedback_total) = (Vec::new(), Vec::new(), 0);
    let page_number = q.page.unwrap_or(0);
    let offset = page_number.saturating_mul(FEEDBACK_PAGE);
    let (mut previous_link, mut next_link) = (None, None);
    if reads_feedback {
        let all = state
            .store
            .feedback_since(today - Duration::days(FEEDBACK_DAYS - 1))
            .await?;
        feedback_total = all.len();
        topic_counts = FeedbackTopic::ALL
            .iter()
            .map(|t| (t.label(), all.iter().filter(|f| f.topic == *t).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        let link = |n: usize| format!("/one-on-ones?page={n}#feedback");
        previous_link = (page_number > 0).then(|| link(page_number - 1));
        next_link = (offset + FEEDBACK_PAGE < feedback_total).then(|| link(page_number + 1));
        feedback = all
            .into_iter()
            .skip(offset)
            .take(FEEDBACK_PAGE)
            .map(|f| FeedbackRow {
                day: f.submitted_on.to_string(),
                topic: f.topic.label(),
                body: f.body,
            })
            .collect();
    }
    render(&IndexPage {
        is_leader,
        overdue: roster.iter().filter(|r| r.overdue).count(),
        roster,
        mine,
        goals,
        statuses: statuses(),
        topics: FeedbackTopic::ALL.iter().map(|t| (t.as_str(), t.label())).collect(),
        reads_feedback,
        topic_counts,
        feedback,
        feedback_total,
        first_shown: offset + 1,
        previous_link,
        next_link,
        feedback_days: FEEDBACK_DAYS,
        problem: page.flash.for_slot("one-on-ones"),
        sent: q.sent.is_some(),
        me: page.user,
    })
}

#[derive(askama::Template)]
#[template(path = "one_on_ones/one_on_one.html")]
struct OneOnOnePage {
    me: User,
    /// None while holding a new one.
    id: Option<i64>,
    csm_id: i64,
    csm_name: String,
    leader_name: String,
    held_on: String,
    look_around: String,
    look_back: String,
    look_forward: String,
    figures: BookFigures,
    arr: String,
    figures_as_of: String,
    /// The leader who holds it edits; the CSM reads.
    can_edit: bool,
    last_forward: Option<String>,
    around_prompts: &'static [&'static str],
    back_prompts: &'static [&'static str],
    forward_prompts: &'static [&'static str],
    goals: Vec<GoalRow>,
    statuses: Vec<(&'static str, &'static str)>,
    back: String,
    problem: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewQuery {
    csm: Option<i64>,
}

/// `GET /one-on-ones/new?csm=ID`: the template, the person's book figures as they are now,
/// what the last 1:1 looked forward to, and their goals.
pub(crate) async fn new(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<NewQuery>,
) -> Result<Response, ApiError> {
    ops::may_lead(&page.actor)?;
    let csm = UserId(
        q.csm
            .ok_or_else(|| ApiError::NotFound("choose who the 1:1 is with".into()))?,
    );
    let person = state
        .store
        .user(csm)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {csm} does not exist")))?;
    if person.fields.manager_id != Some(page.user.id) {
        return Err(ApiError::Forbidden(
            "a leader holds 1:1s with the people who report to them",
        ));
    }
    let today = state.store.today();
    let figures = state.store.book_figures(csm, today).await?;
    let history = ops::of_person(&state, &page.actor, csm).await?;
    let goals = goal_rows(ops::goals(&state, &page.actor, csm).await?);
    let back = format!("/one-on-ones/new?csm={csm}");
    Ok(render(&OneOnOnePage {
        id: None,
        csm_id: csm.0,
        csm_name: person.fields.name.as_str().to_owned(),
        leader_name: page.user.fields.name.as_str().to_owned(),
        held_on: today.to_string(),
        look_around: String::new(),
        look_back: String::new(),
        look_forward: String::new(),
        arr: figures.arr.whole_dollars(),
        figures,
        figures_as_of: "today".into(),
        can_edit: true,
        last_forward: history
            .first()
            .map(|o| o.fields.look_forward.as_str().to_owned())
            .filter(|t| !t.is_empty()),
        around_prompts: LOOK_AROUND,
        back_prompts: LOOK_BACK,
        forward_prompts: LOOK_FORWARD,
        goals,
        statuses: statuses(),
        problem: page.flash.for_slot("one-on-one"),
        back,
        me: page.user,
    })?
    .into_response())
}

fn shown(page: SignedIn, one: OneOnOne, goals: Vec<CareerGoal>) -> Result<Html, ApiError> {
    let id = one.id;
    render(&OneOnOnePage {
        id: Some(id),
        csm_id: one.csm_id.0,
        csm_name: one.csm_name,
        leader_name: one.leader_name,
        held_on: one.fields.held_on.to_string(),
        look_around: one.fields.look_around.as_str().to_owned(),
        look_back: one.fields.look_back.as_str().to_owned(),
        look_forward: one.fields.look_forward.as_str().to_owned(),
        arr: one.figures.arr.whole_dollars(),
        figures: one.figures,
        figures_as_of: format!("when it was recorded ({})", one.fields.held_on),
        can_edit: page.actor.user == Some(one.leader_id) && page.actor.role == Role::Leader,
        last_forward: None,
        around_prompts: LOOK_AROUND,
        back_prompts: LOOK_BACK,
        forward_prompts: LOOK_FORWARD,
        goals: goal_rows(goals),
        statuses: statuses(),
        problem: page.flash.for_slot("one-on-one"),
        back: format!("/one-on-ones/{id}"),
        me: page.user,
    })
}

/// `GET /one-on-ones/{id}`: for the two people in it.
pub(crate) async fn show(State(state): State<AppState>, page: SignedIn, Path(id): Path<i64>) -> Result<Html, ApiError> {
    let one = ops::readable(&state, &page.actor, id).await?;
    let goals = ops::goals(&state, &page.actor, one.csm_id).await.unwrap_or_default();
    shown(page, one, goals)
}

/// `POST /one-on-ones`: a leader records the 1:1 just held.
pub(crate) async fn record(State(state): State<AppState>, page: SignedIn, body: Bytes) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let csm = form.text("csm_id").parse::<i64>().ok();
    let result = async {
        ops::may_lead(&page.actor)?;
        let csm = UserId(csm.ok_or_else(|| lodestar_domain::Invalid::field("csm_id", "is required"))?);
        let fields = ops::fields(
            state.store.today(),
            form.text("held_on"),
            form.text("look_around"),
            form.text("look_back"),
            form.text("look_forward"),
        )?;
        ops::record(&state, &page.actor, csm, fields).await
    }
    .await;
    match result {
        Ok(one) => Ok(Redirect::to(&format!("/one-on-ones/{}", one.id)).into_response()),
        Err(e) => back_after_form(
            &format!("/one-on-ones/new?csm={}", csm.unwrap_or_default()),
            "one-on-one",
            "template",
            Err(e),
        ),
    }
}

/// `POST /one-on-ones/{id}`: the leader who held it rewrites it.
pub(crate) async fn update(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let result = async {
        ops::editable(&state, &page.actor, id).await?;
        let fields = ops::fields(
            state.store.today(),
            form.text("held_on"),
            form.text("look_around"),
            form.text("look_back"),
            form.text("look_forward"),
        )?;
        ops::update(&state, &page.actor, id, fields).await
    }
    .await;
    back_after_form(
        &format!("/one-on-ones/{id}"),
        "one-on-one",
        "template",
        result.map(drop),
    )
}

/// Where a goal form goes back to: the page it came from, if it is one of these pages.
fn back_to(form: &FormFields) -> String {
    let back = form.text("back");
    if back.starts_with("/one-on-ones") && !back.contains("//") {
        back.to_owned()
    } else {
        "/one-on-ones".to_owned()
    }
}

/// After a goal's form: back to the page it was posted from (the roster or one 1:1), at its
/// goals, with the problem shown there.
fn back_to_goals(form: &FormFields, result: Result<(), ApiError>) -> Result<Response, ApiError> {
    let back = back_to(form);
    let slot = if back == "/one-on-ones" {
        "one-on-ones"
    } else {
        "one-on-one"
    };
    back_after_form(&back, slot, "goals", result)
}

/// `POST /career-goals`: the person or their manager adds a long-term goal.
pub(crate) async fn add_goal(State(state): State<AppState>, page: SignedIn, body: Bytes) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let person = form.text("user_id").parse::<i64>().map_or(page.user.id, UserId);
    let result = ops::add_goal(&state, &page.actor, person, form.text("title"), form.text("target_on")).await;
    back_to_goals(&form, result.map(drop))
}

/// `POST /career-goals/{id}/status`.
pub(crate) async fn set_goal_status(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let result = ops::set_goal_status(&state, &page.actor, id, form.text("status"), form.text("note")).await;
    back_to_goals(&form, result.map(drop))
}

/// `POST /feedback`: anonymous. On success the page says it was sent and shows nothing of it.
pub(crate) async fn submit_feedback(
    State(state): State<AppState>,
    _page: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    match ops::submit_feedback(&state, form.text("topic"), form.text("body")).await {
        Ok(()) => Ok(Redirect::to("/one-on-ones?sent=1#feedback-form").into_response()),
        Err(e) => back_after_form("/one-on-ones", "one-on-ones", "feedback-form", Err(e)),
    }
}
