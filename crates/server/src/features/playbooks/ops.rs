//! What the playbook API and pages both do: read an outcome's and a template's input with every
//! problem named, check who may write the library or reach out to an account, and write.

use lodestar_domain::access::Actor;
use lodestar_domain::playbook::{
    CaseStudy, OutcomeFields, OutreachApproach, OutreachTemplate, PlaybookTarget, RoiFigure, RoiValue, Tactic,
};
use lodestar_domain::text::{Label, Name, Note};
use lodestar_domain::vocabulary::Tier;
use lodestar_domain::{
    AccountId, ContactId, FieldError, Invalid, JobId, OutcomeId, PlaybookChangeId, TacticId, UserId, Valid,
};
use lodestar_store::{LibraryOutcome, Outreach, PlaybookChange, RiskPlaybook, Store};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::features::accounts::ops::writable;
use crate::http::error::ApiError;
use crate::http::params::{allowed, checked};

/// A tactic as a client writes it: with the id it has when it is already stored.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TacticInput {
    /// Keep it to edit the stored tactic (its id stays); leave it out for a new one.
    pub id: Option<i64>,
    #[schema(example = "Weekly adoption review with the champion")]
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseStudyInput {
    #[schema(example = "Close in 4 days instead of 9")]
    pub title: String,
    #[schema(example = "Northwind Logistics")]
    pub customer: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoiInput {
    #[schema(example = "Time to close the books")]
    pub label: String,
    /// A number with at most two decimals ("40", "2.5").
    #[schema(example = "55")]
    pub value: String,
    #[schema(example = "% faster")]
    pub unit: String,
}

/// An outcome of a segment's library as a client writes it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeInput {
    /// The segment: strategic, enterprise, mid_tier or long_tail.
    #[schema(example = "enterprise")]
    pub tier: String,
    #[schema(example = "A faster month-end close")]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tactics: Vec<TacticInput>,
    #[serde(default)]
    pub case_studies: Vec<CaseStudyInput>,
    #[serde(default)]
    pub roi_figures: Vec<RoiInput>,
}

/// Reads the `n`th (from 1) entry's part, its problem said against the list's field.
fn part<T>(
    errors: &mut Vec<FieldError>,
    list: &'static str,
    what: &str,
    n: usize,
    parsed: Result<T, String>,
) -> Option<T> {
    checked(errors, list, parsed.map_err(|e| format!("{what} {n}: {e}")))
}

impl OutcomeInput {
    pub(crate) fn into_fields(self) -> Result<Valid<OutcomeFields>, ApiError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let tier = checked(&mut errors, "tier", self.tier.parse::<Tier>());
        let title = checked(&mut errors, "title", Name::parse(&self.title));
        let description = checked(&mut errors, "description", Note::parse(&self.description));
        let mut tactics = Vec::new();
        for (n, t) in (1..).zip(self.tactics) {
            let title = part(
                &mut errors,
                "tactics",
                "tactic",
                n,
                Name::parse(&t.title).map_err(|e| format!("title {e}")),
            );
            let description = part(
                &mut errors,
                "tactics",
                "tactic",
                n,
                Note::parse(&t.description).map_err(|e| format!("description {e}")),
            );
            if let (Some(title), Some(description)) = (title, description) {
                tactics.push(Tactic {
                    id: t.id.map(TacticId),
                    title,
                    description,
                });
            }
        }
        let mut case_studies = Vec::new();
        for (n, c) in (1..).zip(self.case_studies) {
            let title = part(
                &mut errors,
                "case_studies",
                "case study",
                n,
                Name::parse(&c.title).map_err(|e| format!("title {e}")),
            );
            let customer = part(
                &mut errors,
                "case_studies",
                "case study",
                n,
                Name::parse(&c.customer).map_err(|e| format!("customer {e}")),
            );
            let text = part(
                &mut errors,
                "case_studies",
                "case study",
                n,
                Note::parse(&c.text).map_err(|e| format!("text {e}")),
            );
            if let (Some(title), Some(customer), Some(text)) = (title, customer, text) {
                case_studies.push(CaseStudy { title, customer, text });
            }
        }
        let mut roi_figures = Vec::new();
        for (n, r) in (1..).zip(self.roi_figures) {
            let label = part(
                &mut errors,
                "roi_figures",
                "figure",
                n,
                Label::parse(&r.label).map_err(|e| format!("label {e}")),
            );
            let value = part(&mut errors, "roi_figures", "figure", n, RoiValue::parse(&r.value));
            let unit = part(
                &mut errors,
                "roi_figures",
                "figure",
                n,
                Label::parse(&r.unit).map_err(|e| format!("unit {e}")),
            );
            if let (Some(label), Some(value), Some(unit)) = (label, value, unit) {
                roi_figures.push(RoiFigure { label, value, unit });
            }
        }
        match (tier, title, description) {
            (Some(tier), Some(title), Some(description)) if errors.is_empty() => Ok(OutcomeFields {
                tier,
                title,
                description,
                tactics,
                case_studies,
                roi_figures,
            }
            .validate()?),
            _ => Err(Invalid { errors }.into()),
        }
    }
}

