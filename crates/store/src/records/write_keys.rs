//! Write keys: the credentials event sources send (as the HTTP Basic user name, as Segment
//! clients do). Like API tokens, only a hash of the key is stored.

use chrono::{DateTime, Utc};

use super::revoke;
use crate::{Result, Store, on_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WriteKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Stores a new write key; `hash` is the hex SHA-256 of the key, which is never stored.
    pub async fn create_write_key(&self, name: &str, prefix: &str, hash: &str) -> Result<WriteKey> {
        let sql = "INSERT INTO write_keys (name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4) \
                   RETURNING id, name, prefix, created_at, revoked_at";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(name)
            .bind(prefix)
            .bind(hash)
            .bind(self.now())
            .fetch_one(p)
            .await?))
    }

    /// Whether a live write key has this hash.
    pub async fn write_key_is_live(&self, hash: &str) -> Result<bool> {
        let found: Option<i64> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT id FROM write_keys WHERE key_hash = $1 AND revoked_at IS NULL")
                .bind(hash)
                .fetch_optional(p)
                .await?
        });
        Ok(found.is_some())
    }

    pub async fn write_keys(&self) -> Result<Vec<WriteKey>> {
        Ok(on_pool!(self, |p| sqlx::query_as(
            "SELECT id, name, prefix, created_at, revoked_at FROM write_keys ORDER BY id"
        )
        .fetch_all(p)
        .await?))
    }

    /// Revokes a write key at once; sources sending it are refused from then on.
    pub async fn revoke_write_key(&self, id: i64) -> Result<()> {
        revoke(self, "write_keys", "active write key", id).await
    }
}
