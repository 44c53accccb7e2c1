//! `/segmentation`: the tier formula as a form; previewing it lists the accounts it would move
//! (nothing changes), and admins apply it in one step with the number of changes they saw.
//! Below it the experience levels, each tier's level, and (on the account page) an account
//! placed in another level.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lodestar_domain::AccountId;
use lodestar_domain::segment::TierFormula;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::Tier;
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
    levels: Vec<LevelForm>,
    tier_levels: Vec<TierLevel>,
    can_change_levels: bool,
    level_problem: Option<String>,
}

/// A level as its row and edit form show it.
struct LevelForm {
    id: i64,
    name: String,
    qbr_every_days: String,
    check_in_every_days: String,
    coverage: &'static str,
    tiers: String,
    summary: String,
    accounts: usize,
}

impl LevelForm {
    fn covers(&self, coverage: &str) -> bool {
        self.coverage == coverage
    }
}

/// A tier and the level its accounts get.
struct TierLevel {
    tier: &'static str,
    label: &'static str,
    level_id: Option<i64>,
}

const COVERAGES: [(&str, &str); 2] = [("named", "Named CSM"), ("pooled", "Pooled CSMs")];

fn days(d: Option<u32>) -> String {
    d.map_or_else(String::new, |d| d.to_string())
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
    let all_levels = state.store.experience_levels().await?;
    let tier_levels = Tier::ALL
        .iter()
        .map(|t| TierLevel {
            tier: t.as_str(),
            label: t.label(),
            level_id: all_levels.iter().find(|l| l.tiers.contains(t)).map(|l| l.id),
        })
        .collect();
    let levels = all_levels
        .iter()
        .map(|l| {
            let tiers: Vec<&str> = l.tiers.iter().map(|t| t.label()).collect();
            LevelForm {
                id: l.id,
                name: l.name.to_string(),
                qbr_every_days: days(l.entitlements.qbr_every_days),
                check_in_every_days: days(l.entitlements.check_in_every_days),
                coverage: l.entitlements.coverage.as_str(),
                tiers: tiers.join(", "),
                summary: l.entitlements.summary(),
                accounts: l.accounts,
            }
        })
        .collect();
    render(&SegmentationPage {
        levels,
        tier_levels,
        can_change_levels: page.actor.can_administer(),
        level_problem: page.flash.for_slot("experience"),
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

/// A level typed in the form: the day fields may be left empty (none).
fn typed_level(
    form: &FormFields,
) -> Result<lodestar_domain::Valid<lodestar_domain::experience::ExperienceFields>, ApiError> {
    ops::level_fields(
        form.text("name"),
        form.count("qbr_every_days"),
        form.count("check_in_every_days"),
        form.text("coverage"),
    )
}

/// `POST /segmentation/levels`: an admin adds a level, or changes the one `id` names.
pub(crate) async fn save_level(
    State(state): State<AppState>,
    page: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let result = async {
        let fields = typed_level(&form)?;
        match form.text("id").parse::<i64>() {
            Ok(id) => ops::update_level(&state, &page.actor, &page.origin, id, fields)
                .await
                .map(drop),
            Err(_) => ops::create_level(&state, &page.actor, &page.origin, fields)
                .await
                .map(drop),
        }
    }
    .await;
    back_after_form("/segmentation", "experience", "experience", result)
}

/// `POST /segmentation/tier-levels`: an admin gives a tier's accounts a level.
pub(crate) async fn set_tier_level(
    State(state): State<AppState>,
    page: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let level = form.text("level_id").parse::<i64>().ok();
    let result = ops::set_tier_level(&state, &page.actor, &page.origin, form.text("tier"), level).await;
    back_after_form("/segmentation", "experience", "experience", result.map(drop))
}

/// `POST /accounts/{id}/experience-level`: a leader places the account in a level ("" puts it
/// back in its tier's).
pub(crate) async fn place_account(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let level = form.text("level_id").parse::<i64>().ok();
    let result = ops::place_account(&state, &page.actor, AccountId(id), level).await;
    back_after_form(&format!("/accounts/{id}"), "level_error", "profile", result.map(drop))
}
