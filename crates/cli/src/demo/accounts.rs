//! Accounts and their contacts.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use lodestar_domain::account::AccountFields;
use lodestar_domain::contact::{Contact, ContactFields};
use lodestar_domain::text::{CustomFields, Domain, Email, ExternalId, Label, Name};
use lodestar_domain::vocabulary::{
    ChangeKind, ContactRole, ContactStatus, EngagementPreference, GrowthPotential, Influence, LifecycleStage, Tier,
};
use lodestar_domain::{AccountId, Cents, ContactId};
use rand::Rng;

use super::contracts::{Schedule, live_arr};
use super::words::{DISTINCT_PEOPLE, Region, titles};
use super::{Generator, as_dollars, days_after, days_before, normal, pick, weighted};

/// An account before the team exists to own it.
pub(super) struct Draft {
    pub(super) id: AccountId,
    pub(super) fields: AccountFields,
    pub(super) tier: Tier,
    /// Current ARR, or the ARR before churn for churned accounts: what sizes the account.
    pub(super) book_arr: Cents,
}

/// Tier from ARR: the biggest accounts (and big ones with room to grow) get the most attention.
fn tier_for(arr: Cents, growth: GrowthPotential) -> Tier {
    let arr = as_dollars(arr);
    let high = growth == GrowthPotential::High;
    if arr >= 250_000.0 || (high && arr >= 150_000.0) {
        Tier::Strategic
    } else if arr >= 70_000.0 || (high && arr >= 50_000.0) {
        Tier::Enterprise
    } else if arr >= 18_000.0 {
        Tier::MidTier
    } else {
        Tier::LongTail
    }
}

fn engagement_for(rng: &mut impl Rng, tier: Tier) -> EngagementPreference {
    let high_touch = match tier {
        Tier::Strategic => 0.95,
        Tier::Enterprise => 0.85,
        Tier::MidTier => 0.5,
        Tier::LongTail => 0.12,
    };
    if rng.random_bool(high_touch) {
        EngagementPreference::HighTouch
    } else {
        EngagementPreference::SelfServe
    }
}

/// The stage that the account's history implies (seed 003's Land → Adopt → Expand → Renew).
fn lifecycle_for(
    today: NaiveDate,
    churned: bool,
    launch: Option<NaiveDate>,
    renewal: NaiveDate,
    expanded_recently: bool,
) -> LifecycleStage {
    let recently_launched = launch.is_none_or(|l| l > days_before(today, 90));
    if churned {
        LifecycleStage::Churned
    } else if recently_launched {
        LifecycleStage::Land
    } else if renewal <= days_after(today, 90) {
        LifecycleStage::Renew
    } else if expanded_recently {
        LifecycleStage::Expand
    } else {
        LifecycleStage::Adopt
    }
}

fn contact_count(rng: &mut impl Rng, tier: Tier) -> usize {
    match tier {
        Tier::Strategic => rng.random_range(9..=15),
        Tier::Enterprise => rng.random_range(6..=11),
        Tier::MidTier => rng.random_range(4..=8),
        Tier::LongTail => rng.random_range(3..=5),
    }
}

/// The first contacts fill the buying roles; the rest are mostly everyday users.
fn contact_role(rng: &mut impl Rng, position: usize, tier: Tier) -> ContactRole {
    let big = matches!(tier, Tier::Strategic | Tier::Enterprise);
    match position {
        0 => ContactRole::DecisionMaker,
        1 => ContactRole::Champion,
        2 => ContactRole::Admin,
        3 if big => ContactRole::ExecSponsor,
        _ => weighted(
            rng,
            &[
                (ContactRole::User, 0.7),
                (ContactRole::Champion, 0.15),
                (ContactRole::Admin, 0.15),
            ],
        ),
    }
}

fn influence_for(rng: &mut impl Rng, role: ContactRole) -> Influence {
    use lodestar_domain::vocabulary::Level::{High, Low, Medium};
    match role {
        ContactRole::DecisionMaker | ContactRole::ExecSponsor => High,
        ContactRole::Champion => weighted(rng, &[(High, 0.6), (Medium, 0.4)]),
        ContactRole::Admin => weighted(rng, &[(Medium, 0.7), (Low, 0.3)]),
        ContactRole::User => weighted(rng, &[(Low, 0.75), (Medium, 0.25)]),
    }
}

