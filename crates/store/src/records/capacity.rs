//! Capacity (F-61): the benchmarks a leader keeps, each owner's book measured against them and
//! against the review meeting hours its accounts' experience levels promise, the rebalancing suggested
//! when someone is over, and applying it — every owner changed in one transaction, each on its
//! account's timeline.

use std::collections::HashMap;

use lodestar_domain::account::{ChangedValue, FieldChange};
use lodestar_domain::capacity::{
    Benchmark, Benchmarks, Book, Held, Load, MeetingHours, Move, Rebalancing, Seat, measure, rebalance,
};
use lodestar_domain::user::AccountSlot;
use lodestar_domain::vocabulary::{Role, Tier};
use lodestar_domain::{AccountId, Cents, UserId, Valid};

use super::experience::{ExperienceLevel, LEVEL_OF_ACCOUNT, entitlements_in, levels_in};
use super::timeline::record_edit;
use super::{parse, parse_opt, to_u32};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// One person who may own accounts, with their book and how it measures up.
#[derive(Debug, Clone, PartialEq)]
pub struct CsmBook {
    pub user: UserId,
    pub name: String,
    pub role: Role,
    pub manager_id: Option<UserId>,
    /// Their personal capacity, when it replaces the benchmarks.
    pub capacity: Option<u32>,
    pub book: Book,
    pub load: Load,
}

/// The team's books against the benchmarks, the most loaded first.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamCapacity {
    pub benchmarks: Benchmarks,
    /// The levels whose entitlements the promised hours come from.
    pub levels: Vec<ExperienceLevel>,
    pub books: Vec<CsmBook>,
}

/// An account a suggestion moves, as the leader reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedAccount {
    pub id: AccountId,
    pub name: String,
    pub tier: Option<Tier>,
    pub arr: Cents,
}

/// The team's books, the moves suggested, and the accounts they move (in the moves' order).
#[derive(Debug, Clone, PartialEq)]
pub struct RebalanceSuggestion {
    pub team: TeamCapacity,
    pub plan: Rebalancing,
    pub accounts: Vec<MovedAccount>,
}

/// Accounts that count in a book: churned ones are owed nothing.
const LIVE: &str = "a.lifecycle_stage <> 'churned'";

async fn benchmarks_in(tx: &mut Tx) -> Result<Benchmarks> {
    let rows: Vec<(String, i64, i64, i64)> =
        Query::sql("SELECT tier, min_accounts, max_accounts, review_minutes FROM capacity_benchmarks")
            .fetch_all(tx)
            .await?;
    let mut set = HashMap::new();
    for (tier, min, max, minutes) in rows {
        let tier: Tier = parse("capacity_benchmarks.tier", &tier)?;
        let number = |column: &str, v: i64| to_u32(column, Some(v)).map(|n| n.unwrap_or_default());
        set.insert(
            tier,
            Benchmark {
                tier,
                min_accounts: number("capacity_benchmarks.min_accounts", min)?,
                max_accounts: number("capacity_benchmarks.max_accounts", max)?,
                review_minutes: number("capacity_benchmarks.review_minutes", minutes)?,
            },
        );
    }
    let hours: Option<i64> = Query::sql("SELECT meeting_hours_per_month FROM capacity_settings WHERE singleton = 1")
        .scalar_optional(tx)
        .await?;
    let mut benchmarks = Benchmarks::default();
    for b in &mut benchmarks.tiers {
        if let Some(set) = set.get(&b.tier) {
            *b = *set;
        }
    }
    if let Some(h) = to_u32("capacity_settings.meeting_hours_per_month", hours)? {
        benchmarks.meeting_hours_per_month = h;
    }
    Ok(benchmarks)
}

