//! Write keys: the credentials event sources send (as the HTTP Basic user name, as Segment
//! clients do). Like API tokens, only a hash of the key is stored.

use chrono::{DateTime, Utc};

use lodestar_domain::WriteKeyId;

use crate::query::Query;
use crate::records::revoke;
use crate::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteKey {
    pub id: WriteKeyId,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct WriteKeyRow {
    id: i64,
    name: String,
    prefix: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<WriteKeyRow> for WriteKey {
    fn from(r: WriteKeyRow) -> Self {
        WriteKey {
            id: WriteKeyId(r.id),
            name: r.name,
            prefix: r.prefix,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        }
    }
}

impl Store {
    /// Stores a new write key; `hash` is the hex SHA-256 of the key, which is never stored.
    pub async fn create_write_key(&self, name: &str, prefix: &str, hash: &str) -> Result<WriteKey> {
        let sql = "INSERT INTO write_keys (name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4) \
                   RETURNING id, name, prefix, created_at, revoked_at";
        let row: WriteKeyRow = Query::sql(sql)
            .bind(name)
            .bind(prefix)
            .bind(hash)
            .bind(self.now())
            .fetch_one_on(self)
            .await?;
        Ok(row.into())
    }

    /// Whether a live write key has this hash.
    pub async fn write_key_is_live(&self, hash: &str) -> Result<bool> {
        let found: Option<(i64,)> = Query::sql("SELECT id FROM write_keys WHERE key_hash = $1 AND revoked_at IS NULL")
            .bind(hash)
            .fetch_optional_on(self)
            .await?;
        Ok(found.is_some())
    }

    pub async fn write_keys(&self) -> Result<Vec<WriteKey>> {
        let rows: Vec<WriteKeyRow> =
            Query::sql("SELECT id, name, prefix, created_at, revoked_at FROM write_keys ORDER BY id")
                .fetch_all_on(self)
                .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Revokes a write key at once; sources sending it are refused from then on.
    pub async fn revoke_write_key(&self, id: WriteKeyId) -> Result<()> {
        revoke(self, "write_keys", "active write key", id.0).await
    }
}
