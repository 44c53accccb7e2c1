//! The agile cycle in the web UI: an account's sprints (the running one with its goals and
//! quick wins, starting the next — with the root-cause questions when the account slips), a
//! retrospective run from start to close, and the portfolio board by lifecycle stage.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Days, NaiveDate, NaiveTime};
use lodestar_domain::meeting::local_start;
use lodestar_domain::retro::QUESTIONS;
use lodestar_domain::sprint::{GoalSource, retro_days};
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::{Answer, CauseSide, LifecycleStage, RetroCadence, SuspectedCause};
use lodestar_domain::{AccountId, MeetingId, SprintGoalId, SprintId};
use lodestar_store::{BoardCard, Sprint, SprintRetro};
use serde::Deserialize;

use super::ops::{self, RootCauseInput, SprintInput};
use crate::AppState;
use crate::features::accounts::ops::{existing, writable};
use crate::features::meetings::web::{FormFields, PromiseRow, owner_ids, promise_owners};
use crate::http::error::ApiError;
use crate::http::pages::{Choice, Html, SignedIn, back_after_form, book_choices, form_answer, render, user_problem};

/// The questions of seed 003 before re-engaging, by form field.
const CAUSE_QUESTIONS: [(&str, &str); 5] = [
    ("cause_same_goals", "Do we have the same goals for this relationship?"),
    ("cause_communication", "Is there a communication breakdown?"),
    ("cause_too_fast", "Are we moving too fast?"),
    (
        "cause_misunderstood",
        "Have we failed to understand their objectives clearly?",
    ),
    ("cause_skills_gap", "Is there a gap between skills and resources?"),
];

struct GoalLine {
    id: i64,
    title: String,
    progress: u8,
    done_on: Option<NaiveDate>,
}

struct SprintView {
    id: i64,
    number: i64,
    dates: String,
    /// "week 3 of 8" while it runs; how it ended otherwise.
    when: String,
    running: bool,
    focus: String,
    progress: u8,
    slipped: Option<String>,
    causes: Vec<String>,
    goals: Vec<GoalLine>,
    wins: Vec<(NaiveDate, String)>,
}

impl SprintView {
    fn of(s: &Sprint, today: NaiveDate) -> SprintView {
        let running = s.is_running(today);
        let when = if running {
            let (week, of) = s.week_of(today);
            format!("week {week} of {of}")
        } else if s.starts_on > today {
            format!("starts in {} days", (s.starts_on - today).num_days())
        } else if s.ended_on.is_some() {
            format!("ended early on {}", s.last_day())
        } else {
            "ran its course".to_owned()
        };
        SprintView {
            id: s.id.0,
            number: s.number,
            dates: format!("{} to {}", s.starts_on, s.last_day()),
            when,
            running,
            focus: s.focus.to_string(),
            progress: s.progress(),
            slipped: s.slipped.clone(),
            causes: s.root_cause.as_ref().map(|c| c.findings()).unwrap_or_default(),
            goals: s
                .goals
                .iter()
                .map(|g| GoalLine {
                    id: g.id.0,
                    title: g.title.clone(),
                    progress: g.progress,
                    done_on: g.done_on,
                })
                .collect(),
            wins: s.wins.iter().map(|w| (w.achieved_on, w.title.clone())).collect(),
        }
    }
}

struct RetroLine {
    id: i64,
    when: String,
    closed: bool,
    ahead: bool,
}

