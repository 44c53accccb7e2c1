//! Uniqueness rules by constraint, each with the message a person reads when a write breaks it.
//! The databases name a violated constraint differently — PostgreSQL by the constraint's name
//! (`users_email_key`), SQLite by its columns (`UNIQUE constraint failed: users.email`) — so
//! each rule knows both spellings, and a 409 reads the same on either backend. A test checks
//! every rule against both catalogs.

/// One uniqueness rule of the schema.
pub(crate) struct UniqueRule {
    pub table: &'static str,
    /// The columns SQLite names; in the order the constraint lists them.
    pub columns: &'static [&'static str],
    /// PostgreSQL's name for it (the default `{table}_{columns}_key`, `{table}_pkey`, or the
    /// unique index's name).
    pub constraint: &'static str,
    pub message: &'static str,
}

const fn rule(
    table: &'static str,
    columns: &'static [&'static str],
    constraint: &'static str,
    message: &'static str,
) -> UniqueRule {
    UniqueRule {
        table,
        columns,
        constraint,
        message,
    }
}

/// Every uniqueness a write can run into. Credentials and usage keys are random or hashed:
/// hitting theirs means a retry, and says so.
pub(crate) const UNIQUE_RULES: &[UniqueRule] = &[
    rule(
        "users",
        &["email"],
        "users_email_key",
        "a user with this email already exists",
    ),
    rule(
        "accounts",
        &["external_id"],
        "accounts_external_id_key",
        "an account with this external id already exists",
    ),
    rule(
        "contacts",
        &["external_id"],
        "contacts_external_id_key",
        "a contact with this external id already exists",
    ),
    rule(
        "contracts",
        &["external_id"],
        "contracts_external_id_key",
        "a contract with this external id already exists",
    ),
    rule(
        "contract_line_items",
        &["contract_id", "position"],
        "contract_line_items_contract_id_position_key",
        "the contract already has a line item at this position",
    ),
    rule(
        "milestones",
        &["name"],
        "milestones_name_key",
        "a milestone has this name",
    ),
    rule(
        "milestones",
        &["first_value"],
        "milestones_one_first_value",
        "another milestone is already the first-value one",
    ),
    rule(
        "scorecards",
        &["name"],
        "scorecards_name_key",
        "a scorecard has this name",
    ),
    rule(
        "scorecards",
        &["tier", "lifecycle_stage"],
        "scorecards_tier_lifecycle_stage_key",
        "a scorecard already scores this segment and stage",
    ),
    rule(
        "lxl_reviews",
        &["quarter"],
        "lxl_reviews_quarter_key",
        "this quarter's review has already started",
    ),
    rule(
        "lxl_lines",
        &["review_id", "account_id"],
        "lxl_lines_pkey",
        "the account is already on this review's agenda",
    ),
    rule(
        "api_tokens",
        &["token_hash"],
        "api_tokens_token_hash_key",
        "a credential collided; try again",
    ),
    rule(
        "write_keys",
        &["key_hash"],
        "write_keys_key_hash_key",
        "a credential collided; try again",
    ),
    rule(
        "sessions",
        &["token_hash"],
        "sessions_token_hash_key",
        "a credential collided; try again",
    ),
    rule(
        "usage_people",
        &["user_key"],
        "usage_people_user_key_key",
        "a person with this user id already exists",
    ),
    rule(
        "jobs",
        &["dedupe_key"],
        "jobs_dedupe_key_key",
        "this job is already queued",
    ),
    rule(
        "calendar_feeds",
        &["secret"],
        "calendar_feeds_secret_key",
        "a credential collided; try again",
    ),
    rule(
        "tasks",
        &["promise_id"],
        "tasks_promise_id_key",
        "this promise already has its task",
    ),
    rule(
        "meeting_attendees",
        &["meeting_id", "user_id"],
        "meeting_attendees_user",
        "this person is already an attendee",
    ),
    rule(
        "meeting_attendees",
        &["meeting_id", "contact_id"],
        "meeting_attendees_contact",
        "this contact is already an attendee",
    ),
    rule(
        "webhook_targets",
        &["name"],
        "webhook_targets_name_key",
        "a webhook target has this name",
    ),
    rule(
        "success_plans",
        &["account_id"],
        "success_plans_account_id_key",
        "the account has a success plan already: change that one",
    ),
    rule(
        "customer_links",
        &["token_hash"],
        "customer_links_token_hash_key",
        "a customer link with this secret exists (a clash of random secrets): share again",
    ),
    rule(
        "playbook_outcomes",
        &["tier", "slot"],
        "playbook_outcomes_tier_slot_key",
        "another outcome was added to this segment at the same moment; try again",
    ),
    rule(
        "survey_answers",
        &["link_id"],
        "survey_answers_link_id_key",
        "this survey link has been answered already: an answer is given once",
    ),
    rule(
        "survey_answers",
        &["external_id"],
        "survey_answers_external_id_key",
        "a survey answer with this external id already exists",
    ),
    rule(
        "qualification_criteria",
        &["name"],
        "qualification_criteria_name_key",
        "this qualification criterion is on the list already",
    ),
    rule(
        "handoff_criteria",
        &["handoff_id", "name"],
        "handoff_criteria_handoff_id_name_key",
        "this handoff checks that criterion already",
    ),
    rule(
        "handoffs",
        &["external_id"],
        "handoffs_external_id_key",
        "a handoff of this CRM deal was imported already",
    ),
    rule(
        "sprints",
        &["account_id", "number"],
        "sprints_account_id_number_key",
        "another sprint of this account was started at the same moment: reload and try again",
    ),
    rule(
        "sprint_goals",
        &["sprint_id", "slot"],
        "sprint_goals_sprint_id_slot_key",
        "this sprint has its three goals already",
    ),
    rule(
        "tickets",
        &["external_id"],
        "tickets_external_id_key",
        "a ticket with this external id already exists",
    ),
    rule(
        "product_requests",
        &["jira_key"],
        "product_requests_jira_key_key",
        "a request is already tracked by this Jira issue",
    ),
    rule(
        "product_request_accounts",
        &["request_id", "account_id"],
        "product_request_accounts_pkey",
        "this account is already linked to the request",
    ),
    rule(
        "trigger_firings",
        &["rule_id", "account_id", "cause"],
        "trigger_firings_rule_id_account_id_cause_key",
        "the rule has fired for this account and cause already",
    ),
    rule(
        "experience_levels",
        &["name"],
        "experience_levels_name_key",
        "an experience level with this name already exists",
    ),
];

