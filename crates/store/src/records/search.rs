//! Full-text search (F-07) over accounts, contacts, meetings and notes, and promises.
//!
//! Each database uses its own full-text engine (migration 14): SQLite FTS5 tables kept by
//! triggers, PostgreSQL generated `tsvector` columns with GIN indexes. The two are asked the
//! same question — every word of the query is the beginning of a word of the record, case and
//! Latin accents aside — so this is the one module whose SQL is written per backend. Both cut
//! text at anything that is not a letter or digit, as `lodestar_domain::search::query_words`
//! cuts the query.

use lodestar_domain::AccountId;
use lodestar_domain::search::{SearchKind, SearchText};

use crate::query::Query;
use crate::{Backend, Result, Store, StoreError, Tx, on_tx};

/// Where a highlighted word starts and ends in the text the engines give back (control
/// characters, which no stored text holds: the domain's text types refuse them).
const MATCH_START: char = '\u{2}';
const MATCH_END: char = '\u{3}';
/// Between the fields of a record shown whole (an account's name, domain, id and industry).
const FIELD_SEPARATOR: &str = " · ";

/// One record found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub kind: SearchKind,
    /// The record's id in its own table (accounts, contacts, meetings or promises).
    pub id: i64,
    /// The account it is about (an account's own id for an account).
    pub account_id: AccountId,
    pub account_name: String,
    /// What the record is called: the account's name, the contact's name, the meeting's title,
    /// the promise's description.
    pub title: String,
    /// The record's text around the words found, the found words marked.
    pub snippet: Vec<SnippetPart>,
    /// Relevance, higher first: comparable within one answer, not across databases.
    pub rank: f64,
}

/// A piece of a snippet: text the query matched, or text around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetPart {
    pub text: String,
    pub matched: bool,
}

/// Where a kind of record is indexed, and how a hit on it is shown.
struct Source {
    table: &'static str,
    /// The FTS5 table on SQLite.
    fts_table: &'static str,
    /// bm25's weight of each indexed column on SQLite (in the FTS5 table's column order); on
    /// PostgreSQL the columns carry weights A–D in the generated vector instead.
    bm25_weights: &'static str,
    account_id: &'static str,
    kind: &'static str,
    title: &'static str,
    snippet: Snippet,
}

/// What a hit shows of its record: short fields whole, or an excerpt of one long text.
enum Snippet {
    /// Each column's FTS5 index and name.
    Fields(&'static [(usize, &'static str)]),
    Excerpt(usize, &'static str),
}

const ACCOUNTS: Source = Source {
    table: "accounts",
    fts_table: "accounts_search",
    bm25_weights: "10.0, 4.0, 4.0, 1.0",
    account_id: "r.id",
    kind: "'account'",
    title: "r.name",
    snippet: Snippet::Fields(&[(0, "name"), (1, "domain"), (2, "external_id"), (3, "industry")]),
};

const CONTACTS: Source = Source {
    table: "contacts",
    fts_table: "contacts_search",
    bm25_weights: "8.0, 8.0, 4.0, 2.0",
    account_id: "r.account_id",
    kind: "'contact'",
    title: "COALESCE(NULLIF(concat_ws(' ', r.first_name, r.last_name), ''), r.email, r.external_id)",
    snippet: Snippet::Fields(&[(0, "first_name"), (1, "last_name"), (2, "email"), (3, "title")]),
};

/// Meetings of the kinds `note` and `email_note` are notes.
const MEETINGS: Source = Source {
    table: "meetings",
    fts_table: "meetings_search",
    bm25_weights: "4.0, 1.0",
    account_id: "r.account_id",
    kind: "CASE WHEN r.kind IN ('note', 'email_note') THEN 'note' ELSE 'meeting' END",
    title: "r.title",
    snippet: Snippet::Excerpt(1, "notes"),
};

const PROMISES: Source = Source {
    table: "promises",
    fts_table: "promises_search",
    bm25_weights: "2.0",
    account_id: "r.account_id",
    kind: "'promise'",
    title: "r.description",
    snippet: Snippet::Excerpt(0, "description"),
};

/// The FTS5 query for records holding every word as the beginning of one of their words,
/// in `columns` only when given (a column filter).
fn fts5_query(words: &[&str], columns: Option<&str>) -> String {
    let all: Vec<String> = words
        .iter()
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    let all = all.join(" AND ");
    match columns {
        Some(columns) => format!("{{{columns}}} : ({all})"),
        None => all,
    }
}

/// The PostgreSQL `tsquery` for the same: each word readied as the index readied the text
/// (`search_words`), then a prefix match, in columns of `weights` only when not empty.
fn tsquery(words: &[&str], weights: &str) -> Query {
    let mut q = Query::sql("(");
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            q = q.push(" && ");
        }
        q = q
            .push("to_tsquery('simple', search_words(")
            .value(*word)
            .push(format!(") || ':*{weights}')"));
    }
    q.push(")")
}

