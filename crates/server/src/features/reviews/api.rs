//! QBRs, EBRs and check-ins on the API: the accounts overdue for what their experience level
//! promises, business reviews ahead
//! with the sponsor check, a review's agenda and gut-check, and its pack.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use lodestar_domain::qbr::{Agenda, QbrPack};
use lodestar_domain::{MeetingId, UserId};
use lodestar_store::{LinkTarget, OverdueReview, Review, UpcomingReview};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops;
use crate::AppState;
use crate::features::plans::api::LinkOutput;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, Problem, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{BookQuery, IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overdue))
        .routes(routes!(upcoming))
        .routes(routes!(get_review))
        .routes(routes!(set_outlook))
        .routes(routes!(get_pack, share_pack))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueOutput {
    account_id: i64,
    account_name: String,
    owner_name: Option<String>,
    /// strategic, enterprise, mid_tier or long_tail; null when the account has none and was
    /// placed in a level by hand.
    tier: Option<&'static str>,
    /// The experience level that entitles the account to the review.
    experience_level: String,
    /// named (the owner holds it) or pooled (anyone of the level's pool does).
    coverage: &'static str,
    /// The review owed: qbr or check_in (a QBR or an EBR keeps both).
    meeting_kind: &'static str,
    every_days: u32,
    /// The day of the last review that kept the cadence.
    last_held: Option<NaiveDate>,
    /// When the next one was due.
    due_on: NaiveDate,
    /// A review already booked, if one is.
    next_booked: Option<DateTime<Utc>>,
}

