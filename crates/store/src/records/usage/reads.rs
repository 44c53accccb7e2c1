//! What the usage views read: days, features, unmatched events and counts; and the stored
//! events themselves, for an export.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::AccountId;
use lodestar_domain::usage::{EventKey, Message};

use super::blocks;
use super::placement::Placement;
use crate::query::Query;
use crate::{Result, Store, StoreError};

/// One day of an account's activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct UsageDay {
    pub day: NaiveDate,
    pub events: i64,
    pub active_users: i64,
}

/// One day of one feature's use on an account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeatureDay {
    pub feature: String,
    pub day: NaiveDate,
    pub events: i64,
}

/// A stored message still waiting for its account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnmatchedEvent {
    pub message_id: String,
    pub kind: String,
    pub feature: Option<String>,
    pub user_key: String,
    pub group_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// How many messages are stored, and how many of them wait for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageCounts {
    pub events: i64,
    pub unmatched: i64,
}

/// Which stored events [`Store::each_stored_event`] hands over; the default takes them all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventSelection {
    /// Only the events on this account now (placed as a rebuild of the rollups places them:
    /// events still waiting for their account are on none).
    pub account: Option<AccountId>,
    /// Only events that happened on this day (UTC) or later.
    pub from: Option<NaiveDate>,
    /// Only events that happened on this day (UTC) or earlier.
    pub to: Option<NaiveDate>,
}

impl EventSelection {
    fn takes_day(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|from| day >= from) && self.to.is_none_or(|to| day <= to)
    }
}

impl Store {
    /// Hands each stored message that `selection` takes to `each`, in the order they arrived
    /// (batch after batch, each as it came), all read from one snapshot. Returns how many
    /// were handed over.
    pub async fn each_stored_event<E: From<StoreError>>(
        &self,
        selection: &EventSelection,
        mut each: impl FnMut(&Message) -> Result<(), E>,
    ) -> Result<u64, E> {
        let mut tx = self.begin_snapshot().await?;
        let placement = match selection.account {
            Some(_) => Some(Placement::read(&mut tx).await?),
            None => None,
        };
        let mut handed = 0;
        let mut after = 0;
        while let Some((id, body)) = blocks::next_block(&mut tx, after).await? {
            after = id;
            for record in blocks::decode(&body)? {
                if !selection.takes_day(record.occurred_at.date_naive()) {
                    continue;
                }
                let m = record.message()?;
                if let (Some(account), Some(placement)) = (selection.account, &placement)
                    && placement.account(&m) != Some(account.0)
                {
                    continue;
                }
                each(&m)?;
                handed += 1;
            }
        }
        Ok(handed)
    }

    /// Which of these messages are stored, each given by its messageId and its own time
    /// (`None` for a message that carried no `timestamp` or `originalTimestamp`): a message is
    /// known by both (see [`EventKey`]). Returns the ids of those stored.
    pub async fn stored_message_ids(&self, messages: &[(String, Option<DateTime<Utc>>)]) -> Result<HashSet<String>> {
        let mut tx = self.begin_snapshot().await?;
        let keys: Vec<EventKey> = messages.iter().map(|(id, at)| EventKey::of(id, *at)).collect();
        let found = blocks::stored_keys(&mut tx, &keys).await?;
        Ok(messages
            .iter()
            .zip(keys)
            .filter(|(_, k)| found.contains(k))
            .map(|((id, _), _)| id.clone())
            .collect())
    }

    /// The most recent `limit` messages waiting for an account.
    pub async fn unmatched_events(&self, limit: i64) -> Result<Vec<UnmatchedEvent>> {
        Query::sql(
            "SELECT message_id, kind, feature, user_key, group_id, occurred_at FROM usage_waiting \
             ORDER BY occurred_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all_on(self)
        .await
    }

    pub async fn usage_counts(&self) -> Result<UsageCounts> {
        let mut tx = self.begin_snapshot().await?;
        let events = blocks::stored_count(&mut tx).await?;
        let unmatched: i64 = Query::sql("SELECT COUNT(*) FROM usage_waiting")
            .scalar_one(&mut tx)
            .await?;
        Ok(UsageCounts { events, unmatched })
    }

    /// The account's activity per day from `from` to `to` (inclusive), days without activity left out.
    pub async fn usage_days(&self, account: AccountId, from: NaiveDate, to: NaiveDate) -> Result<Vec<UsageDay>> {
        Query::sql(
            "SELECT day, events, active_users FROM usage_account_days \
             WHERE account_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
        )
        .bind(account.0)
        .bind(from)
        .bind(to)
        .fetch_all_on(self)
        .await
    }

    /// The account's use of each feature per day from `from` to `to` (inclusive).
    pub async fn feature_days(&self, account: AccountId, from: NaiveDate, to: NaiveDate) -> Result<Vec<FeatureDay>> {
        Query::sql(
            "SELECT feature, day, events FROM usage_feature_days \
             WHERE account_id = $1 AND day >= $2 AND day <= $3 ORDER BY day, feature",
        )
        .bind(account.0)
        .bind(from)
        .bind(to)
        .fetch_all_on(self)
        .await
    }
}
