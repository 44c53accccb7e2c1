//! `GET /api/v1/search`: the records that hold the words of a query, best first.

use axum::extract::{Query, State};
use lodestar_domain::search::SnippetPart;
use lodestar_store::SearchHit;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, SearchParams};
use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// A piece of a snippet.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnippetPartOutput {
    text: String,
    /// Whether this is a word the query matched (to highlight).
    matched: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitOutput {
    /// account, contact, meeting, note or promise.
    kind: String,
    /// The record's id among its kind (meetings and notes share theirs).
    id: i64,
    /// The account the record is about (the account itself for an account).
    account_id: i64,
    account_name: String,
    /// The account's or contact's name, the meeting's title, the promise's description.
    title: String,
    /// The record's text around the words found; join the parts' texts to read it.
    snippet: Vec<SnippetPartOutput>,
    /// Relevance, higher first; compare it only within one answer.
    rank: f64,
}

impl From<SearchHit> for SearchHitOutput {
    fn from(h: SearchHit) -> Self {
        SearchHitOutput {
            kind: h.kind.as_str().to_owned(),
            id: h.id,
            account_id: h.account_id.0,
            account_name: h.account_name,
            title: h.title,
            snippet: h
                .snippet
                .into_iter()
                .map(|SnippetPart { text, matched }| SnippetPartOutput { text, matched })
                .collect(),
            rank: h.rank,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOutput {
    /// Best first.
    hits: Vec<SearchHitOutput>,
}

/// Searches accounts (name, domain, external id), contacts (name, email, job title),
/// meetings and notes (title, notes; cancelled meetings left out) and promises (description).
/// A query of 1–200 characters, at most 8 words; 400 otherwise.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, description = "The hits, best first", body = SearchOutput), ReadProblems),
    security(("bearer" = [])))]
async fn search(
    State(state): State<AppState>,
    Caller(actor): Caller,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<SearchOutput>, ApiError> {
    let Query(params) = params?;
    let hits = ops::search(&state.store, &actor, &params).await?;
    Ok(axum::Json(SearchOutput {
        hits: hits.into_iter().map(Into::into).collect(),
    }))
}
