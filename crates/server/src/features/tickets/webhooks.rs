//! The help desk's and the issue tracker's webhooks: what they send, and how each proves it is
//! them. Zendesk sends a ticket event with a shared secret in a header (compared in constant
//! time); Jira signs its issue events (HMAC-SHA256 of the body with the shared secret, in
//! `X-Hub-Signature: sha256=…`). Either way a wrong or missing proof is 401 before the body
//! is read, and a body that is not the expected shape is 422 — nothing is written.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use lodestar_domain::text::{Email, ExternalId, Name};
use lodestar_domain::ticket::{JiraKey, Tag, TicketFields};
use lodestar_domain::vocabulary::{RequestStatus, TicketPriority};
use lodestar_domain::{AccountId, FieldError, Invalid, Valid};
use serde::Deserialize;
use sha2::Sha256;

use crate::http::error::ApiError;
use crate::http::params::checked;

/// The header Zendesk is set to send the shared secret in (its "API key" authentication).
pub(crate) const ZENDESK_SECRET_HEADER: &str = "x-lodestar-webhook-secret";
/// The header Jira sends its signature in.
pub(crate) const JIRA_SIGNATURE_HEADER: &str = "x-hub-signature";

/// Whether `given` is the `expected` secret, in time that does not depend on where they differ
/// (both are MACed under one key and the tags compared in constant time).
pub(crate) fn same_secret(expected: &str, given: &str) -> bool {
    let tag = |text: &str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"lodestar webhook secret").expect("any key length");
        mac.update(text.as_bytes());
        mac
    };
    tag(expected).verify(&tag(given).finalize().into_bytes()).is_ok()
}

/// Whether `header` (`sha256=` and the hex HMAC-SHA256 of `body` under `secret`) signs `body`.
pub(crate) fn signed(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Some(signature) = from_hex(hex) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The body as `T`; a body of another shape is 422 naming where it went wrong.
pub(crate) fn payload<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    crate::http::json::parse(body).map_err(|e| match e {
        ApiError::BadRequest { field, reason } => {
            let at = field.map(|f| format!("{f}: ")).unwrap_or_default();
            ApiError::Invalid(Invalid::field("payload", format!("{at}{reason}")))
        }
        other => other,
    })
}

/// Zendesk's ids come as numbers from its API and as strings in its events.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ZendeskId {
    Number(u64),
    Text(String),
}

#[derive(Debug, Deserialize)]
pub(crate) struct ZendeskPerson {
    pub(crate) email: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ZendeskOrganization {
    pub(crate) external_id: Option<String>,
}

/// A ticket as Zendesk's ticket events describe it (`detail`), with the requester's email
/// and the organization's external id, which a trigger's body adds
/// (`{{ticket.requester.email}}`, `{{ticket.organization.external_id}}`).
#[derive(Debug, Deserialize)]
pub(crate) struct ZendeskTicket {
    pub(crate) id: ZendeskId,
    pub(crate) subject: String,
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) priority: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default)]
    pub(crate) requester: Option<ZendeskPerson>,
    #[serde(default)]
    pub(crate) organization: Option<ZendeskOrganization>,
}

/// A Zendesk ticket event: `{"type": "zen:event-type:ticket.…", "detail": {…ticket…}, …}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ZendeskEvent {
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<String>,
    pub(crate) detail: ZendeskTicket,
}

impl ZendeskTicket {
    pub(crate) fn organization_external_id(&self) -> Option<&str> {
        self.organization.as_ref()?.external_id.as_deref()
    }

    /// The requester's email, when one was sent (422 when it is not an email).
    pub(crate) fn requester_email(&self) -> Result<Option<Email>, ApiError> {
        let Some(email) = self.requester.as_ref().and_then(|r| r.email.as_deref()) else {
            return Ok(None);
        };
        if email.trim().is_empty() {
            return Ok(None);
        }
        Ok(Some(
            Email::parse(email).map_err(|e| Invalid::field("detail.requester.email", e))?,
        ))
    }

