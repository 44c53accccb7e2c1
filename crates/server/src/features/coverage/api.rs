//! Coverage and the sponsor programme on the API.

use axum::extract::State;
use chrono::{DateTime, Utc};
use lodestar_domain::coverage::TARGET;
use lodestar_store::{AccountCoverage, ProgrammeAccount, SponsorProgramme};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::features::accounts::ops::existing_in_path;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems};
use crate::http::params::IdPath;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account_coverage))
        .routes(routes!(sponsor_programme))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlacedContact {
    name: String,
    title: Option<String>,
    /// executive, manager or practitioner (from the title, else the buying role).
    level: &'static str,
    /// The function the title places them in, when it says.
    function: Option<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SponsorChangeOutput {
    /// The new sponsor; null when the account was left without one.
    sponsor: Option<String>,
    /// The one before; null for the first assignment.
    previous: Option<String>,
    changed_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageOutput {
    account_id: i64,
    account_name: String,
    /// Levels reached (of 3: executive, manager, practitioner).
    high: usize,
    /// Functions reached.
    wide: usize,
    /// The goal for both: three high, three wide.
    target: usize,
    /// What is missing, in words; empty when covered.
    gaps: Vec<String>,
    /// The active contacts, placed.
    contacts: Vec<PlacedContact>,
    /// Our executive sponsor of the account.
    sponsor: Option<String>,
    /// The latest first.
    sponsor_history: Vec<SponsorChangeOutput>,
}

impl From<AccountCoverage> for CoverageOutput {
    fn from(c: AccountCoverage) -> Self {
        CoverageOutput {
            account_id: c.account_id.0,
            account_name: c.account_name,
            high: c.coverage.high,
            wide: c.coverage.wide,
            target: TARGET,
            gaps: c.coverage.gaps,
            contacts: c
                .coverage
                .contacts
                .into_iter()
                .map(|p| PlacedContact {
                    name: p.name,
                    title: p.title,
                    level: p.level.as_str(),
                    function: p.function.map(|f| f.as_str()),
                })
                .collect(),
            sponsor: c.sponsor,
            sponsor_history: c
                .sponsor_history
                .into_iter()
                .map(|h| SponsorChangeOutput {
                    sponsor: h.sponsor,
                    previous: h.previous,
                    changed_at: h.changed_at,
                })
                .collect(),
        }
    }
}

/// How high and how wide our relationships with the account reach ("three high, three
/// wide"), with the gaps, and our executive sponsor's history on it.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/coverage", tag = "coverage", params(("id" = i64, Path)),
    responses((status = 200, description = "The coverage", body = CoverageOutput), ReadProblems),
    security(("bearer" = [])))]
async fn account_coverage(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    id: IdPath,
) -> Result<axum::Json<CoverageOutput>, ApiError> {
    let id = existing_in_path(&state.store, id).await?;
    Ok(axum::Json(state.store.account_coverage(id).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeAccountOutput {
    account_id: i64,
    account_name: String,
    owner_name: Option<String>,
    /// Current ARR, as a decimal string ("12000.50").
    arr: String,
    sponsor_name: Option<String>,
    /// No sponsor, or one whose user is deactivated.
    unsponsored: bool,
    /// Times the sponsor was replaced or removed.
    sponsor_changes: i64,
    last_change: Option<DateTime<Utc>>,
}

impl From<ProgrammeAccount> for ProgrammeAccountOutput {
    fn from(a: ProgrammeAccount) -> Self {
        ProgrammeAccountOutput {
            unsponsored: a.unsponsored(),
            account_id: a.account_id.0,
            account_name: a.account_name,
            owner_name: a.owner,
            arr: a.arr.to_string(),
            sponsor_name: a.sponsor,
            sponsor_changes: a.changes,
            last_change: a.last_change,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeOutput {
    /// Active accounts with ARR; the programme is the top fifth of them by ARR.
    accounts_with_arr: i64,
    total_arr: String,
    programme_arr: String,
    /// The programme's share of ARR, 0–1.
    programme_share: f64,
    unsponsored: usize,
    accounts: Vec<ProgrammeAccountOutput>,
}

impl From<SponsorProgramme> for ProgrammeOutput {
    fn from(p: SponsorProgramme) -> Self {
        let share = if p.total_arr.0 > 0 {
            p.programme_arr.0 as f64 / p.total_arr.0 as f64
        } else {
            0.0
        };
        ProgrammeOutput {
            accounts_with_arr: p.accounts_with_arr,
            total_arr: p.total_arr.to_string(),
            programme_arr: p.programme_arr.to_string(),
            programme_share: share,
            unsponsored: p.accounts.iter().filter(|a| a.unsponsored()).count(),
            accounts: p.accounts.into_iter().map(Into::into).collect(),
        }
    }
}

/// The executive sponsor programme: the top fifth of the active accounts by ARR (seed 001: if
/// 80 % of revenue comes from the top 20 % of customers, sponsor those), each with its sponsor,
/// whether it has none, and how often the sponsor changed.
#[utoipa::path(get, path = "/api/v1/sponsor-programme", tag = "coverage",
    responses((status = 200, description = "The programme", body = ProgrammeOutput), ReadProblems),
    security(("bearer" = [])))]
async fn sponsor_programme(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<ProgrammeOutput>, ApiError> {
    Ok(axum::Json(state.store.sponsor_programme().await?.into()))
}
