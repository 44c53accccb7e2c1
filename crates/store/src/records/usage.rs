//! Storing product-usage messages (F-10) and keeping the rollups (F-11) in step with them.
//!
//! One call stores a batch in one transaction: a message already stored (same messageId) is
//! skipped, people are updated from identify/group/alias calls, each activity event is placed
//! on its account (by its own groupId, else by its person's account), and the rollups of the
//! events placed are incremented. A message that cannot be placed yet is stored all the same
//! and attached, rollups and all, when the link arrives (see [`attach_waiting`]).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use lodestar_domain::AccountId;
use lodestar_domain::usage::{Message, MessageKind, RecentActivity};

use crate::bulk::{Value, in_list, insert_rows, values_rows};
use crate::{Backend, Result, Store, Tx, now, on_tx};

/// What storing a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestSummary {
    pub stored: usize,
    /// Messages whose messageId was already stored (or repeated within the batch).
    pub duplicates: usize,
    /// Messages stored without an account, waiting for the link.
    pub unmatched: usize,
}

impl IngestSummary {
    pub fn add(&mut self, other: IngestSummary) {
        self.stored += other.stored;
        self.duplicates += other.duplicates;
        self.unmatched += other.unmatched;
    }
}

/// A person as the batch leaves them.
#[derive(Debug, Clone, Default)]
struct Person {
    group_id: Option<String>,
    account_id: Option<i64>,
    contact_id: Option<i64>,
    email: Option<String>,
    name: Option<String>,
    traits: serde_json::Map<String, serde_json::Value>,
    first_seen_at: Option<DateTime<Utc>>,
    last_seen_at: Option<DateTime<Utc>>,
    /// Whether this batch changed who they are or where they belong.
    changed: bool,
}

impl Store {
    /// Stores `messages` in one transaction; see the module documentation.
    pub async fn ingest(&self, messages: &[Message]) -> Result<IngestSummary> {
        let mut tx = self.begin_write().await?;
        let summary = ingest_in(&mut tx, messages).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Recomputes every rollup from the stored events (`lodestar usage rebuild`).
    pub async fn rebuild_usage_rollups(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        rebuild_rollups(&mut tx, None).await?;
        tx.commit().await
    }
}

/// `SELECT … WHERE column IN (keys)` in chunks, for any row shape.
async fn select_in<T>(tx: &mut Tx, sql_before_in: &str, keys: &[String]) -> Result<Vec<T>>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    select_in_then(tx, sql_before_in, keys, "").await
}

/// [`select_in`] with `after_in` following the list (an `UPDATE … RETURNING`, say).
async fn select_in_then<T>(tx: &mut Tx, sql_before_in: &str, keys: &[String], after_in: &str) -> Result<Vec<T>>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let mut out = Vec::new();
    for chunk in keys.chunks(5000) {
        let sql = format!("{sql_before_in} IN ({}){after_in}", in_list(tx.backend(), chunk.len()));
        let mut part: Vec<T> = on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query_as(&sql);
            for k in chunk {
                q = q.bind(k);
            }
            q.fetch_all(&mut *c).await?
        });
        out.append(&mut part);
    }
    Ok(out)
}

fn distinct(keys: impl IntoIterator<Item = String>) -> Vec<String> {
    let set: HashSet<String> = keys.into_iter().collect();
    let mut keys: Vec<String> = set.into_iter().collect();
    keys.sort();
    keys
}

