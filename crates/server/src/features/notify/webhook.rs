//! Posting to webhook targets: the `webhook` job. Each post is Slack-compatible JSON, signed
//! with the target's secret, sent by an HTTP client that connects only to public addresses
//! unless the target allows private ones.
//!
//! The signature: `X-Lodestar-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is
//! HMAC-SHA256, keyed with the target's secret, over `<unix seconds>.<body>`. A receiver
//! recomputes it over the raw body, compares in constant time and refuses a `t` more than a
//! few minutes old. `X-Lodestar-Delivery` names the job, the same on every retry of one post.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use lodestar_domain::JobId;
use lodestar_domain::notify::is_public_address;
use lodestar_store::{Job, Store, StoreError, WebhookDelivery, WebhookTarget};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sha2::Sha256;

use super::mail::error_chain;
use crate::jobs::JobOutcome;

pub(crate) const LABEL: &str = "Webhook post";

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Lodestar-Signature";
/// The header naming the delivery (the job), for receivers that want to drop repeats.
pub const DELIVERY_HEADER: &str = "X-Lodestar-Delivery";

/// The most of a refusing receiver's answer kept in the error.
const ANSWER_KEPT: usize = 300;

/// `t=…,v1=…` for `body` sent at `timestamp`, signed with `secret`.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// Resolves a name as the system does, then refuses it unless every address it resolves to is
/// public. It runs each time a connection is made, and the client connects only to the
/// addresses it returns, so a name that changes its answer (DNS rebinding) is caught too.
struct PublicAddressesOnly;

impl Resolve for PublicAddressesOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(refused) = addresses.iter().find(|a| !is_public_address(a.ip())) {
                return Err(format!(
                    "{host} resolves to {}, a loopback, private or link-local address, and the target does not allow private addresses",
                    refused.ip()
                )
                .into());
            }
            if addresses.is_empty() {
                return Err(format!("{host} resolves to no address").into());
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// The two HTTP clients posts go out through: one for targets restricted to public addresses,
/// one for targets an admin allowed to reach private ones.
#[derive(Clone)]
pub(crate) struct WebhookSender {
    public_only: reqwest::Client,
    any_address: reqwest::Client,
}

impl WebhookSender {
    pub(crate) fn new() -> WebhookSender {
        let client = |resolver: Option<Arc<PublicAddressesOnly>>| {
            let mut builder = reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .timeout(Duration::from_secs(15))
                // A redirect could lead anywhere, private addresses included, without asking
                // the resolver (an address literal): a receiver answers where it was asked.
                .redirect(reqwest::redirect::Policy::none())
                // Through a proxy the resolver would judge the proxy's address, not the target's.
                .no_proxy()
                .user_agent(concat!("Lodestar-Webhooks/", env!("CARGO_PKG_VERSION")));
            if let Some(resolver) = resolver {
                builder = builder.dns_resolver(resolver);
            }
            builder.build().expect("the webhook HTTP client builds")
        };
        WebhookSender {
            public_only: client(Some(Arc::new(PublicAddressesOnly))),
            any_address: client(None),
        }
    }

    /// Posts the job's message to its target and records how it went on the target. A target
    /// deleted or turned off since the post was queued gets nothing.
    pub(crate) async fn run(&self, store: Store, job: Job) -> JobOutcome {
        let delivery: WebhookDelivery =
            serde_json::from_value(job.payload).map_err(|e| format!("the payload is not a webhook post: {e}"))?;
        let (target, secret) = match store.webhook_target_with_secret(delivery.target).await {
            Ok(found) => found,
            Err(StoreError::NotFound { .. }) => {
                tracing::info!(target = %delivery.target, "the webhook target is gone; nothing to post");
                return Ok(());
            }
            Err(e) => return Err(e.to_string()),
        };
        if !target.fields.enabled {
            tracing::info!(target = %target.id, "the webhook target is turned off; not posted");
            return Ok(());
        }
        let outcome = self.post(&target, &secret, job.id, &delivery.body, store.now()).await;
        if let Err(e) = store
            .record_webhook_attempt(target.id, outcome.as_ref().err().map(String::as_str))
            .await
        {
            tracing::error!(error = %e, "recording the webhook attempt failed");
        }
        if outcome.is_ok() {
            tracing::info!(target = %target.id, "webhook posted");
        }
        outcome
    }

    async fn post(
        &self,
        target: &WebhookTarget,
        secret: &str,
        delivery: JobId,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let fields = &target.fields;
        let client = if fields.allow_private {
            &self.any_address
        } else if let Some(ip) = fields.url.literal_address().filter(|ip| !is_public_address(*ip)) {
            // An address literal never reaches the resolver; it is judged here.
            return Err(format!(
                "{ip} is a loopback, private or link-local address, and the target does not allow private addresses"
            ));
        } else {
            &self.public_only
        };
        let body = serde_json::to_vec(body).expect("JSON serialises");
        let mut response = client
            .post(fields.url.url().clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature_header(secret, now.timestamp(), &body))
            .header(DELIVERY_HEADER, delivery.to_string())
            .body(body)
            .send()
            .await
            // Without the URL: a webhook URL (Slack's) often carries a token, and errors are
            // logged and kept with the job.
            .map_err(|e| format!("posting failed: {}", error_chain(&e.without_url())))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        // Only the start of the answer: a receiver must not make the queue hold megabytes.
        let mut answer = Vec::new();
        while answer.len() < ANSWER_KEPT {
            match response.chunk().await {
                Ok(Some(chunk)) => answer.extend_from_slice(&chunk),
                _ => break,
            }
        }
        let answer: String = String::from_utf8_lossy(&answer).chars().take(ANSWER_KEPT).collect();
        let answer = answer.trim();
        Err(if answer.is_empty() {
            format!("the receiver answered {status}")
        } else {
            format!("the receiver answered {status}: {answer}")
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_over_time_and_body() {
        // Computed independently: printf '1767225600.{"text":"hi"}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature_header("whsec_test", 1_767_225_600, br#"{"text":"hi"}"#),
            "t=1767225600,v1=32a9800be87276f18277eb5680a8c1f5e9e2d3c2e0b7ece5288c384833483785"
        );
    }

    #[tokio::test]
    async fn names_of_private_addresses_are_refused_when_resolved() {
        let refused = PublicAddressesOnly
            .resolve(Name::from_str("localhost").unwrap())
            .await
            .err()
            .expect("localhost is refused");
        assert!(
            refused.to_string().contains("loopback, private or link-local"),
            "{refused}"
        );
    }
}