/// Refuses whoever does not keep the library.
pub(crate) fn may_edit(actor: &Actor) -> Result<(), ApiError> {
    allowed(
        actor.can_edit_playbooks(),
        "only CS leaders and admins edit the playbook library",
    )
}

pub(crate) fn approach(text: &str) -> Result<OutreachApproach, ApiError> {
    text.parse::<OutreachApproach>()
        .map_err(|e| Invalid::field("approach", e).into())
}

pub(crate) async fn create_outcome(
    store: &Store,
    actor: &Actor,
    fields: Valid<OutcomeFields>,
) -> Result<LibraryOutcome, ApiError> {
    may_edit(actor)?;
    Ok(store.create_playbook_outcome(fields, actor.user).await?)
}

pub(crate) async fn update_outcome(
    store: &Store,
    actor: &Actor,
    id: OutcomeId,
    fields: Valid<OutcomeFields>,
) -> Result<LibraryOutcome, ApiError> {
    may_edit(actor)?;
    Ok(store.update_playbook_outcome(id, fields, actor.user).await?)
}

pub(crate) async fn delete_outcome(store: &Store, actor: &Actor, id: OutcomeId) -> Result<(), ApiError> {
    may_edit(actor)?;
    Ok(store.delete_playbook_outcome(id).await?)
}

pub(crate) async fn save_risk_playbook(
    store: &Store,
    actor: &Actor,
    approach: OutreachApproach,
    subject: &str,
    body: &str,
) -> Result<RiskPlaybook, ApiError> {
    may_edit(actor)?;
    let template = OutreachTemplate::parse(subject, body)?;
    Ok(store.save_risk_playbook(approach, template, actor.user).await?)
}

pub(crate) async fn resolve_change(
    store: &Store,
    actor: &Actor,
    id: PlaybookChangeId,
) -> Result<PlaybookChange, ApiError> {
    may_edit(actor)?;
    Ok(store.resolve_playbook_change(id, actor.user).await?)
}

/// The person an outreach email to `account` comes from: someone who writes to the account.
pub(crate) async fn outreach_sender(store: &Store, actor: &Actor, account: AccountId) -> Result<UserId, ApiError> {
    writable(store, actor, account).await?;
    actor.user.ok_or(ApiError::Forbidden(
        "an outreach email comes from a person; an API token has none",
    ))
}

pub(crate) async fn preview(
    store: &Store,
    actor: &Actor,
    account: AccountId,
    approach: OutreachApproach,
    contact: ContactId,
) -> Result<Outreach, ApiError> {
    let from = outreach_sender(store, actor, account).await?;
    Ok(store.outreach_preview(account, approach, contact, from).await?)
}

pub(crate) async fn send(
    store: &Store,
    actor: &Actor,
    account: AccountId,
    approach: OutreachApproach,
    contact: ContactId,
) -> Result<(JobId, Outreach), ApiError> {
    let from = outreach_sender(store, actor, account).await?;
    Ok(store.send_outreach(account, approach, contact, from).await?)
}

/// Which library entry a change request names: an outcome or a risk playbook, exactly one.
pub(crate) fn target(outcome_id: Option<i64>, approach_text: Option<&str>) -> Result<PlaybookTarget, ApiError> {
    match (outcome_id, approach_text.map(str::trim).filter(|a| !a.is_empty())) {
        (Some(id), None) => Ok(PlaybookTarget::Outcome(OutcomeId(id))),
        (None, Some(text)) => Ok(PlaybookTarget::Risk(approach(text)?)),
        (Some(_), Some(_)) => Err(Invalid::field(
            "outcome_id",
            "name one playbook: an outcome or a risk playbook, not both",
        )
        .into()),
        (None, None) => Err(Invalid::field(
            "outcome_id",
            "is required: which playbook should change — an outcome (outcome_id) or a risk playbook (approach)?",
        )
        .into()),
    }
}

/// A churned account's retrospective asks for a playbook to change (whoever writes to the account).
pub(crate) async fn request_change(
    store: &Store,
    actor: &Actor,
    account: AccountId,
    target: PlaybookTarget,
    note: &str,
) -> Result<PlaybookChange, ApiError> {
    writable(store, actor, account).await?;
    let note = Note::required(note).map_err(|e| Invalid::field("note", e))?;
    Ok(store.request_playbook_change(account, target, note, actor.user).await?)
}