pub(crate) async fn ingest_in(tx: &mut Tx, messages: &[Message]) -> Result<IngestSummary> {
    let mut summary = IngestSummary::default();
    let received_at = now();

    // 1. Only messages never stored before.
    let total = messages.len();
    let mut seen = HashSet::new();
    let messages: Vec<&Message> = messages.iter().filter(|m| seen.insert(m.message_id.as_str())).collect();
    let ids: Vec<String> = messages.iter().map(|m| m.message_id.clone()).collect();
    let stored: HashSet<String> =
        select_in::<(String,)>(tx, "SELECT message_id FROM usage_events WHERE message_id", &ids)
            .await?
            .into_iter()
            .map(|(m,)| m)
            .collect();
    let mut messages: Vec<&Message> = messages
        .into_iter()
        .filter(|m| !stored.contains(&m.message_id))
        .collect();
    summary.duplicates = total - messages.len();
    if messages.is_empty() {
        return Ok(summary);
    }
    messages.sort_by_key(|m| m.occurred_at);

    // 2. The people involved, as stored, then as this batch changes them.
    let keys = distinct(
        messages
            .iter()
            .flat_map(|m| std::iter::once(m.user_key.clone()).chain(m.previous_id.clone())),
    );
    let mut people: HashMap<String, Person> = HashMap::new();
    type PersonRow = (
        String,
        Option<String>,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<String>,
        String,
    );
    for (key, group_id, account_id, contact_id, email, name, traits) in select_in::<PersonRow>(
        tx,
        "SELECT user_key, group_id, account_id, contact_id, email, name, traits FROM usage_people WHERE user_key",
        &keys,
    )
    .await?
    {
        let traits = serde_json::from_str(&traits).unwrap_or_default();
        people.insert(
            key,
            Person {
                group_id,
                account_id,
                contact_id,
                email,
                name,
                traits,
                ..Person::default()
            },
        );
    }
    let mut aliases: Vec<(String, String)> = Vec::new();
    for &m in &messages {
        let person = people.entry(m.user_key.clone()).or_default();
        person.first_seen_at = Some(person.first_seen_at.map_or(m.occurred_at, |t| t.min(m.occurred_at)));
        person.last_seen_at = Some(person.last_seen_at.map_or(m.occurred_at, |t| t.max(m.occurred_at)));
        match m.kind {
            MessageKind::Group => {
                person.group_id = m.group_id.clone();
                person.changed = true;
            }
            MessageKind::Identify => {
                if let Some(email) = m.email() {
                    person.email = Some(email);
                }
                if let Some(name) = m.traits.get("name").and_then(|n| n.as_str()) {
                    person.name = Some(name.trim().to_owned());
                }
                person.traits.extend(m.traits.clone());
                person.changed = true;
            }
            MessageKind::Alias => {
                let previous = m.previous_id.clone().expect("alias calls carry a previousId");
                if let Some(before) = people.get(&previous).cloned() {
                    let person = people.get_mut(&m.user_key).expect("inserted above");
                    person.group_id = person.group_id.take().or(before.group_id);
                    person.email = person.email.take().or(before.email);
                    person.changed = true;
                }
                aliases.push((previous, m.user_key.clone()));
            }
            MessageKind::Track | MessageKind::Page | MessageKind::Screen => {}
        }
    }

    // 3. Where people and events belong: accounts by external id, contacts by email.
    let group_ids = distinct(
        messages
            .iter()
            .filter_map(|m| m.group_id.clone())
            .chain(people.values().filter_map(|p| p.group_id.clone())),
    );
    let accounts: HashMap<String, i64> =
        select_in::<(String, i64)>(tx, "SELECT external_id, id FROM accounts WHERE external_id", &group_ids)
            .await?
            .into_iter()
            .collect();
    let emails = distinct(people.values().filter(|p| p.changed).filter_map(|p| p.email.clone()));
    let contacts: HashMap<String, (i64, i64)> =
        select_in::<(String, i64, i64)>(tx, "SELECT email, id, account_id FROM contacts WHERE email", &emails)
            .await?
            .into_iter()
            .map(|(email, id, account)| (email, (id, account)))
            .collect();
    let mut newly_placed: Vec<String> = Vec::new();
    for (key, person) in people.iter_mut().filter(|(_, p)| p.changed) {
        if let Some(&(contact, contact_account)) = person.email.as_ref().and_then(|e| contacts.get(e)) {
            person.contact_id = Some(contact);
            person.account_id = person.account_id.or(Some(contact_account));
        }
        if let Some(&account) = person.group_id.as_ref().and_then(|g| accounts.get(g)) {
            person.account_id = Some(account);
        }
        if person.account_id.is_some() {
            newly_placed.push(key.clone());
        }
    }

    // 4. The events, each on its account when it has one.
    let mut rows = Vec::with_capacity(messages.len());
    let mut activity: Vec<(i64, &Message)> = Vec::new();
    for &m in &messages {
        let account = match &m.group_id {
            Some(g) => accounts.get(g).copied(),
            None => people.get(&m.user_key).and_then(|p| p.account_id),
        };
        match account {
            Some(a) if m.kind.is_activity() => activity.push((a, m)),
            Some(_) => {}
            None => summary.unmatched += 1,
        }
        rows.push(vec![
            Value::from(m.message_id.as_str()),
            m.kind.as_str().into(),
            m.feature.clone().into(),
            m.user_key.as_str().into(),
            m.group_id.clone().into(),
            account.into(),
            m.occurred_at.into(),
            received_at.into(),
            m.payload.as_str().into(),
        ]);
    }
    summary.stored = rows.len();
    insert_rows(
        tx,
        "usage_events",
        &[
            "message_id",
            "kind",
            "feature",
            "user_key",
            "group_id",
            "account_id",
            "occurred_at",
            "received_at",
            "payload",
        ],
        rows,
        "",
    )
    .await?;

    // 5. People, written back.
    let person_rows = people
        .iter()
        .map(|(key, p)| {
            vec![
                Value::from(key.as_str()),
                p.group_id.clone().into(),
                p.account_id.into(),
                p.contact_id.into(),
                p.email.clone().into(),
                p.name.clone().into(),
                serde_json::Value::Object(p.traits.clone()).to_string().into(),
                p.first_seen_at.unwrap_or(received_at).into(),
                p.last_seen_at.unwrap_or(received_at).into(),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "usage_people",
        &[
            "user_key",
            "group_id",
            "account_id",
            "contact_id",
            "email",
            "name",
            "traits",
            "first_seen_at",
            "last_seen_at",
        ],
        person_rows,
        "ON CONFLICT (user_key) DO UPDATE SET group_id = excluded.group_id, account_id = excluded.account_id, \
         contact_id = excluded.contact_id, email = excluded.email, name = excluded.name, traits = excluded.traits, \
         first_seen_at = CASE WHEN excluded.first_seen_at < usage_people.first_seen_at \
             THEN excluded.first_seen_at ELSE usage_people.first_seen_at END, \
         last_seen_at = CASE WHEN excluded.last_seen_at > usage_people.last_seen_at \
             THEN excluded.last_seen_at ELSE usage_people.last_seen_at END",
    )
    .await?;

    // 6. Rollups of the events placed now.
    add_to_rollups(tx, &activity).await?;

    // 7. Earlier events of people placed or merged by this batch.
    let mut touched: HashSet<i64> = HashSet::new();
    for (previous, current) in &aliases {
        let accounts: Vec<(Option<i64>,)> = on_tx!(&mut *tx, |c| {
            sqlx::query_as("UPDATE usage_events SET user_key = $1 WHERE user_key = $2 RETURNING account_id")
                .bind(current)
                .bind(previous)
                .fetch_all(&mut *c)
                .await?
        });
        touched.extend(accounts.into_iter().filter_map(|(a,)| a));
    }
    touched.extend(attach_waiting(tx, Waiting::People(&newly_placed)).await?);
    let mut active: HashSet<i64> = activity.iter().map(|(a, _)| *a).collect();
    active.extend(&touched);
    rebuild_rollups_of(tx, touched).await?;
    super::milestones::check_milestones(tx, Some(&active)).await?;
    let active: Vec<i64> = active.into_iter().collect();
    super::health::refresh_health(tx, Some(&active)).await?;
    Ok(summary)
}

/// Which waiting (unplaced) events to try to place.
pub(crate) enum Waiting<'a> {
    /// Events of these people, who now have an account.
    People(&'a [String]),
    /// Events and people naming these account external ids, whose accounts now exist.
    Accounts(&'a [String]),
}

/// Places waiting events (and, for new accounts, waiting people) on their accounts. Returns
/// the accounts that gained events; their rollups need rebuilding.
pub(crate) async fn attach_waiting(tx: &mut Tx, waiting: Waiting<'_>) -> Result<HashSet<i64>> {
    let mut touched = HashSet::new();
    match waiting {
        Waiting::People(keys) => {
            let placed: Vec<(Option<i64>,)> = select_in_then(
                tx,
                "UPDATE usage_events SET account_id = \
                 (SELECT p.account_id FROM usage_people p WHERE p.user_key = usage_events.user_key) \
                 WHERE account_id IS NULL AND group_id IS NULL AND user_key",
                keys,
                " RETURNING account_id",
            )
            .await?;
            touched.extend(placed.into_iter().filter_map(|(a,)| a));
        }
        Waiting::Accounts(external_ids) => {
            // Cheap when nothing waits: both statements start from the few unplaced rows.
            let waiting: i64 = on_tx!(&mut *tx, |c| {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM usage_events WHERE account_id IS NULL LIMIT 1) w",
                )
                .fetch_one(&mut *c)
                .await?
            });
            let people_waiting: i64 = on_tx!(&mut *tx, |c| {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM usage_people WHERE account_id IS NULL AND group_id IS NOT NULL LIMIT 1) w",
                )
                .fetch_one(&mut *c)
                .await?
            });
            if waiting == 0 && people_waiting == 0 {
                return Ok(touched);
            }
            let people: Vec<(String,)> = select_in_then(
                tx,
                "UPDATE usage_people SET account_id = (SELECT a.id FROM accounts a WHERE a.external_id = usage_people.group_id) \
                 WHERE account_id IS NULL AND group_id",
                external_ids,
                " RETURNING user_key",
            )
            .await?;
            let placed: Vec<(Option<i64>,)> = select_in_then(
                tx,
                "UPDATE usage_events SET account_id = (SELECT a.id FROM accounts a WHERE a.external_id = usage_events.group_id) \
                 WHERE account_id IS NULL AND group_id",
                external_ids,
                " RETURNING account_id",
            )
            .await?;
            touched.extend(placed.into_iter().filter_map(|(a,)| a));
            let keys: Vec<String> = people.into_iter().map(|(k,)| k).collect();
            touched.extend(Box::pin(attach_waiting(tx, Waiting::People(&keys))).await?);
        }
    }
    Ok(touched)
}

