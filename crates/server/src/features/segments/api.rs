//! Segmentation on the API: the formula, its preview, and applying it.

use axum::extract::State;
use lodestar_domain::segment::TierFormula;
use lodestar_store::TierPreview;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops;
use crate::AppState;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::whole_number;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_formula))
        .routes(routes!(preview))
        .routes(routes!(apply))
}

/// The tier formula: a weight (0–100) per metric, and the lowest score (0–100) of each tier
/// above the long tail. A metric an account lacks counts as 50.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormulaBody {
    /// The account's ARR as a percentile rank among the live accounts.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = u32, example = 50)]
    arr_weight: Option<u32>,
    /// The account's growth potential (low 0, medium 50, high 100).
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = u32, example = 20)]
    growth_weight: Option<u32>,
    /// Its current health score.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = u32, example = 15)]
    engagement_weight: Option<u32>,
    /// The customer's preference (high-touch 100, self-serve 0).
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = u32, example = 15)]
    preference_weight: Option<u32>,
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = u32, example = 85)]
    strategic_from: Option<u32>,
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = u32, example = 65)]
    enterprise_from: Option<u32>,
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = u32, example = 40)]
    mid_tier_from: Option<u32>,
}

impl FormulaBody {
    fn values(&self) -> [(&'static str, Option<u32>); 7] {
        [
            ("arr_weight", self.arr_weight),
            ("growth_weight", self.growth_weight),
            ("engagement_weight", self.engagement_weight),
            ("preference_weight", self.preference_weight),
            ("strategic_from", self.strategic_from),
            ("enterprise_from", self.enterprise_from),
            ("mid_tier_from", self.mid_tier_from),
        ]
    }
}

impl From<TierFormula> for FormulaBody {
    fn from(f: TierFormula) -> Self {
        FormulaBody {
            arr_weight: Some(f.arr_weight),
            growth_weight: Some(f.growth_weight),
            engagement_weight: Some(f.engagement_weight),
            preference_weight: Some(f.preference_weight),
            strategic_from: Some(f.strategic_from),
            enterprise_from: Some(f.enterprise_from),
            mid_tier_from: Some(f.mid_tier_from),
        }
    }
}

/// The tier formula in use (the default until an admin applies one).
#[utoipa::path(get, path = "/api/v1/segmentation/formula", tag = "segmentation",
    responses((status = 200, description = "The formula", body = FormulaBody), ReadProblems),
    security(("bearer" = [])))]
async fn get_formula(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<FormulaBody>, ApiError> {
    Ok(axum::Json(state.store.segment_formula().await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierChangeOutput {
    account_id: i64,
    account_name: String,
    arr_cents: i64,
    /// The account's score under the formula, 0–100.
    score: u32,
    /// Its tier now (null: none).
    from: Option<&'static str>,
    to: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierSize {
    tier: &'static str,
    accounts: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierPreviewOutput {
    /// Live accounts the formula scored.
    accounts: usize,
    /// How many accounts each tier would hold.
    tiers: Vec<TierSize>,
    /// The accounts that would change tier, the largest ARR first; apply with their count.
    changes: Vec<TierChangeOutput>,
}

impl From<TierPreview> for TierPreviewOutput {
    fn from(p: TierPreview) -> Self {
        TierPreviewOutput {
            accounts: p.accounts,
            tiers: p
                .tier_sizes
                .into_iter()
                .map(|(t, n)| TierSize {
                    tier: t.as_str(),
                    accounts: n,
                })
                .collect(),
            changes: p
                .changes
                .into_iter()
                .map(|c| TierChangeOutput {
                    account_id: c.account.0,
                    account_name: c.name,
                    arr_cents: c.arr.0,
                    score: c.score,
                    from: c.from.map(|t| t.as_str()),
                    to: c.to.as_str(),
                })
                .collect(),
        }
    }
}

/// Which accounts a formula would move to another tier (admins); nothing changes.
#[utoipa::path(post, path = "/api/v1/segmentation/preview", tag = "segmentation",
    request_body = FormulaBody,
    responses((status = 200, description = "The preview", body = TierPreviewOutput), WriteProblems),
    security(("bearer" = [])))]
async fn preview(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Json<FormulaBody>,
) -> Result<axum::Json<TierPreviewOutput>, ApiError> {
    ops::may_apply(&actor)?;
    let b = body.read()?;
    let formula = ops::formula(b.values())?;
    Ok(axum::Json(state.store.preview_tiers(&formula).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    /// The formula as previewed.
    formula: FormulaBody,
    /// How many changes the preview showed: 409 if the formula now changes another number.
    expected_changes: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppliedOutput {
    changed: usize,
}

/// Save the formula and move the accounts it places in another tier (admins): one
/// transaction, audited, each change on its account's timeline.
#[utoipa::path(post, path = "/api/v1/segmentation/apply", tag = "segmentation",
    request_body = ApplyBody,
    responses((status = 200, description = "Applied", body = AppliedOutput), WriteProblems),
    security(("bearer" = [])))]
async fn apply(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<ApplyBody>,
) -> Result<axum::Json<AppliedOutput>, ApiError> {
    ops::may_apply(&actor)?;
    let b = body.read()?;
    let formula = ops::formula(b.formula.values())?;
    let changed = ops::apply(&state, &actor, &origin, formula, b.expected_changes).await?;
    Ok(axum::Json(AppliedOutput { changed }))
}
