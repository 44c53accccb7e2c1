//! Demo data: a realistic, deterministic book of business for trying Lodestar out.
//!
//! The model, in the order [`generate`] builds it:
//!
//! 1. Each account gets a main contract whose start lies up to three years back. Its first-year
//!    ARR is lognormal (heavy-tailed: a few big customers carry most of the revenue). The
//!    contract renews on every anniversary, expands or contracts in between (more often for
//!    accounts with high growth potential) and, for about one account in ten, churns on an
//!    anniversary. Some accounts also buy an add-on, co-termed with the main contract.
//! 2. The account's tier follows from its ARR (and growth potential), its lifecycle stage from
//!    its history, and its contacts, engagement preference and custom fields from its tier.
//! 3. The CS team is sized from the number of accounts per tier and the tier benchmark book
//!    sizes, then owners, AEs and executive sponsors are dealt out round-robin.
//! 4. A few smaller accounts become subsidiaries of big ones.
//!
//! Everything comes from one seeded ChaCha8 generator and `config.today`: no clock reads, so
//! the same configuration always gives the same data set.
//!
//! By record kind: `accounts` (accounts, their contacts, subsidiaries), `contracts` (terms,
//! ARR history, line items), `team` (the CS team and who owns what), `words` (the word lists
//! names are made of); and what is loaded after the records: `usage` (product events and
//! milestones), `health` (health inputs and score history), `reviews` (an LxL review, churns),
//! `meetings` (meetings, promises, tasks), `goals` (goals with their ecosystems and value),
//! `handoffs` (closed deals handed to CS, one in every state), `onboarding` (plans in every
//! state),
//! `tickets` (support tickets, bugs and feature requests), `subscriptions` (the contracts' ARR
//! histories as billing periods, with a few win-backs, for revenue retention), `capacity` (accounts handed
//! over between CSMs, leaving books over and under their benchmarks), `experience` (the
//! experience levels, one pooled, and two accounts placed outside their tier's), `one_on_ones` (1:1s,
//! long-term goals, anonymous feedback).

mod accounts;
mod capacity;
mod champions;
mod contracts;
mod coverage;
mod experience;
mod goals;
mod handoffs;
pub mod health;
mod meetings;
mod onboarding;
mod one_on_ones;
mod plans;
mod playbooks;
mod qbrs;
mod renewals;
pub mod reviews;
mod sprints;
mod subscriptions;
mod surveys;
mod team;
mod tickets;
mod triggers;
pub mod usage;
mod words;

use anyhow::Context;
use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use lodestar_domain::Cents;
use lodestar_domain::account::Account;
use lodestar_domain::contact::Contact;
use lodestar_domain::contract::Contract;
use lodestar_domain::user::User;
use lodestar_store::{Clock, Dataset, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use self::accounts::{Draft, assign_parents};
use self::team::Team;
use self::words::Words;

/// The demo data set's administrator, who `serve --demo` hands a token to.
pub const ADMIN_EMAIL: &str = "admin@lodestar.demo";

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub accounts: usize,
    pub seed: u64,
    /// Every date is relative to this day, so the data looks current whenever it is made.
    pub today: NaiveDate,
}

/// Accounts per part of the data set: their contacts and contracts are written while the next
/// part is drafted, so only one part's records (and rows) are in memory at a time.
const PART_ACCOUNTS: usize = 5000;

/// Builds a complete, internally consistent data set with ids 1..=n for every record kind.
pub fn generate(config: &DemoConfig) -> Dataset {
    parts(config).fold(Dataset::default(), |mut whole, mut part| {
        whole.created_at = part.created_at;
        whole.users.append(&mut part.users);
        whole.accounts.append(&mut part.accounts);
        whole.contacts.append(&mut part.contacts);
        whole.contracts.append(&mut part.contracts);
        whole
    })
}