/// Places the events and people that were waiting for accounts with these external ids,
/// which have just been written.
pub(crate) async fn place_waiting_usage(tx: &mut Tx, external_ids: &[String]) -> Result<()> {
    let touched = attach_waiting(tx, Waiting::Accounts(external_ids)).await?;
    rebuild_rollups_of(tx, touched.clone()).await?;
    super::milestones::check_milestones(tx, Some(&touched)).await?;
    let touched: Vec<i64> = touched.into_iter().collect();
    super::health::refresh_health(tx, Some(&touched)).await?;
    Ok(())
}

async fn rebuild_rollups_of(tx: &mut Tx, accounts: HashSet<i64>) -> Result<()> {
    if accounts.is_empty() {
        return Ok(());
    }
    let accounts: Vec<AccountId> = accounts.into_iter().map(AccountId).collect();
    rebuild_rollups(tx, Some(&accounts)).await
}

/// Adds activity events, already placed on accounts, to the three rollups.
async fn add_to_rollups(tx: &mut Tx, events: &[(i64, &Message)]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut by_user: HashMap<(i64, &str, NaiveDate), i64> = HashMap::new();
    let mut by_feature: HashMap<(i64, &str, NaiveDate), i64> = HashMap::new();
    let mut by_account: HashMap<(i64, NaiveDate), i64> = HashMap::new();
    for (account, m) in events {
        let day = m.occurred_at.date_naive();
        *by_user.entry((*account, m.user_key.as_str(), day)).or_default() += 1;
        let feature = m.feature.as_deref().unwrap_or(m.kind.as_str());
        *by_feature.entry((*account, feature, day)).or_default() += 1;
        *by_account.entry((*account, day)).or_default() += 1;
    }
    let active: Vec<(i64, &str, NaiveDate)> = by_user.keys().copied().collect();
    add_to_person_activity(tx, &active).await?;
    let user_rows = by_user
        .into_iter()
        .map(|((account, user, day), n)| vec![Value::from(account), user.into(), day.into(), n.into()])
        .collect();
    insert_rows(
        tx,
        "usage_user_days",
        &["account_id", "user_key", "day", "events"],
        user_rows,
        "ON CONFLICT (account_id, day, user_key) DO UPDATE SET events = usage_user_days.events + excluded.events",
    )
    .await?;
    let mut last_used: HashMap<&str, NaiveDate> = HashMap::new();
    for (_, feature, day) in by_feature.keys() {
        let entry = last_used.entry(feature).or_insert(*day);
        *entry = (*entry).max(*day);
    }
    let feature_rows = last_used
        .into_iter()
        .map(|(feature, day)| vec![Value::from(feature), day.into()])
        .collect();
    insert_rows(
        tx,
        "usage_features",
        &["feature", "last_used"],
        feature_rows,
        "ON CONFLICT (feature) DO UPDATE SET last_used = CASE WHEN excluded.last_used > usage_features.last_used \
         THEN excluded.last_used ELSE usage_features.last_used END",
    )
    .await?;
    let feature_rows = by_feature
        .into_iter()
        .map(|((account, feature, day), n)| vec![Value::from(account), feature.into(), day.into(), n.into()])
        .collect();
    insert_rows(
        tx,
        "usage_feature_days",
        &["account_id", "feature", "day", "events"],
        feature_rows,
        "ON CONFLICT (account_id, feature, day) DO UPDATE SET events = usage_feature_days.events + excluded.events",
    )
    .await?;
    let pairs: Vec<(i64, NaiveDate)> = by_account.keys().copied().collect();
    let account_rows = by_account
        .into_iter()
        .map(|((account, day), n)| vec![Value::from(account), day.into(), n.into(), 0.into()])
        .collect();
    insert_rows(
        tx,
        "usage_account_days",
        &["account_id", "day", "events", "active_users"],
        account_rows,
        "ON CONFLICT (account_id, day) DO UPDATE SET events = usage_account_days.events + excluded.events",
    )
    .await?;
    // Active users: counted again from the user-day rows of the days touched.
    for chunk in pairs.chunks(5000) {
        let list = values_rows(tx.backend(), chunk.len(), &["BIGINT", "DATE"]);
        // Driven from the list (UPDATE … FROM), so each day is found by its key; a row-value
        // IN list would scan the whole table.
        let sql = format!(
            "UPDATE usage_account_days SET active_users = touched.n FROM \
             (SELECT v.column1 AS account_id, v.column2 AS day, (SELECT COUNT(*) FROM usage_user_days u \
              WHERE u.account_id = v.column1 AND u.day = v.column2) AS n FROM ({list}) v) touched \
             WHERE usage_account_days.account_id = touched.account_id AND usage_account_days.day = touched.day"
        );
        on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query(&sql);
            for (account, day) in chunk {
                q = q.bind(*account).bind(*day);
            }
            q.execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

const ACTIVITY_COLUMNS: &[&str] = &["account_id", "user_key", "last_day", "recent_days"];
const ACTIVITY_UPSERT: &str = "ON CONFLICT (account_id, user_key) DO UPDATE SET last_day = excluded.last_day, \
     recent_days = excluded.recent_days";

fn activity_row(account: i64, user: &str, a: RecentActivity) -> Vec<Value> {
    // The bits are stored as they are: a BIGINT holds all 64 of them.
    vec![account.into(), user.into(), a.last_day.into(), (a.days as i64).into()]
}

/// Folds the days people were active on accounts into their activity summaries.
async fn add_to_person_activity(tx: &mut Tx, active: &[(i64, &str, NaiveDate)]) -> Result<()> {
    let mut days: HashMap<(i64, &str), Vec<NaiveDate>> = HashMap::new();
    for (account, user, day) in active {
        days.entry((*account, *user)).or_default().push(*day);
    }
    let pairs: Vec<(i64, &str)> = days.keys().copied().collect();
    let mut known: HashMap<(i64, String), RecentActivity> = HashMap::new();
    for chunk in pairs.chunks(5000) {
        let list = values_rows(tx.backend(), chunk.len(), &["BIGINT", "TEXT"]);
        let sql = format!(
            "SELECT p.account_id, p.user_key, p.last_day, p.recent_days FROM usage_person_activity p \
             JOIN ({list}) v ON p.account_id = v.column1 AND p.user_key = v.column2"
        );
        let found: Vec<(i64, String, NaiveDate, i64)> = on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query_as(&sql);
            for (account, user) in chunk {
                q = q.bind(*account).bind(*user);
            }
            q.fetch_all(&mut *c).await?
        });
        for (account, user, last_day, bits) in found {
            known.insert(
                (account, user),
                RecentActivity {
                    last_day,
                    days: bits as u64,
                },
            );
        }
    }
    let rows = days
        .into_iter()
        .map(|((account, user), days)| {
            let before = known.get(&(account, user.to_owned())).copied();
            let folded = days.into_iter().fold(before, |a, day| {
                Some(a.map_or_else(|| RecentActivity::on(day), |a| a.with(day)))
            });
            activity_row(account, user, folded.expect("every person here has a day"))
        })
        .collect();
    insert_rows(tx, "usage_person_activity", ACTIVITY_COLUMNS, rows, ACTIVITY_UPSERT).await
}