/// The accounts list's `q`: accounts with every word at the beginning of a word of their name,
/// domain or external id, through the index.
pub(crate) fn account_text_condition(backend: Backend, words: &[&str]) -> Query {
    match backend {
        Backend::Sqlite => Query::sql("id IN (SELECT rowid FROM accounts_search WHERE accounts_search MATCH ")
            .value(fts5_query(words, Some("name domain external_id")))
            .push(")"),
        // Names are weight A, domains and external ids B.
        Backend::Postgres => Query::sql("search_vector @@ ").append(tsquery(words, "AB")),
    }
}

/// The best `limit` hits of one source, with the condition `only` on its rows (`r`).
fn source_query(backend: Backend, source: &Source, words: &[&str], only: Option<&str>, limit: u32) -> Query {
    let Source {
        table,
        fts_table,
        bm25_weights,
        account_id,
        kind,
        title,
        ref snippet,
    } = *source;
    let only = only.map(|c| format!(" AND {c}")).unwrap_or_default();
    let markers = |q: Query| q.value(MATCH_START.to_string()).push(", ").value(MATCH_END.to_string());
    let limit = i64::from(limit);
    match backend {
        // Ranked on the index alone; the (few) best are then read again for their highlights,
        // which need each row's text.
        Backend::Sqlite => {
            let matching = fts5_query(words, None);
            let shown = match *snippet {
                Snippet::Fields(columns) => {
                    let mut q = Query::sql("concat_ws(").value(FIELD_SEPARATOR);
                    for (index, _) in columns {
                        q = markers(q.push(format!(", highlight({fts_table}, {index}, "))).push(")");
                    }
                    q.push(")")
                }
                Snippet::Excerpt(index, _) => {
                    markers(Query::sql(format!("snippet({fts_table}, {index}, "))).push(", '…', 24)")
                }
            };
            Query::sql(format!(
                "WITH top AS (SELECT r.id, -bm25({fts_table}, {bm25_weights}) AS score \
                 FROM {fts_table} JOIN {table} r ON r.id = {fts_table}.rowid WHERE {fts_table} MATCH "
            ))
            .value(matching.clone())
            .push(format!("{only} ORDER BY score DESC, r.id LIMIT "))
            .value(limit)
            .push(format!(
                ") SELECT r.id, {account_id} AS account_id, a.name AS account_name, {kind} AS kind, \
                 {title} AS title, "
            ))
            .append(shown)
            .push(format!(
                " AS snippet, top.score FROM top JOIN {fts_table} ON {fts_table}.rowid = top.id \
                 JOIN {table} r ON r.id = top.id JOIN accounts a ON a.id = {account_id} WHERE {fts_table} MATCH "
            ))
            .value(matching)
        }
        Backend::Postgres => {
            let matching = tsquery(words, "");
            let headline = |column: &str, options: String| {
                Query::sql(format!("ts_headline('simple', r.{column}, "))
                    .append(matching.clone())
                    .push(", ")
                    .value(format!("StartSel={MATCH_START}, StopSel={MATCH_END}, {options}"))
                    .push(")")
            };
            let shown = match *snippet {
                Snippet::Fields(columns) => {
                    let mut q = Query::sql("concat_ws(").value(FIELD_SEPARATOR);
                    for (_, column) in columns {
                        q = q.push(", ").append(headline(column, "HighlightAll=true".into()));
                    }
                    q.push(")")
                }
                Snippet::Excerpt(_, column) => headline(
                    column,
                    "MaxFragments=1, MaxWords=24, MinWords=12, FragmentDelimiter=…".into(),
                ),
            };
            // Weights of D, C, B, A; normalisation 1 divides by the log of the length, so a
            // short name outranks the same word in a long note.
            Query::sql(format!(
                "WITH top AS (SELECT r.id, ts_rank('{{0.1, 0.2, 0.4, 1.0}}', r.search_vector, "
            ))
            .append(matching.clone())
            .push(format!(
                ", 1)::float8 AS score FROM {table} r WHERE r.search_vector @@ "
            ))
            .append(matching)
            .push(format!("{only} ORDER BY score DESC, r.id LIMIT "))
            .value(limit)
            .push(format!(
                ") SELECT r.id, {account_id} AS account_id, a.name AS account_name, {kind} AS kind, \
                 {title} AS title, "
            ))
            .append(shown)
            .push(format!(
                " AS snippet, top.score FROM top JOIN {table} r ON r.id = top.id JOIN accounts a ON a.id = {account_id}"
            ))
        }
    }
}

