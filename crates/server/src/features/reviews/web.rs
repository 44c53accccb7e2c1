//! The review pages: `/reviews` (accounts overdue for what their experience level promises,
//! business reviews ahead with the sponsor check, each level's entitlements) and `/meetings/{id}/review` (a review's agenda, the
//! gut-check, and the pack shared after it).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use lodestar_domain::MeetingId;
use lodestar_domain::qbr::Agenda;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::{Coverage, RenewalOutlook};
use lodestar_store::{ExperienceLevel, LinkTarget};
use serde::Deserialize;

use super::ops;
use crate::AppState;
use crate::features::customer::links::LinkLine;
use crate::features::customer::review_pack::PackPage;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Choice, Html, SignedIn, back_after_form, book_choices, render};

#[derive(Debug, Deserialize)]
pub(crate) struct BookQuery {
    book: Option<String>,
    page: Option<usize>,
}

/// Overdue accounts per page.
const PAGE: usize = 50;

struct OverdueRow {
    account_id: i64,
    account: String,
    owner: String,
    level: String,
    pooled: bool,
    owed: String,
    last_held: String,
    due_on: String,
    days_overdue: i64,
    next_booked: String,
}

struct UpcomingRow {
    meeting_id: i64,
    account_id: i64,
    account: String,
    owner: String,
    kind: &'static str,
    title: String,
    when: String,
    sponsor_missing: bool,
}

/// A level as the reviews page lists it.
pub(crate) struct LevelRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tiers: String,
    pub(crate) entitlements: String,
    pub(crate) accounts: usize,
}

