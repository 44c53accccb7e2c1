//! Customer links: the pages a customer contact opens without an account, under `/c/…`. One
//! module keeps every rule of them — a secret of 256 random bits of which only the hash is
//! stored, bound to one object, one contact and the actions allowed, expiring and revocable;
//! one identical 404 for every link that does not open; throttled per client address (429 with
//! `Retry-After`); each use in the audit log. (No referrer leaves these pages and nothing is
//! cached: `http::guard::security_headers`.) Success plans, QBR packs and surveys are shared
//! so, and onboarding plans (`onboarding.rs`). `email.rs` sends a link by email without
//! its secret ever being stored (the `customer_link_email` job).

pub(crate) mod email;
pub(crate) mod links;
mod onboarding;
mod plan;
pub(crate) mod review_pack;
mod survey;

use std::num::NonZeroU32;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use chrono::Duration;
use governor::{Quota, RateLimiter, clock::Clock, clock::DefaultClock, state::keyed::DefaultKeyedStateStore};
use lodestar_domain::vocabulary::{AuditKind, LinkAction};
use lodestar_domain::{ContactId, Invalid};
use lodestar_store::{AuditActor, CustomerLink, LinkTarget, NewCustomerLink};

use crate::AppState;
use crate::http::auth::{Origin, new_secret, token_hash};
use crate::http::error::ApiError;
use crate::http::pages::public_base;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/c/plans/{plan}/{secret}", get(plan::show))
        .route("/c/plans/{plan}/{secret}/comment", post(plan::comment))
        .route("/c/plans/{plan}/{secret}/review", post(plan::review))
        .route("/c/plans/{plan}/{secret}/approve", post(plan::approve))
        .route("/c/packs/{meeting}/{secret}", get(review_pack::show))
        .route("/c/surveys/{survey}/{secret}", get(survey::show).post(survey::answer))
        .route("/c/onboarding/{plan}/{secret}", get(onboarding::show))
        .route("/c/onboarding/{plan}/{secret}/tasks/{task}", post(onboarding::tick))
        .route("/c/onboarding/{plan}/{secret}/answer", post(onboarding::answer))
}

/// Our side of the links: withdrawing one, from whichever page shared it.
pub(crate) fn staff_router() -> Router<AppState> {
    Router::new().route("/customer-links/{id}/revoke", post(links::revoke_page))
}

/// Requests per client address and minute to `/c/…` (a burst of as many is allowed).
const DEFAULT_PER_MINUTE: u32 = 60;

/// The throttle of customer-link requests, keyed by client address.
pub struct LinkLimiter {
    limiter: RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>,
}

impl LinkLimiter {
    pub fn new(per_minute: Option<NonZeroU32>) -> LinkLimiter {
        let per_minute = per_minute.unwrap_or(NonZeroU32::new(DEFAULT_PER_MINUTE).expect("not zero"));
        LinkLimiter {
            limiter: RateLimiter::hashmap(Quota::per_minute(per_minute)),
        }
    }

    /// Counts a request from `client`; refuses it with the seconds to wait when over quota.
    fn check(&self, client: &str) -> Result<(), ApiError> {
        // Addresses that have not been seen for a full period hold no state worth keeping.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&client.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::TooManyRequests(u32::try_from(wait.as_secs()).unwrap_or(u32::MAX).max(1))
        })
    }
}

/// What every link that does not open gets — unknown, expired, revoked, for another object —
/// so none of them tells anything about the others.
fn no_such_link() -> ApiError {
    ApiError::NotFound(
        "this link does not open: it may have expired or been withdrawn. Ask your contact for a new one".into(),
    )
}

/// Opens the link whose secret is `secret` for `target`, throttled per client address, and
/// records the use (`what`) in the audit log.
pub(crate) async fn open(
    state: &AppState,
    client: Option<String>,
    secret: &str,
    target: LinkTarget,
    what: &str,
) -> Result<CustomerLink, ApiError> {
    state.customer_links.check(client.as_deref().unwrap_or("unknown"))?;
    let link = state
        .store
        .use_customer_link(&token_hash(secret), target)
        .await?
        .ok_or_else(no_such_link)?;
    let origin = Origin {
        actor: AuditActor {
            user_id: None,
            label: format!("contact {} (#{}) by link", link.contact_name, link.contact_id),
        },
        client,
    };
    state
        .audit(
            &origin,
            AuditKind::CustomerLinkUsed,
            Some(format!("customer link {}", link.id)),
            what,
        )
        .await?;
    Ok(link)
}

/// Refuses what the link does not allow; the same answer as a link that does not open would
/// tell the holder nothing new, so this one says what is missing.
pub(crate) fn allowed(link: &CustomerLink, action: LinkAction) -> Result<(), ApiError> {
    if link.allows(action) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("this link does not allow that"))
    }
}

/// A new link to `target` for `contact`, allowing `actions`, living `days`: the stored record
/// and the secret, which exists only in this return value.
pub(crate) fn new_link(
    target: LinkTarget,
    contact: ContactId,
    actions: Vec<LinkAction>,
    days: u32,
    now: chrono::DateTime<chrono::Utc>,
) -> (NewCustomerLink, String) {
    let (secret, _) = new_secret("");
    let link = NewCustomerLink {
        target,
        contact_id: contact,
        actions,
        expires_at: now + Duration::days(i64::from(days)),
        token_hash: token_hash(&secret),
    };
    (link, secret)
}

/// The address a contact opens.
pub(crate) fn link_url(state: &AppState, headers: &HeaderMap, target: LinkTarget, secret: &str) -> String {
    format!("{}{}", public_base(state, headers), link_path(target, secret))
}

/// The path of the page a link opens.
pub(crate) fn link_path(target: LinkTarget, secret: &str) -> String {
    match target {
        LinkTarget::SuccessPlan(plan) => format!("/c/plans/{plan}/{secret}"),
        LinkTarget::ReviewPack(meeting) => format!("/c/packs/{meeting}/{secret}"),
        LinkTarget::Survey(survey) => format!("/c/surveys/{survey}/{secret}"),
        LinkTarget::Onboarding(plan) => format!("/c/onboarding/{plan}/{secret}"),
    }
}

/// The link's days to live as the sharer typed them.
pub(crate) fn days(requested: Option<u32>) -> Result<u32, ApiError> {
    lodestar_domain::plan::link_days(requested).map_err(|e| Invalid::field("expires_in_days", e).into())
}
