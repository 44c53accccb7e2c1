//! Health: rescored as inputs change, explained, fed by problems and prices, never overwritten
//! by a slower recompute, deleted with its account.

use crate::common::*;
use lodestar_domain::Cents;
use lodestar_domain::health::{Band, Exposure, MeasureWeight, PulseLevel, Severity};
use lodestar_domain::usage::Message;
use lodestar_domain::vocabulary::{LifecycleStage, Tier};
use lodestar_store::{Store, StoreError, store_test};

store_test!(health_is_rescored_as_inputs_change_and_explains_itself);

async fn health_is_rescored_as_inputs_change_and_explains_itself(store: Store) {
    let acme = one_account(&store, "acme").await;
    let today = chrono::Utc::now().date_naive();
    let cards = store.scorecards().await.unwrap();
    assert_eq!(cards.len(), 1);
    assert!(cards[0].is_default());
    assert_eq!(
        cards[0].fields.measures.len(),
        keys().len(),
        "the default card weighs every measure"
    );
    assert_eq!(
        store.account_health(acme, today).await.unwrap().current,
        None,
        "no data yet"
    );

    // A pulse alone: (2 - 1) / 4 of the way from 0 to 100 points.
    store
        .record_pulse(acme, PulseLevel::new(2).unwrap(), "Champion left", None)
        .await
        .unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    assert_eq!((health.health.score, health.health.band), (25, Band::Red));
    assert_eq!(health.health.missing().len(), keys().len() - 1);

    // Four people active five to seven weeks ago, one this week: the trend (4 people-days to
    // 1) scores 0 points, the share of active people (1 of 4 = 25 %) 30. Rescored as the
    // events are stored.
    let at = |days_ago: u64| {
        format!(
            "{}T10:00:00Z",
            today.checked_sub_days(chrono::Days::new(days_ago)).unwrap()
        )
    };
    let mut batch: Vec<Message> = (0..4)
        .map(|i| track(&format!("old{i}"), &format!("u{i}"), "Signed In", &at(40), Some("acme")))
        .collect();
    batch.push(track("new", "u0", "Signed In", &at(2), Some("acme")));
    store.ingest(&batch).await.unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    // (0 × 25 + 30 × 20 + 25 × 15) / 60 = 16.25
    assert_eq!(health.health.score, 16, "{:?}", health.health);
    let trend = &health.health.measures[0];
    assert_eq!(trend.measure, "usage_trend");
    assert!(
        trend
            .reading
            .as_ref()
            .unwrap()
            .fact
            .starts_with("people-days active 4 → 1"),
        "{trend:?}"
    );
    let share = &health.health.measures[1];
    assert_eq!(share.points, Some(30.0));
    assert!(
        (share.share - 20.0 / 60.0).abs() < 1e-4,
        "stored to four decimals: {}",
        share.share
    );

    // A high-exposure industry (the account is in Retail) adds 0 points with weight 5.
    store
        .set_industry_exposures(&[("Retail".into(), Some(Exposure::High))])
        .await
        .unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    assert_eq!(health.health.score, 15, "975 / 65");
    let exposures = store.industry_exposures().await.unwrap();
    assert_eq!(exposures[0].industry, "Retail");
    assert_eq!(
        (exposures[0].exposure, exposures[0].accounts),
        (Some(Exposure::High), 1)
    );

    // A card for Adopt accounts that weighs only the pulse takes over at once.
    let adopt = card(
        "Adoption",
        Some(LifecycleStage::Adopt),
        vec![MeasureWeight {
            measure: "csm_pulse".into(),
            weight: 10,
            zero_at: 1.0,
            full_at: 5.0,
        }],
    );
    let created = store
        .create_scorecard(adopt.clone().validate(&keys()).unwrap())
        .await
        .unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    assert_eq!(health.scorecard, "Adoption");
    assert_eq!((health.health.score, health.health.band), (25, Band::Yellow));
    let same_scope = store
        .create_scorecard(
            card("Other", Some(LifecycleStage::Adopt), adopt.measures.clone())
                .validate(&keys())
                .unwrap(),
        )
        .await;
    assert!(
        matches!(&same_scope, Err(StoreError::Conflict(m)) if m == "a scorecard already scores this segment and stage"),
        "the same words on both databases: {same_scope:?}"
    );
    let default = store
        .scorecards()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.is_default())
        .unwrap();
    let mut moved = default.fields.clone();
    moved.lifecycle_stage = Some(LifecycleStage::Land);
    let err = store
        .update_scorecard(default.id, moved.validate(&keys()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(field_of(err), "tier");
    assert!(matches!(
        store.delete_scorecard(default.id).await,
        Err(StoreError::Conflict(_))
    ));
    store.delete_scorecard(created.id).await.unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    assert_eq!((health.scorecard.as_str(), health.health.score), ("Default", 15));

    // Scored as of a week ago, the usage then was 4 → 0 people-days; "what changed" compares with it.
    let week_ago = today.checked_sub_days(chrono::Days::new(7)).unwrap();
    store.recompute_health(week_ago).await.unwrap();
    store.recompute_health(today).await.unwrap();
    let later = store.account_health(acme, today).await.unwrap();
    assert_eq!(later.since, Some(week_ago));
    assert_eq!(
        later.history.iter().map(|p| p.day).collect::<Vec<_>>(),
        [week_ago, today]
    );
    let usage = later
        .changes
        .iter()
        .find(|c| c.label == "Usage trend")
        .expect("usage moved");
    assert!(
        usage.before.as_deref().unwrap().starts_with("people-days active 4 → 0"),
        "{usage:?}"
    );
    assert!(
        usage.after.as_deref().unwrap().starts_with("people-days active 4 → 1"),
        "{usage:?}"
    );
    assert!(usage.effect == 0.0, "0 points then and now: {usage:?}");

    // A churned account is not scored.
    let mut churned = store.account(acme).await.unwrap().unwrap().fields;
    churned.lifecycle_stage = LifecycleStage::Churned;
    store
        .update_account(acme, churned.validate(Some(acme)).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(store.account_health(acme, today).await.unwrap().current, None);
    let pulses = store.pulses(acme, 10).await.unwrap();
    assert_eq!(pulses[0].reason, "Champion left");
    let err = store
        .record_pulse(acme, PulseLevel::new(3).unwrap(), "  ", None)
        .await
        .unwrap_err();
    assert_eq!(field_of(err), "reason");
}

store_test!(problem_severity_and_price_thresholds_feed_the_score);

async fn problem_severity_and_price_thresholds_feed_the_score(store: Store) {
    let mut fields = account("acme");
    fields.tier = Some(Tier::Enterprise);
    store.upsert_accounts(vec![upsert(fields)]).await.unwrap();
    let acme = store.account_ids().await.unwrap()["acme"];
    store
        .upsert_contracts(vec![contract("c1", acme, 8_000_00, "2025-01-01")])
        .await
        .unwrap();
    store
        .set_problem(acme, Some(Severity::new(4).unwrap()), "Outage last week", None)
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    let severity = health
        .health
        .measures
        .iter()
        .find(|m| m.measure == "problem_severity")
        .unwrap();
    assert_eq!(severity.points, Some(25.0));
    assert_eq!(severity.reading.as_ref().unwrap().fact, "4 – Serious: Outage last week");
    store
        .set_price_thresholds(&[(Tier::Enterprise, Some(Cents(10_000_00)))])
        .await
        .unwrap();
    let health = store.account_health(acme, today).await.unwrap().current.unwrap();
    let price = health
        .health
        .measures
        .iter()
        .find(|m| m.measure == "price_threshold")
        .unwrap();
    assert_eq!(price.points, Some(60.0), "80 % of the threshold");
    assert_eq!(
        price.reading.as_ref().unwrap().fact,
        "ARR $8,000 is 80 % of the Enterprise threshold $10,000"
    );
    store.set_problem(acme, None, "", None).await.unwrap();
    assert_eq!(store.problem(acme).await.unwrap(), None);
    let timeline: Vec<String> = store
        .account_view(acme, today)
        .await
        .unwrap()
        .unwrap()
        .timeline
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert!(
        timeline
            .iter()
            .any(|t| t == "Problem severity: 4 – Serious — Outage last week"),
        "{timeline:?}"
    );
}

store_test!(people_summaries_give_the_usage_measures_what_the_daily_rollups_give);

async fn people_summaries_give_the_usage_measures_what_the_daily_rollups_give(store: Store) {
    let acme = one_account(&store, "acme").await;
    one_account(&store, "globex").await;
    let today = chrono::Utc::now().date_naive();
    let at = |days_ago: u64, hour: u32| format!("{}T{hour:02}:00:00Z", today - chrono::Days::new(days_ago));
    // Four people over 100 days, in both windows, on both accounts; one placed by a group call
    // and never active; late events arriving after newer ones.
    let mut batch = vec![message(&format!(
        r#"{{"type":"group","messageId":"g-idle","userId":"idle","groupId":"acme","timestamp":"{}"}}"#,
        at(3, 8)
    ))];
    let mut n = 0;
    for (user, group, days) in [
        ("u1", "acme", vec![0u64, 1, 2, 9, 30, 31, 40, 55, 56, 63, 64, 70]),
        ("u2", "acme", vec![27, 28, 29, 50, 89, 95]),
        ("u3", "globex", vec![5, 5, 6, 33]),
        ("u4", "globex", vec![91, 99]),
    ] {
        for day in days {
            n += 1;
            batch.push(track(
                &format!("e{n}"),
                user,
                "Report Exported",
                &at(day, 10),
                Some(group),
            ));
        }
    }
    store.ingest(&batch).await.unwrap();
    let late = vec![
        track("late-1", "u1", "Signed In", &at(20, 9), Some("acme")),
        track("late-2", "u3", "Signed In", &at(60, 9), Some("globex")),
    ];
    store.ingest(&late).await.unwrap();
    let [summaries, days] = store.usage_activity_both_ways(today).await.unwrap();
    assert_eq!(summaries, days);
    let acme_row = summaries.iter().find(|(id, _)| *id == acme.0).unwrap().1;
    // Last 28 days (days 0–27 ago): u1 on 0, 1, 2, 9, 20 and u2 on 27 = 6; the 28 before
    // (28–55): u1 on 30, 31, 40, 55 and u2 on 28, 29, 50 = 7. Active: u1, u2. Known: u1, u2
    // and the idle one placed by its group call.
    assert_eq!(acme_row, [6, 7, 2, 3]);
    // After a rebuild from the stored events, the same.
    store.rebuild_usage_rollups().await.unwrap();
    assert_eq!(store.usage_activity_both_ways(today).await.unwrap()[0], summaries);
}

store_test!(a_full_recompute_never_overwrites_a_score_rescored_while_it_ran);

async fn a_full_recompute_never_overwrites_a_score_rescored_while_it_ran(store: Store) {
    let acme = one_account(&store, "acme").await;
    let globex = one_account(&store, "globex").await;
    let today = chrono::Utc::now().date_naive();
    for id in [acme, globex] {
        store
            .record_pulse(id, PulseLevel::new(5).unwrap(), "Great QBR", None)
            .await
            .unwrap();
    }
    // The recompute reads both accounts; before it writes, a pulse rescores acme.
    let done = store
        .recompute_chunk_around(&[acme.0, globex.0], today, async {
            store
                .record_pulse(acme, PulseLevel::new(1).unwrap(), "Champion left", None)
                .await
                .unwrap();
        })
        .await
        .unwrap();
    assert_eq!(done.scored, 1, "only globex is written");
    let acme_now = store.account_health(acme, today).await.unwrap().current.unwrap();
    assert_eq!(
        (acme_now.health.score, acme_now.health.band),
        (0, Band::Red),
        "the pulse's newer score stays"
    );
}

store_test!(deleting_an_account_deletes_its_health_history);

async fn deleting_an_account_deletes_its_health_history(store: Store) {
    let acme = one_account(&store, "acme").await;
    let globex = one_account(&store, "globex").await;
    let today = chrono::Utc::now().date_naive();
    for id in [acme, globex] {
        store
            .record_pulse(id, PulseLevel::new(4).unwrap(), "Good call", None)
            .await
            .unwrap();
    }
    store.recompute_health(today - chrono::Days::new(30)).await.unwrap();
    assert_eq!(
        store.account_health(acme, today).await.unwrap().history.len(),
        1,
        "today's; a month ago no pulse yet"
    );
    store.delete_account(acme).await.unwrap();
    assert!(store.account_health(acme, today).await.unwrap().history.is_empty());
    assert_eq!(
        store.account_health(globex, today).await.unwrap().history.len(),
        1,
        "the other account keeps its own"
    );
}
