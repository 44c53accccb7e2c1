//! Product usage: events stored once, placed, rolled up; aliases, late events, bulk import,
//! two writers, the move into blocks, and the usage views.

use crate::common::*;
use lodestar_domain::contact::ContactFields;
use lodestar_domain::milestone::{MilestoneFields, Threshold};
use lodestar_domain::text::{Email, Name};
use lodestar_domain::usage::Message;
use lodestar_store::testing::TestDb;
use lodestar_store::{AppliedUsage, IngestSummary, Store, UsageBacklog, store_test};

store_test!(usage_is_stored_once_placed_on_accounts_and_rolled_up);

async fn usage_is_stored_once_placed_on_accounts_and_rolled_up(store: Store) {
    let acme = one_account(&store, "acme").await;
    let ada = ContactFields {
        email: Some(Email::parse("ada@acme.io").unwrap()),
        ..contact("ada", acme)
    };
    store.upsert_contacts(vec![ada.validate().unwrap()]).await.unwrap();
    let batch = vec![
        message(
            r#"{"type":"group","messageId":"g1","userId":"u1","groupId":"acme","timestamp":"2026-11-01T08:00:00Z"}"#,
        ),
        track("t1", "u1", "Report Exported", "2026-11-02T09:00:00Z", None),
        track("t2", "u1", "Report Exported", "2026-11-02T23:59:59Z", None),
        track("t2", "u1", "Report Exported", "2026-11-02T23:59:59Z", None),
        track("t3", "u2", "Signed In", "2026-11-02T10:00:00Z", Some("globex")),
        message(
            r#"{"type":"identify","messageId":"i1","userId":"u3","traits":{"email":"ADA@acme.io"},"timestamp":"2026-11-03T08:00:00Z"}"#,
        ),
        track("t4", "u3", "Signed In", "2026-11-03T08:05:00+02:00", None),
    ];
    let summary = store.ingest(&batch).await.unwrap();
    assert_eq!(
        summary,
        IngestSummary {
            stored: 6,
            duplicates: 1,
            unmatched: 1
        },
        "t2 repeats; t3 names an account not yet known"
    );
    assert_eq!(
        days(&store, acme).await,
        [("2026-11-02".into(), 2, 1), ("2026-11-03".into(), 1, 1)],
        "u1 by the group call, u3 by the contact's email; 08:05+02:00 is 06:05 UTC"
    );

    // The waiting event attaches when its account arrives.
    let globex = one_account(&store, "globex").await;
    assert_eq!(days(&store, globex).await, [("2026-11-02".into(), 1, 1)]);

    // A late event lands on its own day; a second user makes two active.
    store
        .ingest(&[track("t5", "u3", "Report Exported", "2026-11-02T12:00:00Z", None)])
        .await
        .unwrap();
    let expected = [("2026-11-02".to_owned(), 3, 2), ("2026-11-03".to_owned(), 1, 1)];
    assert_eq!(days(&store, acme).await, expected);
    let features: Vec<(String, String, i64)> = store
        .feature_days(acme, d("2026-11-01"), d("2026-11-30"))
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.feature, f.day.to_string(), f.events))
        .collect();
    assert_eq!(
        features,
        [
            ("Report Exported".into(), "2026-11-02".into(), 3),
            ("Signed In".into(), "2026-11-03".into(), 1)
        ]
    );

    // Sending everything again stores nothing; rebuilding gives the same rollups.
    let again = store.ingest(&batch).await.unwrap();
    assert_eq!(again.stored, 0);
    assert_eq!(again.duplicates, 7);
    store.rebuild_usage_rollups().await.unwrap();
    assert_eq!(days(&store, acme).await, expected);
    assert_eq!(days(&store, globex).await, [("2026-11-02".into(), 1, 1)]);
}

store_test!(a_contact_added_after_the_identify_call_claims_the_person_and_their_events);

async fn a_contact_added_after_the_identify_call_claims_the_person_and_their_events(store: Store) {
    let acme = one_account(&store, "acme").await;
    store
        .ingest(&[
            message(
                r#"{"type":"identify","messageId":"i1","userId":"u7","traits":{"email":"Grace@Acme.io"},"timestamp":"2026-11-02T08:00:00Z"}"#,
            ),
            track("t1", "u7", "Signed In", "2026-11-02T09:00:00Z", None),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.usage_counts().await.unwrap().unmatched,
        2,
        "no contact, no group: waiting"
    );
    let grace = ContactFields {
        email: Some(Email::parse("grace@acme.io").unwrap()),
        ..contact("grace", acme)
    };
    store.create_contact(grace.validate().unwrap()).await.unwrap();
    assert_eq!(days(&store, acme).await, [("2026-11-02".into(), 1, 1)]);
    assert_eq!(store.usage_counts().await.unwrap().unmatched, 0);
    let people = store.account_people(acme, d("2026-11-25")).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].email.as_deref(), Some("grace@acme.io"));
}

