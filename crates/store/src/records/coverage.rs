//! Coverage (F-42): an account's contacts placed by level and function, with the gaps; and the
//! executive sponsor programme — the top fifth of the accounts by ARR, their sponsors (ours)
//! and how often those changed.

use chrono::{DateTime, Utc};
use lodestar_domain::coverage::{Coverage, programme_size};
use lodestar_domain::vocabulary::ContactStatus;
use lodestar_domain::{AccountId, Cents};

use super::contacts::contacts_of_in;
use crate::query::Query;
use crate::{Result, Store, StoreError};

/// One change of an account's executive sponsor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SponsorChange {
    /// The new sponsor; `None` when the account was left without one.
    pub sponsor: Option<String>,
    /// The one before; `None` for the first assignment.
    pub previous: Option<String>,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCoverage {
    pub account_id: AccountId,
    pub account_name: String,
    /// The account's active contacts, placed, and the gaps.
    pub coverage: Coverage,
    /// Our executive sponsor of the account.
    pub sponsor: Option<String>,
    /// The latest first.
    pub sponsor_history: Vec<SponsorChange>,
}

/// An account of the sponsor programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeAccount {
    pub account_id: AccountId,
    pub account_name: String,
    pub owner: Option<String>,
    pub arr: Cents,
    pub sponsor: Option<String>,
    /// The sponsor's user is deactivated: the account is as good as unsponsored.
    pub sponsor_gone: bool,
    /// Times the sponsor was replaced or removed (a first assignment is no change).
    pub changes: i64,
    pub last_change: Option<DateTime<Utc>>,
}

impl ProgrammeAccount {
    pub fn unsponsored(&self) -> bool {
        self.sponsor.is_none() || self.sponsor_gone
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SponsorProgramme {
    /// The top fifth by ARR, the largest first.
    pub accounts: Vec<ProgrammeAccount>,
    /// Active accounts with ARR, of which the programme is the top fifth.
    pub accounts_with_arr: i64,
    pub total_arr: Cents,
    pub programme_arr: Cents,
}

impl Store {
    pub async fn account_coverage(&self, account: AccountId) -> Result<AccountCoverage> {
        let mut tx = self.begin_snapshot().await?;
        let found: Option<(String, Option<String>)> = Query::sql(
            "SELECT a.name, u.name FROM accounts a LEFT JOIN users u ON u.id = a.sponsor_id WHERE a.id = $1",
        )
        .bind(account.0)
        .fetch_optional(&mut tx)
        .await?;
        let (account_name, sponsor) = found.ok_or(StoreError::NotFound {
            what: "account",
            key: account.to_string(),
        })?;
        let contacts = contacts_of_in(&mut tx, account)
            .await?
            .into_iter()
            .filter(|c| c.fields.status == ContactStatus::Active)
            .map(|c| {
                (
                    c.fields.display_name(),
                    c.fields.title.as_ref().map(|t| t.to_string()),
                    c.fields.role,
                )
            });
        let coverage = Coverage::of(contacts);
        let history: Vec<(Option<String>, Option<String>, DateTime<Utc>)> = Query::sql(
            "SELECT s.name, p.name, c.changed_at FROM sponsor_changes c LEFT JOIN users s ON s.id = c.sponsor_id \
             LEFT JOIN users p ON p.id = c.previous_sponsor_id WHERE c.account_id = $1 ORDER BY c.changed_at DESC, c.id DESC",
        )
        .bind(account.0)
        .fetch_all(&mut tx)
        .await?;
        Ok(AccountCoverage {
            account_id: account,
            account_name,
            coverage,
            sponsor,
            sponsor_history: history
                .into_iter()
                .map(|(sponsor, previous, changed_at)| SponsorChange {
                    sponsor,
                    previous,
                    changed_at,
                })
                .collect(),
        })
    }

    /// The executive sponsor programme: the top fifth, by ARR, of the active accounts with ARR
    /// (seed 001's Pareto), each with its sponsor and how often that changed.
    pub async fn sponsor_programme(&self) -> Result<SponsorProgramme> {
        let mut tx = self.begin_snapshot().await?;
        let active = "a.arr_cents > 0 AND a.lifecycle_stage <> 'churned'";
        let (count, total): (i64, i64) = Query::sql(format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(a.arr_cents), 0) AS BIGINT) FROM accounts a WHERE {active}"
        ))
        .fetch_one(&mut tx)
        .await?;
        let size = programme_size(usize::try_from(count).unwrap_or(0));
        type Row = (
            i64,
            String,
            Option<String>,
            i64,
            Option<String>,
            bool,
            i64,
            Option<DateTime<Utc>>,
        );
        let rows: Vec<Row> = Query::sql(format!(
            "SELECT a.id, a.name, o.name, a.arr_cents, s.name, s.deactivated_at IS NOT NULL, \
             (SELECT COUNT(*) FROM sponsor_changes c WHERE c.account_id = a.id AND c.previous_sponsor_id IS NOT NULL), \
             (SELECT MAX(c.changed_at) FROM sponsor_changes c WHERE c.account_id = a.id) \
             FROM accounts a LEFT JOIN users o ON o.id = a.owner_id LEFT JOIN users s ON s.id = a.sponsor_id \
             WHERE {active} ORDER BY a.arr_cents DESC, a.id LIMIT "
        ))
        .value(i64::try_from(size).unwrap_or(i64::MAX))
        .fetch_all(&mut tx)
        .await?;
        let accounts: Vec<ProgrammeAccount> = rows
            .into_iter()
            .map(
                |(id, name, owner, arr, sponsor, gone, changes, last_change)| ProgrammeAccount {
                    account_id: AccountId(id),
                    account_name: name,
                    owner,
                    arr: Cents(arr),
                    sponsor_gone: sponsor.is_some() && gone,
                    sponsor,
                    changes,
                    last_change,
                },
            )
            .collect();
        Ok(SponsorProgramme {
            programme_arr: Cents(accounts.iter().map(|a| a.arr.0).sum()),
            accounts,
            accounts_with_arr: count,
            total_arr: Cents(total),
        })
    }
}
