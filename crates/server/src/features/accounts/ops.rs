//! What the accounts API and pages both do, and the one place the rules of an account's book
//! are applied: who may create an account, who may change one (and so its contacts,
//! contracts, pulses, churn), who may hand it to another owner, who may own one; and how an
//! account as written by a client becomes valid fields.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lodestar_domain::access::Actor;
use lodestar_domain::account::{Account, AccountFields};
use lodestar_domain::text::CustomFields;
use lodestar_domain::user::{AccountSlot, User};
use lodestar_domain::vocabulary::LifecycleStage;
use lodestar_domain::{AccountId, Invalid, UserId, Valid};
use lodestar_store::{AccountSummary, Store};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::error::ApiError;
use crate::http::params::{IdPath, allowed, checked, checked_opt, path_id, whole_number};

/// An account as written by a client. Vocabulary fields take their canonical spelling
/// (`mid_tier`) or a common synonym; people and the parent are given by id.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// The id in the system the account comes from (CRM); unique.
    #[schema(example = "0015g00000ACME")]
    pub external_id: String,
    #[schema(example = "Acme Corp")]
    pub name: String,
    #[schema(example = "acme.com")]
    pub domain: Option<String>,
    pub industry: Option<String>,
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    #[serde(default, deserialize_with = "whole_number")]
    pub employees: Option<u32>,
    pub region: Option<String>,
    /// land, adopt, expand, renew or churned; default land.
    pub lifecycle_stage: Option<String>,
    /// strategic, enterprise, mid_tier or long_tail.
    pub tier: Option<String>,
    pub owner_id: Option<i64>,
    pub ae_id: Option<i64>,
    pub sponsor_id: Option<i64>,
    /// low, medium or high.
    pub growth_potential: Option<String>,
    /// high_touch or self_serve.
    pub engagement_preference: Option<String>,
    pub launch_date: Option<NaiveDate>,
    pub first_value_date: Option<NaiveDate>,
    pub parent_id: Option<i64>,
    /// snake_case keys; string, number or boolean values.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<BTreeMap<String, serde_json::Value>>,
}

impl AccountInput {
    /// Parses every field, collecting all problems, then checks the rules between fields.
    pub(crate) fn into_fields(self, own_id: Option<AccountId>) -> Result<Valid<AccountFields>, Invalid> {
        let mut errors = Vec::new();
        let external_id = checked(&mut errors, "external_id", self.external_id.parse());
        let name = checked(&mut errors, "name", self.name.parse());
        let domain = checked_opt(&mut errors, "domain", self.domain);
        let industry = checked_opt(&mut errors, "industry", self.industry);
        let region = checked_opt(&mut errors, "region", self.region);
        let lifecycle_stage = checked_opt(&mut errors, "lifecycle_stage", self.lifecycle_stage);
        let tier = checked_opt(&mut errors, "tier", self.tier);
        let growth_potential = checked_opt(&mut errors, "growth_potential", self.growth_potential);
        let engagement_preference = checked_opt(&mut errors, "engagement_preference", self.engagement_preference);
        let custom_fields = match self.custom_fields {
            None => Some(CustomFields::default()),
            Some(map) => checked(&mut errors, "custom_fields", CustomFields::new(map)),
        };
        let (Some(external_id), Some(name), Some(custom_fields)) = (external_id, name, custom_fields) else {
            return Err(Invalid { errors });
        };
        if !errors.is_empty() {
            return Err(Invalid { errors });
        }
        AccountFields {
            external_id,
            name,
            domain,
            industry,
            employees: self.employees,
            region,
            lifecycle_stage: lifecycle_stage.unwrap_or(LifecycleStage::Land),
            tier,
            owner_id: self.owner_id.map(UserId),
            ae_id: self.ae_id.map(UserId),
            sponsor_id: self.sponsor_id.map(UserId),
            growth_potential,
            engagement_preference,
            launch_date: self.launch_date,
            first_value_date: self.first_value_date,
            parent_id: self.parent_id.map(AccountId),
            custom_fields,
        }
        .validate(own_id)
    }
}

pub(crate) fn not_found(id: AccountId) -> ApiError {
    ApiError::NotFound(format!("account {id} does not exist"))
}

/// The account `id`, which must exist.
pub(crate) async fn existing(store: &Store, id: AccountId) -> Result<Account, ApiError> {
    store.account(id).await?.ok_or_else(|| not_found(id))
}

/// The account a path names, which must exist (400 for a malformed id, 404 for an unknown one).
pub(crate) async fn existing_in_path(store: &Store, id: IdPath) -> Result<AccountId, ApiError> {
    let id = AccountId(path_id(id)?);
    existing(store, id).await?;
    Ok(id)
}

/// The account, if `actor` may change it (404 when there is none, 403 when it is in another
/// CSM's book).
pub(crate) async fn writable(store: &Store, actor: &Actor, id: AccountId) -> Result<Account, ApiError> {
    let account = existing(store, id).await?;
    if actor.can_write_account(account.fields.owner_id) {
        Ok(account)
    } else {
        Err(ApiError::Forbidden("this account is in another CSM's book"))
    }
}

/// Refuses `actor` unless they run the book of business: asked before a new account's
/// fields are read.
pub(crate) fn may_create(actor: &Actor) -> Result<(), ApiError> {
    allowed(
        actor.can_manage_all_accounts(),
        "only leaders and admins create accounts",
    )
}

/// Creates an account as `actor`.
pub(crate) async fn create(
    store: &Store,
    actor: &Actor,
    fields: Valid<AccountFields>,
) -> Result<AccountSummary, ApiError> {
    may_create(actor)?;
    Ok(store.create_account(fields).await?)
}

/// Replaces an account's fields as `actor`: only a leader hands it to another owner.
pub(crate) async fn update(
    store: &Store,
    actor: &Actor,
    id: AccountId,
    fields: Valid<AccountFields>,
) -> Result<AccountSummary, ApiError> {
    let current = writable(store, actor, id).await?;
    may_reassign(actor, &current.fields, &fields)?;
    Ok(store.update_account(id, fields, actor.user).await?)
}

/// Refuses a change of who is on the account (owner, AE, sponsor) or of where it sits in the
/// hierarchy unless `actor` runs the book of business.
pub(crate) fn may_reassign(actor: &Actor, current: &AccountFields, new: &AccountFields) -> Result<(), ApiError> {
    let same = current.owner_id == new.owner_id
        && current.ae_id == new.ae_id
        && current.sponsor_id == new.sponsor_id
        && current.parent_id == new.parent_id;
    allowed(
        same || actor.can_manage_all_accounts(),
        "only leaders and admins change an account's owner, AE, sponsor or parent",
    )
}

/// The people who may own an account, as the domain's slot rule says.
pub(crate) fn possible_owners(users: Vec<User>) -> Vec<User> {
    users
        .into_iter()
        .filter(|u| AccountSlot::Owner.accepts(u.fields.role))
        .collect()
}
