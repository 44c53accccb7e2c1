//! The one source of "now". The store stamps rows with it, the server asks it for today, and the
//! job runner asks it what is due; a test sets it (`Clock::fixed`) and moves it on
//! (`Clock::advance`) instead of sleeping or hoping midnight does not fall mid-test.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};

/// The current time: the system's, or one a test holds. Cheap to clone; clones share the time.
#[derive(Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    /// A clock standing at `at` until it is set or advanced.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock {
            fixed: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// The current time at the precision both databases keep (microseconds), so a value read
    /// back equals the value written on either backend.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed {
            Some(at) => *at.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
            None => Utc::now(),
        }
        .trunc_subsecs(6)
    }

    /// Today's date in UTC, the day scores, windows and due dates are counted in.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Moves a fixed clock to `at`. A system clock cannot be set: that is a caller's mistake.
    pub fn set(&self, at: DateTime<Utc>) {
        let fixed = self.fixed.as_ref().expect("only a fixed clock can be set");
        *fixed.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }

    /// Moves a fixed clock on by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.set(self.now() + by);
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.fixed {
            Some(_) => write!(f, "Clock::fixed({})", self.now()),
            None => f.write_str("Clock::system"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_still_until_moved_and_clones_move_together() {
        let start = DateTime::parse_from_rfc3339("2026-03-01T23:59:59.1234567Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::fixed(start);
        let other = clock.clone();
        assert_eq!(clock.now(), start.trunc_subsecs(6), "kept to microseconds");
        assert_eq!(clock.today().to_string(), "2026-03-01");
        other.advance(chrono::Duration::seconds(1));
        assert_eq!(clock.today().to_string(), "2026-03-02", "a clone moves the shared time");
    }

    #[test]
    fn the_system_clock_follows_the_system() {
        let before = Utc::now().trunc_subsecs(6);
        let now = Clock::system().now();
        assert!(now >= before && now <= Utc::now());
    }
}
