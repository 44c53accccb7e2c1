//! Sending one email through the configured SMTP server: the `email` job.

use lettre::AsyncTransport;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lodestar_domain::notify::EmailMessage;
use lodestar_store::Job;

use crate::config::MailConfig;
use crate::jobs::JobOutcome;

pub(crate) const LABEL: &str = "Email";

/// Sends the job's message. A server without an SMTP server fails the attempt (another
/// server sharing the database may have one; the queue tries again later).
pub(crate) async fn run(mail: Option<MailConfig>, job: Job) -> JobOutcome {
    let mail = mail.ok_or("this server has no SMTP server to send through (set LODESTAR_SMTP_URL)")?;
    let message: EmailMessage =
        serde_json::from_value(job.payload).map_err(|e| format!("the payload is not an email: {e}"))?;
    send(&mail, &message).await?;
    tracing::info!(to = %message.to, subject = %message.subject, "email sent");
    Ok(())
}

pub(crate) async fn send(mail: &MailConfig, message: &EmailMessage) -> Result<(), String> {
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
    mail.transport
        .send(email)
        .await
        .map_err(|e| format!("sending through {} failed: {}", mail.shown_as, error_chain(&e)))?;
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
