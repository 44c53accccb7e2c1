//! What the risk API and page both do with loss rates as sent: read them, naming each bad one.

//! Portfolio risk on the API (F-23): the at-risk list, revenue up for renewal by health band
//! and by industry exposure, the churn re-forecast, and the loss rates leaders set for it.

use lodestar_domain::risk::{LossRate, LossRates, exposure_levels};
use lodestar_domain::{FieldError, Invalid};

use crate::http::error::ApiError;
use crate::http::params::checked;

/// Reads loss rates given per level (the API's and the risk page's form), naming each bad one.
pub(crate) fn loss_rates_from(levels: [(&'static str, u32); 4]) -> Result<LossRates, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut rates = LossRates::default();
    for ((field, percent), exposure) in levels.into_iter().zip(exposure_levels()) {
        if let Some(rate) = checked(&mut errors, field, LossRate::new(percent)) {
            rates.set(exposure, rate);
        }
    }
    if errors.is_empty() {
        Ok(rates)
    } else {
        Err(Invalid { errors }.into())
    }
}
