//! `lodestar import events FILE`: Segment-format NDJSON (one message per line, as a Segment
//! export or a warehouse dump gives them) or CSV (`timestamp,user_id,account_id,event`, more
//! columns become properties). Each line is judged by the same rules as the HTTP API; a
//! refused line is reported with its number and the rest are imported. Lines without a
//! messageId get one derived from their content, so importing a file twice stores nothing
//! the second time.
//!
//! A reader thread parses the file in chunks while the database stores the previous chunk;
//! the channel between them holds two chunks, which bounds the memory whatever the file's
//! size. Chunks are committed together, [`SEGMENT_EVENTS`] events at a time: each commit
//! writes every index page its events touched, so fewer, larger commits write far less.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use lodestar_domain::usage::{Message, MessageKind};
use lodestar_store::{EventImport, IngestSummary, Store};
use sha2::{Digest, Sha256};

/// Lines per chunk: one block of stored events each.
const CHUNK_LINES: usize = 20_000;
/// Events per transaction (a segment of the file). A segment's keys and rollup rows are
/// written once, at its commit, so up to this many events are one transaction; the bound is
/// the memory held until then (the keys and the summed rollups). An import stopped half-way
/// keeps the segments committed; importing the file again stores the rest (the committed
/// events count as duplicates).
const SEGMENT_EVENTS: usize = 4_000_000;

/// One refused line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct EventImportReport {
    pub file: String,
    pub lines: u64,
    /// What was stored; `None` for a check that writes nothing.
    pub stored: Option<IngestSummary>,
    pub rejected: Vec<Rejected>,
}

impl EventImportReport {
    /// `FILE:LINE: field: reason` for every refused line.
    pub fn error_lines(&self) -> Vec<String> {
        self.rejected
            .iter()
            .map(|r| format!("{}:{}: {}: {}", self.file, r.line, r.field, r.reason))
            .collect()
    }
}

impl fmt::Display for EventImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.stored {
            Some(stored) => write!(
                f,
                "{}: {} events read, {} imported, {} duplicates, {} unmatched (kept until their account is known), {} rejected",
                self.file,
                self.lines,
                stored.stored,
                stored.duplicates,
                stored.unmatched,
                self.rejected.len()
            ),
            None => write!(
                f,
                "{}: {} events read, {} valid, {} rejected; nothing written (--check)",
                self.file,
                self.lines,
                self.lines - self.rejected.len() as u64,
                self.rejected.len()
            ),
        }
    }
}

struct Chunk {
    messages: Vec<Message>,
    rejected: Vec<Rejected>,
    lines: u64,
    bytes: u64,
}

/// A stable id for a line that has none: the same line always gets the same id.
fn content_id(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("import-{hex}")
}

/// Imports `path`; with `check`, only reads and judges every line and writes nothing.
pub async fn import_events(
    store: &Store,
    path: &Path,
    check: bool,
    progress: bool,
) -> anyhow::Result<EventImportReport> {
    let file = path.display().to_string();
    let size = std::fs::metadata(path)
        .with_context(|| format!("{file}: cannot read"))?
        .len();
    let input = std::fs::File::open(path).with_context(|| format!("{file}: cannot read"))?;
    let csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let (chunks, received) = sync_channel::<anyhow::Result<Chunk>>(2);
    let reader_file = file.clone();
    let received_at = store.now();
    let reader = std::thread::spawn(move || {
        let result = if csv {
            read_csv(input, &chunks, received_at)
        } else {
            read_ndjson(input, &chunks, received_at)
        };
        if let Err(e) = result {
            let _ = chunks.send(Err(e.context(reader_file)));
        }
    });
    let bar = super::progress_bar(
        size,
        progress,
        "importing {bytes}/{total_bytes} [{bar:30}] {bytes_per_sec} {eta} left",
    );
    let report = store_chunks((!check).then_some(store), &received, &bar, file).await;
    bar.finish_and_clear();
    drop(received);
    reader.join().expect("the reader thread does not panic");
    report
}

async fn store_chunks(
    store: Option<&Store>,
    chunks: &Receiver<anyhow::Result<Chunk>>,
    bar: &ProgressBar,
    file: String,
) -> anyhow::Result<EventImportReport> {
    let mut report = EventImportReport {
        file,
        stored: store.map(|_| IngestSummary::default()),
        ..EventImportReport::default()
    };
    let mut import: Option<EventImport> = None;
    let mut uncommitted = 0;
    // The blocking receive runs off the async runtime's threads.
    loop {
        let next = tokio::task::block_in_place(|| chunks.recv());
        let Ok(chunk) = next else { break };
        let chunk = chunk?;
        report.lines += chunk.lines;
        report.rejected.extend(chunk.rejected);
        if let (Some(store), Some(stored)) = (store, report.stored.as_mut()) {
            let open = match import.as_mut() {
                Some(open) => open,
                None => import.insert(store.begin_event_import().await?),
            };
            stored.add(open.add(&chunk.messages).await?);
            uncommitted += chunk.messages.len();
            if uncommitted >= SEGMENT_EVENTS {
                import.take().expect("open").commit().await?;
                uncommitted = 0;
            }
        }
        bar.inc(chunk.bytes);
    }
    if let Some(open) = import {
        open.commit().await?;
    }
    Ok(report)
}

