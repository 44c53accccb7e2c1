//! Everything the account page shows, read in one snapshot on one connection: a consistent
//! picture, and a third of the round trips of asking for each part on its own.

use chrono::NaiveDate;
use lodestar_domain::AccountId;
use lodestar_domain::contact::Contact;
use lodestar_domain::contract::Contract;
use lodestar_domain::user::User;

use super::accounts::{AccountRow, AccountSummary, SELECT_ACCOUNTS};
use super::contacts::contacts_of_in;
use super::contracts::{Which, load_contracts};
use super::experience::{AccountLevel, account_level_in};
use super::health::{AccountHealth, Problem, account_health_in, problem_in};
use super::timeline::{TimelineEntry, assemble_timeline, timeline_entries_in};
use super::usage::{AccountUsageSummary, usage_summary_in};
use super::users::{SELECT_USERS, UserRow};
use crate::bulk::in_list;
use crate::query::Query;
use crate::{Result, Store, on_tx};

pub struct AccountView {
    pub summary: AccountSummary,
    /// The owner, AE and executive sponsor that are set.
    pub people: Vec<User>,
    pub parent_name: Option<String>,
    pub contacts: Vec<Contact>,
    pub contracts: Vec<Contract>,
    /// The account's story, newest first.
    pub timeline: Vec<TimelineEntry>,
    pub usage: AccountUsageSummary,
    pub health: AccountHealth,
    pub problem: Option<Problem>,
    /// The experience level it has, by its tier or placed there.
    pub experience: Option<AccountLevel>,
}

impl Store {
    /// The account page's data, or `None` when there is no such account.
    pub async fn account_view(&self, id: AccountId, today: NaiveDate) -> Result<Option<AccountView>> {
        let mut tx = self.begin_snapshot().await?;
        let sql = format!("{SELECT_ACCOUNTS} WHERE id = $1");
        let row: Option<AccountRow> = Query::sql(&sql).bind(id.0).fetch_optional(&mut tx).await?;
        let Some(row) = row else { return Ok(None) };
        let summary = AccountSummary::try_from(row)?;
        let f = &summary.account.fields;
        let ids: Vec<i64> = [f.owner_id, f.ae_id, f.sponsor_id]
            .into_iter()
            .flatten()
            .map(|u| u.0)
            .collect();
        let people = if ids.is_empty() {
            Vec::new()
        } else {
            let sql = format!("{SELECT_USERS} WHERE id IN ({})", in_list(tx.backend(), ids.len()));
            let rows: Vec<UserRow> = on_tx!(&mut tx, |c| {
                let mut q = sqlx::query_as(&sql);
                for id in &ids {
                    q = q.bind(*id);
                }
                q.fetch_all(&mut *c).await?
            });
            rows.into_iter().map(User::try_from).collect::<Result<_>>()?
        };
        let parent_name: Option<String> = match f.parent_id {
            Some(parent) => {
                Query::sql("SELECT name FROM accounts WHERE id = $1")
                    .bind(parent.0)
                    .scalar_optional(&mut tx)
                    .await?
            }
            None => None,
        };
        let contacts = contacts_of_in(&mut tx, id).await?;
        let contracts = load_contracts(&mut tx, Which::Account(id)).await?;
        let entries = timeline_entries_in(&mut tx, id).await?;
        let timeline = assemble_timeline(&summary.account, &contracts, entries);
        let usage = usage_summary_in(&mut tx, id, today).await?;
        let health = account_health_in(&mut tx, id, today).await?;
        let problem = problem_in(&mut tx, id).await?;
        let experience = account_level_in(&mut tx, id).await?;
        Ok(Some(AccountView {
            summary,
            people,
            parent_name,
            contacts,
            contracts,
            timeline,
            usage,
            health,
            problem,
            experience,
        }))
    }
}
