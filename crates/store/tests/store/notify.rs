//! Notifications, on SQLite and PostgreSQL: each person's settings (defaults, time zone),
//! webhook targets, and the messages a notification queues — by the person's choices, the
//! server's outbox and the targets' kinds — once per key; digests once per person and day.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use lodestar_domain::notify::{Channels, EmailMessage, Notification, Subject, TimeZone, WebhookFields, WebhookUrl};
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::{NotificationKind, Role};
use lodestar_domain::{UserId, WebhookId};
use lodestar_store::{
    Clock, DIGEST_JOB, DigestRun, EMAIL_JOB, Job, Outbox, Store, StoreError, WEBHOOK_JOB, WebhookDelivery, store_test,
};

use crate::common::{d, user};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The store as `serve` runs it with an SMTP server and a public URL.
fn sending(store: &Store) -> Store {
    store.with_outbox(Outbox {
        email: true,
        public_url: Some("https://cs.vendor.io".into()),
    })
}

async fn person(store: &Store, email: &str) -> UserId {
    store
        .create_user(user(email, Role::Csm).validate(None).unwrap())
        .await
        .unwrap()
        .id
}

fn target(name: &str, kinds: &[NotificationKind]) -> WebhookFields {
    WebhookFields {
        name: Name::parse(name).unwrap(),
        url: WebhookUrl::parse("https://hooks.example.com/x").unwrap(),
        enabled: true,
        allow_private: false,
        kinds: kinds.iter().copied().collect(),
    }
}

fn turned_red(once_key: Option<&str>) -> Notification {
    Notification {
        kind: NotificationKind::AccountTurnedRed,
        subject: Subject::parse("Acme turned red").unwrap(),
        text: "Health fell to 31.".into(),
        link: Some("/accounts/1".into()),
        once_key: once_key.map(str::to_owned),
    }
}

async fn queued(store: &Store) -> Vec<Job> {
    store
        .jobs(Some(lodestar_domain::job::JobState::Queued), 500, 0)
        .await
        .unwrap()
        .1
}

fn of_kind<'a>(jobs: &'a [Job], kind: &str) -> Vec<&'a Job> {
    jobs.iter().filter(|j| j.kind == kind).collect()
}

store_test!(settings_start_at_the_defaults_and_keep_what_a_person_chose);
async fn settings_start_at_the_defaults_and_keep_what_a_person_chose(store: Store) {
    let jo = person(&store, "jo@vendor.io").await;
    let fresh = store.notification_settings(jo).await.unwrap();
    assert_eq!(fresh.time_zone, TimeZone::UTC);
    assert_eq!(fresh.channels.len(), NotificationKind::ALL.len());
    assert!(fresh.channels.iter().all(|(_, c)| *c == Channels::default()));
    assert_eq!(store.user(jo).await.unwrap().unwrap().time_zone, TimeZone::UTC);

    let berlin = TimeZone::parse("Europe/Berlin").unwrap();
    let quiet = Channels {
        email: false,
        webhook: true,
    };
    let saved = store
        .set_notification_settings(jo, berlin, &[(NotificationKind::DailyDigest, quiet)])
        .await
        .unwrap();
    assert_eq!(saved.time_zone, berlin);
    let digest = saved.channels.iter().find(|(k, _)| *k == NotificationKind::DailyDigest);
    assert_eq!(digest, Some(&(NotificationKind::DailyDigest, quiet)));
    let others = saved
        .channels
        .iter()
        .filter(|(k, _)| *k != NotificationKind::DailyDigest);
    assert!(
        others.clone().all(|(_, c)| *c == Channels::default()),
        "kinds left out keep theirs"
    );
    assert_eq!(
        store.user(jo).await.unwrap().unwrap().time_zone,
        berlin,
        "the user carries it"
    );

    let all_on = Channels::default();
    let again = store
        .set_notification_settings(jo, berlin, &[(NotificationKind::DailyDigest, all_on)])
        .await
        .unwrap();
    assert!(
        again.channels.iter().all(|(_, c)| *c == all_on),
        "a choice can be changed back"
    );
    assert!(matches!(
        store.notification_settings(UserId(999)).await,
        Err(StoreError::NotFound { .. })
    ));
}

