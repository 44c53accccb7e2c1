//! What the accounts API and pages both do, and the one place the rules of an account's book
//! are applied: who may change an account (and so its contacts, contracts, pulses, churn), who
//! may hand it to another owner, who may own one.

use lodestar_domain::access::Actor;
use lodestar_domain::account::{Account, AccountFields};
use lodestar_domain::user::{AccountSlot, User};
use lodestar_domain::{AccountId, Valid};
use lodestar_store::{AccountSummary, Store};

use crate::http::error::ApiError;
use crate::http::params::{IdPath, allowed, path_id};

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
