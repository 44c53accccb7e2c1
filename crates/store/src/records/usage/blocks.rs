//! How product-usage messages are kept (F-10): each stored batch is one row of
//! `usage_event_blocks`, its messages framed one after another and LZ4-compressed (JSON
//! events shrink to about a fifth: less to write, to back up and to keep), and each message's
//! [`EventKey`] (its own time, then the hash of its messageId) one row of `usage_event_keys`.
//! A message costs one index entry (its key) instead of a row and three index entries; the
//! block is read again only to rebuild the rollups. Live messages are "now", so their keys
//! are written at the end of the key index, not on a random page of it each.
//!
//! A record is a header line, `KIND MICROS ID_BYTES PAYLOAD_BYTES`, then the message id and
//! the payload as received, then a newline. Lengths rather than separators because a payload
//! may hold newlines (JSON whitespace) and an id any character.

use std::collections::HashSet;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use lodestar_domain::usage::{EventKey, Message, MessageKey, MessageKind};

use crate::bulk::{Value, insert_each_row, insert_rows, values_rows};
use crate::sqlite_raw::RawConnection;
use crate::{Result, StoreError, Tx, on_tx};

/// One message as a block keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    pub kind: MessageKind,
    pub occurred_at: DateTime<Utc>,
    pub message_id: &'a str,
    pub payload: &'a str,
}

impl Record<'_> {
    /// The message again, as it was read when it arrived.
    pub(crate) fn message(&self) -> Result<Message> {
        let mut m = Message::parse_line(self.payload, Some(self.kind), self.occurred_at, || {
            self.message_id.to_owned()
        })
        .map_err(|r| StoreError::Corrupt(format!("stored message {}: {}: {}", self.message_id, r.field, r.reason)))?;
        m.message_id = self.message_id.to_owned();
        m.occurred_at = self.occurred_at;
        Ok(m)
    }

    /// The message's key: its own time (read again from the payload) or 0, then its id's hash.
    pub(crate) fn key(&self) -> Result<EventKey> {
        Ok(self.message()?.event_key())
    }
}

pub(crate) fn encode<'a>(messages: impl IntoIterator<Item = &'a Message>) -> String {
    let mut body = String::new();
    for m in messages {
        let _ = writeln!(
            body,
            "{} {} {} {}",
            m.kind.as_str(),
            m.occurred_at.timestamp_micros(),
            m.message_id.len(),
            m.payload.len()
        );
        body.push_str(&m.message_id);
        body.push_str(&m.payload);
        body.push('\n');
    }
    body
}

pub(crate) fn decode(body: &str) -> Result<Vec<Record<'_>>> {
    let corrupt = |at: usize| StoreError::Corrupt(format!("usage block damaged at byte {at}"));
    let mut records = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let header_end = at + body[at..].find('\n').ok_or_else(|| corrupt(at))?;
        let mut parts = body[at..header_end].split(' ');
        let mut next = || parts.next().ok_or_else(|| corrupt(at));
        let kind = MessageKind::parse(next()?).ok_or_else(|| corrupt(at))?;
        let micros: i64 = next()?.parse().map_err(|_| corrupt(at))?;
        let id_len: usize = next()?.parse().map_err(|_| corrupt(at))?;
        let payload_len: usize = next()?.parse().map_err(|_| corrupt(at))?;
        let id_at = header_end + 1;
        let payload_at = id_at + id_len;
        let end = payload_at + payload_len;
        let (Some(message_id), Some(payload)) = (body.get(id_at..payload_at), body.get(payload_at..end)) else {
            return Err(corrupt(at));
        };
        records.push(Record {
            kind,
            occurred_at: DateTime::from_timestamp_micros(micros).ok_or_else(|| corrupt(at))?,
            message_id,
            payload,
        });
        at = end + 1;
    }
    Ok(records)
}

/// Stores `messages` (their keys claimed with [`claim_keys`]) as one block; returns its id,
/// `None` when there is nothing to store.
pub(crate) async fn write_block(tx: &mut Tx, received_at: DateTime<Utc>, messages: &[&Message]) -> Result<Option<i64>> {
    if messages.is_empty() {
        return Ok(None);
    }
    let body = compress(messages.iter().copied());
    write_compressed_block(tx, received_at, messages.len(), &body)
        .await
        .map(Some)
}

