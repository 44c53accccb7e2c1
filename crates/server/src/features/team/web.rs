//! The team page: who is on the team and how big each person's book is.

use std::collections::HashMap;

use axum::extract::State;
use lodestar_domain::user::User;

use crate::AppState;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, render};
use lodestar_domain::Cents;

struct Member {
    id: i64,
    name: String,
    email: String,
    role: String,
    accounts: i64,
    arr: String,
    capacity: String,
    over: bool,
}

#[derive(askama::Template)]
#[template(path = "team/team.html")]
struct TeamPage {
    me: User,
    members: Vec<Member>,
}

pub(crate) async fn show(State(state): State<AppState>, SignedIn { user: me, .. }: SignedIn) -> Result<Html, ApiError> {
    let books: HashMap<_, _> = state
        .store
        .books()
        .await?
        .into_iter()
        .map(|(u, n, arr)| (u, (n, arr)))
        .collect();
    let mut members: Vec<Member> = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| {
            let (n, arr) = books.get(&u.id).copied().unwrap_or((0, 0));
            Member {
                id: u.id.0,
                name: u.fields.name.to_string(),
                email: u.fields.email.to_string(),
                role: u.fields.role.label().to_owned(),
                accounts: n,
                arr: Cents(arr).whole_dollars(),
                capacity: u.fields.capacity.map(|c| c.to_string()).unwrap_or_else(|| "—".into()),
                over: u.fields.capacity.is_some_and(|c| n > i64::from(c)),
            }
        })
        .collect();
    members.sort_by(|a, b| b.accounts.cmp(&a.accounts).then_with(|| a.name.cmp(&b.name)));
    render(&TeamPage { me, members })
}