/// Recomputes people's activity summaries from `usage_user_days`: those of the accounts
/// `scope` selects (SQL over `account_id`), or all when `None`.
pub(crate) async fn rebuild_person_activity(tx: &mut Tx, scope: Option<&str>) -> Result<()> {
    let scope = scope.unwrap_or("1 = 1");
    let sql = format!("DELETE FROM usage_person_activity WHERE {scope}");
    on_tx!(&mut *tx, |c| sqlx::query(&sql).execute(&mut *c).await?.rows_affected());
    let sql = format!("SELECT account_id, user_key, day FROM usage_user_days WHERE {scope}");
    let mut summaries: HashMap<(i64, String), RecentActivity> = HashMap::new();
    on_tx!(&mut *tx, |c| {
        let mut rows = sqlx::query_as::<_, (i64, String, NaiveDate)>(&sql).fetch(&mut *c);
        while let Some((account, user, day)) = rows.try_next().await? {
            summaries
                .entry((account, user))
                .and_modify(|a| *a = a.with(day))
                .or_insert_with(|| RecentActivity::on(day));
        }
    });
    let rows = summaries
        .iter()
        .map(|((account, user), a)| activity_row(*account, user, *a))
        .collect();
    insert_rows(tx, "usage_person_activity", ACTIVITY_COLUMNS, rows, ACTIVITY_UPSERT).await
}

