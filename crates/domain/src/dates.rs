//! Dates as spreadsheets and CRM exports write them: ISO 8601 first, then the formats a
//! column mapping names (`%m/%d/%Y` for Salesforce's US dates).

use chrono::NaiveDate;

/// ISO dates (`2025-01-31`, or the date part of an ISO timestamp), then `formats` (chrono's
/// `strftime` syntax), in that order.
pub fn parse_date(value: &str, formats: &[String]) -> Result<NaiveDate, String> {
    if let Ok(d) = value.parse::<NaiveDate>() {
        return Ok(d);
    }
    for f in formats {
        if let Ok(d) = NaiveDate::parse_from_str(value, f) {
            return Ok(d);
        }
    }
    if value.len() > 10
        && value.is_char_boundary(10)
        && matches!(value.as_bytes()[10], b'T' | b' ')
        && let Ok(d) = value[..10].parse::<NaiveDate>()
    {
        return Ok(d);
    }
    let extra = if formats.is_empty() {
        String::new()
    } else {
        format!(" or {}", formats.join(", "))
    };
    Err(format!("{value:?} is not a date (expected YYYY-MM-DD{extra})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_accept_iso_timestamps_and_mapped_formats() {
        let us = vec!["%m/%d/%Y".to_owned()];
        assert_eq!(parse_date("2025-01-31", &[]).unwrap().to_string(), "2025-01-31");
        assert_eq!(parse_date("2025-01-31 10:00", &[]).unwrap().to_string(), "2025-01-31");
        assert_eq!(
            parse_date("2025-01-31T10:00:00Z", &[]).unwrap().to_string(),
            "2025-01-31"
        );
        assert_eq!(parse_date("1/31/2025", &us).unwrap().to_string(), "2025-01-31");
        assert!(
            parse_date("1/31/2025", &[])
                .unwrap_err()
                .contains("expected YYYY-MM-DD")
        );
        assert!(parse_date("2025-02-30", &[]).is_err());
    }
}
