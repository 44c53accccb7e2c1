//! Falling usage (F-12): an account whose people active in the last seven days number fewer than
//! a share of those active in the same seven days four weeks earlier. The store counts the
//! people of the two weeks; this module says which weeks, which accounts fell, and in what order.

use std::cmp::Ordering;

use chrono::{Days, NaiveDate};

/// The fewest people active four weeks ago for a fall to count: two to one is noise.
pub const MIN_ACTIVE_BEFORE: i64 = 3;

/// The two weeks compared, each as (after, through]: the last 7 days to `today`, and the same
/// 7 days four weeks earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FallWeeks {
    pub before: (NaiveDate, NaiveDate),
    pub now: (NaiveDate, NaiveDate),
}

impl FallWeeks {
    pub fn ending(today: NaiveDate) -> FallWeeks {
        let back = |days| today.checked_sub_days(Days::new(days)).unwrap_or(NaiveDate::MIN);
        FallWeeks {
            before: (back(35), back(28)),
            now: (back(7), today),
        }
    }
}

/// How many of an account's people were active in each week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveCounts {
    pub before: i64,
    pub now: i64,
}

impl ActiveCounts {
    /// Whether the account fell by more than `share` (0.3: by more than 30 %), counting only
    /// accounts with at least [`MIN_ACTIVE_BEFORE`] people active four weeks ago.
    pub fn fell_by_more_than(self, share: f64) -> bool {
        self.before >= MIN_ACTIVE_BEFORE && (self.now as f64) < (self.before as f64) * (1.0 - share)
    }

    /// What is left of the earlier week's people: 0.25 when a quarter are still active.
    fn kept(self) -> f64 {
        self.now as f64 / self.before as f64
    }

    /// Steepest fall first; equal falls in the order of `tie`.
    pub fn steepest_first(a: (ActiveCounts, i64), b: (ActiveCounts, i64)) -> Ordering {
        a.0.kept().total_cmp(&b.0.kept()).then(a.1.cmp(&b.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_weeks_are_the_last_seven_days_and_the_same_seven_four_weeks_before() {
        let weeks = FallWeeks::ending(d("2026-12-02"));
        assert_eq!(weeks.now, (d("2026-11-25"), d("2026-12-02")));
        assert_eq!(weeks.before, (d("2026-10-28"), d("2026-11-04")));
    }

    #[test]
    fn a_fall_counts_beyond_the_share_and_only_from_three_people() {
        let counts = |before, now| ActiveCounts { before, now };
        assert!(counts(10, 6).fell_by_more_than(0.3), "kept 60 %: fell by 40 %");
        assert!(!counts(10, 7).fell_by_more_than(0.3), "fell by exactly 30 %: not more");
        assert!(!counts(2, 0).fell_by_more_than(0.3), "two people are too few to judge");
        assert!(counts(3, 0).fell_by_more_than(0.9));
        assert!(!counts(10, 12).fell_by_more_than(0.1), "growth is no fall");
    }

    #[test]
    fn the_steepest_fall_comes_first_and_ties_keep_their_order() {
        let mut falls = [
            (ActiveCounts { before: 10, now: 5 }, 1),
            (ActiveCounts { before: 10, now: 1 }, 2),
            (ActiveCounts { before: 4, now: 2 }, 3),
        ];
        falls.sort_by(|a, b| ActiveCounts::steepest_first(*a, *b));
        assert_eq!(falls.iter().map(|f| f.1).collect::<Vec<_>>(), [2, 1, 3]);
    }
}
