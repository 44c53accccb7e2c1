//! Product-usage messages in the Segment tracking spec (F-10): what each call must carry, the
//! limits Segment documents, and how a message's time and people are read. The same rules
//! serve the HTTP API and the bulk import, so a file and a live client are judged alike.

use std::borrow::Cow;
use std::fmt::Write;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Segment's limit for one call.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;
/// The most [`Message::ndjson_line`] adds to a payload: a type, the longest messageId kept
/// (256 characters, each escaped as `\u00XX` at worst), a timestamp, their punctuation.
const MAX_ADDED_BYTES: usize = 2 * 1024;
/// The longest NDJSON line (or stored message) read: a call at Segment's limit and what an
/// export adds to it, so every exported line imports.
pub const MAX_LINE_BYTES: usize = MAX_MESSAGE_BYTES + MAX_ADDED_BYTES;
/// Segment's limit for one `/v1/batch` request.
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// Longest id (user, anonymous, group, message) and event name kept.
const MAX_ID_CHARS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Identify,
    Track,
    Group,
    Page,
    Screen,
    Alias,
}

impl MessageKind {
    pub const ALL: [MessageKind; 6] = [
        MessageKind::Identify,
        MessageKind::Track,
        MessageKind::Group,
        MessageKind::Page,
        MessageKind::Screen,
        MessageKind::Alias,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Identify => "identify",
            MessageKind::Track => "track",
            MessageKind::Group => "group",
            MessageKind::Page => "page",
            MessageKind::Screen => "screen",
            MessageKind::Alias => "alias",
        }
    }

    pub fn parse(text: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether the message is someone using the product (and so counts in usage), rather
    /// than a statement about who someone is.
    pub fn is_activity(self) -> bool {
        matches!(self, MessageKind::Track | MessageKind::Page | MessageKind::Screen)
    }
}

/// A message that passed the rules, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub kind: MessageKind,
    pub message_id: String,
    /// The Segment `userId`, or the `anonymousId` of someone not yet identified.
    pub user_key: String,
    /// What was used: the event of a `track`, the name of a `page` or `screen` (or just
    /// "page"/"screen" when unnamed). `None` for the other kinds.
    pub feature: Option<String>,
    /// The account, by external id: a `group` call's `groupId`, or `context.groupId`.
    pub group_id: Option<String>,
    /// An `alias` call's earlier id for the same person.
    pub previous_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// Whether `occurred_at` is the message's own (its `timestamp` or `originalTimestamp`)
    /// rather than the time it arrived.
    pub own_time: bool,
    /// `identify` and `group` traits (`context.traits` when the call has none of its own).
    pub traits: Map<String, Value>,
    /// The message exactly as it arrived: nothing a client sent is lost.
    pub payload: String,
}

/// The wire form, borrowing from the input where it can. Unknown members are kept in the
/// payload and otherwise ignored, as Segment does.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message_id: Option<Cow<'a, str>>,
    user_id: Option<Value>,
    anonymous_id: Option<Value>,
    #[serde(borrow)]
    event: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    group_id: Option<Value>,
    previous_id: Option<Value>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    original_timestamp: Option<Cow<'a, str>>,
    traits: Option<Map<String, Value>>,
    context: Option<WireContext>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireContext {
    group_id: Option<Value>,
    traits: Option<Map<String, Value>>,
}

/// Why a message was refused, naming the member at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

fn refuse(field: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal {
        field,
        reason: reason.into(),
    }
}

/// An id as Segment accepts it: a string, or a number that some clients send for user ids.
fn id_text(field: &'static str, value: Option<Value>) -> Result<Option<String>, Refusal> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => return Err(refuse(field, format!("must be a string, not {other}"))),
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    bounded(field, text).map(Some)
}

fn bounded(field: &'static str, text: &str) -> Result<String, Refusal> {
    if text.chars().count() > MAX_ID_CHARS {
        return Err(refuse(field, format!("is longer than {MAX_ID_CHARS} characters")));
    }
    Ok(text.to_owned())
}

