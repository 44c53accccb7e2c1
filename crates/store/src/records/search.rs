//! Full-text search (F-07) over accounts, contacts, meetings and notes, and promises.
//!
//! Each database uses its own full-text engine (migration 14): SQLite FTS5 tables kept by
//! triggers, PostgreSQL generated `tsvector` columns with GIN indexes. The two are asked the
//! same question — every word of the query is the beginning of a word of the record, case and
//! Latin accents aside — so this is the one module whose SQL is written per backend. Both cut
//! text at anything that is not a letter or digit, as `lodestar_domain::search::query_words`
//! cuts the query; the snippets are marked by the domain's same rule, so they read the same on
//! both.

use lodestar_domain::AccountId;
use lodestar_domain::search::{SearchKind, SearchText, SnippetPart, excerpt, highlight};

use crate::query::Query;
use crate::{Backend, Result, Store, Tx, on_tx};

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

/// Where a kind of record is indexed, and what a hit on it shows.
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
    /// The text the snippet is made of, and whether it is short enough to show whole.
    text: &'static str,
    whole: bool,
}

const ACCOUNTS: Source = Source {
    table: "accounts",
    fts_table: "accounts_search",
    bm25_weights: "10.0, 4.0, 4.0",
    account_id: "r.id",
    kind: "'account'",
    title: "r.name",
    text: "concat_ws(' · ', r.name, r.domain, r.external_id)",
    whole: true,
};

const CONTACTS: Source = Source {
    table: "contacts",
    fts_table: "contacts_search",
    bm25_weights: "8.0, 8.0, 4.0, 2.0",
    account_id: "r.account_id",
    kind: "'contact'",
    title: "COALESCE(NULLIF(concat_ws(' ', r.first_name, r.last_name), ''), r.email, r.external_id)",
    text: "concat_ws(' · ', NULLIF(concat_ws(' ', r.first_name, r.last_name), ''), r.email, r.title)",
    whole: true,
};

/// Meetings of the kinds `note` and `email_note` are notes.
const MEETINGS: Source = Source {
    table: "meetings",
    fts_table: "meetings_search",
    bm25_weights: "4.0, 1.0",
    account_id: "r.account_id",
    kind: "CASE WHEN r.kind IN ('note', 'email_note') THEN 'note' ELSE 'meeting' END",
    title: "r.title",
    text: "r.notes",
    whole: false,
};

const PROMISES: Source = Source {
    table: "promises",
    fts_table: "promises_search",
    bm25_weights: "2.0",
    account_id: "r.account_id",
    kind: "'promise'",
    title: "r.description",
    text: "r.description",
    whole: false,
};

/// The FTS5 query for records holding every word as the beginning of one of their words.
fn fts5_query(words: &[&str]) -> String {
    let all: Vec<String> = words
        .iter()
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    all.join(" AND ")
}

/// The PostgreSQL `tsquery` for the same: each word readied as the index readied the text
/// (`search_words`), then a prefix match.
fn tsquery(words: &[&str]) -> Query {
    let mut q = Query::sql("(");
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            q = q.push(" && ");
        }
        q = q
            .push("to_tsquery('simple', search_words(")
            .value(*word)
            .push(") || ':*')");
    }
    q.push(")")
}

/// The accounts list's `q`: accounts with every word at the beginning of a word of their name,
/// domain or external id, through the index.
pub(crate) fn account_text_condition(backend: Backend, words: &[&str]) -> Query {
    match backend {
        Backend::Sqlite => Query::sql("id IN (SELECT rowid FROM accounts_search WHERE accounts_search MATCH ")
            .value(fts5_query(words))
            .push(")"),
        Backend::Postgres => Query::sql("search_vector @@ ").append(tsquery(words)),
    }
}

/// The best `limit` hits of one source, with the condition `only` on its rows (`r`): ranked on
/// the index alone, then only those rows read for their text.
fn source_query(backend: Backend, source: &Source, words: &[&str], only: Option<&str>, limit: u32) -> Query {
    let Source {
        table,
        fts_table,
        bm25_weights,
        account_id,
        kind,
        title,
        text,
        whole: _,
    } = *source;
    let ranked = match backend {
        // The rows are joined only when a condition needs them (meetings).
        Backend::Sqlite => {
            let from = match only {
                Some(c) => format!("{fts_table} JOIN {table} r ON r.id = {fts_table}.rowid WHERE {c} AND "),
                None => format!("{fts_table} WHERE "),
            };
            Query::sql(format!(
                "SELECT {fts_table}.rowid AS id, -bm25({fts_table}, {bm25_weights}) AS score FROM {from}{fts_table} MATCH "
            ))
            .value(fts5_query(words))
        }
        // Weights of D, C, B, A; normalisation 1 divides by the log of the length, so a short
        // name outranks the same word in a long note.
        Backend::Postgres => {
            let matching = tsquery(words);
            let only = only.map(|c| format!(" AND {c}")).unwrap_or_default();
            Query::sql("SELECT r.id, ts_rank('{0.1, 0.2, 0.4, 1.0}', r.search_vector, ")
                .append(matching.clone())
                .push(format!(
                    ", 1)::float8 AS score FROM {table} r WHERE r.search_vector @@ "
                ))
                .append(matching)
                .push(only)
        }
    };
    Query::sql(format!(
        "SELECT r.id, {account_id} AS account_id, a.name AS account_name, {kind} AS kind, {title} AS title, \
         {text} AS text, top.score FROM ("
    ))
    .append(ranked)
    .push(" ORDER BY score DESC, id LIMIT ")
    .value(i64::from(limit))
    .push(format!(
        ") top JOIN {table} r ON r.id = top.id JOIN accounts a ON a.id = {account_id}"
    ))
}

#[derive(sqlx::FromRow)]
struct HitRow {
    id: i64,
    account_id: i64,
    account_name: String,
    kind: String,
    title: String,
    text: Option<String>,
    score: f64,
}

impl HitRow {
    fn into_hit(self, source: &Source, words: &[&str]) -> Result<SearchHit> {
        let text = self.text.unwrap_or_default();
        Ok(SearchHit {
            kind: super::parse("search kind", &self.kind)?,
            id: self.id,
            account_id: AccountId(self.account_id),
            account_name: self.account_name,
            title: self.title,
            snippet: if source.whole {
                highlight(&text, words)
            } else {
                excerpt(&text, words)
            },
            rank: self.score,
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
                hits.push(row.into_hit(source, &words)?);
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
    fn every_word_is_a_prefix() {
        assert_eq!(fts5_query(&["acme", "co"]), "\"acme\"* AND \"co\"*");
    }
}
