//! `/api/v1/accounts`: list (filters, sort, cursor paging), create, read, replace, delete.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use lodestar_domain::health::Band;
use lodestar_domain::{AccountId, UserId};
use lodestar_store::{AccountFilter, AccountOrder, AccountSort, AccountSummary};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, AccountInput};
use crate::AppState;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, DeleteProblems, ReadProblems, WriteProblems};
use crate::http::json::{Json, patched};
use crate::http::params::{IdPath, allowed, bad, path_id, vocab};
use lodestar_domain::access::Actor;
use lodestar_domain::vocabulary::AuditKind;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, replace_account, patch_account, delete_account))
}

/// An account as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountOutput {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub domain: Option<String>,
    pub industry: Option<String>,
    pub employees: Option<u32>,
    pub region: Option<String>,
    pub lifecycle_stage: String,
    pub tier: Option<String>,
    pub owner_id: Option<i64>,
    pub ae_id: Option<i64>,
    pub sponsor_id: Option<i64>,
    pub growth_potential: Option<String>,
    pub engagement_preference: Option<String>,
    pub launch_date: Option<NaiveDate>,
    pub first_value_date: Option<NaiveDate>,
    pub parent_id: Option<i64>,
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// Current ARR over all contracts, a decimal string (`12000.00`).
    #[schema(example = "12000.00")]
    pub arr: String,
    /// The earliest end date among contracts with ARR.
    pub renewal_date: Option<NaiveDate>,
}

fn text<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(T::to_string)
}

impl From<AccountSummary> for AccountOutput {
    fn from(s: AccountSummary) -> Self {
        let f = s.account.fields;
        AccountOutput {
            id: s.account.id.0,
            external_id: f.external_id.to_string(),
            name: f.name.to_string(),
            domain: text(&f.domain),
            industry: text(&f.industry),
            employees: f.employees,
            region: text(&f.region),
            lifecycle_stage: f.lifecycle_stage.to_string(),
            tier: text(&f.tier),
            owner_id: f.owner_id.map(|u| u.0),
            ae_id: f.ae_id.map(|u| u.0),
            sponsor_id: f.sponsor_id.map(|u| u.0),
            growth_potential: text(&f.growth_potential),
            engagement_preference: text(&f.engagement_preference),
            launch_date: f.launch_date,
            first_value_date: f.first_value_date,
            parent_id: f.parent_id.map(|a| a.0),
            custom_fields: f.custom_fields.into(),
            arr: s.arr.to_string(),
            renewal_date: s.renewal_date,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountPage {
    pub items: Vec<AccountOutput>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    /// strategic, enterprise, mid_tier or long_tail.
    pub tier: Option<String>,
    pub owner_id: Option<i64>,
    /// land, adopt, expand, renew or churned.
    pub lifecycle_stage: Option<String>,
    /// Exact industry (any case).
    pub industry: Option<String>,
    /// Only accounts whose next renewal is within this many days from today.
    #[param(minimum = 0, maximum = 3650)]
    pub renewal_within_days: Option<u32>,
    /// Free text: name, domain or external id contains it.
    pub q: Option<String>,
    /// Current health band: red, yellow or green (unscored accounts never match).
    pub band: Option<String>,
    /// name, arr or renewal_date; prefix `-` for descending. Default name.
    #[param(pattern = "^-?(name|arr|renewal_date)$")]
    pub sort: Option<String>,
    /// Page size, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl AccountQuery {
    fn parse(self, today: NaiveDate) -> Result<(AccountFilter, AccountOrder, u32, Option<String>), ApiError> {
        let renewal_between = match self.renewal_within_days {
            None => None,
            Some(days) if days <= 3650 => Some((today, today + chrono::Days::new(u64::from(days)))),
            Some(_) => return Err(bad("renewal_within_days", "must be between 0 and 3650")),
        };
        let filter = AccountFilter {
            tier: vocab("tier", self.tier)?,
            owner_id: self.owner_id.map(UserId),
            lifecycle_stage: vocab("lifecycle_stage", self.lifecycle_stage)?,
            industry: self.industry,
            renewal_between,
            q: self.q,
            band: self
                .band
                .map(|b| {
                    Band::parse(b.trim())
                        .ok_or_else(|| bad("band", format!("{b:?} is not a band: red, yellow or green")))
                })
                .transpose()?,
        };
        let sort_text = self.sort.as_deref().unwrap_or("name");
        let (descending, key) = match sort_text.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, sort_text),
        };
        let sort = match key {
            "name" => AccountSort::Name,
            "arr" => AccountSort::Arr,
            "renewal_date" => AccountSort::RenewalDate,
            _ => {
                return Err(bad(
                    "sort",
                    format!("unknown sort {sort_text:?}; use name, arr or renewal_date, with - for descending"),
                ));
            }
        };
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(bad("limit", "must be between 1 and 500"));
        }
        Ok((filter, AccountOrder { sort, descending }, limit, self.cursor))
    }
}

