//! Account pages: the filtered, sorted, paged list; one account's whole story; the form that
//! creates an account and edits one.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::account::AccountFields;
use lodestar_domain::health::Band;
use lodestar_domain::user::{AccountSlot, User};
use lodestar_domain::vocabulary::{EngagementPreference, Level, LifecycleStage, Tier};
use lodestar_domain::{AccountId, UserId};
use lodestar_store::{AccountFilter, AccountOrder, AccountSort};
use serde::Deserialize;

use super::ops::{self, AccountInput};
use crate::AppState;
use crate::http::error::ApiError;
use crate::http::forms::{FormState, filled, optional_count, optional_date, optional_id, suggested_external_id};
use crate::http::pages::{Choice, choices, url_encode};
use crate::http::pages::{Html, SignedIn, render};
use lodestar_domain::contract::arr_by_month;

fn names(users: &[User]) -> HashMap<UserId, String> {
    users.iter().map(|u| (u.id, u.fields.name.to_string())).collect()
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    q: Option<String>,
    tier: Option<String>,
    lifecycle_stage: Option<String>,
    owner_id: Option<String>,
    industry: Option<String>,
    renewal_within_days: Option<String>,
    band: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

struct Row {
    id: i64,
    name: String,
    domain: String,
    tier: String,
    stage: String,
    owner: String,
    arr: String,
    renewal: String,
    /// Score and band ("red", …), when scored.
    health: Option<(u32, &'static str)>,
}

#[derive(askama::Template)]
#[template(path = "accounts/accounts.html")]
struct ListPage {
    me: User,
    q: String,
    industry: String,
    renewal_within_days: String,
    tiers: Vec<Choice>,
    stages: Vec<Choice>,
    owners: Vec<Choice>,
    bands: Vec<Choice>,
    sorts: Vec<Choice>,
    rows: Vec<Row>,
    next_link: Option<String>,
    first_link: Option<String>,
    error: Option<String>,
    can_create: bool,
}

const SORTS: &[(&str, &str)] = &[
    ("name", "Name A–Z"),
    ("-name", "Name Z–A"),
    ("-arr", "ARR, highest first"),
    ("arr", "ARR, lowest first"),
    ("renewal_date", "Renewal, soonest first"),
];

fn blank_to_none(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Query(q): Query<ListQuery>,
) -> Result<Html, ApiError> {
    let mut error = None;
    let tier = blank_to_none(&q.tier).and_then(|t| t.parse::<Tier>().map_err(|e| error = Some(e)).ok());
    let stage =
        blank_to_none(&q.lifecycle_stage).and_then(|t| t.parse::<LifecycleStage>().map_err(|e| error = Some(e)).ok());
    let owner = blank_to_none(&q.owner_id)
        .and_then(|o| o.parse::<i64>().ok())
        .map(UserId);
    let days = blank_to_none(&q.renewal_within_days)
        .and_then(|d| d.parse::<u32>().ok())
        .filter(|d| *d <= 3650);
    let today = state.store.today();
    let filter = AccountFilter {
        tier,
        owner_id: owner,
        lifecycle_stage: stage,
        industry: blank_to_none(&q.industry).map(str::to_owned),
        renewal_between: days.map(|d| (today, today + chrono::Days::new(u64::from(d)))),
        q: blank_to_none(&q.q).map(str::to_owned),
        band: blank_to_none(&q.band).and_then(Band::parse),
    };
    let sort_key = blank_to_none(&q.sort)
        .filter(|s| SORTS.iter().any(|(k, _)| k == s))
        .unwrap_or("name");
    let (descending, key) = sort_key.strip_prefix('-').map_or((false, sort_key), |k| (true, k));
    let sort = match key {
        "arr" => AccountSort::Arr,
        "renewal_date" => AccountSort::RenewalDate,
        _ => AccountSort::Name,
    };
    let cursor = blank_to_none(&q.cursor);
    let page = match state
        .store
        .list_accounts(&filter, AccountOrder { sort, descending }, 50, cursor)
        .await
    {
        Ok(p) => p,
        Err(lodestar_store::StoreError::BadCursor) => {
            error = Some("That page link is out of date; showing the first page.".into());
            state
                .store
                .list_accounts(&filter, AccountOrder { sort, descending }, 50, None)
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    let owner_ids: Vec<UserId> = page.items.iter().filter_map(|a| a.account.fields.owner_id).collect();
    let owner_names = names(&state.store.users_by_ids(&owner_ids).await?);
    let ids: Vec<AccountId> = page.items.iter().map(|a| a.account.id).collect();
    let scores = state.store.scores_of(&ids).await?;
    let rows = page
        .items
        .iter()
        .map(|a| {
            let f = &a.account.fields;
            Row {
                id: a.account.id.0,
                name: f.name.to_string(),
                domain: f.domain.as_ref().map(|d| d.to_string()).unwrap_or_default(),
                tier: f.tier.map(|t| t.label().to_owned()).unwrap_or_default(),
                stage: f.lifecycle_stage.label().to_owned(),
                owner: f
                    .owner_id
                    .and_then(|o| owner_names.get(&o).cloned())
                    .unwrap_or_else(|| "—".into()),
                arr: a.arr.whole_dollars(),
                renewal: a.renewal_date.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                health: scores.get(&a.account.id).map(|(score, band)| (*score, band.as_str())),
            }
        })
        .collect();
    // "My accounts", plus whoever's book is being looked at (the team page links here):
    // a select of every owner would be thousands of names in a large team.
    let mut owners = vec![Choice {
        value: me.id.0.to_string(),
        label: "My accounts".into(),
        selected: owner == Some(me.id),
    }];
    if let Some(other) = owner.filter(|o| *o != me.id) {
        let label = state
            .store
            .user(other)
            .await?
            .map_or_else(|| format!("User {other}"), |u| u.fields.name.to_string());
        owners.push(Choice {
            value: other.0.to_string(),
            label,
            selected: true,
        });
    }
    let keep = |extra: &str| {
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", &q.q),
            ("tier", &q.tier),
            ("lifecycle_stage", &q.lifecycle_stage),
            ("owner_id", &q.owner_id),
            ("industry", &q.industry),
            ("renewal_within_days", &q.renewal_within_days),
            ("band", &q.band),
            ("sort", &q.sort),
        ] {
            if let Some(v) = blank_to_none(v) {
                parts.push(format!("{k}={}", url_encode(v)));
            }
        }
        if !extra.is_empty() {
            parts.push(extra.to_owned());
        }
        format!("/accounts?{}", parts.join("&"))
    };
    render(&ListPage {
        me,
        q: q.q.clone().unwrap_or_default(),
        industry: q.industry.clone().unwrap_or_default(),
        renewal_within_days: days.map(|d| d.to_string()).unwrap_or_default(),
        tiers: choices(Tier::ALL, tier, Tier::as_str, Tier::label),
        stages: choices(
            LifecycleStage::ALL,
            stage,
            LifecycleStage::as_str,
            LifecycleStage::label,
        ),
        owners,
        bands: choices(&Band::ALL, filter.band, Band::as_str, Band::label),
        sorts: SORTS
            .iter()
            .map(|(k, l)| Choice {
                value: (*k).into(),
                label: (*l).into(),
                selected: *k == sort_key,
            })
            .collect(),
        rows,
        next_link: page.next_cursor.map(|c| keep(&format!("cursor={c}"))),
        first_link: cursor.map(|_| keep("")),
        error,
        can_create: ops::may_create(&actor).is_ok(),
    })
}

struct ContactRow {
    id: i64,
    /// Still at the customer (may be named as the one who asked for something).
    active: bool,
    name: String,
    title: String,
    email: String,
    role: String,
    influence: String,
    status: String,
}

struct ContractRow {
    id: i64,
    name: String,
    term: String,
    arr: String,
    /// Nothing follows a churn, so no change can be recorded.
    churned: bool,
}

struct Event {
    date: String,
    /// Who made the change, when a person did.
    actor: Option<String>,
    text: String,
}

#[derive(askama::Template)]
#[template(path = "accounts/account.html")]
struct AccountPage {
    me: User,
    id: i64,
    name: String,
    can_edit: bool,
    facts: Vec<(&'static str, String)>,
    custom: Vec<(String, String)>,
    arr: String,
    renewal: String,
    contacts: Vec<ContactRow>,
    contracts: Vec<ContractRow>,
    timeline: Vec<Event>,
    chart: String,
    usage: crate::features::usage::web::AccountUsage,
    health: crate::features::health::web::AccountHealthView,
    reviews: crate::features::lxl::web::AccountReviews,
    meetings: crate::features::meetings::web::AccountMeetings,
    goals: crate::features::goals::web::AccountGoals,
    surveys: crate::features::surveys::web::AccountSurveys,
    support: crate::features::tickets::web::AccountSupport,
    /// The levels a leader may place the account in ("" is its tier's); empty for others.
    level_choices: Vec<Choice>,
    level_error: Option<String>,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    // A health form's problem is shown on the health card, an LxL or churn form's in that
    // section, after the redirect back.
    let (health_error, error) = (flash.for_slot("health_error"), flash.for_slot("error"));
    let id = AccountId(id);
    let today = state.store.today();
    let Some(view) = state.store.account_view(id, today).await? else {
        return Ok((
            StatusCode::NOT_FOUND,
            ApiError::NotFound(format!("account {id} does not exist")),
        )
            .into_response());
    };
    let summary = &view.summary;
    let f = &summary.account.fields;
    let who = names(&view.people);
    let person = |u: Option<UserId>| u.and_then(|u| who.get(&u).cloned()).unwrap_or_else(|| "—".into());
    let parent = view.parent_name.clone();
    let text = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let facts = vec![
        ("External id", f.external_id.to_string()),
        ("Domain", text(f.domain.as_ref().map(|d| d.to_string()))),
        ("Industry", text(f.industry.as_ref().map(|d| d.to_string()))),
        ("Employees", text(f.employees.map(|e| e.to_string()))),
        ("Region", text(f.region.as_ref().map(|d| d.to_string()))),
        ("Lifecycle stage", f.lifecycle_stage.label().to_owned()),
        ("Tier", text(f.tier.map(|t| t.label().to_owned()))),
        ("Owner (CSM)", person(f.owner_id)),
        ("Account executive", person(f.ae_id)),
        ("Executive sponsor", person(f.sponsor_id)),
        (
            "Growth potential",
            text(f.growth_potential.map(|g| g.label().to_owned())),
        ),
        (
            "Engagement",
            text(f.engagement_preference.map(|g| g.label().to_owned())),
        ),
        ("Launch (go-live)", text(f.launch_date.map(|d| d.to_string()))),
        ("First value", text(f.first_value_date.map(|d| d.to_string()))),
        ("Parent account", text(parent)),
        (
            "Experience level",
            view.experience.as_ref().map_or_else(
                || "— (no tier)".into(),
                |l| {
                    let how = if l.placed { "placed by hand" } else { "by its tier" };
                    format!("{} ({how}): {}", l.name, l.entitlements.summary())
                },
            ),
        ),
    ];
    let level_choices = if actor.can_manage_all_accounts() {
        let placed = view.experience.as_ref().filter(|l| l.placed).map(|l| l.id);
        let mut all = vec![Choice {
            value: String::new(),
            label: "Its tier's level".into(),
            selected: placed.is_none(),
        }];
        all.extend(state.store.experience_levels().await?.into_iter().map(|l| Choice {
            value: l.id.to_string(),
            label: l.name.to_string(),
            selected: placed == Some(l.id),
        }));
        all
    } else {
        Vec::new()
    };
    let custom = f
        .custom_fields
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()),
            )
        })
        .collect();
    let contacts = view
        .contacts
        .into_iter()
        .map(|c| {
            let name = c.fields.display_name();
            let f = c.fields;
            ContactRow {
                id: c.id.0,
                active: f.left_on.is_none() && f.status == lodestar_domain::vocabulary::ContactStatus::Active,
                name,
                title: f.title.map(|t| t.to_string()).unwrap_or_default(),
                email: f.email.map(|e| e.to_string()).unwrap_or_default(),
                role: f.role.map(|r| r.label().to_owned()).unwrap_or_default(),
                influence: f.influence.map(|r| r.label().to_owned()).unwrap_or_default(),
                status: match f.left_on {
                    Some(d) => format!("Left {d}"),
                    None => f.status.label().to_owned(),
                },
            }
        })
        .collect();
    let contracts = view.contracts;
    let timeline = view.timeline;
    let points: Vec<(String, f64)> = arr_by_month(&contracts, today, 35)
        .into_iter()
        .map(|(month, arr)| (month.format("%Y-%m").to_string(), arr.0 as f64 / 100.0))
        .collect();
    let chart = serde_json::to_string(&points).expect("chart data serialises");
    let usage = crate::features::usage::web::account_usage(view.usage);
    let health = crate::features::health::web::account_health(view.health, view.problem, health_error);
    let reviews = crate::features::lxl::web::account_reviews(&state, &actor, id, error).await?;
    let mut meetings = crate::features::meetings::web::account_meetings(
        &state.store,
        &actor,
        id,
        today,
        flash.for_slot("meetings_error"),
    )
    .await?;
    let goals =
        crate::features::goals::web::account_goals(&state.store, id, today, flash.for_slot("goals_error")).await?;
    let surveys = crate::features::surveys::web::account_surveys(
        &state.store,
        id,
        actor.can_write_account(summary.account.fields.owner_id),
        flash.for_slot("surveys_error"),
    )
    .await?;
    let support =
        crate::features::tickets::web::account_support(&state.store, id, flash.for_slot("requests_error")).await?;
    // The account's feed URL is a credential: shown to those who write to the account.
    if actor.can_write_account(summary.account.fields.owner_id) {
        let feed = state
            .store
            .calendar_feed(lodestar_store::FeedOwner::Account(id))
            .await?;
        meetings.feed_url = feed.map(|f| crate::features::calendar::feed_url(&state, &headers, &f));
    }
    let page = AccountPage {
        level_choices,
        level_error: flash.for_slot("level_error"),
        me,
        id: id.0,
        name: f.name.to_string(),
        can_edit: actor.can_write_account(f.owner_id),
        facts,
        custom,
        arr: summary.arr.whole_dollars(),
        renewal: summary
            .renewal_date
            .map(|d| d.to_string())
            .unwrap_or_else(|| "—".into()),
        contacts,
        contracts: contracts
            .iter()
            .map(|c| ContractRow {
                id: c.id.0,
                churned: c.changes.is_churned(),
                name: c
                    .fields
                    .name
                    .as_ref()
                    .map_or_else(|| c.fields.external_id.to_string(), |n| n.to_string()),
                term: format!("{} → {}", c.fields.start_date, c.fields.end_date),
                arr: c.arr.whole_dollars(),
            })
            .collect(),
        timeline: timeline
            .into_iter()
            .map(|e| Event {
                date: e.on.to_string(),
                actor: e.actor,
                text: e.text,
            })
            .collect(),
        chart,
        usage,
        health,
        reviews,
        meetings,
        goals,
        surveys,
        support,
    };
    Ok(render(&page)?.into_response())
}

