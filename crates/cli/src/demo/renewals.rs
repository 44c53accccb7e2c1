//! Demo renewals and expansion (F-62): calls on the renewals of the next six months, made by
//! each account's health (green: likely, a commit; yellow: unsure, best case; red: at risk,
//! pipeline at a discount), most made before the quarter began and some revisited last week, so the
//! forecast holds some renewals at a call that has since changed; a quarter in four left
//! uncalled; some of this quarter's renewals closed early — signed, some with an uplift, or
//! notice given — and expansion opportunities of every kind and stage, some won and lost this
//! month.

use chrono::{Days, NaiveDate};
use lodestar_domain::Cents;
use lodestar_domain::account::Account;
use lodestar_domain::health::Band;
use lodestar_domain::renewal::{OpportunityFields, RenewalCall, RenewalClose, quarter_of};
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{
    ForecastCategory, LifecycleStage, OpportunityKind, OpportunityStage, RenewalOutlook, RenewalResult,
};
use lodestar_store::Store;

use super::clock_on;

/// What the CSM heard, by gut-check.
const HEARD: [(RenewalOutlook, &str); 3] = [
    (
        RenewalOutlook::Likely,
        "Sponsor confirmed the budget; asked about next year's rollout",
    ),
    (RenewalOutlook::Unsure, "New CFO is reviewing every tool over $20k"),
    (
        RenewalOutlook::AtRisk,
        "Usage fell after the champion left; evaluating a cheaper tool",
    ),
];

fn call_for(health: Option<Band>, arr: Cents) -> anyhow::Result<RenewalCall> {
    let (outlook, category, share) = match health {
        Some(Band::Green) => (RenewalOutlook::Likely, ForecastCategory::Commit, 100),
        Some(Band::Red) => (RenewalOutlook::AtRisk, ForecastCategory::Pipeline, 60),
        _ => (RenewalOutlook::Unsure, ForecastCategory::BestCase, 100),
    };
    let heard = HEARD.iter().find(|(o, _)| *o == outlook).map_or("", |(_, h)| h);
    Ok(RenewalCall {
        outlook,
        category,
        forecast_arr: Cents(arr.0 * share / 100),
        note: Note::parse(heard).map_err(anyhow::Error::msg)?,
    }
    .validate()?
    .into_inner())
}

/// Expansion opportunities: kind, what, ARR in dollars, days to the expected close, stage.
const OPPORTUNITIES: [(OpportunityKind, &str, i64, u64, OpportunityStage); 12] = [
    (
        OpportunityKind::OrganicSeats,
        "40 more seats as the support team grows",
        9_600,
        45,
        OpportunityStage::Qualified,
    ),
    (
        OpportunityKind::Consumption,
        "Double the API volume for the holiday peak",
        6_000,
        20,
        OpportunityStage::Proposal,
    ),
    (
        OpportunityKind::PriceIncrease,
        "Move to this year's list price at renewal",
        4_800,
        75,
        OpportunityStage::Identified,
    ),
    (
        OpportunityKind::NewDivision,
        "Roll out to the Paris office",
        36_000,
        120,
        OpportunityStage::Qualified,
    ),
    (
        OpportunityKind::NewProduct,
        "Analytics add-on for the board pack",
        18_000,
        60,
        OpportunityStage::Proposal,
    ),
    (
        OpportunityKind::OrganicSeats,
        "25 seats for the new sales hires",
        6_000,
        15,
        OpportunityStage::Won,
    ),
    (
        OpportunityKind::NewProduct,
        "Mobile app for field teams",
        12_000,
        30,
        OpportunityStage::Lost,
    ),
    (
        OpportunityKind::Consumption,
        "Extra sandbox environments",
        3_600,
        90,
        OpportunityStage::Identified,
    ),
    (
        OpportunityKind::NewDivision,
        "The EMEA business unit",
        48_000,
        150,
        OpportunityStage::Identified,
    ),
    (
        OpportunityKind::PriceIncrease,
        "Premium support tier",
        7_200,
        10,
        OpportunityStage::Won,
    ),
    (
        OpportunityKind::NewProduct,
        "Workflow automation module",
        15_000,
        100,
        OpportunityStage::Qualified,
    ),
    (
        OpportunityKind::OrganicSeats,
        "Seats for the acquired team",
        8_400,
        40,
        OpportunityStage::Proposal,
    ),
];

/// Calls on the renewals ahead, closes on lapsed ones, and opportunities on `accounts`; how many
/// calls and opportunities.
pub async fn load(store: &Store, accounts: &[Account], today: NaiveDate) -> anyhow::Result<(usize, usize)> {
    let (quarter, quarter_end) = quarter_of(today);
    // Called before this quarter began, so the forecast has a call to hold each renewal at.
    let early = store.with_clock(clock_on(quarter - Days::new(10)));
    let last_week = store.with_clock(clock_on(today - Days::new(6)));
    let now = store.with_clock(clock_on(today));
    let mut calls = 0;
    let renewals = store.renewal_pipeline(None, today, 180).await?;
    for (i, r) in renewals.iter().enumerate() {
        if i % 4 == 3 {
            continue;
        }
        let call = call_for(r.health, r.arr)?;
        let who = r.owner_id;
        if i % 3 == 1 {
            // Revisited last week: the forecast still holds the call the quarter began with.
            let earlier = call_for(Some(Band::Green), r.arr)?;
            early.call_renewal(r.contract_id, earlier.validate()?, who).await?;
            last_week.call_renewal(r.contract_id, call.validate()?, who).await?;
            calls += 2;
        } else {
            early.call_renewal(r.contract_id, call.validate()?, who).await?;
            calls += 1;
        }
        // Some renewals due this quarter closed early: signed (some with an uplift), or notice
        // given. Two are left open.
        if r.end_date < quarter_end && i % 2 == 0 && i > 2 {
            let (result, renewed) = match (r.health, i % 3) {
                (Some(Band::Red), _) => (RenewalResult::Churned, Cents::ZERO),
                (_, 0) => (RenewalResult::Renewed, Cents(r.arr.0 * 107 / 100)),
                _ => (RenewalResult::Renewed, r.arr),
            };
            let close = RenewalClose {
                result,
                renewed_arr: renewed,
                decided_on: today - Days::new(1 + (i % 5) as u64),
                note: Note::default(),
            };
            now.close_renewal(r.contract_id, close.validate(today)?, who).await?;
        }
    }
    let open = accounts
        .iter()
        .filter(|a| a.fields.lifecycle_stage != LifecycleStage::Churned && a.fields.owner_id.is_some());
    let mut opened = 0;
    for (account, (kind, title, dollars, days, stage)) in open.zip(OPPORTUNITIES) {
        let fields = |stage| -> anyhow::Result<OpportunityFields> {
            Ok(OpportunityFields {
                kind,
                title: Name::parse(title).map_err(anyhow::Error::msg)?,
                amount: Cents(dollars * 100),
                expected_close: today + Days::new(days),
                stage,
                note: Note::default(),
            })
        };
        let created = early
            .create_opportunity(
                account.id,
                fields(OpportunityStage::Identified)?.validate(today)?,
                account.fields.owner_id,
            )
            .await?;
        if stage != OpportunityStage::Identified {
            // Won and lost a few days ago, within this quarter's forecast.
            let on = if stage.is_closed() { &last_week } else { &now };
            on.update_opportunity(created.id, fields(stage)?.validate(today)?, account.fields.owner_id)
                .await?;
        }
        opened += 1;
    }
    Ok((calls, opened))
}
