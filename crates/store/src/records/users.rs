//! The team (F-04).

use std::collections::HashMap;

use lodestar_domain::account::creates_cycle;
use lodestar_domain::text::Email;
use lodestar_domain::user::{User, UserFields};
use lodestar_domain::vocabulary::Role;
use lodestar_domain::{Invalid, UserId, Valid};

use super::{UpsertSummary, existing_keys, parse, to_u32, upsert_by_key};
use crate::bulk::Value;
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// A user to create or update by email. The manager is named by email so a file can list a
/// manager after the people they manage.
#[derive(Debug, Clone)]
pub struct UserUpsert {
    pub fields: Valid<UserFields>,
    pub manager_email: Option<Email>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    manager_id: Option<i64>,
    capacity: Option<i64>,
    time_zone: String,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<User> {
        Ok(User {
            id: UserId(r.id),
            fields: UserFields {
                email: parse("users.email", &r.email)?,
                name: parse("users.name", &r.name)?,
                role: parse("users.role", &r.role)?,
                manager_id: r.manager_id.map(UserId),
                capacity: to_u32("users.capacity", r.capacity)?,
            },
            time_zone: parse("users.time_zone", &r.time_zone)?,
        })
    }
}

pub(crate) const SELECT_USERS: &str = "SELECT id, email, name, role, manager_id, capacity, time_zone FROM users";

pub(crate) const USER_COLUMNS: &[&str] = &["email", "name", "role", "manager_id", "capacity"];

pub(crate) fn user_values(f: &UserFields) -> Vec<Value> {
    vec![
        f.email.as_str().into(),
        f.name.as_str().into(),
        f.role.as_str().into(),
        f.manager_id.map(|m| m.0).into(),
        f.capacity.map(i64::from).into(),
    ]
}

impl Store {
    /// Creates one user; refuses an email that is already taken.
    pub async fn create_user(&self, fields: Valid<UserFields>) -> Result<User> {
        let email = fields.email.clone();
        let mut tx = self.begin_write().await?;
        if !existing_keys(&mut tx, "users", "email", &[email.to_string()])
            .await?
            .is_empty()
        {
            return Err(StoreError::Conflict(format!(
                "a user with email {email} already exists"
            )));
        }
        self.write_users(
            &mut tx,
            vec![UserUpsert {
                fields,
                manager_email: None,
            }],
        )
        .await?;
        tx.commit().await?;
        self.user_by_email(&email).await?.ok_or(StoreError::NotFound {
            what: "user",
            key: email.to_string(),
        })
    }

