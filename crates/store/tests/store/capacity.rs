//! Capacity, on both databases: books measured against the benchmarks a leader sets, the
//! suggested rebalancing, and applying it all or nothing with each move on its timeline.

use lodestar_domain::capacity::{Benchmark, Loading, MeetingHours, Move};
use lodestar_domain::experience::{Entitlements, ExperienceFields};
use lodestar_domain::vocabulary::{LifecycleStage, Role, Tier};
use lodestar_domain::{AccountId, UserId};
use lodestar_store::{Store, StoreError, store_test};

use crate::common::*;

async fn csm(store: &Store, email: &str) -> UserId {
    store
        .create_user(user(email, Role::Csm).validate(None).unwrap())
        .await
        .unwrap()
        .id
}

/// `n` accounts of `tier` owned by `owner`, keyed `prefix-i`, each with `arr` cents of ARR.
async fn book(store: &Store, prefix: &str, n: usize, tier: Tier, owner: UserId, arr: i64) -> Vec<AccountId> {
    let upserts = (0..n)
        .map(|i| {
            let mut fields = account(&format!("{prefix}-{i}"));
            fields.tier = Some(tier);
            fields.owner_id = Some(owner);
            upsert(fields)
        })
        .collect();
    store.upsert_accounts(upserts).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let id = account_id_of(store, &format!("{prefix}-{i}")).await;
        store
            .upsert_contracts(vec![contract(&format!("k-{prefix}-{i}"), id, arr, "2025-01-01")])
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}

store_test!(books_are_measured_against_the_benchmarks_a_leader_sets);

async fn books_are_measured_against_the_benchmarks_a_leader_sets(store: Store) {
    let busy = csm(&store, "busy@example.com").await;
    let quiet = csm(&store, "quiet@example.com").await;
    book(&store, "e", 16, Tier::Enterprise, busy, 1_000_00).await;
    book(&store, "s", 4, Tier::Strategic, quiet, 50_000_00).await;
    // A churned account is owed nothing and does not count.
    let mut gone = account("gone");
    gone.tier = Some(Tier::Enterprise);
    gone.owner_id = Some(quiet);
    gone.lifecycle_stage = LifecycleStage::Churned;
    store.upsert_accounts(vec![upsert(gone)]).await.unwrap();

    let team = store.team_capacity().await.unwrap();
    assert_eq!(
        team.benchmarks.of(Some(Tier::Enterprise)).max_accounts,
        15,
        "seed 004's default"
    );
    let names: Vec<UserId> = team.books.iter().map(|b| b.user).collect();
    assert_eq!(names, [busy, quiet], "the most loaded first");
    assert_eq!(
        team.books[0].load.loading,
        Loading::Over,
        "16 enterprise accounts of 15"
    );
    assert_eq!(team.books[0].book.arr.0, 16 * 1_000_00);
    assert_eq!(team.books[1].book.total(), 4);
    assert_eq!(
        team.books[1].load.loading,
        Loading::Under,
        "4 strategic accounts of 8 to 12"
    );

    let raised = Benchmark {
        tier: Tier::Enterprise,
        min_accounts: 10,
        max_accounts: 20,
        review_minutes: 60,
    };
    let all = store
        .set_capacity_benchmark(raised.validate().unwrap(), Some(busy))
        .await
        .unwrap();
    assert_eq!(all.of(Some(Tier::Enterprise)), raised);
    assert_eq!(
        all.of(Some(Tier::Strategic)).max_accounts,
        12,
        "other tiers keep theirs"
    );
    let all = store
        .set_meeting_hours(MeetingHours(2).validate().unwrap(), None)
        .await
        .unwrap();
    assert_eq!(all.meeting_hours_per_month, 2);
    let team = store.team_capacity().await.unwrap();
    let busy_book = team.books.iter().find(|b| b.user == busy).unwrap();
    assert_eq!(busy_book.load.loading, Loading::Within);
    assert!(
        busy_book.load.meeting_hours_over,
        "16 monthly check-ins of an hour are more than 2 hours"
    );
    let monthly = busy_book.load.promised_hours_per_month;
    assert!((monthly - 16.0 * (365.25 / 12.0) / 30.0).abs() < 1e-9, "{monthly}");

    // The hours come from the accounts' experience level: the enterprise level's check-ins
    // every 60 days halve them.
    let enterprise = store
        .experience_levels()
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.tiers.contains(&Tier::Enterprise))
        .unwrap();
    let fields = ExperienceFields {
        name: enterprise.name.clone(),
        entitlements: Entitlements {
            check_in_every_days: Some(60),
            ..enterprise.entitlements
        },
    };
    store
        .update_experience_level(enterprise.id, fields.validate().unwrap(), None)
        .await
        .unwrap();
    let team = store.team_capacity().await.unwrap();
    let busy_book = team.books.iter().find(|b| b.user == busy).unwrap();
    assert!((busy_book.load.promised_hours_per_month - monthly / 2.0).abs() < 1e-9);
}

store_test!(a_rebalancing_is_applied_all_or_nothing_and_on_the_timeline);

async fn a_rebalancing_is_applied_all_or_nothing_and_on_the_timeline(store: Store) {
    let busy = csm(&store, "busy@example.com").await;
    let quiet = csm(&store, "quiet@example.com").await;
    book(&store, "m", 42, Tier::MidTier, busy, 10_000_00).await;
    book(&store, "q", 10, Tier::MidTier, quiet, 10_000_00).await;

    let suggestion = store.suggested_rebalancing().await.unwrap();
    let plan = suggestion.plan;
    assert_eq!(suggestion.accounts[0].id, plan.moves[0].account);
    assert_eq!(suggestion.accounts[0].arr.0, 10_000_00);
    assert_eq!(plan.moves.len(), 2, "42 - 40");
    assert!(plan.moves.iter().all(|m| m.from == busy && m.to == quiet));
    assert!(plan.still_over.is_empty());

    // A plan gone stale (an account moved since) is refused whole: nothing changes.
    let stale = vec![
        plan.moves[0],
        Move {
            from: quiet,
            ..plan.moves[1]
        },
    ];
    let err = store.apply_rebalancing(&stale, Some(busy)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let first = store.account(plan.moves[0].account).await.unwrap().unwrap();
    assert_eq!(first.fields.owner_id, Some(busy), "the first move was rolled back");

    assert_eq!(store.apply_rebalancing(&plan.moves, Some(busy)).await.unwrap(), 2);
    let team = store.team_capacity().await.unwrap();
    assert!(team.books.iter().all(|b| b.load.loading != Loading::Over));
    let timeline = store.timeline_entries(plan.moves[0].account).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.text == "Owner (CSM): busy → quiet" && e.actor.as_deref() == Some("busy")),
        "{timeline:?}"
    );
    let again = store.suggested_rebalancing().await.unwrap();
    assert!(again.plan.moves.is_empty(), "nothing left to move");

    // Only someone who may own accounts receives them.
    let viewer = store
        .create_user(user("viewer@example.com", Role::Viewer).validate(None).unwrap())
        .await
        .unwrap()
        .id;
    let to_viewer = [Move {
        account: plan.moves[0].account,
        from: quiet,
        to: viewer,
    }];
    assert!(matches!(
        store.apply_rebalancing(&to_viewer, None).await.unwrap_err(),
        StoreError::Conflict(_)
    ));
}
