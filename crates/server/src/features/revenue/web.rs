//! The revenue pages (F-63, F-64): retention of a period with its charts over time and by
//! group, and retention curves by an account attribute. Both say how the figures are defined.

use axum::extract::{Query, State};
use chrono::NaiveDate;
use lodestar_domain::revenue::Step;
use lodestar_domain::user::User;
use serde::{Deserialize, Serialize};

use super::ops::{
    self, RetentionBy, RetentionFigures, RetentionParams, RetentionPoint, RetentionReport, SurvivalBy, SurvivalReport,
};
use crate::AppState;
use crate::http::error::ApiError;
use crate::http::pages::{Choice, Html, SignedIn, render};

#[derive(Deserialize, Default)]
pub(crate) struct RetentionForm {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
    step: Option<String>,
}

/// A chart's data: the x-axis labels and one line per series, values in percent.
#[derive(Serialize)]
struct Chart {
    x: Vec<String>,
    series: Vec<Line>,
}

#[derive(Serialize)]
struct Line {
    name: String,
    data: Vec<Option<f64>>,
}

fn percent(rate: Option<f64>) -> Option<f64> {
    rate.map(|r| (r * 1000.0).round() / 10.0)
}

fn shown(rate: Option<f64>) -> String {
    percent(rate).map_or_else(|| "—".into(), |p| format!("{p:.1} %"))
}

/// One row of a figures table.
struct FiguresRow {
    label: String,
    accounts: u64,
    churned_accounts: u64,
    start_mrr: String,
    end_mrr: String,
    churned_mrr: String,
    downsold_mrr: String,
    expanded_mrr: String,
    nrr: String,
    grr: String,
    logo_churn: String,
    mrr_churn: String,
}

fn row(label: String, f: &RetentionFigures) -> FiguresRow {
    let r = &f.raw;
    FiguresRow {
        label,
        accounts: r.accounts,
        churned_accounts: r.churned_accounts,
        start_mrr: r.start_mrr.whole_dollars(),
        end_mrr: r.end_mrr.whole_dollars(),
        churned_mrr: r.churned_mrr.whole_dollars(),
        downsold_mrr: r.downsold_mrr.whole_dollars(),
        expanded_mrr: r.expanded_mrr.whole_dollars(),
        nrr: shown(f.nrr),
        grr: shown(f.grr),
        logo_churn: shown(f.logo_churn),
        mrr_churn: shown(f.mrr_churn),
    }
}

#[derive(askama::Template)]
#[template(path = "revenue/retention.html")]
struct RetentionPage {
    me: User,
    from: NaiveDate,
    to: NaiveDate,
    by_choices: Vec<Choice>,
    step_choices: Vec<Choice>,
    book_only: bool,
    error: Option<String>,
    empty: bool,
    total: FiguresRow,
    steps: Vec<FiguresRow>,
    groups: Vec<FiguresRow>,
    by_label: Option<&'static str>,
    /// NRR, GRR, logo and MRR churn of each step, in percent.
    chart: String,
    /// NRR of each group at each step.
    group_chart: Option<String>,
}

pub(crate) async fn retention(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Query(q): Query<RetentionForm>,
) -> Result<Html, ApiError> {
    let scope = ops::scope(&actor)?;
    let today = state.store.today();
    let mut problems = Vec::new();
    let mut date = |value: &Option<String>, name: &str| {
        value.as_deref().filter(|v| !v.is_empty()).and_then(|v| {
            v.parse::<NaiveDate>()
                .map_err(|_| problems.push(format!("{name}: {v:?} is not a date")))
                .ok()
        })
    };
    let (from, to) = (date(&q.from, "from"), date(&q.to, "to"));
    let by =
        q.by.as_deref()
            .filter(|b| !b.is_empty())
            .and_then(|b| RetentionBy::parse(b).ok());
    let step = q
        .step
        .as_deref()
        .and_then(|s| s.parse::<Step>().ok())
        .unwrap_or(Step::Quarter);
    // The default period is the four quarters before this one: whole periods read best.
    let this_quarter = NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&today),
        chrono::Datelike::month0(&today) / 3 * 3 + 1,
        1,
    )
    .unwrap_or(today);
    let to = to.unwrap_or(this_quarter);
    let from = from.unwrap_or(to - chrono::Months::new(12));
    let params = match RetentionParams::new(from, to, by, step) {
        Ok(p) => p,
        Err(e) => {
            problems.push(match e {
                ApiError::BadRequest { reason, .. } => reason,
                other => return Err(other),
            });
            RetentionParams::new(this_quarter - chrono::Months::new(12), this_quarter, by, step)?
        }
    };
    let report = ops::retention(&state.store, &actor, params).await?;
    let page = retention_page(
        me,
        report,
        params,
        problems,
        matches!(scope, lodestar_domain::access::Scope::Book(_)),
    )?;
    render(&page)
}