    /// Replaces every field of a user (their email too, if no one else has it).
    pub async fn update_user(&self, id: UserId, fields: Valid<UserFields>) -> Result<User> {
        let mut tx = self.begin_write().await?;
        let current: Option<(String,)> = Query::sql("SELECT email FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut tx)
            .await?;
        let current = current.map(|(email,)| email);
        let current = current.ok_or(StoreError::NotFound {
            what: "user",
            key: id.to_string(),
        })?;
        let email = fields.email.to_string();
        if email != current {
            if !existing_keys(&mut tx, "users", "email", std::slice::from_ref(&email))
                .await?
                .is_empty()
            {
                return Err(StoreError::Conflict(format!(
                    "a user with email {email} already exists"
                )));
            }
            Query::sql("UPDATE users SET email = $1 WHERE id = $2")
                .bind(email.as_str())
                .bind(id)
                .execute(&mut tx)
                .await?;
        }
        if fields.manager_id == Some(id) {
            return Err(Invalid::field("manager_id", "a person cannot be their own manager").into());
        }
        self.write_users(
            &mut tx,
            vec![UserUpsert {
                fields,
                manager_email: None,
            }],
        )
        .await?;
        tx.commit().await?;
        self.user(id).await?.ok_or(StoreError::NotFound {
            what: "user",
            key: id.to_string(),
        })
    }

    /// Removes a user. Someone who still owns, sells or sponsors accounts, manages people or
    /// owns LxL action items cannot be removed until those are handed over (or the person is
    /// deactivated instead, which keeps everything they own).
    pub async fn delete_user(&self, id: UserId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let (ties,): (i64,) = Query::sql(
            "SELECT (SELECT COUNT(*) FROM accounts WHERE owner_id = $1 OR ae_id = $1 OR sponsor_id = $1) \
                  + (SELECT COUNT(*) FROM users WHERE manager_id = $1)",
        )
        .bind(id)
        .fetch_one(&mut tx)
        .await?;
        if ties > 0 {
            return Err(StoreError::Conflict(format!(
                "user {id} still owns, sells or sponsors accounts or manages people ({ties}); hand them over first"
            )));
        }
        let items: Vec<(i64, String)> =
            Query::sql("SELECT id, description FROM promises WHERE owner_user_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&mut tx)
                .await?;
        if !items.is_empty() {
            const NAMED: usize = 5;
            let mut named: Vec<String> = items
                .iter()
                .take(NAMED)
                .map(|(item, text)| format!("#{item} \"{}\"", text.chars().take(60).collect::<String>()))
                .collect();
            if items.len() > NAMED {
                named.push(format!("and {} more", items.len() - NAMED));
            }
            return Err(StoreError::Conflict(format!(
                "user {id} owns {} promise(s): {}; give them to someone else or deactivate the user instead",
                items.len(),
                named.join(", ")
            )));
        }
        super::delete_by_id(&mut tx, "users", "user", id.0).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates or updates users by email, in one transaction.
    pub async fn upsert_users(&self, users: Vec<UserUpsert>) -> Result<UpsertSummary> {
        let mut tx = self.begin_write().await?;
        let summary = self.write_users(&mut tx, users).await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn write_users(&self, tx: &mut Tx, users: Vec<UserUpsert>) -> Result<UpsertSummary> {
        let emails: Vec<String> = users.iter().map(|u| u.fields.email.to_string()).collect();
        let existing = existing_keys(tx, "users", "email", &emails).await?;
        let rows = users.iter().map(|u| user_values(&u.fields)).collect();
        upsert_by_key(tx, "users", USER_COLUMNS, rows).await?;

        let people: Vec<(i64, String, Option<i64>)> = Query::sql("SELECT id, email, manager_id FROM users")
            .fetch_all(tx)
            .await?;
        let id_of: HashMap<&str, i64> = people.iter().map(|(id, e, _)| (e.as_str(), *id)).collect();
        let mut manager_of: HashMap<i64, i64> = people.iter().filter_map(|(id, _, m)| Some((*id, (*m)?))).collect();
        for u in users.iter() {
            let Some(manager) = &u.manager_email else {
                continue;
            };
            let me = id_of[u.fields.email.as_str()];
            let manager_id = *id_of
                .get(manager.as_str())
                .ok_or_else(|| Invalid::field("manager_id", format!("no user has the email {manager}")))?;
            manager_of.insert(me, manager_id);
            Query::sql("UPDATE users SET manager_id = $1 WHERE id = $2")
                .bind(manager_id)
                .bind(me)
                .execute(tx)
                .await?;
        }
        for u in &users {
            let me = id_of[u.fields.email.as_str()];
            if let Some(&manager) = manager_of.get(&me) {
                let without_me = |id: i64| {
                    if id == me { None } else { manager_of.get(&id).copied() }
                };
                if !id_of.values().any(|&id| id == manager) {
                    return Err(Invalid::field("manager_id", format!("user {manager} does not exist")).into());
                }
                if creates_cycle(me, manager, without_me) {
                    return Err(Invalid::field(
                        "manager_id",
                        format!(
                            "{} would end up managing themselves through the reporting chain",
                            u.fields.email
                        ),
                    )
                    .into());
                }
            }
        }
        Ok(UpsertSummary::of(&emails, |k| existing.contains(k), 0))
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        let sql = format!("{SELECT_USERS} WHERE id = $1");
        let row: Option<UserRow> = Query::sql(sql).bind(id).fetch_optional_on(self).await?;
        row.map(User::try_from).transpose()
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>> {
        let sql = format!("{SELECT_USERS} WHERE email = $1");
        let row: Option<UserRow> = Query::sql(sql).bind(email.as_str()).fetch_optional_on(self).await?;
        row.map(User::try_from).transpose()
    }

    /// The users with these ids (in no particular order); unknown ids are skipped.
    pub async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<UserRow> = Query::sql(format!("{SELECT_USERS} WHERE id IN ("))
                .list(chunk.iter().copied())
                .push(")")
                .fetch_all_on(self)
                .await?;
            for r in rows {
                out.push(User::try_from(r)?);
            }
        }
        Ok(out)
    }

    /// Each owner's book: (owner, number of accounts, total ARR in cents).
    pub async fn books(&self) -> Result<Vec<(UserId, i64, i64)>> {
        let rows: Vec<(i64, i64, i64)> = Query::sql(
            "SELECT owner_id, COUNT(*), CAST(COALESCE(SUM(arr_cents), 0) AS BIGINT) FROM accounts \
             WHERE owner_id IS NOT NULL GROUP BY owner_id",
        )
        .fetch_all_on(self)
        .await?;
        Ok(rows.into_iter().map(|(u, n, arr)| (UserId(u), n, arr)).collect())
    }

    /// Every user, ordered by email.
    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("{SELECT_USERS} ");
        let mut rows: Vec<UserRow> = Query::sql(sql).fetch_all_on(self).await?;
        // Sorted here, not in SQL: byte order is the same on both backends whatever the
        // PostgreSQL collation, so exports of equal data are equal files.
        rows.sort_by(|a, b| a.email.cmp(&b.email));
        rows.into_iter().map(User::try_from).collect()
    }

    /// Stores a password hash (argon2id PHC string) for sign-in.
    pub async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<()> {
        let done = Query::sql("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(self.now())
            .bind(id)
            .execute_on(self)
            .await?;
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                key: id.to_string(),
            });
        }
        Ok(())
    }

    /// The role of every user, for checking who may hold which account slot.
    pub(crate) async fn roles(tx: &mut Tx) -> Result<HashMap<UserId, (String, Role)>> {
        let rows: Vec<(i64, String, String)> = Query::sql("SELECT id, email, role FROM users").fetch_all(tx).await?;
        rows.into_iter()
            .map(|(id, email, role)| Ok((UserId(id), (email, parse("users.role", &role)?))))
            .collect()
    }
}
