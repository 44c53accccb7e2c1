//! What the reviews API and pages both do: check who may change a review (whoever writes to
//! its account), write the gut-check, and share the pack — one link per customer attendee.
//! (What each account is owed is its experience level's: `segments::ops`.)

use axum::http::HeaderMap;
use lodestar_domain::access::Actor;
use lodestar_domain::text::Note;
use lodestar_domain::vocabulary::{AuditKind, RenewalOutlook};
use lodestar_domain::{FieldError, Invalid, MeetingId};
use lodestar_store::{CustomerLink, LinkTarget, Review, SharedPack};

use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::features::customer;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::checked;

/// The review meeting `id` with its agenda as of today.
pub(crate) async fn review(state: &AppState, id: MeetingId) -> Result<Review, ApiError> {
    Ok(state.store.review(id, state.store.today()).await?)
}

/// The review, if `actor` may write to its account.
pub(crate) async fn changeable(state: &AppState, actor: &Actor, id: MeetingId) -> Result<Review, ApiError> {
    let review = review(state, id).await?;
    writable(&state.store, actor, review.meeting.account_id).await?;
    Ok(review)
}

/// Writes the CSM's gut-check of the renewal ("" clears it).
pub(crate) async fn set_outlook(
    state: &AppState,
    actor: &Actor,
    id: MeetingId,
    outlook: &str,
    note: &str,
) -> Result<Review, ApiError> {
    changeable(state, actor, id).await?;
    let mut errors: Vec<FieldError> = Vec::new();
    let outlook = match outlook.trim() {
        "" => Some(None),
        text => checked(&mut errors, "renewal_outlook", text.parse::<RenewalOutlook>()).map(Some),
    };
    let note = checked(&mut errors, "outlook_note", Note::parse(note));
    match (outlook, note) {
        (Some(outlook), Some(note)) if errors.is_empty() => {
            state.store.set_renewal_outlook(id, outlook, note).await?;
            review(state, id).await
        }
        _ => Err(Invalid { errors }.into()),
    }
}

/// After the meeting: freezes the pack and shares it with each customer attendee through a
/// link of their own (read only). Returns the pack and each link with its address, which holds
/// the secret: show them once.
pub(crate) async fn share_pack(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    headers: &HeaderMap,
    id: MeetingId,
    summary: &str,
    days: Option<u32>,
) -> Result<(SharedPack, Vec<(CustomerLink, String)>), ApiError> {
    let review = changeable(state, actor, id).await?;
    let summary = Note::parse(summary).map_err(|e| Invalid::field("summary", e))?;
    let days = customer::days(days)?;
    let target = LinkTarget::ReviewPack(id);
    let now = state.store.now();
    let (links, secrets): (Vec<_>, Vec<_>) = review
        .meeting
        .fields
        .contacts
        .iter()
        .map(|contact| customer::new_link(target, *contact, Vec::new(), days, now))
        .unzip();
    let (pack, made) = state.store.share_review_pack(id, summary, links, actor.user).await?;
    let mut shared = Vec::new();
    for (link, secret) in made.into_iter().zip(secrets) {
        state
            .audit(
                origin,
                AuditKind::CustomerLinkCreated,
                Some(format!("customer link {}", link.id)),
                format!(
                    "{} pack of meeting {id} (account {}) shared with {} for {days} days",
                    review.meeting.fields.kind.label(),
                    link.account_id,
                    link.contact_name
                ),
            )
            .await?;
        let url = customer::link_url(state, headers, target, &secret);
        shared.push((link, url));
    }
    Ok((pack, shared))
}
