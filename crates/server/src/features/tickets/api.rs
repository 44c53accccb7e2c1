//! Tickets and requests on the API: an account's tickets with its support numbers, the
//! Zendesk webhook (tag `tickets`); bugs and feature requests — created from an account,
//! linked to more, moved by hand or by the Jira webhook, ranked by ARR demand (tag
//! `requests`).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::ticket::TicketStats;
use lodestar_domain::{AccountId, ContactId, Invalid, RequestId};
use lodestar_store::{ProductRequest, RequestAccount, StatusChange, TICKETS_PER_PAGE, Ticket};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, request_fields};
use super::webhooks::{
    JIRA_SIGNATURE_HEADER, JiraEvent, ZENDESK_SECRET_HEADER, ZendeskEvent, payload, same_secret, signed,
};
use crate::AppState;
use crate::features::accounts::ops::{existing_in_path, writable};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account_tickets))
        .routes(routes!(zendesk_webhook))
        .routes(routes!(account_requests, create_request))
        .routes(routes!(list_requests))
        .routes(routes!(get_request))
        .routes(routes!(link_account))
        .routes(routes!(set_status))
        .routes(routes!(jira_webhook))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketOutput {
    id: i64,
    /// The help desk's id (Zendesk's ticket id).
    #[schema(example = "35436")]
    external_id: String,
    account_id: i64,
    subject: String,
    /// new, open, pending, hold, solved or closed.
    #[schema(example = "open")]
    status: &'static str,
    /// low, normal, high or urgent.
    #[schema(example = "high")]
    priority: &'static str,
    requester_email: Option<String>,
    tags: Vec<String>,
    opened_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    solved_at: Option<DateTime<Utc>>,
}

