//! The champions page of an account (quadrant chart, scores with their facts, the 12-month
//! question) and the alerts page across a book.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lodestar_domain::champion::{HIGH, HIGH_INFLUENCE, Score};
use lodestar_domain::user::User;
use lodestar_domain::{AccountId, ContactId};
use lodestar_store::{ChampionAlertKind, ContactChampion};
use serde::{Deserialize, Serialize};

use super::ops;
use crate::AppState;
use crate::features::accounts::ops::existing;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Choice, Html, SignedIn, back_after_form, book_choices, render};

const SLOT: &str = "champions";

/// A score as the table shows it: the number, and the facts in a disclosure.
struct ScoreCell {
    value: String,
    facts: Vec<String>,
}

impl ScoreCell {
    fn of(score: Option<&Score>) -> ScoreCell {
        match score {
            Some(s) => ScoreCell {
                value: s.value.to_string(),
                facts: s.facts.clone(),
            },
            None => ScoreCell {
                value: "not known".to_owned(),
                facts: vec!["no survey answer, ticket or request of theirs yet".to_owned()],
            },
        }
    }
}

struct ChampionRow {
    id: i64,
    name: String,
    title: String,
    role: String,
    /// Engagement, delight and influence, each by the name that ids its cell.
    scores: [(&'static str, ScoreCell); 3],
    quadrant: String,
    attention: bool,
    /// Left (marked or inferred), in words.
    gone: Option<String>,
    will_own: &'static str,
}

/// One bubble of the chart (drawn by app.js).
#[derive(Serialize)]
struct Bubble {
    name: String,
    engagement: u8,
    /// Neutral (the middle) while unknown; `known` says which.
    delight: u8,
    known: bool,
    influence: u8,
}

#[derive(askama::Template)]
#[template(path = "champions/account.html")]
struct AccountPage {
    me: User,
    account_id: i64,
    account_name: String,
    can_edit: bool,
    rows: Vec<ChampionRow>,
    chart: String,
    alerts: Vec<String>,
    high: u8,
    high_influence: u8,
    error: Option<String>,
}

fn row(c: &ContactChampion) -> ChampionRow {
    ChampionRow {
        id: c.contact_id.0,
        name: c.name.clone(),
        title: c.title.clone().unwrap_or_default(),
        role: c.role.map(|r| r.label().to_owned()).unwrap_or_default(),
        scores: [
            ("engagement", ScoreCell::of(Some(&c.health.engagement))),
            ("delight", ScoreCell::of(c.health.delight.as_ref())),
            ("influence", ScoreCell::of(Some(&c.health.influence))),
        ],
        quadrant: c
            .health
            .quadrant
            .map_or("Delight not known yet", |q| q.label())
            .to_owned(),
        attention: c.departure.is_none() && c.health.needs_attention(),
        gone: c.departure.as_ref().map(|d| d.describe()),
        will_own: match c.will_own {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        },
    }
}

/// `GET /accounts/{id}/champions`.
pub(crate) async fn account(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
) -> Result<Html, ApiError> {
    let account = existing(&state.store, AccountId(id)).await?;
    let (account_name, champions) = state.store.account_champions(account.id).await?;
    let bubbles: Vec<Bubble> = champions
        .iter()
        .filter(|c| c.departure.is_none())
        .map(|c| Bubble {
            name: c.name.clone(),
            engagement: c.health.engagement.value,
            delight: c.health.delight.as_ref().map_or(HIGH, |d| d.value),
            known: c.health.delight.is_some(),
            influence: c.health.influence.value,
        })
        .collect();
    let alerts = champions
        .iter()
        .filter_map(|c| match &c.departure {
            Some(d) => c.key.then(|| format!("{} {}", c.name, d.describe())),
            None => c.health.needs_attention().then(|| {
                format!(
                    "{} has high influence and cares about the problem, but dislikes our solution",
                    c.name
                )
            }),
        })
        .collect();
    render(&AccountPage {
        account_id: id,
        account_name,
        can_edit: page.actor.can_write_account(account.fields.owner_id),
        rows: champions.iter().map(row).collect(),
        chart: serde_json::to_string(&bubbles).map_err(|e| ApiError::Internal(e.to_string()))?,
        alerts,
        high: HIGH,
        high_influence: HIGH_INFLUENCE,
        error: page.flash.for_slot(SLOT),
        me: page.user,
    })
}

/// `POST /contacts/{id}/outlook`: the 12-month question.
pub(crate) async fn set_outlook(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let found = ops::writable_contact(&state.store, &actor, ContactId(id)).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let will_own = ops::outlook(form.text("will_own"))?;
        ops::set_outlook(&state.store, &actor, &found, will_own).await
    }
    .await;
    back_after_form(
        &format!("/accounts/{}/champions", found.fields.account_id),
        SLOT,
        &format!("contact-{id}"),
        result,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct AlertsQuery {
    book: Option<String>,
}

struct AlertRow {
    account_id: i64,
    account: String,
    contact: String,
    text: String,
}

#[derive(askama::Template)]
#[template(path = "champions/alerts.html")]
struct AlertsPage {
    me: User,
    books: Vec<Choice>,
    left: Vec<AlertRow>,
    unhappy: Vec<AlertRow>,
}

/// `GET /champions`: the champions who left and the influential contacts who dislike our
/// solution, across the portfolio or one's book.
pub(crate) async fn alerts(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<AlertsQuery>,
) -> Result<Html, ApiError> {
    let mine = q.book.as_deref() == Some("mine");
    let alerts = state.store.champion_alerts(mine.then_some(page.user.id)).await?;
    let (mut left, mut unhappy) = (Vec::new(), Vec::new());
    for a in alerts {
        let row = AlertRow {
            account_id: a.contact.account_id.0,
            account: a.account_name,
            contact: a.contact.name,
            text: a.text,
        };
        match a.kind {
            ChampionAlertKind::Left => left.push(row),
            ChampionAlertKind::CaresDislikes => unhappy.push(row),
        }
    }
    render(&AlertsPage {
        books: book_choices(mine),
        left,
        unhappy,
        me: page.user,
    })
}
