//! The portfolio risk page (F-23): the largest red accounts and why, revenue up for renewal by
//! health band and by industry exposure, and the churn re-forecast with the loss rates leaders
//! set on the same page.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use lodestar_domain::Cents;
use lodestar_domain::health::Exposure;
use lodestar_domain::risk::Tally;
use lodestar_domain::user::User;
use serde::Deserialize;

use crate::AppState;
use crate::features::risk::ops::loss_rates_from;
use crate::http::error::ApiError;
use crate::http::pages::Choice;
use crate::http::pages::{Html, SignedIn, back_after_form, book_choices, render, url_encode};
use lodestar_domain::vocabulary::AuditKind;

#[derive(Deserialize, Default)]
pub(crate) struct RiskQuery {
    book: Option<String>,
    horizon: Option<String>,
}

const HORIZONS: [u32; 3] = [90, 180, 365];
const AT_RISK_SHOWN: u32 = 25;

struct AtRiskRow {
    id: i64,
    name: String,
    owner: String,
    score: u32,
    arr: String,
    renewal: String,
    why: String,
}

/// A count and its ARR, as a table cell shows them.
struct Cell {
    arr: String,
    accounts: u32,
}

impl From<Tally> for Cell {
    fn from(t: Tally) -> Self {
        Cell {
            arr: t.arr.whole_dollars(),
            accounts: t.accounts,
        }
    }
}

struct WindowRow {
    days: u32,
    total: Cell,
    cells: Vec<Cell>,
}

struct ForecastRow {
    exposure: &'static str,
    current: Cell,
    renewing: Cell,
    loss_percent: u32,
    expected_loss: String,
}

#[derive(askama::Template)]
#[template(path = "risk/risk.html")]
struct RiskPage {
    me: User,
    books: Vec<Choice>,
    horizons: Vec<Choice>,
    horizon: u32,
    at_risk: Vec<AtRiskRow>,
    at_risk_total: Cell,
    at_risk_link: String,
    by_band: Vec<WindowRow>,
    by_exposure: Vec<WindowRow>,
    /// JSON `[[window, red, yellow, green, unscored], …]` in whole dollars for the chart.
    chart: String,
    forecast: Vec<ForecastRow>,
    current_arr: String,
    expected_loss: String,
    forecast_arr: String,
    churn_rate: String,
    can_set_rates: bool,
    /// The rates as the form shows them: high, moderate, low, not set.
    rates: [(&'static str, &'static str, u32); 4],
    error: Option<String>,
}

fn exposure_label(e: Option<Exposure>) -> &'static str {
    match e {
        Some(Exposure::High) => "High",
        Some(Exposure::Moderate) => "Moderate",
        Some(Exposure::Low) => "Low",
        None => "Not set",
    }
}

fn dollars(c: Cents) -> i64 {
    c.0 / 100
}