#[derive(askama::Template)]
#[template(path = "accounts/account_form.html")]
struct AccountFormPage {
    me: User,
    /// The account being edited (id, name); `None` for a new one.
    account: Option<(i64, String)>,
    action: String,
    form: FormState,
    stages: Vec<Choice>,
    tiers: Vec<Choice>,
    growths: Vec<Choice>,
    engagements: Vec<Choice>,
    owners: Vec<Choice>,
    can_reassign: bool,
}

/// An account as its form sends it. `owner_id` is absent when the select is disabled (only a
/// leader hands an account to another owner); `external_id` is asked of a new account only.
#[derive(Deserialize)]
pub(crate) struct AccountForm {
    #[serde(default)]
    external_id: String,
    name: String,
    domain: String,
    industry: String,
    employees: String,
    region: String,
    lifecycle_stage: String,
    tier: String,
    owner_id: Option<String>,
    growth_potential: String,
    engagement_preference: String,
    launch_date: String,
    first_value_date: String,
}

impl AccountForm {
    /// The form as typed, to show again; an owner it did not send is `current`'s.
    fn typed(&self, current: Option<&AccountFields>) -> FormState {
        let kept_owner = current
            .and_then(|f| f.owner_id)
            .map(|o| o.0.to_string())
            .unwrap_or_default();
        FormState::with_values([
            ("external_id", self.external_id.clone()),
            ("name", self.name.clone()),
            ("domain", self.domain.clone()),
            ("industry", self.industry.clone()),
            ("employees", self.employees.clone()),
            ("region", self.region.clone()),
            ("lifecycle_stage", self.lifecycle_stage.clone()),
            ("tier", self.tier.clone()),
            ("owner_id", self.owner_id.clone().unwrap_or(kept_owner)),
            ("growth_potential", self.growth_potential.clone()),
            ("engagement_preference", self.engagement_preference.clone()),
            ("launch_date", self.launch_date.clone()),
            ("first_value_date", self.first_value_date.clone()),
        ])
    }