impl Generator {
    /// Drafts account number `index` (0-based) and makes its contracts and contacts.
    pub(super) fn draft_account(&mut self, index: usize) {
        let id = AccountId(index as i64 + 1);
        let today = self.today;
        let growth = weighted(
            &mut self.rng,
            &[
                (GrowthPotential::Low, 0.30),
                (GrowthPotential::Medium, 0.45),
                (GrowthPotential::High, 0.25),
            ],
        );
        let schedule = Schedule::draw(&mut self.rng, today);
        let histories = self.contracts_for(id, &schedule, growth);
        let book_arr = Cents(histories.iter().map(|h| live_arr(h).0).sum());
        let expanded_recently = histories
            .iter()
            .flat_map(|h| h.changes())
            .any(|c| c.kind == ChangeKind::Expansion && c.effective_date > days_before(today, 365));

        let tier = tier_for(book_arr, growth);
        let region = weighted(&mut self.rng, &Region::WEIGHTS);
        let industry = self.rng.random_range(0..self.words.industries.len());
        let (name, domain) = self.company_name(index, region);
        // Go-live a few weeks after signing; first value a few weeks to months after that.
        let launch = Some(days_after(schedule.start, self.rng.random_range(14..=56))).filter(|d| *d <= today);
        let stage = lifecycle_for(
            today,
            schedule.churned_on.is_some(),
            launch,
            schedule.end_date,
            expanded_recently,
        );
        let first_value = match launch {
            Some(l) if stage != LifecycleStage::Land && self.rng.random_bool(0.9) => {
                Some(days_after(l, self.rng.random_range(14..=120)).min(today))
            }
            _ => None,
        };
        // Headcount tracks spend, with plenty of spread.
        let employees =
            (as_dollars(book_arr) / 100.0 * (0.5 * normal(&mut self.rng)).exp()).clamp(5.0, 400_000.0) as u32;

        self.contacts_for(id, tier, &domain, schedule.start);
        let fields = AccountFields {
            external_id: ExternalId::parse(&format!("ACC-{:06}", index + 1)).expect("valid"),
            name,
            domain: Some(domain),
            industry: Some(self.words.industries[industry].clone()),
            employees: Some(employees),
            region: Some(self.words.region_label(region)),
            lifecycle_stage: stage,
            tier: Some(tier),
            owner_id: None,
            ae_id: None,
            sponsor_id: None,
            growth_potential: Some(growth),
            engagement_preference: Some(engagement_for(&mut self.rng, tier)),
            launch_date: launch,
            first_value_date: first_value,
            parent_id: None,
            custom_fields: self.custom_fields(tier, region),
        };
        self.drafts.push(Draft {
            id,
            fields,
            tier,
            book_arr,
        });
    }

    /// "Northwind Labs GmbH" at northwindlabs.de.
    fn company_name(&mut self, index: usize, region: Region) -> (Name, Domain) {
        let (head, tail, descriptor, round) = self.words.company(index);
        let form = pick(&mut self.rng, region.legal_forms());
        let tld = pick(&mut self.rng, region.top_level_domains());
        let (name, slug) = if round == 0 {
            (
                format!("{head}{tail} {descriptor}{form}"),
                format!("{head}{tail}{descriptor}"),
            )
        } else {
            // Past the distinct combinations: number the repeats so names stay unique.
            let n = round + 1;
            (
                format!("{head}{tail} {descriptor} {n}{form}"),
                format!("{head}{tail}{descriptor}{n}"),
            )
        };
        let domain = Domain::parse(&format!("{}.{tld}", slug.to_ascii_lowercase())).expect("slugs are valid hosts");
        (Name::parse(&name).expect("company names are short"), domain)
    }

    fn custom_fields(&mut self, tier: Tier, region: Region) -> CustomFields {
        let plan = match tier {
            Tier::Strategic | Tier::Enterprise => "enterprise",
            Tier::MidTier => "growth",
            Tier::LongTail => "starter",
        };
        let sso = match tier {
            Tier::Strategic | Tier::Enterprise => true,
            Tier::MidTier => self.rng.random_bool(0.5),
            Tier::LongTail => self.rng.random_bool(0.1),
        };
        let map = BTreeMap::from([
            ("plan".to_owned(), plan.into()),
            ("data_region".to_owned(), region.data_region().into()),
            ("sso_enabled".to_owned(), sso.into()),
        ]);
        CustomFields::new(map).expect("demo custom fields are valid")
    }