pub(crate) async fn show(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
    Query(q): Query<RiskQuery>,
) -> Result<Html, ApiError> {
    let mine = q.book.as_deref() == Some("mine");
    let horizon = q
        .horizon
        .as_deref()
        .and_then(|h| h.parse::<u32>().ok())
        .filter(|h| HORIZONS.contains(h))
        .unwrap_or(365);
    let owner = mine.then_some(me.id);
    let today = state.store.today();
    let risk = state.store.portfolio_risk(owner, today, horizon, AT_RISK_SHOWN).await?;
    let rates = state.store.loss_rates().await?;
    let at_risk_link = match owner {
        Some(o) => format!("/accounts?band=red&sort=-arr&owner_id={}", o.0),
        None => "/accounts?band=red&sort=-arr".to_owned(),
    };
    let windows = |split: &dyn Fn(&lodestar_domain::risk::RenewalWindow) -> Vec<Cell>| {
        risk.renewals
            .iter()
            .map(|w| WindowRow {
                days: w.days,
                total: w.total.into(),
                cells: split(w),
            })
            .collect::<Vec<_>>()
    };
    let by_band = windows(&|w| w.by_band.iter().map(|(_, t)| (*t).into()).collect());
    let by_exposure = windows(&|w| w.by_exposure.iter().map(|(_, t)| (*t).into()).collect());
    let chart: Vec<Vec<serde_json::Value>> = risk
        .renewals
        .iter()
        .map(|w| {
            let mut row = vec![serde_json::json!(format!("{} days", w.days))];
            row.extend(w.by_band.iter().map(|(_, t)| serde_json::json!(dollars(t.arr))));
            row
        })
        .collect();
    let f = &risk.forecast;
    render(&RiskPage {
        books: book_choices(mine),
        horizons: HORIZONS
            .iter()
            .map(|h| Choice {
                value: h.to_string(),
                label: format!("Next {h} days"),
                selected: *h == horizon,
            })
            .collect(),
        horizon,
        at_risk: risk
            .at_risk
            .iter()
            .map(|a| AtRiskRow {
                id: a.id.0,
                name: a.name.clone(),
                owner: a.owner.clone().unwrap_or_else(|| "—".into()),
                score: a.score,
                arr: a.arr.whole_dollars(),
                renewal: a.renewal_date.map_or_else(|| "—".into(), |d| d.to_string()),
                why: a
                    .main_drag
                    .as_ref()
                    .map(|(label, fact)| format!("{label}: {fact}"))
                    .unwrap_or_default(),
            })
            .collect(),
        at_risk_total: risk.at_risk_total.into(),
        at_risk_link,
        by_band,
        by_exposure,
        chart: serde_json::to_string(&chart).expect("chart data serialises"),
        forecast: f
            .lines
            .iter()
            .map(|l| ForecastRow {
                exposure: exposure_label(l.exposure),
                current: l.current.into(),
                renewing: l.renewing.into(),
                loss_percent: l.loss_rate.percent(),
                expected_loss: l.expected_loss.whole_dollars(),
            })
            .collect(),
        current_arr: f.current_arr.whole_dollars(),
        expected_loss: f.expected_loss.whole_dollars(),
        forecast_arr: f.forecast_arr.whole_dollars(),
        churn_rate: format!("{:.1} %", f.churn_rate_percent()),
        can_set_rates: actor.can_manage_all_accounts(),
        rates: [
            ("high", "High", rates.high.percent()),
            ("moderate", "Moderate", rates.moderate.percent()),
            ("low", "Low", rates.low.percent()),
            ("not_set", "Not set", rates.not_set.percent()),
        ],
        error: flash.for_slot("error"),
        me,
    })
}

#[derive(Deserialize)]
pub(crate) struct LossRatesForm {
    high: String,
    moderate: String,
    low: String,
    not_set: String,
    horizon: Option<String>,
}

pub(crate) async fn set_loss_rates(
    State(state): State<AppState>,
    SignedIn { actor, origin, .. }: SignedIn,
    Form(form): Form<LossRatesForm>,
) -> Result<Response, ApiError> {
    crate::features::health::ops::require_risk_settings(&actor)?;
    let back = format!("/risk?horizon={}", url_encode(form.horizon.as_deref().unwrap_or("365")));
    let percent = |field: &'static str, text: &str| {
        text.trim()
            .parse::<u32>()
            .map_err(|_| crate::http::params::bad(field, format!("{text:?} is not a whole percent from 0 to 100")))
    };
    let result = async {
        let rates = loss_rates_from([
            ("high", percent("high", &form.high)?),
            ("moderate", percent("moderate", &form.moderate)?),
            ("low", percent("low", &form.low)?),
            ("not_set", percent("not_set", &form.not_set)?),
        ])?;
        state.store.set_loss_rates(rates).await?;
        state
            .audit(&origin, AuditKind::SettingsChanged, None, "loss rates")
            .await?;
        Ok::<_, ApiError>(())
    }
    .await;
    back_after_form(&back, "error", "forecast", result)
}
