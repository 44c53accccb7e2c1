//! What the meetings API and pages both do: read a meeting's and a promise's input with every
//! problem named, check who may write, and write.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use lodestar_domain::access::Actor;
use lodestar_domain::meeting::{MeetingFields, local_start, parse_time_zone};
use lodestar_domain::promise::{PromiseFields, PromiseOwner};
use lodestar_domain::review::ActionText;
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{ActionStatus, MeetingKind};
use lodestar_domain::{AccountId, ContactId, FieldError, Invalid, MeetingId, PromiseId, UserId, Valid};
use lodestar_store::{Meeting, Promise, Store};

use crate::features::accounts::ops::writable;
use crate::http::error::ApiError;
use crate::http::params::{allowed, checked};

/// When a meeting starts: an instant (the API) or a wall-clock day and time in its zone (a form).
pub(crate) enum Start {
    At(Option<DateTime<Utc>>),
    Local {
        day: Option<NaiveDate>,
        time: Option<NaiveTime>,
    },
}

/// A meeting's input as text and numbers, before any of it is trusted.
pub(crate) struct MeetingInput<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub start: Start,
    pub duration_minutes: Option<u32>,
    pub time_zone: &'a str,
    pub notes: &'a str,
    pub users: Vec<i64>,
    pub contacts: Vec<i64>,
}

pub(crate) fn meeting_fields(input: MeetingInput<'_>) -> Result<Valid<MeetingFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let kind = checked(&mut errors, "kind", input.kind.parse::<MeetingKind>());
    let title = checked(&mut errors, "title", Name::parse(input.title));
    let zone = if input.time_zone.trim().is_empty() {
        Some(chrono_tz::UTC)
    } else {
        checked(&mut errors, "time_zone", parse_time_zone(input.time_zone))
    };
    let starts_at = match input.start {
        Start::At(at) => checked(&mut errors, "starts_at", at.ok_or_else(|| "is required".to_owned())),
        Start::Local { day, time } => {
            let day = checked(&mut errors, "date", day.ok_or_else(|| "is required".to_owned()));
            let time = checked(&mut errors, "time", time.ok_or_else(|| "is required".to_owned()));
            match (day, time, zone) {
                (Some(day), Some(time), Some(zone)) => checked(&mut errors, "time", local_start(day, time, zone)),
                _ => None,
            }
        }
    };
    let notes = checked(&mut errors, "notes", Note::parse(input.notes));
    match (kind, title, zone, starts_at, notes) {
        (Some(kind), Some(title), Some(time_zone), Some(starts_at), Some(notes)) if errors.is_empty() => {
            Ok(MeetingFields {
                kind,
                title,
                starts_at,
                duration_minutes: input.duration_minutes.unwrap_or(0),
                time_zone,
                notes,
                users: input.users.into_iter().map(UserId).collect(),
                contacts: input.contacts.into_iter().map(ContactId).collect(),
            }
            .validate()?)
        }
        _ => Err(Invalid { errors }.into()),
    }
}

/// A promise's input: owned by one of our users or one of the customer's contacts.
pub(crate) fn promise_fields(
    description: &str,
    owner_user_id: Option<i64>,
    owner_contact_id: Option<i64>,
    due_on: Option<NaiveDate>,
) -> Result<PromiseFields, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let description = checked(&mut errors, "description", ActionText::parse(description));
    let owner = checked(
        &mut errors,
        "owner",
        match (owner_user_id, owner_contact_id) {
            (Some(u), None) => Ok(PromiseOwner::Us(UserId(u))),
            (None, Some(c)) => Ok(PromiseOwner::Customer(ContactId(c))),
            (Some(_), Some(_)) => Err("one owner: a user of ours or one of the customer's contacts, not both".into()),
            (None, None) => Err("is required: who promised it — a user of ours or a customer contact?".into()),
        },
    );
    let due_on = checked(
        &mut errors,
        "due_on",
        due_on.ok_or_else(|| "is required: by when?".to_owned()),
    );
    match (description, owner, due_on) {
        (Some(description), Some(owner), Some(due_on)) if errors.is_empty() => Ok(PromiseFields {
            description,
            owner,
            due_on,
        }),
        _ => Err(Invalid { errors }.into()),
    }
}

/// Logs a meeting on an account in `actor`'s reach, with its promises.
pub(crate) async fn create(
    store: &Store,
    actor: &Actor,
    account: AccountId,
    fields: Valid<MeetingFields>,
    promises: Vec<PromiseFields>,
) -> Result<Meeting, ApiError> {
    writable(store, actor, account).await?;
    Ok(store.create_meeting(account, fields, promises, actor.user).await?)
}

/// The meeting, if `actor` may change it (it is on an account they write to).
pub(crate) async fn changeable(store: &Store, actor: &Actor, id: MeetingId) -> Result<Meeting, ApiError> {
    let meeting = store.meeting(id).await?;
    writable(store, actor, meeting.account_id).await?;
    Ok(meeting)
}

pub(crate) async fn update(
    store: &Store,
    actor: &Actor,
    id: MeetingId,
    fields: Valid<MeetingFields>,
) -> Result<Meeting, ApiError> {
    changeable(store, actor, id).await?;
    Ok(store.update_meeting(id, fields).await?)
}

pub(crate) async fn cancel(store: &Store, actor: &Actor, id: MeetingId) -> Result<Meeting, ApiError> {
    changeable(store, actor, id).await?;
    Ok(store.cancel_meeting(id).await?)
}

pub(crate) async fn add_promise(
    store: &Store,
    actor: &Actor,
    account: AccountId,
    fields: PromiseFields,
) -> Result<Promise, ApiError> {
    writable(store, actor, account).await?;
    Ok(store.add_promise(account, fields, actor.user).await?)
}

/// Moves a promise: its owner (one of ours) or whoever writes to its account.
pub(crate) async fn set_status(
    store: &Store,
    actor: &Actor,
    id: PromiseId,
    status: ActionStatus,
) -> Result<Promise, ApiError> {
    movable(store, actor, id).await?;
    Ok(store.set_promise_status(id, status).await?)
}

/// The promise, if `actor` may move it.
pub(crate) async fn movable(store: &Store, actor: &Actor, id: PromiseId) -> Result<Promise, ApiError> {
    let promise = store.promise(id).await?;
    let owner = match promise.owner {
        PromiseOwner::Us(user) => Some(user),
        PromiseOwner::Customer(_) => None,
    };
    allowed(
        owner.is_some_and(|o| actor.user == Some(o)) || actor.can_write_account(promise.account_owner_id),
        "only the promise's owner or the account's CSM moves it",
    )?;
    Ok(promise)
}

/// Emails the customer a reminder of their promise, from `actor` (whoever writes to the account).
pub(crate) async fn remind(store: &Store, actor: &Actor, id: PromiseId) -> Result<lodestar_domain::JobId, ApiError> {
    let sender = actor.user.ok_or(ApiError::Forbidden(
        "a reminder comes from a person; an API token has none",
    ))?;
    movable(store, actor, id).await?;
    Ok(store.remind_customer(id, sender).await?)
}
