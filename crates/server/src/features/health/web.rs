//! Health in the web UI (F-20, F-21): the health part of the account page with its pulse and
//! problem forms, and the admin page for scorecards, industry exposure and price thresholds.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::ScorecardId;
use lodestar_domain::health::{Exposure, MeasureWeight, PulseLevel, Severity};
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::{LifecycleStage, Tier};
use lodestar_domain::{AccountId, Cents};
use lodestar_store::{AccountHealth, MeasureInfo, Problem, Scorecard, health_measures};
use serde::Deserialize;

use crate::AppState;
use crate::features::health::ops::{MeasureWeightIo, ScorecardInput, scorecard_fields};
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, back_after_form, render, user_problem};
use lodestar_domain::vocabulary::AuditKind;

pub(crate) struct MeasureLine {
    pub(crate) label: String,
    pub(crate) fact: String,
    pub(crate) points: String,
    pub(crate) weight: u32,
    pub(crate) share: String,
    pub(crate) left_out: bool,
}

pub(crate) struct ChangeLine {
    pub(crate) label: String,
    pub(crate) before: String,
    pub(crate) after: String,
    pub(crate) effect: String,
}

/// The health part of the account page.
pub(crate) struct AccountHealthView {
    pub(crate) score: Option<u32>,
    pub(crate) band: &'static str,
    pub(crate) band_label: &'static str,
    pub(crate) scorecard: String,
    pub(crate) scored_on: String,
    pub(crate) measures: Vec<MeasureLine>,
    pub(crate) left_out: Option<String>,
    pub(crate) since: Option<String>,
    pub(crate) changes: Vec<ChangeLine>,
    /// JSON `[[day, score], …]` for the chart.
    pub(crate) chart: String,
    pub(crate) has_history: bool,
    pub(crate) problem: Option<String>,
    pub(crate) levels: Vec<(u8, &'static str)>,
    pub(crate) severities: Vec<(u8, &'static str, bool)>,
    pub(crate) error: Option<String>,
}

fn signed(points: f64) -> String {
    let rounded = (points * 10.0).round() / 10.0;
    if rounded > 0.0 {
        format!("+{rounded}")
    } else if rounded < 0.0 {
        format!("−{}", -rounded)
    } else {
        "±0".into()
    }
}

pub(crate) fn account_health(
    health: AccountHealth,
    problem: Option<Problem>,
    error: Option<String>,
) -> AccountHealthView {
    let points: Vec<(String, u32)> = health.history.iter().map(|p| (p.day.to_string(), p.score)).collect();
    let current = health.current;
    let measures = current
        .as_ref()
        .map(|c| {
            c.health
                .measures
                .iter()
                .map(|m| MeasureLine {
                    label: m.label.clone(),
                    fact: m
                        .reading
                        .as_ref()
                        .map_or_else(|| "no data".to_owned(), |r| r.fact.clone()),
                    points: m.points.map_or_else(|| "—".to_owned(), |p| format!("{p:.0}")),
                    weight: m.weight,
                    share: format!("{:.0} %", 100.0 * m.share),
                    left_out: m.reading.is_none(),
                })
                .collect()
        })
        .unwrap_or_default();
    let current_severity = problem.as_ref().map(|p| p.severity.get());
    AccountHealthView {
        score: current.as_ref().map(|c| c.health.score),
        band: current.as_ref().map_or("unknown", |c| c.health.band.as_str()),
        band_label: current.as_ref().map_or("Not scored", |c| c.health.band.label()),
        scorecard: current.as_ref().map(|c| c.scorecard.clone()).unwrap_or_default(),
        scored_on: current.as_ref().map(|c| c.day.to_string()).unwrap_or_default(),
        left_out: current.as_ref().and_then(|c| c.health.missing_note()),
        measures,
        since: health.since.map(|d| d.to_string()),
        changes: health
            .changes
            .into_iter()
            .map(|c| ChangeLine {
                label: c.label,
                before: c.before.unwrap_or_else(|| "no data".into()),
                after: c.after.unwrap_or_else(|| "no data".into()),
                effect: signed(c.effect),
            })
            .collect(),
        has_history: points.len() > 1,
        chart: serde_json::to_string(&points).expect("chart data serialises"),
        problem: problem.map(|p| {
            let mut text = format!("{} – {}", p.severity.get(), p.severity.label());
            if !p.note.is_empty() {
                text.push_str(": ");
                text.push_str(&p.note);
            }
            text
        }),
        levels: (1..=5u8)
            .map(|l| (l, PulseLevel::new(l).expect("1 to 5").label()))
            .collect(),
        severities: (1..=5u8)
            .map(|l| {
                (
                    l,
                    Severity::new(l).expect("1 to 5").label(),
                    current_severity == Some(l),
                )
            })
            .collect(),
        error,
    }
}

#[derive(Deserialize)]
pub(crate) struct PulseForm {
    level: String,
    reason: String,
}

pub(crate) async fn record_pulse(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<PulseForm>,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let result = async {
        let level = form_level(&form.level, "level", PulseLevel::new)?;
        state
            .store
            .record_pulse(account, level, &form.reason, actor.user)
            .await?;
        Ok(())
    }
    .await;
    after_account_form(id, result)
}

/// A 1–5 level from a form's select, through its domain type.
fn form_level<T>(text: &str, field: &str, make: impl Fn(u8) -> Result<T, String>) -> Result<T, ApiError> {
    text.trim()
        .parse::<u8>()
        .map_err(|_| format!("{text:?} is not a level from 1 to 5"))
        .and_then(make)
        .map_err(|reason| crate::http::params::bad(field, reason))
}

/// Back to the account's health card, with the form's problem if it had one.
fn after_account_form(id: i64, result: Result<(), ApiError>) -> Result<Response, ApiError> {
    back_after_form(&format!("/accounts/{id}"), "health_error", "health", result)
}

#[derive(Deserialize)]
pub(crate) struct ProblemForm {
    /// Empty clears it.
    severity: String,
    #[serde(default)]
    note: String,
}

pub(crate) async fn set_problem(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<ProblemForm>,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let result = async {
        let severity = match form.severity.trim() {
            "" => None,
            text => Some(form_level(text, "severity", Severity::new)?),
        };
        state
            .store
            .set_problem(account, severity, &form.note, actor.user)
            .await?;
        Ok(())
    }
    .await;
    after_account_form(id, result)
}

/// One measure's row in a scorecard editor.
struct MeasureRow {
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    used: bool,
    weight: String,
    zero_at: String,
    full_at: String,
}

struct CardForm {
    /// `None` for the "new card" form.
    id: Option<i64>,
    name: String,
    is_default: bool,
    tiers: Vec<(&'static str, &'static str, bool)>,
    stages: Vec<(&'static str, &'static str, bool)>,
    red_below: u32,
    green_from: u32,
    rows: Vec<MeasureRow>,
}

fn number(v: f64) -> String {
    // Whole thresholds read best without a decimal point.
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        v.to_string()
    }
}

/// The editor for `card`, or for a new card when `None`.
fn card_form(measures: &[MeasureInfo], card: Option<Scorecard>) -> CardForm {
    let (id, is_default, fields) = match card {
        Some(c) => (Some(c.id), c.is_default(), Some(c.fields)),
        None => (None, false, None),
    };
    let tier = fields.as_ref().and_then(|f| f.tier);
    let stage = fields.as_ref().and_then(|f| f.lifecycle_stage);
    let mut tiers = vec![("", "Any segment", tier.is_none())];
    tiers.extend(Tier::ALL.iter().map(|t| (t.as_str(), t.label(), Some(*t) == tier)));
    let mut stages = vec![("", "Any stage", stage.is_none())];
    stages.extend(
        LifecycleStage::ALL
            .iter()
            .map(|s| (s.as_str(), s.label(), Some(*s) == stage)),
    );
    let weights: &[MeasureWeight] = fields.as_ref().map_or(&[], |f| &f.measures);
    let rows = measures
        .iter()
        .map(|m| {
            let set = weights.iter().find(|w| w.measure == m.key);
            MeasureRow {
                key: m.key,
                label: m.label,
                unit: m.unit,
                // A new card starts from every measure at its defaults.
                used: set.is_some() || fields.is_none(),
                weight: set.map_or(m.default_weight, |w| w.weight).to_string(),
                zero_at: number(set.map_or(m.default_zero_at, |w| w.zero_at)),
                full_at: number(set.map_or(m.default_full_at, |w| w.full_at)),
            }
        })
        .collect();
    let default_bands = lodestar_store::default_scorecard().bands;
    let bands = fields.as_ref().map_or(default_bands, |f| f.bands);
    CardForm {
        id: id.map(|id| id.0),
        name: fields.map(|f| f.name.to_string()).unwrap_or_default(),
        is_default,
        tiers,
        stages,
        red_below: bands.red_below,
        green_from: bands.green_from,
        rows,
    }
}

struct ExposureLine {
    industry: String,
    accounts: i64,
    choices: Vec<(&'static str, &'static str, bool)>,
}

#[derive(askama::Template)]
#[template(path = "health/admin_health.html")]
struct AdminHealthPage {
    me: User,
    can_edit_cards: bool,
    cards: Vec<CardForm>,
    new_card: CardForm,
    exposures: Vec<ExposureLine>,
    thresholds: Vec<(&'static str, &'static str, String)>,
    error: Option<String>,
}

async fn admin_page(state: &AppState, me: User, can_edit_cards: bool, error: Option<String>) -> Result<Html, ApiError> {
    let measures = health_measures();
    let cards = state
        .store
        .scorecards()
        .await?
        .into_iter()
        .map(|c| card_form(&measures, Some(c)))
        .collect();
    let new_card = card_form(&measures, None);
    let exposures = state
        .store
        .industry_exposures()
        .await?
        .into_iter()
        .map(|e| {
            let mut choices = vec![("", "Not set", e.exposure.is_none())];
            choices.extend(Exposure::ALL.iter().map(|x| {
                let label = match x {
                    Exposure::Low => "Low",
                    Exposure::Moderate => "Moderate",
                    Exposure::High => "High",
                };
                (x.as_str(), label, e.exposure == Some(*x))
            }));
            ExposureLine {
                industry: e.industry,
                accounts: e.accounts,
                choices,
            }
        })
        .collect();
    let thresholds = state
        .store
        .price_thresholds()
        .await?
        .into_iter()
        .map(|t| {
            (
                t.tier.as_str(),
                t.tier.label(),
                t.min_arr.map(|c| c.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    render(&AdminHealthPage {
        me,
        can_edit_cards,
        cards,
        new_card,
        exposures,
        thresholds,
        error,
    })
}

pub(crate) async fn admin(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
) -> Result<Response, ApiError> {
    super::ops::require_risk_settings(&actor)?;
    Ok(admin_page(&state, me, actor.can_administer(), None)
        .await?
        .into_response())
}

/// After a form: the page again, or with the problem on it (422).
async fn after_form(
    state: &AppState,
    me: User,
    can_edit_cards: bool,
    result: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    match result {
        Ok(()) => Ok(Redirect::to("/admin/health").into_response()),
        Err(e) => {
            let message = user_problem(e)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                admin_page(state, me, can_edit_cards, Some(message)).await?,
            )
                .into_response())
        }
    }
}

/// Reads a scorecard editor's fields: `use_KEY`, `weight_KEY`, `zero_KEY`, `full_KEY` per
/// measure, besides the card's own.
fn card_input(fields: &[(String, String)]) -> Result<ScorecardInput, ApiError> {
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned());
    let whole = |name: &'static str| {
        get(name)
            .unwrap_or_default()
            .parse::<u32>()
            .map_err(|_| crate::http::params::bad(name, "is not a whole number"))
    };
    let mut measures = Vec::new();
    for m in health_measures() {
        if get(&format!("use_{}", m.key)).is_none() {
            continue;
        }
        let num = |prefix: &str| {
            let text = get(&format!("{prefix}_{}", m.key)).unwrap_or_default();
            text.parse::<f64>()
                .map_err(|_| crate::http::params::bad("measures", format!("{}: {text:?} is not a number", m.label)))
        };
        let weight = get(&format!("weight_{}", m.key)).unwrap_or_default();
        measures.push(MeasureWeightIo {
            measure: m.key.to_owned(),
            weight: weight.parse().map_err(|_| {
                crate::http::params::bad("weight", format!("{}: {weight:?} is not a whole number", m.label))
            })?,
            zero_at: num("zero")?,
            full_at: num("full")?,
        });
    }
    Ok(ScorecardInput {
        name: get("name").unwrap_or_default(),
        tier: get("tier"),
        lifecycle_stage: get("lifecycle_stage"),
        red_below: whole("red_below")?,
        green_from: whole("green_from")?,
        measures,
    })
}

pub(crate) async fn create_scorecard(
    State(state): State<AppState>,
    SignedIn {
        user: me,
        actor,
        origin,
        ..
    }: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    super::ops::require_scorecard_admin(&actor)?;
    let result = async {
        let fields = scorecard_fields(card_input(&fields)?)?;
        super::ops::create_scorecard(&state, &origin, fields).await?;
        Ok(())
    }
    .await;
    after_form(&state, me, true, result).await
}

pub(crate) async fn update_scorecard(
    State(state): State<AppState>,
    SignedIn {
        user: me,
        actor,
        origin,
        ..
    }: SignedIn,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    super::ops::require_scorecard_admin(&actor)?;
    let result = async {
        let fields = scorecard_fields(card_input(&fields)?)?;
        super::ops::update_scorecard(&state, &origin, ScorecardId(id), fields).await?;
        Ok(())
    }
    .await;
    after_form(&state, me, true, result).await
}

pub(crate) async fn delete_scorecard(
    State(state): State<AppState>,
    SignedIn {
        user: me,
        actor,
        origin,
        ..
    }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    super::ops::require_scorecard_admin(&actor)?;
    let result = super::ops::delete_scorecard(&state, &origin, ScorecardId(id)).await;
    after_form(&state, me, true, result).await
}

/// Industry exposures: `industry` and `exposure` pairs in page order.
pub(crate) async fn set_exposures(
    State(state): State<AppState>,
    SignedIn {
        user: me,
        actor,
        origin,
        ..
    }: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    super::ops::require_risk_settings(&actor)?;
    let industries = fields.iter().filter(|(k, _)| k == "industry").map(|(_, v)| v.clone());
    let exposures = fields.iter().filter(|(k, _)| k == "exposure").map(|(_, v)| v.trim());
    let result = async {
        let mut settings = Vec::new();
        for (industry, exposure) in industries.zip(exposures) {
            let exposure = match exposure {
                "" => None,
                text => Some(Exposure::parse(text).map_err(|e| crate::http::params::bad("exposure", e))?),
            };
            settings.push((industry, exposure));
        }
        state.store.set_industry_exposures(&settings).await?;
        Ok(())
    }
    .await;
    if result.is_ok() {
        state
            .audit(&origin, AuditKind::SettingsChanged, None, "industry exposures")
            .await?;
    }
    after_form(&state, me, actor.can_administer(), result).await
}

/// Price thresholds: `min_arr_TIER` per segment; empty clears it.
pub(crate) async fn set_thresholds(
    State(state): State<AppState>,
    SignedIn {
        user: me,
        actor,
        origin,
        ..
    }: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    super::ops::require_risk_settings(&actor)?;
    let result = async {
        let mut settings = Vec::new();
        for tier in Tier::ALL {
            let Some((_, text)) = fields.iter().find(|(k, _)| *k == format!("min_arr_{}", tier.as_str())) else {
                continue;
            };
            let min_arr = match text.trim() {
                "" => None,
                text => Some(
                    Cents::parse(text)
                        .map_err(|e| crate::http::params::bad("min_arr", format!("{}: {e}", tier.label())))?,
                ),
            };
            settings.push((*tier, min_arr));
        }
        state.store.set_price_thresholds(&settings).await?;
        Ok(())
    }
    .await;
    if result.is_ok() {
        state
            .audit(&origin, AuditKind::SettingsChanged, None, "price thresholds")
            .await?;
    }
    after_form(&state, me, actor.can_administer(), result).await
}
