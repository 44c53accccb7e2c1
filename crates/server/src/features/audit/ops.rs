//! What the audit API and page both do: read the filters as sent, and list a page.

use chrono::{Days, NaiveDate};
use lodestar_domain::UserId;
use lodestar_domain::access::Actor;
use lodestar_domain::vocabulary::AuditKind;
use lodestar_store::{AuditEntry, AuditFilter, Store};

use crate::http::error::ApiError;
use crate::http::params::{allowed, bad, page_limit, vocab};

/// Entries per page unless the caller asks for another number.
pub(crate) const DEFAULT_LIMIT: u32 = 100;

/// The filters as sent: every one optional.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditParams {
    /// Only what this user did (their id).
    #[param(value_type = Option<i64>)]
    pub actor: Option<String>,
    /// Only entries of this kind, e.g. sign_in_failed, role_changed, token_created.
    pub kind: Option<String>,
    /// From this day (UTC, YYYY-MM-DD).
    pub from: Option<String>,
    /// Through this day (UTC, YYYY-MM-DD).
    pub to: Option<String>,
    /// The next page: entries older than this id (the previous page's `next_before`).
    pub before: Option<i64>,
    /// At most this many (1–500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

fn day(field: &str, text: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| bad(field, format!("{t:?} is not a date (YYYY-MM-DD)"))),
    }
}

/// A page of entries and the `before` of the next one (none on the last page).
pub(crate) struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_before: Option<i64>,
}

pub(crate) async fn list(store: &Store, actor: &Actor, params: &AuditParams) -> Result<AuditPage, ApiError> {
    // (Every parameter may arrive empty from the page's filter form: empty means any.)
    allowed(actor.can_administer(), "only admins read the audit log")?;
    let limit = page_limit(params.limit, DEFAULT_LIMIT)?;
    let from = day("from", params.from.as_deref())?;
    let to = day("to", params.to.as_deref())?;
    let actor = match params.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(UserId(
            a.parse().map_err(|_| bad("actor", format!("{a:?} is not a user id")))?,
        )),
    };
    let filter = AuditFilter {
        actor,
        kind: vocab::<AuditKind>("kind", params.kind.clone().filter(|k| !k.is_empty()))?,
        from: from.map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc()),
        to: to
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc()),
        before_id: params.before,
        ..AuditFilter::default()
    };
    // One more than the page: whether there is a next page without counting them all.
    let mut entries = store.audit_entries(&filter, limit + 1).await?;
    let next_before = if entries.len() > limit as usize {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage { entries, next_before })
}
