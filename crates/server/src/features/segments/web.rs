//! `/segmentation`: the tier formula as a form; previewing it lists the accounts it would move
//! (nothing changes), and admins apply it in one step with the number of changes they saw.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::Response;
use lodestar_domain::segment::TierFormula;
use lodestar_domain::user::User;
use serde::Deserialize;

use super::ops;
use crate::AppState;
use crate::features::capacity::ops::may_see;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, back_after_form, render, user_problem};

/// Changes listed per page of the preview.
const PAGE: usize = 100;

const FIELDS: [(&str, &str, &str); 7] = [
    ("arr_weight", "ARR", "weight"),
    ("growth_weight", "Growth potential", "weight"),
    ("engagement_weight", "Engagement (health score)", "weight"),
    ("preference_weight", "Preference for a person", "weight"),
    ("strategic_from", "Strategic from", "score"),
    ("enterprise_from", "Enterprise from", "score"),
    ("mid_tier_from", "Mid-tier from", "score"),
];

struct FieldRow {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    value: String,
}

struct ChangeRow {
    account_id: i64,
    account: String,
    arr: String,
    score: u32,
    from: &'static str,
    to: &'static str,
}

#[derive(askama::Template)]
#[template(path = "segments/segmentation.html")]
struct SegmentationPage {
    me: User,
    fields: Vec<FieldRow>,
    /// The formula typed differs from the one in use.
    edited: bool,
    accounts: usize,
    tiers: Vec<(&'static str, usize)>,
    changes: Vec<ChangeRow>,
    changes_total: usize,
    can_apply: bool,
    problem: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FormulaQuery {
    arr_weight: Option<String>,
    growth_weight: Option<String>,
    engagement_weight: Option<String>,
    preference_weight: Option<String>,
    strategic_from: Option<String>,
    enterprise_from: Option<String>,
    mid_tier_from: Option<String>,
}

/// A typed number: `None` when left empty; anything else that is no number reads as 101,
/// which the formula's own rule then refuses with its message.
fn number(text: Option<&str>) -> Option<u32> {
    match text.map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(t.parse().unwrap_or(101)),
    }
}

fn typed(get: impl Fn(&str) -> Option<String>) -> [(&'static str, Option<u32>); 7] {
    FIELDS.map(|(name, _, _)| (name, number(get(name).as_deref())))
}

fn values(f: &TierFormula) -> [u32; 7] {
    [
        f.arr_weight,
        f.growth_weight,
        f.engagement_weight,
        f.preference_weight,
        f.strategic_from,
        f.enterprise_from,
        f.mid_tier_from,
    ]
}

/// `GET /segmentation[?formula]`: the formula in use, or the one typed, with its preview.
pub(crate) async fn index(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<FormulaQuery>,
) -> Result<Html, ApiError> {
    may_see(&page.actor)?;
    let current = state.store.segment_formula().await?;
    let asked = [
        &q.arr_weight,
        &q.growth_weight,
        &q.engagement_weight,
        &q.preference_weight,
        &q.strategic_from,
        &q.enterprise_from,
        &q.mid_tier_from,
    ];
    let edited = asked.iter().any(|v| v.is_some());
    let (formula, problem) = if edited {
        let get = |name: &str| {
            FIELDS
                .iter()
                .position(|(n, _, _)| *n == name)
                .and_then(|i| asked[i].clone())
        };
        match ops::formula(typed(get)) {
            Ok(f) => (Some(f), None),
            Err(e) => (None, Some(user_problem(e)?)),
        }
    } else {
        (Some(current.validate()?), None)
    };
    let shown: Vec<String> = match &formula {
        Some(f) => values(f).iter().map(u32::to_string).collect(),
        None => asked.iter().map(|v| (*v).clone().unwrap_or_default()).collect(),
    };
    let fields = FIELDS
        .iter()
        .zip(shown)
        .map(|((name, label, kind), value)| FieldRow {
            name,
            label,
            kind,
            value,
        })
        .collect();
    let (mut accounts, mut tiers, mut changes, mut changes_total) = (0, Vec::new(), Vec::new(), 0);
    if let Some(f) = &formula {
        let preview = state.store.preview_tiers(f).await?;
        accounts = preview.accounts;
        tiers = preview.tier_sizes.iter().map(|(t, n)| (t.label(), *n)).collect();
        changes_total = preview.changes.len();
        changes = preview
            .changes
            .into_iter()
            .take(PAGE)
            .map(|c| ChangeRow {
                account_id: c.account.0,
                account: c.name,
                arr: c.arr.whole_dollars(),
                score: c.score,
                from: c.from.map_or("—", |t| t.label()),
                to: c.to.label(),
            })
            .collect();
    }
    render(&SegmentationPage {
        fields,
        edited: edited && formula.as_deref() != Some(&current),
        accounts,
        tiers,
        changes,
        changes_total,
        can_apply: page.actor.can_administer() && formula.is_some(),
        problem: problem.or_else(|| page.flash.for_slot("segmentation")),
        me: page.user,
    })
}

/// `POST /segmentation/apply`: the formula previewed and the number of changes it showed.
pub(crate) async fn apply(State(state): State<AppState>, page: SignedIn, body: Bytes) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let result = async {
        ops::may_apply(&page.actor)?;
        let formula = ops::formula(typed(|name| Some(form.text(name).to_owned())))?;
        let expected = form.text("expected_changes").parse::<usize>().unwrap_or(usize::MAX);
        ops::apply(&state, &page.actor, &page.origin, formula, expected).await
    }
    .await;
    back_after_form("/segmentation", "segmentation", "preview", result.map(drop))
}
