//! What the LxL API and pages both do with their input: a line's notes and an action item's
//! fields, read with every problem named.

use chrono::NaiveDate;
use lodestar_domain::review::{ActionItemFields, ActionText};
use lodestar_domain::{FieldError, Invalid, UserId};
use lodestar_store::LineNotes;

use crate::http::error::ApiError;
use crate::http::params::checked;
use crate::http::params::notes;

pub(crate) fn line_notes(history: &str, challenges: &str, asks: &str) -> Result<LineNotes, ApiError> {
    let [history, challenges, asks] = notes([("history", history), ("challenges", challenges), ("asks", asks)])?;
    Ok(LineNotes {
        history,
        challenges,
        asks,
    })
}

pub(crate) fn action_item_fields(
    description: &str,
    owner_id: Option<i64>,
    due_on: Option<NaiveDate>,
) -> Result<ActionItemFields, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let description = checked(&mut errors, "description", ActionText::parse(description));
    let owner_id = checked(
        &mut errors,
        "owner_id",
        owner_id
            .map(UserId)
            .ok_or_else(|| "is required: who does it?".to_owned()),
    );
    let due_on = checked(
        &mut errors,
        "due_on",
        due_on.ok_or_else(|| "is required: by when?".to_owned()),
    );
    match (description, owner_id, due_on) {
        (Some(description), Some(owner_id), Some(due_on)) if errors.is_empty() => Ok(ActionItemFields {
            description,
            owner_id,
            due_on,
        }),
        _ => Err(Invalid { errors }.into()),
    }
}

/// Leaders and admins start the quarter's review.
pub(crate) fn require_review_starter(actor: &lodestar_domain::access::Actor) -> Result<(), ApiError> {
    crate::http::params::allowed(
        actor.can_manage_all_accounts(),
        "only leaders and admins start an LxL review",
    )
}

/// The action item, if `actor` may move it: its owner or the account's CSM (and leaders).
pub(crate) async fn movable_item(
    store: &lodestar_store::Store,
    actor: &lodestar_domain::access::Actor,
    id: lodestar_domain::PromiseId,
) -> Result<lodestar_store::ActionItem, ApiError> {
    let item = store.action_item(id).await?;
    crate::http::params::allowed(
        actor.can_move_action_item(item.owner_id, item.account_owner_id),
        "only the item's owner or the account's CSM moves it",
    )?;
    Ok(item)
}
