//! What the segmentation API and page both do: the formula read with every problem named, who
//! may preview and apply it (admins; the team's leaders, admins and executives read the
//! preview), and applying it with its audit entry; the experience levels (admins), the level
//! of each tier (admins) and an account placed in another level (leaders and admins).

use lodestar_domain::access::Actor;
use lodestar_domain::experience::{Entitlements, ExperienceFields, LevelName};
use lodestar_domain::segment::TierFormula;
use lodestar_domain::vocabulary::{AuditKind, Coverage, Tier};
use lodestar_domain::{AccountId, FieldError, Invalid, Valid};
use lodestar_store::{AccountLevel, ExperienceLevel};

use crate::AppState;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::{allowed, checked};

pub(crate) fn may_apply(actor: &Actor) -> Result<(), ApiError> {
    if actor.can_administer() {
        Ok(())
    } else {
        Err(ApiError::Forbidden("only admins change the tier formula"))
    }
}

/// The seven numbers of a formula as typed; a missing one is named.
pub(crate) fn formula(values: [(&'static str, Option<u32>); 7]) -> Result<Valid<TierFormula>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut n = [0u32; 7];
    for (i, (field, value)) in values.iter().enumerate() {
        match value {
            Some(v) => n[i] = *v,
            None => errors.push(FieldError {
                field,
                reason: "is required: a whole number from 0 to 100".into(),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(Invalid { errors }.into());
    }
    Ok(TierFormula {
        arr_weight: n[0],
        growth_weight: n[1],
        engagement_weight: n[2],
        preference_weight: n[3],
        strategic_from: n[4],
        enterprise_from: n[5],
        mid_tier_from: n[6],
    }
    .validate()?)
}

pub(crate) async fn apply(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    formula: Valid<TierFormula>,
    expected: usize,
) -> Result<usize, ApiError> {
    may_apply(actor)?;
    let f = *formula;
    let changed = state.store.apply_tier_formula(formula, expected, actor.user).await?;
    state
        .audit(
            origin,
            AuditKind::TiersApplied,
            None,
            format!(
                "{changed} accounts changed tier; weights ARR {}, growth {}, engagement {}, preference {}; \
                 strategic from {}, enterprise from {}, mid-tier from {}",
                f.arr_weight,
                f.growth_weight,
                f.engagement_weight,
                f.preference_weight,
                f.strategic_from,
                f.enterprise_from,
                f.mid_tier_from
            ),
        )
        .await?;
    Ok(changed)
}

/// A level as typed: its name, the days between QBRs and between check-ins (`None`: none) and
/// its coverage, every problem named.
pub(crate) fn level_fields(
    name: &str,
    qbr_every_days: Option<u32>,
    check_in_every_days: Option<u32>,
    coverage: &str,
) -> Result<Valid<ExperienceFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let name = checked(&mut errors, "name", LevelName::parse(name));
    let coverage = checked(&mut errors, "coverage", coverage.parse::<Coverage>());
    match (name, coverage) {
        (Some(name), Some(coverage)) if errors.is_empty() => Ok(ExperienceFields {
            name,
            entitlements: Entitlements {
                qbr_every_days,
                check_in_every_days,
                coverage,
            },
        }
        .validate()?),
        _ => Err(Invalid { errors }.into()),
    }
}

pub(crate) fn may_change_levels(actor: &Actor) -> Result<(), ApiError> {
    allowed(actor.can_administer(), "only admins change the experience levels")
}

async fn audit_level(state: &AppState, origin: &Origin, id: i64, what: String) -> Result<(), ApiError> {
    state
        .audit(
            origin,
            AuditKind::ExperienceChanged,
            Some(format!("experience level {id}")),
            what,
        )
        .await
}

/// Adds a level (admins); returns its id and every level.
pub(crate) async fn create_level(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    fields: Valid<ExperienceFields>,
) -> Result<(i64, Vec<ExperienceLevel>), ApiError> {
    may_change_levels(actor)?;
    let said = format!("added {}: {}", fields.name, fields.entitlements.summary());
    let (id, all) = state.store.create_experience_level(fields, actor.user).await?;
    audit_level(state, origin, id, said).await?;
    Ok((id, all))
}

/// Changes a level (admins); every account at it follows.
pub(crate) async fn update_level(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    fields: Valid<ExperienceFields>,
) -> Result<Vec<ExperienceLevel>, ApiError> {
    may_change_levels(actor)?;
    let said = format!("{} now: {}", fields.name, fields.entitlements.summary());
    let all = state.store.update_experience_level(id, fields, actor.user).await?;
    audit_level(state, origin, id, said).await?;
    Ok(all)
}

/// Gives `tier`'s accounts the level `level` (admins).
pub(crate) async fn set_tier_level(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    tier: &str,
    level: Option<i64>,
) -> Result<Vec<ExperienceLevel>, ApiError> {
    may_change_levels(actor)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let tier = checked(&mut errors, "tier", tier.parse::<Tier>());
    if level.is_none() {
        errors.push(FieldError {
            field: "level_id",
            reason: "is required: the level this tier's accounts get".into(),
        });
    }
    let (Some(tier), Some(level)) = (tier, level) else {
        return Err(Invalid { errors }.into());
    };
    let all = state.store.set_tier_experience(tier, level).await?;
    let name = all
        .iter()
        .find(|l| l.id == level)
        .map_or_else(String::new, |l| l.name.to_string());
    audit_level(state, origin, level, format!("{} accounts get {name}", tier.label())).await?;
    Ok(all)
}

pub(crate) fn may_place(actor: &Actor) -> Result<(), ApiError> {
    allowed(
        actor.can_manage_all_accounts(),
        "only leaders and admins place an account in an experience level",
    )
}

/// Places an account in a level, or back in its tier's (`None`): leaders and admins, who run
/// the book of business. Returns the level it now has.
pub(crate) async fn place_account(
    state: &AppState,
    actor: &Actor,
    account: AccountId,
    level: Option<i64>,
) -> Result<Option<AccountLevel>, ApiError> {
    may_place(actor)?;
    state.store.place_account_experience(account, level, actor.user).await?;
    Ok(state.store.account_experience(account).await?)
}
