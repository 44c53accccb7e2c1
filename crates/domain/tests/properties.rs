//! Property tests of the domain's parsers: whatever they are given — any text, and text near
//! what they accept — they never panic, and every refusal says what is wrong. Cases per
//! property: PROPTEST_CASES (proptest's 256 when unset); see BENCHMARKS.md for the long run.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use lodestar_domain::Cents;
use lodestar_domain::api_token::{self, bearer_token};
use lodestar_domain::dates::parse_date;
use lodestar_domain::review::Quarter;
use lodestar_domain::usage::{MAX_MESSAGE_BYTES, Message, MessageKind};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn received() -> DateTime<Utc> {
    "2026-12-02T12:00:00Z".parse().unwrap()
}

/// A refusal's message: something to read.
fn says_why(message: &str) {
    assert!(!message.trim().is_empty(), "a refusal without a reason");
}

// ---------------------------------------------------------------------------------------
// Segment messages

fn kind() -> impl Strategy<Value = MessageKind> {
    prop::sample::select(MessageKind::ALL.to_vec())
}

/// Text near what a member holds: ids, names, times (good, bad, zoned), kinds, empty, blank,
/// long, odd characters.
fn near_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "track",
            "identify",
            "group",
            "page",
            "screen",
            "alias",
            "Track",
            "batch",
            "",
            " ",
            "u1",
            "ACC-000042",
            "Signed In",
            "2026-11-25T14:03:00Z",
            "2026-11-25T14:03:00.123456+01:00",
            "2026-11-25",
            "2026-13-45T99:99:99Z",
            "+275760-09-13T00:00:00Z",
            "-0001-01-01T00:00:00Z",
            "yesterday",
            "ann@acme.com",
            "\u{0}",
            "é\u{301}",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,40}",
        (0usize..300).prop_map(|n| "x".repeat(n)),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        near_text().prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(member_name(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "type",
            "messageId",
            "userId",
            "anonymousId",
            "event",
            "name",
            "groupId",
            "previousId",
            "timestamp",
            "originalTimestamp",
            "traits",
            "context",
            "properties",
            "email",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,12}",
    ]
}

/// A message much like a client sends: most members it needs, of the right type or not,
/// sometimes with a context, compact or pretty, sometimes cut short or grown past 32 KB.
fn near_message() -> impl Strategy<Value = String> {
    let members = prop::collection::btree_map(member_name(), json_value(), 0..8);
    let context = prop::option::of(prop::collection::btree_map(
        prop::sample::select(vec!["groupId", "traits", "ip"]).prop_map(str::to_owned),
        json_value(),
        0..3,
    ));
    (
        members,
        context,
        kind(),
        near_text(),
        any::<bool>(),
        0usize..4,
        any::<prop::sample::Index>(),
    )
        .prop_map(|(members, context, kind, user, pretty, shape, cut)| {
            let mut object: Map<String, Value> = members.into_iter().collect();
            object.insert("type".into(), kind.as_str().into());
            object.entry("userId").or_insert(user.into());
            if let Some(context) = context {
                object.insert("context".into(), Value::Object(context.into_iter().collect()));
            }
            let value = Value::Object(object);
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                value.to_string()
            };
            match shape {
                // Cut at any character: unbalanced, half a string, half an escape.
                0 => {
                    let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
                    text[..boundaries[cut.index(boundaries.len())]].to_owned()
                }
                // Over the size limit, or just under it.
                1 => {
                    let pad = MAX_MESSAGE_BYTES - text.len().min(MAX_MESSAGE_BYTES) + cut.index(3);
                    let mut padded = value;
                    padded["properties"] = json!({ "pad": "p".repeat(pad.saturating_sub(30)) });
                    padded.to_string()
                }
                _ => text,
            }
        })
}

/// Whatever `parse` makes of `json`: a refusal names a member and says why; an accepted
/// message exports to one line that reads as the same message and exports to itself.
fn check_message(json: &str, kind: Option<MessageKind>) {
    match Message::parse(json, kind, received(), || "fallback-id".to_owned()) {
        Err(refusal) => {
            assert!(!refusal.field.is_empty());
            says_why(&refusal.reason);
        }
        Ok(m) => {
            let line = m.ndjson_line();
            assert!(!line.contains(['\n', '\r']), "{line}");
            let again = Message::parse_line(&line, None, DateTime::<Utc>::MIN_UTC, String::new)
                .unwrap_or_else(|r| panic!("the line of {json:?} is refused: {r}: {line}"));
            assert_eq!(
                (again.kind, again.message_id.as_str(), again.occurred_at),
                (m.kind, m.message_id.as_str(), m.occurred_at),
                "{line}"
            );
            assert_eq!(again.ndjson_line(), line.as_ref());
        }
    }
}