store_test!(an_alias_merges_an_anonymous_visitor_into_the_user);

async fn an_alias_merges_an_anonymous_visitor_into_the_user(store: Store) {
    let acme = one_account(&store, "acme").await;
    store
        .ingest(&[
            message(r#"{"type":"page","messageId":"p1","anonymousId":"anon-7","name":"Pricing","timestamp":"2026-11-02T09:00:00Z"}"#),
            message(r#"{"type":"group","messageId":"g1","userId":"u1","groupId":"acme","timestamp":"2026-11-02T09:10:00Z"}"#),
            track("t1", "u1", "Signed In", "2026-11-02T09:11:00Z", None),
        ])
        .await
        .unwrap();
    assert_eq!(
        days(&store, acme).await,
        [("2026-11-02".into(), 1, 1)],
        "the visitor is not placed yet"
    );
    store
        .ingest(&[message(
            r#"{"type":"alias","messageId":"a1","userId":"u1","previousId":"anon-7","timestamp":"2026-11-02T09:12:00Z"}"#,
        )])
        .await
        .unwrap();
    assert_eq!(
        days(&store, acme).await,
        [("2026-11-02".into(), 2, 1)],
        "the visit counts for u1 once the two ids are one person"
    );
}

store_test!(a_bulk_import_is_one_transaction_that_keeps_duplicates_out);

async fn a_bulk_import_is_one_transaction_that_keeps_duplicates_out(store: Store) {
    let acme = one_account(&store, "acme").await;
    let first = [
        track("t1", "u1", "Signed In", "2026-11-02T09:00:00Z", Some("acme")),
        track("t2", "u2", "Signed In", "2026-11-02T10:00:00Z", Some("acme")),
    ];
    // Batches of one import see each other: t1 again is a duplicate before anything is written.
    let second = [
        track("t1", "u1", "Signed In", "2026-11-02T09:00:00Z", Some("acme")),
        track("t3", "u1", "Report Exported", "2026-11-03T09:00:00Z", Some("acme")),
    ];
    let mut import = store.begin_event_import().await.unwrap();
    let mut summary = import.add(&first).await.unwrap();
    summary.add(import.add(&second).await.unwrap());
    assert_eq!(
        summary,
        IngestSummary {
            stored: 3,
            duplicates: 1,
            unmatched: 0
        }
    );
    import.commit().await.unwrap();
    assert_eq!(
        days(&store, acme).await,
        [("2026-11-02".into(), 2, 2), ("2026-11-03".into(), 1, 1)]
    );
    assert_eq!(store.usage_counts().await.unwrap().events, 3);

    // An import dropped before its commit leaves nothing behind.
    let mut abandoned = store.begin_event_import().await.unwrap();
    abandoned
        .add(&[track("t4", "u3", "Signed In", "2026-11-04T09:00:00Z", Some("acme"))])
        .await
        .unwrap();
    drop(abandoned);
    assert_eq!(store.usage_counts().await.unwrap().events, 3);
    assert!(
        store
            .stored_message_ids(&[("t4".into(), Some(instant("2026-11-04T09:00:00Z")))])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(days(&store, acme).await.len(), 2);
}

store_test!(a_bulk_import_of_stored_messages_stores_none_of_them_again);

/// An import checks its messages against the keys stored before it (on SQLite by reads, its
/// own keys written only at commit): a file imported again, timed and timeless lines alike,
/// is all duplicates, and the new lines among them are stored once.
async fn a_bulk_import_of_stored_messages_stores_none_of_them_again(store: Store) {
    let acme = one_account(&store, "acme").await;
    let timeless =
        message(r#"{"type":"track","messageId":"n1","userId":"u1","event":"Signed In","context":{"groupId":"acme"}}"#);
    let file = [
        track("t1", "u1", "Signed In", "2026-11-02T09:00:00Z", Some("acme")),
        track("t2", "u2", "Signed In", "2026-11-03T10:00:00Z", Some("acme")),
        timeless.clone(),
    ];
    let mut import = store.begin_event_import().await.unwrap();
    assert_eq!(import.add(&file).await.unwrap().stored, 3);
    import.commit().await.unwrap();

    let mut again = store.begin_event_import().await.unwrap();
    let mut summary = again.add(&file).await.unwrap();
    // Between the stored ones in time: found by its key, not by the range around it.
    summary.add(
        again
            .add(&[track(
                "t3",
                "u1",
                "Report Exported",
                "2026-11-02T12:00:00Z",
                Some("acme"),
            )])
            .await
            .unwrap(),
    );
    again.commit().await.unwrap();
    assert_eq!(
        summary,
        IngestSummary {
            stored: 1,
            duplicates: 3,
            unmatched: 0
        }
    );
    assert_eq!(store.usage_counts().await.unwrap().events, 4);
    assert_eq!(
        days(&store, acme).await,
        [
            ("2026-11-02".into(), 2, 1),
            ("2026-11-03".into(), 1, 1),
            ("2026-11-25".into(), 1, 1)
        ]
    );
    let ids = [
        ("t3".to_owned(), Some(instant("2026-11-02T12:00:00Z"))),
        ("n1".to_owned(), None),
    ];
    assert_eq!(store.stored_message_ids(&ids).await.unwrap().len(), 2);
}

store_test!(a_day_counts_each_active_person_once_however_late_their_events);

async fn a_day_counts_each_active_person_once_however_late_their_events(store: Store) {
    let acme = one_account(&store, "acme").await;
    let at = |id: &str, user: &str, day: &str| track(id, user, "Signed In", &format!("{day}T09:00:00Z"), Some("acme"));
    store
        .ingest(&[at("t1", "u1", "2026-01-05"), at("t2", "u1", "2026-06-01")])
        .await
        .unwrap();
    // u1 again on a recent day and on a day long before their last (beyond what their
    // activity summary remembers), and a second person on that old day.
    store
        .ingest(&[at("t3", "u1", "2026-06-01"), at("t4", "u1", "2026-01-05")])
        .await
        .unwrap();
    store.ingest(&[at("t5", "u2", "2026-01-05")]).await.unwrap();
    let expected = [("2026-01-05".to_owned(), 3, 2), ("2026-06-01".to_owned(), 2, 1)];
    assert_eq!(days(&store, acme).await, expected);
    store.rebuild_usage_rollups().await.unwrap();
    assert_eq!(days(&store, acme).await, expected, "the rebuild agrees");
}

store_test!(two_writers_count_a_person_once, with_db);
/// Two processes (two pools on one database) storing the same people's events for the same
/// days at the same moment: each day must count each person once.
async fn two_writers_count_a_person_once(db: TestDb) {
    let acme = one_account(&db.store, "acme").await;
    let other = Store::connect(&db.url).await.unwrap();
    let (first, second) = (side_batch("a", 0..400), side_batch("b", 0..400));
    let (a, b) = tokio::join!(db.store.ingest(&first), other.ingest(&second));
    a.unwrap();
    b.unwrap();
    assert_each_day_counts_both_sides_once(&db.store, acme).await;
    other.close().await;
    db.finish().await;
}

/// Events `range` of one writer's side (ids prefixed `side`): over 20 days of October, by
/// seven people, all on acme.
fn side_batch(side: &str, range: std::ops::Range<usize>) -> Vec<Message> {
    range
        .map(|i| {
            let at = format!("2026-10-{:02}T{:02}:00:00Z", i % 20 + 1, i % 24);
            track(
                &format!("{side}{i}"),
                &format!("u{}", i % 7),
                "Signed In",
                &at,
                Some("acme"),
            )
        })
        .collect()
}

/// Each day of two sides' 400 events each: 20 events from each side, by all seven people
/// (20 ≡ 6 mod 7 walks them all), each counted once.
async fn assert_each_day_counts_both_sides_once(store: &Store, acme: lodestar_domain::AccountId) {
    let days = days(store, acme).await;
    assert_eq!(days.len(), 20);
    assert!(
        days.iter().all(|(_, events, users)| (*events, *users) == (40, 7)),
        "{days:?}"
    );
}

store_test!(stored_events_move_into_blocks_when_the_schema_is_upgraded, unmigrated);

async fn stored_events_move_into_blocks_when_the_schema_is_upgraded(store: Store) {
    // The database as version 9 left it: a row per event, an alias already applied to the
    // rows (p1 was sent by anon-7), and one event waiting for its account.
    store.migrate_until(9).await.unwrap();
    let at = "'2026-11-02T09:00:00+00:00'";
    lodestar_store::testing::execute_sql(
        &store,
        &format!(
            r#"INSERT INTO accounts (external_id, name, lifecycle_stage, custom_fields, created_at, updated_at)
               VALUES ('acme', 'Acme', 'adopt', '{{}}', {at}, {at});
            INSERT INTO usage_people (user_key, group_id, account_id, traits, first_seen_at, last_seen_at)
               VALUES ('u1', 'acme', (SELECT id FROM accounts), '{{}}', {at}, {at});
            INSERT INTO usage_events (message_id, kind, feature, user_key, group_id, account_id, occurred_at, received_at, payload) VALUES
              ('p1', 'page', 'Pricing', 'u1', NULL, (SELECT id FROM accounts), '2026-11-02T08:00:00+00:00', {at},
               '{{"type":"page","messageId":"p1","anonymousId":"anon-7","name":"Pricing","timestamp":"2026-11-02T08:00:00Z"}}'),
              ('a1', 'alias', NULL, 'u1', NULL, (SELECT id FROM accounts), {at}, {at},
               '{{"type":"alias","messageId":"a1","userId":"u1","previousId":"anon-7","timestamp":"2026-11-02T09:00:00Z"}}'),
              ('t1', 'track', 'Signed In', 'u1', NULL, (SELECT id FROM accounts), {at}, {at},
               '{{"type":"track","messageId":"t1","userId":"u1","event":"Signed In","timestamp":"2026-11-02T09:00:00Z"}}'),
              ('w1', 'track', 'Signed In', 'u9', 'globex', NULL, '2026-11-03T09:00:00+00:00', {at},
               '{{"type":"track","messageId":"w1","userId":"u9","event":"Signed In","context":{{"groupId":"globex"}},"timestamp":"2026-11-03T09:00:00Z"}}');"#
        ),
    )
    .await;
    assert!(
        store.migrate().await.unwrap().starts_with(&[10]),
        "version 10 and the later ones"
    );

    let counts = store.usage_counts().await.unwrap();
    assert_eq!((counts.events, counts.unmatched), (4, 1));
    let waiting = store.unmatched_events(10).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (waiting[0].message_id.as_str(), waiting[0].group_id.as_deref()),
        ("w1", Some("globex"))
    );
    let ids = [
        ("p1", "2026-11-02T08:00:00Z"),
        ("a1", "2026-11-02T09:00:00Z"),
        ("t1", "2026-11-02T09:00:00Z"),
        ("w1", "2026-11-03T09:00:00Z"),
        ("never", "2026-11-02T09:00:00Z"),
    ]
    .map(|(id, time)| (id.to_owned(), Some(instant(time))));
    let mut stored: Vec<String> = store.stored_message_ids(&ids).await.unwrap().into_iter().collect();
    stored.sort();
    assert_eq!(stored, ["a1", "p1", "t1", "w1"]);

    // Rebuilt from the blocks: anon-7's visit is u1's, by the alias moved with the events.
    let acme = account_id_of(&store, "acme").await;
    store.rebuild_usage_rollups().await.unwrap();
    assert_eq!(days(&store, acme).await, [("2026-11-02".into(), 2, 1)]);
    let again = store
        .ingest(&[track("t1", "u1", "Signed In", "2026-11-02T09:00:00Z", None)])
        .await
        .unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 1));
    // The waiting event still attaches when its account arrives.
    let globex = one_account(&store, "globex").await;
    assert_eq!(days(&store, globex).await, [("2026-11-03".into(), 1, 1)]);
    assert_eq!(store.usage_counts().await.unwrap().unmatched, 0);
}

store_test!(a_retry_days_later_is_stored_once_with_or_without_its_own_time);

/// A message is known by its own time and its messageId: a retry carries its original
/// timestamp, so a week later it is still a duplicate; a message without a timestamp is
/// known by its id alone, so it is a duplicate whatever day it arrives again.
async fn a_retry_days_later_is_stored_once_with_or_without_its_own_time(store: Store) {
    let acme = one_account(&store, "acme").await;
    let monday = instant("2026-11-23T10:00:00Z");
    let timeless =
        r#"{"type":"track","messageId":"n1","userId":"u1","event":"Signed In","context":{"groupId":"acme"}}"#;
    let sent_on = |at| Message::parse(timeless, None, at, || unreachable!()).unwrap();
    let first = store
        .with_clock(lodestar_store::Clock::fixed(monday))
        .ingest(&[
            track("r1", "u1", "Report Exported", "2026-11-23T09:59:58Z", Some("acme")),
            sent_on(monday),
        ])
        .await
        .unwrap();
    assert_eq!((first.stored, first.duplicates), (2, 0));

    // A week later: the same timestamp written another way, and the timeless one again (it
    // now takes the later day as its time, but it is the same message).
    let week_later = monday + chrono::Duration::days(7);
    let retry = store
        .with_clock(lodestar_store::Clock::fixed(week_later))
        .ingest(&[
            track("r1", "u1", "Report Exported", "2026-11-23T10:59:58+01:00", Some("acme")),
            sent_on(week_later),
        ])
        .await
        .unwrap();
    assert_eq!((retry.stored, retry.duplicates), (0, 2));
    assert_eq!(store.usage_counts().await.unwrap().events, 2);
    assert_eq!(days(&store, acme).await, [("2026-11-23".into(), 2, 1)]);

    // Found by their id and own time; the timeless one by its id alone.
    let ids = [
        ("r1".to_owned(), Some(instant("2026-11-23T09:59:58Z"))),
        ("n1".to_owned(), None),
    ];
    assert_eq!(store.stored_message_ids(&ids).await.unwrap().len(), 2);
    let elsewhere = [
        ("r1".to_owned(), None),
        ("n1".to_owned(), Some(monday)),
        ("r1".to_owned(), Some(instant("2026-11-23T09:59:59Z"))),
    ];
    assert!(store.stored_message_ids(&elsewhere).await.unwrap().is_empty());

    // The same messageId with another time of its own is another event, in a batch as across
    // batches.
    let other = store
        .ingest(&[
            track("r1", "u1", "Report Exported", "2026-11-24T09:00:00Z", Some("acme")),
            track("r1", "u1", "Report Exported", "2026-11-24T09:00:00Z", Some("acme")),
        ])
        .await
        .unwrap();
    assert_eq!((other.stored, other.duplicates), (1, 1));
}

store_test!(
    message_keys_move_to_keys_by_time_when_the_schema_is_upgraded,
    unmigrated
);

async fn message_keys_move_to_keys_by_time_when_the_schema_is_upgraded(store: Store) {
    use lodestar_store::testing::{query_strings, store_block_as_version_30};
    // The database as version 30 left it: blocks, and the hash of each messageId as its key.
    store.migrate_until(30).await.unwrap();
    let timeless = |id: &str| {
        Message::parse(
            &format!(r#"{{"type":"track","messageId":"{id}","userId":"u2","event":"Signed In","context":{{"groupId":"acme"}}}}"#),
            None,
            instant("2026-11-04T08:00:00Z"),
            || unreachable!(),
        )
        .unwrap()
    };
    store_block_as_version_30(
        &store,
        &[
            track("t1", "u1", "Signed In", "2026-11-02T09:00:00Z", Some("acme")),
            track("t2", "u1", "Signed In", "2026-11-03T09:00:00+02:00", Some("acme")),
            timeless("n1"),
        ],
    )
    .await;
    store_block_as_version_30(
        &store,
        &[
            track("t3", "u2", "Signed In", "2026-11-03T10:00:00Z", Some("acme")),
            timeless("n2"),
        ],
    )
    .await;
    assert_eq!(store.migrate().await.unwrap(), [31, 32, 33]);

    let count = |sql: &str| {
        let store = store.clone();
        let sql = sql.to_owned();
        async move { query_strings(&store, &sql).await }
    };
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS TEXT) FROM usage_event_keys").await,
        ["5"]
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS TEXT) FROM usage_event_keys WHERE at = 0").await,
        ["2"],
        "the timeless ones key at 0"
    );
    let tables = store.tables().await.unwrap();
    assert!(
        tables.iter().all(|t| t.name != "usage_message_keys"),
        "the old keys are gone"
    );
    assert!(tables.iter().any(|t| t.name == "usage_event_keys"));

    let ids = [
        ("t1", Some("2026-11-02T09:00:00Z")),
        ("t2", Some("2026-11-03T07:00:00Z")),
        ("t3", Some("2026-11-03T10:00:00Z")),
        ("n1", None),
        ("n2", None),
        ("t1", None),
    ]
    .map(|(id, at)| (id.to_owned(), at.map(instant)));
    let mut stored: Vec<String> = store.stored_message_ids(&ids).await.unwrap().into_iter().collect();
    stored.sort();
    assert_eq!(stored, ["n1", "n2", "t1", "t2", "t3"]);

    // Sent again, each is a duplicate; the blocks still read.
    let again = store
        .ingest(&[
            track("t2", "u1", "Signed In", "2026-11-03T07:00:00Z", Some("acme")),
            timeless("n1"),
            track("t4", "u1", "Signed In", "2026-11-04T09:00:00Z", Some("acme")),
        ])
        .await
        .unwrap();
    assert_eq!((again.stored, again.duplicates), (1, 2));
    let acme = one_account(&store, "acme").await;
    store.rebuild_usage_rollups().await.unwrap();
    assert_eq!(
        days(&store, acme).await,
        [
            ("2026-11-02".into(), 1, 1),
            ("2026-11-03".into(), 2, 2),
            ("2026-11-04".into(), 3, 2)
        ]
    );
}

