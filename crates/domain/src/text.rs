//! Text values that are valid by construction: trimmed, bounded, free of control characters,
//! and normalised where a value has one canonical spelling (emails, web domains).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

fn clean(input: &str, max_chars: usize) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters (tabs, line breaks, …)".into());
    }
    let n = s.chars().count();
    if n > max_chars {
        return Err(format!("is {n} characters long; at most {max_chars} are allowed"));
    }
    Ok(s.to_owned())
}

/// Non-empty, trimmed text of at most `MAX` characters without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text<const MAX: usize>(String);

/// Names of accounts, people, contracts and products.
pub type Name = Text<200>;
/// Short labels: industry, region, job title, first/last name.
pub type Label = Text<100>;

impl<const MAX: usize> Text<MAX> {
    pub fn parse(input: &str) -> Result<Self, String> {
        clean(input, MAX).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_impls {
    ($name:ident $(<const $p:ident: usize>)?) => {
        impl$(<const $p: usize>)? TryFrom<String> for $name$(<$p>)? {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s)
            }
        }
        impl$(<const $p: usize>)? From<$name$(<$p>)?> for String {
            fn from(v: $name$(<$p>)?) -> String {
                v.0
            }
        }
        impl$(<const $p: usize>)? fmt::Display for $name$(<$p>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl$(<const $p: usize>)? std::str::FromStr for $name$(<$p>)? {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s)
            }
        }
    };
}

string_newtype_impls!(Text<const MAX: usize>);
string_newtype_impls!(ExternalId);
string_newtype_impls!(Email);
string_newtype_impls!(Domain);

/// Free text people write at length — a pulse's reason, LxL notes, a retrospective's
/// learnings: trimmed, may be empty, may span lines, bounded so one form cannot fill the disk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Note(String);