proptest! {
    #[test]
    fn segment_messages_of_any_text(json in any::<String>(), kind in prop::option::of(kind())) {
        check_message(&json, kind);
    }

    #[test]
    fn segment_messages_near_what_clients_send(json in near_message(), kind in prop::option::of(kind())) {
        check_message(&json, kind);
    }
}

// ---------------------------------------------------------------------------------------
// Money

proptest! {
    #[test]
    fn amounts_of_any_text(text in any::<String>()) {
        match Cents::parse(&text) {
            Ok(cents) => prop_assert_eq!(Cents::parse(&cents.to_string()), Ok(cents)),
            Err(e) => says_why(&e),
        }
    }

    #[test]
    fn amounts_near_what_spreadsheets_write(text in "[ ]?[-$€£]{0,2}[ ]?[0-9,]{0,24}([.][0-9]{0,4})?[ a]?") {
        match Cents::parse(&text) {
            Ok(cents) => prop_assert_eq!(Cents::parse(&cents.to_string()), Ok(cents)),
            Err(e) => says_why(&e),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Dates

/// A chrono format as a mapping file may give one: specifiers (valid, odd, cut short),
/// separators and any character.
fn date_format() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "%Y", "%m", "%d", "%e", "%y", "%b", "%B", "%j", "%U", "%W", "%u", "%a", "%G", "%V", "%C", "%s", "%H", "%M",
            "%S", "%.3f", "%z", "%:z", "%Z", "%-d", "%_m", "%0e", "%%", "%", "%E", "%#", "%3", "/", "-", ".", " ", "T",
        ])
        .prop_map(str::to_owned),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..7).prop_map(|p| p.concat())
}

fn near_date() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ ]?[+-]?[0-9]{1,6}[-/. ][0-9]{1,3}[-/. ][0-9]{1,5}([T ].{0,12})?",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}\\PC{0,4}",
        "[A-Za-z]{3} [0-9]{1,2},? [0-9]{2,4}",
    ]
}

fn check_date(value: &str, formats: &[String]) {
    if let Err(e) = parse_date(value, formats) {
        says_why(&e);
    }
}

proptest! {
    #[test]
    fn dates_of_any_text(value in any::<String>(), formats in prop::collection::vec(any::<String>(), 0..3)) {
        check_date(&value, &formats);
    }

    #[test]
    fn dates_near_what_crms_write(value in near_date(), formats in prop::collection::vec(date_format(), 0..3)) {
        check_date(&value, &formats);
    }

    #[test]
    fn quarters_of_any_text(text in prop_oneof!["\\PC*", "[ ]?[+-]?[0-9]{0,6}-?[qQ]?[+-]?[0-9]{0,4}[ ]?"]) {
        match text.parse::<Quarter>() {
            Ok(q) => prop_assert_eq!(q.to_string().parse::<Quarter>(), Ok(q)),
            Err(e) => says_why(&e),
        }
    }
}

// ---------------------------------------------------------------------------------------
// API tokens

/// An Authorization header near a good one: the scheme in any case or another one, the
/// prefix or another, a secret of about the right length in base64url or not.
fn near_authorization() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "Bearer ", "bearer ", "BEARER ", "Bearer  ", "Bearer", "Basic ", "", " Bearer ",
        ]),
        prop::sample::select(vec!["lst_", "lst", "LST_", "wk_", "", "lst_lst_"]),
        "[A-Za-z0-9_\\-+/=. \u{e9}]{0,50}",
        prop::sample::select(vec!["", " ", "\t", "\n"]),
    )
        .prop_map(|(scheme, prefix, secret, end)| format!("{scheme}{prefix}{secret}{end}"))
}

fn check_authorization(header: &str) {
    match bearer_token(header) {
        Ok(token) => {
            assert!(token.starts_with(api_token::PREFIX));
            assert_eq!(token.len(), api_token::PREFIX.len() + api_token::SECRET_CHARS);
            assert_eq!(bearer_token(&format!("Bearer {token}")), Ok(token));
        }
        Err(refusal) => says_why(&refusal.to_string()),
    }
}

proptest! {
    #[test]
    fn authorization_headers_of_any_text(header in any::<String>()) {
        check_authorization(&header);
    }

    #[test]
    fn authorization_headers_near_a_bearer_token(header in near_authorization()) {
        check_authorization(&header);
    }

    #[test]
    fn every_token_lodestar_issues_is_read_back(bytes in any::<[u8; 32]>()) {
        let token = format!("{}{}", api_token::PREFIX, URL_SAFE_NO_PAD.encode(bytes));
        let header = format!("Bearer {token}");
        prop_assert_eq!(bearer_token(&header), Ok(token.as_str()));
    }
}