fn retention_page(
    me: User,
    report: RetentionReport,
    params: RetentionParams,
    problems: Vec<String>,
    book_only: bool,
) -> Result<RetentionPage, ApiError> {
    let step_label = |p: &RetentionPoint| match params.step {
        Step::Year => p.from.format("%Y").to_string(),
        Step::Quarter => lodestar_domain::revenue::start_cohort(p.from),
        Step::Month => p.from.format("%b %Y").to_string(),
    };
    let x: Vec<String> = report.series.iter().map(step_label).collect();
    let line = |name: &str, rate: fn(&RetentionFigures) -> Option<f64>, points: &[RetentionPoint]| Line {
        name: name.into(),
        data: points.iter().map(|p| percent(rate(&p.figures))).collect(),
    };
    let chart = Chart {
        x: x.clone(),
        series: vec![
            line("NRR", |f| f.nrr, &report.series),
            line("GRR", |f| f.grr, &report.series),
            line("Logo churn", |f| f.logo_churn, &report.series),
            line("MRR churn", |f| f.mrr_churn, &report.series),
        ],
    };
    let group_chart = (!report.groups.is_empty()).then(|| Chart {
        x: x.clone(),
        series: report
            .groups
            .iter()
            .map(|g| line(&g.label, |f| f.nrr, &g.series))
            .collect(),
    });
    let to_json = |c: &Chart| serde_json::to_string(c).map_err(|e| ApiError::Internal(e.to_string()));
    let by_label = params.by.map(|b| match b {
        RetentionBy::Tier => "Tier",
        RetentionBy::Industry => "Industry",
        RetentionBy::Csm => "CSM",
        RetentionBy::Cohort => "Start cohort",
    });
    let by_choices = std::iter::once(("", "No grouping"))
        .chain([
            ("tier", "Tier (segment)"),
            ("industry", "Industry"),
            ("csm", "CSM book"),
            ("cohort", "Start cohort"),
        ])
        .map(|(value, label)| Choice {
            value: value.into(),
            label: label.into(),
            selected: params.by.map_or("", RetentionBy::as_str) == value,
        })
        .collect();
    let step_choices = Step::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: format!("By {}", s.label().to_lowercase()),
            selected: *s == params.step,
        })
        .collect();
    Ok(RetentionPage {
        me,
        from: params.from,
        to: params.to,
        by_choices,
        step_choices,
        book_only,
        error: (!problems.is_empty()).then(|| problems.join("; ")),
        empty: report.series.iter().all(|p| p.figures.accounts == 0),
        total: row("Whole period".into(), &report.total),
        steps: report
            .series
            .iter()
            .zip(&x)
            .map(|(p, label)| row(label.clone(), &p.figures))
            .collect(),
        groups: report.groups.iter().map(|g| row(g.label.clone(), &g.figures)).collect(),
        by_label,
        chart: to_json(&chart)?,
        group_chart: group_chart.as_ref().map(to_json).transpose()?,
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct CurvesForm {
    by: Option<String>,
    as_of: Option<String>,
    days: Option<String>,
}

/// One sticky driver as the table shows it.
struct DriverRow {
    kind: &'static str,
    name: String,
    with: u64,
    with_rate: String,
    without: u64,
    without_rate: String,
    difference: String,
    effect: String,
    /// small, medium or large, by Cohen's conventions.
    size: &'static str,
}

/// One group's curve as the chart draws it: `[day, survival, lower, upper]` in percent.
#[derive(Serialize)]
struct Curve {
    name: String,
    points: Vec<(i64, f64, f64, f64)>,
}

struct CurveRow {
    label: String,
    accounts: u64,
    churned: u64,
    median: String,
    /// Survival at 90, 180, 365 and 730 days, with the band.
    at: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "revenue/curves.html")]
struct CurvesPage {
    me: User,
    as_of: NaiveDate,
    by: String,
    by_choices: Vec<Choice>,
    book_only: bool,
    error: Option<String>,
    rows: Vec<CurveRow>,
    chart: String,
    band: &'static str,
    days: u32,
    compared: u64,
    retained: u64,
    drivers: Vec<DriverRow>,
}

/// The days the table reads each curve at.
const READ_AT: [i64; 4] = [90, 180, 365, 730];

pub(crate) async fn curves(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Query(q): Query<CurvesForm>,
) -> Result<Html, ApiError> {
    let scope = ops::scope(&actor)?;
    let mut problems = Vec::new();
    let as_of = q.as_of.as_deref().filter(|v| !v.is_empty()).and_then(|v| {
        v.parse::<NaiveDate>()
            .map_err(|_| problems.push(format!("as of: {v:?} is not a date")))
            .ok()
    });
    let by = match SurvivalBy::parse(q.by.as_deref().unwrap_or("all")) {
        Ok(by) => by,
        Err(ApiError::BadRequest { reason, .. }) => {
            problems.push(reason);
            SurvivalBy::All
        }
        Err(other) => return Err(other),
    };
    let days = match q.days.as_deref().filter(|d| !d.is_empty()).map(str::parse::<u32>) {
        None => 90,
        Some(Ok(days)) if (1..=3650).contains(&days) => days,
        Some(_) => {
            problems.push("first days: a number of days from 1 to 3650".into());
            90
        }
    };
    let report = ops::survival(&state.store, &actor, by.clone(), as_of).await?;
    let drivers = ops::sticky_drivers(&state.store, &actor, days, Some(report.as_of)).await?;
    let mut page = curves_page(
        me,
        report,
        &by,
        problems,
        matches!(scope, lodestar_domain::access::Scope::Book(_)),
    )?;
    page.days = drivers.days;
    page.compared = drivers.accounts;
    page.retained = drivers.retained;
    let rate = |kept: u64, of: u64| {
        if of == 0 {
            "—".to_owned()
        } else {
            format!("{:.0} %", kept as f64 * 100.0 / of as f64)
        }
    };
    page.drivers = drivers
        .drivers
        .into_iter()
        .map(|d| DriverRow {
            kind: match d.kind {
                "milestone" => "Milestone",
                "qbr" => "Review",
                _ => "Feature used",
            },
            with_rate: rate(d.with_retained, d.with),
            without_rate: rate(d.without_retained, d.without),
            // Rounded first, so that -0.4 reads "0 points", not "-0 points".
            difference: d.difference_points.map(f64::round).map_or_else(
                || "—".into(),
                |p| {
                    if p == 0.0 {
                        "0 points".into()
                    } else {
                        format!("{p:+} points")
                    }
                },
            ),
            effect: d.effect_size.map_or_else(|| "—".into(), |h| format!("{h:+.2}")),
            size: match d.effect_size.map(f64::abs) {
                Some(h) if h >= 0.8 => "large",
                Some(h) if h >= 0.5 => "medium",
                Some(h) if h >= 0.2 => "small",
                _ => "negligible",
            },
            name: d.name,
            with: d.with,
            without: d.without,
        })
        .collect();
    render(&page)
}

fn curves_page(
    me: User,
    report: SurvivalReport,
    by: &SurvivalBy,
    problems: Vec<String>,
    book_only: bool,
) -> Result<CurvesPage, ApiError> {
    let pct = |v: f64| (v * 1000.0).round() / 10.0;
    let rows = report
        .groups
        .iter()
        .map(|g| CurveRow {
            label: g.label.clone(),
            accounts: g.accounts,
            churned: g.churned,
            median: g
                .median_days
                .map_or_else(|| "not reached".into(), |d| format!("{d} days")),
            at: READ_AT
                .iter()
                .map(|day| {
                    // The curve on `day`: its last step on or before it (1 before any); unknown
                    // past the longest tenure.
                    let last = g.steps.iter().take_while(|s| s.day <= *day).last();
                    match (last, g.steps.last().is_some_and(|s| s.day >= *day)) {
                        (_, false) => "—".into(),
                        (None, true) => "100.0 %".into(),
                        (Some(s), true) if s.lower < s.upper => {
                            format!("{:.1} % ({:.0}–{:.0})", pct(s.survival), pct(s.lower), pct(s.upper))
                        }
                        (Some(s), true) => format!("{:.1} %", pct(s.survival)),
                    }
                })
                .collect(),
        })
        .collect();
    let curves: Vec<Curve> = report
        .groups
        .iter()
        .map(|g| Curve {
            name: g.label.clone(),
            points: g
                .steps
                .iter()
                .map(|s| (s.day, pct(s.survival), pct(s.lower), pct(s.upper)))
                .collect(),
        })
        .collect();
    let current = by.name();
    let by_choices = [
        ("all", "All accounts"),
        ("tier", "Tier (segment)"),
        ("industry", "Industry"),
        ("size", "Company size"),
        ("region", "Region"),
        ("csm", "CSM"),
        ("contract_size", "Starting ARR"),
        ("had_qbr", "Had QBRs or not"),
        ("custom.channel", "Channel"),
    ]
    .into_iter()
    .map(|(value, label)| Choice {
        value: value.into(),
        label: label.into(),
        selected: value == current,
    })
    .collect();
    Ok(CurvesPage {
        me,
        as_of: report.as_of,
        by: current,
        by_choices,
        book_only,
        error: (!problems.is_empty()).then(|| problems.join("; ")),
        rows,
        chart: serde_json::to_string(&curves).map_err(|e| ApiError::Internal(e.to_string()))?,
        band: report.band,
        days: 0,
        compared: 0,
        retained: 0,
        drivers: Vec::new(),
    })
}
