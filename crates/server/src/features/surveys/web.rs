//! The surveys pages: `/surveys` (NPS by account, segment or period; the verbatims, searchable;
//! beta candidates), `/surveys/{id}` (one survey: send it, its links and answers) and the
//! account page's section.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use lodestar_domain::survey::NpsBand;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::SurveyKind;
use lodestar_domain::{AccountId, ContactId, SurveyId};
use lodestar_store::{LinkTarget, Store, SurveyAnswer};

use super::api::{NpsParams, VerbatimParams, grouping};
use super::ops::{self, Sent};
use crate::AppState;
use crate::features::customer::links::LinkLine;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{Html, SignedIn, back_after_form, render, url_encode};

/// Verbatims per page.
const PAGE: u32 = 25;

/// An answer as the pages list it.
pub(crate) struct AnswerLine {
    pub(crate) account_id: i64,
    pub(crate) account: String,
    pub(crate) survey_id: Option<i64>,
    pub(crate) contact_id: Option<i64>,
    pub(crate) contact: String,
    pub(crate) kind: &'static str,
    pub(crate) score: String,
    /// promoter, passive, detractor or none (for CSS).
    pub(crate) band: &'static str,
    pub(crate) comment: String,
    pub(crate) when: String,
    pub(crate) beta: bool,
}

impl AnswerLine {
    pub(crate) fn of(a: &SurveyAnswer) -> AnswerLine {
        let (low, high) = a.kind.range();
        AnswerLine {
            account_id: a.account_id.0,
            account: a.account_name.clone(),
            survey_id: a.survey_id.map(|s| s.0),
            contact_id: a.contact_id.map(|c| c.0),
            contact: a.contact_name.clone().unwrap_or_else(|| "(no contact)".into()),
            kind: a.kind.label(),
            score: format!("{} ({low}–{high})", a.score),
            band: if a.kind == SurveyKind::Nps {
                NpsBand::of(a.score).as_str()
            } else {
                "none"
            },
            comment: a.comment.clone().unwrap_or_default(),
            when: a.answered_at.format("%Y-%m-%d").to_string(),
            beta: a.beta_candidate,
        }
    }
}

pub(crate) struct SurveyLine {
    pub(crate) id: i64,
    pub(crate) kind: &'static str,
    pub(crate) question: String,
    pub(crate) sent: u32,
    pub(crate) answered: u32,
    pub(crate) when: String,
}

/// The account page's surveys section.
pub(crate) struct AccountSurveys {
    pub(crate) account_id: i64,
    pub(crate) can_write: bool,
    pub(crate) surveys: Vec<SurveyLine>,
    pub(crate) answers: Vec<AnswerLine>,
    pub(crate) problem: Option<String>,
}

