//! `lodestar import events FILE`: Segment-format NDJSON (one message per line, as a Segment
//! export or a warehouse dump gives them) or CSV (`timestamp,user_id,account_id,event`, more
//! columns become properties). Each line is judged by the same rules as the HTTP API; a
//! refused line is reported with its number and the rest are imported. Lines without a
//! messageId get one derived from their content, so importing a file twice stores nothing
//! the second time.
//!
//! An NDJSON file is parsed on every core while the database stores what is parsed: a reader
//! thread cuts it into slabs of whole lines ([`SLAB_BYTES`]), parser threads turn each slab
//! into a chunk of messages, and the writer takes the chunks back in file order (so the
//! stored blocks keep the file's order, and an export gives it back). The channels hold a few
//! slabs and chunks each, which bounds the memory whatever the file's size. A CSV file is
//! read and parsed on one thread. Chunks are committed together, [`SEGMENT_EVENTS`] events
//! at a time: each commit writes every index page its events touched, so fewer, larger
//! commits write far less.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use lodestar_domain::usage::{Message, MessageKind};
use lodestar_store::{EventImport, ImportBatch, IngestSummary, Store};
use sha2::{Digest, Sha256};

/// CSV lines per chunk: one block of stored events each.
const CHUNK_LINES: usize = 20_000;
/// Events per transaction (a segment of the file). A segment's keys and rollup rows are
/// written once, at its commit, so up to this many events are one transaction; the bound is
/// the memory held until then (the keys and the summed rollups): 3.5 million keys still fit
/// the key set's table of 4 million slots (100 MB), the next size doubles it. An import
/// stopped half-way keeps the segments committed; importing the file again stores the rest
/// (the committed events count as duplicates).
const SEGMENT_EVENTS: usize = 3_500_000;

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

/// Parsed lines in file order: `seq` numbers the chunks as the file gives them.
struct Chunk {
    seq: u64,
    /// The messages read, with their block framed and compressed on the parsing thread, off
    /// the writer's; `None` in a check, which stores nothing.
    batch: Option<ImportBatch>,
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
    let parsers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (chunks, received) = sync_channel::<anyhow::Result<Chunk>>(parsers);
    let received_at = store.now();
    let reader_file = file.clone();
    let mut threads = Vec::new();
    if csv {
        threads.push(std::thread::spawn(move || {
            if let Err(e) = read_csv(input, &chunks, received_at, !check) {
                let _ = chunks.send(Err(e.context(reader_file)));
            }
        }));
    } else {
        let (slabs, to_parse) = sync_channel::<Slab>(parsers);
        let to_parse = Arc::new(Mutex::new(to_parse));
        for _ in 0..parsers {
            let (to_parse, chunks) = (to_parse.clone(), chunks.clone());
            threads.push(std::thread::spawn(move || {
                parse_slabs(&to_parse, &chunks, received_at, !check)
            }));
        }
        threads.push(std::thread::spawn(move || {
            if let Err(e) = read_slabs(input, SLAB_BYTES, &slabs) {
                let _ = chunks.send(Err(anyhow::Error::new(e).context("cannot read").context(reader_file)));
            }
        }));
    }
    let bar = super::progress_bar(
        size,
        progress,
        "importing {bytes}/{total_bytes} [{bar:30}] {bytes_per_sec} {eta} left",
    );
    let report = store_chunks((!check).then_some(store), &received, &bar, file).await;
    bar.finish_and_clear();
    drop(received);
    for thread in threads {
        thread.join().expect("the reading and parsing threads do not panic");
    }
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
    let mut in_order = InOrder::default();
    // The blocking receive runs off the async runtime's threads.
    loop {
        let next = tokio::task::block_in_place(|| chunks.recv());
        let Ok(chunk) = next else { break };
        in_order.put(chunk?);
        while let Some(chunk) = in_order.next() {
            report.lines += chunk.lines;
            report.rejected.extend(chunk.rejected);
            if let (Some(store), Some(stored)) = (store, report.stored.as_mut()) {
                let open = match import.as_mut() {
                    Some(open) => open,
                    None => import.insert(store.begin_event_import().await?),
                };
                let batch = chunk.batch.expect("an import's chunks are ready to store");
                uncommitted += batch.messages().len();
                stored.add(open.add_batch(batch).await?);
                if uncommitted >= SEGMENT_EVENTS {
                    import.take().expect("open").commit().await?;
                    uncommitted = 0;
                }
            }
            bar.inc(chunk.bytes);
        }
    }
    anyhow::ensure!(in_order.is_empty(), "a part of the file was lost between its parsers");
    if let Some(open) = import {
        open.commit().await?;
    }
    Ok(report)
}