/// The body of a block of `messages`: framed ([`encode`]), then LZ4-compressed.
pub(crate) fn compress<'a>(messages: impl IntoIterator<Item = &'a Message>) -> Vec<u8> {
    lz4_flex::compress_prepend_size(encode(messages).as_bytes())
}

/// Stores a block whose body ([`compress`]) holds `events` messages; returns its id.
pub(crate) async fn write_compressed_block(
    tx: &mut Tx,
    received_at: DateTime<Utc>,
    events: usize,
    body: &[u8],
) -> Result<i64> {
    let id: i64 = on_tx!(&mut *tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO usage_event_blocks (received_at, events, body) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(received_at)
        .bind(events as i64)
        .bind(body)
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// Records the keys of messages about to be stored and returns those that are new: a key
/// stored already (by an earlier batch, or by another writer that committed first) is left
/// out. One index write per message decides it, with no lookup before; written in key order
/// (time first), the inserts walk the index once, and live traffic's keys append to it.
pub(crate) async fn claim_keys(tx: &mut Tx, keys: &[EventKey]) -> Result<HashSet<EventKey>> {
    let mut sorted = keys.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    match &mut tx.conn {
        crate::TxConn::Postgres(c) => {
            // One statement however many keys: the three columns as arrays, in key order.
            let mut columns = (
                Vec::with_capacity(sorted.len()),
                Vec::with_capacity(sorted.len()),
                Vec::with_capacity(sorted.len()),
            );
            for k in &sorted {
                columns.0.push(k.at);
                columns.1.push(k.high);
                columns.2.push(k.low);
            }
            let new: Vec<(i64, i64, i64)> = sqlx::query_as(
                "INSERT INTO usage_event_keys (at, high, low) \
                 SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[]) AS k (at, high, low) ORDER BY 1, 2, 3 \
                 ON CONFLICT (at, high, low) DO NOTHING RETURNING at, high, low",
            )
            .bind(columns.0)
            .bind(columns.1)
            .bind(columns.2)
            .fetch_all(&mut **c)
            .await?;
            Ok(new
                .into_iter()
                .map(|(at, high, low)| EventKey { at, high, low })
                .collect())
        }
        crate::TxConn::Sqlite(c) => {
            // One prepared insert stepped per key, as SQLite's C would: a key whose insert
            // changed no row was stored already. Through sqlx a batch of keys cost as much as
            // the rest of the answer path together (BENCHMARKS.md, issue 19 lever 2).
            let mut raw = RawConnection::lock(c).await?;
            let mut insert = raw.prepare(
                "INSERT INTO usage_event_keys (at, high, low) VALUES (?, ?, ?) ON CONFLICT (at, high, low) DO NOTHING",
            )?;
            let mut new = HashSet::with_capacity(sorted.len());
            for key in sorted {
                if insert.execute(&key_row(key))? == 1 {
                    new.insert(key);
                }
            }
            Ok(new)
        }
    }
}

fn key_row(k: EventKey) -> Vec<Value> {
    vec![Value::from(k.at), Value::from(k.high), Value::from(k.low)]
}

/// Which of `keys` are stored.
pub(crate) async fn stored_keys(tx: &mut Tx, keys: &[EventKey]) -> Result<HashSet<EventKey>> {
    let mut found = HashSet::new();
    let mut sorted = keys.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for chunk in sorted.chunks(5000) {
        // Driven from the list, so each key is one lookup in the index.
        let sql = format!(
            "SELECT k.at, k.high, k.low FROM ({}) v JOIN usage_event_keys k \
             ON k.at = v.column1 AND k.high = v.column2 AND k.low = v.column3",
            values_rows(tx.backend(), chunk.len(), &["BIGINT", "BIGINT", "BIGINT"])
        );
        let rows: Vec<(i64, i64, i64)> = on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query_as(&sql);
            for k in chunk {
                q = q.bind(k.at).bind(k.high).bind(k.low);
            }
            q.fetch_all(&mut *c).await?
        });
        found.extend(rows.into_iter().map(|(at, high, low)| EventKey { at, high, low }));
    }
    Ok(found)
}

