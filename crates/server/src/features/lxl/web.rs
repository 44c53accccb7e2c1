//! LxL reviews (F-24) in the web UI: the reviews list, a
//! review's agenda with the action items it goes over, one line's notes and items, the churn
//! form and LxL part of the account page, a retrospective, and the list of churns.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use lodestar_domain::AccountId;
use lodestar_domain::access::Actor;
use lodestar_domain::review::Quarter;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::{ActionStatus, AgendaReason, ChurnReason};
use lodestar_domain::{PromiseId, ReviewId};
use lodestar_store::{ActionItem, LineFilter, LxlLine, LxlReview, StoreError};
use serde::Deserialize;

use crate::AppState;
use crate::features::lxl::ops::{action_item_fields, line_notes};
use crate::http::error::ApiError;
use crate::http::pages::{Choice, choices};
use crate::http::pages::{Html, SignedIn, back_after_form, render};

const PAGE: u32 = 50;

/// Back to `url` at `anchor`, with the form's problem (if any) for the page to show.
fn back(url: &str, anchor: &str, result: Result<(), ApiError>) -> Result<Response, ApiError> {
    back_after_form(url, "error", anchor, result)
}

pub(crate) fn reasons_text(reasons: &[AgendaReason]) -> String {
    reasons.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")
}

struct ReviewRow {
    id: i64,
    quarter: String,
    started: String,
    lines: i64,
    prepared: i64,
    open_items: i64,
}

