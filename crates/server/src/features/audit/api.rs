//! `GET /api/v1/audit`: the audit log (admins).

use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use lodestar_store::AuditEntry;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, AuditParams};
use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ReadProblems};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOutput {
    id: i64,
    at: DateTime<Utc>,
    /// The user who acted, when it was a person (or their token).
    actor_user_id: Option<i64>,
    /// How the actor is shown: an email, an API token's name, "command line".
    actor: String,
    /// The client address of the request; none for the command line.
    client: Option<String>,
    /// sign_in, sign_in_failed, sign_out, password_changed, password_reset, user_created,
    /// role_changed, user_deactivated, user_reactivated, user_deleted, token_created,
    /// token_revoked, write_key_created, write_key_revoked, export, backup, restore,
    /// scorecard_changed, settings_changed, account_deleted or account_churned.
    kind: String,
    /// What was acted on, e.g. "user 7", "account 12".
    subject: Option<String>,
    detail: String,
}

impl From<AuditEntry> for AuditEntryOutput {
    fn from(e: AuditEntry) -> Self {
        AuditEntryOutput {
            id: e.id,
            at: e.at,
            actor_user_id: e.actor_user_id.map(|u| u.0),
            actor: e.actor,
            client: e.client,
            kind: e.kind.as_str().to_owned(),
            subject: e.subject,
            detail: e.detail,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPageOutput {
    /// Newest first.
    entries: Vec<AuditEntryOutput>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    next_before: Option<i64>,
}

/// The audit log, newest first, a page at a time (admins). Nothing can change or delete it.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, description = "A page of entries", body = AuditPageOutput), ReadProblems),
    security(("bearer" = [])))]
async fn list_audit(
    State(state): State<AppState>,
    Caller(actor): Caller,
    params: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<AuditPageOutput>, ApiError> {
    let Query(params) = params?;
    let page = ops::list(&state.store, &actor, &params).await?;
    Ok(axum::Json(AuditPageOutput {
        entries: page.entries.into_iter().map(Into::into).collect(),
        next_before: page.next_before,
    }))
}
