//! What the 1:1 API and pages both do: the access rules of `lodestar_domain::one_on_one`
//! applied once (a 1:1 someone may not read answers 404, as if it did not exist), the template
//! read with every problem named, goals and their status, and feedback stored without its
//! author.

use chrono::NaiveDate;
use lodestar_domain::UserId;
use lodestar_domain::access::Actor;
use lodestar_domain::one_on_one::{
    CareerGoalFields, CareerGoalStatus, FeedbackFields, FeedbackTopic, OneOnOneFields, may_hold, may_read,
    may_read_feedback, may_see_goals,
};
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::Role;
use lodestar_domain::{FieldError, Invalid};
use lodestar_store::{CareerGoal, OneOnOne};

use crate::AppState;
use crate::http::error::ApiError;
use crate::http::params::checked;

/// Leaders hold 1:1s; asked before a request says with whom.
pub(crate) fn may_lead(actor: &Actor) -> Result<(), ApiError> {
    if actor.role == Role::Leader && actor.user.is_some() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only leaders hold 1:1s, with the people who report to them",
        ))
    }
}

pub(crate) fn may_read_all_feedback(actor: &Actor) -> Result<(), ApiError> {
    if may_read_feedback(actor) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "feedback to leadership is read by leaders and executives",
        ))
    }
}

/// The 1:1 as typed: the day it was held and its three sections.
pub(crate) fn fields(
    today: NaiveDate,
    held_on: &str,
    look_around: &str,
    look_back: &str,
    look_forward: &str,
) -> Result<OneOnOneFields, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let held_on = match held_on.trim() {
        "" => Some(today),
        text => checked(
            &mut errors,
            "held_on",
            text.parse::<NaiveDate>()
                .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)")),
        ),
    };
    let look_around = checked(&mut errors, "look_around", Note::parse(look_around));
    let look_back = checked(&mut errors, "look_back", Note::parse(look_back));
    let look_forward = checked(&mut errors, "look_forward", Note::parse(look_forward));
    match (held_on, look_around, look_back, look_forward) {
        (Some(held_on), Some(look_around), Some(look_back), Some(look_forward)) if errors.is_empty() => {
            let fields = OneOnOneFields {
                held_on,
                look_around,
                look_back,
                look_forward,
            };
            Ok(fields.validate(today)?.into_inner())
        }
        _ => Err(Invalid { errors }.into()),
    }
}

/// The manager of `person`, if `person` is an active user.
async fn manager_of(state: &AppState, person: UserId) -> Result<Option<UserId>, ApiError> {
    let user = state
        .store
        .user(person)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {person} does not exist")))?;
    Ok(user.fields.manager_id)
}

/// Records a 1:1 the leader held with `csm`, who must report to them.
pub(crate) async fn record(
    state: &AppState,
    actor: &Actor,
    csm: UserId,
    fields: OneOnOneFields,
) -> Result<OneOnOne, ApiError> {
    may_lead(actor)?;
    if !may_hold(actor, manager_of(state, csm).await?) {
        return Err(ApiError::Forbidden(
            "a leader holds 1:1s with the people who report to them",
        ));
    }
    let leader = actor.user.expect("may_lead checked it");
    let today = state.store.today();
    Ok(state
        .store
        .record_one_on_one(leader, csm, fields.validate(today)?)
        .await?)
}

