//! Meetings, promises, tasks, Today and calendar feeds, on both databases.

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use lodestar_domain::meeting::{MeetingFields, local_start};
use lodestar_domain::promise::{PromiseFields, PromiseOwner, Standing};
use lodestar_domain::review::ActionText;
use lodestar_domain::text::{Name, Note};
use lodestar_domain::today::Reason;
use lodestar_domain::vocabulary::{ActionStatus, MeetingKind, Role, TaskSource};
use lodestar_domain::{AccountId, UserId};
use lodestar_store::{
    Clock, FeedOwner, MeetingFilter, PromiseFilter, Store, StoreError, TaskFields, TaskView, store_test,
};

use crate::common::*;

/// `owned_account`, with one contact.
pub(crate) async fn book(store: Store) -> (Store, UserId, AccountId, lodestar_domain::ContactId) {
    let (store, csm, acme) = owned_account(store).await;
    let dana = store
        .create_contact(contact("dana", acme).validate().unwrap())
        .await
        .unwrap()
        .id;
    (store, csm, acme, dana)
}

fn meeting(kind: MeetingKind, at: chrono::DateTime<Utc>, users: Vec<UserId>) -> MeetingFields {
    MeetingFields {
        kind,
        title: Name::parse("Monthly check-in").unwrap(),
        starts_at: at,
        duration_minutes: 30,
        time_zone: chrono_tz::Europe::Berlin,
        notes: Note::parse("## Heard\n- wants SSO").unwrap(),
        users,
        contacts: Vec::new(),
    }
}

fn promise(text: &str, owner: PromiseOwner, due: &str) -> PromiseFields {
    PromiseFields {
        description: ActionText::parse(text).unwrap(),
        owner,
        due_on: d(due),
    }
}

store_test!(a_meeting_keeps_its_attendees_promises_and_sequence);

async fn a_meeting_keeps_its_attendees_promises_and_sequence(store: Store) {
    let (store, csm, acme, dana) = book(store).await;
    let nine = local_start(
        d("2026-12-10"),
        NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        chrono_tz::Europe::Berlin,
    )
    .unwrap();
    let mut fields = meeting(MeetingKind::Qbr, nine, vec![csm]);
    fields.contacts = vec![dana];
    let promises = vec![
        promise("Send the SSO guide", PromiseOwner::Us(csm), "2026-11-30"),
        promise("Share the admin list", PromiseOwner::Customer(dana), "2026-12-20"),
    ];
    let m = store
        .create_meeting(acme, fields.clone().validate().unwrap(), promises, Some(csm))
        .await
        .unwrap();
    assert_eq!(
        m.fields.starts_at,
        Utc.with_ymd_and_hms(2026, 12, 10, 8, 0, 0).unwrap(),
        "09:00 in Berlin"
    );
    assert_eq!(m.fields.time_zone, chrono_tz::Europe::Berlin);
    assert_eq!(m.attendees.len(), 2);
    assert_eq!((m.sequence, m.cancelled_at), (0, None));

    // A contact of another account is refused, and nothing of the meeting is written.
    store.upsert_accounts(vec![upsert(account("globex"))]).await.unwrap();
    let globex = account_id_of(&store, "globex").await;
    let stranger = store
        .create_contact(contact("sam", globex).validate().unwrap())
        .await
        .unwrap()
        .id;
    let refused = store
        .create_meeting(
            acme,
            fields.clone().validate().unwrap(),
            vec![promise("Call back", PromiseOwner::Customer(stranger), "2026-12-20")],
            Some(csm),
        )
        .await
        .unwrap_err();
    assert_eq!(field_of(refused), "owner_contact_id");
    let on_acme = MeetingFilter {
        account: Some(acme),
        ..MeetingFilter::default()
    };
    assert_eq!(
        store.meetings(&on_acme).await.unwrap().len(),
        1,
        "the refused meeting left nothing"
    );

    // Editing the notes keeps the sequence; moving raises it; cancelling raises it again.
    let mut edited = fields.clone();
    edited.notes = Note::parse("Rescheduled by them").unwrap();
    assert_eq!(
        store
            .update_meeting(m.id, edited.clone().validate().unwrap())
            .await
            .unwrap()
            .sequence,
        0
    );
    edited.starts_at = nine + Duration::days(1);
    assert_eq!(
        store
            .update_meeting(m.id, edited.validate().unwrap())
            .await
            .unwrap()
            .sequence,
        1
    );
    let cancelled = store.cancel_meeting(m.id).await.unwrap();
    assert_eq!(cancelled.sequence, 2);
    assert!(cancelled.cancelled_at.is_some());
    assert!(matches!(store.cancel_meeting(m.id).await, Err(StoreError::Conflict(_))));
    assert!(
        store.meetings(&on_acme).await.unwrap().is_empty(),
        "cancelled meetings are left out unless asked"
    );

    // Promises by side; ours is a task on the CSM's list, and finishing it keeps the promise.
    let all = store
        .promises(&PromiseFilter {
            account: Some(acme),
            ..PromiseFilter::default()
        })
        .await
        .unwrap();
    let today = store.today();
    let standings: Vec<Standing> = all.iter().map(|p| p.standing(today)).collect();
    assert_eq!(standings, vec![Standing::Overdue, Standing::Open]);
    // (The overdue promise also turns the score red, which opens a reactive QBR task.)
    let promise_tasks = || async {
        store
            .tasks(csm, TaskView::Open, today)
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.source == TaskSource::Promise)
            .collect::<Vec<_>>()
    };
    let tasks = promise_tasks().await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].promise_id, Some(all[0].id));
    store.finish_tasks(csm, &[tasks[0].id], true).await.unwrap();
    let ours = store.promise(all[0].id).await.unwrap();
    assert_eq!((ours.status, ours.done_on), (ActionStatus::Done, Some(today)));
    assert_eq!(ours.standing(today), Standing::KeptLate);
    // Reopening the promise reopens its task.
    store.set_promise_status(ours.id, ActionStatus::Open).await.unwrap();
    assert_eq!(promise_tasks().await.len(), 1);
}

