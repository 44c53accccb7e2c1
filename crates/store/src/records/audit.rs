//! The audit log: who did what to credentials, people, settings and important records, from
//! where and when. Rows are only ever inserted — the database refuses UPDATE and DELETE on the
//! table (migration 12) — and they name users and records as text, so deleting either keeps
//! the history.

use chrono::{DateTime, Utc};
use lodestar_domain::UserId;
use lodestar_domain::vocabulary::AuditKind;

use super::parse;
use crate::query::Query;
use crate::{Backend, Result, Store, Tx};

/// Who acted: a person (by id, shown by email), an API token, or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditActor {
    pub user_id: Option<UserId>,
    /// How the actor is shown: an email, `token "name" (#3)`, `command line`.
    pub label: String,
}

impl AuditActor {
    /// Someone at the command line, named by the operating-system user when it is known.
    pub fn command_line() -> AuditActor {
        let who = std::env::var("USER").ok().filter(|u| !u.is_empty());
        AuditActor {
            user_id: None,
            label: who.map_or_else(|| "command line".to_owned(), |u| format!("command line ({u})")),
        }
    }
}

/// One thing to record. `client` is the request's client address (none at the command line).
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    pub actor: &'a AuditActor,
    pub client: Option<&'a str>,
    pub kind: AuditKind,
    /// The record acted on (`user 7`, `account 12`), when there is one.
    pub subject: Option<String>,
    /// What happened, in words: "role csm → leader", "5 accounts exported".
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<UserId>,
    pub actor: String,
    pub client: Option<String>,
    pub kind: AuditKind,
    pub subject: Option<String>,
    pub detail: String,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor_user_id: Option<i64>,
    actor: String,
    client: Option<String>,
    kind: String,
    subject: Option<String>,
    detail: String,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = crate::StoreError;
    fn try_from(r: AuditRow) -> Result<AuditEntry> {
        Ok(AuditEntry {
            id: r.id,
            at: r.at,
            actor_user_id: r.actor_user_id.map(UserId),
            actor: r.actor,
            client: r.client,
            kind: parse("audit_log.kind", &r.kind)?,
            subject: r.subject,
            detail: r.detail,
        })
    }
}

/// Which entries to read: all filters are optional and combine with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    pub kind: Option<AuditKind>,
    pub from: Option<DateTime<Utc>>,
    /// Entries strictly before this time.
    pub to: Option<DateTime<Utc>>,
    /// Paging newest first: entries with a smaller id than this (the last of the page before).
    pub before_id: Option<i64>,
    /// Paging oldest first: entries with a larger id than this.
    pub after_id: Option<i64>,
    /// Oldest first (exports) instead of newest first (pages).
    pub oldest_first: bool,
}

fn insert(record: &AuditRecord<'_>, at: DateTime<Utc>) -> Query {
    Query::sql(
        "INSERT INTO audit_log (at, actor_user_id, actor, client, kind, subject, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(at)
    .bind(record.actor.user_id)
    .bind(record.actor.label.as_str())
    .bind(record.client)
    .bind(record.kind.as_str())
    .bind(record.subject.as_deref())
    .bind(record.detail.as_str())
}

/// Makes the database refuse UPDATE and DELETE on the audit log (and TRUNCATE on PostgreSQL):
/// the two backends spell a trigger differently.
pub(crate) async fn refuse_changes(tx: &mut Tx) -> Result<()> {
    let statements: &[&str] = match tx.backend() {
        Backend::Sqlite => &[
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$",
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log \
             FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
        ],
    };
    for statement in statements {
        Query::sql(*statement).execute(tx).await?;
    }
    Ok(())
}

impl Store {
    /// Records `record` on its own (sign-ins, exports: actions that change nothing else).
    pub async fn audit(&self, record: &AuditRecord<'_>) -> Result<()> {
        insert(record, self.now()).execute_on(self).await?;
        Ok(())
    }

    /// Up to `limit` entries matching `filter`, newest first unless it says otherwise.
    pub async fn audit_entries(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut conditions = Vec::new();
        if let Some(actor) = filter.actor {
            conditions.push(Query::sql("actor_user_id = ").value(actor));
        }
        if let Some(kind) = filter.kind {
            conditions.push(Query::sql("kind = ").value(kind.as_str()));
        }
        if let Some(from) = filter.from {
            conditions.push(Query::sql("at >= ").value(from));
        }
        if let Some(to) = filter.to {
            conditions.push(Query::sql("at < ").value(to));
        }
        if let Some(before) = filter.before_id {
            conditions.push(Query::sql("id < ").value(before));
        }
        if let Some(after) = filter.after_id {
            conditions.push(Query::sql("id > ").value(after));
        }
        let order = if filter.oldest_first {
            " ORDER BY id LIMIT "
        } else {
            " ORDER BY id DESC LIMIT "
        };
        let rows: Vec<AuditRow> =
            Query::sql("SELECT id, at, actor_user_id, actor, client, kind, subject, detail FROM audit_log")
                .where_all(conditions)
                .push(order)
                .value(i64::from(limit))
                .fetch_all_on(self)
                .await?;
        rows.into_iter().map(AuditEntry::try_from).collect()
    }
}