impl From<OverdueReview> for OverdueOutput {
    fn from(o: OverdueReview) -> Self {
        OverdueOutput {
            account_id: o.account_id.0,
            account_name: o.account_name,
            owner_name: o.owner,
            tier: o.tier.map(|t| t.as_str()),
            experience_level: o.level,
            coverage: o.coverage.as_str(),
            meeting_kind: o.cadence.kind.as_str(),
            every_days: o.cadence.every_days,
            last_held: o.last_held,
            due_on: o.due_on,
            next_booked: o.next_booked,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// One CSM's book; the whole portfolio when left out.
    pub owner_id: Option<i64>,
    /// At most this many (1 to 1,000; 100 when left out).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Skip this many first.
    pub offset: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueList {
    /// How many accounts are overdue in all.
    total: usize,
    /// A page of them, the longest overdue first.
    accounts: Vec<OverdueOutput>,
}

/// The accounts overdue for a review their experience level entitles them to (its QBR or
/// check-in cadence), the longest overdue first, a page at a time; one row per account, for the
/// QBR when both are due. `owner_id` narrows to one CSM's book plus the accounts of the pooled
/// levels whose pool they serve.
#[utoipa::path(get, path = "/api/v1/reviews/overdue", tag = "reviews", params(OverdueQuery),
    responses((status = 200, description = "The accounts overdue", body = OverdueList), ReadProblems),
    security(("bearer" = [])))]
async fn overdue(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<OverdueQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<OverdueList>, ApiError> {
    let Query(q) = query?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(lodestar_domain::Invalid::field("limit", "between 1 and 1000").into());
    }
    let list = state
        .store
        .overdue_reviews(q.owner_id.map(UserId), state.store.today())
        .await?;
    Ok(axum::Json(OverdueList {
        total: list.len(),
        accounts: list
            .into_iter()
            .skip(q.offset.unwrap_or(0) as usize)
            .take(limit as usize)
            .map(Into::into)
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UpcomingOutput {
    meeting_id: i64,
    account_id: i64,
    account_name: String,
    owner_name: Option<String>,
    /// qbr or ebr.
    kind: &'static str,
    title: String,
    starts_at: DateTime<Utc>,
    /// No executive sponsor, decision maker or high-influence contact of the customer is
    /// invited: reschedule, or invite one.
    sponsor_missing: bool,
}

impl From<UpcomingReview> for UpcomingOutput {
    fn from(u: UpcomingReview) -> Self {
        UpcomingOutput {
            meeting_id: u.meeting_id.0,
            account_id: u.account_id.0,
            account_name: u.account_name,
            owner_name: u.owner,
            kind: u.kind.as_str(),
            title: u.title,
            starts_at: u.starts_at,
            sponsor_missing: u.sponsor_missing,
        }
    }
}

/// The QBRs and EBRs of the coming eight weeks, the soonest first, each flagged when no senior
/// person of the customer's is invited; `owner_id` narrows to one CSM's book.
#[utoipa::path(get, path = "/api/v1/reviews/upcoming", tag = "reviews", params(BookQuery),
    responses((status = 200, description = "The business reviews ahead", body = Vec<UpcomingOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn upcoming(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<BookQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<UpcomingOutput>>, ApiError> {
    let Query(q) = query?;
    let now = state.store.now();
    let list = state
        .store
        .upcoming_reviews(q.owner_id.map(UserId), now, now + Duration::weeks(super::AHEAD_WEEKS))
        .await?;
    Ok(axum::Json(list.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessReviewOutput {
    meeting_id: i64,
    account_id: i64,
    /// A QBR or EBR without a senior person of the customer's invited: reschedule, or invite
    /// one.
    sponsor_missing: bool,
    /// The agenda as of today: `attendees`, `goals` (with the ecosystem parts `below`
    /// expectations and the value received), `plan` (state, version, `active` and `done`
    /// tactics), `contract` (ARR, renewal date and days to it, health score and band, the
    /// gut-check `outlook` and `outlook_note`), `usage` (the last four weeks' `metrics`, each
    /// with its `percentile` among the `peers` of the same `segment`), and `recommendations`.
    #[schema(value_type = Object)]
    agenda: Agenda,
    /// When the pack was last shared, if it was.
    pack_shared_at: Option<DateTime<Utc>>,
}

impl From<Review> for BusinessReviewOutput {
    fn from(r: Review) -> Self {
        BusinessReviewOutput {
            meeting_id: r.meeting.id.0,
            account_id: r.meeting.account_id.0,
            sponsor_missing: r.agenda.sponsor_missing(),
            agenda: r.agenda,
            pack_shared_at: r.pack.map(|p| p.shared_at),
        }
    }
}

fn meeting_of(id: IdPath) -> Result<MeetingId, ApiError> {
    Ok(MeetingId(path_id(id)?))
}

/// A QBR's, EBR's or check-in's agenda, assembled from the account's records as of today.
/// Another kind of meeting has none (409).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/review", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, description = "The review", body = BusinessReviewOutput),
        (status = 409, description = "The meeting is not a review: it has no agenda",
            body = Problem, content_type = "application/problem+json"),
        ReadProblems),
    security(("bearer" = [])))]
async fn get_review(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<BusinessReviewOutput>, ApiError> {
    Ok(axum::Json(ops::review(&state, meeting_of(id)?).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutlookBody {
    /// likely, unsure or at_risk; left out or empty to clear.
    #[schema(example = "unsure")]
    renewal_outlook: Option<String>,
    /// Why (internal: never in the pack).
    #[serde(default)]
    outlook_note: String,
}

/// Write the CSM's gut-check of the renewal on a review (internal: never shown to the
/// customer).
#[utoipa::path(put, path = "/api/v1/meetings/{id}/review/outlook", tag = "reviews", params(("id" = i64, Path)),
    request_body = OutlookBody,
    responses((status = 200, description = "Written", body = BusinessReviewOutput), WriteProblems),
    security(("bearer" = [])))]
async fn set_outlook(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<OutlookBody>,
) -> Result<axum::Json<BusinessReviewOutput>, ApiError> {
    let id = meeting_of(id)?;
    ops::changeable(&state, &actor, id).await?;
    let b = body.read()?;
    let review = ops::set_outlook(
        &state,
        &actor,
        id,
        b.renewal_outlook.as_deref().unwrap_or(""),
        &b.outlook_note,
    )
    .await?;
    Ok(axum::Json(review.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PackOutput {
    /// What the customer sees: `goals`, `plan`, `usage` against peers, `renewal_date`, the
    /// `summary` (Markdown) and the `promises` of both sides — frozen when shared.
    #[schema(value_type = Object)]
    pack: QbrPack,
    shared_at: DateTime<Utc>,
    /// Every link to the pack, live, expired and withdrawn.
    links: Vec<LinkOutput>,
}

/// A review's pack as shared, with its links; 404 before it is shared.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/review/pack", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, description = "The pack", body = PackOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_pack(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<PackOutput>, ApiError> {
    let id = meeting_of(id)?;
    let shared = state
        .store
        .review_pack(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("the pack of meeting {id} has not been shared")))?;
    let links = state.store.customer_links_to(LinkTarget::ReviewPack(id)).await?;
    Ok(axum::Json(PackOutput {
        pack: shared.pack,
        shared_at: shared.shared_at,
        links: links.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackShareBody {
    /// What was agreed, for the customer (Markdown).
    #[serde(default)]
    summary: String,
    /// Days the links live: 1 to 180, 30 when left out.
    expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SharedLink {
    link: LinkOutput,
    /// The address to send the contact: it holds the secret and is never shown again.
    url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SharedPackOutput {
    #[schema(value_type = Object)]
    pack: QbrPack,
    shared_at: DateTime<Utc>,
    /// One new link per customer attendee.
    links: Vec<SharedLink>,
}

/// After the meeting, share the pack with the customer's attendees: the pack is frozen (goals,
/// plan, usage against peers, renewal date, the summary, the promises of both sides) and each
/// attendee gets a read-only link of their own. Sharing again refreshes the pack. Refused
/// before the meeting (409) and without customer attendees (422).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/review/pack", tag = "reviews", params(("id" = i64, Path)),
    request_body = PackShareBody,
    responses((status = 201, description = "Shared", body = SharedPackOutput), WriteProblems),
    security(("bearer" = [])))]
async fn share_pack(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    headers: HeaderMap,
    id: IdPath,
    body: Json<PackShareBody>,
) -> Result<(StatusCode, axum::Json<SharedPackOutput>), ApiError> {
    let id = meeting_of(id)?;
    ops::changeable(&state, &actor, id).await?;
    let b = body.read()?;
    let (shared, links) = ops::share_pack(&state, &actor, &origin, &headers, id, &b.summary, b.expires_in_days).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(SharedPackOutput {
            pack: shared.pack,
            shared_at: shared.shared_at,
            links: links
                .into_iter()
                .map(|(link, url)| SharedLink { link: link.into(), url })
                .collect(),
        }),
    ))
}