/// The data set of [`generate`] in parts, made as they are asked for: first the contacts and
/// contracts of `PART_ACCOUNTS` accounts at a time, then the team and the accounts themselves
/// (which need the whole book: who owns them, which are subsidiaries).
pub fn parts(config: &DemoConfig) -> impl Iterator<Item = Dataset> + use<> {
    let created_at =
        DateTime::<Utc>::from_naive_utc_and_offset(config.today.and_hms_opt(0, 0, 0).expect("midnight exists"), Utc);
    let part = move |users, accounts, contacts, contracts| Dataset {
        created_at,
        users,
        accounts,
        contacts,
        contracts,
    };
    let total = config.accounts;
    let mut drafting = Some(Generator::new(config));
    let mut dealt: Option<(Vec<User>, std::vec::IntoIter<Account>)> = None;
    std::iter::from_fn(move || {
        if let Some(g) = drafting.as_mut() {
            let drafted = g.drafts.len();
            if drafted < total {
                for index in drafted..total.min(drafted + PART_ACCOUNTS) {
                    g.draft_account(index);
                }
                let (contacts, contracts) = (std::mem::take(&mut g.contacts), std::mem::take(&mut g.contracts));
                return Some(part(Vec::new(), Vec::new(), contacts, contracts));
            }
            let (users, accounts) = drafting.take().expect("still drafting").deal();
            dealt = Some((users, accounts.into_iter()));
        }
        let (users, accounts) = dealt.as_mut()?;
        let users = std::mem::take(users);
        let accounts: Vec<Account> = accounts.by_ref().take(PART_ACCOUNTS).collect();
        (!users.is_empty() || !accounts.is_empty()).then(|| part(users, accounts, Vec::new(), Vec::new()))
    })
}

/// Loads the demo data set (and, when `usage`, its product usage, health inputs and history,
/// and reviews) into an empty database; returns what was loaded, in words.
///
/// The settings scores depend on (milestones, industry exposure, price thresholds) are written
/// first, while there is no account to rescore: set after the records, each would rescore every
/// account again. The records are generated and written in parts, in one transaction; what
/// follows them takes several transactions, so a load that fails half-way leaves a database
/// this command refuses (it needs an empty one): start again from a new database.
pub async fn load(store: &Store, config: &DemoConfig, usage: bool) -> anyhow::Result<String> {
    store.ensure_empty("the demo").await?;
    if usage {
        usage::create_milestones(store)
            .await
            .context("cannot create the demo milestones")?;
        health::load_settings(store)
            .await
            .context("cannot set the demo health settings")?;
    }
    let mut counts = [0; 4];
    let mut with_usage = usage::UsageAccounts::default();
    let parts = parts(config).inspect(|part| {
        counts[0] += part.users.len();
        counts[1] += part.accounts.len();
        counts[2] += part.contacts.len();
        counts[3] += part.contracts.len();
        with_usage.keep(part);
    });
    store
        .load_into_empty(parts)
        .await
        .context("cannot load the demo data")?;
    let [users, accounts, contacts, contracts] = counts;
    let loaded = format!("{users} users, {accounts} accounts, {contacts} contacts, {contracts} contracts");
    if !usage {
        return Ok(loaded);
    }
    let stored = usage::load(store, usage::events(&with_usage, config.seed, config.today))
        .await
        .context("cannot load the demo usage")?;
    health::load(store, &with_usage.account_ids(), config.seed, config.today)
        .await
        .context("cannot load the demo health inputs")?;
    playbooks::load(store)
        .await
        .context("cannot load the demo playbook library")?;
    reviews::load(store, config.seed, config.today)
        .await
        .context("cannot load the demo reviews and churns")?;
    meetings::load(store, config.today)
        .await
        .context("cannot load the demo meetings and promises")?;
    let goals = goals::load(store, with_usage.accounts(), config.seed, config.today)
        .await
        .context("cannot load the demo goals")?;
    let handoffs = handoffs::load(store, with_usage.accounts(), config.today)
        .await
        .context("cannot load the demo handoffs")?;
    let onboarding = onboarding::load(store, with_usage.accounts(), config.today)
        .await
        .context("cannot load the demo onboarding plans")?;
    let mut reachable = Vec::new();
    for account in with_usage.account_ids() {
        let contacts = store.contacts_of(account).await?;
        if let Some(c) = contacts.into_iter().find(|c| c.fields.email.is_some()) {
            reachable.push((account, c.id));
        }
        if reachable.len() == plans::ACCOUNTS {
            break;
        }
    }
    let plans = plans::load(store, &reachable)
        .await
        .context("cannot load the demo success plans")?;
    let qbrs = qbrs::load(store).await.context("cannot load the demo QBRs")?;
    let sponsor_changes = coverage::load(store)
        .await
        .context("cannot load the demo executive sponsors")?;
    let firings = triggers::load(store)
        .await
        .context("cannot load the demo trigger rules")?;
    let mut asked = Vec::new();
    for account in with_usage.account_ids().into_iter().take(surveys::ACCOUNTS) {
        let contacts: Vec<_> = store
            .contacts_of(account)
            .await?
            .into_iter()
            .filter(|c| c.fields.email.is_some())
            .map(|c| c.id)
            .collect();
        asked.push((account, contacts));
    }
    let answers = surveys::load(store, &asked)
        .await
        .context("cannot load the demo surveys")?;
    let (tickets, requests) = tickets::load(store, with_usage.accounts(), config.seed, config.today)
        .await
        .context("cannot load the demo tickets and requests")?;
    let champions = match asked.first() {
        Some((account, _)) => champions::load(store, *account, config.today)
            .await
            .context("cannot load the demo champions")?,
        None => 0,
    };
    // Not on the champions' account: its retrospectives would invite, and so re-engage, the
    // champion the demo shows as gone quiet.
    let champions_account = asked.first().map(|(account, _)| *account);
    let sprint_accounts: Vec<_> = with_usage
        .account_ids()
        .into_iter()
        .filter(|a| Some(*a) != champions_account)
        .collect();
    let (sprints, retros) = sprints::load(store, &sprint_accounts, config.today)
        .await
        .context("cannot load the demo sprints and retrospectives")?;
    let handed_over = capacity::load(store)
        .await
        .context("cannot load the demo handovers between CSMs")?;
    let placed = experience::load(store)
        .await
        .context("cannot load the demo experience levels")?;
    let one_on_ones = one_on_ones::load(store).await.context("cannot load the demo 1:1s")?;
    let (renewal_calls, opportunities) = renewals::load(store, with_usage.accounts(), config.today)
        .await
        .context("cannot load the demo renewals and opportunities")?;
    // Last: read from the contracts as the churns above left them.
    let periods = subscriptions::load(store)
        .await
        .context("cannot load the demo subscription history")?;
    Ok(format!(
        "{loaded}, {} usage events, {goals} goals, {handoffs} handoffs, {onboarding} onboarding plans, {plans} success plans, {qbrs} QBRs, \
         {sponsor_changes} sponsor changes, {firings} trigger firings, {answers} survey answers, \
         {tickets} tickets, {requests} requests, {champions} champions placed, {sprints} sprints, \
         {retros} retrospectives, {renewal_calls} renewal calls, {opportunities} opportunities, {periods} subscription periods, \
         {handed_over} accounts handed over between CSMs, {placed} accounts placed in another experience level, \
         {one_on_ones} 1:1s",
        stored.stored
    ))
}

