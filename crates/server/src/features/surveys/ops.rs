//! What the surveys API and pages both do: read a survey's input, check who may send one
//! (whoever writes to the account), send it — by email when this server sends email (each link
//! made as its email goes out, the secret never stored), otherwise links shown once — and tag
//! beta candidates.

use axum::http::HeaderMap;
use lodestar_domain::access::Actor;
use lodestar_domain::survey::SurveyFields;
use lodestar_domain::vocabulary::{AuditKind, LinkAction, SurveyKind};
use lodestar_domain::{AccountId, ContactId, Invalid, SurveyId};
use lodestar_store::{CustomerLinkEmail, LinkTarget, Survey};

use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::features::customer;
use crate::http::auth::Origin;
use crate::http::error::ApiError;
use crate::http::pages::public_base;

pub(crate) fn survey_fields(kind: &str, question: &str) -> Result<SurveyFields, ApiError> {
    let kind: SurveyKind = kind.parse().map_err(|e: String| Invalid::field("kind", e))?;
    Ok(SurveyFields::new(kind, question).map_err(|e| Invalid::field("question", e))?)
}

pub(crate) async fn create(
    state: &AppState,
    actor: &Actor,
    account: AccountId,
    fields: SurveyFields,
) -> Result<Survey, ApiError> {
    writable(&state.store, actor, account).await?;
    Ok(state.store.create_survey(account, &fields, actor.user).await?)
}

/// The survey, if `actor` may send it.
pub(crate) async fn sendable(state: &AppState, actor: &Actor, id: SurveyId) -> Result<Survey, ApiError> {
    let survey = state.store.survey(id).await?;
    writable(&state.store, actor, survey.account_id).await?;
    Ok(survey)
}

/// What sending did: emails queued (to whom), or links to hand over, shown this once.
pub(crate) enum Sent {
    Emailed(Vec<String>),
    Links(Vec<(String, String)>),
}

/// Sends the survey to `contacts` of its account, each with a link to answer it once.
pub(crate) async fn send(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    headers: &HeaderMap,
    id: SurveyId,
    contacts: &[i64],
    days: Option<u32>,
) -> Result<Sent, ApiError> {
    let survey = sendable(state, actor, id).await?;
    if contacts.is_empty() {
        return Err(Invalid::field("contact_ids", "choose at least one contact to ask").into());
    }
    let days = customer::days(days)?;
    let target = LinkTarget::Survey(id);
    let actions = vec![LinkAction::Answer];
    let sent = if state.store.outbox().email {
        let emails: Vec<CustomerLinkEmail> = contacts
            .iter()
            .map(|c| CustomerLinkEmail {
                subject: format!("A quick question about {}", survey.account_name),
                text: format!(
                    "Hello,\n\nWe would like to know how we are doing for {}:\n\n{}\n\nAnswer here (one click, no account needed; \
                     the link works for {days} days):\n{{link}}\n\nThank you!\n",
                    survey.account_name, survey.question
                ),
                base_url: public_base(state, headers),
                created_by: actor.user,
                ..CustomerLinkEmail::new(target, ContactId(*c), actions.clone(), days)
            })
            .collect();
        let to = state.store.email_survey_links(&emails).await?;
        Sent::Emailed(
            to.into_iter()
                .map(|(name, address)| format!("{name} <{address}>"))
                .collect(),
        )
    } else {
        let mut links = Vec::new();
        for c in contacts {
            let (link, secret) = customer::new_link(target, ContactId(*c), actions.clone(), days, state.store.now());
            let link = state.store.create_customer_link(&link, actor.user).await?;
            links.push((link.contact_name, customer::link_url(state, headers, target, &secret)));
        }
        Sent::Links(links)
    };
    state
        .audit(
            origin,
            AuditKind::CustomerLinkCreated,
            Some(format!("survey {id}")),
            format!(
                "{} survey {id} of account {} sent to {} contacts for {days} days",
                survey.kind.label(),
                survey.account_id,
                contacts.len()
            ),
        )
        .await?;
    Ok(sent)
}

/// Tags (or untags) a contact of an account `actor` may write to as a beta candidate.
pub(crate) async fn tag_beta(
    state: &AppState,
    actor: &Actor,
    contact: ContactId,
    tagged: bool,
    note: &str,
) -> Result<(), ApiError> {
    let found = state
        .store
        .contact(contact)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("contact {contact} does not exist")))?;
    writable(&state.store, actor, found.fields.account_id).await?;
    let note = lodestar_domain::text::Note::parse(note).map_err(|e| Invalid::field("note", e))?;
    if tagged {
        state
            .store
            .tag_beta_candidate(contact, note.as_str(), actor.user)
            .await?;
    } else {
        state.store.untag_beta_candidate(contact).await?;
    }
    Ok(())
}
