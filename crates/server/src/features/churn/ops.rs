//! What the churn API and pages both do with their input: a churn's fields and a
//! retrospective's notes, read with every problem named.

use chrono::NaiveDate;
use lodestar_domain::review::{ChurnFields, RetrospectiveNotes};
use lodestar_domain::text::Note;
use lodestar_domain::vocabulary::ChurnReason;
use lodestar_domain::{FieldError, Invalid};

use crate::AppState;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::params::checked;
use crate::http::params::notes;

/// Marks `account` churned as `actor` and records it in the audit log.
pub(crate) async fn mark_churned(
    state: &AppState,
    origin: &Origin,
    actor: &lodestar_domain::access::Actor,
    account: lodestar_domain::AccountId,
    fields: lodestar_domain::Valid<ChurnFields>,
) -> Result<lodestar_store::Retrospective, ApiError> {
    let detail = format!("on {}, reason {}", fields.churned_on, fields.reason);
    let retro = state.store.mark_churned(account, fields, actor.user).await?;
    let subject = Some(format!("account {account}"));
    state
        .audit(
            origin,
            lodestar_domain::vocabulary::AuditKind::AccountChurned,
            subject,
            detail,
        )
        .await?;
    Ok(retro)
}

pub(crate) fn churn_fields(
    churned_on: Option<NaiveDate>,
    reason: &str,
    detail: &str,
    today: NaiveDate,
) -> Result<lodestar_domain::Valid<ChurnFields>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let churned_on = checked(
        &mut errors,
        "churned_on",
        churned_on.ok_or_else(|| "is required".to_owned()),
    );
    let reason = checked(&mut errors, "reason", reason.parse::<ChurnReason>());
    let detail = checked(&mut errors, "detail", Note::parse(detail));
    match (churned_on, reason, detail) {
        (Some(churned_on), Some(reason), Some(detail)) if errors.is_empty() => Ok(ChurnFields {
            churned_on,
            reason,
            detail,
        }
        .validate(today)?),
        _ => Err(Invalid { errors }.into()),
    }
}

pub(crate) fn retrospective_notes(
    prevention: &str,
    exit_interview: &str,
    learnings: &str,
    playbook: &str,
) -> Result<RetrospectiveNotes, ApiError> {
    let [prevention, exit_interview, learnings, playbook] = notes([
        ("prevention", prevention),
        ("exit_interview", exit_interview),
        ("learnings", learnings),
        ("playbook", playbook),
    ])?;
    Ok(RetrospectiveNotes {
        prevention,
        exit_interview,
        learnings,
        playbook,
    })
}
