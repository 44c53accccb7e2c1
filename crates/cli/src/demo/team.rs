//! The CS team.

use lodestar_domain::account::{Account, AccountFields};
use lodestar_domain::notify::TimeZone;
use lodestar_domain::text::{Email, Name};
use lodestar_domain::user::{User, UserFields};
use lodestar_domain::vocabulary::{Role, Tier};
use lodestar_domain::{AccountId, UserId};

use super::ADMIN_EMAIL;
use super::accounts::Draft;
use super::words::Words;

/// Accounts per owner we staff for: the middle of each tier's benchmark range.
fn target_book(tier: Tier) -> usize {
    let range = tier.benchmark_book_size();
    ((range.start() + range.end()) / 2) as usize
}

/// Owners specialise in one tier so every book can be compared with its tier's benchmark.
pub(super) fn owner_role(tier: Tier) -> Role {
    match tier {
        Tier::LongTail => Role::AssociateCsm,
        Tier::Strategic | Tier::Enterprise | Tier::MidTier => Role::Csm,
    }
}

const CSMS_PER_LEADER: usize = 8;
const ACCOUNTS_PER_AE: usize = 80;

pub(super) struct Team {
    pub(super) users: Vec<User>,
    /// Owners per tier, in `Tier::ALL` order.
    owners: Vec<Vec<UserId>>,
    aes: Vec<UserId>,
    executives: Vec<UserId>,
}

impl Team {
    pub(super) fn for_book(drafts: &[Draft], words: &Words) -> Team {
        let mut per_tier = vec![0usize; Tier::ALL.len()];
        for d in drafts {
            per_tier[tier_slot(d.tier)] += 1;
        }
        let owners_needed: Vec<usize> = Tier::ALL
            .iter()
            .zip(&per_tier)
            .map(|(t, n)| n.div_ceil(target_book(*t)))
            .collect();
        let total_owners: usize = owners_needed.iter().sum();
        let leaders = total_owners.div_ceil(CSMS_PER_LEADER).max(1);
        let executive_count = 2 + leaders / 12;
        let ae_count = drafts.len().div_ceil(ACCOUNTS_PER_AE).max(1);

        let mut team = Team {
            users: Vec::new(),
            owners: Vec::new(),
            aes: Vec::new(),
            executives: Vec::new(),
        };
        team.add(words, Role::Admin, None, Some(ADMIN_EMAIL), Some("Demo Admin"));
        for i in 0..executive_count {
            // The first executive heads customer success; the others report to them.
            let manager = (i > 0).then(|| team.executives[0]);
            let id = team.add(words, Role::Executive, manager, None, None);
            team.executives.push(id);
        }
        let leader_ids: Vec<UserId> = (0..leaders)
            .map(|l| {
                let manager = team.executives[l % team.executives.len()];
                team.add(words, Role::Leader, Some(manager), None, None)
            })
            .collect();
        let mut owner_number = 0;
        for (tier, needed) in Tier::ALL.iter().zip(owners_needed) {
            let ids = (0..needed)
                .map(|_| {
                    let manager = leader_ids[owner_number / CSMS_PER_LEADER];
                    owner_number += 1;
                    team.add(words, owner_role(*tier), Some(manager), None, None)
                })
                .collect();
            team.owners.push(ids);
        }
        // Sales reports to the second executive (think CRO).
        let sales_head = team.executives[1];
        team.aes = (0..ae_count)
            .map(|_| team.add(words, Role::Ae, Some(sales_head), None, None))
            .collect();
        team
    }

    fn add(
        &mut self,
        words: &Words,
        role: Role,
        manager: Option<UserId>,
        email: Option<&str>,
        name: Option<&str>,
    ) -> UserId {
        let id = UserId(self.users.len() as i64 + 1);
        let (first, last, round) = words.person(self.users.len());
        let suffix = if round == 0 { String::new() } else { round.to_string() };
        let generated = format!("{first}.{last}{suffix}@lodestar.demo");
        let fields = UserFields {
            email: Email::parse(email.unwrap_or(&generated)).expect("valid"),
            name: Name::parse(name.unwrap_or(&format!("{first} {last}"))).expect("valid"),
            role,
            manager_id: manager,
            capacity: None,
        };
        let fields = fields
            .validate(Some(id))
            .expect("nobody manages themselves")
            .into_inner();
        self.users.push(User {
            id,
            fields,
            time_zone: TimeZone::UTC,
        });
        id
    }

