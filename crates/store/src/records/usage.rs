//! Storing product-usage messages (F-10) and keeping the rollups (F-11) in step with them.
//!
//! One call stores a batch in one transaction: a message already stored (same messageId) is
//! skipped, the rest are kept as one block (see [`super::event_blocks`]), people are updated
//! from identify/group/alias calls, each activity event is placed on its account (by its own
//! groupId, else by its person's account), and the rollups of the events placed are
//! incremented. A message that cannot be placed yet also waits in `usage_waiting`, and is
//! placed, rollups and all, when the link arrives (see [`attach_waiting`]).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use lodestar_domain::AccountId;
use lodestar_domain::usage::{Message, MessageKey, MessageKind, RecentActivity};

use super::event_blocks;
use crate::bulk::{Value, in_list, insert_rows, values_rows};
use crate::{Result, Store, StoreError, Tx, on_tx};

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

/// What a run of batches has stored but not yet written to the tables: the people as the
/// batches left them, and the rollups summed in memory. [`Pending::flush`] writes it, so a
/// bulk import writes each of these rows once per commit rather than once per batch, and in
/// key order.
#[derive(Default)]
struct Pending {
    /// Everyone the batches named, read once.
    people: HashMap<String, Person>,
    rollups: RollupDelta,
    /// Accounts whose usage changed: their milestones and health are settled at the end.
    touched: HashSet<i64>,
}

/// Beyond this many rows in memory, an import writes them before the next batch.
const PENDING_ROWS: usize = 2_000_000;

impl Pending {
    fn rows(&self) -> usize {
        self.people.len() + self.rollups.rows()
    }