fn instant(field: &'static str, text: &str) -> Result<DateTime<Utc>, Refusal> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            refuse(
                field,
                format!("{text:?} is not an ISO-8601 date and time with a zone, like 2026-11-25T14:03:00Z"),
            )
        })
}

/// How storage knows a message again: the 128-bit XXH3 hash of its `messageId`, as the two
/// signed 64-bit halves a database integer holds. Two different ids share a key with odds of
/// about n²/2¹²⁹ (1 in 10¹⁵ after 10¹² messages), so a key stands for its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageKey {
    pub high: i64,
    pub low: i64,
}

impl MessageKey {
    pub fn of(message_id: &str) -> MessageKey {
        let hash = xxhash_rust::xxh3::xxh3_128(message_id.as_bytes());
        MessageKey {
            high: (hash >> 64) as u64 as i64,
            low: hash as u64 as i64,
        }
    }
}

/// How storage knows an event again: its own time, then its [`MessageKey`]. A retry carries
/// its original `timestamp`, so it has the same key; and live traffic is "now", so new keys
/// land at the end of the index instead of on a random page each. A message that carried no
/// time of its own keys at 0: the time it arrived differs between a send and its retry.
/// Ordered by `at`, then the hash: the order the keys are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey {
    /// The message's own time in microseconds since 1970-01-01 UTC, 0 when it carried none.
    pub at: i64,
    pub high: i64,
    pub low: i64,
}

impl EventKey {
    /// The key of the message `message_id` whose own time is `own_time` (`None`: it carried none).
    pub fn of(message_id: &str, own_time: Option<DateTime<Utc>>) -> EventKey {
        let MessageKey { high, low } = MessageKey::of(message_id);
        EventKey {
            at: own_time.map_or(0, |t| t.timestamp_micros()),
            high,
            low,
        }
    }
}

impl Message {
    /// How storage knows this message again.
    pub fn event_key(&self) -> EventKey {
        EventKey::of(&self.message_id, self.own_time.then_some(self.occurred_at))
    }

    /// Reads one message. `kind` is set by single-call endpoints (`/v1/track`) and wins over
    /// a `type` member; `received_at` is used when the message carries no time;
    /// `fallback_id` names a message that came without a `messageId`.
    pub fn parse(
        json: &str,
        kind: Option<MessageKind>,
        received_at: DateTime<Utc>,
        fallback_id: impl FnOnce() -> String,
    ) -> Result<Message, Refusal> {
        if json.len() > MAX_MESSAGE_BYTES {
            return Err(refuse(
                "message",
                format!(
                    "is {} bytes; a call may be at most {MAX_MESSAGE_BYTES} bytes (32 KB)",
                    json.len()
                ),
            ));
        }
        Self::parse_any_size(json, kind, received_at, fallback_id)
    }

    /// [`Message::parse`] of a line of an NDJSON file, or of a stored message: a call at the
    /// limit with what [`Message::ndjson_line`] adds is at most [`MAX_LINE_BYTES`].
    pub fn parse_line(
        json: &str,
        kind: Option<MessageKind>,
        received_at: DateTime<Utc>,
        fallback_id: impl FnOnce() -> String,
    ) -> Result<Message, Refusal> {
        if json.len() > MAX_LINE_BYTES {
            return Err(refuse(
                "message",
                format!(
                    "is {} bytes; a line may be at most {MAX_LINE_BYTES} bytes (a 32 KB call and what an export adds)",
                    json.len()
                ),
            ));
        }
        Self::parse_any_size(json, kind, received_at, fallback_id)
    }