impl From<LxlReview> for ReviewRow {
    fn from(r: LxlReview) -> Self {
        ReviewRow {
            id: r.id.0,
            quarter: r.quarter.label(),
            started: match r.started_by {
                Some(who) => format!("{} by {who}", r.started_on),
                None => r.started_on.to_string(),
            },
            lines: r.lines,
            prepared: r.prepared,
            open_items: r.open_items,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "lxl/lxl.html")]
struct ReviewsPage {
    me: User,
    reviews: Vec<ReviewRow>,
    can_start: bool,
    /// The quarter a new review would be, when it has not been started.
    next_quarter: Option<String>,
    next_quarter_label: String,
    error: Option<String>,
}

pub(crate) async fn reviews(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
) -> Result<Html, ApiError> {
    let reviews = state.store.lxl_reviews().await?;
    let current = Quarter::of(state.store.today());
    let started = reviews.iter().any(|r| r.quarter == current);
    render(&ReviewsPage {
        me,
        reviews: reviews.into_iter().map(Into::into).collect(),
        can_start: actor.can_manage_all_accounts(),
        next_quarter: (!started).then(|| current.to_string()),
        next_quarter_label: current.label(),
        error: flash.for_slot("error"),
    })
}

#[derive(Deserialize)]
pub(crate) struct StartForm {
    quarter: String,
}

pub(crate) async fn start(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Form(form): Form<StartForm>,
) -> Result<Response, ApiError> {
    super::ops::require_review_starter(&actor)?;
    let started = async {
        let quarter: Quarter = form
            .quarter
            .parse()
            .map_err(|e| lodestar_domain::Invalid::field("quarter", e))?;
        Ok::<_, ApiError>(
            state
                .store
                .start_lxl_review(quarter, actor.user, state.store.today())
                .await?,
        )
    }
    .await;
    match started {
        Ok(review) => Ok(Redirect::to(&format!("/lxl/{}", review.id)).into_response()),
        Err(e) => back("/lxl", "reviews", Err(e)),
    }
}

struct LineRow {
    account_id: i64,
    account: String,
    owner: String,
    reasons: String,
    score: Option<u32>,
    band: &'static str,
    arr: String,
    renewal: String,
    prepared: bool,
}

impl From<LxlLine> for LineRow {
    fn from(l: LxlLine) -> Self {
        LineRow {
            account_id: l.account_id.0,
            account: l.account_name,
            owner: l.owner.unwrap_or_else(|| "—".into()),
            reasons: reasons_text(&l.reasons),
            score: l.score,
            band: l.band.map_or("unknown", |b| b.as_str()),
            arr: l.arr.whole_dollars(),
            renewal: l.renewal_date.map_or_else(|| "—".into(), |d| d.to_string()),
            prepared: l.updated_at.is_some(),
        }
    }
}

pub(crate) struct ItemRow {
    pub(crate) id: i64,
    pub(crate) review_id: i64,
    pub(crate) quarter: String,
    pub(crate) account_id: i64,
    pub(crate) account: String,
    pub(crate) description: String,
    pub(crate) owner: String,
    pub(crate) due: String,
    pub(crate) overdue: bool,
    pub(crate) status: &'static str,
    pub(crate) status_label: &'static str,
    pub(crate) can_update: bool,
}

fn item_rows(actor: &Actor, items: Vec<ActionItem>, today: NaiveDate) -> Vec<ItemRow> {
    let mut rows = Vec::new();
    for item in items {
        let can_update = actor.can_move_action_item(item.owner_id, item.account_owner_id);
        rows.push(ItemRow {
            id: item.id.0,
            review_id: item.review_id.0,
            quarter: item.quarter.label(),
            account_id: item.account_id.0,
            account: item.account_name,
            description: item.description,
            owner: item.owner,
            due: item.due_on.to_string(),
            overdue: item.status == ActionStatus::Open && item.due_on < today,
            status: item.status.as_str(),
            status_label: item.status.label(),
            can_update,
        });
    }
    rows
}

#[derive(askama::Template)]
#[template(path = "lxl/lxl_review.html")]
struct ReviewPage {
    me: User,
    review: ReviewRow,
    owners: Vec<Choice>,
    reasons: Vec<Choice>,
    lines: Vec<LineRow>,
    total: i64,
    first_shown: u32,
    last_shown: u32,
    previous_link: Option<String>,
    next_link: Option<String>,
    carried_over: Vec<ItemRow>,
    agreed: Vec<ItemRow>,
    statuses: Vec<(&'static str, &'static str)>,
    back_url: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct AgendaQuery {
    owner: Option<String>,
    reason: Option<String>,
    page: Option<u32>,
}

fn statuses() -> Vec<(&'static str, &'static str)> {
    ActionStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect()
}

pub(crate) async fn review(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<AgendaQuery>,
) -> Result<Html, ApiError> {
    let review = state.store.lxl_review(ReviewId(id)).await?;
    let mine = q.owner.as_deref() == Some("mine");
    let reason = q.reason.as_deref().and_then(|r| r.parse::<AgendaReason>().ok());
    let filter = LineFilter {
        owner: mine.then_some(me.id),
        reason,
    };
    let page = q.page.unwrap_or(0);
    let offset = page.saturating_mul(PAGE);
    let (lines, total) = state.store.lxl_lines(ReviewId(id), filter, offset, PAGE).await?;
    let link = |page: u32| {
        let mut parts = vec![format!("page={page}")];
        if mine {
            parts.push("owner=mine".into());
        }
        if let Some(r) = reason {
            parts.push(format!("reason={}", r.as_str()));
        }
        format!("/lxl/{id}?{}", parts.join("&"))
    };
    let shown = u32::try_from(lines.len()).unwrap_or(PAGE);
    let carried_over = item_rows(
        &actor,
        state.store.carried_over_items(ReviewId(id)).await?,
        state.store.today(),
    );
    let agreed = item_rows(
        &actor,
        state.store.review_action_items(ReviewId(id)).await?,
        state.store.today(),
    );
    render(&ReviewPage {
        owners: vec![
            Choice {
                value: "all".into(),
                label: "Every CSM".into(),
                selected: !mine,
            },
            Choice {
                value: "mine".into(),
                label: "My lines".into(),
                selected: mine,
            },
        ],
        reasons: choices(AgendaReason::ALL, reason, AgendaReason::as_str, AgendaReason::label),
        lines: lines.into_iter().map(Into::into).collect(),
        total,
        first_shown: offset + 1,
        last_shown: offset + shown,
        previous_link: (page > 0).then(|| link(page - 1)),
        next_link: (i64::from(offset + shown) < total).then(|| link(page + 1)),
        carried_over,
        agreed,
        statuses: statuses(),
        back_url: format!("/lxl/{id}"),
        review: review.into(),
        me,
    })
}

#[derive(askama::Template)]
#[template(path = "lxl/lxl_line.html")]
struct LinePage {
    me: User,
    review: ReviewRow,
    line: LineRow,
    history: String,
    challenges: String,
    asks: String,
    can_edit: bool,
    items: Vec<ItemRow>,
    statuses: Vec<(&'static str, &'static str)>,
    users: Vec<Choice>,
    default_due: String,
    back_url: String,
    error: Option<String>,
}

pub(crate) async fn line(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
    Path((id, account)): Path<(i64, i64)>,
) -> Result<Html, ApiError> {
    let account = AccountId(account);
    let review = state.store.lxl_review(ReviewId(id)).await?;
    let line = state.store.lxl_line(ReviewId(id), account).await?;
    let can_edit = actor.can_write_account(line.owner_id);
    let items = item_rows(
        &actor,
        state.store.account_action_items(account).await?,
        state.store.today(),
    );
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| Choice {
            value: u.id.0.to_string(),
            label: format!("{} ({})", u.fields.name, u.fields.role.label()),
            selected: Some(u.id) == line.owner_id.or(Some(me.id)),
        })
        .collect();
    render(&LinePage {
        history: line.notes.history.to_string(),
        challenges: line.notes.challenges.to_string(),
        asks: line.notes.asks.to_string(),
        line: line.into(),
        review: review.into(),
        can_edit,
        items,
        statuses: statuses(),
        users,
        default_due: (state.store.today() + chrono::Days::new(30)).to_string(),
        back_url: format!("/lxl/{id}/accounts/{}", account.0),
        error: flash.for_slot("error"),
        me,
    })
}

#[derive(Deserialize)]
pub(crate) struct NotesForm {
    history: String,
    challenges: String,
    asks: String,
}

pub(crate) async fn save_notes(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path((id, account)): Path<(i64, i64)>,
    Form(form): Form<NotesForm>,
) -> Result<Response, ApiError> {
    let account = AccountId(account);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let result = async {
        let notes = line_notes(&form.history, &form.challenges, &form.asks)?;
        state.store.save_lxl_notes(ReviewId(id), account, notes).await?;
        Ok(())
    }
    .await;
    back(&format!("/lxl/{id}/accounts/{}", account.0), "notes", result)
}

#[derive(Deserialize)]
pub(crate) struct ItemForm {
    description: String,
    owner_id: String,
    due_on: String,
}

pub(crate) async fn add_item(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path((id, account)): Path<(i64, i64)>,
    Form(form): Form<ItemForm>,
) -> Result<Response, ApiError> {
    let account = AccountId(account);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let result = async {
        let due = form.due_on.trim();
        let due_on = if due.is_empty() {
            None
        } else {
            Some(due.parse::<NaiveDate>().map_err(|_| {
                lodestar_domain::Invalid::field("due_on", format!("{due:?} is not a date (YYYY-MM-DD)"))
            })?)
        };
        let fields = action_item_fields(&form.description, form.owner_id.trim().parse().ok(), due_on)?;
        state.store.add_action_item(ReviewId(id), account, fields).await?;
        Ok(())
    }
    .await;
    back(&format!("/lxl/{id}/accounts/{}", account.0), "items", result)
}

#[derive(Deserialize)]
pub(crate) struct StatusForm {
    status: String,
    /// The page to go back to: a review or a line (only paths under /lxl/ are followed).
    back: String,
}

pub(crate) async fn set_item_status(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, ApiError> {
    let item = super::ops::movable_item(&state.store, &actor, PromiseId(id)).await?;
    let result = async {
        let status: ActionStatus = form
            .status
            .parse()
            .map_err(|e| lodestar_domain::Invalid::field("status", e))?;
        state.store.set_action_status(PromiseId(id), status).await?;
        Ok(())
    }
    .await;
    // Never redirect off-site: the back link must be one of our review pages.
    let url = if form.back.starts_with("/lxl/") && !form.back.contains("//") {
        form.back
    } else {
        format!("/lxl/{}", item.review_id)
    };
    back(&url, &format!("item-{id}"), result)
}

/// The LxL and churn parts of the account page.
pub(crate) struct AccountReviews {
    /// The current quarter's review, if started, and the account's line on it.
    pub(crate) review: Option<(i64, String, Option<String>)>,
    pub(crate) open_items: Vec<ItemRow>,
    pub(crate) churn: Option<(String, String)>,
    pub(crate) churn_reasons: Vec<(&'static str, &'static str)>,
    pub(crate) today: String,
    pub(crate) error: Option<String>,
}

pub(crate) async fn account_reviews(
    state: &AppState,
    actor: &Actor,
    account: AccountId,
    error: Option<String>,
) -> Result<AccountReviews, ApiError> {
    let today = state.store.today();
    let current = Quarter::of(today);
    let review = match state.store.lxl_review_of(current).await? {
        Some(id) => {
            let on_agenda = match state.store.lxl_line(id, account).await {
                Ok(line) => Some(reasons_text(&line.reasons)),
                Err(StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            Some((id.0, current.label(), on_agenda))
        }
        None => None,
    };
    let items = state.store.account_action_items(account).await?;
    let open: Vec<ActionItem> = items.into_iter().filter(|i| i.status == ActionStatus::Open).collect();
    let churn = state
        .store
        .retrospective(account)
        .await?
        .map(|r| (r.churned_on.to_string(), r.reason.label().to_owned()));
    Ok(AccountReviews {
        review,
        open_items: item_rows(actor, open, today),
        churn,
        churn_reasons: ChurnReason::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        today: today.to_string(),
        error,
    })
}

pub(crate) async fn add_to_review(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path((id, account)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    let account = AccountId(account);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    match state.store.add_to_lxl_review(ReviewId(id), account).await {
        Ok(_) => Ok(Redirect::to(&format!("/lxl/{id}/accounts/{}", account.0)).into_response()),
        Err(e) => back(&format!("/accounts/{}", account.0), "lxl", Err(e.into())),
    }
}
