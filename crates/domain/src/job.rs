//! Background jobs: their states and the retry rule. The queue itself lives in the store, the
//! runner in the server; what a job's life looks like is decided here.

use std::time::Duration;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waits for its time (a new job, or one that failed and will be tried again).
    Queued,
    /// Claimed by a worker, which holds a lease on it while it runs.
    Running,
    Done,
    /// Out of attempts; its last error says why. An admin may queue it again.
    Failed,
}

impl JobState {
    pub const ALL: [JobState; 4] = [JobState::Queued, JobState::Running, JobState::Done, JobState::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|state| state.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            JobState::Queued => "Queued",
            JobState::Running => "Running",
            JobState::Done => "Done",
            JobState::Failed => "Failed",
        }
    }
}

/// How many times a job is tried before it is marked failed, unless its kind says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// How long a job that failed its `attempt`-th try (1 for the first) waits before the next:
/// 30 s, doubling each time, never more than an hour. A dependency that is down for a few
/// minutes (a mail server, a webhook receiver) is not hammered, and is retried within the hour
/// once it is back.
pub fn retry_delay(attempt: u32) -> Duration {
    const FIRST: u64 = 30;
    const LONGEST: u64 = 3600;
    let doublings = attempt.saturating_sub(1).min(16);
    Duration::from_secs((FIRST << doublings).min(LONGEST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_by_doubling_up_to_an_hour() {
        let delays: Vec<u64> = (1..=9).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(retry_delay(0).as_secs(), 30, "attempt 0 is treated as the first");
        assert_eq!(retry_delay(u32::MAX).as_secs(), 3600, "no overflow");
    }

    #[test]
    fn states_have_one_spelling() {
        for state in JobState::ALL {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
        }
        assert_eq!(JobState::parse("Queued"), None);
    }
}
