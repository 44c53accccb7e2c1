//! What the contacts API and pages both do: read a contact as written by a client (the API's
//! JSON, the account page's form) with every problem named, and add it to an account.

use chrono::NaiveDate;
use lodestar_domain::contact::{Contact, ContactFields};
use lodestar_domain::vocabulary::ContactStatus;
use lodestar_domain::{AccountId, Invalid, Valid};
use lodestar_store::Store;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::error::ApiError;
use crate::http::params::{checked, checked_opt};

/// A contact as written by a client; the account comes from the URL.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub external_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    /// decision_maker, champion, admin, user or exec_sponsor.
    pub role: Option<String>,
    /// low, medium or high.
    pub influence: Option<String>,
    /// active (default) or left.
    pub status: Option<String>,
    /// Required when status is left.
    pub left_on: Option<NaiveDate>,
}

impl ContactInput {
    pub(crate) fn into_fields(self, account_id: AccountId) -> Result<Valid<ContactFields>, Invalid> {
        let mut errors = Vec::new();
        let external_id = checked(&mut errors, "external_id", self.external_id.parse());
        let first_name = checked_opt(&mut errors, "first_name", self.first_name);
        let last_name = checked_opt(&mut errors, "last_name", self.last_name);
        let email = checked_opt(&mut errors, "email", self.email);
        let title = checked_opt(&mut errors, "title", self.title);
        let role = checked_opt(&mut errors, "role", self.role);
        let influence = checked_opt(&mut errors, "influence", self.influence);
        let status = checked_opt(&mut errors, "status", self.status);
        let Some(external_id) = external_id.filter(|_| errors.is_empty()) else {
            return Err(Invalid { errors });
        };
        ContactFields {
            external_id,
            account_id,
            first_name,
            last_name,
            email,
            title,
            role,
            influence,
            status: status.unwrap_or(ContactStatus::Active),
            left_on: self.left_on,
        }
        .validate()
    }
}

/// Adds a contact to `account`; the caller has checked that it may change the account.
pub(crate) async fn create(store: &Store, account: AccountId, input: ContactInput) -> Result<Contact, ApiError> {
    Ok(store.create_contact(input.into_fields(account)?).await?)
}
