//! People on the vendor's side (F-04): CSMs, leaders, AEs, executives, …

use serde::{Deserialize, Serialize};

use crate::UserId;
use crate::error::{Invalid, Rules, Valid};
use crate::notify::TimeZone;
use crate::text::{Email, Name};
use crate::vocabulary::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFields {
    pub email: Email,
    pub name: Name,
    pub role: Role,
    pub manager_id: Option<UserId>,
    /// The most accounts this person should own; `None` means "use the tier benchmark".
    pub capacity: Option<u32>,
}

impl UserFields {
    /// Checks the rules a user must follow on its own; the store checks that the manager
    /// exists and that no management chain loops.
    pub fn validate(self, own_id: Option<UserId>) -> Result<Valid<Self>, Invalid> {
        let mut rules = Rules::default();
        rules.require(own_id.is_none() || self.manager_id != own_id, "manager_id", || {
            "a person cannot be their own manager".into()
        });
        rules.require(self.capacity != Some(0), "capacity", || {
            "must be at least 1 account (leave empty to use the tier benchmark)".into()
        });
        rules.finish(self)
    }
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    #[serde(flatten)]
    pub fields: UserFields,
    /// Where they work: their local morning is when their daily digest comes. Each person
    /// sets their own (UTC until they do), so it is not among the fields an admin or an
    /// import writes.
    pub time_zone: TimeZone,
}

/// The account relationships a user can hold, and which roles may hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSlot {
    Owner,
    AccountExecutive,
    ExecutiveSponsor,
}

impl AccountSlot {
    pub fn field(self) -> &'static str {
        match self {
            AccountSlot::Owner => "owner_id",
            AccountSlot::AccountExecutive => "ae_id",
            AccountSlot::ExecutiveSponsor => "sponsor_id",
        }
    }

    pub fn accepts(self, role: Role) -> bool {
        match self {
            AccountSlot::Owner => matches!(role, Role::Csm | Role::AssociateCsm | Role::Leader),
            AccountSlot::AccountExecutive => matches!(role, Role::Ae | Role::Leader),
            AccountSlot::ExecutiveSponsor => matches!(role, Role::Executive | Role::Leader),
        }
    }

    /// Why a user of `role` cannot hold this slot.
    pub fn refusal(self, who: &str, role: Role) -> String {
        let allowed: Vec<&str> = Role::ALL
            .iter()
            .filter(|r| self.accepts(**r))
            .map(|r| r.label())
            .collect();
        let what = match self {
            AccountSlot::Owner => "an account owner",
            AccountSlot::AccountExecutive => "an account executive",
            AccountSlot::ExecutiveSponsor => "an executive sponsor",
        };
        format!(
            "{who} is a {}; {what} must be one of: {}",
            role.label(),
            allowed.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserFields {
        UserFields {
            email: Email::parse("jo@vendor.io").unwrap(),
            name: Name::parse("Jo").unwrap(),
            role: Role::Csm,
            manager_id: Some(UserId(1)),
            capacity: Some(40),
        }
    }

    #[test]
    fn a_user_cannot_manage_themselves() {
        assert!(user().validate(Some(UserId(2))).is_ok());
        let err = user().validate(Some(UserId(1))).unwrap_err();
        assert_eq!(err.errors[0].field, "manager_id");
    }

    #[test]
    fn capacity_zero_is_refused() {
        let err = UserFields {
            capacity: Some(0),
            ..user()
        }
        .validate(None)
        .unwrap_err();
        assert_eq!(err.errors[0].field, "capacity");
    }

    #[test]
    fn slots_accept_only_fitting_roles() {
        assert!(AccountSlot::Owner.accepts(Role::AssociateCsm));
        assert!(!AccountSlot::Owner.accepts(Role::Viewer));
        assert!(!AccountSlot::Owner.accepts(Role::Ae));
        assert!(AccountSlot::AccountExecutive.accepts(Role::Ae));
        assert!(!AccountSlot::ExecutiveSponsor.accepts(Role::Csm));
        assert_eq!(
            AccountSlot::Owner.refusal("vi@vendor.io", Role::Viewer),
            "vi@vendor.io is a Viewer; an account owner must be one of: CS leader, CSM, Associate CSM"
        );
    }
}
