//! The daily digest and the reminders: every quarter of an hour a sweep queues the digest of
//! each person for whom it has just become morning (07:00 local, see
//! `lodestar_domain::notify::digest_day`), once per person and local day, and reminds the
//! people of the meetings starting within half an hour; each digest job sends the person's
//! alerts (promises overdue, accounts turned red) and the digest of their Today list as they
//! chose (email, webhooks), keyed so that a retried or repeated job sends each once.

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::UserId;
use lodestar_domain::notify::{Notification, Subject};
use lodestar_domain::today::Reason;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::NotificationKind;
use lodestar_store::{DigestRun, Job, MeetingFilter, Store, StoreError, TodayLine, digest_key};

use crate::jobs::{JobOutcome, Schedule};

pub(crate) const SWEEP_KIND: &str = "digest_sweep";
pub(crate) const SWEEP_LABEL: &str = "Daily digests due";
pub(crate) const LABEL: &str = "Daily digest";

/// Every quarter of an hour, so that zones a half or three quarters off the hour get theirs
/// at their 07:00 too.
pub(crate) fn schedule() -> Schedule {
    Schedule::new("digest_sweep", SWEEP_KIND, "*/15 * * * *")
}

/// Queues the digests due at the sweep's time, and reminds people of the meetings starting
/// within the next half hour.
pub(crate) async fn sweep(store: Store, job: Job) -> JobOutcome {
    let due: DateTime<Utc> =
        serde_json::from_value(job.payload["due"].clone()).map_err(|e| format!("payload.due is not a time: {e}"))?;
    let queued = store.enqueue_digests(due).await.map_err(|e| e.to_string())?;
    if queued > 0 {
        tracing::info!(queued, "daily digests queued");
    }
    remind_meetings(&store, due).await.map_err(|e| e.to_string())
}

/// How long before a meeting its people are reminded.
const MEETING_REMINDER_MINUTES: i64 = 30;

/// Tells the people of each meeting starting within [`MEETING_REMINDER_MINUTES`] of `at` —
/// our attendees and the account's CSM — once per meeting and time (a moved meeting is
/// reminded again at its new time).
pub async fn remind_meetings(store: &Store, at: DateTime<Utc>) -> Result<(), StoreError> {
    let filter = MeetingFilter {
        from: Some(at),
        to: Some(at + chrono::Duration::minutes(MEETING_REMINDER_MINUTES)),
        appointments_only: true,
        ..MeetingFilter::default()
    };
    for meeting in store.meetings_ahead(&filter).await? {
        let mut people: Vec<UserId> = meeting.fields.users.clone();
        people.extend(meeting.account_owner_id);
        people.sort();
        people.dedup();
        let local = meeting.fields.starts_at.with_timezone(&meeting.fields.time_zone);
        let subject = Subject::parse(&format!("At {}: {}", local.format("%H:%M %Z"), meeting.fields.title))
            .unwrap_or_else(|_| Subject::parse("A meeting soon").expect("a valid subject"));
        let with: Vec<&str> = meeting.attendees.iter().map(|a| a.name()).collect();
        for person in people {
            let reminder = Notification {
                kind: NotificationKind::MeetingReminder,
                subject: subject.clone(),
                text: format!(
                    "{} with {} ({}), {} minutes. With {}.",
                    meeting.fields.kind.label(),
                    meeting.account_name,
                    local.format("%A %-d %B, %H:%M %Z"),
                    meeting.fields.duration_minutes,
                    if with.is_empty() {
                        "no one listed".to_owned()
                    } else {
                        with.join(", ")
                    }
                ),
                link: Some(format!("/accounts/{}#meeting-{}", meeting.account_id, meeting.id)),
                once_key: Some(format!("meeting_reminder:{}:{}:{person}", meeting.id, meeting.sequence)),
            };
            store.notify(person, &reminder).await?;
        }
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
    for alert in alerts_for(&store, &user, run.day).await.map_err(|e| e.to_string())? {
        store.notify(user.id, &alert).await.map_err(|e| e.to_string())?;
    }
    match digest_for(&store, &user, run.day).await.map_err(|e| e.to_string())? {
        Some(digest) => store.notify(user.id, &digest).await.map_err(|e| e.to_string()),
        None => Ok(()),
    }
}

/// The morning's alerts of their own kinds, from `user`'s Today list: each promise of ours
/// overdue, each customer promise overdue on their book, each account of theirs turned red —
/// once per line and local day, sent as they chose for each kind.
pub async fn alerts_for(store: &Store, user: &User, day: NaiveDate) -> Result<Vec<Notification>, StoreError> {
    let lines = store.today_list(user.id, &[user.id], day, user.time_zone.tz()).await?;
    Ok(lines
        .iter()
        .filter_map(|l| {
            let kind = match l.reason {
                Reason::OurPromiseOverdue { .. } => NotificationKind::PromiseDue,
                Reason::TheirPromiseOverdue { .. } => NotificationKind::CustomerPromiseOverdue,
                Reason::TurnedRed { .. } => NotificationKind::AccountTurnedRed,
                _ => return None,
            };
            let why = l.reason.explain();
            let about = l.account.as_ref().map(|(_, name)| name.as_str());
            let subject = about.map_or_else(|| why.clone(), |name| format!("{name}: {why}"));
            Some(Notification {
                kind,
                subject: Subject::parse(&subject.chars().take(200).collect::<String>()).ok()?,
                text: why,
                link: Some(
                    l.account
                        .as_ref()
                        .map_or_else(|| "/today".to_owned(), |(id, _)| format!("/accounts/{id}")),
                ),
                once_key: Some(format!("{}:{}:{day}", kind.as_str(), l.key)),
            })
        })
        .collect())
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
