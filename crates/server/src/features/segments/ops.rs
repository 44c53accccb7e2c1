//! What the segmentation API and page both do: the formula read with every problem named, who
//! may preview and apply it (admins; the team's leaders, admins and executives read the
//! preview), and applying it with its audit entry.

use lodestar_domain::access::Actor;
use lodestar_domain::segment::TierFormula;
use lodestar_domain::vocabulary::AuditKind;
use lodestar_domain::{FieldError, Invalid, Valid};

use crate::AppState;
use crate::http::auth::Origin;
use crate::http::error::ApiError;

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
