//! Demo executive sponsors (F-42): the accounts of the sponsor programme (the top fifth by
//! ARR) without a sponsor of ours got one half a year ago; a few changed sponsor since, one
//! twice; the last four have none (a sponsor they had is removed a month ago) — so the
//! programme page shows gaps and changes. (Contacts' titles, which
//! coverage reads, come with the demo's contacts.)

use chrono::Duration;
use lodestar_domain::vocabulary::Role;
use lodestar_domain::{AccountId, UserId};
use lodestar_store::Store;

use super::clock_on;

/// Programme accounts left without a sponsor.
const UNSPONSORED: usize = 4;

async fn set_sponsor(store: &Store, account: AccountId, sponsor: Option<UserId>) -> anyhow::Result<()> {
    let Some(found) = store.account(account).await? else {
        return Ok(());
    };
    let mut fields = found.fields;
    fields.sponsor_id = sponsor;
    store
        .update_account(account, fields.validate(Some(account))?, None)
        .await?;
    Ok(())
}

/// Returns how many sponsor changes it recorded.
pub async fn load(store: &Store) -> anyhow::Result<usize> {
    let today = store.today();
    let sponsors: Vec<UserId> = store
        .users()
        .await?
        .into_iter()
        .filter(|u| matches!(u.fields.role, Role::Executive | Role::Leader))
        .map(|u| u.id)
        .collect();
    if sponsors.is_empty() {
        return Ok(0);
    }
    let programme = store.sponsor_programme().await?;
    let ids: Vec<AccountId> = programme.accounts.iter().map(|a| a.account_id).collect();
    let sponsored = ids.len().saturating_sub(UNSPONSORED);
    let mut changes = 0;
    let then = store.with_clock(clock_on(today - Duration::days(180)));
    for (i, a) in programme.accounts.iter().take(sponsored).enumerate() {
        if a.sponsor.is_none() {
            set_sponsor(&then, a.account_id, Some(sponsors[i % sponsors.len()])).await?;
            changes += 1;
        }
    }
    // The last few lost theirs a month ago (the sponsor moved on) and have none since.
    let month_ago = store.with_clock(clock_on(today - Duration::days(30)));
    for account in ids.iter().skip(sponsored) {
        set_sponsor(&month_ago, *account, None).await?;
        changes += 1;
    }
    // Every fifth sponsored account changed sponsor two months ago; the first one again last week.
    let later = store.with_clock(clock_on(today - Duration::days(60)));
    for (i, account) in ids.iter().take(sponsored).enumerate().step_by(5) {
        set_sponsor(&later, *account, Some(sponsors[(i + 1) % sponsors.len()])).await?;
        changes += 1;
    }
    if let Some(first) = ids.first() {
        let last_week = store.with_clock(clock_on(today - Duration::days(7)));
        set_sponsor(&last_week, *first, Some(sponsors[2 % sponsors.len()])).await?;
        changes += 1;
    }
    Ok(changes)
}
