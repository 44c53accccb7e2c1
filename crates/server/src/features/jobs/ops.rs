//! What the jobs API and the jobs page both do: list a page of jobs, retry a failed one.
//! Admins only.

use lodestar_domain::JobId;
use lodestar_domain::access::Actor;
use lodestar_domain::job::JobState;
use lodestar_store::{Job, JobCounts, Store};

use crate::http::error::ApiError;

/// Jobs per page unless the caller asks for another number.
pub(crate) const DEFAULT_LIMIT: u32 = 50;

/// Which jobs to list.
pub(crate) struct JobsQuery {
    pub state: Option<JobState>,
    pub limit: u32,
    pub offset: u64,
}

impl JobsQuery {
    /// From the query parameters as sent: `state` one of queued, running, done, failed (none:
    /// every state), `limit` 1–500 (50 unless given), `offset` from 0.
    pub(crate) fn parse(state: Option<&str>, limit: Option<u32>, offset: Option<u64>) -> Result<JobsQuery, ApiError> {
        let state = match state.filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(JobState::parse(s).ok_or_else(|| ApiError::BadRequest {
                field: Some("state".into()),
                reason: "must be one of queued, running, done, failed".into(),
            })?),
        };
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::BadRequest {
                field: Some("limit".into()),
                reason: "must be between 1 and 500".into(),
            });
        }
        Ok(JobsQuery {
            state,
            limit,
            offset: offset.unwrap_or(0),
        })
    }
}

pub(crate) struct JobsPage {
    /// How many jobs match the query in all.
    pub total: u64,
    /// How many jobs are in each state, whatever the query.
    pub counts: JobCounts,
    pub items: Vec<Job>,
}

fn require_admin(actor: &Actor) -> Result<(), ApiError> {
    if actor.can_administer() {
        Ok(())
    } else {
        Err(ApiError::Forbidden("only admins see the background jobs"))
    }
}

pub(crate) async fn list(store: &Store, actor: &Actor, query: &JobsQuery) -> Result<JobsPage, ApiError> {
    require_admin(actor)?;
    let (total, items) = store.jobs(query.state, query.limit, query.offset).await?;
    Ok(JobsPage {
        total,
        counts: store.job_counts().await?,
        items,
    })
}

/// Queues a failed job again, due now (409 when it has not failed).
pub(crate) async fn retry(store: &Store, actor: &Actor, id: JobId) -> Result<Job, ApiError> {
    require_admin(actor)?;
    Ok(store.retry_failed_job(id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_checked_once_for_api_and_page() {
        let q = JobsQuery::parse(Some("failed"), None, Some(100)).unwrap();
        assert_eq!(
            (q.state, q.limit, q.offset),
            (Some(JobState::Failed), DEFAULT_LIMIT, 100)
        );
        assert_eq!(
            JobsQuery::parse(Some(""), None, None).unwrap().state,
            None,
            "an empty filter is none"
        );
        let bad = JobsQuery::parse(Some("stuck"), None, None).err().unwrap();
        assert!(bad.message().starts_with("state: must be one of"));
        assert!(JobsQuery::parse(None, Some(0), None).is_err());
        assert!(JobsQuery::parse(None, Some(501), None).is_err());
    }
}
