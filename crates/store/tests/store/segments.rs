//! Segmentation, on both databases: the preview changes nothing, applying moves exactly the
//! accounts it showed (on their timelines) and keeps the formula, and a stale preview is
//! refused whole.

use lodestar_domain::segment::TierFormula;
use lodestar_domain::vocabulary::{EngagementPreference, Level, Tier};
use lodestar_store::{Store, StoreError, store_test};

use crate::common::*;

store_test!(the_preview_shows_what_applying_does);

async fn the_preview_shows_what_applying_does(store: Store) {
    for (key, arr, growth, preference, tier) in [
        (
            "big",
            900_000_00,
            Level::High,
            EngagementPreference::HighTouch,
            Tier::MidTier,
        ),
        (
            "mid",
            50_000_00,
            Level::Medium,
            EngagementPreference::HighTouch,
            Tier::MidTier,
        ),
        (
            "small",
            1_000_00,
            Level::Low,
            EngagementPreference::SelfServe,
            Tier::LongTail,
        ),
    ] {
        let mut fields = account(key);
        fields.tier = Some(tier);
        fields.growth_potential = Some(growth);
        fields.engagement_preference = Some(preference);
        store.upsert_accounts(vec![upsert(fields)]).await.unwrap();
        let id = account_id_of(&store, key).await;
        store
            .upsert_contracts(vec![contract(&format!("k-{key}"), id, arr, "2025-01-01")])
            .await
            .unwrap();
    }
    let big = account_id_of(&store, "big").await;
    let formula = TierFormula::default();
    let preview = store.preview_tiers(&formula.validate().unwrap()).await.unwrap();
    assert_eq!(preview.accounts, 3);
    let moved: Vec<_> = preview.changes.iter().map(|c| (c.name.clone(), c.from, c.to)).collect();
    assert_eq!(
        moved,
        [("Account big".to_owned(), Some(Tier::MidTier), Tier::Enterprise)],
        "the top ARR, growing, wanting a person moves up; the others stay"
    );
    assert_eq!(
        store.account(big).await.unwrap().unwrap().fields.tier,
        Some(Tier::MidTier),
        "a preview writes nothing"
    );

    let stale = store
        .apply_tier_formula(formula.validate().unwrap(), 2, None)
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::Conflict(_)), "{stale:?}");
    assert_eq!(
        store
            .apply_tier_formula(formula.validate().unwrap(), 1, None)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.account(big).await.unwrap().unwrap().fields.tier,
        Some(Tier::Enterprise)
    );
    let timeline = store.timeline_entries(big).await.unwrap();
    assert!(
        timeline.iter().any(|e| e.text == "Tier: Mid-tier → Enterprise"),
        "{timeline:?}"
    );
    assert_eq!(store.segment_formula().await.unwrap(), formula);
    let again = store.preview_tiers(&formula.validate().unwrap()).await.unwrap();
    assert!(again.changes.is_empty());

    // A lower enterprise threshold takes the middle account up too.
    let wider = TierFormula {
        enterprise_from: 45,
        ..formula
    };
    let preview = store.preview_tiers(&wider.validate().unwrap()).await.unwrap();
    assert_eq!(preview.changes.len(), 1, "{preview:?}");
    assert_eq!(preview.changes[0].name, "Account mid");
    assert_eq!(preview.tier_sizes[1], (Tier::Enterprise, 2));
    store
        .apply_tier_formula(wider.validate().unwrap(), 1, None)
        .await
        .unwrap();
    assert_eq!(store.segment_formula().await.unwrap().enterprise_from, 45);
}
