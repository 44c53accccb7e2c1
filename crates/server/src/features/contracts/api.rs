//! Contracts: `/api/v1/accounts/{id}/contracts`, `/api/v1/contracts/{id}`, its ARR changes
//! and its line items.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use lodestar_domain::contract::{ArrChange, Contract, LineItem};
use lodestar_domain::{AccountId, Cents, ContractId, FieldError, Invalid};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, ChangeInput, ContractInput, contract_not_found, writable_contract};
use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, DeleteProblems, ReadProblems, WriteProblems};
use crate::http::json::{Json, patched};
use crate::http::params::{IdPath, checked, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contracts, create_contract))
        .routes(routes!(get_contract, replace_contract, patch_contract, delete_contract))
        .routes(routes!(record_change))
        .routes(routes!(replace_line_items))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineItemOutput {
    pub product: String,
    pub quantity: u32,
    /// Price per unit per year, a decimal string.
    pub unit_price: String,
    /// Discount in basis points (1500 = 15 %).
    pub discount_bp: u16,
    /// Net amount per year, a decimal string.
    pub annual_amount: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOutput {
    pub effective_date: NaiveDate,
    /// new, expansion, contraction, renewal or churn.
    pub kind: String,
    pub arr_before: String,
    pub arr_after: String,
}

impl From<&ArrChange> for ChangeOutput {
    fn from(c: &ArrChange) -> Self {
        ChangeOutput {
            effective_date: c.effective_date,
            kind: c.kind.to_string(),
            arr_before: c.arr_before.to_string(),
            arr_after: c.arr_after.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContractOutput {
    pub id: i64,
    pub account_id: i64,
    pub external_id: String,
    pub name: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub currency: String,
    /// Current ARR, a decimal string.
    pub arr: String,
    pub line_items: Vec<LineItemOutput>,
    /// The ARR history, oldest first.
    pub changes: Vec<ChangeOutput>,
}

impl From<Contract> for ContractOutput {
    fn from(c: Contract) -> Self {
        let f = c.fields;
        ContractOutput {
            id: c.id.0,
            account_id: f.account_id.0,
            external_id: f.external_id.to_string(),
            name: f.name.map(|n| n.to_string()),
            start_date: f.start_date,
            end_date: f.end_date,
            currency: f.currency.to_string(),
            arr: c.arr.to_string(),
            line_items: c
                .line_items
                .iter()
                .map(|i| LineItemOutput {
                    product: i.product.to_string(),
                    quantity: i.quantity,
                    unit_price: i.unit_price.to_string(),
                    discount_bp: i.discount_bp,
                    annual_amount: i.annual_amount().to_string(),
                })
                .collect(),
            changes: c.changes.changes().iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItemInput {
    pub product: String,
    #[schema(minimum = 1)]
    pub quantity: u32,
    /// Price per unit per year, a decimal string.
    pub unit_price: String,
    /// Discount in basis points, 0 to 10000; default 0.
    #[schema(minimum = 0, maximum = 10000)]
    pub discount_bp: Option<u16>,
}

/// The contracts of an account, with line items and ARR history.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/contracts", tag = "contracts", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The account's contracts", body = Vec<ContractOutput>),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn list_contracts(
    State(state): State<AppState>,
    Caller(_): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<ContractOutput>>, ApiError> {
    let account = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    Ok(axum::Json(
        state
            .store
            .contracts_of(account)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Add a contract to an account; its history starts with a `new` change of `arr`.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/contracts", tag = "contracts", params(("id" = i64, Path)),
    request_body = ContractInput,
    responses(
        (status = 201, description = "Created", body = ContractOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn create_contract(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<ContractInput>,
) -> Result<(StatusCode, axum::Json<ContractOutput>), ApiError> {
    let account = AccountId(path_id(id)?);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let created = ops::create(&state.store, account, body.read()?).await?;
    Ok((StatusCode::CREATED, axum::Json(created.into())))
}

/// Read one contract with its line items and ARR history.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The contract", body = ContractOutput),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn get_contract(
    State(state): State<AppState>,
    Caller(_): Caller,
    id: IdPath,
) -> Result<axum::Json<ContractOutput>, ApiError> {
    let id = ContractId(path_id(id)?);
    Ok(axum::Json(
        state
            .store
            .contract(id)
            .await?
            .ok_or_else(|| contract_not_found(id))?
            .into(),
    ))
}

/// Replace a contract's fields (not its ARR: record a change for that).
#[utoipa::path(put, path = "/api/v1/contracts/{id}", tag = "contracts", params(("id" = i64, Path)),
    request_body = ContractInput,
    responses(
        (status = 200, description = "The updated contract", body = ContractOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn replace_contract(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<ContractInput>,
) -> Result<axum::Json<ContractOutput>, ApiError> {
    let id = ContractId(path_id(id)?);
    let current = writable_contract(&state.store, &actor, id).await?;
    replace(&state, current, body.read()?).await
}

/// Change some fields of a contract (not its ARR): a JSON merge patch (RFC 7396) of its
/// replace body.
#[utoipa::path(patch, path = "/api/v1/contracts/{id}", tag = "contracts", params(("id" = i64, Path)),
    request_body(content = ContractInput, content_type = "application/merge-patch+json",
        description = "Any of ContractInput's fields but arr; null clears one"),
    responses(
        (status = 200, description = "The updated contract", body = ContractOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn patch_contract(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<serde_json::Value>,
) -> Result<axum::Json<ContractOutput>, ApiError> {
    let id = ContractId(path_id(id)?);
    let current = writable_contract(&state.store, &actor, id).await?;
    // The current ARR is not part of a replace: a patch that names arr is refused like a PUT.
    let input = patched::<ContractInput>(ContractOutput::from(current.clone()), body.read()?, &["arr"])?;
    replace(&state, current, input).await
}

/// What a replace and a patch both end in.
async fn replace(
    state: &AppState,
    current: Contract,
    input: ContractInput,
) -> Result<axum::Json<ContractOutput>, ApiError> {
    let fields = input.into_replacement(current.fields.account_id)?;
    Ok(axum::Json(
        state.store.update_contract(current.id, fields).await?.into(),
    ))
}

/// Delete a contract with its line items and history.
#[utoipa::path(delete, path = "/api/v1/contracts/{id}", tag = "contracts", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        DeleteProblems,
    ),
    security(("bearer" = [])))]
async fn delete_contract(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    let id = ContractId(path_id(id)?);
    writable_contract(&state.store, &actor, id).await?;
    state.store.delete_contract(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record an ARR change: an expansion, contraction, renewal or churn.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/changes", tag = "contracts", params(("id" = i64, Path)),
    request_body = ChangeInput,
    responses(
        (status = 201, description = "Recorded", body = ChangeOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn record_change(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<ChangeInput>,
) -> Result<(StatusCode, axum::Json<ChangeOutput>), ApiError> {
    let id = ContractId(path_id(id)?);
    writable_contract(&state.store, &actor, id).await?;
    let change = ops::record_change(&state.store, id, body.read()?).await?;
    Ok((StatusCode::CREATED, axum::Json((&change).into())))
}

/// Replace a contract's line items.
#[utoipa::path(put, path = "/api/v1/contracts/{id}/line_items", tag = "contracts", params(("id" = i64, Path)),
    request_body = Vec<LineItemInput>,
    responses(
        (status = 200, description = "The contract with its new line items", body = ContractOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn replace_line_items(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<Vec<LineItemInput>>,
) -> Result<axum::Json<ContractOutput>, ApiError> {
    let id = ContractId(path_id(id)?);
    writable_contract(&state.store, &actor, id).await?;
    let input = body.read()?;
    let mut items = Vec::with_capacity(input.len());
    let mut errors: Vec<FieldError> = Vec::new();
    for item in input {
        let product = checked(&mut errors, "product", item.product.parse());
        let unit_price = checked(&mut errors, "unit_price", Cents::parse(&item.unit_price));
        let (Some(product), Some(unit_price)) = (product, unit_price) else {
            continue;
        };
        let line = LineItem {
            product,
            quantity: item.quantity,
            unit_price,
            discount_bp: item.discount_bp.unwrap_or(0),
        };
        match line.validate() {
            Ok(v) => items.push(v),
            Err(e) => errors.extend(e.errors),
        }
    }
    if !errors.is_empty() {
        return Err(Invalid { errors }.into());
    }
    state.store.set_line_items(id, items).await?;
    let updated = state.store.contract(id).await?.ok_or_else(|| contract_not_found(id))?;
    Ok(axum::Json(updated.into()))
}