store_test!(a_key_no_block_holds_stops_the_upgrade, unmigrated);

async fn a_key_no_block_holds_stops_the_upgrade(store: Store) {
    store.migrate_until(30).await.unwrap();
    lodestar_store::testing::store_block_as_version_30(
        &store,
        &[track("t1", "u1", "Signed In", "2026-11-02T09:00:00Z", None)],
    )
    .await;
    lodestar_store::testing::execute_sql(&store, "INSERT INTO usage_message_keys (high, low) VALUES (1, 2)").await;
    let refused = store.migrate().await.unwrap_err();
    assert!(refused.to_string().contains("usage_message_keys"), "{refused}");
    assert_eq!(store.schema_version().await.unwrap(), 30, "nothing of version 31 stays");
}

store_test!(usage_views_show_weeks_people_and_falling_accounts);

async fn usage_views_show_weeks_people_and_falling_accounts(store: Store) {
    let acme = one_account(&store, "acme").await;
    used_once_within_30_days(&store, "Exports", "Report Exported").await;
    // Wednesday 2026-11-25: three people active four weeks ago, one of them last week.
    let mut batch = Vec::new();
    for (i, user) in ["u1", "u2", "u3"].into_iter().enumerate() {
        batch.push(track(
            &format!("old{i}"),
            user,
            "Signed In",
            "2026-10-24T09:00:00Z",
            Some("acme"),
        ));
    }
    batch.push(track(
        "new1",
        "u1",
        "Report Exported",
        "2026-11-23T09:00:00Z",
        Some("acme"),
    ));
    batch.push(track("new2", "u1", "Signed In", "2026-11-24T09:00:00Z", Some("acme")));
    batch.push(message(
        r#"{"type":"group","messageId":"g1","userId":"u2","groupId":"acme"}"#,
    ));
    store.ingest(&batch).await.unwrap();
    let today = d("2026-11-25");

    let weeks = store.usage_weeks(acme, today, 6).await.unwrap();
    let shape: Vec<(String, i64, i64)> = weeks
        .iter()
        .map(|w| (w.week_start.to_string(), w.active_users, w.events))
        .collect();
    assert_eq!(
        shape,
        [
            ("2026-10-19".into(), 3, 3),
            ("2026-10-26".into(), 0, 0),
            ("2026-11-02".into(), 0, 0),
            ("2026-11-09".into(), 0, 0),
            ("2026-11-16".into(), 0, 0),
            ("2026-11-23".into(), 1, 2),
        ]
    );
    let (used, all) = store.feature_breadth(acme, today).await.unwrap();
    assert_eq!(used, ["Report Exported", "Signed In"]);
    assert_eq!(all, ["Report Exported", "Signed In"]);

    // Only u2 was placed by a group call; the others came with context.groupId.
    let people = store.account_people(acme, today).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].user_key, "u2");
    assert_eq!(people[0].missing_features, ["Report Exported"], "u2 never exported");
    assert_eq!(people[0].active_days_30, 0, "u2 was last active 32 days ago");
    assert_eq!(people[0].last_active, Some(d("2026-10-24")));

    let drops = store.usage_drops(today, 0.5).await.unwrap();
    assert_eq!(drops.len(), 1);
    assert_eq!(
        (drops[0].account_id, drops[0].active_before, drops[0].active_now),
        (acme, 3, 1)
    );
    assert!(
        store.usage_drops(today, 0.7).await.unwrap().is_empty(),
        "3 → 1 is a 67 % fall"
    );
}

