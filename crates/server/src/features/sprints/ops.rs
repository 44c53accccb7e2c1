//! What the sprints API and pages both do: read a sprint's, a root cause's, a win's, a
//! retrospective's and the settings' input with every problem named; check who may (whoever
//! writes to the account; admins the workspace's rhythm); write.

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::access::Actor;
use lodestar_domain::promise::PromiseFields;
use lodestar_domain::retro::{ChallengeFields, NextDate, RetroAnswers};
use lodestar_domain::review::ActionText;
use lodestar_domain::sprint::{GoalSource, RootCause, SprintFields, SprintSettings, WinFields, progress};
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::AuditKind;
use lodestar_domain::{AccountId, FieldError, GoalId, Invalid, MeetingId, PlanTacticId, SprintGoalId, SprintId};
use lodestar_store::{Sprint, SprintRetro, Store};

use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::checked;

/// A sprint goal's source as the form and the API spell it.
pub(crate) fn source_text(source: GoalSource) -> String {
    match source {
        GoalSource::Goal(g) => format!("goal:{g}"),
        GoalSource::Tactic(t) => format!("tactic:{t}"),
    }
}

/// A sprint goal as picked: `goal:ID` or `tactic:ID` (the form's and the API's spelling).
pub(crate) fn goal_source(text: &str) -> Result<GoalSource, String> {
    let parsed = match text.trim().split_once(':') {
        Some(("goal", id)) => id.parse().ok().map(|id| GoalSource::Goal(GoalId(id))),
        Some(("tactic", id)) => id.parse().ok().map(|id| GoalSource::Tactic(PlanTacticId(id))),
        _ => None,
    };
    parsed.ok_or_else(|| format!("{text:?} is neither goal:ID nor tactic:ID"))
}

/// The root-cause answers as typed; all six questions answered, or none (not a re-engagement).
pub(crate) struct RootCauseInput<'a> {
    pub side: &'a str,
    pub same_goals: &'a str,
    pub communication_breakdown: &'a str,
    pub too_fast: &'a str,
    pub objectives_misunderstood: &'a str,
    pub skills_gap: &'a str,
    pub note: &'a str,
}

impl RootCauseInput<'_> {
    fn is_blank(&self) -> bool {
        [
            self.side,
            self.same_goals,
            self.communication_breakdown,
            self.too_fast,
            self.objectives_misunderstood,
            self.skills_gap,
            self.note,
        ]
        .iter()
        .all(|t| t.trim().is_empty())
    }
}

/// A new sprint's input, before any of it is trusted.
pub(crate) struct SprintInput<'a> {
    pub starts_on: Option<NaiveDate>,
    /// Blank: the workspace's length.
    pub weeks: Option<u32>,
    pub focus: &'a str,
    pub goals: Vec<&'a str>,
    pub root_cause: RootCauseInput<'a>,
}

pub(crate) fn sprint_fields(
    input: SprintInput<'_>,
    settings: SprintSettings,
    today: NaiveDate,
) -> Result<lodestar_domain::Valid<SprintFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let focus = checked(&mut errors, "focus", Note::required(input.focus));
    let goals: Vec<GoalSource> = input
        .goals
        .iter()
        .filter(|g| !g.trim().is_empty())
        .filter_map(|g| checked(&mut errors, "goals", goal_source(g)))
        .collect();
    let cause = &input.root_cause;
    let root_cause = if cause.is_blank() {
        Some(None)
    } else {
        let side = checked(&mut errors, "cause_side", cause.side.parse());
        let same_goals = checked(&mut errors, "cause_same_goals", cause.same_goals.parse());
        let communication = checked(
            &mut errors,
            "cause_communication",
            cause.communication_breakdown.parse(),
        );
        let too_fast = checked(&mut errors, "cause_too_fast", cause.too_fast.parse());
        let misunderstood = checked(
            &mut errors,
            "cause_misunderstood",
            cause.objectives_misunderstood.parse(),
        );
        let skills_gap = checked(&mut errors, "cause_skills_gap", cause.skills_gap.parse());
        let note = checked(&mut errors, "cause_note", Note::parse(cause.note));
        match (
            side,
            same_goals,
            communication,
            too_fast,
            misunderstood,
            skills_gap,
            note,
        ) {
            (
                Some(side),
                Some(same_goals),
                Some(communication_breakdown),
                Some(too_fast),
                Some(objectives_misunderstood),
                Some(skills_gap),
                Some(note),
            ) => Some(Some(RootCause {
                side,
                same_goals,
                communication_breakdown,
                too_fast,
                objectives_misunderstood,
                skills_gap,
                note,
            })),
            _ => None,
        }
    };
    match (focus, root_cause) {
        (Some(focus), Some(root_cause)) if errors.is_empty() => Ok(SprintFields {
            starts_on: input.starts_on.unwrap_or(today),
            weeks: input.weeks.unwrap_or(settings.weeks),
            focus,
            goals,
            root_cause,
        }
        .validate(today)?),
        _ => Err(Invalid { errors }.into()),
    }
}

/// Starts a sprint on an account `actor` writes to.
pub(crate) async fn start(
    store: &Store,
    actor: &Actor,
    account: AccountId,
    input: SprintInput<'_>,
) -> Result<Sprint, ApiError> {
    writable(store, actor, account).await?;
    let settings = store.sprint_settings().await?;
    let fields = sprint_fields(input, settings, store.today())?;
    Ok(store.start_sprint(account, fields, actor.user).await?)
}

