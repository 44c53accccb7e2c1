//! The coverage page of an account and the sponsor programme page.

use axum::extract::{Path, State};
use lodestar_domain::AccountId;
use lodestar_domain::coverage::{ContactLevel, TARGET};
use lodestar_domain::user::User;

use crate::AppState;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, render};

struct LevelRow {
    label: &'static str,
    people: Vec<String>,
}

struct HistoryLine {
    when: String,
    text: String,
}

#[derive(askama::Template)]
#[template(path = "coverage/account.html")]
struct AccountPage {
    me: User,
    account_id: i64,
    account_name: String,
    high: usize,
    wide: usize,
    target: usize,
    levels: Vec<LevelRow>,
    functions: Vec<(&'static str, Vec<String>)>,
    unplaced: Vec<String>,
    gaps: Vec<String>,
    sponsor: Option<String>,
    history: Vec<HistoryLine>,
}

/// Who a contact is, as the lists show them: name and title.
fn who(name: &str, title: Option<&str>) -> String {
    match title {
        Some(t) => format!("{name} ({t})"),
        None => name.to_owned(),
    }
}

/// `GET /accounts/{id}/coverage`.
pub(crate) async fn account(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
) -> Result<Html, ApiError> {
    let c = state.store.account_coverage(AccountId(id)).await?;
    let placed = &c.coverage.contacts;
    let levels = ContactLevel::ALL
        .iter()
        .map(|level| LevelRow {
            label: level.label(),
            people: placed
                .iter()
                .filter(|p| p.level == *level)
                .map(|p| who(&p.name, p.title.as_deref()))
                .collect(),
        })
        .collect();
    let mut functions: Vec<(&'static str, Vec<String>)> = Vec::new();
    for p in placed {
        if let Some(f) = p.function {
            let name = who(&p.name, p.title.as_deref());
            match functions.iter_mut().find(|(label, _)| *label == f.label()) {
                Some((_, people)) => people.push(name),
                None => functions.push((f.label(), vec![name])),
            }
        }
    }
    render(&AccountPage {
        account_id: id,
        account_name: c.account_name,
        high: c.coverage.high,
        wide: c.coverage.wide,
        target: TARGET,
        levels,
        functions,
        unplaced: placed
            .iter()
            .filter(|p| p.function.is_none())
            .map(|p| who(&p.name, p.title.as_deref()))
            .collect(),
        gaps: c.coverage.gaps,
        sponsor: c.sponsor,
        history: c
            .sponsor_history
            .into_iter()
            .map(|h| HistoryLine {
                when: h.changed_at.format("%Y-%m-%d").to_string(),
                text: match (h.previous, h.sponsor) {
                    (None, Some(s)) => format!("{s} became the sponsor"),
                    (Some(p), Some(s)) => format!("{s} replaced {p}"),
                    (Some(p), None) => format!("{p} stopped sponsoring; no sponsor since"),
                    (None, None) => "No sponsor".to_owned(),
                },
            })
            .collect(),
        me: page.user,
    })
}

struct ProgrammeRow {
    account_id: i64,
    account: String,
    owner: String,
    arr: String,
    sponsor: String,
    unsponsored: bool,
    changes: i64,
    last_change: String,
}

#[derive(askama::Template)]
#[template(path = "coverage/sponsors.html")]
struct ProgrammePage {
    me: User,
    rows: Vec<ProgrammeRow>,
    accounts_with_arr: i64,
    share: String,
    unsponsored: usize,
}

/// `GET /sponsors`: the executive sponsor programme.
pub(crate) async fn programme(State(state): State<AppState>, page: SignedIn) -> Result<Html, ApiError> {
    let p = state.store.sponsor_programme().await?;
    let share = if p.total_arr.0 > 0 {
        format!("{:.0} %", 100.0 * p.programme_arr.0 as f64 / p.total_arr.0 as f64)
    } else {
        "—".to_owned()
    };
    let unsponsored = p.accounts.iter().filter(|a| a.unsponsored()).count();
    render(&ProgrammePage {
        rows: p
            .accounts
            .into_iter()
            .map(|a| ProgrammeRow {
                unsponsored: a.unsponsored(),
                account_id: a.account_id.0,
                account: a.account_name,
                owner: a.owner.unwrap_or_else(|| "—".into()),
                arr: a.arr.whole_dollars(),
                sponsor: match (a.sponsor, a.sponsor_gone) {
                    (Some(s), true) => format!("{s} (deactivated)"),
                    (Some(s), false) => s,
                    (None, _) => "None".to_owned(),
                },
                changes: a.changes,
                last_change: a
                    .last_change
                    .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string()),
            })
            .collect(),
        accounts_with_arr: p.accounts_with_arr,
        share,
        unsponsored,
        me: page.user,
    })
}
