//! API tokens: the store keeps a name, a role, a recognisable prefix and a hash of the secret.

use chrono::{DateTime, Utc};
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::Role;
use lodestar_domain::{TokenId, UserId};

use super::{parse, revoke};
use crate::query::Query;
use crate::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub name: String,
    pub role: Role,
    /// The user the token acts as; `None` for an integration token with its own role.
    pub user_id: Option<UserId>,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    role: String,
    user_id: Option<i64>,
    prefix: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

fn token(r: TokenRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: TokenId(r.id),
        name: r.name,
        role: parse("api_tokens.role", &r.role)?,
        user_id: r.user_id.map(UserId),
        prefix: r.prefix,
        created_at: r.created_at,
        revoked_at: r.revoked_at,
    })
}

const SELECT_TOKENS: &str = "SELECT id, name, role, user_id, prefix, created_at, revoked_at FROM api_tokens";

impl Store {
    /// Stores a new token; `hash` is the hex SHA-256 of the secret, which is never stored.
    pub async fn create_token(
        &self,
        name: &Name,
        role: Role,
        user: Option<UserId>,
        prefix: &str,
        hash: &str,
    ) -> Result<ApiToken> {
        let sql = "INSERT INTO api_tokens (name, role, user_id, prefix, token_hash, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, name, role, user_id, prefix, created_at, revoked_at";
        let row: TokenRow = Query::sql(sql)
            .bind(name.as_str())
            .bind(role.as_str())
            .bind(user.map(|u| u.0))
            .bind(prefix)
            .bind(hash)
            .bind(self.now())
            .fetch_one_on(self)
            .await?;
        token(row)
    }

    /// The role and user a live token acts with, in one query: a user's token carries the
    /// user's current role, an integration token its own.
    pub async fn token_actor(&self, hash: &str) -> Result<Option<(Role, Option<UserId>)>> {
        let row: Option<(String, Option<i64>, Option<String>)> = Query::sql(
            "SELECT t.role, t.user_id, u.role FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional_on(self)
        .await?;
        let Some((token_role, user, user_role)) = row else {
            return Ok(None);
        };
        let role = match (user, user_role) {
            (Some(_), Some(r)) => parse("users.role", &r)?,
            (Some(_), None) => return Ok(None),
            (None, _) => parse("api_tokens.role", &token_role)?,
        };
        Ok(Some((role, user.map(UserId))))
    }

    pub async fn tokens(&self) -> Result<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = Query::sql(SELECT_TOKENS)
            .push(" ORDER BY id")
            .fetch_all_on(self)
            .await?;
        rows.into_iter().map(token).collect()
    }

    /// Revokes a token at once; requests carrying it are refused from then on.
    pub async fn revoke_token(&self, id: TokenId) -> Result<()> {
        revoke(self, "api_tokens", "active token", id.0).await
    }
}
