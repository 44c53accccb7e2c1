//! The search page: its own search box (the top bar's submits here too), the hits grouped by
//! kind with the words found highlighted, each linking to where the record is shown.

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use lodestar_domain::search::SearchKind;
use lodestar_domain::search::SnippetPart;
use lodestar_domain::user::User;
use lodestar_store::SearchHit;

use super::ops::{self, MAX_LIMIT, SearchParams};
use crate::AppState;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, render, url_encode, user_problem};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/search", get(page))
}

struct HitRow {
    link: String,
    title: String,
    /// The account it is about, for every kind but accounts.
    account_name: Option<String>,
    snippet: Vec<SnippetPart>,
}

struct Group {
    kind: &'static str,
    label: &'static str,
    hits: Vec<HitRow>,
}

/// A link narrowing the same search to one kind (or widening it to all).
struct Tab {
    label: &'static str,
    link: String,
    selected: bool,
}

#[derive(askama::Template)]
#[template(path = "search/search.html")]
struct SearchPage {
    me: User,
    q: String,
    /// Whether there was a query to search for (else the page only offers its box).
    searched: bool,
    tabs: Vec<Tab>,
    groups: Vec<Group>,
    error: Option<String>,
}

/// Where a hit is shown: its account's page, at the meeting, promise or contacts.
fn link(hit: &SearchHit) -> String {
    let account = hit.account_id.0;
    match hit.kind {
        SearchKind::Account => format!("/accounts/{account}"),
        SearchKind::Contact => format!("/accounts/{account}#contacts"),
        SearchKind::Meeting | SearchKind::Note => format!("/accounts/{account}#meeting-{}", hit.id),
        SearchKind::Promise => format!("/accounts/{account}#promise-{}", hit.id),
    }
}

/// The hits in groups of one kind each, in the kinds' order, each group best first.
fn groups(hits: Vec<SearchHit>) -> Vec<Group> {
    SearchKind::ALL
        .iter()
        .map(|&kind| Group {
            kind: kind.as_str(),
            label: kind.label(),
            hits: hits
                .iter()
                .filter(|h| h.kind == kind)
                .map(|h| HitRow {
                    link: link(h),
                    title: h.title.clone(),
                    account_name: (kind != SearchKind::Account).then(|| h.account_name.clone()),
                    snippet: h.snippet.clone(),
                })
                .collect(),
        })
        .filter(|g| !g.hits.is_empty())
        .collect()
}

async fn page(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Query(params): Query<SearchParams>,
) -> Result<Html, ApiError> {
    let q = params.q.as_deref().map(str::trim).unwrap_or_default().to_owned();
    // The tabs only ever link one kind; anything else in the URL searches every kind.
    let kind: Option<SearchKind> = params.kind.as_deref().and_then(|k| k.parse().ok());
    let searched = !q.is_empty();
    let mut error = None;
    let mut hits = Vec::new();
    if searched {
        let asked = SearchParams {
            q: Some(q.clone()),
            kind: kind.map(|k| k.as_str().to_owned()),
            limit: Some(MAX_LIMIT),
        };
        match ops::search(&state.store, &actor, &asked).await {
            Ok(found) => hits = found,
            Err(e) => error = Some(user_problem(e)?),
        }
    }
    let tab = |label, k: Option<SearchKind>| {
        let narrowed = k.map(|k| format!("&kind={}", k.as_str())).unwrap_or_default();
        Tab {
            label,
            link: format!("/search?q={}{narrowed}", url_encode(&q)),
            selected: kind == k,
        }
    };
    let tabs = std::iter::once(tab("Everything", None))
        .chain(SearchKind::ALL.iter().map(|&k| tab(k.label(), Some(k))))
        .collect();
    render(&SearchPage {
        me,
        q,
        searched,
        tabs,
        groups: groups(hits),
        error,
    })
}
