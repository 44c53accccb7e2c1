//! `/capacity`: each owner's book against the benchmarks, the over- and under-loaded
//! highlighted, the benchmarks (leaders and admins edit them) and the suggested rebalancing,
//! applied in one step.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use lodestar_domain::capacity::{Loading, Move};
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::Tier;
use lodestar_domain::{AccountId, Invalid, UserId};

use super::ops;
use crate::AppState;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, back_after_form, render};

struct PersonRow {
    user_id: i64,
    name: String,
    role: &'static str,
    book: String,
    accounts: u32,
    arr: String,
    /// Share of a full book, in percent.
    percent: u32,
    loading: &'static str,
    hours: String,
    hours_over: bool,
    capacity: String,
}

struct BenchmarkRow {
    tier: &'static str,
    label: &'static str,
    min_accounts: u32,
    max_accounts: u32,
    review_minutes: u32,
    level: String,
}

struct MoveRow {
    account_id: i64,
    account: String,
    tier: &'static str,
    arr: String,
    from: String,
    to: String,
    /// `account:from:to`, as the apply form sends it back.
    value: String,
}

#[derive(askama::Template)]
#[template(path = "capacity/capacity.html")]
struct CapacityPage {
    me: User,
    people: Vec<PersonRow>,
    over: usize,
    under: usize,
    benchmarks: Vec<BenchmarkRow>,
    meeting_hours: u32,
    moves: Vec<MoveRow>,
    still_over: Vec<String>,
    spread_before: String,
    spread_after: String,
    can_change: bool,
    problem: Option<String>,
}

/// "6 Strategic · 20 Mid-tier", in tier order, accounts without a tier last.
fn book_line(book: &lodestar_domain::capacity::Book) -> String {
    let mut parts: Vec<String> = Tier::ALL
        .iter()
        .filter_map(|t| book.accounts.get(&Some(*t)).map(|n| format!("{n} {}", t.label())))
        .collect();
    if let Some(n) = book.accounts.get(&None) {
        parts.push(format!("{n} without a tier"));
    }
    if parts.is_empty() {
        "no accounts".into()
    } else {
        parts.join(" · ")
    }
}

/// `GET /capacity`.
pub(crate) async fn index(State(state): State<AppState>, page: SignedIn) -> Result<Html, ApiError> {
    ops::may_see(&page.actor)?;
    let suggestion = state.store.suggested_rebalancing().await?;
    let team = &suggestion.team;
    let name_of = |u: UserId| {
        team.books
            .iter()
            .find(|b| b.user == u)
            .map_or_else(|| format!("user {u}"), |b| b.name.clone())
    };
    let people: Vec<PersonRow> = team
        .books
        .iter()
        .map(|b| PersonRow {
            user_id: b.user.0,
            name: b.name.clone(),
            role: b.role.label(),
            book: book_line(&b.book),
            accounts: b.book.total(),
            arr: b.book.arr.whole_dollars(),
            percent: (b.load.share_of_max * 100.0).round() as u32,
            loading: b.load.loading.as_str(),
            hours: format!("{:.0}", b.load.promised_hours_per_month),
            hours_over: b.load.meeting_hours_over,
            capacity: b
                .capacity
                .map_or_else(String::new, |c| format!("personal capacity {c}")),
        })
        .collect();
    let benchmarks = team
        .benchmarks
        .tiers
        .iter()
        .map(|b| {
            let level = team
                .levels
                .iter()
                .find(|l| l.tiers.contains(&b.tier))
                .map_or_else(String::new, |l| format!("{}: {}", l.name, l.entitlements.summary()));
            BenchmarkRow {
                tier: b.tier.as_str(),
                label: b.tier.label(),
                min_accounts: b.min_accounts,
                max_accounts: b.max_accounts,
                review_minutes: b.review_minutes,
                level,
            }
        })
        .collect();
    let moves = suggestion
        .plan
        .moves
        .iter()
        .zip(&suggestion.accounts)
        .map(|(m, a)| MoveRow {
            account_id: m.account.0,
            account: a.name.clone(),
            tier: a.tier.map_or("—", |t| t.label()),
            arr: a.arr.whole_dollars(),
            from: name_of(m.from),
            to: name_of(m.to),
            value: format!("{}:{}:{}", m.account, m.from, m.to),
        })
        .collect();
    render(&CapacityPage {
        over: team.books.iter().filter(|b| b.load.loading == Loading::Over).count(),
        under: team.books.iter().filter(|b| b.load.loading == Loading::Under).count(),
        people,
        benchmarks,
        meeting_hours: team.benchmarks.meeting_hours_per_month,
        still_over: suggestion.plan.still_over.iter().map(|u| name_of(*u)).collect(),
        spread_before: suggestion.plan.arr_spread_before.whole_dollars(),
        spread_after: suggestion.plan.arr_spread_after.whole_dollars(),
        moves,
        can_change: page.actor.can_manage_all_accounts(),
        problem: page.flash.for_slot("capacity"),
        me: page.user,
    })
}

/// `POST /capacity/benchmarks`: one tier's row of the benchmarks table.
pub(crate) async fn set_benchmark(
    State(state): State<AppState>,
    signed_in: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let result = async {
        ops::may_change(&signed_in.actor)?;
        let benchmark = ops::benchmark(
            form.text("tier"),
            form.count("min_accounts"),
            form.count("max_accounts"),
            form.count("review_minutes"),
        )?;
        ops::set_benchmark(&state, &signed_in.actor, &signed_in.origin, benchmark).await
    }
    .await;
    back_after_form("/capacity", "capacity", "benchmarks", result.map(drop))
}

/// `POST /capacity/meeting-hours`.
pub(crate) async fn set_meeting_hours(
    State(state): State<AppState>,
    signed_in: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let result = ops::set_meeting_hours(
        &state,
        &signed_in.actor,
        &signed_in.origin,
        form.count("meeting_hours_per_month"),
    )
    .await;
    back_after_form("/capacity", "capacity", "benchmarks", result.map(drop))
}

/// `POST /capacity/rebalance`: the moves the page showed, each as `account:from:to`.
pub(crate) async fn apply(
    State(state): State<AppState>,
    signed_in: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let result = async {
        ops::may_change(&signed_in.actor)?;
        let moves = form
            .all("move")
            .map(|v| {
                let ids: Vec<i64> = v.split(':').filter_map(|p| p.parse().ok()).collect();
                match ids[..] {
                    [account, from, to] => Ok(Move {
                        account: AccountId(account),
                        from: UserId(from),
                        to: UserId(to),
                    }),
                    _ => Err(Invalid::field("move", format!("{v:?} is not account:from:to"))),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        ops::apply(&state, &signed_in.actor, &signed_in.origin, &moves).await
    }
    .await;
    back_after_form("/capacity", "capacity", "rebalance", result.map(drop))
}
