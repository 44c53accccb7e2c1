//! The playbook library in the web UI: the library page (every reader), the outcome form and the
//! risk playbooks' templates (leaders and admins), resolving change requests, and the outreach
//! page of an account (preview, then send).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::playbook::{
    MAX_OUTCOMES_PER_SEGMENT, OutcomeFields, OutreachApproach, PlaybookTarget, segment_warning,
};
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::Tier;
use lodestar_domain::{AccountId, ContactId, OutcomeId, PlaybookChangeId};
use lodestar_store::{Outreach, PlaybookChange};
use serde::Deserialize;

use super::ops::{self, CaseStudyInput, OutcomeInput, RoiInput, TacticInput};
use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Choice, SignedIn, back_after_form, choices, render, user_problem};

/// A change request as the library and a retrospective list it.
pub(crate) struct ChangeView {
    pub(crate) id: i64,
    pub(crate) account_id: i64,
    pub(crate) account: String,
    pub(crate) target: String,
    pub(crate) note: String,
    pub(crate) requested: String,
    pub(crate) resolved: Option<String>,
}

impl From<PlaybookChange> for ChangeView {
    fn from(c: PlaybookChange) -> Self {
        let by = |who: Option<String>| who.map(|w| format!(" by {w}")).unwrap_or_default();
        ChangeView {
            id: c.id.0,
            account_id: c.account_id.0,
            account: c.account_name,
            target: c.target_title,
            note: c.note.to_string(),
            requested: format!("{}{}", c.requested_at.date_naive(), by(c.requested_by)),
            resolved: c
                .resolved_at
                .map(|at| format!("{}{}", at.date_naive(), by(c.resolved_by))),
        }
    }
}

struct OutcomeView {
    id: i64,
    title: String,
    description: String,
    tactics: Vec<(String, String)>,
    cases: Vec<(String, String, String)>,
    figures: Vec<(String, String, String)>,
    changes: Vec<ChangeView>,
}

struct SegmentView {
    tier: &'static str,
    label: &'static str,
    warning: Option<String>,
    full: bool,
    outcomes: Vec<OutcomeView>,
}

struct RiskView {
    approach: &'static str,
    label: &'static str,
    exposure: &'static str,
    guidance: &'static str,
    written: bool,
    subject: String,
    body: String,
    changes: Vec<ChangeView>,
    error: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "playbooks/library.html")]
struct LibraryPage {
    me: User,
    can_edit: bool,
    segments: Vec<SegmentView>,
    risks: Vec<RiskView>,
    placeholders: String,
    error: Option<String>,
}

pub(crate) async fn library(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
) -> Result<Response, ApiError> {
    let library = state.store.playbook_library().await?;
    let mut changes = library.open_changes;
    let mut changes_of = |target: PlaybookTarget| -> Vec<ChangeView> {
        changes.extract_if(.., |c| c.target == target).map(Into::into).collect()
    };
    let mut outcomes = library.outcomes;
    let segments = Tier::ALL
        .iter()
        .map(|tier| {
            let mine: Vec<OutcomeView> = outcomes
                .extract_if(.., |o| o.outcome.fields.tier == *tier)
                .map(|o| {
                    let f = o.outcome.fields;
                    OutcomeView {
                        id: o.outcome.id.0,
                        title: f.title.to_string(),
                        description: f.description.to_string(),
                        tactics: f
                            .tactics
                            .into_iter()
                            .map(|t| (t.title.to_string(), t.description.to_string()))
                            .collect(),
                        cases: f
                            .case_studies
                            .into_iter()
                            .map(|c| (c.title.to_string(), c.customer.to_string(), c.text.to_string()))
                            .collect(),
                        figures: f
                            .roi_figures
                            .into_iter()
                            .map(|r| (r.label.to_string(), r.value.to_string(), r.unit.to_string()))
                            .collect(),
                        changes: changes_of(PlaybookTarget::Outcome(o.outcome.id)),
                    }
                })
                .collect();
            SegmentView {
                tier: tier.as_str(),
                label: tier.label(),
                warning: segment_warning(*tier, mine.len()),
                full: mine.len() >= MAX_OUTCOMES_PER_SEGMENT,
                outcomes: mine,
            }
        })
        .collect();
    let mut written = library.risk_playbooks;
    let risks = OutreachApproach::ALL
        .iter()
        .map(|a| {
            let found = written.iter().position(|p| p.approach == *a).map(|i| written.remove(i));
            RiskView {
                approach: a.as_str(),
                label: a.label(),
                exposure: a.exposure().as_str(),
                guidance: a.guidance(),
                written: found.is_some(),
                subject: found.as_ref().map(|p| p.template.subject.clone()).unwrap_or_default(),
                body: found.map(|p| p.template.body.to_string()).unwrap_or_default(),
                changes: changes_of(PlaybookTarget::Risk(*a)),
                error: flash.for_slot(a.as_str()),
            }
        })
        .collect();
    Ok(render(&LibraryPage {
        can_edit: actor.can_edit_playbooks(),
        segments,
        risks,
        placeholders: lodestar_domain::playbook::Placeholder::listed(),
        error: flash.for_slot("error"),
        me,
    })?
    .into_response())
}