    async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        let received_at = tx.now();
        let person_rows: Vec<Vec<Value>> = std::mem::take(&mut self.people)
            .into_iter()
            .map(|(key, p)| {
                vec![
                    Value::from(key),
                    p.group_id.into(),
                    p.account_id.into(),
                    p.contact_id.into(),
                    p.email.into(),
                    p.name.into(),
                    serde_json::Value::Object(p.traits).to_string().into(),
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
        self.touched.extend(self.rollups.accounts());
        std::mem::take(&mut self.rollups).write(tx).await
    }

    /// Writes what is pending, then records the milestones and refreshes the health of the
    /// accounts touched.
    async fn finish(mut self, tx: &mut Tx) -> Result<()> {
        self.flush(tx).await?;
        settle_accounts(tx, &self.touched).await
    }
}

impl Store {
    /// Stores `messages` in one transaction; see the module documentation.
    pub async fn ingest(&self, messages: &[Message]) -> Result<IngestSummary> {
        let mut tx = self.begin_write().await?;
        let mut pending = Pending::default();
        let summary = store_messages(&mut tx, messages, &mut pending).await?;
        pending.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Starts a bulk import: batches added to it share one transaction (and so one write of
    /// each index page they touch), and milestones and health are settled once, at commit.
    pub async fn begin_event_import(&self) -> Result<EventImport> {
        Ok(EventImport {
            tx: self.begin_write().await?,
            pending: Pending::default(),
        })
    }

    /// Recomputes every rollup from the stored events (`lodestar usage rebuild`).
    pub async fn rebuild_usage_rollups(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        rebuild_rollups(&mut tx).await?;
        tx.commit().await
    }
}

/// Batches of a bulk import in one transaction ([`Store::begin_event_import`]); dropped
/// without [`EventImport::commit`], nothing of it is stored.
pub struct EventImport {
    tx: Tx,
    pending: Pending,
}

impl EventImport {
    pub async fn add(&mut self, messages: &[Message]) -> Result<IngestSummary> {
        if self.pending.rows() >= PENDING_ROWS {
            self.pending.flush(&mut self.tx).await?;
        }
        store_messages(&mut self.tx, messages, &mut self.pending).await
    }

    pub async fn commit(mut self) -> Result<()> {
        self.pending.finish(&mut self.tx).await?;
        self.tx.commit().await
    }
}

/// Makes the transaction the only one changing usage until it ends. SQLite has one writer
/// already; on PostgreSQL two server processes could otherwise both count a person new to a
/// day (each reads the activity summary before the other commits) or both add the same
/// first use.
async fn lock_usage(tx: &mut Tx) -> Result<()> {
    if tx.backend() == crate::Backend::Postgres {
        on_tx!(tx, |c| sqlx::query("SELECT pg_advisory_xact_lock(4242424243)")
            .execute(&mut *c)
            .await?
            .rows_affected());
    }
    Ok(())
}

/// Records the milestones and refreshes the health of accounts whose usage changed.
async fn settle_accounts(tx: &mut Tx, touched: &HashSet<i64>) -> Result<()> {
    super::milestones::check_milestones(tx, Some(touched)).await?;
    tx.touch_accounts(touched.iter().copied());
    Ok(())
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

/// Stores a batch (see the module documentation), leaving in `pending` what is to be written
/// at its end.
async fn store_messages(tx: &mut Tx, messages: &[Message], pending: &mut Pending) -> Result<IngestSummary> {
    lock_usage(tx).await?;
    let mut summary = IngestSummary::default();
    let received_at = tx.now();

    // 1. Only messages never stored before.
    let total = messages.len();
    let mut seen = HashSet::new();
    let messages: Vec<&Message> = messages.iter().filter(|m| seen.insert(m.message_id.as_str())).collect();
    let keys: Vec<MessageKey> = messages.iter().map(|m| MessageKey::of(&m.message_id)).collect();
    let new = event_blocks::claim_keys(tx, &keys).await?;
    let mut messages: Vec<&Message> = messages
        .into_iter()
        .zip(keys)
        .filter(|(_, k)| new.contains(k))
        .map(|(m, _)| m)
        .collect();
    summary.duplicates = total - messages.len();
    if messages.is_empty() {
        return Ok(summary);
    }
    messages.sort_by_key(|m| m.occurred_at);

    // 2. The people involved, as stored, then as this batch changes them.
    let people = &mut pending.people;
    for person in people.values_mut() {
        person.changed = false;
    }
    let keys = distinct(
        messages
            .iter()
            .flat_map(|m| std::iter::once(&m.user_key).chain(m.previous_id.as_ref()))
            .filter(|k| !people.contains_key(*k))
            .cloned(),
    );
    #[derive(sqlx::FromRow)]
    struct PersonRow {
        user_key: String,
        group_id: Option<String>,
        account_id: Option<i64>,
        contact_id: Option<i64>,
        email: Option<String>,
        name: Option<String>,
        traits: String,
    }
    for PersonRow {
        user_key: key,
        group_id,
        account_id,
        contact_id,
        email,
        name,
        traits,
    } in select_in::<PersonRow>(
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
        if !people.contains_key(&m.user_key) {
            people.insert(m.user_key.clone(), Person::default());
        }
        let person = people.get_mut(&m.user_key).expect("inserted above");
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
    let mut newly_placed: Vec<(String, i64)> = Vec::new();
    for (key, person) in people.iter_mut().filter(|(_, p)| p.changed) {
        if let Some(&(contact, contact_account)) = person.email.as_ref().and_then(|e| contacts.get(e)) {
            person.contact_id = Some(contact);
            person.account_id = person.account_id.or(Some(contact_account));
        }
        if let Some(&account) = person.group_id.as_ref().and_then(|g| accounts.get(g)) {
            person.account_id = Some(account);
        }
        if let Some(account) = person.account_id {
            newly_placed.push((key.clone(), account));
        }
    }

    // 4. The events: one block, and each on its account when it has one, else waiting.
    event_blocks::write_block(tx, received_at, &messages).await?;
    summary.stored = messages.len();
    let mut waiting = Vec::new();
    for &m in &messages {
        let account = match &m.group_id {
            Some(g) => accounts.get(g).copied(),
            None => people.get(&m.user_key).and_then(|p| p.account_id),
        };
        match account {
            Some(a) => {
                if let Some(feature) = m.feature.as_deref().filter(|_| m.kind.is_activity()) {
                    pending.rollups.add(a, &m.user_key, feature, m.occurred_at);
                }
            }
            None => {
                summary.unmatched += 1;
                waiting.push(vec![
                    Value::from(m.message_id.as_str()),
                    m.kind.as_str().into(),
                    m.feature.clone().into(),
                    m.user_key.as_str().into(),
                    m.group_id.clone().into(),
                    m.occurred_at.into(),
                ]);
            }
        }
    }
    insert_rows(tx, "usage_waiting", WAITING_COLUMNS, waiting, "").await?;

    // 5. Earlier events of people merged or placed by this batch.
    if !aliases.is_empty() {
        // The merge works on the tables: they must hold everything first.
        pending.flush(tx).await?;
        for (previous, current) in &aliases {
            let merged = merge_person(tx, previous, current).await?;
            pending.touched.extend(merged);
        }
    }
    let attached = attach_waiting(tx, Waiting::People(&newly_placed), &mut pending.rollups).await?;
    pending.touched.extend(attached);
    Ok(summary)
}

const WAITING_COLUMNS: &[&str] = &["message_id", "kind", "feature", "user_key", "group_id", "occurred_at"];

/// Counts `previous`'s events (an alias call's earlier id) as `current`'s from now on: in the
/// rollups, in the events still waiting, and in later rebuilds. Returns the accounts touched.
async fn merge_person(tx: &mut Tx, previous: &str, current: &str) -> Result<HashSet<i64>> {
    insert_rows(
        tx,
        "usage_aliases",
        &["previous_key", "user_key"],
        vec![vec![previous.into(), current.into()]],
        "ON CONFLICT (previous_key) DO UPDATE SET user_key = excluded.user_key",
    )
    .await?;
    let accounts: Vec<i64> = on_tx!(&mut *tx, |c| {
        sqlx::query("UPDATE usage_waiting SET user_key = $1 WHERE user_key = $2")
            .bind(current)
            .bind(previous)
            .execute(&mut *c)
            .await?;
        sqlx::query_scalar("SELECT DISTINCT account_id FROM usage_person_features WHERE user_key = $1")
            .bind(previous)
            .fetch_all(&mut *c)
            .await?
    });
    for account in &accounts {
        let statements = [
            "INSERT INTO usage_user_days (account_id, user_key, day, events) \
             SELECT account_id, $3, day, events FROM usage_user_days WHERE account_id = $1 AND user_key = $2 \
             ON CONFLICT (account_id, day, user_key) DO UPDATE SET events = usage_user_days.events + excluded.events",
            "DELETE FROM usage_user_days WHERE account_id = $1 AND user_key = $2",
            "INSERT INTO usage_person_features (account_id, feature, user_key, first_at) \
             SELECT account_id, feature, $3, first_at FROM usage_person_features WHERE account_id = $1 AND user_key = $2 \
             ON CONFLICT (account_id, feature, user_key) DO UPDATE SET first_at = CASE \
             WHEN excluded.first_at < usage_person_features.first_at THEN excluded.first_at \
             ELSE usage_person_features.first_at END",
            "DELETE FROM usage_person_features WHERE account_id = $1 AND user_key = $2",
            // Two ids that were active on the same day are one active person now.
            "UPDATE usage_account_days SET active_users = (SELECT COUNT(*) FROM usage_user_days u \
             WHERE u.account_id = usage_account_days.account_id AND u.day = usage_account_days.day) \
             WHERE account_id = $1 AND $2 <> $3",
        ];
        for sql in statements {
            on_tx!(&mut *tx, |c| sqlx::query(sql)
                .bind(account)
                .bind(previous)
                .bind(current)
                .execute(&mut *c)
                .await?
                .rows_affected());
        }
        rebuild_person_activity(tx, Some(&format!("account_id = {account}"))).await?;
    }
    Ok(accounts.into_iter().collect())
}

/// Which waiting (unplaced) events to try to place.
pub(crate) enum Waiting<'a> {
    /// Events of these people, who now have these accounts.
    People(&'a [(String, i64)]),
    /// Events and people naming these account external ids, whose accounts now exist.
    Accounts(&'a [String]),
}

/// Places waiting events (and, for new accounts, waiting people) on their accounts, adding
/// them to `rollups`. Returns the accounts that gained events.
pub(crate) async fn attach_waiting(
    tx: &mut Tx,
    waiting: Waiting<'_>,
    rollups: &mut RollupDelta,
) -> Result<HashSet<i64>> {
    if matches!(waiting, Waiting::People(people) if people.is_empty()) {
        return Ok(HashSet::new());
    }
    // Cheap when nothing waits, as almost always: both start from the few unplaced rows.
    let (events_wait, people_wait): (i64, i64) = on_tx!(&mut *tx, |c| {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM usage_waiting LIMIT 1) w), \
             (SELECT COUNT(*) FROM (SELECT 1 FROM usage_people WHERE account_id IS NULL AND group_id IS NOT NULL LIMIT 1) p)",
        )
        .fetch_one(&mut *c)
        .await?
    });
    type Placed = (i64, i64, String, Option<String>, String, DateTime<Utc>);
    let (placed, people): (Vec<Placed>, Vec<(String, i64)>) = match waiting {
        Waiting::People(people) if events_wait > 0 => {
            let accounts: HashMap<&str, i64> = people.iter().map(|(k, a)| (k.as_str(), *a)).collect();
            let keys: Vec<String> = people.iter().map(|(k, _)| k.clone()).collect();
            type Row = (i64, String, Option<String>, String, DateTime<Utc>);
            let rows: Vec<Row> = select_in(
                tx,
                "SELECT id, kind, feature, user_key, occurred_at FROM usage_waiting WHERE group_id IS NULL AND user_key",
                &keys,
            )
            .await?;
            let placed = rows
                .into_iter()
                .map(|(id, kind, feature, user_key, at)| (id, accounts[user_key.as_str()], kind, feature, user_key, at))
                .collect();
            (placed, Vec::new())
        }
        Waiting::Accounts(external_ids) if events_wait > 0 || people_wait > 0 => {
            let people: Vec<(String, i64)> = select_in_then(
                tx,
                "UPDATE usage_people SET account_id = (SELECT a.id FROM accounts a WHERE a.external_id = usage_people.group_id) \
                 WHERE account_id IS NULL AND group_id",
                external_ids,
                " RETURNING user_key, account_id",
            )
            .await?;
            let placed = select_in(
                tx,
                "SELECT w.id, a.id, w.kind, w.feature, w.user_key, w.occurred_at FROM usage_waiting w \
                 JOIN accounts a ON a.external_id = w.group_id WHERE w.group_id",
                external_ids,
            )
            .await?;
            (placed, people)
        }
        _ => return Ok(HashSet::new()),
    };
    for (_, account, kind, feature, user_key, occurred_at) in &placed {
        let kind = MessageKind::parse(kind).ok_or_else(|| StoreError::Corrupt(format!("usage_waiting kind {kind}")))?;
        if let Some(feature) = feature.as_deref().filter(|_| kind.is_activity()) {
            rollups.add(*account, user_key, feature, *occurred_at);
        }
    }
    let mut touched: HashSet<i64> = placed.iter().map(|p| p.1).collect();
    let ids: Vec<i64> = placed.iter().map(|p| p.0).collect();
    for chunk in ids.chunks(5000) {
        let sql = format!(
            "DELETE FROM usage_waiting WHERE id IN ({})",
            in_list(tx.backend(), chunk.len())
        );
        on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *c).await?.rows_affected()
        });
    }
    if !people.is_empty() {
        touched.extend(Box::pin(attach_waiting(tx, Waiting::People(&people), rollups)).await?);
    }
    Ok(touched)
}

/// Places the events and people that were waiting for accounts with these external ids,
/// which have just been written.
pub(crate) async fn place_waiting_usage(tx: &mut Tx, external_ids: &[String]) -> Result<()> {
    lock_usage(tx).await?;
    let mut pending = Pending::default();
    let touched = attach_waiting(tx, Waiting::Accounts(external_ids), &mut pending.rollups).await?;
    pending.touched = touched;
    pending.finish(tx).await
}

/// Maps and sets filled per event: foldhash, seeded per process like the standard hash and
/// several times faster on these small keys (SipHash was a tenth of a bulk import's time).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

/// Links people seen in the product to contacts with these emails, written just now: a contact
/// added after the person's identify call is matched all the same, and places the person on
/// the contact's account when nothing else has (their waiting events follow).
pub(crate) async fn link_people_to_contacts(tx: &mut Tx, emails: &[String]) -> Result<()> {
    if emails.is_empty() {
        return Ok(());
    }
    lock_usage(tx).await?;
    // Highest id first, so the map keeps the lowest: a person matches the same contact
    // whichever of several with one email is written later.
    let found: Vec<(String, i64, i64, Option<i64>)> = select_in_then(
        tx,
        "SELECT p.user_key, c.id, c.account_id, p.account_id FROM usage_people p \
         JOIN contacts c ON c.email = p.email WHERE p.contact_id IS NULL AND p.email",
        emails,
        " ORDER BY c.id DESC",
    )
    .await?;
    let matched: HashMap<String, (i64, i64, Option<i64>)> = found
        .into_iter()
        .map(|(person, contact, account, placed)| (person, (contact, account, placed)))
        .collect();
    let links: Vec<_> = matched.iter().collect();
    for chunk in links.chunks(5000) {
        // One statement per chunk, driven from the list like the active-user recount.
        let list = values_rows(tx.backend(), chunk.len(), &["TEXT", "BIGINT", "BIGINT"]);
        let sql = format!(
            "UPDATE usage_people SET contact_id = v.column2, account_id = COALESCE(usage_people.account_id, v.column3) \
             FROM ({list}) v WHERE usage_people.user_key = v.column1"
        );
        on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query(&sql);
            for (person, (contact, account, _)) in chunk {
                q = q.bind(*person).bind(*contact).bind(*account);
            }
            q.execute(&mut *c).await?.rows_affected()
        });
    }
    let newly_placed: Vec<(String, i64)> = matched
        .into_iter()
        .filter(|(_, (_, _, placed))| placed.is_none())
        .map(|(person, (_, account, _))| (person, account))
        .collect();
    let mut pending = Pending::default();
    pending.touched = attach_waiting(tx, Waiting::People(&newly_placed), &mut pending.rollups).await?;
    pending.finish(tx).await
}

