//! The `customer_link_email` job: makes one customer link and emails it. The queued payload
//! names the link to make and holds the email with a `{link}` placeholder — never a secret:
//! the secret is made here, only its hash stored, and it leaves in the email. When sending
//! fails the link is withdrawn (the queue tries again later, with a new link).

use lodestar_domain::notify::{EmailMessage, Subject};
use lodestar_domain::text::Email;
use lodestar_store::{CustomerLinkEmail, Job, Store};

use crate::config::MailConfig;
use crate::features::notify::mail;
use crate::jobs::JobOutcome;

pub(crate) const LABEL: &str = "Customer link by email";

pub(crate) async fn run(mail: Option<MailConfig>, store: Store, job: Job) -> JobOutcome {
    let mail = mail.ok_or("this server has no SMTP server to send through (set LODESTAR_SMTP_URL)")?;
    let order: CustomerLinkEmail =
        serde_json::from_value(job.payload).map_err(|e| format!("the payload is not a link email: {e}"))?;
    let target = order.target().map_err(|e| e.to_string())?;
    let to = store
        .contact_address(order.contact_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("contact {} has no email address", order.contact_id))?;
    let to = Email::parse(&to).map_err(|e| format!("contact {}: {e}", order.contact_id))?;
    let subject = Subject::parse(&order.subject).map_err(|e| format!("the subject {e}"))?;
    let (link, secret) = super::new_link(target, order.contact_id, order.actions.clone(), order.days, store.now());
    let link = store
        .create_customer_link(&link, order.created_by)
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "{}{}",
        order.base_url.trim_end_matches('/'),
        super::link_path(target, &secret)
    );
    let message = EmailMessage {
        to,
        subject,
        text_body: order.text.replace("{link}", &url),
        html_body: None,
    };
    if let Err(e) = mail::send(&mail, &store, &message).await {
        store
            .revoke_customer_link(link.id)
            .await
            .map_err(|r| format!("{e}; withdrawing its link failed too: {r}"))?;
        return Err(e);
    }
    tracing::info!(link = %link.id, "customer link emailed");
    Ok(())
}
