//! Today (F-50): each user's start page — one ranked list of what matters today, each line
//! saying why it is there, with one click to act, snooze or finish. Leaders see their team's.

mod api;
pub(crate) mod web;

pub(crate) use api::router as api_router;

use axum::Router;
use axum::routing::{get, post};
use chrono::NaiveDate;
use lodestar_domain::UserId;
use lodestar_domain::access::Actor;
use lodestar_domain::vocabulary::Role;
use lodestar_store::{Store, TodayLine};

use crate::AppState;
use crate::http::error::ApiError;

pub(crate) fn web_router() -> Router<AppState> {
    Router::new()
        .route("/today", get(web::today))
        .route("/today/snooze", post(web::snooze))
}

/// Whose list: one's own, or — for a leader or an admin — their team's (the people who
/// report to them) or one named user's.
pub(crate) enum Scope {
    Mine,
    Team,
    User(UserId),
}

/// The ranked list `actor` asked for, on today as it is in the viewer's time zone; and that day.
pub(crate) async fn list(store: &Store, actor: &Actor, scope: Scope) -> Result<(NaiveDate, Vec<TodayLine>), ApiError> {
    let me = actor
        .user
        .ok_or(ApiError::Forbidden("Today is a person's list; an API token has none"))?;
    let zone = store
        .user(me)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {me} does not exist")))?
        .time_zone
        .tz();
    let today = store.now().with_timezone(&zone).date_naive();
    let leads = matches!(actor.role, Role::Leader | Role::Admin);
    let users = match scope {
        Scope::Mine => vec![me],
        Scope::Team if leads => store.reports_of(me).await?,
        Scope::User(user) if leads || user == me => vec![user],
        Scope::Team | Scope::User(_) => return Err(ApiError::Forbidden("only leaders and admins see others' lists")),
    };
    Ok((today, store.today_list(me, &users, today, zone).await?))
}

/// Puts a line aside: a key Today writes (`kind:…`), until a day after today.
pub(crate) async fn snooze(store: &Store, user: UserId, key: &str, until: NaiveDate) -> Result<(), ApiError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 100 || !key.contains(':') {
        return Err(crate::http::params::bad(
            "key",
            "is the `key` of a line of the Today list",
        ));
    }
    if until <= store.today() {
        return Err(
            lodestar_domain::Invalid::field("until", format!("must be after today ({})", store.today())).into(),
        );
    }
    Ok(store.snooze_today(user, key, until).await?)
}
