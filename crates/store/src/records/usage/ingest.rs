//! Storing events: a batch placed on its accounts and people (identify, group and alias
//! calls in time order), its messages kept in a block, its activity summed and written once.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use lodestar_domain::usage::{EventKey, Message, MessageKind};

use super::blocks;
use super::import::{CompressedBlock, ImportKeys};
use super::queue::{apply_queued, settle_unsettled};
use super::rollups::{RollupDelta, rebuild_person_activity, rebuild_rollups};
use super::waiting::{WAITING_COLUMNS, Waiting, attach_waiting};
use crate::bulk::{Value, in_list, insert_each_row, insert_rows, values_rows};
use crate::{Result, Store, Tx, on_tx};

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
pub(super) struct Person {
    pub(super) group_id: Option<String>,
    pub(super) account_id: Option<i64>,
    pub(super) contact_id: Option<i64>,
    pub(super) email: Option<String>,
    pub(super) name: Option<String>,
    pub(super) traits: serde_json::Map<String, serde_json::Value>,
    pub(super) first_seen_at: Option<DateTime<Utc>>,
    pub(super) last_seen_at: Option<DateTime<Utc>>,
    /// Whether this batch changed who they are or where they belong.
    pub(super) changed: bool,
}

/// What a run of batches has stored but not yet written to the tables: the people as the
/// batches left them, and the rollups summed in memory. [`Pending::flush`] writes it, so a
/// bulk import writes each of these rows once per commit rather than once per batch, and in
/// key order.
#[derive(Default)]
pub(super) struct Pending {
    /// Everyone the batches named, read once.
    pub(super) people: HashMap<String, Person>,
    pub(super) rollups: RollupDelta,
    /// Accounts whose usage changed: their milestones and health are settled at the end.
    pub(super) touched: HashSet<i64>,
    /// In a bulk import on SQLite, the keys it claimed, written at its commit; otherwise each
    /// batch claims its keys in the key table.
    pub(super) import_keys: Option<ImportKeys>,
    /// The block of the next batch as a bulk import's parser framed and compressed it: stored
    /// as it is when none of the batch is a duplicate.
    pub(super) compressed_block: Option<CompressedBlock>,
}

impl Pending {
    pub(super) fn rows(&self) -> usize {
        self.people.len() + self.rollups.rows()
    }