pub(crate) async fn account_surveys(
    store: &Store,
    account: AccountId,
    can_write: bool,
    problem: Option<String>,
) -> Result<AccountSurveys, ApiError> {
    let surveys = store
        .surveys_of_account(account)
        .await?
        .into_iter()
        .map(|s| SurveyLine {
            id: s.id.0,
            kind: s.kind.label(),
            question: s.question,
            sent: s.sent,
            answered: s.answered,
            when: s.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect();
    let answers = store
        .account_survey_answers(account)
        .await?
        .iter()
        .take(10)
        .map(AnswerLine::of)
        .collect();
    Ok(AccountSurveys {
        account_id: account.0,
        can_write,
        surveys,
        answers,
        problem,
    })
}

struct NpsRow {
    label: String,
    account_id: Option<i64>,
    nps: String,
    promoters: u32,
    passives: u32,
    detractors: u32,
    sent: u32,
    rate: String,
}

#[derive(askama::Template)]
#[template(path = "surveys/index.html")]
struct IndexPage {
    me: User,
    by: &'static str,
    nps: Vec<NpsRow>,
    q: String,
    /// `q` as a query value, for the pager's links.
    q_query: String,
    total: u64,
    verbatims: Vec<AnswerLine>,
    previous: Option<u64>,
    next: Option<u64>,
    beta: Vec<(i64, String, i64, String, String)>,
    problem: Option<String>,
}

/// `GET /surveys`: every user reads it (seed 001: verbatims are for the whole company).
pub(crate) async fn index(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(nps): Query<NpsParams>,
    Query(v): Query<VerbatimParams>,
) -> Result<Html, ApiError> {
    let grouping = grouping(nps.by.as_deref())?;
    let offset = v.offset.unwrap_or_default();
    let q = v.q.unwrap_or_default();
    let (total, verbatims) = state.store.survey_verbatims(Some(&q), PAGE, offset).await?;
    let nps = state
        .store
        .nps_report(grouping)
        .await?
        .into_iter()
        .map(|l| NpsRow {
            label: l.label,
            account_id: l.account_id.map(|a| a.0),
            nps: l.tally.nps().map_or_else(|| "—".into(), |n| n.to_string()),
            promoters: l.tally.promoters,
            passives: l.tally.passives,
            detractors: l.tally.detractors,
            sent: l.tally.sent,
            rate: l.tally.response_rate().map_or_else(|| "—".into(), |r| format!("{r}%")),
        })
        .collect();
    let beta = state
        .store
        .beta_candidates()
        .await?
        .into_iter()
        .map(|b| (b.contact_id.0, b.contact_name, b.account_id.0, b.account_name, b.note))
        .collect();
    render(&IndexPage {
        by: grouping.as_str(),
        nps,
        q_query: url_encode(&q),
        q,
        total,
        verbatims: verbatims.iter().map(AnswerLine::of).collect(),
        previous: (offset > 0).then(|| offset.saturating_sub(u64::from(PAGE))),
        next: (offset + u64::from(PAGE) < total).then(|| offset + u64::from(PAGE)),
        beta,
        problem: signed_in.flash.for_slot("surveys"),
        me: signed_in.user,
    })
}

#[derive(askama::Template)]
#[template(path = "surveys/survey.html")]
struct SurveyPage {
    me: User,
    id: i64,
    account_id: i64,
    account_name: String,
    kind: &'static str,
    question: String,
    scale: String,
    sent: u32,
    answered: u32,
    can_write: bool,
    contacts: Vec<(i64, String)>,
    links: Vec<LinkLine>,
    answers: Vec<AnswerLine>,
    /// Links just made, shown this once; or whom emails were queued for.
    new_links: Vec<(String, String)>,
    emailed: Vec<String>,
    problem: Option<String>,
}

async fn survey_page(
    state: &AppState,
    signed_in: SignedIn,
    id: SurveyId,
    sent: Option<Sent>,
) -> Result<Html, ApiError> {
    let survey = state.store.survey(id).await?;
    let account = state
        .store
        .account(survey.account_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("account {} does not exist", survey.account_id)))?;
    let now = state.store.now();
    let contacts = state
        .store
        .contacts_of(survey.account_id)
        .await?
        .into_iter()
        .filter(|c| c.fields.email.is_some())
        .map(|c| (c.id.0, c.fields.display_name()))
        .collect();
    let links = state
        .store
        .customer_links_to(LinkTarget::Survey(id))
        .await?
        .iter()
        .map(|l| LinkLine::of(l, now))
        .collect();
    let answers = state
        .store
        .survey_answers(id)
        .await?
        .iter()
        .map(AnswerLine::of)
        .collect();
    let (new_links, emailed) = match sent {
        Some(Sent::Links(l)) => (l, Vec::new()),
        Some(Sent::Emailed(e)) => (Vec::new(), e),
        None => (Vec::new(), Vec::new()),
    };
    let (low, high) = survey.kind.range();
    render(&SurveyPage {
        id: id.0,
        account_id: survey.account_id.0,
        account_name: survey.account_name,
        kind: survey.kind.label(),
        question: survey.question,
        scale: format!("{low}–{high}"),
        sent: survey.sent,
        answered: survey.answered,
        can_write: signed_in.actor.can_write_account(account.fields.owner_id),
        contacts,
        links,
        answers,
        new_links,
        emailed,
        problem: signed_in.flash.for_slot("survey"),
        me: signed_in.user,
    })
}

/// `GET /surveys/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Html, ApiError> {
    survey_page(&state, signed_in, SurveyId(id), None).await
}

/// `POST /accounts/{id}/surveys`: writes the survey, then its page to send it.
pub(crate) async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let account = AccountId(id);
    let result = async {
        let fields = ops::survey_fields(form.text("kind"), form.text("question"))?;
        ops::create(&state, &signed_in.actor, account, fields).await
    }
    .await;
    match result {
        Ok(survey) => Ok(axum::response::Redirect::to(&format!("/surveys/{}", survey.id)).into_response()),
        Err(e) => back_after_form(&format!("/accounts/{account}"), "surveys_error", "surveys", Err(e)),
    }
}

/// `POST /surveys/{id}/send`: the links shown once, or the emails queued.
pub(crate) async fn send(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = SurveyId(id);
    let form = FormFields::parse(&body);
    let contacts = form.ids("contact_id");
    let days = form.count("expires_in_days");
    match ops::send(
        &state,
        &signed_in.actor,
        &signed_in.origin,
        &headers,
        id,
        &contacts,
        days,
    )
    .await
    {
        Ok(sent) => Ok(survey_page(&state, signed_in, id, Some(sent)).await?.into_response()),
        Err(e) => back_after_form(&format!("/surveys/{id}"), "survey", "send", Err(e)),
    }
}

/// `POST /contacts/{id}/beta-candidate`: tag (`tagged=1`) or untag; back to the survey the
/// answer was on, or to the list.
pub(crate) async fn tag_beta(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = FormFields::parse(&body);
    let result = ops::tag_beta(
        &state,
        &signed_in.actor,
        ContactId(id),
        form.text("tagged") == "1",
        form.text("note"),
    )
    .await;
    match form.text("survey_id").parse::<i64>() {
        Ok(survey) => back_after_form(&format!("/surveys/{survey}"), "survey", "answers", result),
        Err(_) => back_after_form("/surveys", "surveys", "beta", result),
    }
}