/// What a unique violation means to a person, from the database's own words: PostgreSQL's
/// constraint name, or SQLite's message.
pub(crate) fn unique_violation_message(constraint: Option<&str>, message: &str) -> &'static str {
    let found = match constraint {
        Some(name) => UNIQUE_RULES.iter().find(|r| r.constraint == name),
        None => sqlite_rule(message),
    };
    found.map_or("a record with this key already exists", |r| r.message)
}

/// SQLite says `UNIQUE constraint failed: t.a, t.b` (or `… failed: index 'name'` for an
/// index on expressions).
fn sqlite_rule(message: &str) -> Option<&'static UniqueRule> {
    let what = message.strip_prefix("UNIQUE constraint failed: ")?;
    if let Some(index) = what.strip_prefix("index '").and_then(|i| i.strip_suffix('\'')) {
        return UNIQUE_RULES.iter().find(|r| r.constraint == index);
    }
    let columns: Vec<(&str, &str)> = what.split(", ").filter_map(|c| c.split_once('.')).collect();
    UNIQUE_RULES.iter().find(|r| {
        r.columns.len() == columns.len()
            && columns
                .iter()
                .zip(r.columns)
                .all(|((table, column), expected)| *table == r.table && column == expected)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_databases_words_lead_to_one_message() {
        let email = "a user with this email already exists";
        assert_eq!(
            unique_violation_message(Some("users_email_key"), "duplicate key value …"),
            email
        );
        assert_eq!(
            unique_violation_message(None, "UNIQUE constraint failed: users.email"),
            email
        );
        let agenda = "the account is already on this review's agenda";
        assert_eq!(unique_violation_message(Some("lxl_lines_pkey"), ""), agenda);
        assert_eq!(
            unique_violation_message(
                None,
                "UNIQUE constraint failed: lxl_lines.review_id, lxl_lines.account_id"
            ),
            agenda
        );
        assert_eq!(
            unique_violation_message(None, "UNIQUE constraint failed: index 'milestones_one_first_value'"),
            "another milestone is already the first-value one"
        );
        let unknown = "a record with this key already exists";
        assert_eq!(
            unique_violation_message(None, "UNIQUE constraint failed: users.name"),
            unknown
        );
        assert_eq!(unique_violation_message(Some("nope"), ""), unknown);
    }
}