    /// The input the API reads for this account. What the form does not show comes from
    /// `current` (an edited account's fields); a date or count the browser sent as text that
    /// is none is noted on `form`.
    fn into_input(self, current: Option<&AccountFields>, form: &mut FormState) -> AccountInput {
        let employees = form.read("employees", optional_count(&self.employees)).flatten();
        let launch_date = form.read("launch_date", optional_date(&self.launch_date)).flatten();
        let first_value_date = form
            .read("first_value_date", optional_date(&self.first_value_date))
            .flatten();
        let owner_id = match self.owner_id {
            Some(owner) => form.read("owner_id", optional_id(&owner)).flatten(),
            None => current.and_then(|f| f.owner_id).map(|o| o.0),
        };
        let id = |slot: fn(&AccountFields) -> Option<UserId>| current.and_then(slot).map(|u| u.0);
        AccountInput {
            external_id: current.map_or(self.external_id, |f| f.external_id.to_string()),
            name: self.name,
            domain: filled(&self.domain),
            industry: filled(&self.industry),
            employees,
            region: filled(&self.region),
            lifecycle_stage: filled(&self.lifecycle_stage),
            tier: filled(&self.tier),
            owner_id,
            ae_id: id(|f| f.ae_id),
            sponsor_id: id(|f| f.sponsor_id),
            growth_potential: filled(&self.growth_potential),
            engagement_preference: filled(&self.engagement_preference),
            launch_date,
            first_value_date,
            parent_id: current.and_then(|f| f.parent_id).map(|p| p.0),
            custom_fields: current.map(|f| f.custom_fields.clone().into()),
        }
    }
}

