//! The daily digest: every quarter of an hour a sweep queues the digest of each person for
//! whom it has just become morning (07:00 local, see `lodestar_domain::notify::digest_day`),
//! once per person and local day; each digest job composes the person's message and sends it
//! as they chose (email, webhooks), keyed so that a retried or repeated job sends it once.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lodestar_domain::health::Band;
use lodestar_domain::notify::{Notification, Subject};
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::NotificationKind;
use lodestar_store::{
    AccountFilter, AccountOrder, AccountSort, AccountSummary, DigestRun, Job, Store, StoreError, digest_key,
};

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

/// How many accounts a section lists before it says "and more".
const SECTION_LINES: u32 = 15;
/// Renewals this close are in the digest.
const RENEWALS_WITHIN_DAYS: i64 = 30;

/// A part of the digest: a heading and its lines.
struct Section {
    heading: String,
    lines: Vec<String>,
}

/// `user`'s digest for their local `day`: a notification of kind `daily_digest` (sent by email
/// and to webhooks as they chose), or none when no section has anything to say.
pub async fn digest_for(store: &Store, user: &User, day: NaiveDate) -> Result<Option<Notification>, StoreError> {
    let sections = sections(store, user, day).await?;
    if sections.is_empty() {
        return Ok(None);
    }
    let text = sections
        .iter()
        .map(|s| format!("{}\n{}", s.heading, s.lines.join("\n")))
        .collect::<Vec<_>>()
        .join("\n\n");
    let subject =
        Subject::parse(&format!("Your day, {}", day.format("%A %-d %B"))).expect("a date makes a valid subject");
    Ok(Some(Notification {
        kind: NotificationKind::DailyDigest,
        subject,
        text,
        link: Some("/accounts".to_owned()),
        once_key: Some(digest_key(user.id, day)),
    }))
}

/// What the digest tells, section by section, in the order read. Each part of Lodestar that
/// has something for a person's morning (Today's list: promises due, meetings) adds its
/// section here.
async fn sections(store: &Store, user: &User, day: NaiveDate) -> Result<Vec<Section>, StoreError> {
    Ok([red_accounts(store, user).await?, renewals(store, user, day).await?]
        .into_iter()
        .flatten()
        .collect())
}

/// The accounts of the person's book that are red, largest first.
async fn red_accounts(store: &Store, user: &User) -> Result<Option<Section>, StoreError> {
    let filter = AccountFilter {
        owner_id: Some(user.id),
        band: Some(Band::Red),
        ..AccountFilter::default()
    };
    let order = AccountOrder {
        sort: AccountSort::Arr,
        descending: true,
    };
    book_section(store, &filter, order, "Red accounts in your book", |a| {
        format!("- {} ({} ARR)", a.account.fields.name, a.arr.whole_dollars())
    })
    .await
}

/// The accounts of the person's book renewing within 30 days, soonest first.
async fn renewals(store: &Store, user: &User, day: NaiveDate) -> Result<Option<Section>, StoreError> {
    let filter = AccountFilter {
        owner_id: Some(user.id),
        renewal_between: Some((day, day + Duration::days(RENEWALS_WITHIN_DAYS))),
        ..AccountFilter::default()
    };
    let order = AccountOrder {
        sort: AccountSort::RenewalDate,
        descending: false,
    };
    book_section(store, &filter, order, "Renewals within 30 days", |a| {
        let on = a
            .renewal_date
            .map(|d| d.format("%-d %b").to_string())
            .unwrap_or_default();
        format!(
            "- {} renews {on} ({} ARR)",
            a.account.fields.name,
            a.arr.whole_dollars()
        )
    })
    .await
}

async fn book_section(
    store: &Store,
    filter: &AccountFilter,
    order: AccountOrder,
    heading: &str,
    line: impl Fn(&AccountSummary) -> String,
) -> Result<Option<Section>, StoreError> {
    let page = store.list_accounts(filter, order, SECTION_LINES, None).await?;
    if page.items.is_empty() {
        return Ok(None);
    }
    let mut lines: Vec<String> = page.items.iter().map(line).collect();
    if page.next_cursor.is_some() {
        lines.push("- and more in Lodestar".to_owned());
    }
    Ok(Some(Section {
        heading: format!("{heading}:"),
        lines,
    }))
}