store_test!(webhook_targets_keep_their_fields_and_secret);
async fn webhook_targets_keep_their_fields_and_secret(store: Store) {
    let kinds = [NotificationKind::AccountTurnedRed, NotificationKind::DailyDigest];
    let created = store
        .create_webhook_target(target("#cs-alerts", &kinds).validate().unwrap(), "whsec_abc")
        .await
        .unwrap();
    assert_eq!(created.fields, target("#cs-alerts", &kinds));
    assert_eq!((created.last_attempt_at, created.last_error.as_deref()), (None, None));
    let (_, secret) = store.webhook_target_with_secret(created.id).await.unwrap();
    assert_eq!(secret, "whsec_abc");

    let clash = store
        .create_webhook_target(target("#cs-alerts", &kinds).validate().unwrap(), "whsec_def")
        .await
        .unwrap_err();
    assert_eq!(clash.to_string(), "a webhook target has this name");

    let mut changed = target("#renewals", &[NotificationKind::PromiseDue]);
    changed.enabled = false;
    let updated = store
        .update_webhook_target(created.id, changed.clone().validate().unwrap())
        .await
        .unwrap();
    assert_eq!(updated.fields, changed);
    assert_eq!(
        store.webhook_target_with_secret(created.id).await.unwrap().1,
        "whsec_abc",
        "the secret stays"
    );

    store
        .record_webhook_attempt(created.id, Some("the receiver answered 500"))
        .await
        .unwrap();
    let failed = store.webhook_target(created.id).await.unwrap();
    assert_eq!(failed.last_error.as_deref(), Some("the receiver answered 500"));
    assert!(failed.last_attempt_at.is_some());
    store.record_webhook_attempt(created.id, None).await.unwrap();
    assert_eq!(store.webhook_target(created.id).await.unwrap().last_error, None);

    assert_eq!(store.webhook_targets().await.unwrap().len(), 1);
    store.delete_webhook_target(created.id).await.unwrap();
    assert!(matches!(
        store.delete_webhook_target(created.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .update_webhook_target(WebhookId(999), changed.validate().unwrap())
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

store_test!(a_notification_queues_what_the_person_and_the_targets_call_for);
async fn a_notification_queues_what_the_person_and_the_targets_call_for(store: Store) {
    let store = sending(&store);
    let jo = person(&store, "jo@vendor.io").await;
    let red = [NotificationKind::AccountTurnedRed];
    let alerts = store
        .create_webhook_target(target("#cs-alerts", &red).validate().unwrap(), "s1")
        .await
        .unwrap();
    store
        .create_webhook_target(
            target("#digests", &[NotificationKind::DailyDigest]).validate().unwrap(),
            "s2",
        )
        .await
        .unwrap();
    let mut off = target("#off", &red);
    off.enabled = false;
    store
        .create_webhook_target(off.validate().unwrap(), "s3")
        .await
        .unwrap();

    store.notify(jo, &turned_red(None)).await.unwrap();
    let jobs = queued(&store).await;
    let emails = of_kind(&jobs, EMAIL_JOB);
    assert_eq!(emails.len(), 1, "{jobs:?}");
    let email: EmailMessage = serde_json::from_value(emails[0].payload.clone()).unwrap();
    assert_eq!(email.to.as_str(), "jo@vendor.io");
    assert_eq!(email.subject.as_str(), "Acme turned red");
    assert!(email.text_body.contains("https://cs.vendor.io/accounts/1"));
    let posts = of_kind(&jobs, WEBHOOK_JOB);
    assert_eq!(posts.len(), 1, "only the enabled target that carries the kind");
    let post: WebhookDelivery = serde_json::from_value(posts[0].payload.clone()).unwrap();
    assert_eq!(post.target, alerts.id);
    assert_eq!(post.body["text"], "Acme turned red (for jo)");

    // Jo keeps this kind off email: only the webhook.
    let webhook_only = Channels {
        email: false,
        webhook: true,
    };
    store
        .set_notification_settings(jo, TimeZone::UTC, &[(NotificationKind::AccountTurnedRed, webhook_only)])
        .await
        .unwrap();
    store.notify(jo, &turned_red(None)).await.unwrap();
    let jobs = queued(&store).await;
    assert_eq!(
        (of_kind(&jobs, EMAIL_JOB).len(), of_kind(&jobs, WEBHOOK_JOB).len()),
        (1, 2)
    );

    // A deactivated person is told nothing; an unknown one is an error.
    store.set_user_active(jo, false).await.unwrap();
    store.notify(jo, &turned_red(None)).await.unwrap();
    assert_eq!(queued(&store).await.len(), 3);
    assert!(matches!(
        store.notify(UserId(999), &turned_red(None)).await,
        Err(StoreError::NotFound { .. })
    ));
}

store_test!(without_an_smtp_server_no_email_is_queued);
async fn without_an_smtp_server_no_email_is_queued(store: Store) {
    let jo = person(&store, "jo@vendor.io").await;
    store
        .create_webhook_target(
            target("#cs-alerts", &[NotificationKind::AccountTurnedRed])
                .validate()
                .unwrap(),
            "s",
        )
        .await
        .unwrap();
    store.notify(jo, &turned_red(None)).await.unwrap();
    let jobs = queued(&store).await;
    assert!(of_kind(&jobs, EMAIL_JOB).is_empty(), "the outbox sends no email");
    let post: WebhookDelivery = serde_json::from_value(of_kind(&jobs, WEBHOOK_JOB)[0].payload.clone()).unwrap();
    let markdown = post.body["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(
        !markdown.contains("Open in Lodestar"),
        "no public URL, no link: {markdown}"
    );
}

store_test!(a_keyed_notification_is_queued_once);
async fn a_keyed_notification_is_queued_once(store: Store) {
    let store = sending(&store);
    let jo = person(&store, "jo@vendor.io").await;
    store
        .create_webhook_target(
            target("#cs-alerts", &[NotificationKind::AccountTurnedRed])
                .validate()
                .unwrap(),
            "s",
        )
        .await
        .unwrap();
    for _ in 0..3 {
        store
            .notify(jo, &turned_red(Some("red:acme:2026-12-02")))
            .await
            .unwrap();
    }
    let jobs = queued(&store).await;
    assert_eq!(jobs.len(), 2, "one email and one post: {jobs:?}");
    let keys: BTreeSet<String> = jobs.iter().filter_map(|j| j.dedupe_key.clone()).collect();
    assert!(keys.contains("red:acme:2026-12-02:email"), "{keys:?}");
}

store_test!(digests_are_queued_in_each_persons_morning_once_a_day);
async fn digests_are_queued_in_each_persons_morning_once_a_day(store: Store) {
    let store = sending(&store).with_clock(Clock::fixed(at("2026-12-02T06:00:00Z")));
    let berlin = TimeZone::parse("Europe/Berlin").unwrap();
    let new_york = TimeZone::parse("America/New_York").unwrap();
    let ana = person(&store, "ana@vendor.io").await;
    let ben = person(&store, "ben@vendor.io").await;
    let cy = person(&store, "cy@vendor.io").await;
    let dee = person(&store, "dee@vendor.io").await;
    let no_digest = Channels {
        email: false,
        webhook: false,
    };
    store.set_notification_settings(ana, berlin, &[]).await.unwrap();
    store.set_notification_settings(ben, new_york, &[]).await.unwrap();
    store
        .set_notification_settings(cy, berlin, &[(NotificationKind::DailyDigest, no_digest)])
        .await
        .unwrap();
    store.set_notification_settings(dee, berlin, &[]).await.unwrap();
    store.set_user_active(dee, false).await.unwrap();

    // 07:00 in Berlin, 01:00 in New York: Ana's morning only (Cy wants none, Dee is gone).
    assert_eq!(store.enqueue_digests(store.now()).await.unwrap(), 1);
    assert_eq!(
        store.enqueue_digests(at("2026-12-02T06:15:00Z")).await.unwrap(),
        0,
        "once a day"
    );
    let jobs = queued(&store).await;
    let digests = of_kind(&jobs, DIGEST_JOB);
    let run: DigestRun = serde_json::from_value(digests[0].payload.clone()).unwrap();
    assert_eq!(
        run,
        DigestRun {
            user: ana,
            day: d("2026-12-02")
        }
    );
    // 07:00 in New York: Ben's.
    assert_eq!(store.enqueue_digests(at("2026-12-02T12:00:00Z")).await.unwrap(), 1);
    // The next morning in Berlin: Ana's again.
    assert_eq!(store.enqueue_digests(at("2026-12-03T06:00:00Z")).await.unwrap(), 1);

    // Without email, the digest goes only where a webhook carries it.
    let quiet = store.with_outbox(Outbox::default());
    assert_eq!(quiet.enqueue_digests(at("2026-12-04T06:00:00Z")).await.unwrap(), 0);
    quiet
        .create_webhook_target(
            target("#digests", &[NotificationKind::DailyDigest]).validate().unwrap(),
            "s",
        )
        .await
        .unwrap();
    assert_eq!(quiet.enqueue_digests(at("2026-12-04T06:00:00Z")).await.unwrap(), 1);
}
