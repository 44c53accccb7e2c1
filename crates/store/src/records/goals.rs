//! Goals and value (F-30): an account's goals, the ecosystem each needs with its ratings, and
//! the value received over time (appended, never changed; the latest entry is the current
//! value). Goal changes and ratings are written on the account's timeline as they happen;
//! goals set and value received are read into it from their own tables.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lodestar_domain::goal::{GoalFields, PartFields, PartRating, ValueReceived};
use lodestar_domain::health::Severity;
use lodestar_domain::text::{Label, Name, Note};
use lodestar_domain::{AccountId, GoalId, GoalPartId, UserId, Valid};

use super::timeline::{TimelineEntry, TimelineKind, record};
use super::{parse, parse_opt, stored_note};
use crate::bulk::{Value, insert_rows};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// A part of a goal's ecosystem as it is added: rated at once, or not yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPart {
    pub fields: PartFields,
    pub rating: Option<PartRating>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalPart {
    pub id: GoalPartId,
    pub goal_id: GoalId,
    pub fields: PartFields,
    pub rating: Option<PartRating>,
    pub rated_at: Option<DateTime<Utc>>,
    pub rated_by: Option<String>,
}

/// One entry of a goal's value history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueEntry {
    pub value: ValueReceived,
    pub note: Note,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    pub id: GoalId,
    pub account_id: AccountId,
    pub account_name: String,
    /// The account's CSM: whose book the goal is in.
    pub account_owner_id: Option<UserId>,
    pub account_owner: Option<String>,
    pub fields: GoalFields,
    /// The ecosystem, in the order its parts were added.
    pub parts: Vec<GoalPart>,
    /// The latest value received, if any was recorded.
    pub value: Option<ValueEntry>,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Goal {
    /// In progress with a part below expectations (the domain's rule).
    pub fn at_risk(&self) -> bool {
        lodestar_domain::goal::at_risk(self.fields.status, self.parts.iter().map(|p| p.rating))
    }
}