/// The 1:1 `id`, for one of the two people in it; 404 for anyone else.
pub(crate) async fn readable(state: &AppState, actor: &Actor, id: i64) -> Result<OneOnOne, ApiError> {
    let one = state.store.one_on_one(id).await;
    match one {
        Ok(one) if may_read(actor, one.leader_id, one.csm_id) => Ok(one),
        Ok(_) | Err(lodestar_store::StoreError::NotFound { .. }) => {
            Err(ApiError::NotFound(format!("1:1 {id} does not exist")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The 1:1 `id`, for the leader who held it.
pub(crate) async fn editable(state: &AppState, actor: &Actor, id: i64) -> Result<OneOnOne, ApiError> {
    may_lead(actor)?;
    let one = readable(state, actor, id).await?;
    if actor.user != Some(one.leader_id) {
        return Err(ApiError::Forbidden("only the leader who held a 1:1 changes it"));
    }
    Ok(one)
}

pub(crate) async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    fields: OneOnOneFields,
) -> Result<OneOnOne, ApiError> {
    editable(state, actor, id).await?;
    let today = state.store.today();
    Ok(state.store.update_one_on_one(id, fields.validate(today)?).await?)
}

/// The 1:1s of `csm` the actor may read (theirs, or those they held).
pub(crate) async fn of_person(state: &AppState, actor: &Actor, csm: UserId) -> Result<Vec<OneOnOne>, ApiError> {
    Ok(state
        .store
        .one_on_ones_of(csm)
        .await?
        .into_iter()
        .filter(|o| may_read(actor, o.leader_id, o.csm_id))
        .collect())
}

/// `person`'s goals, for them and their manager.
pub(crate) async fn goals(state: &AppState, actor: &Actor, person: UserId) -> Result<Vec<CareerGoal>, ApiError> {
    if !may_see_goals(actor, person, manager_of(state, person).await?) {
        return Err(ApiError::Forbidden(
            "long-term goals are the person's and their manager's",
        ));
    }
    Ok(state.store.career_goals(person).await?)
}

pub(crate) async fn add_goal(
    state: &AppState,
    actor: &Actor,
    person: UserId,
    title: &str,
    target_on: &str,
) -> Result<i64, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let title = checked(&mut errors, "title", Name::parse(title));
    let target_on = match target_on.trim() {
        "" => Some(None),
        text => checked(
            &mut errors,
            "target_on",
            text.parse::<NaiveDate>()
                .map(Some)
                .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)")),
        ),
    };
    let (Some(title), Some(target_on)) = (title, target_on) else {
        return Err(Invalid { errors }.into());
    };
    if !may_see_goals(actor, person, manager_of(state, person).await?) {
        return Err(ApiError::Forbidden(
            "long-term goals are the person's and their manager's",
        ));
    }
    Ok(state
        .store
        .add_career_goal(person, CareerGoalFields { title, target_on }, actor.user)
        .await?)
}

pub(crate) async fn set_goal_status(
    state: &AppState,
    actor: &Actor,
    goal: i64,
    status: &str,
    note: &str,
) -> Result<UserId, ApiError> {
    let person = match state.store.career_goal_owner(goal).await {
        Ok(p) if may_see_goals(actor, p, manager_of(state, p).await?) => p,
        Ok(_) | Err(lodestar_store::StoreError::NotFound { .. }) => {
            return Err(ApiError::NotFound(format!("goal {goal} does not exist")));
        }
        Err(e) => return Err(e.into()),
    };
    let mut errors: Vec<FieldError> = Vec::new();
    let status = checked(&mut errors, "status", status.parse::<CareerGoalStatus>());
    let note = checked(&mut errors, "note", Note::parse(note));
    match (status, note) {
        (Some(status), Some(note)) if errors.is_empty() => {
            state
                .store
                .set_career_goal_status(goal, status, &note, actor.user)
                .await?;
            Ok(person)
        }
        _ => Err(Invalid { errors }.into()),
    }
}

/// Stores feedback under a random key; nothing about who sent it is kept or logged, and no
/// audit entry is written.
pub(crate) async fn submit_feedback(state: &AppState, topic: &str, body: &str) -> Result<(), ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let topic = checked(&mut errors, "topic", topic.parse::<FeedbackTopic>());
    let body = checked(&mut errors, "body", Note::parse(body));
    let (Some(topic), Some(body)) = (topic, body) else {
        return Err(Invalid { errors }.into());
    };
    let fields = FeedbackFields { topic, body }.validate()?;
    // A positive 63-bit key: collisions are as likely as guessing it.
    let key = (rand::random::<u64>() >> 1) as i64;
    state.store.submit_feedback(key, fields).await?;
    Ok(())
}
