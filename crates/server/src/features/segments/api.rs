//! Segmentation on the API: the formula, its preview, and applying it; the experience levels
//! with their entitlements, the level of each tier, and an account placed in another level.

use axum::extract::State;
use axum::http::StatusCode;
use lodestar_domain::AccountId;
use lodestar_domain::segment::TierFormula;
use lodestar_store::{AccountLevel, ExperienceLevel, TierPreview};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops;
use crate::AppState;
use crate::http::auth::{Caller, Who};
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::json::Json;
use crate::http::params::{IdPath, path_id, whole_number};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_formula))
        .routes(routes!(preview))
        .routes(routes!(apply))
        .routes(routes!(list_levels, create_level))
        .routes(routes!(update_level))
        .routes(routes!(set_tier_level))
        .routes(routes!(place_account))
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

#[derive(Debug, Serialize, ToSchema)]
pub struct ExperienceLevelOutput {
    id: i64,
    name: String,
    /// Days between QBRs (an EBR counts as one); null: no QBRs.
    qbr_every_days: Option<u32>,
    /// Days between reviews of any kind; null: no check-ins.
    check_in_every_days: Option<u32>,
    /// named (the account's owner holds its reviews) or pooled (anyone of the level's pool).
    coverage: &'static str,
    /// The tiers whose accounts get this level (unless placed in another).
    tiers: Vec<&'static str>,
    /// Live accounts at this level.
    accounts: usize,
}

impl From<&ExperienceLevel> for ExperienceLevelOutput {
    fn from(l: &ExperienceLevel) -> Self {
        ExperienceLevelOutput {
            id: l.id,
            name: l.name.to_string(),
            qbr_every_days: l.entitlements.qbr_every_days,
            check_in_every_days: l.entitlements.check_in_every_days,
            coverage: l.entitlements.coverage.as_str(),
            tiers: l.tiers.iter().map(|t| t.as_str()).collect(),
            accounts: l.accounts,
        }
    }
}

fn outputs(levels: &[ExperienceLevel]) -> Vec<ExperienceLevelOutput> {
    levels.iter().map(Into::into).collect()
}

/// The experience levels: what each promises its accounts (QBR and check-in cadences, a named
/// CSM or a pool), the tiers that get it, and how many live accounts have it. The QBR and
/// check-in scheduling (`/api/v1/reviews/overdue`) and capacity read them.
#[utoipa::path(get, path = "/api/v1/experience-levels", tag = "segmentation",
    responses((status = 200, description = "The levels, the tiers' ones first", body = Vec<ExperienceLevelOutput>), ReadProblems),
    security(("bearer" = [])))]
async fn list_levels(
    State(state): State<AppState>,
    Caller(_actor): Caller,
) -> Result<axum::Json<Vec<ExperienceLevelOutput>>, ApiError> {
    Ok(axum::Json(outputs(&state.store.experience_levels().await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExperienceBody {
    /// Up to 60 characters, unique.
    #[schema(example = "Neighborhood")]
    name: String,
    /// Days between QBRs, 7 to 366; null or left out: no QBRs.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = Option<u32>, example = 91)]
    qbr_every_days: Option<u32>,
    /// Days between reviews of any kind, 7 to 366; null or left out: no check-ins.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = Option<u32>, example = 30)]
    check_in_every_days: Option<u32>,
    /// named or pooled.
    #[schema(example = "pooled")]
    coverage: String,
}

impl ExperienceBody {
    fn fields(&self) -> Result<lodestar_domain::Valid<lodestar_domain::experience::ExperienceFields>, ApiError> {
        ops::level_fields(
            &self.name,
            self.qbr_every_days,
            self.check_in_every_days,
            &self.coverage,
        )
    }
}

fn level_out(levels: &[ExperienceLevel], id: i64) -> axum::Json<ExperienceLevelOutput> {
    let level = levels
        .iter()
        .find(|l| l.id == id)
        .expect("the level just written is listed");
    axum::Json(level.into())
}

/// Add an experience level (admins). A name already taken is a 409.
#[utoipa::path(post, path = "/api/v1/experience-levels", tag = "segmentation",
    request_body = ExperienceBody,
    responses((status = 201, description = "Added", body = ExperienceLevelOutput), WriteProblems),
    security(("bearer" = [])))]
async fn create_level(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    body: Json<ExperienceBody>,
) -> Result<(StatusCode, axum::Json<ExperienceLevelOutput>), ApiError> {
    ops::may_change_levels(&actor)?;
    let fields = body.read()?.fields()?;
    let (id, all) = ops::create_level(&state, &actor, &origin, fields).await?;
    Ok((StatusCode::CREATED, level_out(&all, id)))
}

/// Change a level's name and entitlements (admins): every account at it follows at once.
#[utoipa::path(put, path = "/api/v1/experience-levels/{id}", tag = "segmentation",
    params(("id" = i64, Path, description = "The level")),
    request_body = ExperienceBody,
    responses((status = 200, description = "Changed", body = ExperienceLevelOutput), WriteProblems),
    security(("bearer" = [])))]