fn read_ndjson(
    input: impl Read,
    chunks: &SyncSender<anyhow::Result<Chunk>>,
    received_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut lines = BufReader::with_capacity(1 << 20, input);
    let mut chunk = new_chunk();
    let mut number = 0u64;
    let mut text = String::new();
    loop {
        text.clear();
        let read = lines.read_line(&mut text).context("cannot read")?;
        if read == 0 {
            break;
        }
        number += 1;
        chunk.bytes += read as u64;
        let line = text.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        chunk.lines += 1;
        match Message::parse_line(line, None, received_at, || content_id(line)) {
            Ok(m) => chunk.messages.push(m),
            Err(refusal) => chunk.rejected.push(Rejected {
                line: number,
                field: refusal.field.to_owned(),
                reason: refusal.reason,
            }),
        }
        if chunk.lines as usize >= CHUNK_LINES && chunks.send(Ok(std::mem::replace(&mut chunk, new_chunk()))).is_err() {
            return Ok(());
        }
    }
    let _ = chunks.send(Ok(chunk));
    Ok(())
}

fn new_chunk() -> Chunk {
    Chunk {
        messages: Vec::with_capacity(CHUNK_LINES),
        rejected: Vec::new(),
        lines: 0,
        bytes: 0,
    }
}

/// The CSV columns with a meaning of their own; any other column becomes a property.
const CSV_COLUMNS: [&str; 5] = ["timestamp", "user_id", "account_id", "event", "message_id"];

fn read_csv(
    input: impl Read,
    chunks: &SyncSender<anyhow::Result<Chunk>>,
    received_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers().context("line 1: cannot read the header")?.clone();
    let find = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let missing: Vec<&str> = CSV_COLUMNS[..4].iter().copied().filter(|c| find(c).is_none()).collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "line 1: the header lacks {}; an events CSV has the columns timestamp,user_id,account_id,event (more columns become properties)",
            missing.join(", ")
        );
    }
    let [timestamp, user, account, event] =
        ["timestamp", "user_id", "account_id", "event"].map(|c| find(c).expect("checked"));
    let message_id = find("message_id");
    let properties: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !CSV_COLUMNS.iter().any(|c| h.trim().eq_ignore_ascii_case(c)))
        .map(|(i, h)| (i, h.trim().to_owned()))
        .collect();
    let mut chunk = new_chunk();
    let mut record = csv::StringRecord::new();
    let mut consumed = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                chunk.rejected.push(Rejected {
                    line,
                    field: "row".into(),
                    reason: e.to_string(),
                });
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let position = record.position().map_or(0, |p| p.byte());
        chunk.bytes += position.saturating_sub(consumed);
        consumed = position;
        chunk.lines += 1;
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        let props: serde_json::Map<String, serde_json::Value> = properties
            .iter()
            .filter(|(i, _)| !cell(*i).is_empty())
            .map(|(i, name)| (name.clone(), serde_json::Value::from(cell(*i))))
            .collect();
        let mut json = serde_json::json!({
            "type": "track",
            "userId": cell(user),
            "event": cell(event),
            "timestamp": cell(timestamp),
            "properties": props,
        });
        if !cell(account).is_empty() {
            json["context"] = serde_json::json!({ "groupId": cell(account) });
        }
        if let Some(m) = message_id.filter(|m| !cell(*m).is_empty()) {
            json["messageId"] = cell(m).into();
        }
        let text = json.to_string();
        match Message::parse(&text, Some(MessageKind::Track), received_at, || content_id(&text)) {
            Ok(m) => chunk.messages.push(m),
            Err(refusal) => chunk.rejected.push(Rejected {
                line,
                field: csv_field(refusal.field).to_owned(),
                reason: refusal.reason,
            }),
        }
        if chunk.lines as usize >= CHUNK_LINES && chunks.send(Ok(std::mem::replace(&mut chunk, new_chunk()))).is_err() {
            return Ok(());
        }
    }
    let _ = chunks.send(Ok(chunk));
    Ok(())
}

/// The CSV column a message rule speaks of.
fn csv_field(message_field: &str) -> &str {
    match message_field {
        "userId" => "user_id",
        "context.groupId" => "account_id",
        "messageId" => "message_id",
        other => other,
    }
}
