//! The calendar page: the coming weeks of meetings across one's book, and one's feed.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate};
use lodestar_domain::AccountId;
use lodestar_domain::user::User;
use lodestar_store::{FeedOwner, MeetingFilter};

use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::features::meetings::web::MeetingRow;
use crate::http::error::ApiError;
use crate::http::pages::{SignedIn, render};

/// How many weeks the calendar page shows.
const WEEKS_AHEAD: i64 = 4;

/// A day of the calendar: its meetings, each with its account's id and name.
type Day = (NaiveDate, Vec<(i64, String, MeetingRow)>);

#[derive(askama::Template)]
#[template(path = "calendar/calendar.html")]
struct CalendarPage {
    me: User,
    days: Vec<Day>,
    until: NaiveDate,
    feed_url: Option<String>,
}

pub(crate) async fn calendar(
    State(state): State<AppState>,
    SignedIn { user: me, .. }: SignedIn,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let today = state.store.today();
    let until = today + Duration::weeks(WEEKS_AHEAD);
    let meetings = state
        .store
        .meetings_ahead(&MeetingFilter {
            involving: Some(me.id),
            from: Some(today.and_time(chrono::NaiveTime::MIN).and_utc()),
            to: Some(until.and_time(chrono::NaiveTime::MIN).and_utc()),
            appointments_only: true,
            ..MeetingFilter::default()
        })
        .await?;
    let mut days: Vec<Day> = Vec::new();
    for m in &meetings {
        let day = m.fields.starts_at.with_timezone(&m.fields.time_zone).date_naive();
        let row = (
            m.account_id.0,
            m.account_name.clone(),
            MeetingRow::of(m, state.store.now()),
        );
        match days.last_mut() {
            Some((d, rows)) if *d == day => rows.push(row),
            _ => days.push((day, vec![row])),
        }
    }
    let feed = state.store.calendar_feed(FeedOwner::User(me.id)).await?;
    let page = CalendarPage {
        feed_url: feed.map(|f| super::feed_url(&state, &headers, &f)),
        me,
        days,
        until,
    };
    Ok(render(&page)?.into_response())
}

pub(crate) async fn renew(
    State(state): State<AppState>,
    SignedIn { user: me, .. }: SignedIn,
) -> Result<Response, ApiError> {
    super::renew(&state.store, FeedOwner::User(me.id)).await?;
    Ok(Redirect::to("/calendar#feed").into_response())
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    SignedIn { user: me, .. }: SignedIn,
) -> Result<Response, ApiError> {
    state.store.revoke_calendar_feed(FeedOwner::User(me.id)).await?;
    Ok(Redirect::to("/calendar#feed").into_response())
}

pub(crate) async fn renew_account(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    writable(&state.store, &actor, account).await?;
    super::renew(&state.store, FeedOwner::Account(account)).await?;
    Ok(Redirect::to(&format!("/accounts/{id}#account-feed")).into_response())
}

pub(crate) async fn revoke_account(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    writable(&state.store, &actor, account).await?;
    state.store.revoke_calendar_feed(FeedOwner::Account(account)).await?;
    Ok(Redirect::to(&format!("/accounts/{id}#account-feed")).into_response())
}
