//! Champion health on the API.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use lodestar_domain::champion::{ChampionHealth, Departure, Score};
use lodestar_domain::{ContactId, UserId};
use lodestar_store::{ChampionAlert, ChampionAlertKind, ContactChampion};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops;
use crate::AppState;
use crate::features::accounts::ops::existing_in_path;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{BookQuery, IdPath, path_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account_champions))
        .routes(routes!(set_outlook))
        .routes(routes!(champion_alerts))
        .routes(routes!(report_bounce))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreOutput {
    /// 0 to 100.
    value: u8,
    /// What made the score, in words.
    facts: Vec<String>,
}

impl From<Score> for ScoreOutput {
    fn from(s: Score) -> Self {
        ScoreOutput {
            value: s.value,
            facts: s.facts,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartureOutput {
    /// marked (someone marked them as left) or inferred (quiet, and a bounce or a successor).
    kind: &'static str,
    /// The day marked, or the day they went quiet.
    on: NaiveDate,
    /// Why, in words.
    reason: String,
}

impl From<&Departure> for DepartureOutput {
    fn from(d: &Departure) -> Self {
        DepartureOutput {
            kind: match d {
                Departure::Marked { .. } => "marked",
                Departure::Inferred { .. } => "inferred",
            },
            on: d.day(),
            reason: d.describe(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChampionOutput {
    contact_id: i64,
    account_id: i64,
    name: String,
    title: Option<String>,
    role: Option<&'static str>,
    /// Carries the relationship (a buying role or high influence): watched for leaving.
    key: bool,
    /// Product use, survey answers, meetings attended and tickets raised.
    engagement: ScoreOutput,
    /// Survey scores, ticket outcomes and their requests shipped; null when none is known.
    delight: Option<ScoreOutput>,
    /// Role, seniority, influence on record and whether they will own the relationship in 12
    /// months (the bubble's size).
    influence: ScoreOutput,
    /// champion, cares_dislikes, distant_fan or disengaged; null while delight is unknown.
    quadrant: Option<&'static str>,
    /// High influence, cares about the problem, dislikes our solution.
    needs_attention: bool,
    /// Null while they are (as far as anyone can tell) still there.
    departure: Option<DepartureOutput>,
    /// The CSM's answer to "will they own the relationship in 12 months?"; null if not given.
    will_own_relationship: Option<bool>,
}

impl From<ContactChampion> for ChampionOutput {
    fn from(c: ContactChampion) -> Self {
        let ChampionHealth {
            engagement,
            delight,
            influence,
            quadrant,
        } = c.health.clone();
        ChampionOutput {
            contact_id: c.contact_id.0,
            account_id: c.account_id.0,
            needs_attention: c.health.needs_attention(),
            departure: c.departure.as_ref().map(Into::into),
            name: c.name,
            title: c.title,
            role: c.role.map(|r| r.as_str()),
            key: c.key,
            engagement: engagement.into(),
            delight: delight.map(Into::into),
            influence: influence.into(),
            quadrant: quadrant.map(|q| q.as_str()),
            will_own_relationship: c.will_own,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountChampionsOutput {
    account_id: i64,
    account_name: String,
    /// Those still there first, the most influential first.
    contacts: Vec<ChampionOutput>,
}

/// An account's contacts with their engagement, delight and influence, each with its facts.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/champions", tag = "champions", params(("id" = i64, Path)),
    responses((status = 200, description = "The account's champion health", body = AccountChampionsOutput), ReadProblems),
    security(("bearer" = [])))]
async fn account_champions(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<AccountChampionsOutput>, ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    let (account_name, contacts) = state.store.account_champions(id).await?;
    Ok(axum::Json(AccountChampionsOutput {
        account_id: id.0,
        account_name,
        contacts: contacts.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationshipOutlookBody {
    /// Will they own the relationship in 12 months? null: not known (forgets an answer).
    will_own: Option<bool>,
}

/// Say whether a contact will own the relationship in 12 months (part of their influence).
#[utoipa::path(put, path = "/api/v1/contacts/{id}/relationship-outlook", tag = "champions", params(("id" = i64, Path)),
    request_body = RelationshipOutlookBody,
    responses((status = 204, description = "Recorded"), WriteProblems),
    security(("bearer" = [])))]
async fn set_outlook(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<RelationshipOutlookBody>,
) -> Result<StatusCode, ApiError> {
    let contact = ops::writable_contact(&state.store, &actor, ContactId(path_id(id)?)).await?;
    let b = body.read()?;
    ops::set_outlook(&state.store, &actor, &contact, b.will_own).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChampionAlertOutput {
    /// left (a key contact left: marked in the last 30 days, or inferred) or cares_dislikes
    /// (high influence, cares about the problem, dislikes our solution).
    kind: &'static str,
    account_name: String,
    owner_id: Option<i64>,
    /// What raised it, in words.
    text: String,
    contact: ChampionOutput,
}

impl From<ChampionAlert> for ChampionAlertOutput {
    fn from(a: ChampionAlert) -> Self {
        ChampionAlertOutput {
            kind: match a.kind {
                ChampionAlertKind::Left => "left",
                ChampionAlertKind::CaresDislikes => "cares_dislikes",
            },
            account_name: a.account_name,
            owner_id: a.owner.map(|u| u.0),
            text: a.text,
            contact: a.contact.into(),
        }
    }
}

/// The champion alerts now, the largest accounts first; `owner_id` narrows to one CSM's book.
#[utoipa::path(get, path = "/api/v1/champion-alerts", tag = "champions", params(BookQuery),
    responses((status = 200, description = "The alerts", body = Vec<ChampionAlertOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn champion_alerts(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    query: Result<Query<BookQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<ChampionAlertOutput>>, ApiError> {
    let Query(q) = query?;
    let alerts = state.store.champion_alerts(q.owner_id.map(UserId)).await?;
    Ok(axum::Json(alerts.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BounceBody {
    /// The address an email to which bounced.
    #[schema(example = "ada@acme.example")]
    email: String,
    /// What the mail server said.
    #[schema(example = "550 5.1.1 mailbox unavailable")]
    reason: String,
}

/// Report that an email bounced (an email provider's bounce webhook can call this). A key
/// contact who has been quiet for 60 days and whose address bounced has probably left.
#[utoipa::path(post, path = "/api/v1/email-bounces", tag = "champions",
    request_body = BounceBody,
    responses((status = 204, description = "Recorded"), WriteProblems),
    security(("bearer" = [])))]
async fn report_bounce(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<BounceBody>,
) -> Result<StatusCode, ApiError> {
    ops::may_report_bounce(&actor)?;
    let b = body.read()?;
    ops::report_bounce(&state.store, &actor, &b.email, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
