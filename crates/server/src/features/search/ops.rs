//! What the search API and page both do: read the query, the kinds and the limit as sent, and
//! ask the store.

use lodestar_domain::access::Actor;
use lodestar_domain::search::{SearchKind, SearchText};
use lodestar_store::{SearchHit, Store};

use crate::http::error::ApiError;
use crate::http::params::{allowed, bad};

/// Hits unless the caller asks for another number.
pub(crate) const DEFAULT_LIMIT: u32 = 20;
/// The most hits one answer holds: a search box shows the best, it does not page.
pub(crate) const MAX_LIMIT: u32 = 50;

/// A search as sent.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// The words to look for: 1–200 characters, at most 8 words. Each word must begin a word
    /// of the record ("acm" finds "Acme"), whatever its case and accents.
    pub q: Option<String>,
    /// Only these kinds, comma-separated: account, contact, meeting, note, promise (default
    /// every kind).
    pub kind: Option<String>,
    /// At most this many hits (1–50, default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// The kinds named in `text` (comma-separated); none named means every kind.
pub(crate) fn kinds(text: Option<&str>) -> Result<Vec<SearchKind>, ApiError> {
    let mut kinds = Vec::new();
    for name in text
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        let kind: SearchKind = name.parse().map_err(|e: String| bad("kind", e))?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

/// The best hits for `params`, best first.
pub(crate) async fn search(store: &Store, actor: &Actor, params: &SearchParams) -> Result<Vec<SearchHit>, ApiError> {
    allowed(actor.can_read(), "this role may not read records")?;
    let query = SearchText::parse(params.q.as_deref().unwrap_or_default()).map_err(|e| bad("q", e))?;
    let kinds = kinds(params.kind.as_deref())?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    Ok(store.search(&query, &kinds, limit).await?)
}
