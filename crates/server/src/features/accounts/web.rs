//! Account pages: the filtered, sorted, paged list; one account's whole story; the edit form.

use std::collections::{BTreeMap, HashMap};

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use lodestar_domain::account::AccountFields;
use lodestar_domain::health::Band;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::{EngagementPreference, Level, LifecycleStage, Tier};
use lodestar_domain::{AccountId, UserId};
use lodestar_store::{AccountFilter, AccountOrder, AccountSort};
use serde::Deserialize;

use super::ops;
use crate::AppState;
use crate::http::error::ApiError;
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
    SignedIn { user: me, .. }: SignedIn,
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
    })
}

struct ContactRow {
    name: String,
    title: String,
    email: String,
    role: String,
    influence: String,
    status: String,
}

struct ContractRow {
    name: String,
    term: String,
    arr: String,
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
}

pub(crate) async fn show(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
    Path(id): Path<i64>,
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
    ];
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
    let meetings = crate::features::meetings::web::account_meetings(
        &state.store,
        &actor,
        id,
        today,
        flash.for_slot("meetings_error"),
    )
    .await?;
    let page = AccountPage {
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
    };
    Ok(render(&page)?.into_response())
}

#[derive(askama::Template)]
#[template(path = "accounts/account_edit.html")]
struct EditPage {
    me: User,
    id: i64,
    name: String,
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<String, String>,
    stages: Vec<Choice>,
    tiers: Vec<Choice>,
    growths: Vec<Choice>,
    engagements: Vec<Choice>,
    owners: Vec<Choice>,
    can_reassign: bool,
}

impl EditPage {
    fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }
    fn error(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }
}

#[derive(Deserialize)]
pub(crate) struct EditForm {
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

async fn edit_page(
    state: &AppState,
    me: User,
    can_reassign: bool,
    id: AccountId,
    f: &AccountFields,
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<String, String>,
) -> Result<Html, ApiError> {
    let owners = ops::possible_owners(state.store.users().await?)
        .into_iter()
        .map(|u| Choice {
            selected: values.get("owner_id").map(String::as_str) == Some(u.id.0.to_string().as_str()),
            value: u.id.0.to_string(),
            label: u.fields.name.to_string(),
        })
        .collect();
    let pick = |field: &str| values.get(field).map(String::as_str).unwrap_or("");
    render(&EditPage {
        me,
        id: id.0,
        name: f.name.to_string(),
        stages: choices(
            LifecycleStage::ALL,
            pick("lifecycle_stage").parse().ok(),
            LifecycleStage::as_str,
            LifecycleStage::label,
        ),
        tiers: choices(Tier::ALL, pick("tier").parse().ok(), Tier::as_str, Tier::label),
        growths: choices(
            Level::ALL,
            pick("growth_potential").parse().ok(),
            Level::as_str,
            Level::label,
        ),
        engagements: choices(
            EngagementPreference::ALL,
            pick("engagement_preference").parse().ok(),
            EngagementPreference::as_str,
            EngagementPreference::label,
        ),
        owners,
        can_reassign,
        values,
        errors,
    })
}

fn current_values(f: &AccountFields) -> BTreeMap<&'static str, String> {
    let s = |v: Option<String>| v.unwrap_or_default();
    BTreeMap::from([
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

pub(crate) async fn edit_form(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let id = AccountId(id);
    let account = ops::writable(&state.store, &actor, id).await?;
    let values = current_values(&account.fields);
    Ok(edit_page(
        &state,
        me,
        actor.can_manage_all_accounts(),
        id,
        &account.fields,
        values,
        BTreeMap::new(),
    )
    .await?
    .into_response())
}

pub(crate) async fn edit(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<EditForm>,
) -> Result<Response, ApiError> {
    let id = AccountId(id);
    let account = ops::writable(&state.store, &actor, id).await?;
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    fn note(errors: &mut BTreeMap<String, String>, field: &str, e: String) {
        errors.entry(field.to_owned()).or_insert(e);
    }
    fn opt<T: std::str::FromStr<Err = String>>(v: &str) -> Result<Option<T>, String> {
        let v = v.trim();
        if v.is_empty() { Ok(None) } else { v.parse().map(Some) }
    }
    fn date(v: &str) -> Result<Option<NaiveDate>, String> {
        let v = v.trim();
        if v.is_empty() {
            Ok(None)
        } else {
            v.parse()
                .map(Some)
                .map_err(|_| format!("{v:?} is not a date (YYYY-MM-DD)"))
        }
    }
    let mut fields = account.fields.clone();
    macro_rules! set {
        ($field:ident, $parsed:expr) => {
            match $parsed {
                Ok(v) => fields.$field = v,
                Err(e) => note(&mut errors, stringify!($field), e),
            }
        };
    }
    set!(name, form.name.parse());
    set!(domain, opt(&form.domain));
    set!(industry, opt(&form.industry));
    set!(region, opt(&form.region));
    let employees = form.employees.trim().replace(',', "");
    set!(
        employees,
        if employees.is_empty() {
            Ok(None)
        } else {
            employees
                .parse::<u32>()
                .map(Some)
                .map_err(|_| format!("{employees:?} is not a whole number of zero or more"))
        }
    );
    set!(lifecycle_stage, form.lifecycle_stage.parse());
    set!(tier, opt(&form.tier));
    set!(growth_potential, opt(&form.growth_potential));
    set!(engagement_preference, opt(&form.engagement_preference));
    set!(launch_date, date(&form.launch_date));
    set!(first_value_date, date(&form.first_value_date));
    if let Some(owner) = form.owner_id.as_deref() {
        fields.owner_id = owner.trim().parse::<i64>().ok().map(UserId);
        ops::may_reassign(&actor, &account.fields, &fields)?;
    }
    let mut values = current_values(&fields);
    for (k, v) in [
        ("name", &form.name),
        ("domain", &form.domain),
        ("industry", &form.industry),
        ("employees", &form.employees),
        ("region", &form.region),
        ("launch_date", &form.launch_date),
        ("first_value_date", &form.first_value_date),
    ] {
        values.insert(k, v.clone());
    }
    if errors.is_empty() {
        let result = match fields.clone().validate(Some(id)) {
            Ok(valid) => ops::update(&state.store, &actor, id, valid).await.map(|_| ()),
            Err(invalid) => Err(invalid.into()),
        };
        match result {
            Ok(()) => return Ok(Redirect::to(&format!("/accounts/{}", id.0)).into_response()),
            Err(ApiError::Invalid(invalid)) => {
                for e in invalid.errors {
                    note(&mut errors, e.field, e.reason);
                }
            }
            Err(other) => return Err(other),
        }
    }
    let page = edit_page(
        &state,
        me,
        actor.can_manage_all_accounts(),
        id,
        &account.fields,
        values,
        errors,
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
