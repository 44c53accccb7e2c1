//! Tickets and requests in the web UI: the account page's "Support and requests" section
//! (support numbers, recent tickets, the account's requests; a request written down or an
//! open one linked), the account's tickets page by page, and the product view ranking open
//! requests by ARR demand, where they are moved by hand.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lodestar_domain::access::Actor;
use lodestar_domain::ticket::hours_in_words;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::{RequestKind, RequestStatus};
use lodestar_domain::{AccountId, RequestId};
use lodestar_store::{ProductRequest, Store, TICKETS_PER_PAGE, Ticket};
use serde::Deserialize;

use super::ops;
use crate::AppState;
use crate::features::accounts::ops::{existing, writable};
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, back_after_form, render};

/// Where a request form's problem is shown after its redirect: the account's section, or the
/// product view.
const SLOT: &str = "requests_error";

/// Tickets the account page shows before "all tickets".
const TICKETS_ON_ACCOUNT_PAGE: usize = 5;

pub(crate) struct TicketLine {
    pub(crate) external_id: String,
    pub(crate) subject: String,
    pub(crate) status: &'static str,
    pub(crate) open: bool,
    pub(crate) priority: &'static str,
    pub(crate) urgent: bool,
    pub(crate) tags: String,
    pub(crate) opened: String,
    pub(crate) requester: String,
}

impl TicketLine {
    fn of(t: &Ticket) -> TicketLine {
        let f = &t.fields;
        TicketLine {
            external_id: f.external_id.to_string(),
            subject: f.subject.to_string(),
            status: f.status.label(),
            open: f.status.is_open(),
            priority: f.priority.label(),
            urgent: matches!(
                f.priority,
                lodestar_domain::vocabulary::TicketPriority::High | lodestar_domain::vocabulary::TicketPriority::Urgent
            ),
            tags: f.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "),
            opened: f.opened_at.date_naive().to_string(),
            requester: f.requester_email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
        }
    }
}

/// An account's support numbers in words.
pub(crate) struct SupportNumbers {
    pub(crate) open: usize,
    pub(crate) open_urgent: usize,
    pub(crate) load: String,
    pub(crate) oldest_open: String,
    pub(crate) median_open: String,
    pub(crate) median_solve: String,
    pub(crate) topics: Vec<(String, usize)>,
}

pub(crate) struct RequestLine {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) kind: &'static str,
    pub(crate) detail: String,
    pub(crate) status: &'static str,
    pub(crate) status_label: &'static str,
    pub(crate) open: bool,
    pub(crate) jira_key: String,
    pub(crate) demand: String,
    pub(crate) accounts: Vec<(i64, String)>,
}

impl RequestLine {
    fn of(r: &ProductRequest) -> RequestLine {
        RequestLine {
            id: r.id.0,
            title: r.fields.title.to_string(),
            kind: r.fields.kind.label(),
            detail: r.fields.detail.to_string(),
            status: r.status.as_str(),
            status_label: r.status.label(),
            open: r.status.is_open(),
            jira_key: r.fields.jira_key.as_ref().map(|k| k.to_string()).unwrap_or_default(),
            demand: r.demand().whole_dollars(),
            accounts: r.accounts.iter().map(|a| (a.account_id.0, a.name.clone())).collect(),
        }
    }
}

fn pairs<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| (value(*v), label(*v))).collect()
}

/// The "Support and requests" part of the account page.
pub(crate) struct AccountSupport {
    pub(crate) numbers: SupportNumbers,
    pub(crate) tickets: Vec<TicketLine>,
    /// More tickets than shown: link to all of them.
    pub(crate) more_tickets: bool,
    pub(crate) requests: Vec<RequestLine>,
    /// Open requests of other accounts this one could be linked to: (id, title).
    pub(crate) linkable: Vec<(i64, String)>,
    pub(crate) kinds: Vec<(&'static str, &'static str)>,
    pub(crate) error: Option<String>,
}

fn numbers(stats: lodestar_domain::ticket::TicketStats) -> SupportNumbers {
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    SupportNumbers {
        open: stats.open,
        open_urgent: stats.open_urgent,
        load: format!("{:.1}", stats.load),
        oldest_open: or_dash(stats.oldest_open_days.map(|d| format!("{d} days"))),
        median_open: or_dash(stats.median_open_hours.map(hours_in_words)),
        median_solve: or_dash(stats.median_solve_hours.map(hours_in_words)),
        topics: stats.top_tags,
    }
}