    pub(super) async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        let received_at = tx.now();
        let people: Vec<(String, Person)> = std::mem::take(&mut self.people).into_iter().collect();
        insert_each_row(
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
            &people,
            |(key, p)| {
                vec![
                    Value::from(key.clone()),
                    p.group_id.clone().into(),
                    p.account_id.into(),
                    p.contact_id.into(),
                    p.email.clone().into(),
                    p.name.clone().into(),
                    serde_json::Value::Object(p.traits.clone()).to_string().into(),
                    p.first_seen_at.unwrap_or(received_at).into(),
                    p.last_seen_at.unwrap_or(received_at).into(),
                ]
            },
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
    pub(super) async fn finish(mut self, tx: &mut Tx) -> Result<()> {
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

    /// Recomputes every rollup from the stored events (`lodestar usage rebuild`).
    pub async fn rebuild_usage_rollups(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Queued blocks first: applying them keeps their unplaced events waiting, which the
        // rebuild reads, and leaves no block for a follower to count a second time.
        while apply_queued(&mut tx, usize::MAX).await?.blocks > 0 {}
        rebuild_rollups(&mut tx).await?;
        settle_unsettled(&mut tx, usize::MAX).await?;
        tx.commit().await
    }
}

/// Makes the transaction the only one changing usage until it ends. SQLite has one writer
/// already; on PostgreSQL two server processes could otherwise both count a person new to a
/// day (each reads the activity summary before the other commits) or both add the same
/// first use.
pub(super) async fn lock_usage(tx: &mut Tx) -> Result<()> {
    if tx.backend() == crate::Backend::Postgres {
        on_tx!(tx, |c| sqlx::query("SELECT pg_advisory_xact_lock(4242424243)")
            .execute(&mut *c)
            .await?
            .rows_affected());
    }
    Ok(())
}

/// Records the milestones and refreshes the health of accounts whose usage changed.
pub(super) async fn settle_accounts(tx: &mut Tx, touched: &HashSet<i64>) -> Result<()> {
    crate::records::milestones::check_milestones(tx, Some(touched)).await?;
    tx.touch_accounts(touched.iter().copied());
    Ok(())
}

/// `SELECT … WHERE column IN (keys)` in chunks, for any row shape.
pub(super) async fn select_in<T>(tx: &mut Tx, sql_before_in: &str, keys: &[String]) -> Result<Vec<T>>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    select_in_then(tx, sql_before_in, keys, "").await
}

/// [`select_in`] with `after_in` following the list (an `UPDATE … RETURNING`, say).
pub(super) async fn select_in_then<T>(
    tx: &mut Tx,
    sql_before_in: &str,
    keys: &[String],
    after_in: &str,
) -> Result<Vec<T>>
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

pub(super) fn distinct(keys: impl IntoIterator<Item = String>) -> Vec<String> {
    let set: HashSet<String> = keys.into_iter().collect();
    let mut keys: Vec<String> = set.into_iter().collect();
    keys.sort();
    keys
}

/// Stores a batch (see the module documentation), leaving in `pending` what is to be written
/// at its end.
pub(super) async fn store_messages(tx: &mut Tx, messages: &[Message], pending: &mut Pending) -> Result<IngestSummary> {
    lock_usage(tx).await?;
    let (new, duplicates) = claim_new(tx, messages, pending.import_keys.as_mut()).await?;
    let received_at = tx.now();
    // An import's batch comes with its block compressed already: stored as it is when none of
    // the batch was left out.
    match pending.compressed_block.take().filter(|b| b.events == new.len()) {
        Some(block) => {
            blocks::write_compressed_block(tx, received_at, block.events, &block.body).await?;
        }
        None => {
            blocks::write_block(tx, received_at, &new).await?;
        }
    }
    let unmatched = place_messages(tx, &new, pending).await?;
    Ok(IngestSummary {
        stored: new.len(),
        duplicates,
        unmatched,
    })
}

/// The messages never stored before, each once, and how many were left out: a message is
/// known by its own time and its id (see EventKey), in the batch as in the store. Their keys
/// are claimed, so the caller must store them in the same transaction.
/// A bulk import on SQLite passes its `import_keys`, which claims in memory and writes at
/// commit.
pub(super) async fn claim_new<'m>(
    tx: &mut Tx,
    messages: &'m [Message],
    import_keys: Option<&mut ImportKeys>,
) -> Result<(Vec<&'m Message>, usize)> {
    let mut seen = HashSet::new();
    let (messages_once, keys): (Vec<&Message>, Vec<EventKey>) = messages
        .iter()
        .map(|m| (m, m.event_key()))
        .filter(|(_, k)| seen.insert(*k))
        .unzip();
    let new_keys = match import_keys {
        Some(import_keys) => import_keys.claim(tx, &keys).await?,
        None => blocks::claim_keys(tx, &keys).await?,
    };
    let new: Vec<&Message> = messages_once
        .into_iter()
        .zip(keys)
        .filter(|(_, k)| new_keys.contains(k))
        .map(|(m, _)| m)
        .collect();
    let duplicates = messages.len() - new.len();
    Ok((new, duplicates))
}

/// Places stored messages (see the module documentation): people changed by their identify,
/// group and alias calls, each activity on its account or waiting for one, the earlier events
/// of people merged or placed just now. Leaves in `pending` what is to be written at the end;
/// returns how many messages wait for an account. The caller holds [`lock_usage`].
pub(super) async fn place_messages(tx: &mut Tx, messages: &[&Message], pending: &mut Pending) -> Result<usize> {
    if messages.is_empty() {
        return Ok(0);
    }
    let mut unmatched = 0;
    // People change in the order things happened; the block keeps the order of arrival, so an
    // export gives the messages back as they came (and an export imported exports the same).
    let mut in_time_order = messages.to_vec();
    in_time_order.sort_by_key(|m| m.occurred_at);

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
    for &m in &in_time_order {
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

    // 4. The events: each on its account when it has one, else waiting.
    let mut waiting = Vec::new();
    for &m in messages {
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
                unmatched += 1;
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
    Ok(unmatched)
}

/// Counts `previous`'s events (an alias call's earlier id) as `current`'s from now on: in the
/// rollups, in the events still waiting, and in later rebuilds. Returns the accounts touched.
pub(super) async fn merge_person(tx: &mut Tx, previous: &str, current: &str) -> Result<HashSet<i64>> {
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

/// Maps and sets filled per event: foldhash, seeded per process like the standard hash and
/// several times faster on these small keys (SipHash was a tenth of a bulk import's time).
pub(super) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub(super) type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

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
pub(super) struct Names {
    pub(super) ids: FastMap<String, u32>,
    pub(super) texts: Vec<String>,
}

impl Names {
    pub(super) fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(text.to_owned());
        self.ids.insert(text.to_owned(), id);
        id
    }

    pub(super) fn text(&self, id: u32) -> &str {
        &self.texts[id as usize]
    }

    /// Each id's place among the texts in their order: sorting by rank sorts by text.
    pub(super) fn ranks(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = (0..self.texts.len() as u32).collect();
        ids.sort_unstable_by_key(|id| self.text(*id));
        let mut rank = vec![0; ids.len()];
        for (place, id) in ids.into_iter().enumerate() {
            rank[id as usize] = place as u32;
        }
        rank
    }
}