/// A row of the outcome form's lists, as typed.
struct Row(Vec<String>);

impl Row {
    fn blank(width: usize) -> Row {
        Row(vec![String::new(); width])
    }

    /// Whether nothing was typed past the first `skip` columns (a tactic's id alone, its title
    /// and description cleared, is a tactic taken out).
    fn is_blank(&self, skip: usize) -> bool {
        self.0.iter().skip(skip).all(|v| v.trim().is_empty())
    }

    fn get(&self, i: usize) -> &str {
        &self.0[i]
    }
}

/// The rows of a list the form posts as parallel fields (`tactic_title`, `tactic_description`…).
fn rows(form: &FormFields, keys: &[&str]) -> Vec<Row> {
    let columns: Vec<Vec<&str>> = keys.iter().map(|k| form.all(k).collect()).collect();
    let n = columns.iter().map(Vec::len).max().unwrap_or(0);
    (0..n)
        .map(|i| {
            Row(columns
                .iter()
                .map(|c| c.get(i).copied().unwrap_or("").to_owned())
                .collect())
        })
        .collect()
}

const TACTIC_KEYS: [&str; 3] = ["tactic_id", "tactic_title", "tactic_description"];
const CASE_KEYS: [&str; 3] = ["case_title", "case_customer", "case_text"];
const FIGURE_KEYS: [&str; 3] = ["roi_label", "roi_value", "roi_unit"];

#[derive(askama::Template)]
#[template(path = "playbooks/outcome_form.html")]
struct OutcomeFormPage {
    me: User,
    action: String,
    editing: bool,
    tiers: Vec<Choice>,
    title: String,
    description: String,
    tactics: Vec<Row>,
    cases: Vec<Row>,
    figures: Vec<Row>,
    error: Option<String>,
}

