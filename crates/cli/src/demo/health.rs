//! Demo health inputs: industry exposure, price thresholds per segment, CSM pulses and problem
//! severities on some accounts, and twelve weeks of score history, so the account page's
//! health card, its "what changed" and its chart all show something real.

use chrono::{Days, NaiveDate};
use lodestar_domain::health::{Exposure, PulseLevel, Severity};
use lodestar_domain::vocabulary::Tier;
use lodestar_domain::{AccountId, Cents};
use lodestar_store::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Accounts that may get a pulse or a problem: the ones with usage, where the score has the
/// most to say.
const ACCOUNTS_WITH_INPUTS: usize = 1000;
/// Weeks of weekly snapshots before today.
const HISTORY_WEEKS: u64 = 12;

const EXPOSURES: [(&str, Exposure); 12] = [
    ("Hospitality", Exposure::High),
    ("Travel", Exposure::High),
    ("Retail", Exposure::High),
    ("Media", Exposure::Moderate),
    ("Manufacturing", Exposure::Moderate),
    ("Logistics", Exposure::Moderate),
    ("Energy", Exposure::Moderate),
    ("Software", Exposure::Low),
    ("Financial services", Exposure::Low),
    ("Healthcare", Exposure::Low),
    ("Education", Exposure::Low),
    ("Government", Exposure::Low),
];

const REASONS: [&[&str]; 5] = [
    &[
        "Champion left and the new VP is evaluating a competitor",
        "Escalated an outage to their CEO",
    ],
    &["Renewal budget under review", "Sponsor stopped coming to our calls"],
    &["Quiet quarter, no news either way", "Waiting on their reorganisation"],
    &["Good QBR; they want the reporting add-on", "Team adoption is growing"],
    &[
        "Sponsor presented our results to their board",
        "Asked to be a reference customer",
    ],
];

const PROBLEMS: [&str; 4] = [
    "Data sync failing since the last release",
    "Invoices disputed by their finance team",
    "SSO roll-out blocked by their security review",
    "Key integration rate-limited at month end",
];

/// Sets the industries' exposure and the price thresholds per segment. Each rescores every
/// account: the demo sets them before there are any.
pub async fn load_settings(store: &Store) -> anyhow::Result<()> {
    let exposures: Vec<(String, Option<Exposure>)> =
        EXPOSURES.iter().map(|(i, e)| ((*i).to_owned(), Some(*e))).collect();
    store.set_industry_exposures(&exposures).await?;
    store
        .set_price_thresholds(&[
            (Tier::Strategic, Some(Cents(200_000_00))),
            (Tier::Enterprise, Some(Cents(80_000_00))),
            (Tier::MidTier, Some(Cents(25_000_00))),
            (Tier::LongTail, Some(Cents(6_000_00))),
        ])
        .await?;
    Ok(())
}

/// Sets the pulses and problems and builds the history (`today` last, so the current score is
/// today's).
pub async fn load(store: &Store, accounts: &[AccountId], seed: u64, today: NaiveDate) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4ea1);
    for &account in accounts.iter().take(ACCOUNTS_WITH_INPUTS) {
        if rng.random_bool(0.4) {
            let level = rng.random_range(1..=5u8);
            let reasons = REASONS[usize::from(level - 1)];
            let reason = reasons[rng.random_range(0..reasons.len())];
            store
                .record_pulse(account, PulseLevel::new(level).expect("1 to 5"), reason, None)
                .await?;
        }
        if rng.random_bool(0.1) {
            let severity = Severity::new(rng.random_range(2..=5u8)).expect("1 to 5");
            let note = PROBLEMS[rng.random_range(0..PROBLEMS.len())];
            store.set_problem(account, Some(severity), note, None).await?;
        }
    }
    // Twelve weeks of history for the accounts whose scores move (their usage, pulses and
    // problems); every other account was scored when it was loaded, and its score rests on
    // its contracts and segment. A store whose clock stands on each past day scores as of it.
    for weeks_back in (1..=HISTORY_WEEKS).rev() {
        if let Some(day) = today.checked_sub_days(Days::new(7 * weeks_back)) {
            store
                .with_clock(super::clock_on(day))
                .rescore_accounts(accounts)
                .await?;
        }
    }
    store
        .with_clock(super::clock_on(today))
        .rescore_accounts(accounts)
        .await?;
    Ok(())
}