/// A whole goal written at once, with its history (demo data).
#[derive(Debug, Clone)]
pub struct GoalDraft {
    pub account: AccountId,
    pub fields: Valid<GoalFields>,
    pub parts: Vec<NewPart>,
    /// Value received, oldest first.
    pub values: Vec<(ValueReceived, Note, DateTime<Utc>)>,
    pub by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

const SELECT_GOALS: &str = "SELECT g.id, g.account_id, a.name AS account_name, a.owner_id AS account_owner_id, \
     o.name AS account_owner, g.title, g.metric, g.baseline, g.target, g.due_on, g.severity, g.status, \
     c.name AS created_by, e.name AS updated_by, g.created_at, g.updated_at \
     FROM goals g JOIN accounts a ON a.id = g.account_id LEFT JOIN users o ON o.id = a.owner_id \
     LEFT JOIN users c ON c.id = g.created_by LEFT JOIN users e ON e.id = g.updated_by";

#[derive(sqlx::FromRow)]
struct GoalRow {
    id: i64,
    account_id: i64,
    account_name: String,
    account_owner_id: Option<i64>,
    account_owner: Option<String>,
    title: String,
    metric: String,
    baseline: Option<String>,
    target: String,
    due_on: chrono::NaiveDate,
    severity: i64,
    status: String,
    created_by: Option<String>,
    updated_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PartRow {
    id: i64,
    goal_id: i64,
    kind: String,
    name: String,
    metric: String,
    rating: Option<String>,
    rated_at: Option<DateTime<Utc>>,
    rated_by: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ValueRow {
    goal_id: i64,
    level: String,
    percent: Option<i64>,
    how_much: Option<String>,
    note: String,
    recorded_at: DateTime<Utc>,
    recorded_by: Option<String>,
}

fn corrupt(column: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {e}"))
}

fn name(column: &str, text: &str) -> Result<Name> {
    Name::parse(text).map_err(|e| corrupt(column, e))
}

fn label(column: &str, text: &str) -> Result<Label> {
    Label::parse(text).map_err(|e| corrupt(column, e))
}

fn fields_of(row: &GoalRow) -> Result<GoalFields> {
    Ok(GoalFields {
        title: name("goals.title", &row.title)?,
        metric: label("goals.metric", &row.metric)?,
        baseline: row
            .baseline
            .as_deref()
            .map(|b| label("goals.baseline", b))
            .transpose()?,
        target: label("goals.target", &row.target)?,
        due_on: row.due_on,
        severity: u8::try_from(row.severity)
            .map_err(|e| e.to_string())
            .and_then(Severity::new)
            .map_err(|e| corrupt("goals.severity", e))?,
        status: parse("goals.status", &row.status)?,
    })
}

fn part_of(row: PartRow) -> Result<GoalPart> {
    Ok(GoalPart {
        id: GoalPartId(row.id),
        goal_id: GoalId(row.goal_id),
        fields: PartFields {
            kind: parse("goal_parts.kind", &row.kind)?,
            name: name("goal_parts.name", &row.name)?,
            metric: label("goal_parts.metric", &row.metric)?,
        },
        rating: parse_opt("goal_parts.rating", row.rating)?,
        rated_at: row.rated_at,
        rated_by: row.rated_by,
    })
}

fn value_of(row: ValueRow) -> Result<(GoalId, ValueEntry)> {
    let how_much = row
        .how_much
        .as_deref()
        .map(|h| label("goal_value.how_much", h))
        .transpose()?;
    let percent = row
        .percent
        .map(|p| u32::try_from(p).map_err(|e| corrupt("goal_value.percent", e)))
        .transpose()?;
    let value = ValueReceived::new(parse("goal_value.level", &row.level)?, percent, how_much)
        .map_err(|e| corrupt("goal_value", e))?;
    Ok((
        GoalId(row.goal_id),
        ValueEntry {
            value,
            note: stored_note("goal_value.note", &row.note)?,
            recorded_at: row.recorded_at,
            recorded_by: row.recorded_by,
        },
    ))
}

/// The ids, a few hundred at a time (an `IN` list stays well below the parameter limits).
fn in_chunks(ids: &[i64]) -> impl Iterator<Item = &[i64]> {
    ids.chunks(500)
}

async fn parts_of(tx: &mut Tx, goals: &[i64]) -> Result<HashMap<i64, Vec<GoalPart>>> {
    let mut by_goal: HashMap<i64, Vec<GoalPart>> = HashMap::new();
    for chunk in in_chunks(goals) {
        let rows: Vec<PartRow> = Query::sql(
            "SELECT p.id, p.goal_id, p.kind, p.name, p.metric, p.rating, p.rated_at, u.name AS rated_by \
             FROM goal_parts p LEFT JOIN users u ON u.id = p.rated_by WHERE p.goal_id IN (",
        )
        .list(chunk.iter().copied())
        .push(") ORDER BY p.goal_id, p.id")
        .fetch_all(tx)
        .await?;
        for row in rows {
            let part = part_of(row)?;
            by_goal.entry(part.goal_id.0).or_default().push(part);
        }
    }
    Ok(by_goal)
}

const SELECT_VALUES: &str = "SELECT v.goal_id, v.level, v.percent, v.how_much, v.note, v.recorded_at, \
     u.name AS recorded_by FROM goal_value v LEFT JOIN users u ON u.id = v.recorded_by";

/// Each goal's latest value entry (the one no later entry follows).
async fn latest_values(tx: &mut Tx, goals: &[i64]) -> Result<HashMap<i64, ValueEntry>> {
    let mut latest = HashMap::new();
    for chunk in in_chunks(goals) {
        let rows: Vec<ValueRow> = Query::sql(SELECT_VALUES)
            .push(" WHERE v.goal_id IN (")
            .list(chunk.iter().copied())
            .push(
                ") AND NOT EXISTS (SELECT 1 FROM goal_value w WHERE w.goal_id = v.goal_id \
                 AND (w.recorded_at > v.recorded_at OR (w.recorded_at = v.recorded_at AND w.id > v.id)))",
            )
            .fetch_all(tx)
            .await?;
        for row in rows {
            let (goal, entry) = value_of(row)?;
            latest.insert(goal.0, entry);
        }
    }
    Ok(latest)
}

pub(crate) async fn goals_where(tx: &mut Tx, conditions: Vec<Query>, order: &str) -> Result<Vec<Goal>> {
    let rows: Vec<GoalRow> = Query::sql(SELECT_GOALS)
        .where_all(conditions)
        .push(format!(" ORDER BY {order}"))
        .fetch_all(tx)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut parts = parts_of(tx, &ids).await?;
    let mut values = latest_values(tx, &ids).await?;
    rows.into_iter()
        .map(|row| {
            Ok(Goal {
                fields: fields_of(&row)?,
                id: GoalId(row.id),
                account_id: AccountId(row.account_id),
                account_name: row.account_name,
                account_owner_id: row.account_owner_id.map(UserId),
                account_owner: row.account_owner,
                parts: parts.remove(&row.id).unwrap_or_default(),
                value: values.remove(&row.id),
                created_by: row.created_by,
                updated_by: row.updated_by,
                created_at: row.created_at,
                updated_at: row.updated_at,
            })
        })
        .collect()
}

async fn goal_in(tx: &mut Tx, id: GoalId) -> Result<Goal> {
    goals_where(tx, vec![Query::sql("g.id = ").value(id.0)], "g.id")
        .await?
        .pop()
        .ok_or(StoreError::NotFound {
            what: "goal",
            key: id.to_string(),
        })
}

async fn part_in(tx: &mut Tx, id: GoalPartId) -> Result<GoalPart> {
    let row: Option<PartRow> = Query::sql(
        "SELECT p.id, p.goal_id, p.kind, p.name, p.metric, p.rating, p.rated_at, u.name AS rated_by \
         FROM goal_parts p LEFT JOIN users u ON u.id = p.rated_by WHERE p.id = $1",
    )
    .bind(id.0)
    .fetch_optional(tx)
    .await?;
    part_of(row.ok_or(StoreError::NotFound {
        what: "ecosystem part",
        key: id.to_string(),
    })?)
}

async fn account_exists(tx: &mut Tx, account: AccountId) -> Result<()> {
    let found: Option<i64> = Query::sql("SELECT id FROM accounts WHERE id = $1")
        .bind(account.0)
        .scalar_optional(tx)
        .await?;
    found.map(|_| ()).ok_or(StoreError::NotFound {
        what: "account",
        key: account.to_string(),
    })
}

fn goal_values(account: AccountId, fields: &GoalFields, by: Option<UserId>, at: DateTime<Utc>) -> Vec<Value> {
    vec![
        account.into(),
        fields.title.as_str().into(),
        fields.metric.as_str().into(),
        fields.baseline.as_ref().map(Label::as_str).into(),
        fields.target.as_str().into(),
        fields.due_on.into(),
        i64::from(fields.severity.get()).into(),
        fields.status.as_str().into(),
        by.into(),
        by.into(),
        at.into(),
        at.into(),
    ]
}

async fn insert_goal(
    tx: &mut Tx,
    account: AccountId,
    fields: &GoalFields,
    by: Option<UserId>,
    at: DateTime<Utc>,
) -> Result<GoalId> {
    let id: i64 = Query::sql(
        "INSERT INTO goals (account_id, title, metric, baseline, target, due_on, severity, status, created_by, \
         updated_by, created_at, updated_at) VALUES (",
    )
    .list(goal_values(account, fields, by, at))
    .push(") RETURNING id")
    .scalar_one(tx)
    .await?;
    Ok(GoalId(id))
}

const PART_COLUMNS: &[&str] = &[
    "goal_id",
    "account_id",
    "kind",
    "name",
    "metric",
    "rating",
    "rated_at",
    "rated_by",
    "created_at",
];

fn part_row(goal: GoalId, account: AccountId, part: &NewPart, by: Option<UserId>, at: DateTime<Utc>) -> Vec<Value> {
    let rated = part.rating.is_some();
    vec![
        goal.0.into(),
        account.into(),
        part.fields.kind.as_str().into(),
        part.fields.name.as_str().into(),
        part.fields.metric.as_str().into(),
        part.rating.map(PartRating::as_str).into(),
        rated.then_some(at).into(),
        if rated { by.into() } else { Value::Int(None) },
        at.into(),
    ]
}

const VALUE_COLUMNS: &[&str] = &[
    "goal_id",
    "account_id",
    "level",
    "percent",
    "how_much",
    "note",
    "recorded_at",
    "recorded_by",
];

fn value_row(
    goal: GoalId,
    account: AccountId,
    value: &ValueReceived,
    note: &Note,
    at: DateTime<Utc>,
    by: Option<UserId>,
) -> Vec<Value> {
    vec![
        goal.0.into(),
        account.into(),
        value.level().as_str().into(),
        value.percent().map(i64::from).into(),
        value.how_much().map(Label::as_str).into(),
        note.as_str().into(),
        at.into(),
        by.into(),
    ]
}

/// "“200 demo requests a month”": how the timeline names a goal.
fn quoted(title: &impl std::fmt::Display) -> String {
    format!("“{title}”")
}

impl Store {
    /// Sets a goal on `account` with the parts of its ecosystem known so far.
    pub async fn create_goal(
        &self,
        account: AccountId,
        fields: Valid<GoalFields>,
        parts: Vec<NewPart>,
        by: Option<UserId>,
    ) -> Result<Goal> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        account_exists(&mut tx, account).await?;
        let now = tx.now();
        let id = insert_goal(&mut tx, account, &fields, by, now).await?;
        let rows = parts.iter().map(|p| part_row(id, account, p, by, now)).collect();
        insert_rows(&mut tx, "goal_parts", PART_COLUMNS, rows, "").await?;
        let goal = goal_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(goal)
    }

    /// Changes a goal's fields; what changed goes on the account's timeline.
    pub async fn update_goal(&self, id: GoalId, fields: Valid<GoalFields>, by: Option<UserId>) -> Result<Goal> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        let before = goal_in(&mut tx, id).await?;
        let Some(changes) = fields.changes_since(&before.fields) else {
            return Ok(before);
        };
        let now = tx.now();
        Query::sql(
            "UPDATE goals SET title = $1, metric = $2, baseline = $3, target = $4, due_on = $5, severity = $6, \
             status = $7, updated_by = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(fields.title.as_str())
        .bind(fields.metric.as_str())
        .bind(fields.baseline.as_ref().map(Label::as_str))
        .bind(fields.target.as_str())
        .bind(fields.due_on)
        .bind(i64::from(fields.severity.get()))
        .bind(fields.status.as_str())
        .bind(by)
        .bind(now)
        .bind(id.0)
        .execute(&mut tx)
        .await?;
        let text = format!("Goal {} changed: {changes}", quoted(&before.fields.title));
        record(&mut tx, before.account_id, now, by, TimelineKind::Goal, &text).await?;
        let goal = goal_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(goal)
    }

    pub async fn goal(&self, id: GoalId) -> Result<Goal> {
        let mut tx = self.begin_snapshot().await?;
        goal_in(&mut tx, id).await
    }

    /// An account's goals: those in progress first, then by due date.
    pub async fn goals_of_account(&self, account: AccountId) -> Result<Vec<Goal>> {
        let mut tx = self.begin_snapshot().await?;
        goals_where(
            &mut tx,
            vec![Query::sql("g.account_id = ").value(account.0)],
            "CASE WHEN g.status = 'active' THEN 0 ELSE 1 END, g.due_on, g.id",
        )
        .await
    }

    /// The goals in progress with a part of their ecosystem below expectations — of one CSM's
    /// book when `owner` is set — the most severe first, then the soonest due.
    pub async fn goals_at_risk(&self, owner: Option<UserId>) -> Result<Vec<Goal>> {
        let mut tx = self.begin_snapshot().await?;
        // The query narrows to goals with a part rated below; the domain's rule decides.
        let mut conditions = vec![Query::sql(
            "EXISTS (SELECT 1 FROM goal_parts p WHERE p.goal_id = g.id AND p.rating = 'below')",
        )];
        if let Some(owner) = owner {
            conditions.push(Query::sql("a.owner_id = ").value(owner.0));
        }
        let goals = goals_where(&mut tx, conditions, "g.severity DESC, g.due_on, g.id").await?;
        Ok(goals.into_iter().filter(Goal::at_risk).collect())
    }

    /// A goal's value received, the latest first.
    pub async fn value_history(&self, goal: GoalId) -> Result<Vec<ValueEntry>> {
        let mut tx = self.begin_snapshot().await?;
        goal_in(&mut tx, goal).await?;
        let rows: Vec<ValueRow> = Query::sql(SELECT_VALUES)
            .push(" WHERE v.goal_id = ")
            .value(goal.0)
            .push(" ORDER BY v.recorded_at DESC, v.id DESC")
            .fetch_all(&mut tx)
            .await?;
        rows.into_iter().map(|r| value_of(r).map(|(_, entry)| entry)).collect()
    }

    pub async fn goal_part(&self, id: GoalPartId) -> Result<GoalPart> {
        let mut tx = self.begin_snapshot().await?;
        part_in(&mut tx, id).await
    }

    /// Adds a part to a goal's ecosystem (written on the account's timeline).
    pub async fn add_goal_part(&self, goal: GoalId, part: NewPart, by: Option<UserId>) -> Result<GoalPart> {
        let mut tx = self.begin_write().await?;
        let owner = goal_in(&mut tx, goal).await?;
        let now = tx.now();
        let id: i64 = Query::sql(format!("INSERT INTO goal_parts ({}) VALUES (", PART_COLUMNS.join(", ")))
            .list(part_row(goal, owner.account_id, &part, by, now))
            .push(") RETURNING id")
            .scalar_one(&mut tx)
            .await?;
        let rating = part
            .rating
            .map_or_else(|| "not rated yet".to_owned(), |r| r.label().to_lowercase());
        let text = format!(
            "Goal {} needs {} {} ({rating})",
            quoted(&owner.fields.title),
            part.fields.kind.label().to_lowercase(),
            part.fields.name
        );
        record(&mut tx, owner.account_id, now, by, TimelineKind::Goal, &text).await?;
        let added = part_in(&mut tx, GoalPartId(id)).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Rates a part of a goal's ecosystem; a changed rating goes on the account's timeline.
    pub async fn rate_goal_part(&self, id: GoalPartId, rating: PartRating, by: Option<UserId>) -> Result<GoalPart> {
        let mut tx = self.begin_write().await?;
        let before = part_in(&mut tx, id).await?;
        let goal = goal_in(&mut tx, before.goal_id).await?;
        let now = tx.now();
        Query::sql("UPDATE goal_parts SET rating = $1, rated_at = $2, rated_by = $3 WHERE id = $4")
            .bind(rating.as_str())
            .bind(now)
            .bind(by)
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        if before.rating != Some(rating) {
            let text = format!(
                "Goal {}: {} {} rated {}",
                quoted(&goal.fields.title),
                before.fields.kind.label().to_lowercase(),
                before.fields.name,
                rating.label().to_lowercase()
            );
            record(&mut tx, goal.account_id, now, by, TimelineKind::Goal, &text).await?;
        }
        let rated = part_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(rated)
    }

    /// Removes a part from a goal's ecosystem; returns what was removed.
    pub async fn remove_goal_part(&self, id: GoalPartId, by: Option<UserId>) -> Result<GoalPart> {
        let mut tx = self.begin_write().await?;
        let part = part_in(&mut tx, id).await?;
        let goal = goal_in(&mut tx, part.goal_id).await?;
        Query::sql("DELETE FROM goal_parts WHERE id = $1")
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        let text = format!(
            "Goal {} no longer counts on {} {}",
            quoted(&goal.fields.title),
            part.fields.kind.label().to_lowercase(),
            part.fields.name
        );
        let now = tx.now();
        record(&mut tx, goal.account_id, now, by, TimelineKind::Goal, &text).await?;
        tx.commit().await?;
        Ok(part)
    }

    /// Adds an entry to a goal's value history: the goal's value from now on.
    pub async fn record_value(
        &self,
        goal: GoalId,
        value: ValueReceived,
        note: Note,
        by: Option<UserId>,
    ) -> Result<ValueEntry> {
        let mut tx = self.begin_write().await?;
        let owner = goal_in(&mut tx, goal).await?;
        let now = tx.now();
        let row = value_row(goal, owner.account_id, &value, &note, now, by);
        insert_rows(&mut tx, "goal_value", VALUE_COLUMNS, vec![row], "").await?;
        let entry = latest_values(&mut tx, &[goal.0])
            .await?
            .remove(&goal.0)
            .ok_or_else(|| StoreError::Corrupt("goal_value: the entry just written is not the latest".into()))?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Writes whole goals with their ecosystems and value histories in one transaction (the
    /// demo: a few hundred goals without a commit each). Returns how many were written.
    pub async fn add_goals(&self, drafts: Vec<GoalDraft>) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let (mut parts, mut values) = (Vec::new(), Vec::new());
        for draft in &drafts {
            let id = insert_goal(&mut tx, draft.account, &draft.fields, draft.by, draft.created_at).await?;
            parts.extend(
                draft
                    .parts
                    .iter()
                    .map(|p| part_row(id, draft.account, p, draft.by, draft.created_at)),
            );
            values.extend(
                draft
                    .values
                    .iter()
                    .map(|(value, note, at)| value_row(id, draft.account, value, note, *at, draft.by)),
            );
        }
        insert_rows(&mut tx, "goal_parts", PART_COLUMNS, parts, "").await?;
        insert_rows(&mut tx, "goal_value", VALUE_COLUMNS, values, "").await?;
        tx.commit().await?;
        Ok(drafts.len())
    }
}

/// The account's goals as they were set and the value they delivered, for its timeline.
pub(crate) async fn timeline_entries(tx: &mut Tx, account: AccountId) -> Result<Vec<TimelineEntry>> {
    let set: Vec<GoalRow> = Query::sql(SELECT_GOALS)
        .push(" WHERE g.account_id = ")
        .value(account.0)
        .fetch_all(tx)
        .await?;
    let mut entries = Vec::with_capacity(set.len());
    let mut titles = HashMap::new();
    for row in set {
        let fields = fields_of(&row)?;
        entries.push(TimelineEntry {
            on: row.created_at.date_naive(),
            at: Some(row.created_at),
            kind: TimelineKind::Goal,
            actor: row.created_by,
            text: format!("Goal set: {} ({})", fields.title, fields.measure()),
        });
        titles.insert(row.id, fields.title);
    }
    let rows: Vec<ValueRow> = Query::sql(SELECT_VALUES)
        .push(" WHERE v.account_id = ")
        .value(account.0)
        .fetch_all(tx)
        .await?;
    for row in rows {
        let (goal, entry) = value_of(row)?;
        let title = titles.get(&goal.0).map_or_else(|| format!("goal {goal}"), quoted);
        let note = if entry.note.is_empty() {
            String::new()
        } else {
            format!(" — {}", entry.note)
        };
        entries.push(TimelineEntry {
            on: entry.recorded_at.date_naive(),
            at: Some(entry.recorded_at),
            kind: TimelineKind::ValueReceived,
            actor: entry.recorded_by,
            text: format!("Value received on {title}: {}{note}", entry.value.describe()),
        });
    }
    Ok(entries)
}
