//! Sprints, the portfolio board, the workspace's rhythm and customer retrospectives on the API.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::sprint::RootCause;
use lodestar_domain::{MeetingId, SprintGoalId, SprintId, UserId};
use lodestar_store::{BoardCard, Sprint, SprintRetro};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, RootCauseInput, SprintInput};
use crate::AppState;
use crate::features::accounts::ops::existing_in_path;
use crate::features::meetings::api::{PromiseInput, PromiseOutput};
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, Problem, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{BookQuery, IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account_sprints, start_sprint))
        .routes(routes!(move_goal))
        .routes(routes!(add_win))
        .routes(routes!(board))
        .routes(routes!(settings, set_settings))
        .routes(routes!(retrospective, save_answers))
        .routes(routes!(add_challenge))
        .routes(routes!(add_retro_promise))
        .routes(routes!(close_retrospective))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SprintGoalOutput {
    id: i64,
    /// `goal:ID` or `tactic:ID`; null once that goal or tactic was deleted.
    source: Option<String>,
    title: String,
    /// 0 to 100.
    progress: u8,
    done_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SprintWinOutput {
    id: i64,
    title: String,
    achieved_on: NaiveDate,
    recorded_by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RootCauseOutput {
    /// us, them, both or unclear.
    side: String,
    /// yes, no or unsure, for each of seed 003's questions.
    same_goals: String,
    communication_breakdown: String,
    too_fast: String,
    objectives_misunderstood: String,
    skills_gap: String,
    note: String,
    /// The causes found, in words.
    findings: Vec<String>,
}

impl From<RootCause> for RootCauseOutput {
    fn from(c: RootCause) -> Self {
        RootCauseOutput {
            findings: c.findings(),
            side: c.side.as_str().into(),
            same_goals: c.same_goals.as_str().into(),
            communication_breakdown: c.communication_breakdown.as_str().into(),
            too_fast: c.too_fast.as_str().into(),
            objectives_misunderstood: c.objectives_misunderstood.as_str().into(),
            skills_gap: c.skills_gap.as_str().into(),
            note: c.note.as_str().into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SprintOutput {
    id: i64,
    account_id: i64,
    number: i64,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    /// Set when a new sprint started before this one ran its course.
    ended_on: Option<NaiveDate>,
    focus: String,
    /// monthly or bi_monthly.
    retro_cadence: String,
    /// The goals' mean progress, 0 to 100.
    progress: u8,
    /// Why the account was slipping when this sprint started to re-engage it.
    slipped: Option<String>,
    root_cause: Option<RootCauseOutput>,
    goals: Vec<SprintGoalOutput>,
    wins: Vec<SprintWinOutput>,
    created_by: Option<String>,
}

impl From<Sprint> for SprintOutput {
    fn from(s: Sprint) -> Self {
        SprintOutput {
            id: s.id.0,
            account_id: s.account_id.0,
            number: s.number,
            starts_on: s.starts_on,
            ends_on: s.ends_on,
            ended_on: s.ended_on,
            progress: s.progress(),
            focus: s.focus.as_str().into(),
            retro_cadence: s.retro_cadence.as_str().into(),
            slipped: s.slipped,
            root_cause: s.root_cause.map(Into::into),
            goals: s
                .goals
                .into_iter()
                .map(|g| SprintGoalOutput {
                    id: g.id.0,
                    source: g.source.map(ops::source_text),
                    title: g.title,
                    progress: g.progress,
                    done_on: g.done_on,
                })
                .collect(),
            wins: s
                .wins
                .into_iter()
                .map(|w| SprintWinOutput {
                    id: w.id.0,
                    title: w.title,
                    achieved_on: w.achieved_on,
                    recorded_by: w.created_by,
                })
                .collect(),
            created_by: s.created_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LifecycleStepOutput {
    /// land, adopt, expand or renew.
    stage: String,
    on: NaiveDate,
    /// What moved it there, in words.
    evidence: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LifecycleOutput {
    /// The stage the account's CSM set.
    on_record: String,
    /// The stage the evidence points to (the last step reached).
    by_evidence: String,
    /// The stages the evidence says it reached, in order.
    steps: Vec<LifecycleStepOutput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountSprintsOutput {
    account_id: i64,
    /// Where it stands in Land → Adopt → Expand → Renew, and why.
    lifecycle: LifecycleOutput,
    /// Why the account slips now (health red, usage falling); empty when it does not.
    slipping: Vec<String>,
    /// Slipping, and no re-engagement sprint answers it yet: start one.
    propose_sprint: bool,
    /// The latest first.
    sprints: Vec<SprintOutput>,
}

/// An account's sprints, and whether it slips.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/sprints", tag = "sprints", params(("id" = i64, Path)),
    responses((status = 200, description = "The account's sprints", body = AccountSprintsOutput), ReadProblems),
    security(("bearer" = [])))]
async fn account_sprints(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<AccountSprintsOutput>, ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    let (slips, propose_sprint) = state.store.reengagement(id, state.store.today()).await?;
    let sprints = state.store.account_sprints(id).await?;
    let (on_record, steps) = state.store.lifecycle(id, state.store.today()).await?;
    Ok(axum::Json(AccountSprintsOutput {
        account_id: id.0,
        lifecycle: LifecycleOutput {
            on_record: on_record.as_str().into(),
            by_evidence: lodestar_domain::lifecycle::stage_by_evidence(&steps).as_str().into(),
            steps: steps
                .into_iter()
                .map(|s| LifecycleStepOutput {
                    stage: s.stage.as_str().into(),
                    on: s.on,
                    evidence: s.evidence,
                })
                .collect(),
        },
        slipping: slips.iter().map(|s| s.describe()).collect(),
        propose_sprint,
        sprints: sprints.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RootCauseBody {
    /// Is it us or them? us, them, both or unclear.
    side: String,
    /// Do we have the same goals? yes, no or unsure.
    same_goals: String,
    /// Is there a communication breakdown?
    communication_breakdown: String,
    /// Are we moving too fast?
    too_fast: String,
    /// Have we failed to understand their objectives?
    objectives_misunderstood: String,
    /// Is there a gap between skills and resources?
    skills_gap: String,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SprintBody {
    /// Default: today. No earlier than a week ago.
    starts_on: Option<NaiveDate>,
    /// Default: the workspace's sprint length (8 weeks unless an admin changed it).
    weeks: Option<u32>,
    /// What the customer and the CSM agreed the sprint is for.
    #[schema(example = "Roll reporting out to the finance team")]
    focus: String,
    /// One to three of `goal:ID` (the account's goals) and `tactic:ID` (its plan's tactics).
    #[schema(example = json!(["goal:1", "tactic:2"]))]
    goals: Vec<String>,
    /// Seed 003's questions, answered, when the sprint re-engages a slipping customer.
    root_cause: Option<RootCauseBody>,
}

/// Start a sprint: a running one ends the day before; the first retrospective is booked.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/sprints", tag = "sprints", params(("id" = i64, Path)),
    request_body = SprintBody,
    responses((status = 201, description = "Started", body = SprintOutput), WriteProblems),
    security(("bearer" = [])))]
async fn start_sprint(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<SprintBody>,
) -> Result<(StatusCode, axum::Json<SprintOutput>), ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let b = body.read()?;
    let cause = b.root_cause.unwrap_or_default();
    let input = SprintInput {
        starts_on: b.starts_on,
        weeks: b.weeks,
        focus: &b.focus,
        goals: b.goals.iter().map(String::as_str).collect(),
        root_cause: RootCauseInput {
            side: &cause.side,
            same_goals: &cause.same_goals,
            communication_breakdown: &cause.communication_breakdown,
            too_fast: &cause.too_fast,
            objectives_misunderstood: &cause.objectives_misunderstood,
            skills_gap: &cause.skills_gap,
            note: &cause.note,
        },
    };
    let sprint = ops::start(&state.store, &actor, id, input).await?;
    Ok((StatusCode::CREATED, axum::Json(sprint.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SprintGoalBody {
    /// 0 to 100 (ignored when `done`).
    progress: Option<i64>,
    /// Reached: 100 %, dated today.
    #[serde(default)]
    done: bool,
}

/// Move a sprint goal.
#[utoipa::path(put, path = "/api/v1/sprint-goals/{id}", tag = "sprints", params(("id" = i64, Path)),
    request_body = SprintGoalBody,
    responses((status = 200, description = "The sprint", body = SprintOutput), WriteProblems),
    security(("bearer" = [])))]
async fn move_goal(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<SprintGoalBody>,
) -> Result<axum::Json<SprintOutput>, ApiError> {
    let id = SprintGoalId(path_id(id)?);
    ops::changeable_goal(&state.store, &actor, id).await?;
    let b = body.read()?;
    let sprint = ops::set_progress(&state.store, id, b.progress, b.done).await?;
    Ok(axum::Json(sprint.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WinBody {
    #[schema(example = "First board pack built in Lodestar")]
    title: String,
    /// Default: today. Not in the future.
    achieved_on: Option<NaiveDate>,
}

/// Record a quick win (an outcome the customer achieved) on a sprint.
#[utoipa::path(post, path = "/api/v1/sprints/{id}/wins", tag = "sprints", params(("id" = i64, Path)),
    request_body = WinBody,
    responses((status = 201, description = "The sprint", body = SprintOutput), WriteProblems),
    security(("bearer" = [])))]
async fn add_win(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<WinBody>,
) -> Result<(StatusCode, axum::Json<SprintOutput>), ApiError> {
    let id = SprintId(path_id(id)?);
    ops::changeable(&state.store, &actor, id).await?;
    let b = body.read()?;
    let sprint = ops::add_win(&state.store, &actor, id, &b.title, b.achieved_on).await?;
    Ok((StatusCode::CREATED, axum::Json(sprint.into())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardCardOutput {
    account_id: i64,
    name: String,
    tier: Option<String>,
    /// land, adopt, expand or renew (churned accounts are not on the board).
    stage: String,
    owner_id: Option<i64>,
    owner: Option<String>,
    /// ARR in cents.
    arr_cents: i64,
    /// The sprint running today.
    sprint: Option<SprintOutput>,
    /// Why it slips; empty when it does not.
    slipping: Vec<String>,
    propose_sprint: bool,
}

impl From<BoardCard> for BoardCardOutput {
    fn from(c: BoardCard) -> Self {
        BoardCardOutput {
            account_id: c.account_id.0,
            name: c.name,
            tier: c.tier.map(|t| t.as_str().into()),
            stage: c.stage.as_str().into(),
            owner_id: c.owner_id.map(|u| u.0),
            owner: c.owner,
            arr_cents: c.arr.0,
            sprint: c.sprint.map(Into::into),
            slipping: c.slips.iter().map(|s| s.describe()).collect(),
            propose_sprint: c.propose_sprint,
        }
    }
}

/// The portfolio board: accounts with their stage and running sprint, slipping ones first.
#[utoipa::path(get, path = "/api/v1/sprint-board", tag = "sprints", params(BookQuery),
    responses((status = 200, description = "The board", body = Vec<BoardCardOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn board(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<BookQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<BoardCardOutput>>, ApiError> {
    let Query(q) = query?;
    let cards = state
        .store
        .sprint_board(q.owner_id.map(UserId), state.store.today())
        .await?;
    Ok(axum::Json(cards.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SprintSettingsBody {
    /// 2 to 26; 8 by default.
    sprint_weeks: Option<u32>,
    /// monthly (default) or bi_monthly.
    #[schema(example = "monthly")]
    retro_cadence: String,
}

/// The workspace's sprint length and retrospective cadence.
#[utoipa::path(get, path = "/api/v1/sprint-settings", tag = "sprints",
    responses((status = 200, description = "The settings", body = SprintSettingsBody), ReadProblems),
    security(("bearer" = [])))]
async fn settings(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<SprintSettingsBody>, ApiError> {
    let s = state.store.sprint_settings().await?;
    Ok(axum::Json(SprintSettingsBody {
        sprint_weeks: Some(s.weeks),
        retro_cadence: s.retro_cadence.as_str().into(),
    }))
}

/// Set the sprint length and retrospective cadence new sprints use (admins).
#[utoipa::path(put, path = "/api/v1/sprint-settings", tag = "sprints",
    request_body = SprintSettingsBody,
    responses((status = 200, description = "Saved", body = SprintSettingsBody), WriteProblems),
    security(("bearer" = [])))]
async fn set_settings(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<SprintSettingsBody>,
) -> Result<axum::Json<SprintSettingsBody>, ApiError> {
    ops::may_set_settings(&actor)?;
    let b = body.read()?;
    let s = ops::set_settings(&state, &actor, &origin, b.sprint_weeks, &b.retro_cadence).await?;
    Ok(axum::Json(SprintSettingsBody {
        sprint_weeks: Some(s.weeks),
        retro_cadence: s.retro_cadence.as_str().into(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeOutput {
    id: i64,
    description: String,
    /// process, culture, communication, skills_resources, product or unknown.
    suspected_cause: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetroAttendeeOutput {
    contact_id: i64,
    name: String,
    role: Option<String>,
    /// Can decide for the customer (sponsor, decision maker or high influence).
    decides: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SprintRetroOutput {
    meeting_id: i64,
    account_id: i64,
    starts_at: DateTime<Utc>,
    sprint_id: Option<i64>,
    sprint_number: Option<i64>,
    /// What should we continue or start doing?
    continue_or_start: String,
    /// What should we stop doing?
    stop: String,
    /// What are some ideas for the future?
    ideas: String,
    challenges: Vec<ChallengeOutput>,
    /// Both sides' promises made in it.
    promises: Vec<PromiseOutput>,
    customer_attendees: Vec<RetroAttendeeOutput>,
    /// False: no one who can decide for the customer attends (seed 000: they must reach a
    /// consensus).
    decision_power_present: bool,
    closed_at: Option<DateTime<Utc>>,
    next_meeting_id: Option<i64>,
    next_starts_at: Option<DateTime<Utc>>,
}

impl SprintRetroOutput {
    fn of(r: SprintRetro, today: NaiveDate) -> Self {
        SprintRetroOutput {
            decision_power_present: r.decision_power_present(),
            meeting_id: r.meeting.id.0,
            account_id: r.meeting.account_id.0,
            starts_at: r.meeting.fields.starts_at,
            sprint_id: r.sprint.map(|s| s.0.0),
            sprint_number: r.sprint.map(|s| s.1),
            continue_or_start: r.answers.continue_or_start.as_str().into(),
            stop: r.answers.stop.as_str().into(),
            ideas: r.answers.ideas.as_str().into(),
            challenges: r
                .challenges
                .into_iter()
                .map(|c| ChallengeOutput {
                    id: c.id.0,
                    description: c.fields.description.to_string(),
                    suspected_cause: c.fields.suspected_cause.as_str().into(),
                })
                .collect(),
            promises: r.promises.into_iter().map(|p| PromiseOutput::of(p, today)).collect(),
            customer_attendees: r
                .customer_attendees
                .into_iter()
                .map(|a| RetroAttendeeOutput {
                    contact_id: a.contact_id.0,
                    name: a.name,
                    role: a.role.map(|r| r.as_str().into()),
                    decides: a.decides,
                })
                .collect(),
            closed_at: r.closed_at,
            next_meeting_id: r.next.map(|n| n.0.0),
            next_starts_at: r.next.map(|n| n.1),
        }
    }
}

/// A retrospective meeting: the three questions, challenges, promises, who attends. Another
/// kind of meeting has none (409).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/retrospective", tag = "sprints", params(("id" = i64, Path)),
    responses((status = 200, description = "The retrospective", body = SprintRetroOutput),
        (status = 409, description = "The meeting is not a retrospective",
            body = Problem, content_type = "application/problem+json"),
        ReadProblems),
    security(("bearer" = [])))]
async fn retrospective(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<SprintRetroOutput>, ApiError> {
    let retro = state.store.sprint_retro(MeetingId(path_id(id)?)).await?;
    Ok(axum::Json(SprintRetroOutput::of(retro, state.store.today())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetroAnswersBody {
    /// What should we continue or start doing? (Markdown)
    #[serde(default)]
    continue_or_start: String,
    /// What should we stop doing?
    #[serde(default)]
    stop: String,
    /// What are some ideas for the future?
    #[serde(default)]
    ideas: String,
}

/// Write the answers to the three questions (until it is closed).
#[utoipa::path(put, path = "/api/v1/meetings/{id}/retrospective", tag = "sprints", params(("id" = i64, Path)),
    request_body = RetroAnswersBody,
    responses((status = 200, description = "Saved", body = SprintRetroOutput), WriteProblems),
    security(("bearer" = [])))]
async fn save_answers(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<RetroAnswersBody>,
) -> Result<axum::Json<SprintRetroOutput>, ApiError> {
    let id = MeetingId(path_id(id)?);
    ops::changeable_retro(&state.store, &actor, id).await?;
    let b = body.read()?;
    let answers = ops::retro_answers(&b.continue_or_start, &b.stop, &b.ideas)?;
    let retro = state.store.save_retro_answers(id, answers).await?;
    Ok(axum::Json(SprintRetroOutput::of(retro, state.store.today())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeBody {
    #[schema(example = "Approvals take two weeks in procurement")]
    description: String,
    /// process, culture, communication, skills_resources, product or unknown (default).
    #[serde(default)]
    suspected_cause: String,
}

/// Record a challenge the customer vented, with its suspected root cause.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/retrospective/challenges", tag = "sprints", params(("id" = i64, Path)),
    request_body = ChallengeBody,
    responses((status = 201, description = "Recorded", body = SprintRetroOutput), WriteProblems),
    security(("bearer" = [])))]
async fn add_challenge(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<ChallengeBody>,
) -> Result<(StatusCode, axum::Json<SprintRetroOutput>), ApiError> {
    let id = MeetingId(path_id(id)?);
    ops::changeable_retro(&state.store, &actor, id).await?;
    let b = body.read()?;
    let fields = ops::challenge(&b.description, &b.suspected_cause)?;
    let retro = state.store.add_retro_challenge(id, fields).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(SprintRetroOutput::of(retro, state.store.today())),
    ))
}

/// Record a promise made at the retrospective, by either side.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/retrospective/promises", tag = "sprints", params(("id" = i64, Path)),
    request_body = PromiseInput,
    responses((status = 201, description = "Recorded", body = SprintRetroOutput), WriteProblems),
    security(("bearer" = [])))]
async fn add_retro_promise(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<PromiseInput>,
) -> Result<(StatusCode, axum::Json<SprintRetroOutput>), ApiError> {
    let id = MeetingId(path_id(id)?);
    ops::changeable_retro(&state.store, &actor, id).await?;
    let fields = body.read()?.fields()?;
    let retro = ops::add_promise(&state.store, &actor, id, fields).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(SprintRetroOutput::of(retro, state.store.today())),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRetroBody {
    /// When the next retrospective starts: required, after this one, within 70 days.
    next_starts_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosedRetroOutput {
    retrospective: SprintRetroOutput,
    /// Emails queued to the customer's attendees with what was agreed.
    emails_queued: usize,
}

/// Close the retrospective: refused (422) without the next date; books the next one with
/// the same people and emails the customer's attendees both sides' promises.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/retrospective/close", tag = "sprints", params(("id" = i64, Path)),
    request_body = CloseRetroBody,
    responses((status = 200, description = "Closed", body = ClosedRetroOutput), WriteProblems),
    security(("bearer" = [])))]
async fn close_retrospective(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<CloseRetroBody>,
) -> Result<axum::Json<ClosedRetroOutput>, ApiError> {
    let id = MeetingId(path_id(id)?);
    let retro = ops::changeable_retro(&state.store, &actor, id).await?;
    let b = body.read()?;
    let (closed, emails_queued) = ops::close(&state.store, &actor, &retro, b.next_starts_at).await?;
    Ok(axum::Json(ClosedRetroOutput {
        retrospective: SprintRetroOutput::of(closed, state.store.today()),
        emails_queued,
    }))
}
