//! What a search asks for (F-07): the words of a query — each found as the beginning of a word
//! of a record, whatever its case and accents — and which kinds of record to look in.

use std::fmt;

use std::str::FromStr;

use crate::vocabulary::{normalise, vocabulary};

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words a query may hold; each must match, so more would only narrow it further.
pub const MAX_WORDS: usize = 8;

/// The words of `text` as the search indexes cut records into words: runs of letters and
/// digits (so `ACC-000042` is `ACC` and `000042`, `o'brien@acme.com` is `o`, `brien`, `acme`,
/// `com`), at most [`MAX_WORDS`] of them.
pub fn query_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .collect()
}

/// A query as typed into a search box: at most [`MAX_QUERY_CHARS`] characters holding one to
/// [`MAX_WORDS`] words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    pub fn parse(input: &str) -> Result<SearchText, String> {
        let text = input.trim();
        if text.is_empty() {
            return Err("type a word to search for".into());
        }
        let n = text.chars().count();
        if n > MAX_QUERY_CHARS {
            return Err(format!("is {n} characters long; at most {MAX_QUERY_CHARS} are allowed"));
        }
        let words = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .count();
        if words == 0 {
            return Err("needs a word: letters or digits".into());
        }
        if words > MAX_WORDS {
            return Err(format!("has {words} words; at most {MAX_WORDS} are allowed"));
        }
        Ok(SearchText(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn words(&self) -> Vec<&str> {
        query_words(&self.0)
    }
}

impl fmt::Display for SearchText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

vocabulary!(
    /// The kinds of record a search finds. Meetings of the kinds `note` and `email_note` are
    /// notes; every other meeting is a meeting.
    SearchKind, "kind" {
        Account = "account" | "accounts" => "Accounts",
        Contact = "contact" | "contacts" => "Contacts",
        Meeting = "meeting" | "meetings" => "Meetings",
        Note = "note" | "notes" => "Notes",
        Promise = "promise" | "promises" => "Promises",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_runs_of_letters_and_digits() {
        assert_eq!(query_words("  ACC-000042 "), ["ACC", "000042"]);
        assert_eq!(query_words("o'brien@acme.com"), ["o", "brien", "acme", "com"]);
        assert_eq!(query_words("Café Müller"), ["Café", "Müller"]);
        assert!(query_words("-- %% --").is_empty());
        assert_eq!(query_words("a b c d e f g h i j").len(), MAX_WORDS);
    }

    #[test]
    fn a_query_needs_a_word_and_a_bound() {
        assert_eq!(SearchText::parse("  acme ").unwrap().as_str(), "acme");
        assert_eq!(SearchText::parse("acme corp").unwrap().words(), ["acme", "corp"]);
        assert!(SearchText::parse("   ").unwrap_err().contains("type a word"));
        assert!(SearchText::parse("%%").unwrap_err().contains("letters or digits"));
        assert!(SearchText::parse(&"a".repeat(201)).unwrap_err().contains("at most 200"));
        assert!(SearchText::parse(&"a".repeat(200)).is_ok());
        assert!(SearchText::parse("a b c d e f g h i").unwrap_err().contains("9 words"));
    }

    #[test]
    fn kinds_read_singular_or_plural() {
        assert_eq!("notes".parse::<SearchKind>().unwrap(), SearchKind::Note);
        assert_eq!("Account".parse::<SearchKind>().unwrap(), SearchKind::Account);
        assert!("deal".parse::<SearchKind>().is_err());
    }
}