impl OutcomeFormPage {
    /// The form as stored (or empty), with blank rows to add to each list.
    fn of(me: User, outcome: Option<(OutcomeId, &OutcomeFields)>, tier: Option<Tier>) -> OutcomeFormPage {
        let fields = outcome.map(|(_, f)| f);
        let mut tactics: Vec<Row> = fields
            .map(|f| {
                f.tactics
                    .iter()
                    .map(|t| {
                        Row(vec![
                            t.id.map(|id| id.to_string()).unwrap_or_default(),
                            t.title.to_string(),
                            t.description.to_string(),
                        ])
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut cases: Vec<Row> = fields
            .map(|f| {
                f.case_studies
                    .iter()
                    .map(|c| Row(vec![c.title.to_string(), c.customer.to_string(), c.text.to_string()]))
                    .collect()
            })
            .unwrap_or_default();
        let mut figures: Vec<Row> = fields
            .map(|f| {
                f.roi_figures
                    .iter()
                    .map(|r| Row(vec![r.label.to_string(), r.value.to_string(), r.unit.to_string()]))
                    .collect()
            })
            .unwrap_or_default();
        tactics.extend([Row::blank(3), Row::blank(3)]);
        cases.push(Row::blank(3));
        figures.extend([Row::blank(3), Row::blank(3)]);
        OutcomeFormPage {
            me,
            action: outcome.map_or_else(
                || "/playbooks/outcomes/new".to_owned(),
                |(id, _)| format!("/playbooks/outcomes/{id}/edit"),
            ),
            editing: outcome.is_some(),
            tiers: choices(Tier::ALL, fields.map(|f| f.tier).or(tier), Tier::as_str, Tier::label),
            title: fields.map(|f| f.title.to_string()).unwrap_or_default(),
            description: fields.map(|f| f.description.to_string()).unwrap_or_default(),
            tactics,
            cases,
            figures,
            error: None,
        }
    }

    /// The form as posted, with the problem that refused it.
    fn again(me: User, action: String, editing: bool, form: &FormFields, problem: String) -> OutcomeFormPage {
        OutcomeFormPage {
            me,
            action,
            editing,
            tiers: choices(Tier::ALL, form.text("tier").parse().ok(), Tier::as_str, Tier::label),
            title: form.text("title").to_owned(),
            description: form.text("description").to_owned(),
            tactics: rows(form, &TACTIC_KEYS),
            cases: rows(form, &CASE_KEYS),
            figures: rows(form, &FIGURE_KEYS),
            error: Some(problem),
        }
    }
}

/// The input the API would read, from the form's fields; blank rows are left out.
fn outcome_input(form: &FormFields) -> OutcomeInput {
    let filled = |keys: &[&str], skip: usize| rows(form, keys).into_iter().filter(move |r| !r.is_blank(skip));
    OutcomeInput {
        tier: form.text("tier").to_owned(),
        title: form.text("title").to_owned(),
        description: form.text("description").to_owned(),
        tactics: filled(&TACTIC_KEYS, 1)
            .map(|r| TacticInput {
                id: r.get(0).parse().ok(),
                title: r.get(1).to_owned(),
                description: r.get(2).to_owned(),
            })
            .collect(),
        case_studies: filled(&CASE_KEYS, 0)
            .map(|r| CaseStudyInput {
                title: r.get(0).to_owned(),
                customer: r.get(1).to_owned(),
                text: r.get(2).to_owned(),
            })
            .collect(),
        roi_figures: filled(&FIGURE_KEYS, 0)
            .map(|r| RoiInput {
                label: r.get(0).to_owned(),
                value: r.get(1).to_owned(),
                unit: r.get(2).to_owned(),
            })
            .collect(),
    }
}

fn form_answer(page: &OutcomeFormPage) -> Result<Response, ApiError> {
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, render(page)?).into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct NewOutcomeQuery {
    tier: Option<String>,
}

pub(crate) async fn new_outcome(
    SignedIn { user: me, actor, .. }: SignedIn,
    Query(q): Query<NewOutcomeQuery>,
) -> Result<Response, ApiError> {
    ops::may_edit(&actor)?;
    let tier = q.tier.and_then(|t| t.parse().ok());
    form_answer(&OutcomeFormPage::of(me, None, tier))
}

pub(crate) async fn create_outcome(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    body: Bytes,
) -> Result<Response, ApiError> {
    ops::may_edit(&actor)?;
    let form = FormFields::parse(&body);
    let result = async {
        let fields = outcome_input(&form).into_fields()?;
        ops::create_outcome(&state.store, &actor, fields).await
    }
    .await;
    match result {
        Ok(o) => Ok(Redirect::to(&format!("/playbooks#outcome-{}", o.outcome.id)).into_response()),
        Err(e) => form_answer(&OutcomeFormPage::again(
            me,
            "/playbooks/outcomes/new".into(),
            false,
            &form,
            user_problem(e)?,
        )),
    }
}

pub(crate) async fn edit_outcome(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    ops::may_edit(&actor)?;
    let outcome = state.store.playbook_outcome(OutcomeId(id)).await?;
    form_answer(&OutcomeFormPage::of(
        me,
        Some((outcome.outcome.id, &outcome.outcome.fields)),
        None,
    ))
}

pub(crate) async fn update_outcome(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    ops::may_edit(&actor)?;
    let id = OutcomeId(id);
    state.store.playbook_outcome(id).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let fields = outcome_input(&form).into_fields()?;
        ops::update_outcome(&state.store, &actor, id, fields).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/playbooks#outcome-{id}")).into_response()),
        Err(e) => form_answer(&OutcomeFormPage::again(
            me,
            format!("/playbooks/outcomes/{id}/edit"),
            true,
            &form,
            user_problem(e)?,
        )),
    }
}

pub(crate) async fn delete_outcome(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let result = ops::delete_outcome(&state.store, &actor, OutcomeId(id)).await;
    back_after_form("/playbooks", "error", "outcomes", result)
}

#[derive(Deserialize)]
pub(crate) struct RiskForm {
    subject: String,
    body: String,
}

pub(crate) async fn save_risk_playbook(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(approach): Path<String>,
    axum::Form(form): axum::Form<RiskForm>,
) -> Result<Response, ApiError> {
    ops::may_edit(&actor)?;
    let approach: OutreachApproach = approach
        .parse()
        .map_err(|e| ApiError::NotFound(format!("no risk playbook {approach:?}: {e}")))?;
    let result = ops::save_risk_playbook(&state.store, &actor, approach, &form.subject, &form.body)
        .await
        .map(|_| ());
    back_after_form("/playbooks", approach.as_str(), &format!("risk-{approach}"), result)
}

pub(crate) async fn resolve_change(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let result = ops::resolve_change(&state.store, &actor, PlaybookChangeId(id))
        .await
        .map(|_| ());
    back_after_form("/playbooks", "error", "outcomes", result)
}

struct PreviewView {
    approach: &'static str,
    contact_id: i64,
    to: Option<String>,
    contact_name: String,
    subject: String,
    body: String,
}

impl From<Outreach> for PreviewView {
    fn from(o: Outreach) -> Self {
        PreviewView {
            approach: o.approach.as_str(),
            contact_id: o.contact_id.0,
            to: o.to.map(|e| e.to_string()),
            contact_name: o.contact_name,
            subject: o.email.subject.to_string(),
            body: o.email.body,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "playbooks/outreach.html")]
struct OutreachPage {
    me: User,
    account_id: i64,
    account_name: String,
    approaches: Vec<Choice>,
    contacts: Vec<Choice>,
    /// The approach the account's industry exposure calls for, when it has one.
    suggested: Option<&'static str>,
    preview: Option<PreviewView>,
    /// Why there is no preview (no template yet, a detail the template needs).
    problem: Option<String>,
    /// Why the last send was refused.
    error: Option<String>,
    sends_email: bool,
}

#[derive(Deserialize, Default)]
pub(crate) struct OutreachQuery {
    approach: Option<String>,
    contact_id: Option<String>,
}

pub(crate) async fn outreach(
    State(state): State<AppState>,
    SignedIn {
        user: me, actor, flash, ..
    }: SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<OutreachQuery>,
) -> Result<Response, ApiError> {
    let account = writable(&state.store, &actor, AccountId(id)).await?;
    let suggested = state.store.suggested_outreach(account.id).await?;
    let approach = q
        .approach
        .as_deref()
        .and_then(|a| a.parse::<OutreachApproach>().ok())
        .or(suggested);
    let contacts = state.store.contacts_of(account.id).await?;
    let contact = q
        .contact_id
        .as_deref()
        .and_then(|c| c.parse::<i64>().ok())
        .map(ContactId);
    let (preview, problem) = match (approach, contact) {
        (Some(approach), Some(contact)) => {
            match ops::preview(&state.store, &actor, account.id, approach, contact).await {
                Ok(o) => (Some(PreviewView::from(o)), None),
                Err(e) => (None, Some(user_problem(e)?)),
            }
        }
        _ => (None, None),
    };
    let contact_choices = contacts
        .iter()
        .map(|c| Choice {
            value: c.id.to_string(),
            label: match &c.fields.email {
                Some(email) => format!("{} <{email}>", c.fields.display_name()),
                None => format!("{} (no email address)", c.fields.display_name()),
            },
            selected: contact == Some(c.id),
        })
        .collect();
    Ok(render(&OutreachPage {
        account_id: account.id.0,
        account_name: account.fields.name.to_string(),
        approaches: choices(
            OutreachApproach::ALL,
            approach,
            OutreachApproach::as_str,
            OutreachApproach::label,
        ),
        contacts: contact_choices,
        suggested: suggested.map(OutreachApproach::label),
        preview,
        problem,
        error: flash.for_slot("error"),
        sends_email: state.store.outbox().email,
        me,
    })?
    .into_response())
}

#[derive(Deserialize)]
pub(crate) struct SendForm {
    approach: String,
    contact_id: i64,
}

pub(crate) async fn send_outreach(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<SendForm>,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    ops::outreach_sender(&state.store, &actor, account).await?;
    let result = async {
        let approach = ops::approach(&form.approach)?;
        ops::send(&state.store, &actor, account, approach, ContactId(form.contact_id)).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{id}#timeline")).into_response()),
        Err(e) => back_after_form(
            &format!(
                "/accounts/{id}/outreach?approach={}&contact_id={}",
                crate::http::pages::url_encode(&form.approach),
                form.contact_id
            ),
            "error",
            "send",
            Err(e),
        ),
    }
}

#[derive(Deserialize)]
pub(crate) struct ChangeForm {
    /// `outcome:ID` or `risk:APPROACH`.
    target: String,
    note: String,
}

pub(crate) async fn request_change(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ChangeForm>,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    writable(&state.store, &actor, account).await?;
    let result = async {
        let (outcome, approach) = match form.target.split_once(':') {
            Some(("outcome", id)) => (id.parse().ok(), None),
            Some(("risk", approach)) => (None, Some(approach)),
            _ => (None, None),
        };
        let target = ops::target(outcome, approach)?;
        ops::request_change(&state.store, &actor, account, target, &form.note).await?;
        Ok(())
    }
    .await;
    back_after_form(
        &format!("/accounts/{id}/retrospective"),
        "playbook-change",
        "playbook-changes",
        result,
    )
}

/// The library entries a retrospective can ask to change, as `<optgroup>`s: each segment's
/// outcomes, then the risk playbooks.
pub(crate) async fn change_targets(store: &lodestar_store::Store) -> Result<Vec<(String, Vec<Choice>)>, ApiError> {
    let library = store.playbook_library().await?;
    let mut groups: Vec<(String, Vec<Choice>)> = Tier::ALL
        .iter()
        .map(|tier| {
            let outcomes = library
                .outcomes
                .iter()
                .filter(|o| o.outcome.fields.tier == *tier)
                .map(|o| Choice {
                    value: format!("outcome:{}", o.outcome.id),
                    label: o.outcome.fields.title.to_string(),
                    selected: false,
                })
                .collect();
            (format!("{} outcomes", tier.label()), outcomes)
        })
        .filter(|(_, outcomes): &(String, Vec<Choice>)| !outcomes.is_empty())
        .collect();
    groups.push((
        "Risk playbooks".to_owned(),
        OutreachApproach::ALL
            .iter()
            .map(|a| Choice {
                value: format!("risk:{a}"),
                label: format!("{} ({} exposure)", a.label(), a.exposure().as_str()),
                selected: false,
            })
            .collect(),
    ));
    Ok(groups)
}
