//! API tokens: the store keeps a name, a role, a recognisable prefix and a hash of the secret.

use chrono::{DateTime, Utc};
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::{Role, TokenScope};
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
    pub scope: TokenScope,
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
    scope: String,
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
        scope: parse("api_tokens.scope", &r.scope)?,
        prefix: r.prefix,
        created_at: r.created_at,
        revoked_at: r.revoked_at,
    })
}

const TOKEN_COLUMNS: &str = "id, name, role, user_id, scope, prefix, created_at, revoked_at";

/// Whom a live token acts for, and how it is shown in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCaller {
    pub token: TokenId,
    pub name: String,
    pub scope: TokenScope,
    /// The user's current role for a user's token, the token's own for an integration.
    pub role: Role,
    pub user: Option<UserId>,
    /// The user's email, for a user's token.
    pub email: Option<String>,
}

impl Store {
    /// Stores a new token; `hash` is the hex SHA-256 of the secret, which is never stored.
    pub async fn create_token(
        &self,
        name: &Name,
        role: Role,
        user: Option<UserId>,
        scope: TokenScope,
        prefix: &str,
        hash: &str,
    ) -> Result<ApiToken> {
        let sql = format!(
            "INSERT INTO api_tokens (name, role, user_id, scope, prefix, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {TOKEN_COLUMNS}"
        );
        let row: TokenRow = Query::sql(sql)
            .bind(name.as_str())
            .bind(role.as_str())
            .bind(user.map(|u| u.0))
            .bind(scope.as_str())
            .bind(prefix)
            .bind(hash)
            .bind(self.now())
            .fetch_one_on(self)
            .await?;
        token(row)
    }

    /// Whom a live token acts for, in one query: a user's token carries the user's current
    /// role, an integration token its own. A deactivated user's tokens act for no one.
    pub async fn token_caller(&self, hash: &str) -> Result<Option<TokenCaller>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            name: String,
            scope: String,
            role: String,
            user_id: Option<i64>,
            user_role: Option<String>,
            email: Option<String>,
        }
        let row: Option<Row> = Query::sql(
            "SELECT t.id, t.name, t.scope, t.role, t.user_id, u.role AS user_role, u.email FROM api_tokens t \
             LEFT JOIN users u ON u.id = t.user_id AND u.deactivated_at IS NULL \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional_on(self)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let role = match (row.user_id, &row.user_role) {
            (Some(_), Some(r)) => parse("users.role", r)?,
            (Some(_), None) => return Ok(None),
            (None, _) => parse("api_tokens.role", &row.role)?,
        };
        Ok(Some(TokenCaller {
            token: TokenId(row.id),
            name: row.name,
            scope: parse("api_tokens.scope", &row.scope)?,
            role,
            user: row.user_id.map(UserId),
            email: row.email,
        }))
    }

    pub async fn tokens(&self) -> Result<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = Query::sql(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens"))
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