#[derive(askama::Template)]
#[template(path = "sprints/account.html")]
struct AccountPage {
    me: User,
    account_id: i64,
    account_name: String,
    stage: &'static str,
    /// Each stage with the evidence that reached it, if it did.
    path: Vec<(&'static str, Option<String>)>,
    /// The stage the evidence points to, when it differs from the one on record.
    evidence_says: Option<&'static str>,
    can_edit: bool,
    slipping: Vec<String>,
    propose: bool,
    sprints: Vec<SprintView>,
    retros: Vec<RetroLine>,
    options: Vec<(String, String)>,
    weeks_default: u32,
    cadence: &'static str,
    sides: Vec<(&'static str, &'static str)>,
    answers: Vec<(&'static str, &'static str)>,
    questions: [(&'static str, &'static str); 5],
    sent: FormFields,
    problem: Option<String>,
}

/// The account's sprints page: 422 when the new-sprint form comes back with a problem.
async fn account_page(
    state: &AppState,
    page: SignedIn,
    account: AccountId,
    sent: Option<FormFields>,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let found = existing(&state.store, account).await?;
    let today = state.store.today();
    let settings = state.store.sprint_settings().await?;
    let (slips, propose) = state.store.reengagement(account, today).await?;
    let sprints = state.store.account_sprints(account).await?;
    let (on_record, steps) = state.store.lifecycle(account, today).await?;
    let by_evidence = lodestar_domain::lifecycle::stage_by_evidence(&steps);
    let path = STAGES
        .iter()
        .map(|stage| {
            let reached = steps.iter().find(|s| s.stage == *stage).map(|s| s.evidence.clone());
            (stage.label(), reached)
        })
        .collect();
    let now = state.store.now();
    let retros = state
        .store
        .account_retrospectives(account)
        .await?
        .into_iter()
        .map(|(id, at, closed)| RetroLine {
            id: id.0,
            when: at
                .with_timezone(&page.user.time_zone.tz())
                .format("%a %Y-%m-%d %H:%M")
                .to_string(),
            closed,
            ahead: at > now,
        })
        .collect();
    let options = state
        .store
        .sprint_goal_options(account)
        .await?
        .into_iter()
        .map(|o| {
            let kind = match o.source {
                GoalSource::Goal(_) => "Goal",
                GoalSource::Tactic(_) => "Plan tactic",
            };
            (ops::source_text(o.source), format!("{kind}: {}", o.title))
        })
        .collect();
    let sent = sent
        .unwrap_or_else(|| FormFields::of([("starts_on", today.to_string()), ("weeks", settings.weeks.to_string())]));
    let refused = problem.is_some();
    let html = render(&AccountPage {
        account_id: account.0,
        account_name: found.fields.name.to_string(),
        stage: on_record.label(),
        path,
        evidence_says: (by_evidence != on_record && on_record != LifecycleStage::Churned).then(|| by_evidence.label()),
        can_edit: page.actor.can_write_account(found.fields.owner_id),
        slipping: slips.iter().map(|s| s.describe()).collect(),
        propose,
        sprints: sprints.iter().map(|s| SprintView::of(s, today)).collect(),
        retros,
        options,
        weeks_default: settings.weeks,
        cadence: settings.retro_cadence.label(),
        sides: CauseSide::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        answers: Answer::ALL.iter().map(|a| (a.as_str(), a.label())).collect(),
        questions: CAUSE_QUESTIONS,
        sent,
        problem: problem.or_else(|| page.flash.for_slot("sprints")),
        me: page.user,
    })?;
    Ok(form_answer(refused, html))
}

/// `GET /accounts/{id}/sprints`.
pub(crate) async fn account(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    account_page(&state, page, AccountId(id), None, None).await
}

/// `POST /accounts/{id}/sprints`: starts a sprint, or the page again with everything typed.
pub(crate) async fn start(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    writable(&state.store, &page.actor, account).await?;
    let form = FormFields::parse(&body);
    let input = SprintInput {
        starts_on: form.date("starts_on"),
        weeks: form.count("weeks"),
        focus: form.text("focus"),
        goals: form.all("goals").collect(),
        root_cause: RootCauseInput {
            side: form.text("cause_side"),
            same_goals: form.text("cause_same_goals"),
            communication_breakdown: form.text("cause_communication"),
            too_fast: form.text("cause_too_fast"),
            objectives_misunderstood: form.text("cause_misunderstood"),
            skills_gap: form.text("cause_skills_gap"),
            note: form.text("cause_note"),
        },
    };
    match ops::start(&state.store, &page.actor, account, input).await {
        Ok(s) => Ok(Redirect::to(&format!("/accounts/{id}/sprints#sprint-{}", s.id)).into_response()),
        Err(e) => {
            let problem = user_problem(e)?;
            account_page(&state, page, account, Some(form), Some(problem)).await
        }
    }
}

/// `POST /sprint-goals/{id}`: moves a goal.
pub(crate) async fn move_goal(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = SprintGoalId(id);
    let sprint = ops::changeable_goal(&state.store, &actor, id).await?;
    let form = FormFields::parse(&body);
    let percent = form.text("progress").trim().parse::<i64>().ok();
    let result = ops::set_progress(&state.store, id, percent, form.text("done") == "yes").await;
    back_after_form(
        &format!("/accounts/{}/sprints", sprint.account_id),
        "sprints",
        &format!("goal-{id}"),
        result.map(drop),
    )
}

/// `POST /sprints/{id}/wins`: records a quick win.
pub(crate) async fn add_win(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = SprintId(id);
    let sprint = ops::changeable(&state.store, &actor, id).await?;
    let form = FormFields::parse(&body);
    let result = ops::add_win(&state.store, &actor, id, form.text("title"), form.date("achieved_on")).await;
    back_after_form(
        &format!("/accounts/{}/sprints", sprint.account_id),
        "sprints",
        &format!("sprint-{id}"),
        result.map(drop),
    )
}

struct AttendeeLine {
    name: String,
    role: String,
    decides: bool,
}

#[derive(askama::Template)]
#[template(path = "sprints/retro.html")]
struct RetroPage {
    me: User,
    meeting_id: i64,
    account_id: i64,
    account_name: String,
    title: String,
    when: String,
    zone: String,
    sprint: Option<(i64, i64)>,
    can_edit: bool,
    closed: bool,
    cancelled: bool,
    next: Option<(i64, String)>,
    attendees: Vec<AttendeeLine>,
    ours: Vec<String>,
    decision_power: bool,
    questions: [&'static str; 3],
    challenges: Vec<(String, &'static str)>,
    causes: Vec<(&'static str, &'static str)>,
    promises: Vec<PromiseRow>,
    owners: Vec<(String, String)>,
    sent: FormFields,
    problem: Option<String>,
}

/// The day and time the next retrospective is proposed for: the sprint's next planned one
/// (seed 000: aligned with the sprint), else four weeks on — at the same time of day.
fn proposed_next(retro: &SprintRetro, sprint: Option<&Sprint>) -> (NaiveDate, NaiveTime) {
    let zone = retro.meeting.fields.time_zone;
    let local = retro.meeting.fields.starts_at.with_timezone(&zone);
    let day = local.date_naive();
    let planned = sprint.and_then(|s| {
        retro_days(
            s.starts_on,
            u32::try_from((s.ends_on - s.starts_on).num_days() / 7 + 1).unwrap_or(8),
            s.retro_cadence,
        )
        .into_iter()
        .find(|d| *d > day + Days::new(6) && *d <= s.last_day())
    });
    (planned.unwrap_or(day + Days::new(28)), local.time())
}

async fn retro_page(
    state: &AppState,
    page: SignedIn,
    id: MeetingId,
    sent: Option<FormFields>,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let retro = state.store.sprint_retro(id).await?;
    let account = existing(&state.store, retro.meeting.account_id).await?;
    let today = state.store.today();
    let sprint = match retro.sprint {
        Some((s, _)) => Some(state.store.sprint(s).await?),
        None => None,
    };
    let m = &retro.meeting;
    let zone = m.fields.time_zone;
    let (day, time) = proposed_next(&retro, sprint.as_ref());
    let sent = FormFields::of([
        ("continue_or_start", retro.answers.continue_or_start.to_string()),
        ("stop", retro.answers.stop.to_string()),
        ("ideas", retro.answers.ideas.to_string()),
        ("next_on", day.to_string()),
        ("next_time", time.format("%H:%M").to_string()),
        ("due_on", (today + Days::new(14)).to_string()),
    ])
    .overlaid(sent);
    let refused = problem.is_some();
    let html = render(&RetroPage {
        meeting_id: id.0,
        account_id: m.account_id.0,
        account_name: m.account_name.clone(),
        title: m.fields.title.to_string(),
        when: m
            .fields
            .starts_at
            .with_timezone(&zone)
            .format("%A %Y-%m-%d %H:%M")
            .to_string(),
        zone: zone.name().to_owned(),
        sprint: retro.sprint.map(|(s, n)| (s.0, n)),
        can_edit: page.actor.can_write_account(account.fields.owner_id),
        closed: retro.is_closed(),
        cancelled: m.cancelled_at.is_some(),
        next: retro.next.map(|(n, at)| {
            (
                n.0,
                at.with_timezone(&zone).format("%A %Y-%m-%d %H:%M").to_string() + &format!(" ({})", zone.name()),
            )
        }),
        attendees: retro
            .customer_attendees
            .iter()
            .map(|a| AttendeeLine {
                name: a.name.clone(),
                role: a.role.map(|r| r.label().to_owned()).unwrap_or_default(),
                decides: a.decides,
            })
            .collect(),
        ours: m
            .attendees
            .iter()
            .filter(|a| matches!(a, lodestar_store::Attendee::User { .. }))
            .map(|a| a.name().to_owned())
            .collect(),
        decision_power: retro.decision_power_present(),
        questions: QUESTIONS,
        challenges: retro
            .challenges
            .iter()
            .map(|c| (c.fields.description.to_string(), c.fields.suspected_cause.label()))
            .collect(),
        causes: SuspectedCause::ALL.iter().map(|c| (c.as_str(), c.label())).collect(),
        promises: retro
            .promises
            .iter()
            .cloned()
            .map(|p| PromiseRow::of(p, &page.actor, today))
            .collect(),
        owners: promise_owners(&state.store, m.account_id, Some(page.user.id)).await?,
        sent,
        problem: problem.or_else(|| page.flash.for_slot("retro")),
        me: page.user,
    })?;
    Ok(form_answer(refused, html))
}

/// `GET /meetings/{id}/retrospective`.
pub(crate) async fn retro(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    retro_page(&state, page, MeetingId(id), None, None).await
}

/// Which of the retrospective's forms was sent (its submit button's value).
async fn retro_step(state: &AppState, page: &SignedIn, retro: &SprintRetro, form: &FormFields) -> Result<(), ApiError> {
    let id = retro.meeting.id;
    match form.text("step") {
        "answers" => {
            let answers = ops::retro_answers(form.text("continue_or_start"), form.text("stop"), form.text("ideas"))?;
            state.store.save_retro_answers(id, answers).await?;
        }
        "challenge" => {
            let fields = ops::challenge(form.text("description"), form.text("suspected_cause"))?;
            state.store.add_retro_challenge(id, fields).await?;
        }
        "promise" => {
            let (user, contact) = owner_ids(form.text("owner"));
            let fields = crate::features::meetings::ops::promise_fields(
                form.text("promise"),
                user,
                contact,
                form.date("due_on"),
            )?;
            ops::add_promise(&state.store, &page.actor, id, fields).await?;
        }
        "close" => {
            let next = match (
                form.date("next_on"),
                NaiveTime::parse_from_str(form.text("next_time"), "%H:%M").ok(),
            ) {
                (Some(day), Some(time)) => Some(
                    local_start(day, time, retro.meeting.fields.time_zone)
                        .map_err(|e| lodestar_domain::Invalid::field("next_starts_at", e))?,
                ),
                _ => None,
            };
            ops::close(&state.store, &page.actor, retro, next).await?;
        }
        other => {
            return Err(ApiError::BadRequest {
                field: Some("step".into()),
                reason: format!("unknown form step {other:?}"),
            });
        }
    }
    Ok(())
}

/// `POST /meetings/{id}/retrospective`: one of its forms; the page again with everything typed
/// when refused (closing without the next date, above all).
pub(crate) async fn retro_post(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = MeetingId(id);
    let retro = ops::changeable_retro(&state.store, &page.actor, id).await?;
    let form = FormFields::parse(&body);
    let anchor = match form.text("step") {
        "challenge" => "challenges",
        "promise" => "promises",
        "close" => "close",
        _ => "questions",
    };
    match retro_step(&state, &page, &retro, &form).await {
        Ok(()) => Ok(Redirect::to(&format!("/meetings/{id}/retrospective#{anchor}")).into_response()),
        Err(e) => {
            let problem = user_problem(e)?;
            retro_page(&state, page, id, Some(form), Some(problem)).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct BoardQuery {
    book: Option<String>,
}

struct CardView {
    account_id: i64,
    name: String,
    owner: String,
    sprint: Option<SprintView>,
    slipping: Vec<String>,
    propose: bool,
}

struct Column {
    id: &'static str,
    label: &'static str,
    cards: Vec<CardView>,
    /// Accounts in the stage beyond the cards shown.
    more: usize,
}

/// The cards a column shows: the slipping ones and the largest come first, the rest are a
/// link to the accounts list of that stage.
const CARDS_PER_COLUMN: usize = 12;

#[derive(askama::Template)]
#[template(path = "sprints/board.html")]
struct BoardPage {
    me: User,
    books: Vec<Choice>,
    columns: Vec<Column>,
    slipping: usize,
    is_admin: bool,
    weeks: u32,
    cadences: Vec<Choice>,
    problem: Option<String>,
}

/// The board's columns: Land → Adopt → Expand → Renew (churned accounts are off the board).
const STAGES: [LifecycleStage; 4] = [
    LifecycleStage::Land,
    LifecycleStage::Adopt,
    LifecycleStage::Expand,
    LifecycleStage::Renew,
];

/// `GET /sprints`: the portfolio board by lifecycle stage and sprint, slipping accounts first.
pub(crate) async fn board(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<BoardQuery>,
) -> Result<Html, ApiError> {
    let mine = q.book.as_deref() == Some("mine");
    let today = state.store.today();
    let cards: Vec<BoardCard> = state.store.sprint_board(mine.then_some(page.user.id), today).await?;
    let slipping = cards.iter().filter(|c| !c.slips.is_empty()).count();
    let columns = STAGES
        .iter()
        .map(|stage| {
            let in_stage: Vec<&BoardCard> = cards.iter().filter(|c| c.stage == *stage).collect();
            Column {
                id: stage.as_str(),
                label: stage.label(),
                more: in_stage.len().saturating_sub(CARDS_PER_COLUMN),
                cards: in_stage
                    .into_iter()
                    .take(CARDS_PER_COLUMN)
                    .map(|c| CardView {
                        account_id: c.account_id.0,
                        name: c.name.clone(),
                        owner: c.owner.clone().unwrap_or_else(|| "no CSM".into()),
                        sprint: c.sprint.as_ref().map(|s| SprintView::of(s, today)),
                        slipping: c.slips.iter().map(|s| s.describe()).collect(),
                        propose: c.propose_sprint,
                    })
                    .collect(),
            }
        })
        .collect();
    let settings = state.store.sprint_settings().await?;
    render(&BoardPage {
        books: book_choices(mine),
        columns,
        slipping,
        is_admin: page.actor.can_administer(),
        weeks: settings.weeks,
        cadences: RetroCadence::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str().into(),
                label: c.label().into(),
                selected: *c == settings.retro_cadence,
            })
            .collect(),
        problem: page.flash.for_slot("sprint_settings"),
        me: page.user,
    })
}

/// `POST /sprints/settings` (admins).
pub(crate) async fn set_settings(
    State(state): State<AppState>,
    SignedIn { actor, origin, .. }: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    ops::may_set_settings(&actor)?;
    let form = FormFields::parse(&body);
    let result = ops::set_settings(
        &state,
        &actor,
        &origin,
        form.count("sprint_weeks"),
        form.text("retro_cadence"),
    )
    .await;
    back_after_form("/sprints", "sprint_settings", "settings", result.map(drop))
}