/// The stored block after block `after` (by id) with its id, its body uncompressed (read with
/// [`decode`]): one block in memory at a time, as a block may hold tens of megabytes.
pub(crate) async fn next_block(tx: &mut Tx, after: i64) -> Result<Option<(i64, String)>> {
    let found: Option<(i64, Vec<u8>)> = on_tx!(&mut *tx, |c| {
        sqlx::query_as("SELECT id, body FROM usage_event_blocks WHERE id > $1 ORDER BY id LIMIT 1")
            .bind(after)
            .fetch_optional(&mut *c)
            .await?
    });
    let Some((id, compressed)) = found else { return Ok(None) };
    let damaged = |why: String| StoreError::Corrupt(format!("usage block {id}: {why}"));
    let bytes = lz4_flex::decompress_size_prepended(&compressed).map_err(|e| damaged(e.to_string()))?;
    let body = String::from_utf8(bytes).map_err(|e| damaged(e.to_string()))?;
    Ok(Some((id, body)))
}

/// How many messages the blocks hold.
pub(crate) async fn stored_count(tx: &mut Tx) -> Result<i64> {
    let total: Option<i64> = on_tx!(&mut *tx, |c| {
        sqlx::query_scalar("SELECT CAST(SUM(events) AS BIGINT) FROM usage_event_blocks")
            .fetch_one(&mut *c)
            .await?
    });
    Ok(total.unwrap_or(0))
}

/// Moves the messages of the table `usage_events` (schema versions 5 to 9) into blocks of
/// `per_block`, with their keys and the aliases they name, then drops it. The rows still
/// waiting for an account and the people's first uses were copied by the migration's SQL.
pub(crate) async fn move_legacy_events(tx: &mut Tx, per_block: usize) -> Result<()> {
    let mut after = 0i64;
    loop {
        #[derive(sqlx::FromRow)]
        struct LegacyEvent {
            id: i64,
            message_id: String,
            kind: String,
            user_key: String,
            occurred_at: DateTime<Utc>,
            received_at: DateTime<Utc>,
            payload: String,
        }
        let rows: Vec<LegacyEvent> = on_tx!(&mut *tx, |c| {
            sqlx::query_as(
                "SELECT id, message_id, kind, user_key, occurred_at, received_at, payload FROM usage_events \
                 WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(per_block as i64)
            .fetch_all(&mut *c)
            .await?
        });
        let Some(last) = rows.last() else { break };
        after = last.id;
        let received_at = last.received_at;
        let mut messages = Vec::with_capacity(rows.len());
        let mut aliases = Vec::new();
        for LegacyEvent {
            message_id,
            kind,
            user_key,
            occurred_at,
            payload,
            ..
        } in rows
        {
            let kind =
                MessageKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("usage_events kind {kind}")))?;
            let record = Record {
                kind,
                occurred_at,
                message_id: &message_id,
                payload: &payload,
            };
            let m = record.message()?;
            // Aliases used to rewrite the earlier id in the rows; now a rebuild looks it up.
            if let Some(previous) = &m.previous_id {
                aliases.push(vec![Value::from(previous.as_str()), Value::from(user_key.as_str())]);
            }
            messages.push(m);
        }
        let refs: Vec<&Message> = messages.iter().collect();
        write_block(tx, received_at, &refs).await?;
        insert_hash_keys(tx, &refs).await?;
        insert_rows(
            tx,
            "usage_aliases",
            &["previous_key", "user_key"],
            aliases,
            "ON CONFLICT (previous_key) DO UPDATE SET user_key = excluded.user_key",
        )
        .await?;
    }
    on_tx!(&mut *tx, |c| sqlx::query("DROP TABLE usage_events")
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(())
}

/// Records the keys of `messages` as versions 10 to 30 kept them, the hash of the messageId
/// alone, in `usage_message_keys`; version 31 keys them by time.
async fn insert_hash_keys(tx: &mut Tx, messages: &[&Message]) -> Result<()> {
    let mut keys: Vec<MessageKey> = messages.iter().map(|m| MessageKey::of(&m.message_id)).collect();
    keys.sort_unstable();
    let rows: Vec<Vec<Value>> = keys
        .into_iter()
        .map(|k| vec![Value::from(k.high), Value::from(k.low)])
        .collect();
    insert_rows(
        tx,
        "usage_message_keys",
        &["high", "low"],
        rows,
        "ON CONFLICT (high, low) DO NOTHING",
    )
    .await
}

