//! Demo experience levels (F-60, seed 004): the four levels the migration made from the tiers'
//! old cadences become a high-touch level (quarterly QBRs and monthly check-ins), an
//! enterprise level (a QBR twice a year, monthly check-ins), a mid-tier one and the pooled
//! "Neighborhood" of the long tail; and two accounts leave their tier's level, as the seed's
//! leader does — a self-serve enterprise customer into the Neighborhood, a fast-growing
//! mid-tier one into high touch.

use lodestar_domain::experience::{Entitlements, ExperienceFields, LevelName};
use lodestar_domain::vocabulary::{Coverage, EngagementPreference, GrowthPotential, LifecycleStage, Tier};
use lodestar_store::{AccountFilter, AccountOrder, AccountSort, Store};

/// Each tier's level as the demo team runs it.
const LEVELS: [(Tier, &str, Option<u32>, Option<u32>, Coverage); 4] = [
    (Tier::Strategic, "High touch", Some(91), Some(30), Coverage::Named),
    (Tier::Enterprise, "Enterprise", Some(182), Some(30), Coverage::Named),
    (Tier::MidTier, "Mid-touch", None, Some(60), Coverage::Named),
    (Tier::LongTail, "Neighborhood", None, Some(91), Coverage::Pooled),
];

/// Sets the levels and places the two accounts; returns how many were placed.
pub async fn load(store: &Store) -> anyhow::Result<usize> {
    let mut levels = store.experience_levels().await?;
    for (tier, name, qbr, check_in, coverage) in LEVELS {
        let Some(level) = levels.iter().find(|l| l.tiers.contains(&tier)) else {
            continue;
        };
        let fields = ExperienceFields {
            name: LevelName::parse(name).map_err(anyhow::Error::msg)?,
            entitlements: Entitlements {
                qbr_every_days: qbr,
                check_in_every_days: check_in,
                coverage,
            },
        };
        levels = store
            .update_experience_level(level.id, fields.validate()?, None)
            .await?;
    }
    let level_of = |tier: Tier| levels.iter().find(|l| l.tiers.contains(&tier)).map(|l| l.id);
    let mut placed = 0;
    let moves = [
        (Tier::Enterprise, Placement::SelfServe, level_of(Tier::LongTail)),
        (Tier::MidTier, Placement::HighGrowth, level_of(Tier::Strategic)),
    ];
    for (tier, which, level) in moves {
        let Some(level) = level else { continue };
        if let Some(account) = candidate(store, tier, which).await? {
            store.place_account_experience(account, Some(level), None).await?;
            placed += 1;
        }
    }
    Ok(placed)
}

#[derive(Clone, Copy)]
enum Placement {
    SelfServe,
    HighGrowth,
}

/// The first live account of `tier` by name that fits: a self-serve customer, or one of high
/// growth potential.
async fn candidate(store: &Store, tier: Tier, which: Placement) -> anyhow::Result<Option<lodestar_domain::AccountId>> {
    let filter = AccountFilter {
        tier: Some(tier),
        ..AccountFilter::default()
    };
    let order = AccountOrder {
        sort: AccountSort::Name,
        descending: false,
    };
    let page = store.list_accounts(&filter, order, 500, None).await?;
    Ok(page
        .items
        .iter()
        .map(|a| &a.account)
        .filter(|a| a.fields.lifecycle_stage != LifecycleStage::Churned)
        .find(|a| match which {
            Placement::SelfServe => a.fields.engagement_preference == Some(EngagementPreference::SelfServe),
            Placement::HighGrowth => a.fields.growth_potential == Some(GrowthPotential::High),
        })
        .map(|a| a.id))
}