/// Chunks as the parsers finish them, handed on in file order.
#[derive(Default)]
struct InOrder {
    next: u64,
    early: BTreeMap<u64, Chunk>,
}

impl InOrder {
    fn put(&mut self, chunk: Chunk) {
        self.early.insert(chunk.seq, chunk);
    }

    fn next(&mut self) -> Option<Chunk> {
        let chunk = self.early.remove(&self.next)?;
        self.next += 1;
        Some(chunk)
    }

    fn is_empty(&self) -> bool {
        self.early.is_empty()
    }
}

/// Whole lines of an NDJSON file, read in one piece to be parsed on another thread.
struct Slab {
    seq: u64,
    /// The number of its first line in the file.
    first_line: u64,
    text: Vec<u8>,
}

/// Bytes read at a time (up to the last line break): one chunk, and so one stored block, of
/// about 16,000 events of a typical export. Large enough that handing slabs between threads
/// costs nothing much, small enough that the slabs in flight stay a few tens of megabytes.
const SLAB_BYTES: usize = 4 << 20;

/// Cuts `input` into slabs of whole lines of about `slab_bytes` (a longer line is one slab).
fn read_slabs(mut input: impl Read, slab_bytes: usize, slabs: &SyncSender<Slab>) -> std::io::Result<()> {
    let mut seq = 0;
    let mut first_line = 1;
    let mut rest: Vec<u8> = Vec::new();
    loop {
        let mut text = std::mem::take(&mut rest);
        let start = text.len();
        text.resize(start + slab_bytes, 0);
        let read = read_up_to(&mut input, &mut text[start..])?;
        text.truncate(start + read);
        let end_of_file = read == 0;
        if !end_of_file {
            match text.iter().rposition(|&b| b == b'\n') {
                Some(last) => rest = text.split_off(last + 1),
                None => {
                    // A line longer than a slab: read on until it ends.
                    rest = text;
                    continue;
                }
            }
        }
        if !text.is_empty() {
            let breaks = text.iter().filter(|&&b| b == b'\n').count() as u64;
            let slab = Slab { seq, first_line, text };
            if slabs.send(slab).is_err() {
                return Ok(());
            }
            seq += 1;
            first_line += breaks;
        }
        if end_of_file {
            return Ok(());
        }
    }
}