    /// Deals accounts out round-robin within each tier, so books differ by at most one account.
    pub(super) fn assign(&self, drafts: Vec<Draft>, parents: Vec<Option<AccountId>>) -> Vec<Account> {
        let mut dealt = vec![0usize; Tier::ALL.len()];
        let mut sponsored = 0;
        drafts
            .into_iter()
            .zip(parents)
            .enumerate()
            .map(|(i, (draft, parent))| {
                let slot = tier_slot(draft.tier);
                let owners = &self.owners[slot];
                let owner = owners[dealt[slot] % owners.len()];
                dealt[slot] += 1;
                let sponsor = (draft.tier == Tier::Strategic).then(|| {
                    sponsored += 1;
                    self.executives[sponsored % self.executives.len()]
                });
                let fields = AccountFields {
                    owner_id: Some(owner),
                    ae_id: Some(self.aes[i % self.aes.len()]),
                    sponsor_id: sponsor,
                    parent_id: parent,
                    ..draft.fields
                };
                let fields = fields
                    .validate(Some(draft.id))
                    .expect("generated accounts are valid")
                    .into_inner();
                Account { id: draft.id, fields }
            })
            .collect()
    }
}

fn tier_slot(tier: Tier) -> usize {
    Tier::ALL.iter().position(|t| *t == tier).expect("every tier is in ALL")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::testing::demo;
    use lodestar_domain::user::AccountSlot;
    use std::collections::HashMap;

    #[test]
    fn team_is_sized_to_the_book() {
        let data = demo(500, 11);
        let users: HashMap<UserId, &User> = data.users.iter().map(|u| (u.id, u)).collect();
        let role = |id: UserId| users[&id].fields.role;
        let count = |r: Role| data.users.iter().filter(|u| u.fields.role == r).count();
        let admins: Vec<&User> = data.users.iter().filter(|u| u.fields.role == Role::Admin).collect();
        assert_eq!(admins.len(), 1);
        assert_eq!(admins[0].fields.email.as_str(), "admin@lodestar.demo");
        assert!(
            data.users
                .iter()
                .all(|u| u.fields.email.as_str().ends_with("@lodestar.demo"))
        );
        assert!(count(Role::Executive) >= 2);
        let owners = count(Role::Csm) + count(Role::AssociateCsm);
        assert!(count(Role::Leader) >= 1 && count(Role::Leader) <= owners.div_ceil(8).max(1));
        for u in &data.users {
            let manager = u.fields.manager_id.map(role);
            match u.fields.role {
                Role::Csm | Role::AssociateCsm => assert_eq!(manager, Some(Role::Leader)),
                Role::Leader | Role::Ae => assert_eq!(manager, Some(Role::Executive)),
                _ => {}
            }
        }

        let mut books: HashMap<UserId, Vec<Tier>> = HashMap::new();
        for a in &data.accounts {
            let f = &a.fields;
            let tier = f.tier.unwrap();
            let owner = f.owner_id.unwrap();
            assert!(AccountSlot::Owner.accepts(role(owner)));
            assert_eq!(role(owner), owner_role(tier));
            assert!(AccountSlot::AccountExecutive.accepts(role(f.ae_id.unwrap())));
            assert_eq!(role(f.ae_id.unwrap()), Role::Ae);
            match f.sponsor_id {
                Some(s) => assert!(AccountSlot::ExecutiveSponsor.accepts(role(s)) && role(s) == Role::Executive),
                None => assert_ne!(tier, Tier::Strategic, "strategic accounts have a sponsor"),
            }
            books.entry(owner).or_default().push(tier);
        }
        for (owner, book) in &books {
            let tier = book[0];
            assert!(book.iter().all(|t| *t == tier), "{owner} owns one tier");
            assert!(
                book.len() as u32 <= *tier.benchmark_book_size().end(),
                "{owner}: {} {tier}",
                book.len()
            );
        }
        assert_eq!(books.len(), owners, "every CSM has a book");
    }
}
