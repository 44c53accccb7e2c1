//! Contracts in the web UI: the forms that add one to an account and record a change of its
//! ARR (the account page lists them).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Months;
use lodestar_domain::account::Account;
use lodestar_domain::contract::Contract;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::ChangeKind;
use lodestar_domain::{AccountId, ContractId};
use serde::Deserialize;

use super::ops::{self, ChangeInput, ContractInput};
use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::http::error::ApiError;
use crate::http::forms::{FormState, filled, required_date, suggested_external_id};
use crate::http::pages::{Choice, Html, SignedIn, render};

#[derive(askama::Template)]
#[template(path = "contracts/contract_form.html")]
struct ContractFormPage {
    me: User,
    account_id: i64,
    account: String,
    form: FormState,
}

/// A contract as its form sends it.
#[derive(Deserialize)]
pub(crate) struct ContractForm {
    external_id: String,
    name: String,
    start_date: String,
    end_date: String,
    currency: String,
    arr: String,
}

impl ContractForm {
    fn typed(&self) -> FormState {
        FormState::with_values([
            ("external_id", self.external_id.clone()),
            ("name", self.name.clone()),
            ("start_date", self.start_date.clone()),
            ("end_date", self.end_date.clone()),
            ("currency", self.currency.clone()),
            ("arr", self.arr.clone()),
        ])
    }

    /// The input the API reads for this contract, when both its dates are dates (noted on
    /// `form` when not).
    fn into_input(self, form: &mut FormState) -> Option<ContractInput> {
        let start_date = form.read("start_date", required_date(&self.start_date));
        let end_date = form.read("end_date", required_date(&self.end_date));
        Some(ContractInput {
            external_id: self.external_id,
            name: filled(&self.name),
            start_date: start_date?,
            end_date: end_date?,
            currency: filled(&self.currency),
            arr: filled(&self.arr),
        })
    }
}

fn contract_page(me: User, account: &Account, form: FormState) -> Result<Html, ApiError> {
    render(&ContractFormPage {
        me,
        account_id: account.id.0,
        account: account.fields.name.to_string(),
        form,
    })
}

/// The new-contract form: a year's term from today, in US dollars.
pub(crate) async fn new_contract_form(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let account = writable(&state.store, &actor, AccountId(id)).await?;
    let today = state.store.today();
    let renewal = today.checked_add_months(Months::new(12)).unwrap_or(today);
    let form = FormState::with_values([
        ("external_id", suggested_external_id("contract")),
        ("start_date", today.to_string()),
        ("end_date", renewal.to_string()),
        ("currency", "USD".to_owned()),
    ]);
    Ok(contract_page(me, &account, form)?.into_response())
}

pub(crate) async fn create_contract(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
    Form(submitted): Form<ContractForm>,
) -> Result<Response, ApiError> {
    let account = writable(&state.store, &actor, AccountId(id)).await?;
    let mut form = submitted.typed();
    if let Some(input) = submitted.into_input(&mut form) {
        match ops::create(&state.store, account.id, input).await {
            Ok(_) => return Ok(Redirect::to(&format!("/accounts/{id}#contracts")).into_response()),
            Err(e) => form.absorb(e, "external_id")?,
        }
    }
    let page = contract_page(me, &account, form)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// One recorded change, as the change form lists the contract's history.
struct HistoryRow {
    date: String,
    kind: &'static str,
    before: String,
    after: String,
}

#[derive(askama::Template)]
#[template(path = "contracts/change_form.html")]
struct ChangeFormPage {
    me: User,
    account_id: i64,
    account: String,
    contract_id: i64,
    contract: String,
    term: String,
    arr: String,
    history: Vec<HistoryRow>,
    /// The day the contract churned: nothing can follow (a win-back is a new contract).
    churned_on: Option<String>,
    kinds: Vec<Choice>,
    form: FormState,
}

/// A change of ARR as its form sends it.
#[derive(Deserialize)]
pub(crate) struct ChangeForm {
    kind: String,
    arr: String,
    effective_date: String,
}

impl ChangeForm {
    fn typed(&self) -> FormState {
        FormState::with_values([
            ("kind", self.kind.clone()),
            ("arr", self.arr.clone()),
            ("effective_date", self.effective_date.clone()),
        ])
    }

    /// The input the API reads for this change, when its date is a date (noted on `form`
    /// when not).
    fn into_input(self, form: &mut FormState) -> Option<ChangeInput> {
        Some(ChangeInput {
            effective_date: form.read("effective_date", required_date(&self.effective_date))?,
            kind: self.kind,
            arr: self.arr,
        })
    }
}

/// The account, if `actor` may change it, and its contract `contract` (404 when the account
/// has no such contract).
async fn writable_contract_of(
    state: &AppState,
    actor: &lodestar_domain::access::Actor,
    account: AccountId,
    contract: ContractId,
) -> Result<(Account, Contract), ApiError> {
    let account = writable(&state.store, actor, account).await?;
    let contract = state
        .store
        .contract(contract)
        .await?
        .filter(|c| c.fields.account_id == account.id)
        .ok_or_else(|| ApiError::NotFound(format!("account {} has no contract {contract}", account.id)))?;
    Ok((account, contract))
}

fn change_page(me: User, account: &Account, contract: &Contract, form: FormState) -> Result<Html, ApiError> {
    let changes = contract.changes.changes();
    render(&ChangeFormPage {
        me,
        account_id: account.id.0,
        account: account.fields.name.to_string(),
        contract_id: contract.id.0,
        contract: contract
            .fields
            .name
            .as_ref()
            .map_or_else(|| contract.fields.external_id.to_string(), |n| n.to_string()),
        term: format!("{} → {}", contract.fields.start_date, contract.fields.end_date),
        arr: contract.arr.whole_dollars(),
        history: changes
            .iter()
            .rev()
            .map(|c| HistoryRow {
                date: c.effective_date.to_string(),
                kind: c.kind.label(),
                before: c.arr_before.whole_dollars(),
                after: c.arr_after.whole_dollars(),
            })
            .collect(),
        churned_on: contract
            .changes
            .is_churned()
            .then(|| changes.last().map(|c| c.effective_date.to_string()))
            .flatten(),
        // `new` only starts a contract.
        kinds: ChangeKind::ALL
            .iter()
            .filter(|k| **k != ChangeKind::New)
            .map(|k| Choice {
                value: k.as_str().to_owned(),
                label: k.label().to_owned(),
                selected: false,
            })
            .collect(),
        form,
    })
}

/// The form that records a change of a contract's ARR: an expansion today by default.
pub(crate) async fn new_change_form(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path((id, contract)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    let (account, contract) = writable_contract_of(&state, &actor, AccountId(id), ContractId(contract)).await?;
    let form = FormState::with_values([
        ("kind", ChangeKind::Expansion.as_str().to_owned()),
        ("effective_date", state.store.today().to_string()),
    ]);
    Ok(change_page(me, &account, &contract, form)?.into_response())
}

pub(crate) async fn record_change(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path((id, contract)): Path<(i64, i64)>,
    Form(submitted): Form<ChangeForm>,
) -> Result<Response, ApiError> {
    let (account, contract) = writable_contract_of(&state, &actor, AccountId(id), ContractId(contract)).await?;
    let mut form = submitted.typed();
    if let Some(input) = submitted.into_input(&mut form) {
        match ops::record_change(&state.store, contract.id, input).await {
            Ok(_) => return Ok(Redirect::to(&format!("/accounts/{id}#contracts")).into_response()),
            Err(e) => form.absorb(e, "kind")?,
        }
    }
    let page = change_page(me, &account, &contract, form)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
