//! Private calendar feeds: a secret URL per user (their meetings) and per account (its
//! meetings) that calendar programs poll. At most one live feed per owner; making a new one
//! ends the old URL, and revoking ends it for good.

use chrono::{DateTime, Utc};
use lodestar_domain::{AccountId, CalendarFeedId, UserId};

use crate::query::Query;
use crate::{Result, Store, Tx};

/// Whose meetings a feed carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedOwner {
    User(UserId),
    Account(AccountId),
}

impl FeedOwner {
    fn condition(self) -> Query {
        match self {
            FeedOwner::User(u) => Query::sql("user_id = ").value(u.0),
            FeedOwner::Account(a) => Query::sql("account_id = ").value(a.0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFeed {
    pub id: CalendarFeedId,
    pub owner: FeedOwner,
    /// The secret part of the feed's URL.
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

type FeedRow = (i64, Option<i64>, Option<i64>, String, DateTime<Utc>);

fn feed_of((id, user, account, secret, created_at): FeedRow) -> Option<CalendarFeed> {
    let owner = match (user, account) {
        (Some(u), _) => FeedOwner::User(UserId(u)),
        (None, Some(a)) => FeedOwner::Account(AccountId(a)),
        (None, None) => return None,
    };
    Some(CalendarFeed {
        id: CalendarFeedId(id),
        owner,
        secret,
        created_at,
    })
}

const SELECT_FEEDS: &str = "SELECT id, user_id, account_id, secret, created_at FROM calendar_feeds";

async fn revoke_in(tx: &mut Tx, owner: FeedOwner) -> Result<u64> {
    let now = tx.now();
    Query::sql("UPDATE calendar_feeds SET revoked_at = ")
        .value(now)
        .push(" WHERE revoked_at IS NULL AND ")
        .append(owner.condition())
        .execute(tx)
        .await
}

impl Store {
    /// The owner's live feed, if it has one.
    pub async fn calendar_feed(&self, owner: FeedOwner) -> Result<Option<CalendarFeed>> {
        let row: Option<FeedRow> = Query::sql(SELECT_FEEDS)
            .where_all(vec![Query::sql("revoked_at IS NULL"), owner.condition()])
            .fetch_optional_on(self)
            .await?;
        Ok(row.and_then(feed_of))
    }

    /// Gives `owner` a new feed at `secret`, ending the URL of the one it had.
    pub async fn renew_calendar_feed(&self, owner: FeedOwner, secret: &str) -> Result<CalendarFeed> {
        let mut tx = self.begin_write().await?;
        revoke_in(&mut tx, owner).await?;
        let (user, account) = match owner {
            FeedOwner::User(u) => (Some(u.0), None),
            FeedOwner::Account(a) => (None, Some(a.0)),
        };
        let now = tx.now();
        let id: i64 = Query::sql(
            "INSERT INTO calendar_feeds (user_id, account_id, secret, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user)
        .bind(account)
        .bind(secret)
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(CalendarFeed {
            id: CalendarFeedId(id),
            owner,
            secret: secret.to_owned(),
            created_at: now,
        })
    }

    /// Ends `owner`'s feed; whether it had one.
    pub async fn revoke_calendar_feed(&self, owner: FeedOwner) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let revoked = revoke_in(&mut tx, owner).await?;
        tx.commit().await?;
        Ok(revoked > 0)
    }

    /// The live feed at `secret`; none for an unknown or revoked one (and a deactivated
    /// user's feed ends with their access).
    pub async fn calendar_feed_at(&self, secret: &str) -> Result<Option<CalendarFeed>> {
        let row: Option<FeedRow> = Query::sql(
            "SELECT f.id, f.user_id, f.account_id, f.secret, f.created_at FROM calendar_feeds f \
             LEFT JOIN users u ON u.id = f.user_id \
             WHERE f.secret = $1 AND f.revoked_at IS NULL AND u.deactivated_at IS NULL",
        )
        .bind(secret)
        .fetch_optional_on(self)
        .await?;
        Ok(row.and_then(feed_of))
    }
}
