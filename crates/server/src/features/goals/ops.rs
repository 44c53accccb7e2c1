//! What the goals API and pages both do: read a goal's, a part's and a value's input with every
//! problem named, check who may write (whoever may change the goal's account), write, and
//! record value received and removed parts in the audit log.

use chrono::NaiveDate;
use lodestar_domain::access::Actor;
use lodestar_domain::goal::{EcosystemKind, GoalFields, GoalStatus, PartFields, PartRating, ValueLevel, ValueReceived};
use lodestar_domain::health::Severity;
use lodestar_domain::text::{Label, Name, Note};
use lodestar_domain::vocabulary::AuditKind;
use lodestar_domain::{AccountId, FieldError, GoalId, GoalPartId, Invalid, Valid};
use lodestar_store::{Goal, GoalPart, NewPart, Store, ValueEntry};

use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::checked;

/// A goal's input as text and numbers, before any of it is trusted.
pub(crate) struct GoalInput<'a> {
    pub title: &'a str,
    pub metric: &'a str,
    /// Blank: not known yet.
    pub baseline: &'a str,
    pub target: &'a str,
    pub due_on: Option<NaiveDate>,
    pub severity: Option<u32>,
    /// Blank: in progress.
    pub status: &'a str,
}

fn required<T>(value: Option<T>) -> Result<T, String> {
    value.ok_or_else(|| "is required".to_owned())
}

fn optional_label(text: &str) -> Result<Option<Label>, String> {
    let text = text.trim();
    (!text.is_empty()).then(|| Label::parse(text)).transpose()
}

pub(crate) fn goal_fields(input: GoalInput<'_>) -> Result<Valid<GoalFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let title = checked(&mut errors, "title", Name::parse(input.title));
    let metric = checked(&mut errors, "metric", Label::parse(input.metric));
    let baseline = checked(&mut errors, "baseline", optional_label(input.baseline));
    let target = checked(&mut errors, "target", Label::parse(input.target));
    let due_on = checked(&mut errors, "due_on", required(input.due_on));
    let severity = checked(
        &mut errors,
        "severity",
        required(input.severity).and_then(|s| {
            u8::try_from(s)
                .map_err(|_| format!("{s} is not a severity: 1 (not important) to 5 (on fire)"))
                .and_then(Severity::new)
        }),
    );
    let status = if input.status.trim().is_empty() {
        Some(GoalStatus::Active)
    } else {
        checked(&mut errors, "status", input.status.parse())
    };
    match (title, metric, baseline, target, due_on, severity, status) {
        (Some(title), Some(metric), Some(baseline), Some(target), Some(due_on), Some(severity), Some(status))
            if errors.is_empty() =>
        {
            Ok(GoalFields {
                title,
                metric,
                baseline,
                target,
                due_on,
                severity,
                status,
            }
            .validate()?)
        }
        _ => Err(Invalid { errors }.into()),
    }
}

/// A part of a goal's ecosystem as sent; a blank rating is "not rated yet".
pub(crate) fn new_part(kind: &str, name: &str, metric: &str, rating: &str) -> Result<NewPart, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let kind = checked(&mut errors, "kind", kind.parse::<EcosystemKind>());
    let name = checked(&mut errors, "name", Name::parse(name));
    let metric = checked(&mut errors, "metric", Label::parse(metric));
    let rating = if rating.trim().is_empty() {
        Some(None)
    } else {
        checked(&mut errors, "rating", rating.parse::<PartRating>().map(Some))
    };
    match (kind, name, metric, rating) {
        (Some(kind), Some(name), Some(metric), Some(rating)) if errors.is_empty() => Ok(NewPart {
            fields: PartFields { kind, name, metric },
            rating,
        }),
        _ => Err(Invalid { errors }.into()),
    }
}

pub(crate) fn rating(text: &str) -> Result<PartRating, ApiError> {
    Ok(text.parse().map_err(|e| Invalid::field("rating", e))?)
}

