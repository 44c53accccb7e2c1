//! Sending one email through the configured SMTP server: the `email` job.

use lettre::AsyncTransport;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lodestar_domain::notify::EmailMessage;
use lodestar_store::{Job, Store};

use crate::config::MailConfig;
use crate::jobs::JobOutcome;

pub(crate) const LABEL: &str = "Email";

/// Sends the job's message. A server without an SMTP server fails the attempt (another
/// server sharing the database may have one; the queue tries again later).
pub(crate) async fn run(mail: Option<MailConfig>, store: Store, job: Job) -> JobOutcome {
    let mail = mail.ok_or("this server has no SMTP server to send through (set LODESTAR_SMTP_URL)")?;
    let message: EmailMessage =
        serde_json::from_value(job.payload).map_err(|e| format!("the payload is not an email: {e}"))?;
    send(&mail, &store, &message).await?;
    tracing::info!(to = %message.to, subject = %message.subject, "email sent");
    Ok(())
}

/// Sends `message`. When the SMTP server refuses it for good (a 5xx reply: no such mailbox),
/// the address's bounce is recorded before the attempt fails: a quiet champion whose address
/// bounces has probably left (F-41).
pub(crate) async fn send(mail: &MailConfig, store: &Store, message: &EmailMessage) -> Result<(), String> {
    let sent = deliver(mail, message).await;
    if let Err(Refusal {
        reason,
        permanent: true,
    }) = &sent
    {
        store
            .record_email_bounce(&message.to, reason)
            .await
            .map_err(|e| format!("{reason}; recording the bounce failed too: {e}"))?;
    }
    sent.map_err(|r| r.reason)
}

/// Why an email was not sent, and whether trying again can help.
struct Refusal {
    reason: String,
    permanent: bool,
}

impl From<String> for Refusal {
    fn from(reason: String) -> Self {
        Refusal {
            reason,
            permanent: false,
        }
    }
}

async fn deliver(mail: &MailConfig, message: &EmailMessage) -> Result<(), Refusal> {
    let to: Mailbox = message
        .to
        .as_str()
        .parse()
        .map_err(|e| format!("{} is not an address an SMTP server takes: {e}", message.to))?;
    let builder = lettre::Message::builder()
        .from(mail.from.clone())
        .to(to)
        .subject(message.subject.as_str())
        .message_id(None);
    let email = match &message.html_body {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            message.text_body.clone(),
            html.clone(),
        )),
        None => builder.singlepart(SinglePart::plain(message.text_body.clone())),
    }
    .map_err(|e| format!("the email could not be put together: {e}"))?;
    mail.transport.send(email).await.map_err(|e| Refusal {
        reason: format!("sending through {} failed: {}", mail.shown_as, error_chain(&e)),
        permanent: e.is_permanent(),
    })?;
    Ok(())
}

/// An error and its causes, on one line: the outermost message alone rarely says what failed.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = e.source();
    }
    text
}
