//! Notifications (F-52): email over SMTP and Slack-compatible webhooks, each person's choices
//! and time zone, the daily digest. Messages are jobs in the durable queue, queued in the
//! transaction of the change that causes them (the store's `notify_user`) and sent by the job
//! runner with back-off retries: sending never holds up a request.

mod api;
pub mod digest;
pub(crate) mod mail;
pub(crate) mod ops;
mod web;
pub mod webhook;

pub(crate) use api::router as api_router;
pub(crate) use web::router as web_router;

use lodestar_store::{CUSTOMER_LINK_EMAIL_JOB, DIGEST_JOB, EMAIL_JOB, WEBHOOK_JOB};

use crate::ServerConfig;
use crate::jobs::JobKinds;

/// The job kinds that send notifications, and the digest's schedule.
pub(crate) fn register(kinds: &mut JobKinds, config: &ServerConfig) {
    let mail = config.mail.clone();
    kinds.handle(EMAIL_JOB, {
        let mail = mail.clone();
        move |store, job| mail::run(mail.clone(), store, job)
    });
    kinds.handle(CUSTOMER_LINK_EMAIL_JOB, move |store, job| {
        crate::features::customer::email::run(mail.clone(), store, job)
    });
    let sender = webhook::WebhookSender::new();
    kinds.handle(WEBHOOK_JOB, move |store, job| {
        let sender = sender.clone();
        async move { sender.run(store, job).await }
    });
    kinds.handle(DIGEST_JOB, digest::run);
    kinds.handle(digest::SWEEP_KIND, digest::sweep);
    kinds.schedule(digest::schedule());
}

/// What a person reads for a notification job's kind.
pub(crate) fn kind_label(kind: &str) -> Option<&'static str> {
    match kind {
        EMAIL_JOB => Some(mail::LABEL),
        CUSTOMER_LINK_EMAIL_JOB => Some(crate::features::customer::email::LABEL),
        WEBHOOK_JOB => Some(webhook::LABEL),
        DIGEST_JOB => Some(digest::LABEL),
        digest::SWEEP_KIND => Some(digest::SWEEP_LABEL),
        _ => None,
    }
}
