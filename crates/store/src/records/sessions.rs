//! Browser sessions, the sign-in attempts that throttle password guessing, and deactivation.

use chrono::{DateTime, Duration, Utc};
use lodestar_domain::UserId;
use lodestar_domain::text::Email;
use lodestar_domain::user::User;

use super::users::{SELECT_USERS, UserRow};
use crate::query::Query;
use crate::{Backend, Result, Store, StoreError, on_tx};

/// How long sessions live: `lifetime` after sign-in at most, and `idle` after their last use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub lifetime: Duration,
    pub idle: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            lifetime: Duration::hours(12),
            idle: Duration::hours(2),
        }
    }
}

/// A session is marked as used at most this often: a page load reads the session, and only
/// one in a while writes.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// How many sign-in failures are allowed within `window`, per typed email and per client
/// address (higher: one office shares an address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    pub window: Duration,
    pub per_email: i64,
    pub per_client: i64,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            window: Duration::minutes(15),
            per_email: 5,
            per_client: 30,
        }
    }
}

/// A sign-in attempt that may go ahead: until [`Store::sign_in_succeeded`] it counts as a
/// failure, so attempts made in parallel all see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInAttempt(i64);

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    last_seen_at: DateTime<Utc>,
    flash: Option<String>,
}

/// The person of a live session, and the message left for this page load (taken: the next
/// load sees none).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionUser {
    pub user: User,
    pub flash: Option<String>,
}

impl Store {
    /// The stored password hash of the active user with this email, if any. A deactivated
    /// user has none: their sign-in fails like a wrong password.
    pub async fn password_hash(&self, email: &Email) -> Result<Option<(User, Option<String>)>> {
        let Some(user) = self.user_by_email(email).await? else {
            return Ok(None);
        };
        let hash: Option<String> =
            Query::sql("SELECT password_hash FROM users WHERE id = $1 AND deactivated_at IS NULL")
                .bind(user.id)
                .scalar_optional_on(self)
                .await?
                .flatten();
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
        let now = self.now();
        Query::sql(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user)
        .bind(now)
        .bind(expires_at)
        .bind(now)
        .execute_on(self)
        .await?;
        Ok(())
    }

    /// The active user of a live session — neither expired nor idle longer than `idle` — in
    /// one query: every signed-in page asks this first. Using a session keeps it alive; a
    /// flash message is handed over once.
    pub async fn session_user(&self, token_hash: &str, idle: Duration) -> Result<Option<SessionUser>> {
        let now = self.now();
        let sql = format!(
            "SELECT u.*, s.last_seen_at, s.flash FROM ({SELECT_USERS} WHERE deactivated_at IS NULL) u \
             JOIN sessions s ON s.user_id = u.id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3"
        );
        let row: Option<SessionUserRow> = Query::sql(sql)
            .bind(token_hash)
            .bind(now)
            .bind(now - idle)
            .fetch_optional_on(self)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        if row.last_seen_at < now - TOUCH_EVERY || row.flash.is_some() {
            Query::sql("UPDATE sessions SET last_seen_at = $1, flash = NULL WHERE token_hash = $2")
                .bind(now)
                .bind(token_hash)
                .execute_on(self)
                .await?;
        }
        Ok(Some(SessionUser {
            user: User::try_from(row.user)?,
            flash: row.flash,
        }))
    }

    /// Leaves `message` for the session's next page.
    pub async fn set_flash(&self, token_hash: &str, message: &str) -> Result<()> {
        Query::sql("UPDATE sessions SET flash = $1 WHERE token_hash = $2")
            .bind(message)
            .bind(token_hash)
            .execute_on(self)
            .await?;
        Ok(())
    }

    /// Ends a session (sign-out), and any that have expired. Ending an unknown session is not
    /// an error.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        Query::sql("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash)
            .bind(self.now())
            .execute_on(self)
            .await?;
        Ok(())
    }

    /// Ends every session of `user` except the one with `keep` (the browser that changed
    /// its password stays signed in). Returns how many ended.
    pub async fn end_sessions(&self, user: UserId, keep: Option<&str>) -> Result<u64> {
        Query::sql("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user)
            .bind(keep.unwrap_or(""))
            .execute_on(self)
            .await
    }

    /// Starts a sign-in attempt for the typed `email` from `client`, unless either has had
    /// too many failures within the window. Counting and recording the attempt are one
    /// serialised step, so forty guesses sent at once cannot all be checked before the fifth
    /// failure is seen. Old attempts are pruned on the way.
    pub async fn begin_sign_in(
        &self,
        email: &str,
        client: Option<&str>,
        limits: SignInLimits,
    ) -> Result<Option<SignInAttempt>> {
        let mut tx = self.begin_write().await?;
        if tx.backend() == Backend::Postgres {
            // SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs a lock,
            // held until commit. The key is arbitrary but fixed.
            on_tx!(&mut tx, |c| {
                sqlx::query("SELECT pg_advisory_xact_lock(7171717171)")
                    .execute(&mut *c)
                    .await?;
            });
        }
        let now = tx.now();
        let since = now - limits.window;
        Query::sql("DELETE FROM sign_in_failures WHERE failed_at <= $1")
            .bind(since)
            .execute(&mut tx)
            .await?;
        let by_email: i64 = Query::sql("SELECT COUNT(*) FROM sign_in_failures WHERE email = $1")
            .bind(email)
            .scalar_one(&mut tx)
            .await?;
        let by_client: i64 = match client {
            Some(client) => {
                Query::sql("SELECT COUNT(*) FROM sign_in_failures WHERE client = $1")
                    .bind(client)
                    .scalar_one(&mut tx)
                    .await?
            }
            None => 0,
        };
        if by_email >= limits.per_email || by_client >= limits.per_client {
            return Ok(None);
        }
        let id: i64 =
            Query::sql("INSERT INTO sign_in_failures (email, client, failed_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(email)
                .bind(client)
                .bind(now)
                .scalar_one(&mut tx)
                .await?;
        tx.commit().await?;
        Ok(Some(SignInAttempt(id)))
    }

    /// The attempt was right: it and the earlier failures of `email` are forgotten.
    pub async fn sign_in_succeeded(&self, attempt: SignInAttempt, email: &str) -> Result<()> {
        Query::sql("DELETE FROM sign_in_failures WHERE id = $1 OR email = $2")
            .bind(attempt.0)
            .bind(email)
            .execute_on(self)
            .await?;
        Ok(())
    }

    /// Deactivates or reactivates a user. Deactivating ends their sessions at once; their
    /// tokens stop working because token checks read this column.
    pub async fn set_user_active(&self, user: UserId, active: bool) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let at = if active { None } else { Some(tx.now()) };
        let changed = Query::sql("UPDATE users SET deactivated_at = $1, updated_at = $2 WHERE id = $3")
            .bind(at)
            .bind(tx.now())
            .bind(user)
            .execute(&mut tx)
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                key: user.to_string(),
            });
        }
        if !active {
            Query::sql("DELETE FROM sessions WHERE user_id = $1")
                .bind(user)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The users who are deactivated.
    pub async fn deactivated_users(&self) -> Result<std::collections::HashSet<UserId>> {
        let ids: Vec<(i64,)> = Query::sql("SELECT id FROM users WHERE deactivated_at IS NOT NULL")
            .fetch_all_on(self)
            .await?;
        Ok(ids.into_iter().map(|(id,)| UserId(id)).collect())
    }
}