pub(crate) async fn account_support(
    store: &Store,
    account: AccountId,
    error: Option<String>,
) -> Result<AccountSupport, ApiError> {
    let tickets = store.tickets_of_account(account, 0).await?;
    let requests = store.requests_of_account(account).await?;
    let (open, _) = store.open_requests_by_demand(0).await?;
    let linkable = open
        .iter()
        .filter(|r| !r.accounts.iter().any(|a| a.account_id == account))
        .map(|r| (r.id.0, r.fields.title.to_string()))
        .collect();
    Ok(AccountSupport {
        numbers: numbers(store.ticket_stats(account).await?),
        more_tickets: tickets.len() > TICKETS_ON_ACCOUNT_PAGE,
        tickets: tickets
            .iter()
            .take(TICKETS_ON_ACCOUNT_PAGE)
            .map(TicketLine::of)
            .collect(),
        requests: requests.iter().map(RequestLine::of).collect(),
        linkable,
        kinds: pairs(RequestKind::ALL, RequestKind::as_str, RequestKind::label),
        error,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    #[serde(default)]
    page: Option<u32>,
}

#[derive(askama::Template)]
#[template(path = "tickets/tickets.html")]
struct TicketsPage {
    me: User,
    id: i64,
    name: String,
    numbers: SupportNumbers,
    tickets: Vec<TicketLine>,
    page: i64,
    more: bool,
}

/// An account's tickets, a page at a time.
pub(crate) async fn account_tickets(
    State(state): State<AppState>,
    SignedIn { user: me, .. }: SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Html, ApiError> {
    let account = existing(&state.store, AccountId(id)).await?;
    let page = i64::from(q.page.unwrap_or(0));
    let tickets = state.store.tickets_of_account(account.id, page).await?;
    render(&TicketsPage {
        me,
        id,
        name: account.fields.name.to_string(),
        numbers: numbers(state.store.ticket_stats(account.id).await?),
        more: tickets.len() as i64 == TICKETS_PER_PAGE,
        tickets: tickets.iter().map(TicketLine::of).collect(),
        page,
    })
}

#[derive(askama::Template)]
#[template(path = "tickets/requests.html")]
struct RequestsPage {
    me: User,
    can_move: bool,
    rows: Vec<RequestLine>,
    statuses: Vec<(&'static str, &'static str)>,
    /// The rank of the first row.
    first: usize,
    page: usize,
    more: bool,
    error: Option<String>,
}

/// The product view: open requests, the largest ARR demand first.
pub(crate) async fn requests(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
    Query(q): Query<PageQuery>,
) -> Result<Html, ApiError> {
    let page = q.page.unwrap_or(0) as usize;
    let (found, more) = state.store.open_requests_by_demand(page).await?;
    render(&RequestsPage {
        me,
        can_move: actor.can_write_some_account(),
        rows: found.iter().map(RequestLine::of).collect(),
        statuses: pairs(RequestStatus::ALL, RequestStatus::as_str, RequestStatus::label),
        first: page * lodestar_store::REQUESTS_PER_PAGE + 1,
        page,
        more,
        error: flash.for_slot(SLOT),
    })
}

fn back_to_account(account: AccountId, result: Result<(), ApiError>) -> Result<Response, ApiError> {
    back_after_form(&format!("/accounts/{account}"), SLOT, "requests", result)
}

pub(crate) async fn create_request(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    writable(&state.store, &actor, account).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let fields = ops::request_fields(
            form.text("title"),
            form.text("kind"),
            form.text("detail"),
            form.text("jira_key"),
        )?;
        let asked_by = ops::asked_by(form.text("asked_by"))?;
        ops::create(&state.store, &actor, account, asked_by, fields)
            .await
            .map(|_| ())
    }
    .await;
    back_to_account(account, result)
}

pub(crate) async fn link_request(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    writable(&state.store, &actor, account).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let request = form
            .text("request_id")
            .trim()
            .parse::<i64>()
            .map_err(|_| lodestar_domain::Invalid::field("request_id", "choose a request"))?;
        let asked_by = ops::asked_by(form.text("asked_by"))?;
        ops::link(&state.store, &actor, RequestId(request), account, asked_by)
            .await
            .map(|_| ())
    }
    .await;
    back_to_account(account, result)
}

/// Moves a request from the product view.
pub(crate) async fn set_status(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    ops::may_move(&actor)?;
    let form = FormFields::parse(&body);
    let result = move_request(&state.store, &actor, RequestId(id), form.text("status")).await;
    back_after_form("/requests", SLOT, &format!("request-{id}"), result)
}

async fn move_request(store: &Store, actor: &Actor, id: RequestId, status: &str) -> Result<(), ApiError> {
    let status = ops::status(status)?;
    ops::set_status(store, actor, id, status).await.map(|_| ())
}
