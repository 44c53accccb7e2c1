//! Renewals and expansion in the web UI: `/renewals` (the pipeline by window), a contract's
//! renewal page (the call with its history, and the close), `/forecast` (a period's
//! forecast against what happened), `/opportunities` (expansion, with the routing policy) and
//! an account's opportunities with the form to open one.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use lodestar_domain::renewal::{WINDOWS, quarter_of, window_of};
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::{ForecastCategory, OpportunityKind, OpportunityStage, RenewalOutlook, RenewalResult};
use lodestar_domain::{AccountId, ContractId, OpportunityId};
use lodestar_store::{Forecast, Opportunity, OpportunityFilter, Renewal};
use serde::Deserialize;

use super::ops::{self, OpportunityInput};
use crate::AppState;
use crate::features::accounts::ops::{existing, writable};
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{
    Choice, Html, SignedIn, back_after_form, book_choices, choices, form_answer, render, user_problem,
};

/// Opportunities per page.
const PAGE: u32 = 50;

fn options<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| (value(*v), label(*v))).collect()
}

pub(crate) struct RenewalRow {
    contract_id: i64,
    contract: String,
    account_id: i64,
    account: String,
    owner: String,
    tier: &'static str,
    health: &'static str,
    arr: String,
    end_date: NaiveDate,
    days_left: i64,
    /// "in 12 days", "today", "3 days ago".
    when: String,
    outlook: &'static str,
    outlook_class: &'static str,
    category: &'static str,
    forecast: String,
    called_on: String,
}

fn renewal_row(r: &Renewal, today: NaiveDate) -> RenewalRow {
    let call = r.call.as_ref().map(|c| &c.call);
    RenewalRow {
        contract_id: r.contract_id.0,
        contract: r
            .contract_name
            .clone()
            .unwrap_or_else(|| r.contract_external_id.clone()),
        account_id: r.account_id.0,
        account: r.account_name.clone(),
        owner: r.owner.clone().unwrap_or_else(|| "—".into()),
        tier: r.tier.map_or("—", |t| t.label()),
        health: r.health.map_or("", |b| b.as_str()),
        arr: r.arr.whole_dollars(),
        end_date: r.end_date,
        days_left: (r.end_date - today).num_days(),
        when: match (r.end_date - today).num_days() {
            0 => "today".to_owned(),
            1 => "tomorrow".to_owned(),
            -1 => "yesterday".to_owned(),
            n if n < 0 => format!("{} days ago", -n),
            n => format!("in {n} days"),
        },
        outlook: call.map_or("Not called", |c| c.outlook.label()),
        outlook_class: match call.map(|c| c.outlook) {
            Some(RenewalOutlook::AtRisk) => "bad",
            Some(RenewalOutlook::Likely) => "good",
            _ => "muted",
        },
        category: call.map_or("—", |c| c.category.label()),
        forecast: call.map_or_else(|| "—".to_owned(), |c| c.forecast_arr.whole_dollars()),
        called_on: r
            .call
            .as_ref()
            .map_or_else(String::new, |c| c.made_at.date_naive().to_string()),
    }
}

struct WindowTab {
    days: u32,
    href: String,
    current: bool,
    count: usize,
    arr: String,
}

