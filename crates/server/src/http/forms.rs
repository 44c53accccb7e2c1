//! What every form page shares: the values as the person typed them, each problem next to its
//! field, and the readers of the text a browser sends for dates, counts and optional fields.
//! A form page parses what only a browser sends as text (a date, a count, a blank for none)
//! here, then hands the feature's ops the same input the API reads, so both apply one set of
//! rules.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lodestar_domain::Invalid;
use rand::Rng;

use crate::http::error::ApiError;

/// A form as it is shown again: what was typed, and the problem of each field at fault.
#[derive(Debug, Default)]
pub(crate) struct FormState {
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<String, String>,
    /// A problem that belongs to no single field.
    pub problem: Option<String>,
}

impl FormState {
    pub(crate) fn with_values(values: impl IntoIterator<Item = (&'static str, String)>) -> Self {
        FormState {
            values: values.into_iter().collect(),
            ..FormState::default()
        }
    }

    pub(crate) fn set(&mut self, field: &'static str, value: impl Into<String>) {
        self.values.insert(field, value.into());
    }

    pub(crate) fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    pub(crate) fn error(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.problem.is_some()
    }

    /// Records `field`'s problem; the first one found is the one shown.
    pub(crate) fn note(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.entry(field.to_owned()).or_insert_with(|| reason.into());
    }

    /// The checked input when neither it nor the browser's text had a problem; otherwise
    /// `None`, its problems noted.
    pub(crate) fn settle<T>(&mut self, checked: Result<T, Invalid>) -> Option<T> {
        match checked {
            Ok(input) if self.errors.is_empty() => Some(input),
            Ok(_) => None,
            Err(invalid) => {
                for e in invalid.errors {
                    self.note(e.field, e.reason);
                }
                None
            }
        }
    }

    /// Puts the problems of a refused operation next to their fields. `conflict_field` is the
    /// field a uniqueness conflict is about. An error that is not the person's to fix (403,
    /// a failing database) is handed back.
    pub(crate) fn absorb(&mut self, error: ApiError, conflict_field: &str) -> Result<(), ApiError> {
        match error {
            ApiError::Invalid(invalid) => {
                self.settle::<()>(Err(invalid));
            }
            ApiError::BadRequest {
                field: Some(field),
                reason,
            } => self.note(&field, reason),
            ApiError::Conflict(message) => self.note(conflict_field, message),
            e @ (ApiError::BadRequest { field: None, .. } | ApiError::NotFound(_)) => self.problem = Some(e.message()),
            other => return Err(other),
        }
        Ok(())
    }

    /// The value of a field read by `parse`, or `None` with its problem noted.
    pub(crate) fn read<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|reason| self.note(field, reason)).ok()
    }
}

/// A text field's value, `None` when left blank.
pub(crate) fn filled(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A date field (`YYYY-MM-DD`, as `<input type=date>` sends it); blank is `None`.
pub(crate) fn optional_date(text: &str) -> Result<Option<NaiveDate>, String> {
    filled(text)
        .map(|v| v.parse().map_err(|_| format!("{v:?} is not a date (YYYY-MM-DD)")))
        .transpose()
}

/// A date field that must be filled.
pub(crate) fn required_date(text: &str) -> Result<NaiveDate, String> {
    optional_date(text)?.ok_or_else(|| "is required".to_owned())
}

/// A count such as a number of employees, as people write it (`1,200`); blank is `None`.
pub(crate) fn optional_count(text: &str) -> Result<Option<u32>, String> {
    filled(text)
        .map(|v| {
            v.replace(',', "")
                .parse()
                .map_err(|_| format!("{v:?} is not a whole number of zero or more"))
        })
        .transpose()
}

/// A choice from a `<select>` naming a record by id; blank (no one) is `None`.
pub(crate) fn optional_id(text: &str) -> Result<Option<i64>, String> {
    filled(text)
        .map(|v| v.parse().map_err(|_| format!("{v:?} is not an id")))
        .transpose()
}

/// An external id for a record made here rather than brought from a CRM: `prefix-` and eight
/// random letters and digits, offered in a new record's form to keep or replace.
pub(crate) fn suggested_external_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let tail: String = (0..8)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("{prefix}-{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_text_reads_as_values_or_names_its_problem() {
        assert_eq!(filled("  "), None);
        assert_eq!(filled(" Acme "), Some("Acme".into()));
        assert_eq!(optional_date(""), Ok(None));
        assert_eq!(optional_date("2025-03-01"), Ok(NaiveDate::from_ymd_opt(2025, 3, 1)));
        assert!(optional_date("01/03/2025").unwrap_err().contains("YYYY-MM-DD"));
        assert_eq!(required_date(" "), Err("is required".into()));
        assert_eq!(optional_count("1,200"), Ok(Some(1200)));
        assert!(optional_count("-3").unwrap_err().contains("whole number"));
        assert_eq!(optional_id(""), Ok(None));
        assert!(optional_id("x").is_err());
    }

    #[test]
    fn refusals_land_next_to_their_fields() {
        let mut form = FormState::with_values([("name", "Acme".to_owned())]);
        form.absorb(Invalid::field("name", "must not be empty").into(), "external_id")
            .unwrap();
        form.absorb(ApiError::Conflict("taken".into()), "external_id").unwrap();
        form.note("name", "a second problem is not shown");
        assert_eq!(form.error("name"), "must not be empty");
        assert_eq!(form.error("external_id"), "taken");
        assert_eq!(form.value("name"), "Acme");
        assert!(form.has_errors());
        assert!(form.absorb(ApiError::Forbidden("no"), "external_id").is_err());
    }
}
