//! What the milestone API and admin page both do with a definition: read it with every
//! problem named.

use lodestar_domain::milestone::{MilestoneFields, Threshold};
use lodestar_domain::text::Name;
use lodestar_domain::{FieldError, Invalid, Valid};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::error::ApiError;

/// A milestone as written by an admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    #[schema(example = "Exported three reports")]
    pub(crate) name: String,
    /// The track event (or page/screen name) that counts.
    #[schema(example = "Report Exported")]
    pub(crate) feature: String,
    /// `times`: the feature used this often in all; `people`: by this many people.
    #[schema(example = "times")]
    pub(crate) threshold_kind: String,
    #[schema(example = 3, minimum = 1)]
    pub(crate) threshold: u32,
    /// Days after the launch date within which it should be reached.
    #[schema(example = 30, minimum = 1, maximum = 3650)]
    pub(crate) within_days: u32,
    /// Whether reaching it is first value (ends Land). At most one milestone is.
    #[serde(default)]
    pub(crate) first_value: bool,
}

/// Reads and checks a milestone from a client (the API and the admin page).
pub(crate) fn milestone_fields(input: MilestoneInput) -> Result<Valid<MilestoneFields>, ApiError> {
    let mut errors = Vec::new();
    let name = Name::parse(&input.name)
        .map_err(|reason| errors.push(FieldError { field: "name", reason }))
        .ok();
    let threshold = match input.threshold_kind.trim() {
        "times" => Some(Threshold::Times(input.threshold)),
        "people" => Some(Threshold::People(input.threshold)),
        other => {
            errors.push(FieldError {
                field: "threshold_kind",
                reason: format!("{other:?} is not times or people"),
            });
            None
        }
    };
    let (Some(name), Some(threshold)) = (name, threshold) else {
        return Err(Invalid { errors }.into());
    };
    Ok(MilestoneFields {
        name,
        feature: input.feature,
        threshold,
        within_days: input.within_days,
        first_value: input.first_value,
    }
    .validate()?)
}

/// Milestones are defined and removed by admins (they change every account's score).
pub(crate) fn require_admin(actor: &lodestar_domain::access::Actor) -> Result<(), ApiError> {
    crate::http::params::allowed(actor.can_administer(), "only admins manage milestones")
}