impl From<Ticket> for TicketOutput {
    fn from(t: Ticket) -> Self {
        let f = t.fields;
        TicketOutput {
            id: t.id.0,
            external_id: f.external_id.to_string(),
            account_id: f.account_id.0,
            subject: f.subject.to_string(),
            status: f.status.as_str(),
            priority: f.priority.as_str(),
            requester_email: f.requester_email.map(|e| e.to_string()),
            tags: f.tags.into_iter().map(String::from).collect(),
            opened_at: f.opened_at,
            updated_at: f.updated_at,
            solved_at: t.solved_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicOutput {
    #[schema(example = "sso")]
    tag: String,
    /// Tickets opened in the last 90 days that carry it.
    tickets: usize,
}

/// An account's support numbers.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketSummary {
    open: usize,
    /// Open tickets of high or urgent priority.
    open_urgent: usize,
    /// Open tickets weighted by priority (low ½, normal 1, high 2, urgent 4): the health
    /// measure `support_load`.
    load: f64,
    oldest_open_days: Option<i64>,
    median_open_hours: Option<i64>,
    /// Median hours from opened to solved, of the tickets solved in the last 90 days.
    median_solve_hours: Option<i64>,
    solved_last_90_days: usize,
    /// The most frequent tags of the last 90 days, most first.
    top_topics: Vec<TopicOutput>,
}

impl From<TicketStats> for TicketSummary {
    fn from(s: TicketStats) -> Self {
        TicketSummary {
            open: s.open,
            open_urgent: s.open_urgent,
            load: s.load,
            oldest_open_days: s.oldest_open_days,
            median_open_hours: s.median_open_hours,
            median_solve_hours: s.median_solve_hours,
            solved_last_90_days: s.solved_recently,
            top_topics: s
                .top_tags
                .into_iter()
                .map(|(tag, tickets)| TopicOutput { tag, tickets })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountTickets {
    summary: TicketSummary,
    /// A page of tickets: open ones first, then the newest.
    tickets: Vec<TicketOutput>,
    page: i64,
    per_page: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// 0-based page number.
    #[serde(default)]
    page: Option<u32>,
}

type PageParams = Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>;

fn page_of(query: PageParams) -> Result<u32, ApiError> {
    let Query(q) = query?;
    Ok(q.page.unwrap_or(0))
}

/// An account's support tickets and numbers: open count, wait times, top topics.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/tickets", tag = "tickets",
    params(("id" = i64, Path), PageQuery),
    responses((status = 200, description = "The tickets", body = AccountTickets), ReadProblems),
    security(("bearer" = [])))]
async fn account_tickets(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
    query: PageParams,
) -> Result<axum::Json<AccountTickets>, ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    let page = i64::from(page_of(query)?);
    let summary = state.store.ticket_stats(id).await?.into();
    let tickets = state.store.tickets_of_account(id, page).await?;
    Ok(axum::Json(AccountTickets {
        summary,
        tickets: tickets.into_iter().map(Into::into).collect(),
        page,
        per_page: TICKETS_PER_PAGE,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketReceipt {
    ticket: TicketOutput,
    /// false when the ticket was known and has been updated.
    created: bool,
}

/// Receive a Zendesk ticket event (`{"type": "zen:event-type:ticket.…", "detail": {id,
/// subject, status, priority, created_at, updated_at, tags, requester: {email}, organization:
/// {external_id}}}`). The shared secret goes in `X-Lodestar-Webhook-Secret` (401 without it).
/// The ticket lands on the account whose external id is the organization's, else on the
/// account of a contact with the requester's email; sending it again updates it.
#[utoipa::path(post, path = "/api/v1/webhooks/zendesk", tag = "tickets",
    params(("X-Lodestar-Webhook-Secret" = String, Header, description = "The shared secret set with LODESTAR_ZENDESK_SECRET")),
    request_body(content = inline(serde_json::Value), description = "A Zendesk ticket event"),
    responses((status = 200, description = "Stored", body = TicketReceipt), WriteProblems))]
async fn zendesk_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<TicketReceipt>, ApiError> {
    let given = headers
        .get(ZENDESK_SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match state.config.zendesk_secret.as_deref() {
        Some(secret) if same_secret(secret, given) => {}
        _ => return Err(ApiError::Unauthenticated),
    }
    let event: ZendeskEvent = payload(&body)?;
    let ticket = &event.detail;
    let requester = ticket.requester_email()?;
    let account = state
        .store
        .ticket_account(ticket.organization_external_id(), requester.as_ref())
        .await?
        .ok_or_else(|| {
            Invalid::field(
                "detail.organization.external_id",
                "no account has this external id, and no contact has the requester's email",
            )
        })?;
    let fields = ticket.fields(account)?;
    let key = fields.external_id.clone();
    let written = state.store.upsert_tickets(vec![fields]).await?;
    let stored = state
        .store
        .ticket_by_external_id(&key)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("ticket {key} vanished after it was written")))?;
    tracing::info!(ticket = %key, event = event.kind.as_deref().unwrap_or("-"), "zendesk webhook");
    Ok(axum::Json(TicketReceipt {
        ticket: stored.into(),
        created: written.created == 1,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AskingAccount {
    account_id: i64,
    name: String,
    /// ARR in the account's currency units (cents).
    arr_cents: i64,
    renewal_date: Option<NaiveDate>,
    owner_id: Option<i64>,
    owner_name: Option<String>,
}

impl From<RequestAccount> for AskingAccount {
    fn from(a: RequestAccount) -> Self {
        AskingAccount {
            account_id: a.account_id.0,
            name: a.name,
            arr_cents: a.arr.0,
            renewal_date: a.renewal_date,
            owner_id: a.owner_id.map(|u| u.0),
            owner_name: a.owner,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestOutput {
    id: i64,
    #[schema(example = "SAML single sign-on")]
    title: String,
    /// bug or feature.
    #[schema(example = "feature")]
    kind: &'static str,
    detail: String,
    #[schema(example = "PROD-142")]
    jira_key: Option<String>,
    /// open, planned, in_progress, shipped or declined.
    #[schema(example = "in_progress")]
    status: &'static str,
    shipped_at: Option<DateTime<Utc>>,
    /// The ARR of the asking accounts, summed (cents).
    demand_cents: i64,
    /// The accounts that asked for it, the largest ARR first.
    accounts: Vec<AskingAccount>,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ProductRequest> for RequestOutput {
    fn from(r: ProductRequest) -> Self {
        RequestOutput {
            demand_cents: r.demand().0,
            id: r.id.0,
            title: r.fields.title.to_string(),
            kind: r.fields.kind.as_str(),
            detail: r.fields.detail.to_string(),
            jira_key: r.fields.jira_key.map(String::from),
            status: r.status.as_str(),
            shipped_at: r.shipped_at,
            accounts: r.accounts.into_iter().map(Into::into).collect(),
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusOutput {
    request: RequestOutput,
    /// When it shipped just now: the accounts whose CSM was told, in the order they were
    /// (renewals within 90 days first).
    told_account_ids: Vec<i64>,
}

impl From<StatusChange> for StatusOutput {
    fn from(c: StatusChange) -> Self {
        StatusOutput {
            request: c.request.into(),
            told_account_ids: c.told.into_iter().map(|a| a.0).collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    #[schema(example = "SAML single sign-on")]
    title: String,
    /// bug or feature (the default).
    #[serde(default)]
    kind: Option<String>,
    /// What the customer needs and why.
    #[serde(default)]
    detail: Option<String>,
    /// The Jira issue that tracks it; its webhook then moves the request.
    #[serde(default)]
    jira_key: Option<String>,
    /// The account's contact who asked, when known: their champion health counts it.
    #[serde(default)]
    asked_by_contact_id: Option<i64>,
}

/// The requests an account asked for: open ones first, then the newest.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/requests", tag = "requests", params(("id" = i64, Path)),
    responses((status = 200, description = "The requests", body = Vec<RequestOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn account_requests(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<RequestOutput>>, ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    let found = state.store.requests_of_account(id).await?;
    Ok(axum::Json(found.into_iter().map(Into::into).collect()))
}

/// Write down a bug or feature request the account asked for (its CSM, leaders and admins).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/requests", tag = "requests", params(("id" = i64, Path)),
    request_body = RequestBody,
    responses((status = 201, description = "Created", body = RequestOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_request(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<RequestBody>,
) -> Result<(StatusCode, axum::Json<RequestOutput>), ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    writable(&state.store, &actor, id).await?;
    let b = body.read()?;
    let fields = request_fields(
        &b.title,
        b.kind.as_deref().unwrap_or_default(),
        b.detail.as_deref().unwrap_or_default(),
        b.jira_key.as_deref().unwrap_or_default(),
    )?;
    let asked_by = b.asked_by_contact_id.map(ContactId);
    let created = ops::create(&state.store, &actor, id, asked_by, fields).await?;
    Ok((StatusCode::CREATED, axum::Json(created.into())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestsPage {
    /// Open requests (neither shipped nor declined), the largest ARR demand first.
    requests: Vec<RequestOutput>,
    page: u32,
    /// Whether another page follows.
    more: bool,
}

/// The product view: open requests ranked by the ARR of the accounts asking for them.
#[utoipa::path(get, path = "/api/v1/requests", tag = "requests", params(PageQuery),
    responses((status = 200, description = "The ranking", body = RequestsPage), ReadProblems),
    security(("bearer" = [])))]
async fn list_requests(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: PageParams,
) -> Result<axum::Json<RequestsPage>, ApiError> {
    let page = page_of(query)?;
    let (found, more) = state.store.open_requests_by_demand(page as usize).await?;
    Ok(axum::Json(RequestsPage {
        requests: found.into_iter().map(Into::into).collect(),
        page,
        more,
    }))
}

/// One request with the accounts that asked for it.
#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "requests", params(("id" = i64, Path)),
    responses((status = 200, description = "The request", body = RequestOutput), ReadProblems),
    security(("bearer" = [])))]
async fn get_request(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<RequestOutput>, ApiError> {
    let id = RequestId(path_id(id)?);
    Ok(axum::Json(state.store.request(id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// Another account that asks for it (one the caller may change).
    account_id: i64,
    /// The contact there who asked, when known.
    #[serde(default)]
    asked_by_contact_id: Option<i64>,
}

/// Link one more asking account to a request (409 when it is linked already).
#[utoipa::path(post, path = "/api/v1/requests/{id}/accounts", tag = "requests", params(("id" = i64, Path)),
    request_body = LinkBody,
    responses((status = 200, description = "Linked", body = RequestOutput), WriteProblems),
    security(("bearer" = [])))]
async fn link_account(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<LinkBody>,
) -> Result<axum::Json<RequestOutput>, ApiError> {
    let id = RequestId(path_id(id)?);
    ops::may_move(&actor)?;
    let b = body.read()?;
    let asked_by = b.asked_by_contact_id.map(ContactId);
    let linked = ops::link(&state.store, &actor, id, AccountId(b.account_id), asked_by).await?;
    Ok(axum::Json(linked.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// open, planned, in_progress, shipped or declined (Jira's names are accepted too).
    #[schema(example = "shipped")]
    status: String,
}

/// Move a request by hand. Shipping it tells each asking account's CSM (a notification and a
/// task), the accounts renewing within 90 days first.
#[utoipa::path(post, path = "/api/v1/requests/{id}/status", tag = "requests", params(("id" = i64, Path)),
    request_body = StatusBody,
    responses((status = 200, description = "Moved", body = StatusOutput), WriteProblems),
    security(("bearer" = [])))]
async fn set_status(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<StatusBody>,
) -> Result<axum::Json<StatusOutput>, ApiError> {
    let id = RequestId(path_id(id)?);
    ops::may_move(&actor)?;
    let status = ops::status(&body.read()?.status)?;
    Ok(axum::Json(
        ops::set_status(&state.store, &actor, id, status).await?.into(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JiraReceipt {
    /// The request the issue tracks; null when none does (the event is then ignored).
    request: Option<StatusOutput>,
}

/// Receive a Jira issue event (`{"webhookEvent": "jira:issue_updated", "issue": {"key":
/// "PROD-142", "fields": {"status": {"name": "Done", "statusCategory": {"key": "done"}}}}}`),
/// signed with the shared secret: `X-Hub-Signature: sha256=` and the hex HMAC-SHA256 of the
/// body (401 when it does not match). The request the issue tracks takes its status.
#[utoipa::path(post, path = "/api/v1/webhooks/jira", tag = "requests",
    params(("X-Hub-Signature" = String, Header, description = "sha256=HMAC-SHA256(body, LODESTAR_JIRA_SECRET) in hex")),
    request_body(content = inline(serde_json::Value), description = "A Jira issue event"),
    responses((status = 200, description = "Applied, or ignored when no request has the issue's key", body = JiraReceipt), WriteProblems))]
async fn jira_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<JiraReceipt>, ApiError> {
    let signature = headers
        .get(JIRA_SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match state.config.jira_secret.as_deref() {
        Some(secret) if signed(secret, &body, signature) => {}
        _ => return Err(ApiError::Unauthenticated),
    }
    let event: JiraEvent = payload(&body)?;
    let key = event.key()?;
    let status = event.status()?;
    // A deleted issue says nothing about whether the request shipped.
    let request = if event.event == "jira:issue_deleted" {
        None
    } else {
        state.store.request_by_jira_key(&key).await?
    };
    let Some(request) = request else {
        tracing::info!(issue = %key, event = %event.event, "jira webhook ignored");
        return Ok(axum::Json(JiraReceipt { request: None }));
    };
    let change = state.store.set_request_status(request.id, status, None).await?;
    Ok(axum::Json(JiraReceipt {
        request: Some(change.into()),
    }))
}