/// Fills `buffer` from `input` as far as it goes; fewer bytes only at the end of the input.
fn read_up_to(input: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A parser thread: takes slabs until there are none, parses each into a chunk (ready to
/// `store`, or only judged).
fn parse_slabs(
    slabs: &Mutex<Receiver<Slab>>,
    chunks: &SyncSender<anyhow::Result<Chunk>>,
    received_at: DateTime<Utc>,
    store: bool,
) {
    loop {
        let slab = slabs.lock().expect("no parser panics holding the slabs").recv();
        let Ok(slab) = slab else { return };
        if chunks.send(parse_slab(slab, received_at, store)).is_err() {
            return;
        }
    }
}

fn parse_slab(slab: Slab, received_at: DateTime<Utc>, store: bool) -> anyhow::Result<Chunk> {
    let text = std::str::from_utf8(&slab.text)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        .context("cannot read")?;
    let mut chunk = new_chunk(slab.seq);
    chunk.bytes = text.len() as u64;
    let mut messages = Vec::with_capacity(text.len() / 200);
    for (number, line) in (slab.first_line..).zip(text.split_inclusive('\n')) {
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        chunk.lines += 1;
        match Message::parse_line(line, None, received_at, || content_id(line)) {
            Ok(m) => messages.push(m),
            Err(refusal) => chunk.rejected.push(Rejected {
                line: number,
                field: refusal.field.to_owned(),
                reason: refusal.reason,
            }),
        }
    }
    chunk.batch = store.then(|| ImportBatch::new(messages));
    Ok(chunk)
}

fn new_chunk(seq: u64) -> Chunk {
    Chunk {
        seq,
        batch: None,
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
    store: bool,
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
    let mut seq = 0;
    let mut chunk = new_chunk(seq);
    let mut messages = Vec::with_capacity(CHUNK_LINES);
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
            Ok(m) => messages.push(m),
            Err(refusal) => chunk.rejected.push(Rejected {
                line,
                field: csv_field(refusal.field).to_owned(),
                reason: refusal.reason,
            }),
        }
        if chunk.lines as usize >= CHUNK_LINES {
            let full = std::mem::replace(&mut messages, Vec::with_capacity(CHUNK_LINES));
            chunk.batch = store.then(|| ImportBatch::new(full));
            seq += 1;
            if chunks.send(Ok(std::mem::replace(&mut chunk, new_chunk(seq)))).is_err() {
                return Ok(());
            }
        }
    }
    chunk.batch = store.then(|| ImportBatch::new(messages));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The slabs of `text` cut at most `slab_bytes` apart (a longer line whole), parsed.
    fn parsed(text: &str, slab_bytes: usize) -> Vec<Chunk> {
        let (slabs, cut) = sync_channel(1000);
        read_slabs(text.as_bytes(), slab_bytes, &slabs).unwrap();
        drop(slabs);
        let received_at = "2026-11-25T12:00:00Z".parse().unwrap();
        cut.into_iter()
            .map(|slab| parse_slab(slab, received_at, true).unwrap())
            .collect()
    }

    #[test]
    fn slabs_keep_every_line_whole_in_order_with_its_number() {
        let track = |id: &str| format!(r#"{{"type":"track","messageId":"{id}","userId":"u","event":"e"}}"#);
        let long = format!(
            r#"{{"type":"track","messageId":"long","userId":"u","event":"e","properties":{{"pad":"{}"}}}}"#,
            "x".repeat(300)
        );
        let text = [
            track("m1"),
            String::new(),
            r#"{"type":"track","userId":"u"}"#.to_owned(),
            track("m4") + "\r",
            long,
            track("m6"),
            "not json".to_owned(),
            track("m8"),
        ]
        .join("\n");
        for slab_bytes in [16, 100, 200, 1 << 20] {
            let chunks = parsed(&text, slab_bytes);
            assert!(chunks.iter().enumerate().all(|(i, c)| c.seq == i as u64));
            let ids: Vec<&str> = chunks
                .iter()
                .flat_map(|c| c.batch.as_ref().unwrap().messages())
                .map(|m| m.message_id.as_str())
                .collect();
            assert_eq!(ids, ["m1", "m4", "long", "m6", "m8"], "slabs of {slab_bytes} bytes");
            let refused: Vec<(u64, &str)> = chunks
                .iter()
                .flat_map(|c| &c.rejected)
                .map(|r| (r.line, r.field.as_str()))
                .collect();
            assert_eq!(refused, [(3, "event"), (7, "message")], "slabs of {slab_bytes} bytes");
            assert_eq!(
                chunks.iter().map(|c| c.lines).sum::<u64>(),
                7,
                "the blank line is not an event"
            );
            assert_eq!(chunks.iter().map(|c| c.bytes).sum::<u64>(), text.len() as u64);
        }
    }

    #[test]
    fn chunks_are_handed_on_in_file_order_whichever_parser_finishes_first() {
        let chunk = |seq| Chunk {
            seq,
            batch: None,
            rejected: Vec::new(),
            lines: 0,
            bytes: 0,
        };
        let mut in_order = InOrder::default();
        in_order.put(chunk(1));
        assert!(in_order.next().is_none(), "chunk 0 is still being parsed");
        in_order.put(chunk(0));
        assert_eq!(in_order.next().map(|c| c.seq), Some(0));
        assert_eq!(in_order.next().map(|c| c.seq), Some(1));
        assert!(in_order.next().is_none() && in_order.is_empty());
    }
}