/// The sprint, if `actor` may change it.
pub(crate) async fn changeable(store: &Store, actor: &Actor, id: SprintId) -> Result<Sprint, ApiError> {
    let sprint = store.sprint(id).await?;
    writable(store, actor, sprint.account_id).await?;
    Ok(sprint)
}

/// The sprint a goal is in, if `actor` may change it.
pub(crate) async fn changeable_goal(store: &Store, actor: &Actor, id: SprintGoalId) -> Result<Sprint, ApiError> {
    let sprint = store.sprint_of_goal(id).await?;
    writable(store, actor, sprint.account_id).await?;
    Ok(sprint)
}

/// Moves a sprint goal (checked by `changeable_goal` first).
pub(crate) async fn set_progress(
    store: &Store,
    id: SprintGoalId,
    percent: Option<i64>,
    done: bool,
) -> Result<Sprint, ApiError> {
    let percent = match (percent, done) {
        (_, true) => 100,
        (Some(p), false) => progress(p).map_err(|e| Invalid::field("progress", e))?,
        (None, false) => return Err(Invalid::field("progress", "is required: a percentage from 0 to 100").into()),
    };
    Ok(store.set_sprint_goal_progress(id, percent, done).await?)
}

/// Records a quick win (checked by `changeable` first).
pub(crate) async fn add_win(
    store: &Store,
    actor: &Actor,
    id: SprintId,
    title: &str,
    achieved_on: Option<NaiveDate>,
) -> Result<Sprint, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let title = checked(&mut errors, "title", Name::parse(title));
    let today = store.today();
    match title {
        Some(title) if errors.is_empty() => {
            let win = WinFields {
                title,
                achieved_on: achieved_on.unwrap_or(today),
            }
            .validate(today)?;
            Ok(store.add_sprint_win(id, win, actor.user).await?)
        }
        _ => Err(Invalid { errors }.into()),
    }
}

/// Only admins set the workspace's rhythm.
pub(crate) fn may_set_settings(actor: &Actor) -> Result<(), ApiError> {
    if actor.can_administer() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only admins set the sprint length and retrospective cadence",
        ))
    }
}

/// Sets the sprint length and retrospective cadence (admins), in the audit log.
pub(crate) async fn set_settings(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    weeks: Option<u32>,
    cadence: &str,
) -> Result<SprintSettings, ApiError> {
    may_set_settings(actor)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let weeks = checked(
        &mut errors,
        "sprint_weeks",
        weeks.ok_or_else(|| "is required".to_owned()),
    );
    let cadence = checked(&mut errors, "retro_cadence", cadence.parse());
    let (Some(weeks), Some(retro_cadence)) = (weeks, cadence) else {
        return Err(Invalid { errors }.into());
    };
    let settings = SprintSettings { weeks, retro_cadence }.validate()?;
    let saved = state.store.set_sprint_settings(settings, actor.user).await?;
    state
        .audit(
            origin,
            AuditKind::SprintSettingsChanged,
            Some("sprint settings".into()),
            format!(
                "sprints last {} weeks, retrospectives {}",
                saved.weeks,
                saved.retro_cadence.label().to_lowercase()
            ),
        )
        .await?;
    Ok(saved)
}

/// The retrospective meeting `id`, if `actor` may change it.
/// Who may is asked first: a meeting that is not a retrospective is 409 only to those who may
/// write to its account.
pub(crate) async fn changeable_retro(store: &Store, actor: &Actor, id: MeetingId) -> Result<SprintRetro, ApiError> {
    let meeting = store.meeting(id).await?;
    writable(store, actor, meeting.account_id).await?;
    Ok(store.sprint_retro(id).await?)
}

pub(crate) fn retro_answers(continue_or_start: &str, stop: &str, ideas: &str) -> Result<RetroAnswers, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let keep = checked(&mut errors, "continue_or_start", Note::parse(continue_or_start));
    let stop = checked(&mut errors, "stop", Note::parse(stop));
    let ideas = checked(&mut errors, "ideas", Note::parse(ideas));
    match (keep, stop, ideas) {
        (Some(continue_or_start), Some(stop), Some(ideas)) => Ok(RetroAnswers {
            continue_or_start,
            stop,
            ideas,
        }),
        _ => Err(Invalid { errors }.into()),
    }
}

pub(crate) fn challenge(description: &str, suspected_cause: &str) -> Result<ChallengeFields, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let description = checked(&mut errors, "description", ActionText::parse(description));
    let cause = if suspected_cause.trim().is_empty() {
        Some(lodestar_domain::vocabulary::SuspectedCause::Unknown)
    } else {
        checked(&mut errors, "suspected_cause", suspected_cause.parse())
    };
    match (description, cause) {
        (Some(description), Some(suspected_cause)) => Ok(ChallengeFields {
            description,
            suspected_cause,
        }),
        _ => Err(Invalid { errors }.into()),
    }
}

/// Adds a promise made at the retrospective (checked by `changeable_retro` first).
pub(crate) async fn add_promise(
    store: &Store,
    actor: &Actor,
    id: MeetingId,
    fields: PromiseFields,
) -> Result<SprintRetro, ApiError> {
    Ok(store.add_retro_promise(id, fields, actor.user).await?)
}

/// Closes the retrospective, refusing without the next date (checked by `changeable_retro`).
pub(crate) async fn close(
    store: &Store,
    actor: &Actor,
    retro: &SprintRetro,
    next: Option<DateTime<Utc>>,
) -> Result<(SprintRetro, usize), ApiError> {
    let next = NextDate::validate(next, retro.meeting.fields.starts_at)?;
    Ok(store.close_retrospective(retro.meeting.id, next, actor.user).await?)
}
