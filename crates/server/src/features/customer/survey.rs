//! A survey as its contact answers it through a link: the question and the scale, one answer
//! per link (a second is refused with the first shown, nothing overwritten).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::vocabulary::{LinkAction, SurveyKind};
use lodestar_domain::{Invalid, SurveyId};
use lodestar_store::{CustomerLink, LinkTarget, Survey};

use super::plan::{Client, page_error};
use super::{allowed, open};
use crate::AppState;
use crate::features::meetings::web::FormFields;
use crate::http::error::ApiError;
use crate::http::pages::{render, user_problem};

#[derive(Template)]
#[template(path = "customer/survey.html")]
struct SurveyPage {
    base: String,
    account_name: String,
    contact_name: String,
    question: String,
    low: i32,
    high: i32,
    low_label: &'static str,
    high_label: &'static str,
    /// The answer given: score, day, comment.
    answered: Option<(i32, String, String)>,
    problem: Option<String>,
}

async fn page(
    state: &AppState,
    survey: &Survey,
    link: &CustomerLink,
    secret: &str,
    problem: Option<String>,
) -> Result<SurveyPage, ApiError> {
    let answered = state.store.answer_of_link(link).await?.map(|a| {
        (
            a.score,
            a.answered_at.format("%Y-%m-%d").to_string(),
            a.comment.unwrap_or_default(),
        )
    });
    let (low, high) = survey.kind.range();
    let (low_label, high_label) = match survey.kind {
        SurveyKind::Nps => ("Not at all likely", "Extremely likely"),
        SurveyKind::Csat => ("Very dissatisfied", "Very satisfied"),
        SurveyKind::Micro => ("Not at all", "Completely"),
    };
    Ok(SurveyPage {
        base: format!("/c/surveys/{}/{secret}", survey.id),
        account_name: survey.account_name.clone(),
        contact_name: link.contact_name.clone(),
        question: survey.question.clone(),
        low,
        high,
        low_label,
        high_label,
        answered,
        problem,
    })
}

async fn visit(
    state: &AppState,
    client: Client,
    id: i64,
    secret: &str,
    what: &str,
) -> Result<(CustomerLink, Survey), ApiError> {
    let link = open(state, client.0, secret, LinkTarget::Survey(SurveyId(id)), what).await?;
    let survey = state.store.survey(SurveyId(id)).await?;
    Ok((link, survey))
}

/// `GET /c/surveys/{survey}/{secret}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    client: Client,
    Path((id, secret)): Path<(i64, String)>,
) -> Response {
    let shown = async {
        let (link, survey) = visit(&state, client, id, &secret, "opened the survey").await?;
        render(&page(&state, &survey, &link, &secret, None).await?)
    };
    shown.await.map_or_else(page_error, IntoResponse::into_response)
}

/// `POST /c/surveys/{survey}/{secret}`: the answer; back to the page, which thanks them.
pub(crate) async fn answer(
    State(state): State<AppState>,
    client: Client,
    Path((id, secret)): Path<(i64, String)>,
    body: Bytes,
) -> Response {
    let done = async {
        let (link, survey) = visit(&state, client, id, &secret, "answered the survey").await?;
        let form = FormFields::parse(&body);
        let result: Result<(), ApiError> = async {
            allowed(&link, LinkAction::Answer)?;
            let score: i64 = form
                .text("score")
                .trim()
                .parse()
                .map_err(|_| Invalid::field("score", "choose a score"))?;
            state.store.answer_survey(&link, score, form.text("comment")).await?;
            Ok(())
        }
        .await;
        match result {
            Ok(()) => Ok(Redirect::to(&format!("/c/surveys/{id}/{secret}")).into_response()),
            Err(e) => {
                let status = e.status();
                let problem = user_problem(e)?;
                Ok((
                    status,
                    render(&page(&state, &survey, &link, &secret, Some(problem)).await?)?,
                )
                    .into_response())
            }
        }
    };
    done.await.unwrap_or_else(page_error)
}
