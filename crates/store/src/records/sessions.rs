//! Browser sessions and the sign-in failure log that throttles password guessing.

use chrono::{DateTime, Utc};
use lodestar_domain::UserId;
use lodestar_domain::text::Email;
use lodestar_domain::user::User;

use super::users::{SELECT_USERS, UserRow};
use crate::query::Query;
use crate::{Result, Store};

impl Store {
    /// The stored password hash of the user with this email, if any.
    pub async fn password_hash(&self, email: &Email) -> Result<Option<(User, Option<String>)>> {
        let Some(user) = self.user_by_email(email).await? else {
            return Ok(None);
        };
        let (hash,): (Option<String>,) = Query::sql("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_one_on(self)
            .await?;
        Ok(Some((user, hash)))
    }

    /// The users who have a password, i.e. who can sign in to the web UI.
    pub async fn users_with_password(&self) -> Result<std::collections::HashSet<UserId>> {
        let ids: Vec<(i64,)> = Query::sql("SELECT id FROM users WHERE password_hash IS NOT NULL")
            .fetch_all_on(self)
            .await?;
        Ok(ids.into_iter().map(|(id,)| UserId(id)).collect())
    }

    pub async fn create_session(&self, user: UserId, token_hash: &str, expires_at: DateTime<Utc>) -> Result<()> {
        Query::sql("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user)
            .bind(self.now())
            .bind(expires_at)
            .execute_on(self)
            .await?;
        Ok(())
    }

    /// The user of a live session, in one query: every signed-in page asks this first.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>> {
        let sql = format!(
            "{SELECT_USERS} WHERE id = (SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2)"
        );
        let row: Option<UserRow> = Query::sql(sql)
            .bind(token_hash)
            .bind(self.now())
            .fetch_optional_on(self)
            .await?;
        row.map(User::try_from).transpose()
    }

    /// Ends a session (sign-out). Ending an unknown session is not an error.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        Query::sql("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash)
            .bind(self.now())
            .execute_on(self)
            .await?;
        Ok(())
    }

    pub async fn record_sign_in_failure(&self, email: &str) -> Result<()> {
        Query::sql("INSERT INTO sign_in_failures (email, failed_at) VALUES ($1, $2)")
            .bind(email)
            .bind(self.now())
            .execute_on(self)
            .await?;
        Ok(())
    }

    /// How many sign-ins for `email` failed since `since`.
    pub async fn sign_in_failures_since(&self, email: &str, since: DateTime<Utc>) -> Result<i64> {
        let (failures,): (i64,) =
            Query::sql("SELECT COUNT(*) FROM sign_in_failures WHERE email = $1 AND failed_at > $2")
                .bind(email)
                .bind(since)
                .fetch_one_on(self)
                .await?;
        Ok(failures)
    }

    /// Forgets the failures of `email` after a successful sign-in.
    pub async fn clear_sign_in_failures(&self, email: &str) -> Result<()> {
        Query::sql("DELETE FROM sign_in_failures WHERE email = $1")
            .bind(email)
            .execute_on(self)
            .await?;
        Ok(())
    }
}