/// Everyone active who may own accounts (CSMs, associates, leaders), by name.
async fn seats_in(tx: &mut Tx) -> Result<Vec<(UserId, String, Role, Option<UserId>, Option<u32>)>> {
    let rows: Vec<(i64, String, String, Option<i64>, Option<i64>)> =
        Query::sql("SELECT id, name, role, manager_id, capacity FROM users WHERE deactivated_at IS NULL")
            .fetch_all(tx)
            .await?;
    let mut out = Vec::new();
    for (id, name, role, manager, capacity) in rows {
        let role: Role = parse("users.role", &role)?;
        if AccountSlot::Owner.accepts(role) {
            out.push((
                UserId(id),
                name,
                role,
                manager.map(UserId),
                to_u32("users.capacity", capacity)?,
            ));
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// The live accounts of the seats' books, each with its experience level.
async fn held_in(tx: &mut Tx) -> Result<Vec<(Held, Option<i64>)>> {
    let rows: Vec<(i64, Option<String>, i64, i64, Option<i64>)> = Query::sql(format!(
        "SELECT a.id, a.tier, a.arr_cents, a.owner_id, {LEVEL_OF_ACCOUNT} FROM accounts a \
         WHERE a.owner_id IS NOT NULL AND {LIVE}"
    ))
    .fetch_all(tx)
    .await?;
    rows.into_iter()
        .map(|(id, tier, arr, owner, level)| {
            let held = Held {
                account: AccountId(id),
                tier: parse_opt("accounts.tier", tier)?,
                arr: Cents(arr),
                owner: UserId(owner),
            };
            Ok((held, level))
        })
        .collect()
}

async fn team_in(tx: &mut Tx) -> Result<(TeamCapacity, Vec<Held>)> {
    let benchmarks = benchmarks_in(tx).await?;
    let entitlements = entitlements_in(tx).await?;
    let (held, levels): (Vec<Held>, Vec<Option<i64>>) = held_in(tx).await?.into_iter().unzip();
    let mut books: HashMap<UserId, Book> = HashMap::new();
    for (h, level) in held.iter().zip(levels) {
        let promised = level.and_then(|l| entitlements.get(&l)).map(|(_, e)| e);
        books.entry(h.owner).or_default().add(h.tier, h.arr, promised);
    }
    let mut out: Vec<CsmBook> = seats_in(tx)
        .await?
        .into_iter()
        .map(|(user, name, role, manager_id, capacity)| {
            let book = books.remove(&user).unwrap_or_default();
            let load = measure(&book, capacity, &benchmarks);
            CsmBook {
                user,
                name,
                role,
                manager_id,
                capacity,
                book,
                load,
            }
        })
        // A leader who owns nothing is not part of the team's capacity.
        .filter(|b| b.role != Role::Leader || b.book.total() > 0)
        .collect();
    out.sort_by(|a, b| b.load.share_of_max.total_cmp(&a.load.share_of_max));
    Ok((
        TeamCapacity {
            benchmarks,
            levels: levels_in(tx).await?,
            books: out,
        },
        held,
    ))
}

fn seats_of(team: &TeamCapacity) -> Vec<Seat> {
    team.books
        .iter()
        .map(|b| Seat {
            user: b.user,
            capacity: b.capacity,
        })
        .collect()
}

impl Store {
    pub async fn capacity_benchmarks(&self) -> Result<Benchmarks> {
        let mut tx = self.begin_snapshot().await?;
        benchmarks_in(&mut tx).await
    }

    /// Sets one tier's benchmark; returns them all.
    pub async fn set_capacity_benchmark(&self, benchmark: Valid<Benchmark>, by: Option<UserId>) -> Result<Benchmarks> {
        let b = benchmark.into_inner();
        let mut tx = self.begin_write().await?;
        Query::sql(
            "INSERT INTO capacity_benchmarks (tier, min_accounts, max_accounts, review_minutes, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tier) DO UPDATE SET min_accounts = $2, \
             max_accounts = $3, review_minutes = $4, updated_by = $5, updated_at = $6",
        )
        .bind(b.tier.as_str())
        .bind(i64::from(b.min_accounts))
        .bind(i64::from(b.max_accounts))
        .bind(i64::from(b.review_minutes))
        .bind(by)
        .bind(tx.now())
        .execute(&mut tx)
        .await?;
        let stored = benchmarks_in(&mut tx).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Sets the customer meeting hours a month each CSM has; returns every benchmark.
    pub async fn set_meeting_hours(&self, hours: Valid<MeetingHours>, by: Option<UserId>) -> Result<Benchmarks> {
        let mut tx = self.begin_write().await?;
        Query::sql(
            "INSERT INTO capacity_settings (singleton, meeting_hours_per_month, updated_by, updated_at) \
             VALUES (1, $1, $2, $3) ON CONFLICT (singleton) DO UPDATE SET meeting_hours_per_month = $1, \
             updated_by = $2, updated_at = $3",
        )
        .bind(i64::from(hours.0))
        .bind(by)
        .bind(tx.now())
        .execute(&mut tx)
        .await?;
        let stored = benchmarks_in(&mut tx).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Every owner's book against the benchmarks, the most loaded first.
    pub async fn team_capacity(&self) -> Result<TeamCapacity> {
        let mut tx = self.begin_snapshot().await?;
        Ok(team_in(&mut tx).await?.0)
    }

    /// The team's books and the moves that would bring everyone within their benchmark.
    pub async fn suggested_rebalancing(&self) -> Result<RebalanceSuggestion> {
        let mut tx = self.begin_snapshot().await?;
        let (team, held) = team_in(&mut tx).await?;
        let plan = rebalance(&seats_of(&team), &held, &team.benchmarks);
        let mut accounts = Vec::with_capacity(plan.moves.len());
        if !plan.moves.is_empty() {
            let rows: Vec<(i64, String)> = Query::sql("SELECT id, name FROM accounts WHERE id IN (")
                .list(plan.moves.iter().map(|m| m.account.0))
                .push(")")
                .fetch_all(&mut tx)
                .await?;
            let names: HashMap<i64, String> = rows.into_iter().collect();
            for m in &plan.moves {
                let h = held
                    .iter()
                    .find(|h| h.account == m.account)
                    .expect("a move is of a held account");
                accounts.push(MovedAccount {
                    id: m.account,
                    name: names.get(&m.account.0).cloned().unwrap_or_default(),
                    tier: h.tier,
                    arr: h.arr,
                });
            }
        }
        Ok(RebalanceSuggestion { team, plan, accounts })
    }

    /// Applies `moves` as a leader saw them, all or nothing: each account must still be owned
    /// by its `from` (someone may have moved it since: 409) and go to an active owner; each
    /// change is on its account's timeline as an edit of the owner by `by`.
    pub async fn apply_rebalancing(&self, moves: &[Move], by: Option<UserId>) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let seats = seats_in(&mut tx).await?;
        for m in moves {
            if !seats.iter().any(|s| s.0 == m.to) {
                return Err(StoreError::Conflict(format!(
                    "user {} cannot own accounts (not an active CSM, associate or leader)",
                    m.to
                )));
            }
            let owner: Option<Option<i64>> = Query::sql("SELECT owner_id FROM accounts WHERE id = $1")
                .bind(m.account)
                .fetch_optional::<(Option<i64>,)>(&mut tx)
                .await?
                .map(|(o,)| o);
            match owner {
                None => {
                    return Err(StoreError::NotFound {
                        what: "account",
                        key: m.account.to_string(),
                    });
                }
                Some(o) if o != Some(m.from.0) => {
                    return Err(StoreError::Conflict(format!(
                        "account {} is no longer owned by user {}: look at the suggestion again",
                        m.account, m.from
                    )));
                }
                Some(_) => {}
            }
            Query::sql("UPDATE accounts SET owner_id = $1, updated_at = $3 WHERE id = $2")
                .bind(m.to)
                .bind(m.account)
                .bind(tx.now())
                .execute(&mut tx)
                .await?;
            let change = FieldChange {
                label: "Owner (CSM)".into(),
                before: ChangedValue::User(m.from),
                after: ChangedValue::User(m.to),
            };
            record_edit(&mut tx, m.account, by, &[change]).await?;
        }
        tx.touch_accounts(moves.iter().map(|m| m.account.0));
        tx.commit().await?;
        Ok(moves.len())
    }
}