async fn form_page(
    state: &AppState,
    me: User,
    can_reassign: bool,
    account: Option<(i64, String)>,
    form: FormState,
) -> Result<Html, ApiError> {
    let owners = ops::possible_owners(state.store.users().await?)
        .into_iter()
        .map(|u| Choice {
            value: u.id.0.to_string(),
            label: u.fields.name.to_string(),
            selected: false,
        })
        .collect();
    render(&AccountFormPage {
        me,
        action: account
            .as_ref()
            .map_or_else(|| "/accounts/new".to_owned(), |(id, _)| format!("/accounts/{id}/edit")),
        account,
        form,
        stages: choices(LifecycleStage::ALL, None, LifecycleStage::as_str, LifecycleStage::label),
        tiers: choices(Tier::ALL, None, Tier::as_str, Tier::label),
        growths: choices(Level::ALL, None, Level::as_str, Level::label),
        engagements: choices(
            EngagementPreference::ALL,
            None,
            EngagementPreference::as_str,
            EngagementPreference::label,
        ),
        owners,
        can_reassign,
    })
}

fn current_values(f: &AccountFields) -> FormState {
    let s = |v: Option<String>| v.unwrap_or_default();
    FormState::with_values([
        ("name", f.name.to_string()),
        ("domain", s(f.domain.as_ref().map(|v| v.to_string()))),
        ("industry", s(f.industry.as_ref().map(|v| v.to_string()))),
        ("employees", s(f.employees.map(|v| v.to_string()))),
        ("region", s(f.region.as_ref().map(|v| v.to_string()))),
        ("lifecycle_stage", f.lifecycle_stage.as_str().to_owned()),
        ("tier", s(f.tier.map(|v| v.as_str().to_owned()))),
        ("owner_id", s(f.owner_id.map(|v| v.0.to_string()))),
        ("growth_potential", s(f.growth_potential.map(|v| v.as_str().to_owned()))),
        (
            "engagement_preference",
            s(f.engagement_preference.map(|v| v.as_str().to_owned())),
        ),
        ("launch_date", s(f.launch_date.map(|v| v.to_string()))),
        ("first_value_date", s(f.first_value_date.map(|v| v.to_string()))),
    ])
}