/// A milestone reached by using `feature` once within 30 days of launch.
async fn used_once_within_30_days(store: &Store, name: &str, feature: &str) {
    store
        .create_milestone(
            MilestoneFields {
                name: Name::parse(name).unwrap(),
                feature: feature.into(),
                threshold: Threshold::Times(1),
                within_days: 30,
                first_value: false,
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
}

store_test!(an_acknowledged_block_counts_once_it_is_applied);

/// The answer path stores and queues; the follower's step places and rolls up, once.
async fn an_acknowledged_block_counts_once_it_is_applied(store: Store) {
    let acme = one_account(&store, "acme").await;
    lodestar_store::testing::execute_sql(&store, "UPDATE accounts SET launch_date = '2026-11-01'").await;
    used_once_within_30_days(&store, "Signed in", "Signed In").await;
    let batch = vec![
        track("q1", "u1", "Signed In", "2026-11-02T09:00:00Z", Some("acme")),
        track("q2", "u2", "Signed In", "2026-11-02T10:00:00Z", None),
    ];
    let summary = store.append_events(&batch).await.unwrap();
    assert_eq!(
        summary,
        IngestSummary {
            stored: 2,
            duplicates: 0,
            unmatched: 0
        }
    );
    assert_eq!(store.usage_counts().await.unwrap().events, 2, "stored at once");
    assert!(days(&store, acme).await.is_empty(), "not applied yet");
    let backlog = store.usage_backlog().await.unwrap();
    assert_eq!((backlog.blocks, backlog.events), (1, 2));
    assert!(backlog.oldest.is_some());
    assert_eq!(
        store.append_events(&batch).await.unwrap().duplicates,
        2,
        "a resend is a duplicate before its first copy is applied"
    );

    let applied = store.apply_queued_usage(10_000).await.unwrap();
    assert_eq!(
        applied,
        AppliedUsage {
            blocks: 1,
            events: 2,
            unmatched: 1
        },
        "u2 has no account"
    );
    assert_eq!(days(&store, acme).await, [("2026-11-02".into(), 1, 1)]);
    assert_eq!(store.usage_counts().await.unwrap().unmatched, 1);
    assert_eq!(store.apply_queued_usage(10_000).await.unwrap(), AppliedUsage::default());

    // Applied, acme is listed for settling: its milestones (and score) are brought up to date
    // by the next settling step, not by the step that applied its events.
    let achieved = || async {
        lodestar_store::testing::query_strings(&store, "SELECT CAST(account_id AS TEXT) FROM milestone_achievements")
            .await
    };
    assert!(achieved().await.is_empty(), "not settled yet");
    assert_eq!(store.usage_backlog().await.unwrap().unsettled_accounts, 1);
    assert_eq!(store.settle_applied_usage(100).await.unwrap(), 1);
    assert_eq!(
        achieved().await,
        [acme.0.to_string()],
        "settled: the first sign-in reached"
    );
    assert_eq!(store.settle_applied_usage(100).await.unwrap(), 0, "settled once");
    assert_eq!(store.usage_backlog().await.unwrap(), UsageBacklog::default());

    // A step takes whole blocks up to its size, and at least one.
    for i in 0..3 {
        store
            .append_events(&[
                track(
                    &format!("s{i}a"),
                    "u1",
                    "Signed In",
                    "2026-11-03T09:00:00Z",
                    Some("acme"),
                ),
                track(
                    &format!("s{i}b"),
                    "u1",
                    "Signed In",
                    "2026-11-03T10:00:00Z",
                    Some("acme"),
                ),
            ])
            .await
            .unwrap();
    }
    assert_eq!(store.apply_queued_usage(3).await.unwrap().blocks, 1);
    assert_eq!(store.apply_queued_usage(1).await.unwrap().blocks, 1);
    assert_eq!(store.apply_all_queued_usage().await.unwrap().blocks, 1);
    assert_eq!(
        days(&store, acme).await,
        [("2026-11-02".into(), 1, 1), ("2026-11-03".into(), 6, 1)]
    );
}

store_test!(two_followers_apply_each_block_once, with_db);

/// Two servers on one database: each acknowledges its own batches and runs a follower; every
/// block is applied by one of them, once, and each day counts each person once.
async fn two_followers_apply_each_block_once(db: TestDb) {
    let acme = one_account(&db.store, "acme").await;
    let other = Store::connect(&db.url).await.unwrap();
    for part in 0..10 {
        let range = part * 40..part * 40 + 40;
        let (first, second) = (side_batch("a", range.clone()), side_batch("b", range));
        let (a, b) = tokio::join!(db.store.append_events(&first), other.append_events(&second));
        a.unwrap();
        b.unwrap();
    }
    let follow = |store: Store| async move {
        let mut applied = 0;
        loop {
            let step = store.apply_queued_usage(100).await.unwrap();
            if step.blocks == 0 {
                return applied;
            }
            applied += step.events;
        }
    };
    let (a, b) = tokio::join!(follow(db.store.clone()), follow(other.clone()));
    assert_eq!(a + b, 800, "every event applied by one follower: {a} + {b}");
    assert_each_day_counts_both_sides_once(&db.store, acme).await;
    other.close().await;
    db.finish().await;
}

store_test!(rollups_equal_a_rebuild_whatever_the_order_of_application);

/// A stream of every kind of call — people identified, grouped and aliased, events on known,
/// unknown and later accounts, late events — acknowledged in batches of any size, applied in
/// steps of any size while an account and a contact are written midway: the rollups and the
/// waiting events are what a rebuild from the blocks gives. (People keep their company, as
/// they do: a rebuild places a person's every event on their account of now, while events
/// applied before a person moved stay where they were counted.)
async fn rollups_equal_a_rebuild_whatever_the_order_of_application(store: Store) {
    let acme = one_account(&store, "acme").await;
    one_account(&store, "globex").await;
    let mut random = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |below: u64| {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        random % below
    };
    // Person n's company; initech is written midway, nobody writes "nowhere".
    let groups = ["acme", "globex", "initech", "nowhere"];
    let mut stream = Vec::new();
    for i in 0..600 {
        let person = next(12);
        let user = format!("u{person}");
        let company = groups[person as usize % 4];
        let visitor = next(5);
        let at = format!("2026-11-{:02}T{:02}:{:02}:00Z", 1 + next(28), next(24), next(60));
        let json = match next(12) {
            0 => format!(
                r#"{{"type":"identify","messageId":"m{i}","userId":"{user}","traits":{{"email":"{user}@acme.io"}},"timestamp":"{at}"}}"#
            ),
            1 => format!(
                r#"{{"type":"group","messageId":"m{i}","userId":"{user}","groupId":"{company}","timestamp":"{at}"}}"#
            ),
            // Visitor k turns out to be person k.
            2 => format!(
                r#"{{"type":"alias","messageId":"m{i}","userId":"u{visitor}","previousId":"anon-{visitor}","timestamp":"{at}"}}"#
            ),
            3 => format!(
                r#"{{"type":"page","messageId":"m{i}","anonymousId":"anon-{visitor}","name":"Pricing","timestamp":"{at}"}}"#
            ),
            4 => format!(
                r#"{{"type":"track","messageId":"m{i}","userId":"{user}","event":"Exported","timestamp":"{at}","context":{{"groupId":"{company}"}}}}"#
            ),
            _ => format!(
                r#"{{"type":"track","messageId":"m{i}","userId":"{user}","event":"Feature {}","timestamp":"{at}"}}"#,
                next(6)
            ),
        };
        stream.push(message(&json));
    }
    let mut rest = &stream[..];
    let mut round = 0;
    while !rest.is_empty() {
        let (batch, after) = rest.split_at((1 + next(60) as usize).min(rest.len()));
        rest = after;
        store.append_events(batch).await.unwrap();
        store.apply_queued_usage(next(80) as usize).await.unwrap();
        round += 1;
        if round == 4 {
            let ada = ContactFields {
                email: Some(Email::parse("u3@acme.io").unwrap()),
                ..contact("u3", acme)
            };
            store.upsert_contacts(vec![ada.validate().unwrap()]).await.unwrap();
        }
        if round == 8 {
            one_account(&store, "initech").await;
        }
    }
    store.apply_all_queued_usage().await.unwrap();
    let applied = lodestar_store::testing::usage_rollup_rows(&store).await;
    assert!(
        applied.iter().any(|row| row.starts_with("usage_waiting")),
        "some events wait (the group nobody has)"
    );
    assert!(applied.iter().any(|row| row.starts_with("usage_user_days")));
    store.rebuild_usage_rollups().await.unwrap();
    let rebuilt = lodestar_store::testing::usage_rollup_rows(&store).await;
    let only_applied: Vec<_> = applied.iter().filter(|r| !rebuilt.contains(r)).collect();
    let only_rebuilt: Vec<_> = rebuilt.iter().filter(|r| !applied.contains(r)).collect();
    assert!(
        only_applied.is_empty() && only_rebuilt.is_empty(),
        "applied, not rebuilt: {only_applied:#?}\nrebuilt, not applied: {only_rebuilt:#?}"
    );
}