/// A clock standing at noon (UTC) of `day`: the demo's "now" when it is generated around a day.
pub fn clock_on(day: NaiveDate) -> Clock {
    Clock::fixed(
        day.and_time(chrono::NaiveTime::from_hms_opt(12, 0, 0).expect("noon"))
            .and_utc(),
    )
}

// ---------------------------------------------------------------------------------------------
// Random helpers (rand 0.9 has no distributions without the extra rand_distr crate).

/// A standard normal sample by the Box–Muller transform.
fn normal(rng: &mut impl Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1], so the logarithm is finite
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn pick<T: Copy>(rng: &mut impl Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn weighted<T: Copy>(rng: &mut impl Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for &(item, w) in items {
        if x < w {
            return item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// Whole dollars, the way contracts are written.
fn dollars(amount: f64) -> Cents {
    Cents(amount.round().max(1.0) as i64 * 100)
}

fn as_dollars(c: Cents) -> f64 {
    c.0 as f64 / 100.0
}

fn days_before(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days))
        .expect("demo dates stay in range")
}

fn days_after(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days))
        .expect("demo dates stay in range")
}

fn months_after(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .expect("demo dates stay in range")
}

/// The generator's state while accounts are drafted: each account's contacts and contracts
/// are made with it (`accounts.rs`, `contracts.rs`) and wait in `contacts` and `contracts`
/// until the part is taken.
struct Generator {
    today: NaiveDate,
    rng: ChaCha8Rng,
    words: Words,
    drafts: Vec<Draft>,
    contacts: Vec<Contact>,
    contracts: Vec<Contract>,
    /// Ids given out so far.
    contacts_made: i64,
    contracts_made: i64,
}

impl Generator {
    fn new(config: &DemoConfig) -> Generator {
        Generator {
            today: config.today,
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            words: Words::new(config.seed),
            drafts: Vec::with_capacity(config.accounts),
            contacts: Vec::new(),
            contracts: Vec::new(),
            contacts_made: 0,
            contracts_made: 0,
        }
    }

    /// Once every account is drafted: the team sized to the book, and the accounts dealt out
    /// to it, some as subsidiaries of others.
    fn deal(mut self) -> (Vec<User>, Vec<Account>) {
        let team = Team::for_book(&self.drafts, &self.words);
        let book: Vec<Cents> = self.drafts.iter().map(|d| d.book_arr).collect();
        let parents = assign_parents(&mut self.rng, &book);
        let accounts = team.assign(self.drafts, parents);
        (team.users, accounts)
    }
}