/// Texts (people, features) by number, so the rollup keys are small and copied, not allocated
/// per event.
#[derive(Default)]
struct Names {
    ids: FastMap<String, u32>,
    texts: Vec<String>,
}

impl Names {
    fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(text.to_owned());
        self.ids.insert(text.to_owned(), id);
        id
    }

    fn text(&self, id: u32) -> &str {
        &self.texts[id as usize]
    }
}

/// Activity to add to the rollups, summed in memory first so each rollup row is written
/// once however many events it counts.
#[derive(Default)]
pub(crate) struct RollupDelta {
    names: Names,
    by_user: FastMap<(i64, NaiveDate, u32), i64>,
    by_feature: FastMap<(i64, u32, NaiveDate), i64>,
    by_account: FastMap<(i64, NaiveDate), i64>,
    /// (account, feature, person): the earliest use.
    first_use: FastMap<(i64, u32, u32), DateTime<Utc>>,
}

impl RollupDelta {
    /// One use of `feature` by `user_key` on `account` at `at`.
    pub(crate) fn add(&mut self, account: i64, user_key: &str, feature: &str, at: DateTime<Utc>) {
        let day = at.date_naive();
        let user = self.names.id(user_key);
        let feature = self.names.id(feature);
        *self.by_user.entry((account, day, user)).or_default() += 1;
        *self.by_feature.entry((account, feature, day)).or_default() += 1;
        *self.by_account.entry((account, day)).or_default() += 1;
        self.first_use
            .entry((account, feature, user))
            .and_modify(|t| *t = (*t).min(at))
            .or_insert(at);
    }

