//! The admin page of the audit log: filters (who, what, which days) and a page of entries,
//! newest first, with a link to older ones.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::AuditKind;

use super::ops::{self, AuditParams};
use crate::AppState;
use crate::http::error::ApiError;
use crate::http::pages::{Choice, SignedIn, render, url_encode};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(page))
}

struct EntryRow {
    at: String,
    actor: String,
    client: String,
    kind: &'static str,
    kind_label: &'static str,
    subject: String,
    detail: String,
}

#[derive(askama::Template)]
#[template(path = "audit/audit.html")]
struct AuditPage {
    me: User,
    entries: Vec<EntryRow>,
    actors: Vec<Choice>,
    kinds: Vec<Choice>,
    from: String,
    to: String,
    filtered: bool,
    older_link: Option<String>,
    newest_link: Option<String>,
}

/// The page's own link with `params`, for the pager.
fn link(params: &AuditParams, before: Option<i64>) -> String {
    let mut query: Vec<String> = Vec::new();
    for (name, value) in [
        ("actor", &params.actor),
        ("kind", &params.kind),
        ("from", &params.from),
        ("to", &params.to),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            query.push(format!("{name}={}", url_encode(v)));
        }
    }
    if let Some(b) = before {
        query.push(format!("before={b}"));
    }
    format!("/admin/audit?{}", query.join("&"))
}

async fn page(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Query(params): Query<AuditParams>,
) -> Result<Response, ApiError> {
    let page = ops::list(&state.store, &actor, &params).await?;
    let users = state.store.users().await?;
    let chosen = params.actor.as_deref().and_then(|a| a.trim().parse::<i64>().ok());
    let actors = std::iter::once(Choice {
        value: String::new(),
        label: "Anyone".into(),
        selected: chosen.is_none(),
    })
    .chain(users.iter().map(|u| Choice {
        value: u.id.0.to_string(),
        label: format!("{} ({})", u.fields.name, u.fields.email),
        selected: chosen == Some(u.id.0),
    }))
    .collect();
    let kind: Option<AuditKind> = params.kind.as_deref().and_then(|k| k.parse().ok());
    let kinds = std::iter::once(Choice {
        value: String::new(),
        label: "Everything".into(),
        selected: kind.is_none(),
    })
    .chain(AuditKind::ALL.iter().map(|k| Choice {
        value: k.as_str().to_owned(),
        label: k.label().to_owned(),
        selected: kind == Some(*k),
    }))
    .collect();
    let entries = page
        .entries
        .into_iter()
        .map(|e| EntryRow {
            at: e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            actor: e.actor,
            client: e.client.unwrap_or_default(),
            kind: e.kind.as_str(),
            kind_label: e.kind.label(),
            subject: e.subject.unwrap_or_default(),
            detail: e.detail,
        })
        .collect();
    let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
    let filtered = chosen.is_some() || kind.is_some() || given(&params.from) || given(&params.to);
    Ok(render(&AuditPage {
        me,
        entries,
        actors,
        kinds,
        from: params.from.clone().unwrap_or_default(),
        to: params.to.clone().unwrap_or_default(),
        filtered,
        older_link: page.next_before.map(|b| link(&params, Some(b))),
        newest_link: params.before.map(|_| link(&params, None)),
    })?
    .into_response())
}
