//! The iCalendar feed itself. Every meeting is one VEVENT whose UID never changes
//! (`meeting-ID@lodestar`), whose SEQUENCE is the meeting's (it rises when the meeting moves or
//! is cancelled), with STATUS:CANCELLED once cancelled, and times as UTC instants — exact in
//! every reader's zone. Notes are not appointments and stay off calendars.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use lodestar_store::{FeedOwner, Meeting, MeetingFilter};

use crate::AppState;
use crate::http::error::ApiError;

/// How far back a feed reaches; calendars keep what they already have.
const FEED_DAYS_BACK: i64 = 90;

pub(crate) fn calendar(name: &str, meetings: &[Meeting]) -> String {
    let mut cal = Calendar::new();
    cal.name(name);
    for m in meetings {
        let mut event = Event::new();
        event
            .uid(&format!("meeting-{}@lodestar", m.id))
            .sequence(u32::try_from(m.sequence).unwrap_or(0))
            .summary(&format!(
                "{} · {} ({})",
                m.fields.title,
                m.account_name,
                m.fields.kind.label()
            ))
            .starts(m.fields.starts_at)
            .ends(m.fields.ends_at())
            .last_modified(m.updated_at)
            .status(if m.cancelled_at.is_some() {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            });
        let people: Vec<&str> = m.attendees.iter().map(|a| a.name()).collect();
        if !people.is_empty() {
            event.description(&format!("With {}", people.join(", ")));
        }
        cal.push(event.done());
    }
    cal.done().to_string()
}

/// `GET /feeds/{secret}.ics`: no session (calendar programs have none); an unknown or revoked
/// secret is a plain 404.
pub(crate) async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound("no such calendar feed".into());
    let secret = file.strip_suffix(".ics").ok_or_else(not_found)?;
    let feed = state.store.calendar_feed_at(secret).await?.ok_or_else(not_found)?;
    let from = state.store.now() - Duration::days(FEED_DAYS_BACK);
    let mut filter = MeetingFilter {
        from: Some(from),
        with_cancelled: true,
        appointments_only: true,
        ..MeetingFilter::default()
    };
    let name = match feed.owner {
        FeedOwner::User(user) => {
            filter.involving = Some(user);
            "Lodestar — my meetings".to_owned()
        }
        FeedOwner::Account(account) => {
            filter.account = Some(account);
            let account = state.store.account(account).await?.ok_or_else(not_found)?;
            format!("Lodestar — {}", account.fields.name)
        }
    };
    let meetings = state.store.meetings_ahead(&filter).await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        calendar(&name, &meetings),
    )
        .into_response())
}