store_test!(tasks_are_their_owners_alone_and_snooze_until_a_day);

async fn tasks_are_their_owners_alone_and_snooze_until_a_day(store: Store) {
    let (store, csm, acme, _) = book(store).await;
    let other = store
        .create_user(user("other@example.com", Role::Csm).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    let today = store.today();
    let task = |title: &str, due: Option<&str>| TaskFields {
        title: ActionText::parse(title).unwrap(),
        account: Some(acme),
        due_on: due.map(d),
    };
    let a = store
        .create_task(csm, task("Prepare the QBR deck", Some("2026-12-03")))
        .await
        .unwrap();
    let b = store
        .create_task(csm, task("Read their annual report", None))
        .await
        .unwrap();
    assert!(matches!(
        store.finish_tasks(other, &[a.id], true).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.snooze_tasks(other, &[a.id, b.id], Some(d("2026-12-09"))).await,
        Err(StoreError::NotFound { .. })
    ));

    store
        .snooze_tasks(csm, &[a.id, b.id], Some(d("2026-12-09")))
        .await
        .unwrap();
    assert!(store.tasks(csm, TaskView::Open, today).await.unwrap().is_empty());
    assert_eq!(store.tasks(csm, TaskView::Snoozed, today).await.unwrap().len(), 2);
    assert_eq!(
        store.tasks(csm, TaskView::Open, d("2026-12-09")).await.unwrap().len(),
        2,
        "back on the day"
    );
    store.finish_tasks(csm, &[a.id, b.id], true).await.unwrap();
    assert_eq!(store.tasks(csm, TaskView::Done, today).await.unwrap().len(), 2);
}

store_test!(today_ranks_ours_first_and_forgets_what_is_snoozed);

async fn today_ranks_ours_first_and_forgets_what_is_snoozed(store: Store) {
    let (store, csm, acme, dana) = book(store).await;
    let today = store.today();
    store
        .add_promise(
            acme,
            promise("Send the SSO guide", PromiseOwner::Us(csm), "2026-11-29"),
            Some(csm),
        )
        .await
        .unwrap();
    store
        .add_promise(
            acme,
            promise("Share the admin list", PromiseOwner::Customer(dana), "2026-11-29"),
            Some(csm),
        )
        .await
        .unwrap();
    let at_three = Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap();
    store
        .create_meeting(
            acme,
            meeting(MeetingKind::CheckIn, at_three, vec![csm]).validate().unwrap(),
            vec![],
            Some(csm),
        )
        .await
        .unwrap();
    // A note is not a meeting today.
    store
        .create_meeting(
            acme,
            meeting(MeetingKind::Note, at_three, vec![csm]).validate().unwrap(),
            vec![],
            Some(csm),
        )
        .await
        .unwrap();

    let lines = store.today_list(csm, &[csm], today, chrono_tz::UTC).await.unwrap();
    let reasons: Vec<&Reason> = lines.iter().map(|l| &l.reason).collect();
    assert_eq!(lines.len(), 3, "{reasons:?}");
    // Without ARR or a score: ours 40 × 1.3 × 1 × 1.2 = 62.4; the meeting 50 × 1.2 = 60;
    // theirs 20 × 1.3 × 1.2 = 31.2.
    assert!(
        matches!(reasons[0], Reason::OurPromiseOverdue { days_late: 3, .. }),
        "{reasons:?}"
    );
    assert!(
        matches!(reasons[1], Reason::MeetingToday { starts, .. } if starts == "16:00 CET"),
        "{reasons:?}"
    );
    assert!(
        matches!(reasons[2], Reason::TheirPromiseOverdue { owner, .. } if owner == "Ada dana"),
        "{reasons:?}"
    );
    assert!(lines.windows(2).all(|w| w[0].score >= w[1].score));

    store.snooze_today(csm, &lines[2].key, d("2026-12-04")).await.unwrap();
    let lines = store.today_list(csm, &[csm], today, chrono_tz::UTC).await.unwrap();
    assert_eq!(lines.len(), 2);
    let later = store
        .today_list(csm, &[csm], d("2026-12-04"), chrono_tz::UTC)
        .await
        .unwrap();
    assert!(
        later
            .iter()
            .any(|l| matches!(l.reason, Reason::TheirPromiseOverdue { .. })),
        "back when the snooze ends"
    );
    // Another CSM's Today has none of it.
    let other = store
        .create_user(user("other@example.com", Role::Csm).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    assert!(
        store
            .today_list(other, &[other], today, chrono_tz::UTC)
            .await
            .unwrap()
            .is_empty()
    );
}

store_test!(calendar_feeds_are_one_live_secret_per_owner);

async fn calendar_feeds_are_one_live_secret_per_owner(store: Store) {
    let (store, csm, acme, _) = book(store).await;
    let mine = FeedOwner::User(csm);
    assert!(store.calendar_feed(mine).await.unwrap().is_none());
    let first = store.renew_calendar_feed(mine, "secret-one").await.unwrap();
    assert_eq!(
        store.calendar_feed_at("secret-one").await.unwrap().map(|f| f.owner),
        Some(mine)
    );
    store.renew_calendar_feed(mine, "secret-two").await.unwrap();
    assert!(
        store.calendar_feed_at(&first.secret).await.unwrap().is_none(),
        "a new link ends the old"
    );
    assert_eq!(store.calendar_feed(mine).await.unwrap().unwrap().secret, "secret-two");
    let theirs = FeedOwner::Account(acme);
    store.renew_calendar_feed(theirs, "secret-acme").await.unwrap();
    assert!(store.revoke_calendar_feed(mine).await.unwrap());
    assert!(store.calendar_feed_at("secret-two").await.unwrap().is_none());
    assert!(
        store.calendar_feed_at("secret-acme").await.unwrap().is_some(),
        "the account's feed is its own"
    );
    // A deactivated user's feed stops with their access.
    store.renew_calendar_feed(mine, "secret-three").await.unwrap();
    store.set_user_active(csm, false).await.unwrap();
    assert!(store.calendar_feed_at("secret-three").await.unwrap().is_none());
}

store_test!(lxl_action_items_become_promises_when_the_schema_is_upgraded, unmigrated);

async fn lxl_action_items_become_promises_when_the_schema_is_upgraded(store: Store) {
    store.migrate_until(12).await.unwrap();
    let at = "'2026-11-02T09:00:00+00:00'";
    lodestar_store::testing::execute_sql(
        &store,
        &format!(
            r#"INSERT INTO users (email, name, role, created_at, updated_at) VALUES ('csm@example.com', 'Casey', 'csm', {at}, {at});
            INSERT INTO accounts (external_id, name, lifecycle_stage, custom_fields, created_at, updated_at)
               VALUES ('acme', 'Acme', 'adopt', '{{}}', {at}, {at});
            INSERT INTO lxl_reviews (quarter, started_by, started_on, started_at) VALUES ('2026-Q3', NULL, '2026-07-01', {at});
            INSERT INTO lxl_action_items (id, review_id, account_id, description, owner_id, due_on, status, created_at, closed_at) VALUES
              (7, (SELECT id FROM lxl_reviews), (SELECT id FROM accounts), 'CEO call', (SELECT id FROM users), '2026-08-01', 'done', {at}, '2026-07-20T10:00:00+00:00'),
              (9, (SELECT id FROM lxl_reviews), (SELECT id FROM accounts), 'Ship the fix', (SELECT id FROM users), '2026-09-01', 'open', {at}, NULL);"#
        ),
    )
    .await;
    store.migrate().await.unwrap();
    let store = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()));
    let all = store.promises(&PromiseFilter::default()).await.unwrap();
    let kept: Vec<(i64, ActionStatus, Option<chrono::NaiveDate>, bool)> = all
        .iter()
        .map(|p| (p.id.0, p.status, p.done_on, p.review_id.is_some()))
        .collect();
    assert_eq!(
        kept,
        vec![
            (7, ActionStatus::Done, Some(d("2026-07-20")), true),
            (9, ActionStatus::Open, None, true)
        ],
        "ids, states and the day each was done are kept"
    );
    let user = all[1].owner;
    let PromiseOwner::Us(csm) = user else {
        panic!("an LxL item is ours")
    };
    let tasks = store.tasks(csm, TaskView::Open, store.today()).await.unwrap();
    assert_eq!(
        tasks.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(),
        vec!["Ship the fix"]
    );
    // New promises take ids after the kept ones (PostgreSQL's identity moved past them).
    let acme = account_id_of(&store, "acme").await;
    let next = store
        .add_promise(acme, promise("Follow up", PromiseOwner::Us(csm), "2026-12-20"), None)
        .await
        .unwrap();
    assert!(next.id.0 > 9);
}