    fn contacts_for(&mut self, account: AccountId, tier: Tier, domain: &Domain, since: NaiveDate) {
        let count = contact_count(&mut self.rng, tier);
        // Consecutive people of one account come from the name permutation at a random spot,
        // so names (and emails) never repeat within an account.
        let base = self.rng.random_range(0..DISTINCT_PEOPLE);
        let days_as_customer = (self.today - since).num_days().max(1) as u64;
        for position in 0..count {
            self.contacts_made += 1;
            let id = self.contacts_made;
            let (first, last, _) = self.words.person(base + position);
            let role = contact_role(&mut self.rng, position, tier);
            let left = position > 0 && self.rng.random_bool(0.07);
            let left_on = left.then(|| days_before(self.today, self.rng.random_range(1..=days_as_customer.min(540))));
            let email = format!("{}.{}@{}", first, last, domain.as_str());
            let fields = ContactFields {
                external_id: ExternalId::parse(&format!("CON-{id:07}")).expect("valid"),
                account_id: account,
                first_name: Some(Label::parse(first).expect("valid")),
                last_name: Some(Label::parse(last).expect("valid")),
                email: Some(Email::parse(&email).expect("names and domains make valid emails")),
                title: Some(Label::parse(pick(&mut self.rng, titles(role))).expect("valid")),
                role: Some(role),
                influence: Some(influence_for(&mut self.rng, role)),
                status: if left {
                    ContactStatus::Left
                } else {
                    ContactStatus::Active
                },
                left_on,
            };
            self.contacts.push(Contact {
                id: ContactId(id),
                fields: fields.validate().expect("generated contacts are valid").into_inner(),
            });
        }
    }
}