/// Recomputes the rollups of `accounts` (all when `None`) from the stored events.
pub(crate) async fn rebuild_rollups(tx: &mut Tx, accounts: Option<&[AccountId]>) -> Result<()> {
    let day = match tx.backend() {
        Backend::Sqlite => "date(occurred_at)",
        Backend::Postgres => "CAST(occurred_at AT TIME ZONE 'UTC' AS DATE)",
    };
    let activity = "kind IN ('track', 'page', 'screen')";
    let scopes: Vec<String> = match accounts {
        None => vec!["account_id IS NOT NULL".to_owned()],
        Some(ids) => ids
            .chunks(1000)
            .map(|chunk| {
                let list: Vec<String> = chunk.iter().map(|a| a.0.to_string()).collect();
                format!("account_id IN ({})", list.join(", "))
            })
            .collect(),
    };
    for scope in scopes {
        let statements = [
            format!("DELETE FROM usage_user_days WHERE {scope}"),
            format!("DELETE FROM usage_feature_days WHERE {scope}"),
            format!("DELETE FROM usage_account_days WHERE {scope}"),
            format!(
                "INSERT INTO usage_user_days (account_id, user_key, day, events) \
                 SELECT account_id, user_key, {day}, COUNT(*) FROM usage_events WHERE {scope} AND {activity} \
                 GROUP BY account_id, user_key, {day}"
            ),
            format!(
                "INSERT INTO usage_feature_days (account_id, feature, day, events) \
                 SELECT account_id, COALESCE(feature, kind), {day}, COUNT(*) FROM usage_events WHERE {scope} AND {activity} \
                 GROUP BY account_id, COALESCE(feature, kind), {day}"
            ),
            format!(
                "INSERT INTO usage_account_days (account_id, day, events, active_users) \
                 SELECT account_id, day, SUM(events), COUNT(*) FROM usage_user_days WHERE {scope} \
                 GROUP BY account_id, day"
            ),
            format!(
                "INSERT INTO usage_features (feature, last_used) \
                 SELECT feature, MAX(day) FROM usage_feature_days WHERE {scope} GROUP BY feature \
                 ON CONFLICT (feature) DO UPDATE SET last_used = CASE WHEN excluded.last_used > usage_features.last_used \
                 THEN excluded.last_used ELSE usage_features.last_used END"
            ),
        ];
        for sql in statements {
            on_tx!(&mut *tx, |c| sqlx::query(&sql).execute(&mut *c).await?.rows_affected());
        }
        rebuild_person_activity(tx, Some(&scope)).await?;
    }
    Ok(())
}