    fn parse_any_size(
        json: &str,
        kind: Option<MessageKind>,
        received_at: DateTime<Utc>,
        fallback_id: impl FnOnce() -> String,
    ) -> Result<Message, Refusal> {
        // serde would also read a struct from a JSON array, by position: a message is an object.
        if !json.trim_start().starts_with('{') {
            return Err(refuse(
                "message",
                "must be a JSON object ({\"type\": …, \"userId\": …})",
            ));
        }
        let wire: Wire = serde_json::from_str(json).map_err(|e| refuse("message", e.to_string()))?;
        let kind = match (kind, wire.kind.as_deref()) {
            (Some(k), _) => k,
            (None, Some(t)) => MessageKind::parse(t).ok_or_else(|| {
                refuse(
                    "type",
                    format!("{t:?} is not a Segment call; use identify, track, group, page, screen or alias"),
                )
            })?,
            (None, None) => return Err(refuse("type", "is required in a batch")),
        };
        let user_id = id_text("userId", wire.user_id)?;
        let anonymous_id = id_text("anonymousId", wire.anonymous_id)?;
        let user_key = user_id
            .or(anonymous_id)
            .ok_or_else(|| refuse("userId", "a userId or an anonymousId is required"))?;
        let message_id = match wire.message_id.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => bounded("messageId", m)?,
            None => fallback_id(),
        };
        let (context_group, context_traits) = wire.context.map_or((None, None), |c| (c.group_id, c.traits));
        let group_id = match kind {
            MessageKind::Group => Some(
                id_text("groupId", wire.group_id)?.ok_or_else(|| refuse("groupId", "is required in a group call"))?,
            ),
            _ => id_text("context.groupId", context_group)?,
        };
        let feature = match kind {
            MessageKind::Track => Some(bounded(
                "event",
                wire.event
                    .as_deref()
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                    .ok_or_else(|| refuse("event", "is required in a track call"))?,
            )?),
            MessageKind::Page | MessageKind::Screen => Some(match wire.name.as_deref().map(str::trim) {
                Some(n) if !n.is_empty() => bounded("name", n)?,
                _ => kind.as_str().to_owned(),
            }),
            _ => None,
        };
        let previous_id = match kind {
            MessageKind::Alias => Some(
                id_text("previousId", wire.previous_id)?
                    .ok_or_else(|| refuse("previousId", "is required in an alias call"))?,
            ),
            _ => None,
        };
        let (occurred_at, own_time) = match (wire.timestamp, wire.original_timestamp) {
            (Some(t), _) => (instant("timestamp", &t)?, true),
            (None, Some(t)) => (instant("originalTimestamp", &t)?, true),
            (None, None) => (received_at, false),
        };
        Ok(Message {
            kind,
            message_id,
            user_key,
            feature,
            group_id,
            previous_id,
            occurred_at,
            own_time,
            traits: wire.traits.or(context_traits).unwrap_or_default(),
            payload: json.to_owned(),
        })
    }

    /// The message as one line of NDJSON that imports as this same message (kind, id, time):
    /// the payload exactly as received when it says all three itself, on one line. Otherwise
    /// its members, as received, follow the `type` and `messageId` it lacked or that its
    /// endpoint overrode, and the `timestamp` it lacked; and line breaks (only ever whitespace
    /// between JSON tokens) become spaces. Such a line says everything itself, so it is its
    /// own line: export → import → export gives the same bytes.
    pub fn ndjson_line(&self) -> Cow<'_, str> {
        // A message without a time is given the time it arrived: given a time no message
        // arrives at, the payload read again tells whether it has its own. Likewise the id.
        let not_sent = DateTime::<Utc>::MIN_UTC;
        let own = Message::parse_line(&self.payload, Some(self.kind), not_sent, String::new);
        let time_sent = matches!(&own, Ok(m) if m.occurred_at != not_sent);
        let id_sent = matches!(&own, Ok(m) if m.message_id == self.message_id);
        let kind_sent =
            matches!(Message::parse_line(&self.payload, None, not_sent, String::new), Ok(m) if m.kind == self.kind);
        if kind_sent && id_sent && time_sent && !self.payload.contains(['\n', '\r']) {
            return Cow::Borrowed(&self.payload);
        }
        let json_text = |text: &str| serde_json::to_string(text).expect("a string serialises");
        let mut line = format!(
            "{{\"type\":\"{}\",\"messageId\":{}",
            self.kind.as_str(),
            json_text(&self.message_id)
        );
        let mut replaced = vec!["type", "messageId"];
        if !time_sent {
            let time = self.occurred_at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
            let _ = write!(line, ",\"timestamp\":\"{time}\"");
            replaced.push("timestamp");
        }
        let members = serde_json::from_str::<Members>(&self.payload).map_or_else(|_| Vec::new(), |m| m.0);
        for (key, value) in members.iter().filter(|(k, _)| !replaced.contains(&k.as_str())) {
            let _ = write!(line, ",{}:{}", json_text(key), value.get());
        }
        line.push('}');
        Cow::Owned(line.replace(['\n', '\r'], " "))
    }

    /// The email among the traits, lower-cased, for matching a contact.
    pub fn email(&self) -> Option<String> {
        self.traits
            .get("email")
            .and_then(Value::as_str)
            .map(|e| e.trim().to_lowercase())
            .filter(|e| e.contains('@'))
    }
}

