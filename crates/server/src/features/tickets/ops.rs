//! What the tickets-and-requests API and pages both do: read a request's input with every
//! problem named, and check who may write — a request is created from an account its writer
//! may change, linked to accounts they may change, and moved by whoever runs a book.

use lodestar_domain::access::Actor;
use lodestar_domain::text::{Name, Note};
use lodestar_domain::ticket::{JiraKey, RequestFields};
use lodestar_domain::vocabulary::{RequestKind, RequestStatus};
use lodestar_domain::{AccountId, ContactId, FieldError, Invalid, RequestId, Valid};
use lodestar_store::{ProductRequest, StatusChange, Store};

use crate::features::accounts::ops::writable;
use crate::http::error::ApiError;
use crate::http::params::checked;

/// A request as typed: a blank kind is a feature request, a blank Jira key none.
pub(crate) fn request_fields(
    title: &str,
    kind: &str,
    detail: &str,
    jira_key: &str,
) -> Result<Valid<RequestFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let title = checked(&mut errors, "title", Name::parse(title));
    let kind = if kind.trim().is_empty() {
        Some(RequestKind::Feature)
    } else {
        checked(&mut errors, "kind", kind.parse::<RequestKind>())
    };
    let detail = checked(&mut errors, "detail", Note::parse(detail));
    let jira_key = checked(
        &mut errors,
        "jira_key",
        (!jira_key.trim().is_empty())
            .then(|| JiraKey::parse(jira_key))
            .transpose(),
    );
    match (title, kind, detail, jira_key) {
        (Some(title), Some(kind), Some(detail), Some(jira_key)) if errors.is_empty() => Ok(RequestFields {
            title,
            kind,
            detail,
            jira_key,
        }
        .validate()?),
        _ => Err(Invalid { errors }.into()),
    }
}

/// The form's "who asked": one of the account's contacts, or nobody in particular.
pub(crate) fn asked_by(text: &str) -> Result<Option<ContactId>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        id => Ok(Some(ContactId(id.parse().map_err(|_| {
            Invalid::field("asked_by", "choose one of the account's contacts")
        })?))),
    }
}

pub(crate) fn status(text: &str) -> Result<RequestStatus, ApiError> {
    Ok(text.parse().map_err(|e| Invalid::field("status", e))?)
}

/// Writes down a request `account` (`asked_by` there) asked for (whoever may change the
/// account).
pub(crate) async fn create(
    store: &Store,
    actor: &Actor,
    account: AccountId,
    asked_by: Option<ContactId>,
    fields: Valid<RequestFields>,
) -> Result<ProductRequest, ApiError> {
    writable(store, actor, account).await?;
    Ok(store.create_request(fields, account, asked_by, actor.user).await?)
}

/// Refuses `actor` unless they run a book of business: asked before a body is read.
pub(crate) fn may_move(actor: &Actor) -> Result<(), ApiError> {
    if actor.can_write_some_account() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only those who run a book of accounts change requests",
        ))
    }
}

/// Links one more asking account (one `actor` may change) to a request.
pub(crate) async fn link(
    store: &Store,
    actor: &Actor,
    request: RequestId,
    account: AccountId,
    asked_by: Option<ContactId>,
) -> Result<ProductRequest, ApiError> {
    may_move(actor)?;
    store.request(request).await?;
    writable(store, actor, account).await?;
    Ok(store.link_request(request, account, asked_by, actor.user).await?)
}

/// Moves a request by hand; shipping it tells the asking accounts' CSMs.
pub(crate) async fn set_status(
    store: &Store,
    actor: &Actor,
    request: RequestId,
    status: RequestStatus,
) -> Result<StatusChange, ApiError> {
    may_move(actor)?;
    Ok(store.set_request_status(request, status, actor.user).await?)
}
