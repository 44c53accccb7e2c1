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

/// A value on either side of a [`FieldChange`]. References stay ids so the reader can show
/// the person's or account's current name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangedValue {
    Empty,
    Text(String),
    User(UserId),
    Account(AccountId),
}

/// One field an edit changed: a line of the account's timeline (F-06).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field as people call it ("Lifecycle stage", "Owner (CSM)").
    pub label: String,
    pub before: ChangedValue,
    pub after: ChangedValue,
}

impl AccountFields {
    /// The fields that differ between `before` and `self`, in form order; custom fields
    /// one key at a time.
    pub fn changes_since(&self, before: &AccountFields) -> Vec<FieldChange> {
        fn text<T: ToString>(v: Option<T>) -> ChangedValue {
            v.map_or(ChangedValue::Empty, |v| ChangedValue::Text(v.to_string()))
        }
        let user = |u: Option<UserId>| u.map_or(ChangedValue::Empty, ChangedValue::User);
        let account = |a: Option<AccountId>| a.map_or(ChangedValue::Empty, ChangedValue::Account);
        let pairs = [
            (
                "External id",
                text(Some(&before.external_id)),
                text(Some(&self.external_id)),
            ),
            ("Name", text(Some(&before.name)), text(Some(&self.name))),
            ("Domain", text(before.domain.as_ref()), text(self.domain.as_ref())),
            ("Industry", text(before.industry.as_ref()), text(self.industry.as_ref())),
            ("Employees", text(before.employees), text(self.employees)),
            ("Region", text(before.region.as_ref()), text(self.region.as_ref())),
            (
                "Lifecycle stage",
                text(Some(before.lifecycle_stage.label())),
                text(Some(self.lifecycle_stage.label())),
            ),
            (
                "Tier",
                text(before.tier.map(|t| t.label())),
                text(self.tier.map(|t| t.label())),
            ),
            ("Owner (CSM)", user(before.owner_id), user(self.owner_id)),
            ("Account executive", user(before.ae_id), user(self.ae_id)),
            ("Executive sponsor", user(before.sponsor_id), user(self.sponsor_id)),
            (
                "Growth potential",
                text(before.growth_potential.map(|g| g.label())),
                text(self.growth_potential.map(|g| g.label())),
            ),
            (
                "Engagement",
                text(before.engagement_preference.map(|g| g.label())),
                text(self.engagement_preference.map(|g| g.label())),
            ),
            ("Launch (go-live)", text(before.launch_date), text(self.launch_date)),
            (
                "First value",
                text(before.first_value_date),
                text(self.first_value_date),
            ),
            ("Parent account", account(before.parent_id), account(self.parent_id)),
        ];
        let mut changes: Vec<FieldChange> = pairs
            .into_iter()
            .filter(|(_, b, a)| b != a)
            .map(|(label, before, after)| FieldChange {
                label: label.to_owned(),
                before,
                after,
            })
            .collect();
        let custom = |fields: &CustomFields, key: &str| {
            fields.get(key).map_or(ChangedValue::Empty, |v| {
                ChangedValue::Text(v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            })
        };
        let keys: std::collections::BTreeSet<&String> = before
            .custom_fields
            .iter()
            .chain(self.custom_fields.iter())
            .map(|(k, _)| k)
            .collect();
        for key in keys {
            let (b, a) = (custom(&before.custom_fields, key), custom(&self.custom_fields, key));
            if b != a {
                changes.push(FieldChange {
                    label: key.clone(),
                    before: b,
                    after: a,
                });
            }
        }
        changes
    }
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

    #[test]
    fn changes_list_each_edited_field_once() {
        let before = AccountFields {
            owner_id: Some(UserId(1)),
            custom_fields: CustomFields::parse_json(r#"{"plan": "gold", "seats": 10}"#).unwrap(),
            ..account()
        };
        let after = AccountFields {
            lifecycle_stage: LifecycleStage::Adopt,
            owner_id: Some(UserId(2)),
            custom_fields: CustomFields::parse_json(r#"{"plan": "gold", "region_code": "eu"}"#).unwrap(),
            ..before.clone()
        };
        let changes = after.changes_since(&before);
        let text = |s: &str| ChangedValue::Text(s.to_owned());
        assert_eq!(
            changes,
            vec![
                FieldChange {
                    label: "Lifecycle stage".into(),
                    before: text("Land (onboarding)"),
                    after: text("Adopt")
                },
                FieldChange {
                    label: "Owner (CSM)".into(),
                    before: ChangedValue::User(UserId(1)),
                    after: ChangedValue::User(UserId(2))
                },
                FieldChange {
                    label: "region_code".into(),
                    before: ChangedValue::Empty,
                    after: text("eu")
                },
                FieldChange {
                    label: "seats".into(),
                    before: text("10"),
                    after: ChangedValue::Empty
                },
            ]
        );
        assert!(after.changes_since(&after).is_empty());
    }
}
