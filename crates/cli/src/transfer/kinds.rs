//! The kinds of record that can be imported and exported, and their CSV fields. The field
//! names are the CSV headers of an export, so an export re-imports without a mapping.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Users,
    Accounts,
    Contacts,
    Contracts,
    /// Support tickets (a help desk's export; Zendesk's ticket id as the external id).
    Tickets,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Users => "users",
            Kind::Accounts => "accounts",
            Kind::Contacts => "contacts",
            Kind::Contracts => "contracts",
            Kind::Tickets => "tickets",
        }
    }

    /// Every field, in export column order.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Users => &["email", "name", "role", "manager_email", "capacity"],
            Kind::Accounts => &[
                "external_id",
                "name",
                "domain",
                "industry",
                "employees",
                "region",
                "lifecycle_stage",
                "tier",
                "owner_email",
                "ae_email",
                "sponsor_email",
                "growth_potential",
                "engagement_preference",
                "launch_date",
                "first_value_date",
                "parent_external_id",
                "custom_fields",
            ],
            Kind::Contacts => &[
                "external_id",
                "account_external_id",
                "first_name",
                "last_name",
                "email",
                "title",
                "role",
                "influence",
                "status",
                "left_on",
            ],
            Kind::Contracts => &[
                "external_id",
                "account_external_id",
                "name",
                "start_date",
                "end_date",
                "currency",
                "arr",
            ],
            Kind::Tickets => &[
                "external_id",
                "account_external_id",
                "subject",
                "status",
                "priority",
                "requester_email",
                "tags",
                "created_at",
                "updated_at",
            ],
        }
    }

    /// Fields a row cannot do without.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Kind::Users => &["email", "name", "role"],
            Kind::Accounts => &["external_id", "name"],
            Kind::Contacts => &["external_id", "account_external_id"],
            Kind::Contracts => &["external_id", "account_external_id", "start_date", "end_date", "arr"],
            Kind::Tickets => &["external_id", "account_external_id", "subject", "status", "created_at"],
        }
    }

    /// Whether its records keep custom fields (a `custom_fields` JSON column, and `custom.KEY`
    /// columns, one per field).
    pub fn has_custom_fields(self) -> bool {
        self == Kind::Accounts
    }

    pub fn accepts(self, field: &str) -> bool {
        self.fields().contains(&field) || (self.has_custom_fields() && custom_key(field).is_some())
    }

    /// The CSV field that holds what the domain calls `domain_field` (`owner_id` is given as
    /// `owner_email`, …), so a rule broken between fields points at the right column.
    pub fn field_for(self, domain_field: &str) -> &str {
        match domain_field {
            "owner_id" => "owner_email",
            "ae_id" => "ae_email",
            "sponsor_id" => "sponsor_email",
            "manager_id" => "manager_email",
            "parent_id" => "parent_external_id",
            "account_id" => "account_external_id",
            other => other,
        }
    }
}

pub fn custom_key(field: &str) -> Option<&str> {
    field.strip_prefix("custom.").filter(|k| !k.is_empty())
}