/// A JSON object's members in the order written, each value as its raw text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// The body of `/v1/batch`: its messages, each still as raw JSON so that its size and payload
/// are exactly what the client sent.
#[derive(Deserialize)]
pub struct Batch<'a> {
    #[serde(borrow)]
    pub batch: Vec<&'a RawValue>,
}

/// The days one person was active on one account, as the health measures read them: the last
/// active day and the 64 days up to it as bits (bit `i`: active on `last_day - i`). One such
/// summary per person answers "active in the last 4 weeks", "known in the last 90 days" and
/// "people-days in the last 8 weeks" without reading a row per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentActivity {
    pub last_day: NaiveDate,
    /// Bit `i` set: active on `last_day - i`.
    pub days: u64,
}

impl RecentActivity {
    /// Days the bits cover, `last_day` included.
    pub const SPAN: i64 = 64;

    pub fn on(day: NaiveDate) -> RecentActivity {
        RecentActivity { last_day: day, days: 1 }
    }

    /// With activity on `day` too; a day more than [`Self::SPAN`] days before the last one
    /// changes nothing the measures read.
    pub fn with(self, day: NaiveDate) -> RecentActivity {
        let ahead = (day - self.last_day).num_days();
        if ahead > 0 {
            let days = if ahead >= Self::SPAN {
                1
            } else {
                (self.days << ahead) | 1
            };
            RecentActivity { last_day: day, days }
        } else if -ahead < Self::SPAN {
            RecentActivity {
                days: self.days | (1 << -ahead),
                ..self
            }
        } else {
            self
        }
    }

    /// Whether the person was active on `day`, when the bits still say: `None` for a day more
    /// than [`Self::SPAN`] days before the last one.
    pub fn was_active(self, day: NaiveDate) -> Option<bool> {
        let back = (self.last_day - day).num_days();
        match back {
            ..0 => Some(false),
            0..Self::SPAN => Some(self.days & (1 << back) != 0),
            _ => None,
        }
    }

    /// Whether the summary answers for the windows ending `today`: it does unless the person
    /// was active after `today` (an as-of day in the past, or a client clock ahead).
    pub fn answers_for(self, today: NaiveDate) -> bool {
        self.last_day <= today
    }

    /// Days active after `from` up to and including `to` (`to` at most 8 weeks after the
    /// first day the bits cover, which holds whenever [`Self::answers_for`] `to`).
    pub fn active_days(self, from: NaiveDate, to: NaiveDate) -> u32 {
        let newest = (self.last_day - to).num_days().max(0);
        let oldest = (self.last_day - from).num_days() - 1;
        if oldest < newest {
            return 0;
        }
        (newest..=oldest.min(Self::SPAN - 1))
            .filter(|i| self.days & (1 << i) != 0)
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bits_say_which_recent_days_were_active() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let a = RecentActivity::on(d("2026-03-01")).with(d("2026-03-10"));
        assert_eq!(a.was_active(d("2026-03-10")), Some(true));
        assert_eq!(a.was_active(d("2026-03-05")), Some(false));
        assert_eq!(a.was_active(d("2026-03-01")), Some(true));
        assert_eq!(
            a.was_active(d("2026-03-11")),
            Some(false),
            "after the last day: not yet"
        );
        assert_eq!(a.was_active(d("2026-01-05")), None, "64 days before the last: unknown");
        assert_eq!(
            a.was_active(d("2026-01-06")),
            Some(false),
            "63 days before: still known"
        );
    }

