//! Money as integer cents: exact, and identical on every database backend.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount in the smallest currency unit (cents). Never a float, so sums are exact and a
/// backup restored on another database gives back the same numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    /// Parses an amount as spreadsheets and CRM exports write it: `12000`, `12,000.50`,
    /// `$12,000.5`. Negative amounts are refused: a reduction is a change kind, not a sign.
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let bad = || format!("{s:?} is not an amount (expected e.g. 12000 or 12,000.50)");
        if s.starts_with('-') {
            return Err(format!("{s:?} is negative; amounts must be zero or more"));
        }
        let s2 = s.trim_start_matches(['$', '€', '£']).trim();
        let (whole, frac) = s2.split_once('.').unwrap_or((s2, ""));
        let groups: Vec<&str> = whole.split(',').collect();
        let grouped_ok = groups.len() == 1
            || (!groups[0].is_empty() && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
        let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !grouped_ok || !groups.iter().all(|g| digits(g)) || !digits(frac) {
            return Err(bad());
        }
        if frac.len() > 2 {
            return Err(format!("{s:?} has more than two decimal places"));
        }
        let units: i64 = groups.concat().parse().map_err(|_| format!("{s:?} is too large"))?;
        let cents: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
        units
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents))
            .map(Cents)
            .ok_or_else(|| format!("{s:?} is too large"))
    }

    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }
}

impl Cents {
    /// Rounded to whole dollars with thousands separators (`$1,234,568`): how people read ARR.
    pub fn whole_dollars(self) -> String {
        let dollars = (self.0 + 50).div_euclid(100);
        format!(
            "{}${}",
            if dollars < 0 { "-" } else { "" },
            grouped(dollars.unsigned_abs())
        )
    }
}

/// A whole number with thousands separators (`1,234,568`).
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

impl fmt::Display for Cents {
    /// Plain decimal with two places (`12000.50`), the form exports use and imports accept.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_dollars_are_grouped_and_rounded() {
        assert_eq!(Cents(1_234_567_89).whole_dollars(), "$1,234,568");
        assert_eq!(Cents(0).whole_dollars(), "$0");
        assert_eq!(Cents(999_00).whole_dollars(), "$999");
        assert_eq!(Cents(-1_500_00).whole_dollars(), "-$1,500");
    }

    #[test]
    fn parses_what_spreadsheets_write() {
        for (input, cents) in [
            ("12000", 1_200_000),
            ("12,000.50", 1_200_050),
            ("$12,000.5", 1_200_050),
            ("0", 0),
            ("0.07", 7),
            (" 1,234,567 ", 123_456_700),
        ] {
            assert_eq!(Cents::parse(input), Ok(Cents(cents)), "{input}");
        }
    }

    #[test]
    fn refuses_negative_malformed_and_overlong_amounts() {
        assert!(Cents::parse("-5").unwrap_err().contains("negative"));
        assert!(Cents::parse("1.005").unwrap_err().contains("two decimal places"));
        for bad in ["", "abc", "12,00", "1,2345", ",100", "1.2.3", "12 000", "1e5"] {
            assert!(Cents::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Cents::parse("999999999999999999999").unwrap_err().contains("too large"));
    }

    #[test]
    fn display_round_trips_through_parse() {
        for c in [0, 7, 1_200_050, 123_456_700] {
            assert_eq!(Cents::parse(&Cents(c).to_string()), Ok(Cents(c)));
        }
        assert_eq!(Cents(1_200_050).to_string(), "12000.50");
    }
}