async fn update_level(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    id: IdPath,
    body: Json<ExperienceBody>,
) -> Result<axum::Json<ExperienceLevelOutput>, ApiError> {
    ops::may_change_levels(&actor)?;
    let id = path_id(id)?;
    let fields = body.read()?.fields()?;
    let all = ops::update_level(&state, &actor, &origin, id, fields).await?;
    Ok(level_out(&all, id))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierLevelBody {
    /// The level the tier's accounts get.
    level_id: Option<i64>,
}

/// Give a tier's accounts a level (admins); accounts placed in another keep theirs. Returns
/// every level.
#[utoipa::path(put, path = "/api/v1/tier-experience/{tier}", tag = "segmentation",
    params(("tier" = String, Path, description = "strategic, enterprise, mid_tier or long_tail")),
    request_body = TierLevelBody,
    responses((status = 200, description = "Set", body = Vec<ExperienceLevelOutput>), WriteProblems),
    security(("bearer" = [])))]
async fn set_tier_level(
    State(state): State<AppState>,
    Who { actor, origin }: Who,
    axum::extract::Path(tier): axum::extract::Path<String>,
    body: Json<TierLevelBody>,
) -> Result<axum::Json<Vec<ExperienceLevelOutput>>, ApiError> {
    ops::may_change_levels(&actor)?;
    let level = body.read()?.level_id;
    let all = ops::set_tier_level(&state, &actor, &origin, &tier, level).await?;
    Ok(axum::Json(outputs(&all)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementBody {
    /// The level to place the account in; null: back to its tier's.
    level_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlacementOutput {
    /// The level the account now has; null when it has none (no tier, not placed).
    level_id: Option<i64>,
    level_name: Option<String>,
    /// Placed by hand rather than by its tier.
    placed: bool,
}

impl From<Option<AccountLevel>> for PlacementOutput {
    fn from(l: Option<AccountLevel>) -> Self {
        PlacementOutput {
            level_id: l.as_ref().map(|l| l.id),
            level_name: l.as_ref().map(|l| l.name.to_string()),
            placed: l.is_some_and(|l| l.placed),
        }
    }
}

/// Place an account in an experience level other than its tier's, or back (leaders and
/// admins): a self-serve enterprise customer in the pooled level, a fast-growing mid-tier one
/// in high touch. On the account's timeline.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/experience-level", tag = "segmentation",
    params(("id" = i64, Path, description = "The account")),
    request_body = PlacementBody,
    responses((status = 200, description = "Placed", body = PlacementOutput), WriteProblems),
    security(("bearer" = [])))]
async fn place_account(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<PlacementBody>,
) -> Result<axum::Json<PlacementOutput>, ApiError> {
    ops::may_place(&actor)?;
    let account = AccountId(path_id(id)?);
    let level = body.read()?.level_id;
    Ok(axum::Json(
        ops::place_account(&state, &actor, account, level).await?.into(),
    ))
}