    #[test]
    fn a_message_key_is_fixed_for_good() {
        // Stored keys must match the keys of later versions: the hash may never change. The
        // figures are XXH3-128 of "bench-0" as Python's xxhash package computes it.
        assert_eq!(
            MessageKey::of("bench-0"),
            MessageKey {
                high: -8696181645349251073,
                low: -4730327569030654133
            }
        );
        assert_ne!(MessageKey::of("bench-0"), MessageKey::of("bench-1"));
    }

    #[test]
    fn an_event_key_is_its_own_time_then_its_id() {
        let key = |json: &str| parse(json).unwrap().event_key();
        let utc =
            key(r#"{"type":"track","messageId":"m1","userId":"u","event":"e","timestamp":"2026-11-20T10:00:00Z"}"#);
        // The same instant written another way, or as the original time: the same event.
        for same in [
            r#"{"type":"track","messageId":"m1","userId":"u","event":"e","timestamp":"2026-11-20T10:00:00.000+00:00"}"#,
            r#"{"type":"track","messageId":"m1","userId":"u","event":"e","timestamp":"2026-11-20T11:00:00+01:00"}"#,
            r#"{"type":"track","messageId":"m1","userId":"u","event":"e","originalTimestamp":"2026-11-20T10:00:00Z"}"#,
        ] {
            assert_eq!(key(same), utc, "{same}");
        }
        assert_eq!(
            utc,
            EventKey {
                at: "2026-11-20T10:00:00Z"
                    .parse::<DateTime<Utc>>()
                    .unwrap()
                    .timestamp_micros(),
                high: MessageKey::of("m1").high,
                low: MessageKey::of("m1").low,
            }
        );
        // Another own time: another event; another id: another event.
        assert_ne!(
            key(r#"{"type":"track","messageId":"m1","userId":"u","event":"e","timestamp":"2026-11-20T10:00:00.001Z"}"#),
            utc
        );
        assert_ne!(
            key(r#"{"type":"track","messageId":"m2","userId":"u","event":"e","timestamp":"2026-11-20T10:00:00Z"}"#),
            utc
        );
        // No time of its own: it takes the time it arrived, but keys at 0, whenever it arrives.
        let timeless = r#"{"type":"track","messageId":"m1","userId":"u","event":"e"}"#;
        let m = parse(timeless).unwrap();
        assert!(!m.own_time && m.occurred_at == now());
        let later = Message::parse(timeless, None, now() + chrono::Duration::days(3), String::new).unwrap();
        assert_eq!(m.event_key(), later.event_key());
        assert_eq!(
            m.event_key(),
            EventKey {
                at: 0,
                high: MessageKey::of("m1").high,
                low: MessageKey::of("m1").low,
            }
        );
        assert!(key(r#"{"type":"track","messageId":"m1","userId":"u","event":"e","timestamp":null}"#).at == 0);
        // Keys order by time first.
        assert!(m.event_key() < utc);
    }

    #[test]
    fn recent_activity_counts_the_days_of_each_window() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let a = RecentActivity::on(d("2026-11-01"))
            .with(d("2026-11-20"))
            .with(d("2026-11-03"))
            .with(d("2026-11-20"))
            .with(d("2026-08-01"));
        assert_eq!(a.last_day, d("2026-11-20"));
        assert_eq!(a.active_days(d("2026-10-31"), d("2026-11-25")), 3);
        assert_eq!(
            a.active_days(d("2026-11-01"), d("2026-11-25")),
            2,
            "from is not included"
        );
        assert_eq!(a.active_days(d("2026-11-03"), d("2026-11-19")), 0);
        assert_eq!(a.active_days(d("2026-11-19"), d("2026-11-20")), 1, "to is included");
        assert!(a.answers_for(d("2026-11-20")) && !a.answers_for(d("2026-11-19")));
        // A day 64 or more days after the last drops everything older out of the bits.
        let later = a.with(d("2027-01-23"));
        assert_eq!(later.days, 1);
        assert_eq!(later.active_days(d("2026-10-01"), d("2027-01-23")), 1);
        assert_eq!(a.with(d("2027-01-22")).active_days(d("2026-11-19"), d("2027-01-22")), 2);
    }

    fn now() -> DateTime<Utc> {
        "2026-11-25T12:00:00Z".parse().unwrap()
    }

    fn parse(json: &str) -> Result<Message, Refusal> {
        Message::parse(json, None, now(), || "generated".into())
    }

    #[test]
    fn a_track_call_names_its_feature_account_and_time() {
        let m = parse(
            r#"{"type":"track","messageId":"m1","userId":42,"event":" Report Exported ",
                "context":{"groupId":"acme"},"timestamp":"2026-11-20T09:30:00.123+01:00","properties":{"rows":3}}"#,
        )
        .unwrap();
        assert_eq!(m.kind, MessageKind::Track);
        assert_eq!(m.user_key, "42", "numeric user ids are read as text");
        assert_eq!(m.feature.as_deref(), Some("Report Exported"));
        assert_eq!(m.group_id.as_deref(), Some("acme"));
        assert_eq!(m.occurred_at.to_rfc3339(), "2026-11-20T08:30:00.123+00:00");
        assert!(m.payload.contains(r#""rows":3"#), "the payload is kept as sent");
    }

    #[test]
    fn missing_pieces_are_named() {
        let field = |json: &str| parse(json).unwrap_err().field;
        assert_eq!(field(r#"{"type":"track","userId":"u"}"#), "event");
        assert_eq!(field(r#"{"type":"track","event":"x"}"#), "userId");
        assert_eq!(field(r#"{"type":"group","userId":"u"}"#), "groupId");
        assert_eq!(field(r#"{"type":"alias","userId":"u"}"#), "previousId");
        assert_eq!(field(r#"{"type":"wave","userId":"u"}"#), "type");
        assert_eq!(field(r#"{"userId":"u"}"#), "type");
        assert_eq!(
            field(r#"{"type":"track","userId":"u","event":"x","timestamp":"yesterday"}"#),
            "timestamp"
        );
        assert_eq!(field(r#"{"type":"track","userId":{"a":1},"event":"x"}"#), "userId");
        assert_eq!(field("[1, 2"), "message");
    }

    #[test]
    fn the_endpoint_sets_the_kind_and_defaults_fill_the_rest() {
        let m = Message::parse(r#"{"anonymousId":"anon-1"}"#, Some(MessageKind::Page), now(), || {
            "gen-1".into()
        })
        .unwrap();
        assert_eq!(m.kind, MessageKind::Page);
        assert_eq!(m.user_key, "anon-1");
        assert_eq!(m.feature.as_deref(), Some("page"));
        assert_eq!(m.message_id, "gen-1");
        assert_eq!(m.occurred_at, now(), "no timestamp: the time it arrived");
    }

    #[test]
    fn a_message_is_an_object() {
        // serde would read these by position into the message's members.
        let positional = r#"["track", "m1", "u1", null, "Signed In", null, null, null, null, null, null, null]"#;
        assert_eq!(parse(positional).unwrap_err().field, "message");
        assert!(parse(" 42").unwrap_err().reason.contains("JSON object"));
    }

    /// A message read again from its NDJSON line: the same kind, id and time.
    fn reread(line: &str) -> Message {
        assert!(!line.contains('\n'), "{line}");
        Message::parse_line(line, None, now(), || "another id".into()).unwrap()
    }

    #[test]
    fn a_call_at_the_limit_exports_to_a_line_that_imports() {
        // Sent to /v1/track without an id or a time: the line gains a type, the longest id
        // escaped at its widest and the time of arrival.
        let json = format!(
            r#"{{"event":"e","userId":"u","p":"{}"}}"#,
            "p".repeat(MAX_MESSAGE_BYTES - 33)
        );
        assert_eq!(json.len(), MAX_MESSAGE_BYTES);
        let m = Message::parse(&json, Some(MessageKind::Track), now(), || "\u{1}".repeat(256)).unwrap();
        let line = m.ndjson_line();
        assert!(line.len() > MAX_MESSAGE_BYTES, "{}", line.len());
        assert!(
            Message::parse(&line, None, now(), String::new).is_err(),
            "too big for a call"
        );
        assert_eq!(reread(&line).message_id, m.message_id, "not for a line");
    }

    #[test]
    fn a_message_that_says_everything_itself_is_its_own_ndjson_line() {
        let json = r#"{"type": "track", "messageId": "m1", "userId": "u1", "event": "x", "timestamp": "2026-11-20T09:30:00+01:00", "n": 1.50}"#;
        let m = parse(json).unwrap();
        assert!(matches!(m.ndjson_line(), Cow::Borrowed(line) if line == json));
    }

    #[test]
    fn what_a_message_lacked_is_added_in_front_of_its_members() {
        // Sent to /v1/track as a page, with no id (given one), no time (the arrival's), over
        // two lines.
        let m = Message::parse(
            "{\"type\": \"page\", \"userId\": \"u1\",\n \"event\": \"Signed In\", \"timestamp\": null, \"p\": {\"a\": [1,\r\n2]}}",
            Some(MessageKind::Track),
            now(),
            || "gen-1".into(),
        )
        .unwrap();
        let line = m.ndjson_line();
        assert_eq!(
            line,
            r#"{"type":"track","messageId":"gen-1","timestamp":"2026-11-25T12:00:00Z","userId":"u1","event":"Signed In","p":{"a": [1,  2]}}"#
        );
        let again = reread(&line);
        assert_eq!(
            (again.kind, &again.message_id, again.occurred_at),
            (m.kind, &m.message_id, m.occurred_at)
        );
        assert_eq!(again.ndjson_line(), line, "the line of a line is itself");
    }

    #[test]
    fn a_time_sent_is_kept_as_sent() {
        let zoned = r#"{"userId":"u","event":"e","timestamp":"2026-11-20T09:30:00+01:00"}"#;
        let m = Message::parse(zoned, Some(MessageKind::Track), now(), || "gen-2".into()).unwrap();
        assert_eq!(
            m.ndjson_line(),
            r#"{"type":"track","messageId":"gen-2","userId":"u","event":"e","timestamp":"2026-11-20T09:30:00+01:00"}"#
        );
        let m =
            parse(r#"{"type":"screen","messageId":"m9","userId":"u","originalTimestamp":"2026-11-01T00:00:00.5Z"}"#)
                .unwrap();
        assert_eq!(m.ndjson_line(), m.payload);
        let unnamed = Message::parse(r#"{"userId":"u"}"#, Some(MessageKind::Identify), now(), || {
            "id \"q\"".into()
        })
        .unwrap();
        assert_eq!(
            unnamed.ndjson_line(),
            r#"{"type":"identify","messageId":"id \"q\"","timestamp":"2026-11-25T12:00:00Z","userId":"u"}"#
        );
    }

    #[test]
    fn identify_traits_carry_the_email() {
        let m = parse(r#"{"type":"identify","userId":"u1","traits":{"email":" Ann@Acme.COM ","plan":"pro"}}"#).unwrap();
        assert_eq!(m.email().as_deref(), Some("ann@acme.com"));
        let from_context =
            parse(r#"{"type":"track","userId":"u1","event":"x","context":{"traits":{"email":"b@acme.com"}}}"#).unwrap();
        assert_eq!(from_context.email().as_deref(), Some("b@acme.com"));
    }

    #[test]
    fn calls_over_32_kb_are_refused() {
        let big = format!(
            r#"{{"type":"track","userId":"u","event":"x","properties":{{"p":"{}"}}}}"#,
            "a".repeat(33_000)
        );
        let refusal = parse(&big).unwrap_err();
        assert_eq!(refusal.field, "message");
        assert!(refusal.reason.contains("at most 32768 bytes"), "{refusal}");
    }
}
