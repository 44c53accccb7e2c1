//! What the health API and pages both do: read a scorecard as sent (the API's JSON, the admin
//! page's form) with every problem named, change scorecards (each change in the audit log),
//! and the access rules of health settings.

//! Health on the API (F-20, F-21): the measures, the scorecards (admins), an account's score
//! with its explanation and history, and the inputs people give — pulses, problem severity,
//! industry exposure and price thresholds.

use lodestar_domain::health::{Bands, MeasureWeight, ScorecardFields};
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::{AuditKind, LifecycleStage, Tier};
use lodestar_domain::{Invalid, Valid};
use lodestar_store::health_measures;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::allowed;
use crate::http::params::checked;
use lodestar_domain::access::Actor;

const RISK_SETTINGS: &str = "only leaders and admins set risk settings";

/// One measure on a scorecard: points run from 0 at `zero_at` to 100 at `full_at`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasureWeightIo {
    #[schema(example = "usage_trend")]
    pub(crate) measure: String,
    #[schema(example = 25, minimum = 1, maximum = 100)]
    pub(crate) weight: u32,
    #[schema(example = -50.0)]
    pub(crate) zero_at: f64,
    #[schema(example = 0.0)]
    pub(crate) full_at: f64,
}

/// A scorecard as written by an admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScorecardInput {
    #[schema(example = "Enterprise adoption")]
    pub(crate) name: String,
    /// The segment it scores; absent for any.
    #[schema(example = "enterprise")]
    pub(crate) tier: Option<String>,
    /// The lifecycle stage it scores; absent for any.
    #[schema(example = "adopt")]
    pub(crate) lifecycle_stage: Option<String>,
    /// Scores below this are red.
    #[schema(example = 40, minimum = 1, maximum = 100)]
    pub(crate) red_below: u32,
    /// Scores from this are green; between the two, yellow.
    #[schema(example = 70, minimum = 1, maximum = 100)]
    pub(crate) green_from: u32,
    pub(crate) measures: Vec<MeasureWeightIo>,
}

/// Reads and checks a scorecard from a client (the API and the admin page).
pub(crate) fn scorecard_fields(input: ScorecardInput) -> Result<Valid<ScorecardFields>, ApiError> {
    let mut errors = Vec::new();
    let name = checked(&mut errors, "name", Name::parse(&input.name));
    let any = |v: Option<String>| v.filter(|v| !v.trim().is_empty() && v.trim() != "any");
    let tier = any(input.tier).and_then(|t| checked(&mut errors, "tier", t.parse::<Tier>()));
    let stage =
        any(input.lifecycle_stage).and_then(|s| checked(&mut errors, "lifecycle_stage", s.parse::<LifecycleStage>()));
    let Some(name) = name else {
        return Err(Invalid { errors }.into());
    };
    if !errors.is_empty() {
        return Err(Invalid { errors }.into());
    }
    let known: Vec<&str> = health_measures().iter().map(|m| m.key).collect();
    Ok(ScorecardFields {
        name,
        tier,
        lifecycle_stage: stage,
        bands: Bands {
            red_below: input.red_below,
            green_from: input.green_from,
        },
        measures: input
            .measures
            .into_iter()
            .map(|m| MeasureWeight {
                measure: m.measure,
                weight: m.weight,
                zero_at: m.zero_at,
                full_at: m.full_at,
            })
            .collect(),
    }
    .validate(&known)?)
}

/// Scorecards are configured by admins (a card weighs every account it fits).
pub(crate) fn require_scorecard_admin(actor: &Actor) -> Result<(), ApiError> {
    allowed(actor.can_administer(), "only admins configure scorecards")
}

/// Risk settings (industry exposure, price thresholds, loss rates) are set by leaders and admins.
pub(crate) fn require_risk_settings(actor: &Actor) -> Result<(), ApiError> {
    allowed(actor.can_manage_all_accounts(), RISK_SETTINGS)
}

fn card(id: lodestar_domain::ScorecardId) -> Option<String> {
    Some(format!("scorecard {id}"))
}

pub(crate) async fn create_scorecard(
    state: &AppState,
    origin: &Origin,
    fields: Valid<ScorecardFields>,
) -> Result<lodestar_store::Scorecard, ApiError> {
    let created = state.store.create_scorecard(fields).await?;
    state
        .audit(origin, AuditKind::ScorecardChanged, card(created.id), "created")
        .await?;
    Ok(created)
}

pub(crate) async fn update_scorecard(
    state: &AppState,
    origin: &Origin,
    id: lodestar_domain::ScorecardId,
    fields: Valid<ScorecardFields>,
) -> Result<lodestar_store::Scorecard, ApiError> {
    let updated = state.store.update_scorecard(id, fields).await?;
    state
        .audit(origin, AuditKind::ScorecardChanged, card(id), "replaced")
        .await?;
    Ok(updated)
}

pub(crate) async fn delete_scorecard(
    state: &AppState,
    origin: &Origin,
    id: lodestar_domain::ScorecardId,
) -> Result<(), ApiError> {
    state.store.delete_scorecard(id).await?;
    state
        .audit(origin, AuditKind::ScorecardChanged, card(id), "deleted")
        .await
}
