//! What a search asks for (F-07): the words of a query — each found as the beginning of a word
//! of a record, whatever its case and accents — and which kinds of record to look in.

use std::fmt;

use std::str::FromStr;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

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

/// A word as both databases' indexes compare it: lower-case, without accents ("Müller" and
/// "MULLER" are both "muller").
fn folded(word: &str) -> String {
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A piece of a snippet: a word the query matched, or text around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetPart {
    pub text: String,
    pub matched: bool,
}

/// `text` on one line, cut into its words and what lies between them; each word marked when a
/// query word (of `words`) begins it, as the indexes match.
fn pieces(text: &str, words: &[&str]) -> Vec<SnippetPart> {
    let wanted: Vec<String> = words.iter().map(|w| folded(w)).collect();
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut pieces: Vec<SnippetPart> = Vec::new();
    let mut rest = one_line.as_str();
    while let Some(first) = rest.chars().next() {
        let is_word = first.is_alphanumeric();
        let end = rest
            .find(|c: char| c.is_alphanumeric() != is_word)
            .unwrap_or(rest.len());
        let (piece, after) = rest.split_at(end);
        let matched = is_word && {
            let word = folded(piece);
            wanted.iter().any(|w| word.starts_with(w.as_str()))
        };
        pieces.push(SnippetPart {
            text: piece.to_owned(),
            matched,
        });
        rest = after;
    }
    pieces
}

/// Joins neighbouring pieces that are both matched or both not.
fn merged(pieces: impl IntoIterator<Item = SnippetPart>) -> Vec<SnippetPart> {
    let mut parts: Vec<SnippetPart> = Vec::new();
    for piece in pieces {
        match parts.last_mut() {
            Some(last) if last.matched == piece.matched => last.text.push_str(&piece.text),
            _ => parts.push(piece),
        }
    }
    parts
}

/// All of a short text (a name, an email), the words `words` found marked.
pub fn highlight(text: &str, words: &[&str]) -> Vec<SnippetPart> {
    merged(pieces(text, words))
}

/// Words of context shown before the first word found in a long text.
const EXCERPT_LEAD: usize = 8;
/// Words an excerpt shows at most.
const EXCERPT_WORDS: usize = 30;

/// A stretch of a long text (notes) around the first word `words` found — from its start when
/// none is — with "…" where it was cut, the words found marked.
pub fn excerpt(text: &str, words: &[&str]) -> Vec<SnippetPart> {
    let pieces = pieces(text, words);
    let word_at: Vec<usize> = (0..pieces.len())
        .filter(|&i| pieces[i].text.starts_with(char::is_alphanumeric))
        .collect();
    let first_match = word_at.iter().position(|&i| pieces[i].matched).unwrap_or(0);
    let first_word = first_match.saturating_sub(EXCERPT_LEAD);
    let start = if first_word == 0 { 0 } else { word_at[first_word] };
    // Just after the last word shown, or the whole rest.
    let end = match word_at.get(first_word + EXCERPT_WORDS) {
        Some(_) => word_at[first_word + EXCERPT_WORDS - 1] + 1,
        None => pieces.len(),
    };
    let ellipsis = |at_edge: bool| {
        (!at_edge).then(|| SnippetPart {
            text: "…".into(),
            matched: false,
        })
    };
    let shown = pieces[start..end].iter().cloned();
    merged(
        ellipsis(start == 0)
            .into_iter()
            .chain(shown)
            .chain(ellipsis(end == pieces.len())),
    )
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

    fn shown(parts: &[SnippetPart]) -> Vec<(&str, bool)> {
        parts.iter().map(|p| (p.text.as_str(), p.matched)).collect()
    }

    #[test]
    fn words_a_query_begins_are_marked_whatever_their_case_and_accents() {
        assert_eq!(
            shown(&highlight("Acme Corp · acme.com · ACC-000042", &["acm", "000"])),
            [
                ("Acme", true),
                (" Corp · ", false),
                ("acme", true),
                (".com · ACC-", false),
                ("000042", true)
            ]
        );
        assert_eq!(
            shown(&highlight("Café  Müller\nGmbH", &["cafe", "MULL"])),
            [("Café", true), (" ", false), ("Müller", true), (" GmbH", false)]
        );
        assert_eq!(shown(&highlight("Globex", &["acm"])), [("Globex", false)]);
        assert!(highlight("", &["acm"]).is_empty());
    }

    #[test]
    fn an_excerpt_is_cut_around_the_first_word_found() {
        let notes = (1..=60).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ") + " renewal, then more.";
        let parts = excerpt(&notes, &["renew"]);
        let text: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert!(text.starts_with("…w53 w54"), "{text}");
        assert!(text.ends_with("w60 renewal, then more."), "{text}");
        assert!(parts.contains(&SnippetPart {
            text: "renewal".into(),
            matched: true
        }));
        let text: String = excerpt(&notes, &["zebra"]).iter().map(|p| p.text.as_str()).collect();
        assert!(text.starts_with("w1 w2") && text.ends_with("w30…"), "{text}");
        let short: String = excerpt("Call **Ada** back.", &["ada"])
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(short, "Call **Ada** back.");
    }

    #[test]
    fn kinds_read_singular_or_plural() {
        assert_eq!("notes".parse::<SearchKind>().unwrap(), SearchKind::Note);
        assert_eq!("Account".parse::<SearchKind>().unwrap(), SearchKind::Account);
        assert!("deal".parse::<SearchKind>().is_err());
    }
}