#[derive(sqlx::FromRow)]
struct HitRow {
    id: i64,
    account_id: i64,
    account_name: String,
    kind: String,
    title: String,
    snippet: Option<String>,
    score: f64,
}

/// The engine's marked text as parts, on one line.
fn snippet_parts(marked: &str) -> Vec<SnippetPart> {
    let one_line = marked.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut matched = false;
    for (i, piece) in one_line.split([MATCH_START, MATCH_END]).enumerate() {
        if i > 0 {
            matched = !matched;
        }
        if piece.is_empty() {
            continue;
        }
        match parts.last_mut() {
            Some(last) if last.matched == matched => last.text.push_str(piece),
            _ => parts.push(SnippetPart {
                text: piece.to_owned(),
                matched,
            }),
        }
    }
    parts
}

impl TryFrom<HitRow> for SearchHit {
    type Error = StoreError;
    fn try_from(r: HitRow) -> Result<SearchHit> {
        Ok(SearchHit {
            kind: super::parse("search kind", &r.kind)?,
            id: r.id,
            account_id: AccountId(r.account_id),
            account_name: r.account_name,
            title: r.title,
            snippet: snippet_parts(r.snippet.as_deref().unwrap_or_default()),
            rank: r.score,
        })
    }
}

/// Which sources a search of `kinds` reads, each with the condition on its rows.
fn sources(kinds: &[SearchKind]) -> Vec<(&'static Source, Option<&'static str>)> {
    let wants = |k: SearchKind| kinds.is_empty() || kinds.contains(&k);
    let mut chosen = Vec::new();
    if wants(SearchKind::Account) {
        chosen.push((&ACCOUNTS, None));
    }
    if wants(SearchKind::Contact) {
        chosen.push((&CONTACTS, None));
    }
    // A cancelled meeting is not one to look for.
    let meetings = match (wants(SearchKind::Meeting), wants(SearchKind::Note)) {
        (true, true) => Some("r.cancelled_at IS NULL"),
        (true, false) => Some("r.cancelled_at IS NULL AND r.kind NOT IN ('note', 'email_note')"),
        (false, true) => Some("r.cancelled_at IS NULL AND r.kind IN ('note', 'email_note')"),
        (false, false) => None,
    };
    if let Some(only) = meetings {
        chosen.push((&MEETINGS, Some(only)));
    }
    if wants(SearchKind::Promise) {
        chosen.push((&PROMISES, None));
    }
    chosen
}

impl Store {
    /// The `limit` records most relevant to `query` among `kinds` (every kind when empty),
    /// best first. Every word of the query must begin a word of the record.
    pub async fn search(&self, query: &SearchText, kinds: &[SearchKind], limit: u32) -> Result<Vec<SearchHit>> {
        let words = query.words();
        let mut tx = self.begin_snapshot().await?;
        let mut hits = Vec::new();
        for (source, only) in sources(kinds) {
            let rows: Vec<HitRow> = source_query(tx.backend(), source, &words, only, limit)
                .fetch_all(&mut tx)
                .await?;
            for row in rows {
                hits.push(SearchHit::try_from(row)?);
            }
        }
        hits.sort_by(|a, b| {
            b.rank
                .total_cmp(&a.rank)
                .then(a.kind.cmp(&b.kind))
                .then(a.id.cmp(&b.id))
        });
        hits.truncate(limit as usize);
        Ok(hits)
    }
}

/// Migration 14's Rust step: each database's own full-text index (see `0014_search.sql`).
pub(crate) async fn create_search_index(tx: &mut Tx) -> Result<()> {
    let sql = match tx.backend() {
        Backend::Sqlite => include_str!("../../migrations/0014_search_sqlite.sql"),
        Backend::Postgres => include_str!("../../migrations/0014_search_postgres.sql"),
    };
    // Several statements (triggers, a function body) sent as they are; unprepared, unbound.
    on_tx!(tx, |c| {
        sqlx::Executor::execute(&mut *c, sql).await?;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_a_prefix_and_columns_filter_the_whole_query() {
        assert_eq!(fts5_query(&["acme", "co"], None), "\"acme\"* AND \"co\"*");
        assert_eq!(
            fts5_query(&["acme"], Some("name domain")),
            "{name domain} : (\"acme\"*)"
        );
    }

    #[test]
    fn marked_text_becomes_parts_on_one_line() {
        let parts = snippet_parts("the \u{2}Acme\u{3} renewal\n\nwith \u{2}ac\u{3}\u{2}me\u{3}");
        let shown: Vec<(&str, bool)> = parts.iter().map(|p| (p.text.as_str(), p.matched)).collect();
        assert_eq!(
            shown,
            [
                ("the ", false),
                ("Acme", true),
                (" renewal with ", false),
                ("acme", true)
            ]
        );
        assert!(snippet_parts("").is_empty());
    }
}