/// About 2 % of accounts become subsidiaries of one of the top 10 % by ARR. Parents are never
/// children themselves, so there are no cycles and every parent is at least as big.
pub(super) fn assign_parents(rng: &mut impl Rng, book: &[Cents]) -> Vec<Option<AccountId>> {
    let mut parents = vec![None; book.len()];
    let mut by_size: Vec<usize> = (0..book.len()).collect();
    by_size.sort_by_key(|&i| (Reverse(book[i]), i));
    let candidates = book.len() / 10;
    if candidates == 0 {
        return parents;
    }
    let mut is_candidate = vec![false; book.len()];
    for &i in &by_size[..candidates] {
        is_candidate[i] = true;
    }
    for (i, parent) in parents.iter_mut().enumerate() {
        if !is_candidate[i] && rng.random_bool(0.022) {
            let p = by_size[rng.random_range(0..candidates)];
            *parent = Some(AccountId(p as i64 + 1));
        }
    }
    parents
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::testing::{account_arr, demo, median, today};
    use chrono::Days;
    use lodestar_domain::account::Account;
    use lodestar_domain::contract::Contract;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn industries_and_regions_are_varied() {
        let data = demo(300, 2);
        let distinct = |f: fn(&Account) -> Option<&Label>| {
            data.accounts
                .iter()
                .filter_map(f)
                .map(|l| l.as_str())
                .collect::<HashSet<_>>()
                .len()
        };
        assert!(distinct(|a| a.fields.industry.as_ref()) >= 8);
        assert!(distinct(|a| a.fields.region.as_ref()) >= 4);
        for a in &data.accounts {
            let domain = a.fields.domain.as_ref().unwrap().as_str();
            let brand: String = a
                .fields
                .name
                .as_str()
                .split(' ')
                .take(2)
                .collect::<String>()
                .to_lowercase();
            assert!(domain.starts_with(&brand), "{domain} comes from {}", a.fields.name);
            assert!(a.fields.custom_fields.get("plan").is_some());
            assert!(a.fields.custom_fields.get("data_region").is_some());
        }
    }

    #[test]
    fn tier_median_arr_decreases() {
        let data = demo(500, 4);
        let arr = account_arr(&data);
        let medians: Vec<i64> = Tier::ALL
            .iter()
            .map(|t| {
                let of_tier: Vec<i64> = data
                    .accounts
                    .iter()
                    .filter(|a| a.fields.tier == Some(*t) && a.fields.lifecycle_stage != LifecycleStage::Churned)
                    .map(|a| arr[&a.id])
                    .collect();
                assert!(!of_tier.is_empty(), "some {t} accounts");
                median(of_tier)
            })
            .collect();
        assert!(medians.windows(2).all(|w| w[0] > w[1]), "medians {medians:?}");
        // Employees follow ARR on the whole.
        let employees = |t: Tier| {
            median(
                data.accounts
                    .iter()
                    .filter(|a| a.fields.tier == Some(t))
                    .map(|a| i64::from(a.fields.employees.unwrap()))
                    .collect(),
            )
        };
        assert!(employees(Tier::Strategic) > employees(Tier::LongTail));
    }

    #[test]
    fn lifecycle_follows_history() {
        let data = demo(500, 5);
        let mut main: HashMap<AccountId, &Contract> = HashMap::new();
        for c in &data.contracts {
            main.entry(c.fields.account_id).or_insert(c);
        }
        let mut churned = 0;
        for a in &data.accounts {
            let c = main[&a.id];
            let f = &a.fields;
            assert_eq!(
                c.changes.is_churned(),
                f.lifecycle_stage == LifecycleStage::Churned,
                "{}",
                a.id
            );
            match f.lifecycle_stage {
                LifecycleStage::Churned => churned += 1,
                LifecycleStage::Land => assert!(f.first_value_date.is_none()),
                LifecycleStage::Renew => assert!(c.fields.end_date <= today() + Days::new(90)),
                _ => assert!(f.launch_date.unwrap() <= today() - Days::new(90)),
            }
            if let Some(launch) = f.launch_date {
                assert!(launch > c.fields.start_date && launch <= today());
            }
        }
        let share = churned as f64 / data.accounts.len() as f64;
        assert!((0.05..=0.15).contains(&share), "churned share {share}");
        let stages: HashSet<_> = data.accounts.iter().map(|a| a.fields.lifecycle_stage).collect();
        assert_eq!(
            stages.len(),
            LifecycleStage::ALL.len(),
            "every stage occurs: {stages:?}"
        );
    }

    #[test]
    fn every_account_has_3_to_15_contacts() {
        let data = demo(300, 6);
        let mut per_account: HashMap<AccountId, usize> = HashMap::new();
        let domains: HashMap<AccountId, &str> = data
            .accounts
            .iter()
            .map(|a| (a.id, a.fields.domain.as_ref().unwrap().as_str()))
            .collect();
        for c in &data.contacts {
            *per_account.entry(c.fields.account_id).or_default() += 1;
            let email = c.fields.email.as_ref().unwrap().as_str();
            assert!(email.ends_with(&format!("@{}", domains[&c.fields.account_id])));
            if c.fields.status == ContactStatus::Left {
                assert!(c.fields.left_on.unwrap() < today());
            }
        }
        assert_eq!(per_account.len(), data.accounts.len());
        assert!(per_account.values().all(|n| (3..=15).contains(n)), "{per_account:?}");
        assert!(data.contacts.iter().any(|c| c.fields.status == ContactStatus::Left));
        assert!(
            data.contacts
                .iter()
                .any(|c| c.fields.role == Some(ContactRole::DecisionMaker))
        );
    }

    #[test]
    fn subsidiaries_point_to_bigger_accounts_without_cycles() {
        let data = demo(2_000, 12);
        let arr = account_arr(&data);
        let book: HashMap<AccountId, i64> = data.contracts.iter().fold(HashMap::new(), |mut m, c| {
            *m.entry(c.fields.account_id).or_default() += live_arr(&c.changes).0;
            m
        });
        let parent_of: HashMap<AccountId, AccountId> = data
            .accounts
            .iter()
            .filter_map(|a| a.fields.parent_id.map(|p| (a.id, p)))
            .collect();
        let share = parent_of.len() as f64 / data.accounts.len() as f64;
        assert!((0.005..=0.04).contains(&share), "subsidiary share {share}");
        for (child, parent) in &parent_of {
            assert_ne!(child, parent);
            assert!(!parent_of.contains_key(parent), "parents are top-level");
            assert!(book[parent] >= book[child]);
            assert!(arr.contains_key(parent));
        }
    }
}
