//! The success plan page of an account (`/accounts/{id}/plan`): write the plan and its tactics,
//! share it with a customer contact, follow what they did with it.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::TacticState;
use lodestar_domain::{AccountId, PlanId, PlanTacticId, TacticId};
use lodestar_store::{LinkTarget, SuccessPlan};

use super::ops;
use crate::AppState;
use crate::features::customer::links::LinkLine;
use crate::features::meetings::markdown;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, back_after_form, render};

struct TacticLine {
    id: i64,
    title: String,
    description_html: String,
    state: &'static str,
    state_key: &'static str,
    due: String,
}

struct CommentLine {
    author: String,
    from_customer: bool,
    when: String,
    version: i64,
    body: String,
}

/// One of the account's goals, as the plan lists it.
struct GoalLine {
    title: String,
    target: String,
    due: String,
    status: &'static str,
    at_risk: bool,
    value: String,
}

/// A tactic the playbook library recommends for the account's segment.
struct LibraryTactic {
    id: i64,
    outcome: String,
    title: String,
    /// Already in the plan.
    taken: bool,
}

#[derive(askama::Template)]
#[template(path = "plans/plan.html")]
struct PlanPage {
    me: User,
    account_id: i64,
    account_name: String,
    can_write: bool,
    plan: Option<PlanView>,
    goals: Vec<GoalLine>,
    segment: &'static str,
    library: Vec<LibraryTactic>,
    contacts: Vec<(i64, String)>,
    problem: Option<String>,
    /// The address of a link just made: shown this once.
    new_link: Option<String>,
}

struct PlanView {
    id: i64,
    title: String,
    summary: String,
    summary_html: String,
    state: &'static str,
    state_key: &'static str,
    version: i64,
    approval: Option<String>,
    superseded: Option<String>,
    active: usize,
    /// The library tactics the plan took.
    library_ids: Vec<i64>,
    tactics: Vec<TacticLine>,
    links: Vec<LinkLine>,
    comments: Vec<CommentLine>,
}

async fn plan_view(state: &AppState, plan: SuccessPlan) -> Result<PlanView, ApiError> {
    let now = state.store.now();
    let links = state.store.customer_links_to(LinkTarget::SuccessPlan(plan.id)).await?;
    let approval = plan.approval().map(|a| {
        format!(
            "Approved by {} on {} (version {}, signed “{}”)",
            a.contact_name,
            a.signed_at.format("%Y-%m-%d"),
            a.version,
            a.signature
        )
    });
    let superseded = if approval.is_none() {
        plan.superseded_approval().map(|a| {
            format!(
                "{} approved version {} on {}; the plan has changed since (now version {}), so that approval does not hold — share it again for sign-off.",
                a.contact_name,
                a.version,
                a.signed_at.format("%Y-%m-%d"),
                plan.version
            )
        })
    } else {
        None
    };
    Ok(PlanView {
        id: plan.id.0,
        title: plan.fields.title.to_string(),
        summary: plan.fields.summary.to_string(),
        summary_html: markdown::render(plan.fields.summary.as_str()),
        state: plan.state.label(),
        state_key: plan.state.as_str(),
        version: plan.version,
        active: plan.active_tactics().count(),
        library_ids: plan
            .tactics
            .iter()
            .filter_map(|t| t.library_tactic_id.map(|l| l.0))
            .collect(),
        approval,
        superseded,
        tactics: plan
            .tactics
            .iter()
            .map(|t| TacticLine {
                id: t.id.0,
                title: t.fields.title.to_string(),
                description_html: markdown::render(t.fields.description.as_str()),
                state: t.state.label(),
                state_key: t.state.as_str(),
                due: t.fields.due_on.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect(),
        links: links.iter().map(|l| LinkLine::of(l, now)).collect(),
        comments: plan
            .comments
            .iter()
            .map(|c| CommentLine {
                author: c.author.clone(),
                from_customer: c.from_customer,
                when: c.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                version: c.version,
                body: c.body.clone(),
            })
            .collect(),
    })
}

async fn page(
    state: &AppState,
    page: SignedIn,
    account: AccountId,
    problem: Option<String>,
    new_link: Option<String>,
) -> Result<Html, ApiError> {
    let found = state
        .store
        .account(account)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("account {account} does not exist")))?;
    let plan = match state.store.success_plan_of(account).await? {
        Some(p) => Some(plan_view(state, p).await?),
        None => None,
    };
    let goals = state
        .store
        .goals_of_account(account)
        .await?
        .into_iter()
        .map(|g| GoalLine {
            at_risk: g.at_risk(),
            title: g.fields.title.to_string(),
            target: format!("{}: {}", g.fields.metric, g.fields.target),
            due: g.fields.due_on.to_string(),
            status: g.fields.status.label(),
            value: g
                .value
                .map_or_else(|| "none recorded".to_owned(), |v| v.value.describe()),
        })
        .collect();
    let taken: Vec<i64> = plan.as_ref().map(|p| p.library_ids.clone()).unwrap_or_default();
    let tier = found.fields.tier;
    let library = state
        .store
        .playbook_library()
        .await?
        .outcomes
        .into_iter()
        .filter(|o| Some(o.outcome.fields.tier) == tier)
        .flat_map(|o| {
            let outcome = o.outcome.fields.title.to_string();
            o.outcome
                .fields
                .tactics
                .into_iter()
                .filter_map(move |t| {
                    t.id.map(|id| LibraryTactic {
                        id: id.0,
                        outcome: outcome.clone(),
                        title: t.title.to_string(),
                        taken: false,
                    })
                })
                .collect::<Vec<_>>()
        })
        .map(|t| LibraryTactic {
            taken: taken.contains(&t.id),
            ..t
        })
        .collect();
    let contacts = state
        .store
        .contacts_of(account)
        .await?
        .into_iter()
        .filter(|c| c.fields.email.is_some())
        .map(|c| (c.id.0, c.fields.display_name()))
        .collect();
    render(&PlanPage {
        can_write: page.actor.can_write_account(found.fields.owner_id),
        account_id: account.0,
        account_name: found.fields.name.to_string(),
        plan,
        goals,
        segment: tier.map_or("no", |t| t.label()),
        library,
        contacts,
        problem: problem.or_else(|| page.flash.for_slot("plan")),
        new_link,
        me: page.user,
    })
}

