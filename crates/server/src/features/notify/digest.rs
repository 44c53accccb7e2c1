//! The daily digest: every quarter of an hour a sweep queues the digest of each person for
//! whom it has just become morning (07:00 local, see `lodestar_domain::notify::digest_day`),
//! once per person and local day; each digest job composes the person's message from their
//! Today list and sends it as they chose (email, webhooks), keyed so that a retried or repeated
//! job sends it once.

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::notify::{Notification, Subject};
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::NotificationKind;
use lodestar_store::{DigestRun, Job, Store, StoreError, TodayLine, digest_key};

use crate::jobs::{JobOutcome, Schedule};

pub(crate) const SWEEP_KIND: &str = "digest_sweep";
pub(crate) const SWEEP_LABEL: &str = "Daily digests due";
pub(crate) const LABEL: &str = "Daily digest";

/// Every quarter of an hour, so that zones a half or three quarters off the hour get theirs
/// at their 07:00 too.
pub(crate) fn schedule() -> Schedule {
    Schedule::new("digest_sweep", SWEEP_KIND, "*/15 * * * *")
}

/// Queues the digests due at the sweep's time.
pub(crate) async fn sweep(store: Store, job: Job) -> JobOutcome {
    let due: DateTime<Utc> =
        serde_json::from_value(job.payload["due"].clone()).map_err(|e| format!("payload.due is not a time: {e}"))?;
    let queued = store.enqueue_digests(due).await.map_err(|e| e.to_string())?;
    if queued > 0 {
        tracing::info!(queued, "daily digests queued");
    }
    Ok(())
}

/// Composes one person's digest and sends it; nothing when there is nothing to tell.
pub(crate) async fn run(store: Store, job: Job) -> JobOutcome {
    let run: DigestRun =
        serde_json::from_value(job.payload).map_err(|e| format!("the payload is not a digest run: {e}"))?;
    let Some(user) = store.user(run.user).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    match digest_for(&store, &user, run.day).await.map_err(|e| e.to_string())? {
        Some(digest) => store.notify(user.id, &digest).await.map_err(|e| e.to_string()),
        None => Ok(()),
    }
}

/// How many lines of Today the digest lists before it says how many more there are.
const DIGEST_LINES: usize = 10;

/// `user`'s digest for their local `day`: the top of their Today list (renewals, overdue
/// promises, meetings, accounts turning red, tasks due, …, in Today's order and with Today's
/// reasons) as a notification of kind `daily_digest`, sent by email and to webhooks as they
/// chose; none when their list is empty.
pub async fn digest_for(store: &Store, user: &User, day: NaiveDate) -> Result<Option<Notification>, StoreError> {
    let lines = store.today_list(user.id, &[user.id], day, user.time_zone.tz()).await?;
    if lines.is_empty() {
        return Ok(None);
    }
    let mut text: Vec<String> = lines.iter().take(DIGEST_LINES).map(line).collect();
    if lines.len() > DIGEST_LINES {
        text.push(format!("… and {} more on your Today list.", lines.len() - DIGEST_LINES));
    }
    let subject =
        Subject::parse(&format!("Your day, {}", day.format("%A %-d %B"))).expect("a date makes a valid subject");
    Ok(Some(Notification {
        kind: NotificationKind::DailyDigest,
        subject,
        text: text.join("\n"),
        link: Some("/today".to_owned()),
        once_key: Some(digest_key(user.id, day)),
    }))
}

/// One line of Today as the digest writes it: the account, then why.
fn line(today: &TodayLine) -> String {
    match &today.account {
        Some((_, name)) => format!("- {name}: {}", today.reason.explain()),
        None => format!("- {}", today.reason.explain()),
    }
}