/// One day of an account's activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct UsageDay {
    pub day: NaiveDate,
    pub events: i64,
    pub active_users: i64,
}

/// One day of one feature's use on an account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeatureDay {
    pub feature: String,
    pub day: NaiveDate,
    pub events: i64,
}

/// A stored message still waiting for its account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnmatchedEvent {
    pub message_id: String,
    pub kind: String,
    pub feature: Option<String>,
    pub user_key: String,
    pub group_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// How many messages are stored, and how many of them wait for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageCounts {
    pub events: i64,
    pub unmatched: i64,
}

impl Store {
    /// Which of these message ids are stored.
    pub async fn stored_message_ids(&self, ids: &[String]) -> Result<HashSet<String>> {
        let mut tx = self.begin_snapshot().await?;
        let found: Vec<(String,)> =
            select_in(&mut tx, "SELECT message_id FROM usage_events WHERE message_id", ids).await?;
        Ok(found.into_iter().map(|(m,)| m).collect())
    }

    /// The most recent `limit` messages waiting for an account.
    pub async fn unmatched_events(&self, limit: i64) -> Result<Vec<UnmatchedEvent>> {
        Ok(crate::on_pool!(self, |p| sqlx::query_as(
            "SELECT message_id, kind, feature, user_key, group_id, occurred_at FROM usage_events \
             WHERE account_id IS NULL ORDER BY occurred_at DESC, id DESC LIMIT $1"
        )
        .bind(limit)
        .fetch_all(p)
        .await?))
    }