#[cfg(test)]
pub(super) mod testing {
    use super::*;
    use lodestar_domain::AccountId;
    use std::collections::HashMap;

    pub(crate) fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    pub(crate) fn demo(accounts: usize, seed: u64) -> Dataset {
        generate(&DemoConfig {
            accounts,
            seed,
            today: today(),
        })
    }

    pub(crate) fn account_arr(data: &Dataset) -> HashMap<AccountId, i64> {
        let mut arr: HashMap<AccountId, i64> = data.accounts.iter().map(|a| (a.id, 0)).collect();
        for c in &data.contracts {
            *arr.get_mut(&c.fields.account_id).unwrap() += c.changes.current().0;
        }
        arr
    }

    pub(crate) fn median(mut v: Vec<i64>) -> i64 {
        v.sort();
        v[v.len() / 2]
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{demo, today};
    use std::collections::HashSet;

    #[test]
    fn same_config_gives_identical_data() {
        let (a, b) = (demo(300, 7), demo(300, 7));
        assert_eq!(a.created_at, b.created_at);
        assert_eq!(a.users, b.users);
        assert_eq!(a.accounts, b.accounts);
        assert_eq!(a.contacts, b.contacts);
        assert_eq!(a.contracts, b.contracts);
        assert_eq!(a.created_at.date_naive(), today());
        assert_eq!(a.created_at.time(), chrono::NaiveTime::MIN);
    }

    #[test]
    fn different_seeds_give_different_data() {
        let (a, b) = (demo(300, 7), demo(300, 8));
        assert_ne!(a.accounts, b.accounts);
        assert_ne!(a.contacts, b.contacts);
        assert_ne!(a.contracts, b.contracts);
    }

    #[test]
    fn ids_are_sequential_and_references_resolve() {
        let data = demo(300, 1);
        let seq = |ids: Vec<i64>| ids == (1..=ids.len() as i64).collect::<Vec<_>>();
        assert!(seq(data.users.iter().map(|u| u.id.0).collect()));
        assert!(seq(data.accounts.iter().map(|a| a.id.0).collect()));
        assert!(seq(data.contacts.iter().map(|c| c.id.0).collect()));
        assert!(seq(data.contracts.iter().map(|c| c.id.0).collect()));
        assert_eq!(data.accounts.len(), 300);
        assert_eq!(data.accounts[0].fields.external_id.as_str(), "ACC-000001");
        assert_eq!(data.contacts[0].fields.external_id.as_str(), "CON-0000001");
        assert_eq!(data.contracts[0].fields.external_id.as_str(), "CTR-000001");
        let unique = |v: Vec<String>| v.iter().collect::<HashSet<_>>().len() == v.len();
        assert!(unique(data.users.iter().map(|u| u.fields.email.to_string()).collect()));
        assert!(unique(
            data.accounts.iter().map(|a| a.fields.name.to_string()).collect()
        ));
        assert!(unique(
            data.contacts
                .iter()
                .map(|c| c.fields.email.as_ref().unwrap().to_string())
                .collect()
        ));
        let n = data.accounts.len() as i64;
        assert!(data.contacts.iter().all(|c| (1..=n).contains(&c.fields.account_id.0)));
        assert!(data.contracts.iter().all(|c| (1..=n).contains(&c.fields.account_id.0)));
        assert!(data.contracts.iter().all(|c| c.arr == c.changes.current()));
    }

    #[test]
    fn tiny_books_do_not_panic() {
        for seed in 0..50 {
            for accounts in [0, 1, 2, 3, 5, 13] {
                let data = demo(accounts, seed);
                assert_eq!(data.accounts.len(), accounts);
                assert!(data.users.len() >= 4, "admin, two executives, a leader, an AE");
            }
        }
    }

    /// `cargo test --release -p lodestar --lib demo -- --ignored` to check the speed.
    #[test]
    #[ignore]
    fn generates_100k_accounts_quickly() {
        let start = std::time::Instant::now();
        let data = demo(100_000, 1);
        let elapsed = start.elapsed();
        assert_eq!(data.accounts.len(), 100_000);
        assert!(elapsed.as_secs_f64() < 10.0, "took {elapsed:?}");
        eprintln!(
            "100k accounts in {elapsed:?}: {} users, {} contacts, {} contracts",
            data.users.len(),
            data.contacts.len(),
            data.contracts.len()
        );
    }
}
