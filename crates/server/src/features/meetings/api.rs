//! Meetings, notes and promises on the API.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::promise::{PromiseOwner, PromisesKept, Standing, Tally};
use lodestar_domain::vocabulary::ActionStatus;
use lodestar_domain::{AccountId, MeetingId, PromiseId};
use lodestar_store::{Attendee, Meeting, MeetingFilter, Promise, PromiseFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, MeetingInput, Start, meeting_fields, promise_fields};
use crate::AppState;
use crate::features::accounts::ops::existing_in_path;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_meetings, create_meeting))
        .routes(routes!(get_meeting, update_meeting))
        .routes(routes!(cancel_meeting))
        .routes(routes!(list_promises, add_promise))
        .routes(routes!(set_promise_status))
        .routes(routes!(remind_customer))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttendeeOutput {
    /// `user` (our team) or `contact` (the customer's).
    kind: &'static str,
    id: i64,
    name: String,
    email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingOutput {
    id: i64,
    account_id: i64,
    account_name: String,
    #[schema(example = "check_in")]
    kind: String,
    title: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    duration_minutes: u32,
    #[schema(example = "Europe/Berlin")]
    time_zone: String,
    /// Markdown as written.
    notes: String,
    /// The notes as sanitised HTML.
    notes_html: String,
    attendees: Vec<AttendeeOutput>,
    cancelled: bool,
    /// Rises each time the meeting moves or is cancelled (the calendar feed's SEQUENCE).
    sequence: i64,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Meeting> for MeetingOutput {
    fn from(m: Meeting) -> Self {
        MeetingOutput {
            id: m.id.0,
            account_id: m.account_id.0,
            account_name: m.account_name,
            kind: m.fields.kind.as_str().to_owned(),
            title: m.fields.title.to_string(),
            starts_at: m.fields.starts_at,
            ends_at: m.fields.ends_at(),
            duration_minutes: m.fields.duration_minutes,
            time_zone: m.fields.time_zone.name().to_owned(),
            notes_html: super::markdown::render(m.fields.notes.as_str()),
            notes: m.fields.notes.to_string(),
            attendees: m
                .attendees
                .into_iter()
                .map(|a| match a {
                    Attendee::User { id, name, email } => AttendeeOutput {
                        kind: "user",
                        id: id.0,
                        name,
                        email: Some(email),
                    },
                    Attendee::Contact { id, name, email } => AttendeeOutput {
                        kind: "contact",
                        id: id.0,
                        name,
                        email,
                    },
                })
                .collect(),
            cancelled: m.cancelled_at.is_some(),
            sequence: m.sequence,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromiseInput {
    #[schema(example = "Send the renewal proposal")]
    description: String,
    /// One of our users who promised it…
    owner_user_id: Option<i64>,
    /// …or one of the account's contacts.
    owner_contact_id: Option<i64>,
    due_on: Option<NaiveDate>,
}

impl PromiseInput {
    pub(crate) fn fields(&self) -> Result<lodestar_domain::promise::PromiseFields, ApiError> {
        promise_fields(
            &self.description,
            self.owner_user_id,
            self.owner_contact_id,
            self.due_on,
        )
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingBody {
    /// internal_handoff, kickoff, status, check_in, qbr, ebr, retrospective, lxl, one_on_one,
    /// call, email_note or note.
    #[schema(example = "check_in")]
    kind: String,
    title: String,
    starts_at: Option<DateTime<Utc>>,
    /// Minutes (1–720); notes and email notes have none.
    #[serde(default)]
    duration_minutes: Option<u32>,
    /// IANA zone the meeting is planned in; UTC when not given.
    #[serde(default)]
    time_zone: String,
    /// Markdown.
    #[serde(default)]
    notes: String,
    /// Our attendees.
    #[serde(default)]
    user_ids: Vec<i64>,
    /// The customer's attendees (contacts of the account).
    #[serde(default)]
    contact_ids: Vec<i64>,
    /// Promises made in the meeting (on creation only).
    #[serde(default)]
    promises: Vec<PromiseInput>,
}

impl MeetingBody {
    fn fields(&self) -> Result<lodestar_domain::Valid<lodestar_domain::meeting::MeetingFields>, ApiError> {
        meeting_fields(MeetingInput {
            kind: &self.kind,
            title: &self.title,
            start: Start::At(self.starts_at),
            duration_minutes: self.duration_minutes,
            time_zone: &self.time_zone,
            notes: &self.notes,
            users: self.user_ids.clone(),
            contacts: self.contact_ids.clone(),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MeetingQuery {
    /// Include cancelled meetings.
    pub cancelled: Option<bool>,
}

/// An account's meetings and notes, the latest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/meetings", tag = "meetings", params(("id" = i64, Path), MeetingQuery),
    responses((status = 200, description = "The meetings", body = Vec<MeetingOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_meetings(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
    query: Result<Query<MeetingQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<MeetingOutput>>, ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    let Query(q) = query?;
    let filter = MeetingFilter {
        account: Some(id),
        with_cancelled: q.cancelled.unwrap_or(false),
        ..MeetingFilter::default()
    };
    let meetings = state.store.meetings(&filter).await?;
    Ok(axum::Json(meetings.into_iter().map(Into::into).collect()))
}

/// Log a meeting or a note on an account (its CSM, leaders and admins), with the promises made
/// in it; all or nothing.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/meetings", tag = "meetings", params(("id" = i64, Path)),
    request_body = MeetingBody,
    responses((status = 201, description = "Logged", body = MeetingOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_meeting(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<MeetingBody>,
) -> Result<(StatusCode, axum::Json<MeetingOutput>), ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let input = body.read()?;
    let fields = input.fields()?;
    let promises = input
        .promises
        .iter()
        .map(PromiseInput::fields)
        .collect::<Result<Vec<_>, _>>()?;
    let meeting = ops::create(&state.store, &actor, id, fields, promises).await?;
    Ok((StatusCode::CREATED, axum::Json(meeting.into())))
}

/// One meeting.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "meetings", params(("id" = i64, Path)),
    responses((status = 200, description = "The meeting", body = MeetingOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_meeting(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<MeetingOutput>, ApiError> {
    let id = MeetingId(path_id(id)?);
    Ok(axum::Json(state.store.meeting(id).await?.into()))
}

/// Replace a meeting's fields; moving it (start, length or zone) raises its sequence. Promises
/// are managed on their own.
#[utoipa::path(put, path = "/api/v1/meetings/{id}", tag = "meetings", params(("id" = i64, Path)),
    request_body = MeetingBody,
    responses((status = 200, description = "Changed", body = MeetingOutput), WriteProblems),
    security(("bearer" = [])))]
async fn update_meeting(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<MeetingBody>,
) -> Result<axum::Json<MeetingOutput>, ApiError> {
    let id = MeetingId(path_id(id)?);
    ops::changeable(&state.store, &actor, id).await?;
    let input = body.read()?;
    if !input.promises.is_empty() {
        return Err(ApiError::BadRequest {
            field: Some("promises".into()),
            reason: "promises are added with POST /api/v1/accounts/{id}/promises once the meeting exists".into(),
        });
    }
    Ok(axum::Json(
        ops::update(&state.store, &actor, id, input.fields()?).await?.into(),
    ))
}

/// Cancel a meeting: it stays on record and calendars show it cancelled.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/cancel", tag = "meetings", params(("id" = i64, Path)),
    responses((status = 200, description = "Cancelled", body = MeetingOutput), WriteProblems),
    security(("bearer" = [])))]
async fn cancel_meeting(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<axum::Json<MeetingOutput>, ApiError> {
    let id = MeetingId(path_id(id)?);
    Ok(axum::Json(ops::cancel(&state.store, &actor, id).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromiseOutput {
    id: i64,
    account_id: i64,
    account_name: String,
    meeting_id: Option<i64>,
    /// The LxL review that agreed it, if one did.
    review_id: Option<i64>,
    description: String,
    /// `ours` or `theirs`.
    side: &'static str,
    owner_user_id: Option<i64>,
    owner_contact_id: Option<i64>,
    owner_name: String,
    due_on: NaiveDate,
    /// open, done or dropped.
    status: String,
    done_on: Option<NaiveDate>,
    /// open, overdue, kept_on_time, kept_late or dropped, as of today.
    #[schema(value_type = String)]
    standing: Standing,
}

impl PromiseOutput {
    pub(crate) fn of(p: Promise, today: NaiveDate) -> Self {
        let standing = p.standing(today);
        let (side, user, contact) = match p.owner {
            PromiseOwner::Us(u) => ("ours", Some(u.0), None),
            PromiseOwner::Customer(c) => ("theirs", None, Some(c.0)),
        };
        PromiseOutput {
            id: p.id.0,
            account_id: p.account_id.0,
            account_name: p.account_name,
            meeting_id: p.meeting_id.map(|m| m.0),
            review_id: p.review_id.map(|r| r.0),
            description: p.description,
            side,
            owner_user_id: user,
            owner_contact_id: contact,
            owner_name: p.owner_name,
            due_on: p.due_on,
            status: p.status.as_str().to_owned(),
            done_on: p.done_on,
            standing,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromiseTallyOutput {
    on_time: u32,
    late: u32,
    overdue: u32,
    open: u32,
    dropped: u32,
}

impl From<Tally> for PromiseTallyOutput {
    fn from(t: Tally) -> Self {
        PromiseTallyOutput {
            on_time: t.on_time,
            late: t.late,
            overdue: t.overdue,
            open: t.open,
            dropped: t.dropped,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountPromises {
    items: Vec<PromiseOutput>,
    /// Every promise of ours on the account, by standing today.
    ours: PromiseTallyOutput,
    /// Every promise of the customer's, by standing today.
    theirs: PromiseTallyOutput,
    /// The health measure's facts: promises due in the last 90 days, kept on time.
    #[schema(example = "we kept 7 of 8, they kept 2 of 5 in the last 90 days")]
    kept: String,
}

/// The account's promises, both sides, the soonest due first, with each side's record.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/promises", tag = "meetings", params(("id" = i64, Path)),
    responses((status = 200, description = "The promises", body = AccountPromises), ReadProblems),
    security(("bearer" = [])))]
async fn list_promises(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<AccountPromises>, ApiError> {
    let id: AccountId = existing_in_path(&state.store, id).await?;
    let today = state.store.today();
    let promises = state
        .store
        .promises(&PromiseFilter {
            account: Some(id),
            ..PromiseFilter::default()
        })
        .await?;
    let (ours, theirs, kept) = tallies(&promises, today);
    Ok(axum::Json(AccountPromises {
        items: promises.into_iter().map(|p| PromiseOutput::of(p, today)).collect(),
        ours: ours.into(),
        theirs: theirs.into(),
        kept: kept.describe(),
    }))
}

/// Each side's record over all of `promises`, and the 90-day "promises kept" figure.
pub(crate) fn tallies(promises: &[Promise], today: NaiveDate) -> (Tally, Tally, PromisesKept) {
    let (mut ours, mut theirs) = (Tally::default(), Tally::default());
    for p in promises {
        match p.owner {
            PromiseOwner::Us(_) => ours.add(p.standing(today)),
            PromiseOwner::Customer(_) => theirs.add(p.standing(today)),
        }
    }
    let facts = promises.iter().map(|p| lodestar_domain::promise::PromiseFact {
        side: p.owner.side(),
        status: p.status,
        due_on: p.due_on,
        done_on: p.done_on,
    });
    (ours, theirs, PromisesKept::over(facts, today))
}

/// Record a promise outside a meeting (the account's CSM, leaders and admins).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/promises", tag = "meetings", params(("id" = i64, Path)),
    request_body = PromiseInput,
    responses((status = 201, description = "Recorded", body = PromiseOutput), WriteProblems),
    security(("bearer" = [])))]
async fn add_promise(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<PromiseInput>,
) -> Result<(StatusCode, axum::Json<PromiseOutput>), ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    crate::features::accounts::ops::writable(&state.store, &actor, id).await?;
    let fields = body.read()?.fields()?;
    let promise = ops::add_promise(&state.store, &actor, id, fields).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(PromiseOutput::of(promise, state.store.today())),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromiseStatusInput {
    /// open, done or dropped.
    #[schema(example = "done")]
    status: String,
}

/// Mark a promise done (today), dropped, or open again: its owner, or whoever writes to the
/// account. A promise of ours finishes its task too.
#[utoipa::path(post, path = "/api/v1/promises/{id}/status", tag = "meetings", params(("id" = i64, Path)),
    request_body = PromiseStatusInput,
    responses((status = 200, description = "Moved", body = PromiseOutput), WriteProblems),
    security(("bearer" = [])))]
async fn set_promise_status(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<PromiseStatusInput>,
) -> Result<axum::Json<PromiseOutput>, ApiError> {
    let id = PromiseId(path_id(id)?);
    ops::movable(&state.store, &actor, id).await?;
    let status: ActionStatus = body
        .read()?
        .status
        .parse()
        .map_err(|e| lodestar_domain::Invalid::field("status", e))?;
    let promise = ops::set_status(&state.store, &actor, id, status).await?;
    Ok(axum::Json(PromiseOutput::of(promise, state.store.today())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReminderOutput {
    /// The email job (see `/api/v1/jobs`).
    job_id: i64,
}

/// Email the customer contact who owns an open promise a reminder of it (whoever writes to the
/// account; once a day per promise). 409 when this server sends no email, the promise is ours or
/// closed, or it was reminded today; 422 when the contact has no email address.
#[utoipa::path(post, path = "/api/v1/promises/{id}/remind", tag = "meetings", params(("id" = i64, Path)),
    responses((status = 202, description = "The reminder is queued", body = ReminderOutput), WriteProblems),
    security(("bearer" = [])))]
async fn remind_customer(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<(StatusCode, axum::Json<ReminderOutput>), ApiError> {
    let id = PromiseId(path_id(id)?);
    let job = ops::remind(&state.store, &actor, id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(ReminderOutput { job_id: job.0 })))
}