    /// The ticket on `account`, with every problem named by its place in the payload.
    pub(crate) fn fields(&self, account: AccountId) -> Result<Valid<TicketFields>, ApiError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let id = match &self.id {
            ZendeskId::Number(n) => n.to_string(),
            ZendeskId::Text(t) => t.clone(),
        };
        let external_id = checked(&mut errors, "detail.id", ExternalId::parse(&id));
        let subject = checked(&mut errors, "detail.subject", Name::parse(&self.subject));
        let status = checked(&mut errors, "detail.status", self.status.parse());
        let priority = match self.priority.as_deref().filter(|p| !p.trim().is_empty()) {
            None => Some(TicketPriority::Normal),
            Some(p) => checked(&mut errors, "detail.priority", p.parse()),
        };
        let tags = checked(&mut errors, "detail.tags", Tag::parse_list(&self.tags.join(" ")));
        let requester_email = self.requester_email()?;
        match (external_id, subject, status, priority, tags) {
            (Some(external_id), Some(subject), Some(status), Some(priority), Some(tags)) if errors.is_empty() => {
                let fields = TicketFields {
                    external_id,
                    account_id: account,
                    subject,
                    status,
                    priority,
                    requester_email,
                    tags,
                    opened_at: self.created_at,
                    updated_at: self.updated_at,
                };
                fields.validate().map_err(|mut e| {
                    for error in &mut e.errors {
                        if error.field == "updated_at" {
                            error.field = "detail.updated_at";
                        }
                    }
                    e.into()
                })
            }
            _ => Err(Invalid { errors }.into()),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct JiraStatusCategory {
    pub(crate) key: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct JiraStatus {
    pub(crate) name: String,
    #[serde(rename = "statusCategory", default)]
    pub(crate) category: Option<JiraStatusCategory>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct JiraFields {
    pub(crate) status: JiraStatus,
}

#[derive(Debug, Deserialize)]
pub(crate) struct JiraIssue {
    pub(crate) key: String,
    pub(crate) fields: JiraFields,
}

/// A Jira issue event: `{"webhookEvent": "jira:issue_updated", "issue": {"key": …,
/// "fields": {"status": {"name": …, "statusCategory": {"key": …}}}}, …}`.
#[derive(Debug, Deserialize)]
pub(crate) struct JiraEvent {
    #[serde(rename = "webhookEvent")]
    pub(crate) event: String,
    pub(crate) issue: JiraIssue,
}

impl JiraEvent {
    pub(crate) fn key(&self) -> Result<JiraKey, ApiError> {
        Ok(JiraKey::parse(&self.issue.key).map_err(|e| Invalid::field("issue.key", e))?)
    }

    /// The request status the issue's status means: its name when it is one Lodestar knows
    /// ("In Progress", "Done", "Won't Do"…), else its category (to do, in progress, done).
    pub(crate) fn status(&self) -> Result<RequestStatus, ApiError> {
        let status = &self.issue.fields.status;
        if let Ok(known) = status.name.parse() {
            return Ok(known);
        }
        match status.category.as_ref().and_then(|c| c.key.as_deref()) {
            Some("new") => Ok(RequestStatus::Open),
            Some("indeterminate") => Ok(RequestStatus::InProgress),
            Some("done") => Ok(RequestStatus::Shipped),
            _ => Err(Invalid::field(
                "issue.fields.status.name",
                format!(
                    "{:?} is not a status Lodestar knows, and the status has no category",
                    status.name
                ),
            )
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3cre"));
        assert!(!same_secret("s3cret", ""));
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // Computed independently: printf '{"a":1}' | openssl dgst -sha256 -hmac topsecret
        let good = "sha256=bf1e6501b7fa928ec2391fea9dd90af3c9ad1b7b1ef6ff319c25940cec746bf8";
        assert!(signed("topsecret", br#"{"a":1}"#, good));
        assert!(!signed("topsecret", br#"{"a":2}"#, good));
        assert!(!signed("other", br#"{"a":1}"#, good));
        assert!(
            !signed("topsecret", br#"{"a":1}"#, &good[7..]),
            "the sha256= prefix is required"
        );
        assert!(!signed("topsecret", br#"{"a":1}"#, "sha256=zz"));
    }
}