#[derive(askama::Template)]
#[template(path = "renewals/pipeline.html")]
struct PipelinePage {
    me: User,
    books: Vec<Choice>,
    mine: bool,
    within: u32,
    tabs: Vec<WindowTab>,
    past_due: Vec<RenewalRow>,
    ahead: Vec<RenewalRow>,
    ahead_arr: String,
    not_called: usize,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PipelineQuery {
    book: Option<String>,
    within: Option<u32>,
}

/// `GET /renewals`: the renewal pipeline in 30/60/90/180-day windows, renewals past their end
/// with no result first.
pub(crate) async fn pipeline(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<PipelineQuery>,
) -> Result<Html, ApiError> {
    let mine = q.book.as_deref() == Some("mine");
    let within = ops::window(q.within)?;
    let today = state.store.today();
    let widest = *WINDOWS.last().expect("windows");
    let all = state
        .store
        .renewal_pipeline(mine.then_some(page.user.id), today, widest)
        .await?;
    let book = if mine { "mine" } else { "all" };
    let tabs = WINDOWS
        .iter()
        .map(|w| {
            let inside: Vec<&Renewal> = all
                .iter()
                .filter(|r| (r.end_date - today).num_days() <= i64::from(*w))
                .collect();
            WindowTab {
                days: *w,
                href: format!("/renewals?book={book}&within={w}"),
                current: *w == within,
                count: inside.len(),
                arr: lodestar_domain::Cents(inside.iter().map(|r| r.arr.0).sum()).whole_dollars(),
            }
        })
        .collect();
    let (past_due, ahead): (Vec<RenewalRow>, Vec<RenewalRow>) = all
        .iter()
        .filter(|r| window_of((r.end_date - today).num_days()).is_some_and(|w| w <= within))
        .map(|r| renewal_row(r, today))
        .partition(|r| r.days_left < 0);
    let ahead_arr = lodestar_domain::Cents(
        all.iter()
            .filter(|r| (0..=i64::from(within)).contains(&(r.end_date - today).num_days()))
            .map(|r| r.arr.0)
            .sum(),
    )
    .whole_dollars();
    render(&PipelinePage {
        books: book_choices(mine),
        mine,
        within,
        tabs,
        not_called: ahead.iter().filter(|r| r.called_on.is_empty()).count(),
        past_due,
        ahead,
        ahead_arr,
        me: page.user,
    })
}

struct CallLine {
    when: String,
    by: String,
    outlook: &'static str,
    category: &'static str,
    forecast: String,
    note: String,
}

#[derive(askama::Template)]
#[template(path = "renewals/renewal.html")]
struct RenewalPage {
    me: User,
    row: RenewalRow,
    calls: Vec<CallLine>,
    closed: Option<String>,
    can_edit: bool,
    outlooks: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    results: Vec<(&'static str, &'static str)>,
    sent: FormFields,
    problem: Option<String>,
}

async fn renewal_page(
    state: &AppState,
    page: SignedIn,
    contract: ContractId,
    sent: Option<FormFields>,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let detail = state.store.renewal(contract).await?;
    let account = existing(&state.store, detail.renewal.account_id).await?;
    let today = state.store.today();
    let r = &detail.renewal;
    let latest = r.call.as_ref().map(|c| &c.call);
    let sent = FormFields::of([
        ("outlook", latest.map_or("unsure", |c| c.outlook.as_str()).to_owned()),
        (
            "category",
            latest.map_or("pipeline", |c| c.category.as_str()).to_owned(),
        ),
        ("forecast_arr", latest.map_or(r.arr, |c| c.forecast_arr).to_string()),
        ("renewed_arr", latest.map_or(r.arr, |c| c.forecast_arr).to_string()),
        ("decided_on", today.to_string()),
    ])
    .overlaid(sent);
    let html = render(&RenewalPage {
        row: renewal_row(r, today),
        calls: detail
            .calls
            .iter()
            .map(|c| CallLine {
                when: c.made_at.date_naive().to_string(),
                by: c.made_by.clone().unwrap_or_else(|| "—".into()),
                outlook: c.call.outlook.label(),
                category: c.call.category.label(),
                forecast: c.call.forecast_arr.whole_dollars(),
                note: c.call.note.to_string(),
            })
            .collect(),
        closed: r.closed.as_ref().map(|c| {
            let by = c.recorded_by.as_deref().unwrap_or("someone");
            match c.close.result {
                RenewalResult::Renewed => format!(
                    "Renewed on {} at {} ARR (recorded by {by})",
                    c.close.decided_on,
                    c.close.renewed_arr.whole_dollars()
                ),
                RenewalResult::Churned => format!("Churned on {} (recorded by {by})", c.close.decided_on),
            }
        }),
        can_edit: page.actor.can_write_account(account.fields.owner_id),
        outlooks: options(RenewalOutlook::ALL, RenewalOutlook::as_str, RenewalOutlook::label),
        categories: options(ForecastCategory::ALL, ForecastCategory::as_str, ForecastCategory::label),
        results: options(RenewalResult::ALL, RenewalResult::as_str, RenewalResult::label),
        problem: problem.clone(),
        sent,
        me: page.user,
    })?;
    Ok(form_answer(problem.is_some(), html))
}

/// `GET /contracts/{id}/renewal`.
pub(crate) async fn renewal(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    renewal_page(&state, page, ContractId(id), None, None).await
}

/// `POST /contracts/{id}/renewal`: a call (`step=call`) or the close (`step=close`); a
/// refusal shows the page again with what was typed.
pub(crate) async fn act_on_renewal(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let contract = ContractId(id);
    ops::changeable_renewal(&state, &page.actor, contract).await?;
    let form = FormFields::parse(&body);
    let result = async {
        match form.text("step") {
            "close" => {
                let close = ops::close(
                    form.text("result"),
                    form.text("renewed_arr"),
                    form.date("decided_on"),
                    form.text("note"),
                    state.store.today(),
                )?;
                ops::close_renewal(&state, &page.actor, &page.origin, contract, close).await?;
            }
            _ => {
                let call = ops::call(
                    form.text("outlook"),
                    form.text("category"),
                    form.text("forecast_arr"),
                    form.text("note"),
                )?;
                state.store.call_renewal(contract, call, page.actor.user).await?;
            }
        }
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => back_after_form(&format!("/contracts/{id}/renewal"), "renewal", "renewal", Ok(())),
        Err(e) => {
            let problem = user_problem(e)?;
            renewal_page(&state, page, contract, Some(form), Some(problem)).await
        }
    }
}

struct CategoryRow {
    label: &'static str,
    renewals: u32,
    forecast: String,
    renewed: String,
    churned: u32,
    open: u32,
}

#[derive(askama::Template)]
#[template(path = "renewals/forecast.html")]
struct ForecastPage {
    me: User,
    books: Vec<Choice>,
    from: NaiveDate,
    last_day: NaiveDate,
    previous: String,
    next: String,
    book: &'static str,
    due: u32,
    due_arr: String,
    commit: String,
    best_case: String,
    renewed: String,
    renewed_count: u32,
    churned: u32,
    open: u32,
    gross_renewal: String,
    attainment: String,
    categories: Vec<CategoryRow>,
    expansion_open: String,
    expansion_open_count: u32,
    expansion_won: String,
    expansion_won_count: u32,
    expansion_lost: String,
    expansion_lost_count: u32,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ForecastQuery {
    book: Option<String>,
    /// Any day of the quarter to show; today's quarter when left out.
    quarter_of: Option<NaiveDate>,
}

fn percent(per_mille: Option<i64>) -> String {
    per_mille.map_or_else(|| "—".to_owned(), |p| format!("{}.{}%", p / 10, p % 10))
}

/// `GET /forecast`: a quarter's renewals at the call they carried when it began,
/// against how they closed; and expansion expected against won.
pub(crate) async fn forecast(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<ForecastQuery>,
) -> Result<Html, ApiError> {
    let mine = q.book.as_deref() == Some("mine");
    let (from, to) = quarter_of(q.quarter_of.unwrap_or_else(|| state.store.today()));
    let Forecast {
        renewals: r,
        expansion: e,
        ..
    } = state
        .store
        .renewal_forecast(from, to, mine.then_some(page.user.id))
        .await?;
    let book = if mine { "mine" } else { "all" };
    let previous_quarter = from.pred_opt().unwrap_or(from);
    render(&ForecastPage {
        books: book_choices(mine),
        from,
        last_day: to.pred_opt().unwrap_or(to),
        previous: format!("/forecast?book={book}&quarter_of={previous_quarter}"),
        next: format!("/forecast?book={book}&quarter_of={to}"),
        book,
        due: r.due,
        due_arr: r.due_arr.whole_dollars(),
        commit: r.commit_arr.whole_dollars(),
        best_case: r.best_case_arr.whole_dollars(),
        renewed: r.renewed_arr.whole_dollars(),
        renewed_count: r.renewed,
        churned: r.churned,
        open: r.open,
        gross_renewal: percent(r.gross_renewal_per_mille),
        attainment: percent(r.commit_attainment_per_mille),
        categories: r
            .by_category
            .iter()
            .map(|(c, l)| CategoryRow {
                label: c.map_or("Not called when the quarter began", ForecastCategory::label),
                renewals: l.renewals,
                forecast: l.forecast_arr.whole_dollars(),
                renewed: l.renewed_arr.whole_dollars(),
                churned: l.churned,
                open: l.open,
            })
            .collect(),
        expansion_open: e.open_amount.whole_dollars(),
        expansion_open_count: e.open,
        expansion_won: e.won_amount.whole_dollars(),
        expansion_won_count: e.won,
        expansion_lost: e.lost_amount.whole_dollars(),
        expansion_lost_count: e.lost,
        me: page.user,
    })
}

pub(crate) struct OpportunityRow {
    id: i64,
    account_id: i64,
    account: String,
    kind: &'static str,
    title: String,
    amount: String,
    expected_close: NaiveDate,
    overdue: bool,
    stage: &'static str,
    stage_key: &'static str,
    owner: String,
    routed: String,
}

fn opportunity_row(o: &Opportunity, today: NaiveDate) -> OpportunityRow {
    OpportunityRow {
        id: o.id.0,
        account_id: o.account_id.0,
        account: o.account_name.clone(),
        kind: o.fields.kind.label(),
        title: o.fields.title.to_string(),
        amount: o.fields.amount.whole_dollars(),
        expected_close: o.fields.expected_close,
        overdue: !o.fields.stage.is_closed() && o.fields.expected_close < today,
        stage: o.fields.stage.label(),
        stage_key: o.fields.stage.as_str(),
        owner: o.owner.clone().unwrap_or_else(|| "Unassigned".into()),
        routed: o.routed.clone(),
    }
}

struct RouteRow {
    kind: &'static str,
    kind_label: &'static str,
    route: &'static str,
}

#[derive(askama::Template)]
#[template(path = "renewals/opportunities.html")]
struct OpportunitiesPage {
    me: User,
    books: Vec<Choice>,
    stages: Vec<Choice>,
    kinds: Vec<Choice>,
    rows: Vec<OpportunityRow>,
    total: i64,
    first_shown: usize,
    previous_link: Option<String>,
    next_link: Option<String>,
    routes: Vec<RouteRow>,
    route_options: Vec<(&'static str, &'static str)>,
    can_route: bool,
    problem: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OpportunitiesQuery {
    book: Option<String>,
    stage: Option<String>,
    kind: Option<String>,
    page: Option<u32>,
}

/// `GET /opportunities`: open expansion first by expected close, with filters; the routing
/// policy below.
pub(crate) async fn opportunities(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<OpportunitiesQuery>,
) -> Result<Html, ApiError> {
    let mine = q.book.as_deref() == Some("mine");
    let stage: Option<OpportunityStage> = q
        .stage
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse().ok());
    let kind: Option<OpportunityKind> = q.kind.as_deref().filter(|s| !s.is_empty()).and_then(|s| s.parse().ok());
    let open_only = q.stage.as_deref().is_none_or(str::is_empty);
    let filter = OpportunityFilter {
        owner: mine.then_some(page.user.id),
        stage,
        kind,
        open_only,
        ..Default::default()
    };
    let number = q.page.unwrap_or(0);
    let (total, found) = state
        .store
        .opportunities(&filter, PAGE, number.saturating_mul(PAGE))
        .await?;
    let today = state.store.today();
    let link = |n: u32| {
        format!(
            "/opportunities?book={}&stage={}&kind={}&page={n}",
            if mine { "mine" } else { "all" },
            stage.map_or("", OpportunityStage::as_str),
            kind.map_or("", OpportunityKind::as_str)
        )
    };
    let shown = found.len();
    let offset = number.saturating_mul(PAGE) as usize;
    render(&OpportunitiesPage {
        books: book_choices(mine),
        stages: choices(
            OpportunityStage::ALL,
            stage,
            OpportunityStage::as_str,
            OpportunityStage::label,
        ),
        kinds: choices(
            OpportunityKind::ALL,
            kind,
            OpportunityKind::as_str,
            OpportunityKind::label,
        ),
        rows: found.iter().map(|o| opportunity_row(o, today)).collect(),
        total,
        first_shown: offset + 1,
        previous_link: (number > 0).then(|| link(number - 1)),
        next_link: ((offset + shown) < usize::try_from(total).unwrap_or(0)).then(|| link(number + 1)),
        routes: state
            .store
            .opportunity_routes()
            .await?
            .into_iter()
            .map(|(k, r)| RouteRow {
                kind: k.as_str(),
                kind_label: k.label(),
                route: r.as_str(),
            })
            .collect(),
        route_options: options(
            lodestar_domain::vocabulary::Route::ALL,
            lodestar_domain::vocabulary::Route::as_str,
            lodestar_domain::vocabulary::Route::label,
        ),
        can_route: page.actor.can_administer(),
        problem: page.flash.for_slot("routes"),
        me: page.user,
    })
}

/// `POST /opportunities/routes`: who works one kind of expansion (admins).
pub(crate) async fn set_route(
    State(state): State<AppState>,
    page: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    ops::may_route(&page.actor)?;
    let form = FormFields::parse(&body);
    let result = ops::set_route(&state, &page.actor, &page.origin, form.text("kind"), form.text("route"))
        .await
        .map(|_| ());
    back_after_form("/opportunities", "routes", "routing", result)
}

#[derive(askama::Template)]
#[template(path = "renewals/account.html")]
struct AccountOpportunitiesPage {
    me: User,
    account_id: i64,
    account_name: String,
    rows: Vec<OpportunityRow>,
    /// The opportunity being edited, if one is.
    editing: Option<OpportunityRow>,
    /// The form is shown: to open one (whoever may change the account) or to move the one
    /// being edited (also its owner).
    can_edit: bool,
    kinds: Vec<(&'static str, &'static str)>,
    stages: Vec<(&'static str, &'static str)>,
    sent: FormFields,
    problem: Option<String>,
}

fn sent_of(o: &Opportunity) -> FormFields {
    FormFields::of([
        ("kind", o.fields.kind.as_str().to_owned()),
        ("title", o.fields.title.to_string()),
        ("amount", o.fields.amount.to_string()),
        ("expected_close", o.fields.expected_close.to_string()),
        ("stage", o.fields.stage.as_str().to_owned()),
        ("note", o.fields.note.to_string()),
    ])
}

async fn account_page(
    state: &AppState,
    page: SignedIn,
    account: AccountId,
    editing: Option<&Opportunity>,
    sent: Option<FormFields>,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let found = existing(&state.store, account).await?;
    let today = state.store.today();
    let filter = OpportunityFilter {
        account: Some(account),
        ..Default::default()
    };
    let (_, all) = state.store.opportunities(&filter, 500, 0).await?;
    let start = match editing {
        Some(o) => sent_of(o),
        None => FormFields::of([
            ("kind", OpportunityKind::OrganicSeats.as_str().to_owned()),
            ("stage", OpportunityStage::Identified.as_str().to_owned()),
            ("expected_close", (today + chrono::Days::new(90)).to_string()),
        ]),
    };
    let html = render(&AccountOpportunitiesPage {
        account_id: account.0,
        account_name: found.fields.name.to_string(),
        rows: all.iter().map(|o| opportunity_row(o, today)).collect(),
        editing: editing.map(|o| opportunity_row(o, today)),
        // An opportunity's owner moves it even without the right to change the account (an AE).
        can_edit: page.actor.can_write_account(found.fields.owner_id)
            || editing.is_some_and(|o| o.owner_id.is_some() && o.owner_id == page.actor.user),
        kinds: options(OpportunityKind::ALL, OpportunityKind::as_str, OpportunityKind::label),
        stages: options(OpportunityStage::ALL, OpportunityStage::as_str, OpportunityStage::label),
        sent: start.overlaid(sent),
        problem: problem.clone(),
        me: page.user,
    })?;
    Ok(form_answer(problem.is_some(), html))
}

/// `GET /accounts/{id}/opportunities`: the account's expansion and the form to open one.
pub(crate) async fn account(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    account_page(&state, page, AccountId(id), None, None, None).await
}

fn input(form: &FormFields) -> OpportunityInput<'_> {
    OpportunityInput {
        kind: form.text("kind"),
        title: form.text("title"),
        amount: form.text("amount"),
        expected_close: form.date("expected_close"),
        stage: form.text("stage"),
        note: form.text("note"),
    }
}

/// `POST /accounts/{id}/opportunities`: opens one, routed to its owner.
pub(crate) async fn create(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    writable(&state.store, &page.actor, account).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let fields = ops::opportunity_fields(input(&form), state.store.today())?;
        Ok::<_, ApiError>(state.store.create_opportunity(account, fields, page.actor.user).await?)
    }
    .await;
    match result {
        Ok(o) => back_after_form(
            &format!("/accounts/{id}/opportunities"),
            "opportunity",
            &format!("opportunity-{}", o.id),
            Ok(()),
        ),
        Err(e) => {
            let problem = user_problem(e)?;
            account_page(&state, page, account, None, Some(form), Some(problem)).await
        }
    }
}

/// `GET /opportunities/{id}`: the account's page with this opportunity's form filled in.
pub(crate) async fn edit(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let opportunity = state.store.opportunity(OpportunityId(id)).await?;
    account_page(&state, page, opportunity.account_id, Some(&opportunity), None, None).await
}

/// `POST /opportunities/{id}`: moves it (its owner, and whoever may change its account).
pub(crate) async fn update(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opportunity = ops::movable(&state.store, &page.actor, OpportunityId(id)).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let fields = ops::opportunity_fields(input(&form), state.store.today())?;
        Ok::<_, ApiError>(
            state
                .store
                .update_opportunity(OpportunityId(id), fields, page.actor.user)
                .await?,
        )
    }
    .await;
    match result {
        Ok(o) => back_after_form(
            &format!("/accounts/{}/opportunities", o.account_id),
            "opportunity",
            &format!("opportunity-{id}"),
            Ok(()),
        ),
        Err(e) => {
            let problem = user_problem(e)?;
            account_page(
                &state,
                page,
                opportunity.account_id,
                Some(&opportunity),
                Some(form),
                Some(problem),
            )
            .await
        }
    }
}
