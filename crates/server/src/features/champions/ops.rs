//! What the API and the pages both do: the CSM's "will they own the relationship in 12
//! months?", and reporting a bounced email.

use lodestar_domain::access::Actor;
use lodestar_domain::contact::Contact;
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

/// The contact, if `actor` may change their account (404 when there is none, 403 when the
/// account is in another CSM's book): asked before a body is read.
pub(crate) async fn writable_contact(store: &Store, actor: &Actor, contact: ContactId) -> Result<Contact, ApiError> {
    let found = store
        .contact(contact)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("contact {contact} does not exist")))?;
    writable(store, actor, found.fields.account_id).await?;
    Ok(found)
}

/// Records whether `contact` (one [`writable_contact`] gave) will own the relationship in 12
/// months.
pub(crate) async fn set_outlook(
    store: &Store,
    actor: &Actor,
    contact: &Contact,
    will_own: Option<bool>,
) -> Result<(), ApiError> {
    Ok(store.set_relationship_outlook(contact.id, will_own, actor.user).await?)
}

/// Refuses `actor` unless they run a book of accounts: asked before a bounce's body is read.
pub(crate) fn may_report_bounce(actor: &Actor) -> Result<(), ApiError> {
    if actor.can_write_some_account() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only those who run a book of accounts report bounces",
        ))
    }
}

/// Records a bounce that an email provider (or a person) reports; those who run accounts may.
pub(crate) async fn report_bounce(store: &Store, actor: &Actor, email: &str, reason: &str) -> Result<(), ApiError> {
    may_report_bounce(actor)?;
    let email = Email::parse(email).map_err(|e| Invalid::field("email", e))?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Invalid::field("reason", "say why it bounced, in at most 500 characters").into());
    }
    store.record_email_bounce(&email, reason).await?;
    Ok(())
}