/// `GET /accounts/{id}/plan`.
pub(crate) async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Html, ApiError> {
    page(&state, signed_in, AccountId(id), None, None).await
}

/// Back to the account's plan page at `anchor`, with the form's problem (if any) shown there.
fn back_to_plan<T>(account: AccountId, anchor: &str, result: Result<T, ApiError>) -> Result<Response, ApiError> {
    back_after_form(&format!("/accounts/{account}/plan"), "plan", anchor, result.map(drop))
}

/// `POST /accounts/{id}/plan`: starts the plan.
pub(crate) async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let account = AccountId(id);
    let result = async {
        let fields = ops::plan_fields(form.text("title"), form.text("summary"))?;
        ops::create(&state, &signed_in.actor, account, fields).await
    }
    .await;
    back_to_plan(account, "plan", result)
}

/// The account of a plan (for the way back after a form).
async fn account_of(state: &AppState, plan: PlanId) -> Result<AccountId, ApiError> {
    Ok(state.store.success_plan(plan).await?.account_id)
}

/// `POST /plans/{id}`: title and summary (a new version).
pub(crate) async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = PlanId(id);
    let account = account_of(&state, id).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let fields = ops::plan_fields(form.text("title"), form.text("summary"))?;
        ops::update(&state, &signed_in.actor, id, fields).await
    }
    .await;
    back_to_plan(account, "plan", result)
}

/// `POST /plans/{id}/tactics`.
pub(crate) async fn add_tactic(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = PlanId(id);
    let account = account_of(&state, id).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let tactic_state: TacticState = form
            .text("state")
            .parse()
            .map_err(|e: String| lodestar_domain::Invalid::field("state", e))?;
        let fields = ops::tactic_fields(
            form.text("title"),
            form.text("description"),
            form.date("due_on"),
            state.store.today(),
        )?;
        ops::add_tactic(&state, &signed_in.actor, id, fields, tactic_state).await
    }
    .await;
    back_to_plan(account, "tactics", result)
}

/// `POST /plans/{id}/tactics/from-library`: one click from the library to the plan.
pub(crate) async fn add_library_tactic(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = PlanId(id);
    let account = account_of(&state, id).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let library = form
            .text("tactic_id")
            .parse()
            .map_err(|_| lodestar_domain::Invalid::field("tactic_id", "pick a tactic of the library"))?;
        ops::add_library_tactic(
            &state,
            &signed_in.actor,
            id,
            TacticId(library),
            form.date("due_on"),
            TacticState::Active,
        )
        .await
    }
    .await;
    back_to_plan(account, "tactics", result)
}

/// `POST /tactics/{id}/state`.
pub(crate) async fn set_tactic_state(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = PlanTacticId(id);
    let account = state.store.plan_of_tactic(id).await?.account_id;
    let form = FormFields::parse(&body);
    let result = async {
        let to: TacticState = form
            .text("state")
            .parse()
            .map_err(|e: String| lodestar_domain::Invalid::field("state", e))?;
        ops::set_tactic_state(&state, &signed_in.actor, id, to).await
    }
    .await;
    back_to_plan(account, "tactics", result)
}

/// `POST /plans/{id}/comments`.
pub(crate) async fn comment(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = PlanId(id);
    let account = account_of(&state, id).await?;
    let form = FormFields::parse(&body);
    let result = ops::comment(&state, &signed_in.actor, id, form.text("body")).await;
    back_to_plan(account, "comments", result)
}

/// `POST /plans/{id}/share`: the page again, with the new link's address shown once.
pub(crate) async fn share(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = PlanId(id);
    let account = account_of(&state, id).await?;
    let form = FormFields::parse(&body);
    let days = form.count("expires_in_days");
    let contact = form.text("contact_id").parse().ok();
    match ops::share(&state, &signed_in.actor, &signed_in.origin, &headers, id, contact, days).await {
        Ok((_, _, url)) => Ok(axum::response::IntoResponse::into_response(
            page(&state, signed_in, account, None, Some(url)).await?,
        )),
        Err(e) => back_to_plan::<()>(account, "share", Err(e)),
    }
}