/// List accounts.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(AccountQuery),
    responses(
        (status = 200, description = "A page of accounts", body = AccountPage),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn list_accounts(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<AccountQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<AccountPage>, ApiError> {
    let Query(query) = query?;
    let (filter, order, limit, cursor) = query.parse(state.store.today())?;
    let page = state
        .store
        .list_accounts(&filter, order, limit, cursor.as_deref())
        .await?;
    Ok(axum::Json(AccountPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Create an account.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = AccountInput,
    responses(
        (status = 201, description = "Created", body = AccountOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn create_account(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<AccountInput>,
) -> Result<(StatusCode, axum::Json<AccountOutput>), ApiError> {
    ops::may_create(&actor)?;
    let fields = body.read()?.into_fields(None)?;
    let created = ops::create(&state.store, &actor, fields).await?;
    Ok((StatusCode::CREATED, axum::Json(created.into())))
}

/// Read one account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The account", body = AccountOutput),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn get_account(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<AccountOutput>, ApiError> {
    let id = AccountId(path_id(id)?);
    let account = state
        .store
        .account_summary(id)
        .await?
        .ok_or_else(|| crate::features::accounts::ops::not_found(id))?;
    Ok(axum::Json(account.into()))
}

/// Replace every field of an account.
#[utoipa::path(put, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = i64, Path)), request_body = AccountInput,
    responses(
        (status = 200, description = "The updated account", body = AccountOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn replace_account(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<AccountInput>,
) -> Result<axum::Json<AccountOutput>, ApiError> {
    let id = AccountId(path_id(id)?);
    // Who may is answered before what was sent is judged: a caller without the right gets
    // 403 whatever the body.
    ops::writable(&state.store, &actor, id).await?;
    replace(&state, &actor, id, body.read()?).await
}

/// Change some fields of an account: a JSON merge patch (RFC 7396) of its replace body —
/// the fields to change, `null` to clear one — judged as the replace it stands for.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = i64, Path)),
    request_body(content = AccountInput, content_type = "application/merge-patch+json",
        description = "Any of AccountInput's fields; null clears one"),
    responses(
        (status = 200, description = "The updated account", body = AccountOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn patch_account(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<serde_json::Value>,
) -> Result<axum::Json<AccountOutput>, ApiError> {
    let id = AccountId(path_id(id)?);
    ops::writable(&state.store, &actor, id).await?;
    let current = state
        .store
        .account_summary(id)
        .await?
        .ok_or_else(|| ops::not_found(id))?;
    let input = patched::<AccountInput>(AccountOutput::from(current), body.read()?, &[])?;
    replace(&state, &actor, id, input).await
}

/// What a replace and a patch both end in.
async fn replace(
    state: &AppState,
    actor: &Actor,
    id: AccountId,
    input: AccountInput,
) -> Result<axum::Json<AccountOutput>, ApiError> {
    let fields = input.into_fields(Some(id))?;
    Ok(axum::Json(ops::update(&state.store, actor, id, fields).await?.into()))
}

/// Delete an account with its contacts and contracts.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        DeleteProblems,
    ),
    security(("bearer" = [])))]
async fn delete_account(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    let id = AccountId(path_id(id)?);
    allowed(
        actor.can_manage_all_accounts(),
        "only leaders and admins delete accounts",
    )?;
    let account = ops::existing(&state.store, id).await?;
    state.store.delete_account(id).await?;
    let detail = format!("{} ({})", account.fields.name, account.fields.external_id);
    state
        .audit(
            &origin,
            AuditKind::AccountDeleted,
            Some(format!("account {id}")),
            detail,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
