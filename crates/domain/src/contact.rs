//! People at the customer (F-02).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Invalid, Rules, Valid};
use crate::text::{Email, ExternalId, Label};
use crate::vocabulary::{ContactRole, ContactStatus, Influence};
use crate::{AccountId, ContactId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactFields {
    pub external_id: ExternalId,
    pub account_id: AccountId,
    pub first_name: Option<Label>,
    pub last_name: Option<Label>,
    pub email: Option<Email>,
    pub title: Option<Label>,
    pub role: Option<ContactRole>,
    pub influence: Option<Influence>,
    pub status: ContactStatus,
    /// The day the contact left the customer; set exactly when `status` is `left`.
    pub left_on: Option<NaiveDate>,
}

impl ContactFields {
    pub fn validate(self) -> Result<Valid<Self>, Invalid> {
        let mut rules = Rules::default();
        rules.require(
            self.first_name.is_some() || self.last_name.is_some() || self.email.is_some(),
            "last_name",
            || "a contact needs a first name, a last name or an email".into(),
        );
        match self.status {
            ContactStatus::Left => rules.require(self.left_on.is_some(), "left_on", || {
                "is required when the contact has left (the day they left)".into()
            }),
            ContactStatus::Active => rules.require(self.left_on.is_none(), "left_on", || {
                "must be empty while the contact is active".into()
            }),
        }
        rules.finish(self)
    }

    pub fn display_name(&self) -> String {
        let parts: Vec<&str> = [&self.first_name, &self.last_name]
            .into_iter()
            .flatten()
            .map(|p| p.as_str())
            .collect();
        if parts.is_empty() {
            self.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default()
        } else {
            parts.join(" ")
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: ContactId,
    #[serde(flatten)]
    pub fields: ContactFields,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact() -> ContactFields {
        ContactFields {
            external_id: ExternalId::parse("c-1").unwrap(),
            account_id: AccountId(1),
            first_name: Some(Label::parse("Ada").unwrap()),
            last_name: None,
            email: None,
            title: None,
            role: Some(ContactRole::Champion),
            influence: Some(Influence::High),
            status: ContactStatus::Active,
            left_on: None,
        }
    }

    #[test]
    fn a_contact_needs_a_name_or_email() {
        assert!(contact().validate().is_ok());
        let nameless = ContactFields {
            first_name: None,
            ..contact()
        };
        assert!(
            nameless
                .clone()
                .validate()
                .unwrap_err()
                .to_string()
                .contains("needs a first name")
        );
        let email_only = ContactFields {
            email: Some(Email::parse("a@b.co").unwrap()),
            ..nameless
        };
        assert_eq!(email_only.display_name(), "a@b.co");
        assert!(email_only.validate().is_ok());
    }

    #[test]
    fn left_contacts_have_a_date_and_active_ones_do_not() {
        let left = ContactFields {
            status: ContactStatus::Left,
            ..contact()
        };
        assert_eq!(left.clone().validate().unwrap_err().errors[0].field, "left_on");
        let dated = ContactFields {
            left_on: Some("2025-03-01".parse().unwrap()),
            ..left
        };
        assert!(dated.clone().validate().is_ok());
        let active_dated = ContactFields {
            status: ContactStatus::Active,
            ..dated
        };
        assert!(
            active_dated
                .validate()
                .unwrap_err()
                .to_string()
                .contains("must be empty while")
        );
    }
}
