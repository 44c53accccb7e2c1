//! Customer accounts (F-01).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Invalid, Rules, Valid};
use crate::text::{CustomFields, Domain, ExternalId, Label, Name};
use crate::vocabulary::{EngagementPreference, GrowthPotential, LifecycleStage, Tier};
use crate::{AccountId, UserId};

/// Everything a person or an import sets on an account. References to users and the parent
/// account are ids; the store checks that they exist and fit (see [`crate::user::AccountSlot`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountFields {
    pub external_id: ExternalId,
    pub name: Name,
    pub domain: Option<Domain>,
    pub industry: Option<Label>,
    pub employees: Option<u32>,
    pub region: Option<Label>,
    pub lifecycle_stage: LifecycleStage,
    pub tier: Option<Tier>,
    pub owner_id: Option<UserId>,
    pub ae_id: Option<UserId>,
    pub sponsor_id: Option<UserId>,
    pub growth_potential: Option<GrowthPotential>,
    pub engagement_preference: Option<EngagementPreference>,
    /// Go-live: the day the customer started using the product in earnest.
    pub launch_date: Option<NaiveDate>,
    /// The day the customer first got the value they bought for (ends Land, seed 003).
    pub first_value_date: Option<NaiveDate>,
    pub parent_id: Option<AccountId>,
    #[serde(default)]
    pub custom_fields: CustomFields,
}

impl AccountFields {
    /// Checks the rules between fields. `own_id` is the account's id when it already exists,
    /// so that it cannot be its own parent.
    pub fn validate(self, own_id: Option<AccountId>) -> Result<Valid<Self>, Invalid> {
        let mut rules = Rules::default();
        if let (Some(launch), Some(first_value)) = (self.launch_date, self.first_value_date) {
            rules.require(first_value >= launch, "first_value_date", || {
                format!("{first_value} is before the launch date {launch}; first value comes after go-live")
            });
        }
        rules.require(own_id.is_none() || self.parent_id != own_id, "parent_id", || {
            "an account cannot be its own parent".into()
        });
        rules.require(
            self.first_value_date.is_none() || self.launch_date.is_some(),
            "launch_date",
            || "is required when a first-value date is set".into(),
        );
        rules.finish(self)
    }
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    pub id: AccountId,
    #[serde(flatten)]
    pub fields: AccountFields,
}

/// Whether making `parent` the parent of `child` would close a loop in a hierarchy (accounts
/// under parent accounts, people under managers), given a way to look up each node's parent.
pub fn creates_cycle<T: Copy + PartialEq>(child: T, parent: T, mut parent_of: impl FnMut(T) -> Option<T>) -> bool {
    let mut cursor = Some(parent);
    // Bounded walk: a hierarchy deeper than this is itself a data error worth refusing.
    for _ in 0..64 {
        match cursor {
            None => return false,
            Some(id) if id == child => return true,
            Some(id) => cursor = parent_of(id),
        }
    }
    true
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    pub(crate) fn account() -> AccountFields {
        AccountFields {
            external_id: ExternalId::parse("acme-1").unwrap(),
            name: Name::parse("Acme").unwrap(),
            domain: None,
            industry: None,
            employees: None,
            region: None,
            lifecycle_stage: LifecycleStage::Land,
            tier: None,
            owner_id: None,
            ae_id: None,
            sponsor_id: None,
            growth_potential: None,
            engagement_preference: None,
            launch_date: None,
            first_value_date: None,
            parent_id: None,
            custom_fields: CustomFields::default(),
        }
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn first_value_comes_after_launch() {
        let ok = AccountFields {
            launch_date: Some(date("2025-01-10")),
            first_value_date: Some(date("2025-02-01")),
            ..account()
        };
        assert!(ok.clone().validate(None).is_ok());
        let early = AccountFields {
            first_value_date: Some(date("2025-01-01")),
            ..ok.clone()
        };
        let err = early.validate(None).unwrap_err();
        assert_eq!(err.errors[0].field, "first_value_date");
        assert!(err.errors[0].reason.contains("before the launch date 2025-01-10"));
        let no_launch = AccountFields {
            launch_date: None,
            ..ok
        };
        assert_eq!(no_launch.validate(None).unwrap_err().errors[0].field, "launch_date");
    }

    #[test]
    fn an_account_is_not_its_own_parent() {
        let a = AccountFields {
            parent_id: Some(AccountId(7)),
            ..account()
        };
        assert!(a.clone().validate(Some(AccountId(8))).is_ok());
        assert_eq!(a.validate(Some(AccountId(7))).unwrap_err().errors[0].field, "parent_id");
    }

    #[test]
    fn cycles_in_the_hierarchy_are_found() {
        // 1 <- 2 <- 3 (3's parent is 2, 2's parent is 1)
        let parents: HashMap<_, _> = [(AccountId(2), AccountId(1)), (AccountId(3), AccountId(2))].into();
        let lookup = |id| parents.get(&id).copied();
        assert!(creates_cycle(AccountId(1), AccountId(3), lookup), "1 under 3 loops");
        assert!(!creates_cycle(AccountId(4), AccountId(3), lookup));
        assert!(!creates_cycle(AccountId(3), AccountId(1), lookup));
    }
}