    pub async fn usage_counts(&self) -> Result<UsageCounts> {
        let (events, unmatched): (i64, i64) = crate::on_pool!(self, |p| sqlx::query_as(
            "SELECT COUNT(*), COUNT(*) - COUNT(account_id) FROM usage_events"
        )
        .fetch_one(p)
        .await?);
        Ok(UsageCounts { events, unmatched })
    }

    /// The account's activity per day from `from` to `to` (inclusive), days without activity left out.
    pub async fn usage_days(&self, account: AccountId, from: NaiveDate, to: NaiveDate) -> Result<Vec<UsageDay>> {
        Ok(crate::on_pool!(self, |p| sqlx::query_as(
            "SELECT day, events, active_users FROM usage_account_days \
             WHERE account_id = $1 AND day >= $2 AND day <= $3 ORDER BY day"
        )
        .bind(account.0)
        .bind(from)
        .bind(to)
        .fetch_all(p)
        .await?))
    }

    /// The account's use of each feature per day from `from` to `to` (inclusive).
    pub async fn feature_days(&self, account: AccountId, from: NaiveDate, to: NaiveDate) -> Result<Vec<FeatureDay>> {
        Ok(crate::on_pool!(self, |p| sqlx::query_as(
            "SELECT feature, day, events FROM usage_feature_days \
             WHERE account_id = $1 AND day >= $2 AND day <= $3 ORDER BY day, feature"
        )
        .bind(account.0)
        .bind(from)
        .bind(to)
        .fetch_all(p)
        .await?))
    }
}