impl LevelRow {
    pub(crate) fn of(l: &ExperienceLevel) -> LevelRow {
        let tiers: Vec<&str> = l.tiers.iter().map(|t| t.label()).collect();
        LevelRow {
            id: l.id,
            name: l.name.to_string(),
            tiers: if tiers.is_empty() {
                "— (placed by hand)".into()
            } else {
                tiers.join(", ")
            },
            entitlements: l.entitlements.summary(),
            accounts: l.accounts,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "reviews/reviews.html")]
struct ReviewsPage {
    me: User,
    books: Vec<Choice>,
    mine: bool,
    overdue: Vec<OverdueRow>,
    overdue_total: usize,
    first_shown: usize,
    previous_link: Option<String>,
    next_link: Option<String>,
    upcoming: Vec<UpcomingRow>,
    weeks: i64,
    levels: Vec<LevelRow>,
    can_see_levels: bool,
}

/// `GET /reviews`: who is owed a review, and the business reviews ahead.
pub(crate) async fn index(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<BookQuery>,
) -> Result<Html, ApiError> {
    let mine = q.book.as_deref() == Some("mine");
    let owner = mine.then_some(page.user.id);
    let today = state.store.today();
    let now = state.store.now();
    let zone = page.user.time_zone.tz();
    let all_overdue = state.store.overdue_reviews(owner, today).await?;
    let overdue_total = all_overdue.len();
    let page_number = q.page.unwrap_or(0);
    let offset = page_number.saturating_mul(PAGE).min(overdue_total);
    let link = |n: usize| format!("/reviews?book={}&page={n}#overdue", if mine { "mine" } else { "all" });
    let previous_link = (page_number > 0).then(|| link(page_number - 1));
    let next_link = (offset + PAGE < overdue_total).then(|| link(page_number + 1));
    let overdue = all_overdue
        .into_iter()
        .skip(offset)
        .take(PAGE)
        .map(|o| OverdueRow {
            account_id: o.account_id.0,
            account: o.account_name,
            owner: o.owner.unwrap_or_else(|| "—".into()),
            level: o.level,
            pooled: o.coverage == Coverage::Pooled,
            owed: format!("{} every {} days", o.cadence.kind.label(), o.cadence.every_days),
            last_held: o.last_held.map_or_else(|| "never".to_owned(), |d| d.to_string()),
            due_on: o.due_on.to_string(),
            days_overdue: (today - o.due_on).num_days(),
            next_booked: o
                .next_booked
                .map_or_else(String::new, |t| t.with_timezone(&zone).format("%Y-%m-%d").to_string()),
        })
        .collect();
    let upcoming = state
        .store
        .upcoming_reviews(owner, now, now + Duration::weeks(super::AHEAD_WEEKS))
        .await?
        .into_iter()
        .map(|u| UpcomingRow {
            meeting_id: u.meeting_id.0,
            account_id: u.account_id.0,
            account: u.account_name,
            owner: u.owner.unwrap_or_else(|| "—".into()),
            kind: u.kind.label(),
            title: u.title,
            when: u.starts_at.with_timezone(&zone).format("%a %Y-%m-%d %H:%M").to_string(),
            sponsor_missing: u.sponsor_missing,
        })
        .collect();
    let levels = state
        .store
        .experience_levels()
        .await?
        .iter()
        .map(LevelRow::of)
        .collect();
    render(&ReviewsPage {
        books: book_choices(mine),
        mine,
        overdue,
        overdue_total,
        first_shown: offset + 1,
        previous_link,
        next_link,
        upcoming,
        weeks: super::AHEAD_WEEKS,
        levels,
        can_see_levels: page.actor.can_see_team(),
        me: page.user,
    })
}

struct AttendeeLine {
    name: String,
    side: &'static str,
    role: String,
    senior: bool,
}

struct MetricLine {
    label: String,
    shown: String,
    median: String,
    percentile: String,
    low: bool,
}

#[derive(askama::Template)]
#[template(path = "reviews/review.html")]
struct ReviewPage {
    me: User,
    meeting_id: i64,
    account_id: i64,
    kind: &'static str,
    when: String,
    /// The meeting has started: its pack can be shared.
    held: bool,
    cancelled: bool,
    agenda: Agenda,
    sponsor_missing: bool,
    attendees: Vec<AttendeeLine>,
    metrics: Vec<MetricLine>,
    outlook: &'static str,
    outlooks: Vec<(&'static str, &'static str)>,
    customer_attendees: usize,
    pack_shared: Option<String>,
    /// The summary last shared, to start from when sharing again.
    summary: String,
    links: Vec<LinkLine>,
    /// Links just made, with their addresses: shown this once.
    new_links: Vec<(String, String)>,
    can_write: bool,
    problem: Option<String>,
}

async fn review_page(
    state: &AppState,
    page: SignedIn,
    id: MeetingId,
    new_links: Vec<(String, String)>,
) -> Result<Html, ApiError> {
    let review = ops::review(state, id).await?;
    let account = state
        .store
        .account(review.meeting.account_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("the account is gone".into()))?;
    let now = state.store.now();
    let links = state.store.customer_links_to(LinkTarget::ReviewPack(id)).await?;
    let m = &review.meeting;
    let a = &review.agenda;
    render(&ReviewPage {
        meeting_id: id.0,
        account_id: m.account_id.0,
        kind: m.fields.kind.label(),
        when: m
            .fields
            .starts_at
            .with_timezone(&m.fields.time_zone)
            .format("%A %Y-%m-%d %H:%M")
            .to_string()
            + &format!(" ({})", m.fields.time_zone.name()),
        held: m.fields.starts_at <= now,
        cancelled: m.cancelled_at.is_some(),
        sponsor_missing: a.sponsor_missing(),
        attendees: a
            .attendees
            .iter()
            .map(|p| AttendeeLine {
                name: p.name.clone(),
                side: if p.customer { "customer" } else { "us" },
                role: p.role.clone().unwrap_or_default(),
                senior: p.senior,
            })
            .collect(),
        metrics: a
            .usage
            .metrics
            .iter()
            .map(|x| MetricLine {
                label: x.label.clone(),
                shown: x.shown.clone(),
                median: x.median_shown.clone(),
                percentile: x.percentile_said(),
                low: x.percentile.is_some_and(|p| p < lodestar_domain::qbr::LOW_PERCENTILE),
            })
            .collect(),
        outlook: a.contract.outlook.map_or("", |o| o.as_str()),
        outlooks: RenewalOutlook::ALL.iter().map(|o| (o.as_str(), o.label())).collect(),
        customer_attendees: a.attendees.iter().filter(|p| p.customer).count(),
        pack_shared: review.pack.as_ref().map(|p| {
            p.shared_at
                .with_timezone(&page.user.time_zone.tz())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        }),
        summary: review.pack.as_ref().map(|p| p.pack.summary.clone()).unwrap_or_default(),
        links: links.iter().map(|l| LinkLine::of(l, now)).collect(),
        new_links,
        can_write: page.actor.can_write_account(account.fields.owner_id),
        problem: page.flash.for_slot("review"),
        agenda: review.agenda,
        me: page.user,
    })
}

/// `GET /meetings/{id}/review`.
pub(crate) async fn show(State(state): State<AppState>, page: SignedIn, Path(id): Path<i64>) -> Result<Html, ApiError> {
    review_page(&state, page, MeetingId(id), Vec::new()).await
}

fn back_to_review(id: MeetingId, anchor: &str, result: Result<(), ApiError>) -> Result<Response, ApiError> {
    back_after_form(&format!("/meetings/{id}/review"), "review", anchor, result)
}

/// `POST /meetings/{id}/review/outlook`.
pub(crate) async fn set_outlook(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = MeetingId(id);
    let form = FormFields::parse(&body);
    let result = ops::set_outlook(
        &state,
        &signed_in.actor,
        id,
        form.text("renewal_outlook"),
        form.text("outlook_note"),
    )
    .await;
    back_to_review(id, "contract", result.map(drop))
}

/// `POST /meetings/{id}/review/pack`: shares the pack; the new links are shown this once.
pub(crate) async fn share_pack(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = MeetingId(id);
    let form = FormFields::parse(&body);
    let days = form.count("expires_in_days");
    let shared = ops::share_pack(
        &state,
        &signed_in.actor,
        &signed_in.origin,
        &headers,
        id,
        form.text("summary"),
        days,
    )
    .await;
    match shared {
        Ok((_, links)) => {
            let new_links = links.into_iter().map(|(l, url)| (l.contact_name, url)).collect();
            Ok(review_page(&state, signed_in, id, new_links).await?.into_response())
        }
        Err(e) => back_to_review(id, "pack", Err(e)),
    }
}

/// `GET /meetings/{id}/review/pack`: the pack as the customer sees it (to check or print).
pub(crate) async fn preview_pack(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let shared = state
        .store
        .review_pack(MeetingId(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("the pack of meeting {id} has not been shared yet")))?;
    PackPage::of(
        shared.pack,
        shared.shared_at,
        format!("{} (preview)", page.user.fields.name),
    )
    .response()
}
