//! Schedules: a job kind enqueued at the times a cron pattern names (UTC). A run is keyed by
//! its schedule and due time, so however many servers see it due, it is enqueued once; a
//! server that was down when a run fell due enqueues the latest missed one when it starts.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use croner::Cron;
use lodestar_store::NewJob;

#[derive(Clone)]
pub struct Schedule {
    pub name: &'static str,
    pub kind: &'static str,
    /// The pattern as written (`1 0 * * *`: a minute past midnight, UTC).
    pub pattern: &'static str,
    cron: Cron,
}

impl Schedule {
    /// A schedule of `kind` at the times of the five-field cron `pattern`, in UTC.
    ///
    /// # Panics
    /// When `pattern` is not a valid cron pattern: schedules are written in the code, and a
    /// wrong one must stop the first test that builds it.
    pub fn new(name: &'static str, kind: &'static str, pattern: &'static str) -> Schedule {
        let cron =
            Cron::from_str(pattern).unwrap_or_else(|e| panic!("schedule {name}: bad cron pattern {pattern:?}: {e}"));
        Schedule {
            name,
            kind,
            pattern,
            cron,
        }
    }

    /// The latest time at or before `now` when this schedule fell due.
    pub fn last_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_previous_occurrence(&now, true).ok()
    }

    /// The next time after `now` it falls due.
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&now, false).ok()
    }

    /// The run due at `due`, keyed so that it is enqueued once.
    pub fn run(&self, due: DateTime<Utc>) -> NewJob {
        NewJob::new(self.kind, serde_json::json!({ "due": due }), due).once_per(format!(
            "{}@{}",
            self.name,
            due.to_rfc3339()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_daily_schedule_falls_due_a_minute_past_midnight() {
        let daily = Schedule::new("daily", "k", "1 0 * * *");
        assert_eq!(
            daily.last_due(at("2026-12-02T10:00:00Z")),
            Some(at("2026-12-02T00:01:00Z"))
        );
        assert_eq!(
            daily.last_due(at("2026-12-02T00:00:59Z")),
            Some(at("2026-12-01T00:01:00Z")),
            "just before today's run, yesterday's is the latest"
        );
        assert_eq!(
            daily.last_due(at("2026-12-02T00:01:00Z")),
            Some(at("2026-12-02T00:01:00Z")),
            "inclusive"
        );
        assert_eq!(
            daily.next_due(at("2026-12-02T00:01:00Z")),
            Some(at("2026-12-03T00:01:00Z"))
        );
    }

    #[test]
    fn a_run_is_keyed_by_schedule_and_due_time() {
        let daily = Schedule::new("daily", "k", "1 0 * * *");
        let run = daily.run(at("2026-12-02T00:01:00Z"));
        assert_eq!(run.kind, "k");
        assert_eq!(run.run_at, at("2026-12-02T00:01:00Z"));
        assert_eq!(run.dedupe_key.as_deref(), Some("daily@2026-12-02T00:01:00+00:00"));
        assert_eq!(run.payload["due"], "2026-12-02T00:01:00Z");
    }

    #[test]
    #[should_panic(expected = "bad cron pattern")]
    fn a_bad_pattern_is_refused() {
        Schedule::new("bad", "k", "every day");
    }
}