/// Stores `messages` (all new) as one block with their keys as versions 10 to 30 kept them,
/// and nothing else: a database as version 30 left it, for the test of version 31.
#[cfg(feature = "testing")]
pub(crate) async fn store_block_as_version_30(store: &crate::Store, messages: &[Message]) -> Result<()> {
    let mut tx = store.begin_write().await?;
    let received_at = tx.now();
    let refs: Vec<&Message> = messages.iter().collect();
    write_block(&mut tx, received_at, &refs).await?;
    insert_hash_keys(&mut tx, &refs).await?;
    tx.commit().await
}

/// Keys every stored message by its own time, then its id's hash (version 31): the keys are
/// derived again from the blocks, written in key order in sorted runs of at most `per_run`
/// (the memory they take), checked against the table of hashes alone, which then goes. Every
/// key that table holds has its message in a block (a message is claimed, then stored, in one
/// transaction), so the counts must agree.
pub(crate) async fn move_keys_by_time(tx: &mut Tx, per_run: usize) -> Result<()> {
    let mut run: Vec<EventKey> = Vec::with_capacity(per_run.min(1 << 16));
    let mut seen = 0i64;
    let mut after = 0i64;
    while let Some((id, body)) = next_block(tx, after).await? {
        after = id;
        for record in decode(&body)? {
            run.push(record.key()?);
            seen += 1;
            if run.len() >= per_run {
                write_sorted_keys(tx, &mut run).await?;
            }
        }
    }
    write_sorted_keys(tx, &mut run).await?;
    let old: i64 = on_tx!(&mut *tx, |c| {
        sqlx::query_scalar("SELECT COUNT(*) FROM usage_message_keys")
            .fetch_one(&mut *c)
            .await?
    });
    if old != seen {
        return Err(StoreError::Corrupt(format!(
            "usage_message_keys holds {old} keys but the blocks hold {seen} messages"
        )));
    }
    on_tx!(&mut *tx, |c| sqlx::query("DROP TABLE usage_message_keys")
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(())
}

/// Writes `run` in key order and empties it.
pub(super) async fn write_sorted_keys(tx: &mut Tx, run: &mut Vec<EventKey>) -> Result<()> {
    run.sort_unstable();
    insert_each_row(
        tx,
        "usage_event_keys",
        &["at", "high", "low"],
        run,
        |k| key_row(*k),
        "ON CONFLICT (at, high, low) DO NOTHING",
    )
    .await?;
    run.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(json: &str, kind: Option<MessageKind>) -> Message {
        let received = "2026-11-25T12:00:00Z".parse().unwrap();
        Message::parse(json, kind, received, || "given id".to_owned()).unwrap()
    }

    #[test]
    fn a_block_gives_back_every_message_as_it_arrived() {
        let messages = [
            // Pretty-printed, with a newline inside: the framing must not split it.
            message(
                "{\n  \"type\": \"track\", \"messageId\": \"m 1\", \"userId\": \"u1\",\n  \"event\": \"Signed In\", \"timestamp\": \"2026-11-02T09:00:00.123456Z\"\n}",
                None,
            ),
            // From /v1/page: the kind comes from the endpoint; no id, no time.
            message(r#"{"userId":"ü2","name":"Pricing"}"#, Some(MessageKind::Page)),
        ];
        let body = encode(&messages);
        let records = decode(&body).unwrap();
        assert_eq!(records.len(), 2);
        for (record, m) in records.iter().zip(&messages) {
            assert_eq!(record.payload, m.payload);
            assert_eq!(record.message_id, m.message_id);
            assert_eq!(&record.message().unwrap(), m, "read again, the same message");
        }
        assert_eq!(records[1].message_id, "given id");
        assert_eq!(records[1].kind, MessageKind::Page);
    }

    #[test]
    fn a_damaged_block_is_an_error_not_a_guess() {
        let body = encode(&[message(r#"{"type":"track","userId":"u","event":"e"}"#, None)]);
        for cut in [1, body.len() / 2, body.len() - 2] {
            assert!(
                matches!(decode(&body[..cut]), Err(StoreError::Corrupt(_))),
                "cut at {cut}"
            );
        }
        assert!(decode("").unwrap().is_empty());
    }
}
