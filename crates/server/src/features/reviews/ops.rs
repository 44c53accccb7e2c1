//! What the reviews API and pages both do: read a cadence with every problem named, check who
//! may change what (admins the cadences; whoever writes to the account its reviews), write the
//! gut-check, and share the pack — one link per customer attendee.

use axum::http::HeaderMap;
use lodestar_domain::access::Actor;
use lodestar_domain::qbr::Cadence;
use lodestar_domain::text::Note;
use lodestar_domain::vocabulary::{AuditKind, MeetingKind, RenewalOutlook, Tier};
use lodestar_domain::{FieldError, Invalid, MeetingId};
use lodestar_store::{CustomerLink, LinkTarget, Review, SharedPack};

use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::features::customer;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::checked;

/// A cadence as typed: a tier, a review kind and the days between two reviews.
pub(crate) fn cadence(tier: &str, kind: &str, every_days: Option<u32>) -> Result<Cadence, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let tier = checked(&mut errors, "tier", tier.parse::<Tier>());
    let kind = checked(&mut errors, "meeting_kind", kind.parse::<MeetingKind>());
    if every_days.is_none() {
        errors.push(FieldError {
            field: "every_days",
            reason: "is required: the days between two reviews".into(),
        });
    }
    match (tier, kind, every_days) {
        (Some(tier), Some(kind), Some(every_days)) if errors.is_empty() => Ok(Cadence { tier, kind, every_days }),
        _ => Err(Invalid { errors }.into()),
    }
}

/// Only admins set the cadences.
pub(crate) fn may_set_cadences(actor: &Actor) -> Result<(), ApiError> {
    if actor.can_administer() {
        Ok(())
    } else {
        Err(ApiError::Forbidden("only admins set the review cadences"))
    }
}

/// Sets a tier's cadence (admins).
pub(crate) async fn set_cadence(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    cadence: Cadence,
) -> Result<Vec<Cadence>, ApiError> {
    may_set_cadences(actor)?;
    let all = state.store.set_review_cadence(cadence.validate()?).await?;
    state
        .audit(
            origin,
            AuditKind::CadenceChanged,
            Some(format!("tier {}", cadence.tier)),
            format!(
                "{} accounts are owed a {} every {} days",
                cadence.tier.label(),
                cadence.kind.label(),
                cadence.every_days
            ),
        )
        .await?;
    Ok(all)
}

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