    /// Rows it would write: how much memory it holds.
    pub(crate) fn rows(&self) -> usize {
        self.by_user.len() + self.by_feature.len() + self.by_account.len() + self.first_use.len()
    }

    fn accounts(&self) -> HashSet<i64> {
        self.by_account.keys().map(|(a, _)| *a).collect()
    }

    /// Adds it to the stored rollups, each table's rows in key order (the inserts walk each
    /// index once).
    pub(crate) async fn write(self, tx: &mut Tx) -> Result<()> {
        if self.by_account.is_empty() {
            return Ok(());
        }
        let names = &self.names;
        let mut by_user: Vec<_> = self.by_user.into_iter().collect();
        by_user.sort_unstable_by(|a, b| (a.0.0, a.0.1, names.text(a.0.2)).cmp(&(b.0.0, b.0.1, names.text(b.0.2))));
        let active: Vec<(i64, &str, NaiveDate)> = by_user
            .iter()
            .map(|((account, day, user), _)| (*account, names.text(*user), *day))
            .collect();
        let (newly_active, unknown) = add_to_person_activity(tx, &active).await?;
        insert_in_slices(
            tx,
            "usage_user_days",
            &["account_id", "user_key", "day", "events"],
            &by_user,
            |((account, day, user), n)| {
                vec![
                    Value::from(*account),
                    names.text(*user).into(),
                    (*day).into(),
                    (*n).into(),
                ]
            },
            "ON CONFLICT (account_id, day, user_key) DO UPDATE SET events = usage_user_days.events + excluded.events",
        )
        .await?;
        let mut last_used: HashMap<u32, NaiveDate> = HashMap::new();
        for (_, feature, day) in self.by_feature.keys() {
            let entry = last_used.entry(*feature).or_insert(*day);
            *entry = (*entry).max(*day);
        }
        let feature_rows: Vec<Vec<Value>> = last_used
            .into_iter()
            .map(|(feature, day)| vec![Value::from(names.text(feature)), day.into()])
            .collect();
        insert_rows(
            tx,
            "usage_features",
            &["feature", "last_used"],
            feature_rows,
            "ON CONFLICT (feature) DO UPDATE SET last_used = excluded.last_used \
             WHERE excluded.last_used > usage_features.last_used",
        )
        .await?;
        let mut by_feature: Vec<_> = self.by_feature.into_iter().collect();
        by_feature.sort_unstable_by(|a, b| (a.0.0, names.text(a.0.1), a.0.2).cmp(&(b.0.0, names.text(b.0.1), b.0.2)));
        insert_in_slices(
            tx,
            "usage_feature_days",
            &["account_id", "feature", "day", "events"],
            &by_feature,
            |((account, feature, day), n)| {
                vec![
                    Value::from(*account),
                    names.text(*feature).into(),
                    (*day).into(),
                    (*n).into(),
                ]
            },
            "ON CONFLICT (account_id, feature, day) DO UPDATE SET events = usage_feature_days.events + excluded.events",
        )
        .await?;
        let mut first_use: Vec<_> = self.first_use.into_iter().collect();
        first_use.sort_unstable_by(|a, b| {
            (a.0.0, names.text(a.0.1), names.text(a.0.2)).cmp(&(b.0.0, names.text(b.0.1), names.text(b.0.2)))
        });
        insert_in_slices(
            tx,
            "usage_person_features",
            &["account_id", "feature", "user_key", "first_at"],
            &first_use,
            |((account, feature, user), at)| {
                vec![
                    Value::from(*account),
                    names.text(*feature).into(),
                    names.text(*user).into(),
                    (*at).into(),
                ]
            },
            // Rewritten only when earlier: most uses are not a first.
            "ON CONFLICT (account_id, feature, user_key) DO UPDATE SET first_at = excluded.first_at \
             WHERE excluded.first_at < usage_person_features.first_at",
        )
        .await?;
        let mut pairs: Vec<(i64, NaiveDate)> = self.by_account.keys().copied().collect();
        pairs.sort_unstable();
        let by_account = &self.by_account;
        insert_in_slices(
            tx,
            "usage_account_days",
            &["account_id", "day", "events", "active_users"],
            &pairs,
            |key| {
                let newly = newly_active.get(key).copied().unwrap_or(0);
                vec![Value::from(key.0), key.1.into(), by_account[key].into(), newly.into()]
            },
            "ON CONFLICT (account_id, day) DO UPDATE SET events = usage_account_days.events + excluded.events, \
             active_users = usage_account_days.active_users + excluded.active_users",
        )
        .await?;
        // Days some person's bits no longer reach: their active users counted from the
        // user-day rows instead.
        let mut recount: Vec<(i64, NaiveDate)> = unknown.into_iter().collect();
        recount.sort_unstable();
        for chunk in recount.chunks(5000) {
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
}

/// Inserts a row per key, built a slice of keys at a time: all of a flush's rows built at
/// once were most of a bulk import's memory.
async fn insert_in_slices<K: Sync>(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    keys: &[K],
    row: impl Fn(&K) -> Vec<Value> + Sync,
    tail: &str,
) -> Result<()> {
    for slice in keys.chunks(20_000) {
        let rows: Vec<Vec<Value>> = slice.iter().map(&row).collect();
        insert_rows(tx, table, columns, rows, tail).await?;
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
///
/// Returns, per account and day, how many of these people were not active on it before (so
/// the day's active users grow by that many), and the account-days where a person's bits no
/// longer reach back that far: those need counting from the user-day rows.
async fn add_to_person_activity(
    tx: &mut Tx,
    active: &[(i64, &str, NaiveDate)],
) -> Result<(FastMap<(i64, NaiveDate), i64>, FastSet<(i64, NaiveDate)>)> {
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
    let mut newly_active: FastMap<(i64, NaiveDate), i64> = FastMap::default();
    let mut unknown: FastSet<(i64, NaiveDate)> = FastSet::default();
    let mut rows = Vec::new();
    for ((account, user), days) in days {
        let before = known.get(&(account, user.to_owned())).copied();
        for day in &days {
            match before.map_or(Some(false), |b| b.was_active(*day)) {
                Some(true) => {}
                Some(false) => *newly_active.entry((account, *day)).or_default() += 1,
                None => {
                    unknown.insert((account, *day));
                }
            }
        }
        let folded = days.into_iter().fold(before, |a, day| {
            Some(a.map_or_else(|| RecentActivity::on(day), |a| a.with(day)))
        });
        // A person active again on a day already counted changes nothing: not rewritten.
        if folded != before {
            rows.push(activity_row(
                account,
                user,
                folded.expect("every person here has a day"),
            ));
        }
    }
    insert_rows(tx, "usage_person_activity", ACTIVITY_COLUMNS, rows, ACTIVITY_UPSERT).await?;
    Ok((newly_active, unknown))
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
    let rows: Vec<Vec<Value>> = summaries
        .iter()
        .map(|((account, user), a)| activity_row(*account, user, *a))
        .collect();
    insert_rows(tx, "usage_person_activity", ACTIVITY_COLUMNS, rows, ACTIVITY_UPSERT).await
}

/// Rows a rebuild sums in memory before writing them: bounds its memory whatever the number
/// of events.
const REBUILD_ROWS: usize = 1_000_000;

/// Recomputes every rollup from the stored blocks. Each activity event is placed as a new one
/// would be now: on its own group's account, else on its person's (after any alias). Events
/// still waiting for an account stay out, as they did.
pub(crate) async fn rebuild_rollups(tx: &mut Tx) -> Result<()> {
    lock_usage(tx).await?;
    for table in [
        "usage_user_days",
        "usage_feature_days",
        "usage_account_days",
        "usage_person_features",
        "usage_person_activity",
        "usage_features",
    ] {
        let sql = format!("DELETE FROM {table}");
        on_tx!(&mut *tx, |c| sqlx::query(&sql).execute(&mut *c).await?.rows_affected());
    }
    let accounts: Vec<(String, i64)> = on_tx!(&mut *tx, |c| sqlx::query_as("SELECT external_id, id FROM accounts")
        .fetch_all(&mut *c)
        .await?);
    let people: Vec<(String, i64)> = on_tx!(&mut *tx, |c| sqlx::query_as(
        "SELECT user_key, account_id FROM usage_people WHERE account_id IS NOT NULL"
    )
    .fetch_all(&mut *c)
    .await?);
    let aliases: Vec<(String, String)> = on_tx!(&mut *tx, |c| sqlx::query_as(
        "SELECT previous_key, user_key FROM usage_aliases"
    )
    .fetch_all(&mut *c)
    .await?);
    let waiting: Vec<String> = on_tx!(&mut *tx, |c| sqlx::query_scalar("SELECT message_id FROM usage_waiting")
        .fetch_all(&mut *c)
        .await?);
    let accounts: HashMap<String, i64> = accounts.into_iter().collect();
    let people: HashMap<String, i64> = people.into_iter().collect();
    let aliases: HashMap<String, String> = aliases.into_iter().collect();
    let waiting: HashSet<String> = waiting.into_iter().collect();
    let mut delta = RollupDelta::default();
    let mut after = 0;
    while let Some((id, body)) = event_blocks::next_block(tx, after).await? {
        after = id;
        for record in event_blocks::decode(&body)?.iter().filter(|r| r.kind.is_activity()) {
            if waiting.contains(record.message_id) {
                continue;
            }
            let m = record.message()?;
            let mut user = m.user_key.as_str();
            // Follows a chain of aliases; bounded in case one ever loops.
            for _ in 0..aliases.len() {
                match aliases.get(user) {
                    Some(next) if next != user => user = next,
                    _ => break,
                }
            }
            let account = match &m.group_id {
                Some(g) => accounts.get(g),
                None => people.get(user),
            };
            if let (Some(&account), Some(feature)) = (account, m.feature.as_deref()) {
                delta.add(account, user, feature, m.occurred_at);
            }
        }
        if delta.rows() >= REBUILD_ROWS {
            std::mem::take(&mut delta).write(tx).await?;
        }
    }
    delta.write(tx).await?;
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
        let keys: Vec<MessageKey> = ids.iter().map(|id| MessageKey::of(id)).collect();
        let found = event_blocks::stored_keys(&mut tx, &keys).await?;
        Ok(ids
            .iter()
            .zip(keys)
            .filter(|(_, k)| found.contains(k))
            .map(|(id, _)| id.clone())
            .collect())
    }

    /// The most recent `limit` messages waiting for an account.
    pub async fn unmatched_events(&self, limit: i64) -> Result<Vec<UnmatchedEvent>> {
        Ok(crate::on_pool!(self, |p| sqlx::query_as(
            "SELECT message_id, kind, feature, user_key, group_id, occurred_at FROM usage_waiting \
             ORDER BY occurred_at DESC, id DESC LIMIT $1"
        )
        .bind(limit)
        .fetch_all(p)
        .await?))
    }

    pub async fn usage_counts(&self) -> Result<UsageCounts> {
        let mut tx = self.begin_snapshot().await?;
        let events = event_blocks::stored_count(&mut tx).await?;
        let unmatched: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar("SELECT COUNT(*) FROM usage_waiting")
            .fetch_one(&mut *c)
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
