//! Validation errors that name the field and the reason, so every front end (CLI import, JSON
//! API, web form) can point at the exact place the user has to fix.

use std::fmt;
use std::ops::Deref;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the external contract spells it (`owner_id`, `end_date`, …).
    pub field: &'static str,
    pub reason: String,
}

/// One or more fields of a record are invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    pub errors: Vec<FieldError>,
}

impl Invalid {
    pub fn field(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            errors: vec![FieldError {
                field,
                reason: reason.into(),
            }],
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.reason)?;
        }
        Ok(())
    }
}

/// Collects every broken rule of a record instead of stopping at the first, so a user fixes
/// a row once rather than once per error.
#[derive(Default)]
pub(crate) struct Rules {
    errors: Vec<FieldError>,
}

impl Rules {
    pub(crate) fn require(&mut self, ok: bool, field: &'static str, reason: impl FnOnce() -> String) {
        if !ok {
            self.errors.push(FieldError {
                field,
                reason: reason(),
            });
        }
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<Valid<T>, Invalid> {
        if self.errors.is_empty() {
            Ok(Valid(value))
        } else {
            Err(Invalid { errors: self.errors })
        }
    }
}

/// A record whose cross-field rules have been checked. Only the domain can make one, so the
/// store, which accepts nothing else, never writes a record that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid<T>(T);

impl<T> Valid<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Valid<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