impl Note {
    pub const MAX_CHARS: usize = 5000;

    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
            return Err("must not contain control characters".into());
        }
        let n = s.chars().count();
        if n > Self::MAX_CHARS {
            return Err(format!(
                "is {n} characters long; at most {} are allowed",
                Self::MAX_CHARS
            ));
        }
        Ok(Note(s.replace("\r\n", "\n")))
    }

    /// Like [`Note::parse`], refusing an empty note.
    pub fn required(input: &str) -> Result<Self, String> {
        let note = Self::parse(input)?;
        if note.is_empty() {
            return Err("is required".into());
        }
        Ok(note)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

string_newtype_impls!(Note);

/// The id a record has in the system it came from (CRM, billing). Re-importing a file updates
/// the record with the same external id instead of creating a duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = clean(input, 128)?;
        if s.chars().any(char::is_whitespace) {
            return Err(format!("{s:?} contains whitespace; external ids are single tokens"));
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, lower-cased so that one person has one spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = clean(input, 254)?.to_lowercase();
        let bad = || format!("{s:?} is not an email address (expected name@example.com)");
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty() || s.chars().any(char::is_whitespace) || domain.contains('@') {
            return Err(bad());
        }
        Domain::parse(domain).map_err(|_| bad())?;
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A customer's web domain (`acme.com`). Accepts what CRMs export in their "Website" field —
/// `https://www.acme.com/about` — and keeps only the host without `www.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

impl Domain {
    pub fn parse(input: &str) -> Result<Self, String> {
        let raw = clean(input, 253)?.to_lowercase();
        let without_scheme = raw.split_once("://").map_or(raw.as_str(), |(_, rest)| rest);
        let host = without_scheme.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.strip_prefix("www.").unwrap_or(host).trim_end_matches('.');
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if !host.contains('.') || !host.split('.').all(label_ok) {
            return Err(format!(
                "{input:?} is not a web domain (expected something like acme.com)"
            ));
        }
        Ok(Self(host.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Customer-specific attributes a team adds without a schema change (`plan`, `csm_region`,
/// `contract_owner`). Keys are snake_case identifiers; values are strings, numbers or booleans.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, serde_json::Value>",
    into = "BTreeMap<String, serde_json::Value>"
)]
pub struct CustomFields(BTreeMap<String, serde_json::Value>);

impl CustomFields {
    pub const MAX_FIELDS: usize = 50;
    pub const MAX_VALUE_CHARS: usize = 1000;

    pub fn new(fields: BTreeMap<String, serde_json::Value>) -> Result<Self, String> {
        if fields.len() > Self::MAX_FIELDS {
            return Err(format!(
                "has {} fields; at most {} are allowed",
                fields.len(),
                Self::MAX_FIELDS
            ));
        }
        for (key, value) in &fields {
            if !Self::is_key(key) {
                return Err(format!(
                    "key {key:?} must be a snake_case name (a-z, 0-9, _; starting with a letter; at most 64 characters)"
                ));
            }
            match value {
                serde_json::Value::String(s) if s.chars().count() > Self::MAX_VALUE_CHARS => {
                    return Err(format!(
                        "value of {key:?} is longer than {} characters",
                        Self::MAX_VALUE_CHARS
                    ));
                }
                serde_json::Value::String(_) | serde_json::Value::Number(_) | serde_json::Value::Bool(_) => {}
                other => {
                    return Err(format!(
                        "value of {key:?} must be a string, number or boolean, not {other}"
                    ));
                }
            }
        }
        Ok(Self(fields))
    }

    /// Whether `key` can name a custom field: snake_case (a-z, 0-9, _), starting with a letter,
    /// at most 64 characters.
    pub fn is_key(key: &str) -> bool {
        key.len() <= 64
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }

    /// The key a field named like a person names a column is kept under: `Annual Revenue` →
    /// `annual_revenue`, `Plan (2025)` → `plan_2025`. Letters other than a–z are refused
    /// rather than guessed at (`Région` would become `r_gion`).
    pub fn key_for(name: &str) -> Result<String, String> {
        if let Some(c) = name.chars().find(|c| c.is_alphabetic() && !c.is_ascii_alphabetic()) {
            return Err(format!(
                "{name:?} has the letter {c:?}; a custom field key has only a-z, 0-9 and _"
            ));
        }
        let words: Vec<String> = name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let key = words.join("_");
        if !Self::is_key(&key) {
            return Err(format!(
                "{name:?} does not make a custom field key (one starting with a letter, at most 64 characters)"
            ));
        }
        Ok(key)
    }

    /// Parses the JSON object form used in storage and in CSV exports.
    pub fn parse_json(input: &str) -> Result<Self, String> {
        if input.trim().is_empty() {
            return Ok(Self::default());
        }
        let map: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(input).map_err(|e| format!("is not a JSON object: {e}"))?;
        Self::new(map)
    }

    /// Canonical JSON: keys sorted, no spaces. Equal fields always give equal text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("a map of JSON scalars serialises")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.get(key)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &serde_json::Value)> {
        self.0.iter()
    }
    /// Sets one field, checking the same rules as [`CustomFields::new`].
    pub fn insert(&mut self, key: String, value: serde_json::Value) -> Result<(), String> {
        let mut next = self.0.clone();
        next.insert(key, value);
        *self = Self::new(next)?;
        Ok(())
    }
}

impl TryFrom<BTreeMap<String, serde_json::Value>> for CustomFields {
    type Error = String;
    fn try_from(m: BTreeMap<String, serde_json::Value>) -> Result<Self, String> {
        Self::new(m)
    }
}
impl From<CustomFields> for BTreeMap<String, serde_json::Value> {
    fn from(c: CustomFields) -> Self {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_make_snake_case_keys() {
        for (name, key) in [
            ("Annual Revenue", "annual_revenue"),
            ("  Plan (2025) ", "plan_2025"),
            ("HubSpot Score", "hubspot_score"),
            ("plan", "plan"),
        ] {
            assert_eq!(CustomFields::key_for(name).as_deref(), Ok(key), "{name}");
        }
        assert!(CustomFields::key_for("Région").unwrap_err().contains("'é'"));
        for refused in ["", " - ", "2024 ARR", &"x".repeat(65)] {
            assert!(
                CustomFields::key_for(refused)
                    .unwrap_err()
                    .contains("does not make a custom field key"),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn notes_keep_line_breaks_and_refuse_other_control_characters() {
        let note = Note::parse("  First line\r\nsecond line  ").unwrap();
        assert_eq!(note.as_str(), "First line\nsecond line");
        assert!(Note::parse("a\u{0007}b").is_err());
        assert!(Note::parse(&"x".repeat(Note::MAX_CHARS + 1)).is_err());
        assert!(Note::parse("   ").unwrap().is_empty());
        assert_eq!(Note::required(" ").unwrap_err(), "is required");
    }

    #[test]
    fn text_is_trimmed_bounded_and_printable() {
        assert_eq!(Name::parse("  Acme  ").unwrap().as_str(), "Acme");
        assert_eq!(Name::parse("   ").unwrap_err(), "must not be empty");
        assert!(Name::parse("a\nb").unwrap_err().contains("control characters"));
        assert!(Name::parse(&"x".repeat(200)).is_ok());
        assert!(Name::parse(&"x".repeat(201)).unwrap_err().contains("201 characters"));
        assert!(
            Label::parse(&"é".repeat(100)).is_ok(),
            "limits count characters, not bytes"
        );
    }

    #[test]
    fn external_ids_are_single_tokens() {
        assert_eq!(ExternalId::parse(" 0015g00000ABC ").unwrap().as_str(), "0015g00000ABC");
        assert!(ExternalId::parse("a b").unwrap_err().contains("whitespace"));
        assert!(ExternalId::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(Email::parse("Jo.Doe@Acme.COM").unwrap().as_str(), "jo.doe@acme.com");
        for bad in [
            "jo",
            "@acme.com",
            "jo@",
            "jo@acme",
            "jo@@acme.com",
            "j o@acme.com",
            "jo@ac me.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn domains_accept_crm_website_values() {
        for (input, want) in [
            ("acme.com", "acme.com"),
            ("https://www.Acme.com/about?x=1", "acme.com"),
            ("http://eu.acme.co.uk/", "eu.acme.co.uk"),
            ("acme.com.", "acme.com"),
        ] {
            assert_eq!(Domain::parse(input).unwrap().as_str(), want);
        }
        for bad in [
            "acme",
            "acme..com",
            "-acme.com",
            "ac me.com",
            "acme_inc.com",
            "https://",
        ] {
            assert!(Domain::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn custom_fields_check_keys_values_and_count() {
        let ok = CustomFields::parse_json(r#"{"plan":"gold","seats":40,"beta":true}"#).unwrap();
        assert_eq!(ok.to_json(), r#"{"beta":true,"plan":"gold","seats":40}"#);
        assert!(CustomFields::parse_json("").unwrap().is_empty());
        assert!(
            CustomFields::parse_json(r#"{"Plan":"x"}"#)
                .unwrap_err()
                .contains("snake_case")
        );
        assert!(
            CustomFields::parse_json(r#"{"plan":{"a":1}}"#)
                .unwrap_err()
                .contains("string, number or boolean")
        );
        assert!(CustomFields::parse_json(r#"{"plan":null}"#).is_err());
        assert!(CustomFields::parse_json("[1]").unwrap_err().contains("JSON object"));
        let many: BTreeMap<_, _> = (0..51).map(|i| (format!("f{i}"), serde_json::json!(i))).collect();
        assert!(CustomFields::new(many).unwrap_err().contains("at most 50"));
        let long = format!(r#"{{"note":"{}"}}"#, "x".repeat(1001));
        assert!(
            CustomFields::parse_json(&long)
                .unwrap_err()
                .contains("longer than 1000")
        );
    }
}
