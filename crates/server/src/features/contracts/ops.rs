//! What the contracts API and pages both do: read a contract or an ARR change as written by
//! a client (the API's JSON, the account page's forms) with every problem named, who may
//! change a contract, adding one to an account and recording a change of its ARR.

use chrono::NaiveDate;
use lodestar_domain::access::Actor;
use lodestar_domain::contract::{ArrChange, Contract, ContractFields, Currency};
use lodestar_domain::vocabulary::ChangeKind;
use lodestar_domain::{AccountId, Cents, ContractId, FieldError, Invalid, Valid};
use lodestar_store::{ContractUpsert, Store};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::error::ApiError;
use crate::http::params::checked;

/// A contract as written by a client; the account comes from the URL.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    pub external_id: String,
    pub name: Option<String>,
    pub start_date: NaiveDate,
    /// The renewal date; after the start date.
    pub end_date: NaiveDate,
    /// ISO 4217 code; default USD.
    #[schema(example = "USD")]
    pub currency: Option<String>,
    /// ARR when the contract is created (a decimal string, e.g. `12000.00`); required on
    /// create, not allowed on replace: ARR then changes through `/changes`.
    #[schema(example = "12000.00")]
    pub arr: Option<String>,
}

impl ContractInput {
    /// A new contract's fields and its first ARR, which it must carry.
    pub(crate) fn into_new(mut self, account_id: AccountId) -> Result<(Valid<ContractFields>, Cents), Invalid> {
        let mut errors = Vec::new();
        let arr = self
            .arr
            .take()
            .ok_or_else(|| "is required when creating a contract".to_owned());
        let arr = checked(&mut errors, "arr", arr.and_then(|a| Cents::parse(&a)));
        let fields = self.into_fields(account_id, errors)?;
        let arr = arr.ok_or_else(|| Invalid::field("arr", "is required when creating a contract"))?;
        Ok((fields, arr))
    }

    /// An existing contract's new fields: its ARR changes only through its history.
    pub(crate) fn into_replacement(mut self, account_id: AccountId) -> Result<Valid<ContractFields>, Invalid> {
        let mut errors = Vec::new();
        if self.arr.take().is_some() {
            errors.push(FieldError {
                field: "arr",
                reason: "changes through POST /api/v1/contracts/{id}/changes".into(),
            });
        }
        self.into_fields(account_id, errors)
    }

    /// The fields, checked; refused with every problem found, `errors` (the ARR's) included.
    fn into_fields(self, account_id: AccountId, mut errors: Vec<FieldError>) -> Result<Valid<ContractFields>, Invalid> {
        let external_id = checked(&mut errors, "external_id", self.external_id.parse());
        let name = match self.name {
            None => None,
            Some(n) => checked(&mut errors, "name", n.parse()),
        };
        let currency = match self.currency {
            None => Some(Currency::USD),
            Some(c) => checked(&mut errors, "currency", Currency::parse(&c)),
        };
        let (Some(external_id), Some(currency)) = (external_id, currency) else {
            return Err(Invalid { errors });
        };
        if !errors.is_empty() {
            return Err(Invalid { errors });
        }
        ContractFields {
            external_id,
            account_id,
            name,
            start_date: self.start_date,
            end_date: self.end_date,
            currency,
        }
        .validate()
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    pub effective_date: NaiveDate,
    /// expansion, contraction, renewal or churn (`new` only starts a contract).
    pub kind: String,
    /// ARR after the change, a decimal string; `0` for churn.
    #[schema(example = "15000.00")]
    pub arr: String,
}

pub(crate) fn contract_not_found(id: ContractId) -> ApiError {
    ApiError::NotFound(format!("contract {id} does not exist"))
}

/// Loads a contract and refuses unless the caller may change its account.
pub(crate) async fn writable_contract(store: &Store, actor: &Actor, id: ContractId) -> Result<Contract, ApiError> {
    let contract = store.contract(id).await?.ok_or_else(|| contract_not_found(id))?;
    crate::features::accounts::ops::writable(store, actor, contract.fields.account_id).await?;
    Ok(contract)
}

/// Adds a contract to `account`, its history starting with a `new` change of its ARR; the
/// caller has checked that it may change the account.
pub(crate) async fn create(store: &Store, account: AccountId, input: ContractInput) -> Result<Contract, ApiError> {
    let (fields, arr) = input.into_new(account)?;
    let as_of = fields.start_date;
    Ok(store.create_contract(ContractUpsert { fields, arr, as_of }).await?)
}

/// Records a change of a contract's ARR; the domain refuses one that breaks its story (the
/// caller has checked that it may change the contract).
pub(crate) async fn record_change(store: &Store, id: ContractId, input: ChangeInput) -> Result<ArrChange, ApiError> {
    let mut errors = Vec::new();
    let kind = checked(&mut errors, "kind", input.kind.parse::<ChangeKind>());
    let arr = checked(&mut errors, "arr", Cents::parse(&input.arr));
    let (Some(kind), Some(arr)) = (kind, arr) else {
        return Err(Invalid { errors }.into());
    };
    Ok(store
        .record_contract_change(id, input.effective_date, kind, arr)
        .await?)
}