/// The new-account form: a new customer starts in Land, owned by whoever creates it when they
/// may own accounts.
pub(crate) async fn new_form(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
) -> Result<Response, ApiError> {
    ops::may_create(&actor)?;
    let mut form = FormState::with_values([
        ("external_id", suggested_external_id("acct")),
        ("lifecycle_stage", LifecycleStage::Land.as_str().to_owned()),
    ]);
    if AccountSlot::Owner.accepts(me.fields.role) {
        form.set("owner_id", me.id.0.to_string());
    }
    Ok(form_page(&state, me, true, None, form).await?.into_response())
}

pub(crate) async fn create(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Form(submitted): Form<AccountForm>,
) -> Result<Response, ApiError> {
    ops::may_create(&actor)?;
    let mut form = submitted.typed(None);
    let input = submitted.into_input(None, &mut form);
    if let Some(fields) = form.settle(input.into_fields(None)) {
        match ops::create(&state.store, &actor, fields).await {
            Ok(created) => return Ok(Redirect::to(&format!("/accounts/{}", created.account.id.0)).into_response()),
            Err(e) => form.absorb(e, "external_id")?,
        }
    }
    let page = form_page(&state, me, true, None, form).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub(crate) async fn edit_form(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let account = ops::writable(&state.store, &actor, AccountId(id)).await?;
    let form = current_values(&account.fields);
    let named = Some((id, account.fields.name.to_string()));
    Ok(form_page(&state, me, actor.can_manage_all_accounts(), named, form)
        .await?
        .into_response())
}

pub(crate) async fn edit(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
    Form(submitted): Form<AccountForm>,
) -> Result<Response, ApiError> {
    let id = AccountId(id);
    let account = ops::writable(&state.store, &actor, id).await?;
    let current = Some(&account.fields);
    let mut form = submitted.typed(current);
    let input = submitted.into_input(current, &mut form);
    if let Some(fields) = form.settle(input.into_fields(Some(id))) {
        match ops::update(&state.store, &actor, id, fields).await {
            Ok(_) => return Ok(Redirect::to(&format!("/accounts/{}", id.0)).into_response()),
            Err(e) => form.absorb(e, "external_id")?,
        }
    }
    let named = Some((id.0, account.fields.name.to_string()));
    let page = form_page(&state, me, actor.can_manage_all_accounts(), named, form).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
