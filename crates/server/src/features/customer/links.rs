//! Our side of customer links: the list of who holds a link to an object and whether it still
//! opens, and withdrawing one — the same for every object shared (plans, QBR packs, surveys).

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use lodestar_domain::CustomerLinkId;
use lodestar_domain::access::Actor;
use lodestar_domain::vocabulary::AuditKind;
use lodestar_store::{CustomerLink, LinkTarget};

use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::pages::{SignedIn, back_after_form};

/// A link as the sharer's page lists it.
pub(crate) struct LinkLine {
    pub(crate) id: i64,
    pub(crate) contact: String,
    pub(crate) expires: String,
    pub(crate) last_used: String,
    pub(crate) status: &'static str,
    pub(crate) live: bool,
}

impl LinkLine {
    pub(crate) fn of(l: &CustomerLink, now: DateTime<Utc>) -> LinkLine {
        LinkLine {
            id: l.id.0,
            contact: l.contact_name.clone(),
            expires: l.expires_at.format("%Y-%m-%d").to_string(),
            last_used: l
                .last_used_at
                .map_or_else(|| "never".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            status: if l.revoked_at.is_some() {
                "withdrawn"
            } else if l.is_live(now) {
                "live"
            } else {
                "expired"
            },
            live: l.is_live(now),
        }
    }
}

/// Ends a link on an account `actor` may write to.
pub(crate) async fn revoke(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: CustomerLinkId,
) -> Result<CustomerLink, ApiError> {
    let link = state.store.customer_link(id).await?;
    writable(&state.store, actor, link.account_id).await?;
    let link = state.store.revoke_customer_link(id).await?;
    state
        .audit(
            origin,
            AuditKind::CustomerLinkRevoked,
            Some(format!("customer link {}", link.id)),
            format!("link of {} withdrawn", link.contact_name),
        )
        .await?;
    Ok(link)
}

/// The page that lists the links to `target`, and the anchor of that list.
fn sharing_page(link: &CustomerLink) -> (String, &'static str) {
    match link.target {
        LinkTarget::SuccessPlan(_) => (format!("/accounts/{}/plan", link.account_id), "share"),
        LinkTarget::ReviewPack(meeting) => (format!("/meetings/{meeting}/review"), "pack"),
        LinkTarget::Survey(survey) => (format!("/surveys/{survey}"), "send"),
        LinkTarget::Onboarding(_) => (format!("/accounts/{}/onboarding", link.account_id), "onboarding"),
    }
}

/// `POST /customer-links/{id}/revoke`: back to the page the link was shared from.
pub(crate) async fn revoke_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let id = CustomerLinkId(id);
    let link = state.store.customer_link(id).await?;
    let (url, anchor) = sharing_page(&link);
    let result = revoke(&state, &signed_in.actor, &signed_in.origin, id).await;
    let slot = match anchor {
        "share" => "plan",
        "send" => "survey",
        "onboarding" => "onboarding",
        _ => "review",
    };
    back_after_form(&url, slot, anchor, result.map(drop))
}
