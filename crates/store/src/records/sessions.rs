//! Browser sessions and the sign-in failure log that throttles password guessing.

use chrono::{DateTime, Utc};
use lodestar_domain::UserId;
use lodestar_domain::text::Email;
use lodestar_domain::user::User;

use super::users::{SELECT_USERS, UserRow};
use crate::{Result, Store, on_pool};

impl Store {
    /// The stored password hash of the user with this email, if any.
    pub async fn password_hash(&self, email: &Email) -> Result<Option<(User, Option<String>)>> {
        let Some(user) = self.user_by_email(email).await? else {
            return Ok(None);
        };
        let hash: Option<String> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(user.id.0)
                .fetch_one(p)
                .await?
        });
        Ok(Some((user, hash)))
    }

    /// The users who have a password, i.e. who can sign in to the web UI.
    pub async fn users_with_password(&self) -> Result<std::collections::HashSet<UserId>> {
        let ids: Vec<i64> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT id FROM users WHERE password_hash IS NOT NULL")
                .fetch_all(p)
                .await?
        });
        Ok(ids.into_iter().map(UserId).collect())
    }

    pub async fn create_session(&self, user: UserId, token_hash: &str, expires_at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, |p| {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(token_hash)
                .bind(user.0)
                .bind(self.now())
                .bind(expires_at)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// The user of a live session, in one query: every signed-in page asks this first.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>> {
        let sql = format!(
            "{SELECT_USERS} WHERE id = (SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2)"
        );
        let row: Option<UserRow> = on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(token_hash)
            .bind(self.now())
            .fetch_optional(p)
            .await?);
        row.map(User::try_from).transpose()
    }

    /// Ends a session (sign-out). Ending an unknown session is not an error.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, |p| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
                .bind(token_hash)
                .bind(self.now())
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    pub async fn record_sign_in_failure(&self, email: &str) -> Result<()> {
        on_pool!(self, |p| {
            sqlx::query("INSERT INTO sign_in_failures (email, failed_at) VALUES ($1, $2)")
                .bind(email)
                .bind(self.now())
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// How many sign-ins for `email` failed since `since`.
    pub async fn sign_in_failures_since(&self, email: &str, since: DateTime<Utc>) -> Result<i64> {
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_failures WHERE email = $1 AND failed_at > $2")
                .bind(email)
                .bind(since)
                .fetch_one(p)
                .await?
        }))
    }

    /// Forgets the failures of `email` after a successful sign-in.
    pub async fn clear_sign_in_failures(&self, email: &str) -> Result<()> {
        on_pool!(self, |p| {
            sqlx::query("DELETE FROM sign_in_failures WHERE email = $1")
                .bind(email)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }
}
