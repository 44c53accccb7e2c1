//! What the API and the pages both do: the CSM's "will they own the relationship in 12
//! months?", and reporting a bounced email.

use lodestar_domain::access::Actor;
use lodestar_domain::text::Email;
use lodestar_domain::{ContactId, Invalid};
use lodestar_store::Store;

use crate::features::accounts::ops::writable;
use crate::http::error::ApiError;

/// The form's answer: yes, no, or not known (forgets an earlier answer).
pub(crate) fn outlook(text: &str) -> Result<Option<bool>, ApiError> {
    match text.trim() {
        "yes" => Ok(Some(true)),
        "no" => Ok(Some(false)),
        "" | "unknown" => Ok(None),
        other => Err(Invalid::field("will_own", format!("{other:?} is not yes, no or unknown")).into()),
    }
}

/// Records whether `contact` will own the relationship in 12 months (whoever may change their
/// account); returns the account.
pub(crate) async fn set_outlook(
    store: &Store,
    actor: &Actor,
    contact: ContactId,
    will_own: Option<bool>,
) -> Result<lodestar_domain::AccountId, ApiError> {
    let found = store
        .contact(contact)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("contact {contact} does not exist")))?;
    writable(store, actor, found.fields.account_id).await?;
    store.set_relationship_outlook(contact, will_own, actor.user).await?;
    Ok(found.fields.account_id)
}

/// Records a bounce that an email provider (or a person) reports; those who run accounts may.
pub(crate) async fn report_bounce(store: &Store, actor: &Actor, email: &str, reason: &str) -> Result<(), ApiError> {
    if !actor.can_write_some_account() {
        return Err(ApiError::Forbidden("only those who run a book of accounts report bounces"));
    }
    let email = Email::parse(email).map_err(|e| Invalid::field("email", e))?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Invalid::field("reason", "say why it bounced, in at most 500 characters").into());
    }
    store.record_email_bounce(&email, reason).await?;
    Ok(())
}