/// Value received as sent: its level, how much (partial value), and a note.
pub(crate) fn value_received(
    level: &str,
    percent: Option<u32>,
    how_much: &str,
    note: &str,
) -> Result<(ValueReceived, Note), ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let level = checked(&mut errors, "level", level.parse::<ValueLevel>());
    let how_much = checked(&mut errors, "how_much", optional_label(how_much));
    let note = checked(&mut errors, "note", Note::parse(note));
    match (level, how_much, note) {
        (Some(level), Some(how_much), Some(note)) if errors.is_empty() => {
            Ok((ValueReceived::new(level, percent, how_much)?, note))
        }
        _ => Err(Invalid { errors }.into()),
    }
}

/// Sets a goal on an account in `actor`'s reach.
pub(crate) async fn create(
    store: &Store,
    actor: &Actor,
    account: AccountId,
    fields: Valid<GoalFields>,
    parts: Vec<NewPart>,
) -> Result<Goal, ApiError> {
    writable(store, actor, account).await?;
    Ok(store.create_goal(account, fields, parts, actor.user).await?)
}

/// The goal, if `actor` may change it (it is on an account they write to).
pub(crate) async fn changeable(store: &Store, actor: &Actor, id: GoalId) -> Result<Goal, ApiError> {
    let goal = store.goal(id).await?;
    writable(store, actor, goal.account_id).await?;
    Ok(goal)
}

pub(crate) async fn update(
    store: &Store,
    actor: &Actor,
    id: GoalId,
    fields: Valid<GoalFields>,
) -> Result<Goal, ApiError> {
    changeable(store, actor, id).await?;
    Ok(store.update_goal(id, fields, actor.user).await?)
}

pub(crate) async fn add_part(store: &Store, actor: &Actor, goal: GoalId, part: NewPart) -> Result<GoalPart, ApiError> {
    changeable(store, actor, goal).await?;
    Ok(store.add_goal_part(goal, part, actor.user).await?)
}

/// The part of `goal`'s ecosystem, if `actor` may change the goal (404 for a part of another
/// goal: the path names both).
pub(crate) async fn changeable_part(
    store: &Store,
    actor: &Actor,
    goal: GoalId,
    part: GoalPartId,
) -> Result<(Goal, GoalPart), ApiError> {
    let found = store.goal_part(part).await?;
    if found.goal_id != goal {
        return Err(ApiError::NotFound(format!("goal {goal} has no ecosystem part {part}")));
    }
    Ok((changeable(store, actor, goal).await?, found))
}

pub(crate) async fn rate_part(
    store: &Store,
    actor: &Actor,
    goal: GoalId,
    part: GoalPartId,
    rating: PartRating,
) -> Result<GoalPart, ApiError> {
    changeable_part(store, actor, goal, part).await?;
    Ok(store.rate_goal_part(part, rating, actor.user).await?)
}

/// Removes a part from a goal's ecosystem and records it in the audit log (a rating history
/// leaves the goal with it).
pub(crate) async fn remove_part(
    state: &AppState,
    origin: &Origin,
    actor: &Actor,
    goal: GoalId,
    part: GoalPartId,
) -> Result<(), ApiError> {
    let (found, _) = changeable_part(&state.store, actor, goal, part).await?;
    let removed = state.store.remove_goal_part(part, actor.user).await?;
    let detail = format!(
        "{} {} from goal \"{}\" of account {}",
        removed.fields.kind.as_str(),
        removed.fields.name,
        found.fields.title,
        found.account_id
    );
    state
        .audit(origin, AuditKind::GoalPartRemoved, Some(format!("goal {goal}")), detail)
        .await
}

/// Records value received on a goal and puts it in the audit log: what a customer got out of
/// a goal is a claim renewals and references are argued from.
pub(crate) async fn record_value(
    state: &AppState,
    origin: &Origin,
    actor: &Actor,
    goal: GoalId,
    value: ValueReceived,
    note: Note,
) -> Result<ValueEntry, ApiError> {
    let found = changeable(&state.store, actor, goal).await?;
    let detail = format!("{} on account {}", value.describe(), found.account_id);
    let entry = state.store.record_value(goal, value, note, actor.user).await?;
    state
        .audit(origin, AuditKind::ValueRecorded, Some(format!("goal {goal}")), detail)
        .await?;
    Ok(entry)
}
