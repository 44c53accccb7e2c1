//! How an operator tunes the server: session lengths, sign-in throttling, where the client
//! address comes from behind a proxy, the public URL, and the SMTP server email goes through.

use axum::http::HeaderName;
use lodestar_store::{SessionLimits, SignInLimits};

/// A header name as an operator types it (`X-Forwarded-For`), checked.
pub fn header_name(text: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(text.trim().as_bytes()).map_err(|_| format!("{text:?} is not a header name"))
}

#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    pub sessions: SessionLimits,
    pub sign_in: SignInLimits,
    /// The header a trusted reverse proxy writes the client address into (`X-Forwarded-For`,
    /// `X-Real-IP`). Unset, the address is the TCP peer's: a header anyone can send must not
    /// decide whose sign-in failures count.
    pub client_address_header: Option<HeaderName>,
    /// Lodestar's public URL is https: browsers are told to use nothing else (HSTS).
    pub https: bool,
    /// Lodestar's public URL without a trailing slash, for links that leave the browser
    /// (calendar feeds; emails and webhook messages, which carry no links without it); unset,
    /// the browser's links are made from the request's Host header.
    pub public_url: Option<String>,
    /// Where email goes. Without it no email is queued (notifications go to webhooks only).
    pub mail: Option<MailConfig>,
    /// Requests one client address may make to customer links (`/c/…`) per minute; unset, 60.
    pub customer_link_requests_per_minute: Option<std::num::NonZeroU32>,
    /// The secret Zendesk sends in `X-Lodestar-Webhook-Secret`; unset, its webhook answers 401.
    pub zendesk_secret: Option<String>,
    /// The secret Jira signs its webhook bodies with; unset, its webhook answers 401.
    pub jira_secret: Option<String>,
}

impl ServerConfig {
    /// How the messages that changes cause are sent from this server.
    pub fn outbox(&self) -> lodestar_store::Outbox {
        lodestar_store::Outbox {
            email: self.mail.is_some(),
            public_url: self.public_url.clone(),
        }
    }
}

/// The SMTP server email is sent through, and the address it comes from.
#[derive(Clone)]
pub struct MailConfig {
    pub(crate) transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    pub(crate) from: lettre::message::Mailbox,
    /// The server's URL without its password, for logs and the admin page.
    pub shown_as: String,
}

impl MailConfig {
    /// From `smtp_url` as lettre reads it — `smtp://host:port` (plain, or STARTTLS with
    /// `?tls=required`), `smtps://host` (TLS from the start), with `user:password@` when the
    /// server wants a login — and the from-address (`Lodestar <cs@example.com>` or a bare
    /// address).
    pub fn new(smtp_url: &str, from: &str) -> Result<MailConfig, String> {
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("the SMTP URL {:?} is not one Lodestar can use: {e}", shown(smtp_url)))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from = from
            .trim()
            .parse()
            .map_err(|e| format!("the from-address {from:?} is not an email address: {e}"))?;
        Ok(MailConfig {
            transport,
            from,
            shown_as: shown(smtp_url),
        })
    }
}

/// A URL with its password, if it has one, replaced by `***`.
fn shown(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(not a URL)".to_owned(),
    }
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp", &self.shown_as)
            .field("from", &self.from.to_string())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_smtp_password_is_never_shown() {
        let mail = MailConfig::new("smtps://cs:hunter2@mail.example.com:465", "Lodestar <cs@example.com>").unwrap();
        assert_eq!(mail.shown_as, "smtps://cs:***@mail.example.com:465");
        assert!(!format!("{mail:?}").contains("hunter2"));
        assert!(MailConfig::new("http://mail.example.com", "cs@example.com").is_err());
        assert!(MailConfig::new("smtp://127.0.0.1:2525", "not an address").is_err());
    }

    /// rustls panics when it has to choose between two crypto providers; the TLS settings of an
    /// smtps:// connection are made the way sending makes them.
    #[test]
    fn smtp_tls_settings_build_with_one_crypto_provider() {
        lettre::transport::smtp::client::TlsParameters::new("mail.example.com".into()).expect("TLS settings");
    }
}
