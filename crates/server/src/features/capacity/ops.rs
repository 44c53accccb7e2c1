//! What the capacity API and page both do: who may see the team's books (leaders, admins,
//! executives) and who may change them (leaders and admins, who run the book of business);
//! reading a benchmark with every problem named; setting it and applying a rebalancing, each
//! with its audit entry.

use lodestar_domain::access::Actor;
use lodestar_domain::capacity::{Benchmark, Benchmarks, MeetingHours, Move};
use lodestar_domain::vocabulary::{AuditKind, Tier};
use lodestar_domain::{FieldError, Invalid};

use crate::AppState;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::checked;

pub(crate) fn may_see(actor: &Actor) -> Result<(), ApiError> {
    if actor.can_see_team() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only leaders, admins and executives see the team's capacity",
        ))
    }
}

pub(crate) fn may_change(actor: &Actor) -> Result<(), ApiError> {
    if actor.can_manage_all_accounts() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only leaders and admins set benchmarks and move accounts between books",
        ))
    }
}

fn required(errors: &mut Vec<FieldError>, field: &'static str, value: Option<u32>) -> u32 {
    if value.is_none() {
        errors.push(FieldError {
            field,
            reason: "is required".into(),
        });
    }
    value.unwrap_or_default()
}

/// A tier's benchmark as typed.
pub(crate) fn benchmark(
    tier: &str,
    min_accounts: Option<u32>,
    max_accounts: Option<u32>,
    review_minutes: Option<u32>,
) -> Result<Benchmark, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let tier = checked(&mut errors, "tier", tier.parse::<Tier>());
    let min_accounts = required(&mut errors, "min_accounts", min_accounts);
    let max_accounts = required(&mut errors, "max_accounts", max_accounts);
    let review_minutes = required(&mut errors, "review_minutes", review_minutes);
    match tier {
        Some(tier) if errors.is_empty() => Ok(Benchmark {
            tier,
            min_accounts,
            max_accounts,
            review_minutes,
        }),
        _ => Err(Invalid { errors }.into()),
    }
}

pub(crate) async fn set_benchmark(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    benchmark: Benchmark,
) -> Result<Benchmarks, ApiError> {
    may_change(actor)?;
    let all = state
        .store
        .set_capacity_benchmark(benchmark.validate()?, actor.user)
        .await?;
    state
        .audit(
            origin,
            AuditKind::CapacityChanged,
            Some(format!("tier {}", benchmark.tier)),
            format!(
                "{}: {}–{} accounts per CSM, reviews of {} minutes",
                benchmark.tier.label(),
                benchmark.min_accounts,
                benchmark.max_accounts,
                benchmark.review_minutes
            ),
        )
        .await?;
    Ok(all)
}

pub(crate) async fn set_meeting_hours(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    hours: Option<u32>,
) -> Result<Benchmarks, ApiError> {
    may_change(actor)?;
    let hours = MeetingHours(hours.ok_or_else(|| Invalid::field("meeting_hours_per_month", "is required"))?);
    let all = state.store.set_meeting_hours(hours.validate()?, actor.user).await?;
    state
        .audit(
            origin,
            AuditKind::CapacityChanged,
            None,
            format!("each CSM has {} hours of customer meetings a month", hours.0),
        )
        .await?;
    Ok(all)
}

/// Applies the moves a leader was shown, all or nothing, with one audit entry naming them.
pub(crate) async fn apply(state: &AppState, actor: &Actor, origin: &Origin, moves: &[Move]) -> Result<usize, ApiError> {
    may_change(actor)?;
    if moves.is_empty() {
        return Err(Invalid::field("moves", "name at least one account to move").into());
    }
    let moved = state.store.apply_rebalancing(moves, actor.user).await?;
    let list: Vec<String> = moves
        .iter()
        .map(|m| format!("account {} from user {} to user {}", m.account, m.from, m.to))
        .collect();
    state
        .audit(
            origin,
            AuditKind::BooksRebalanced,
            None,
            format!("{moved} accounts moved: {}", list.join("; ")),
        )
        .await?;
    Ok(moved)
}
