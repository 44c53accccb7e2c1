//! The success plan as its customer contact sees it through a link: read it, comment, mark it
//! reviewed, approve it by typing their name. Each answer binds to the version on the page.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::plan::signature_matches;
use lodestar_domain::text::Note;
use lodestar_domain::vocabulary::LinkAction;
use lodestar_domain::{Invalid, PlanId};
use lodestar_store::{CommentAuthor, CustomerLink, LinkTarget, SignOffKind, SuccessPlan};

use super::{allowed, open};
use crate::AppState;
use crate::features::meetings::markdown;
use crate::features::meetings::web::FormFields;
use crate::http::auth::client_address;
use crate::http::error::ApiError;
use crate::http::pages::{render, user_problem};

/// The client address of a customer's request (they have no session to name them).
pub(crate) struct Client(pub(super) Option<String>);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Client(client_address(parts, state)))
    }
}

pub(crate) struct TacticLine {
    title: String,
    description_html: String,
    state: &'static str,
    due: String,
}

pub(crate) struct CommentLine {
    author: String,
    when: String,
    version: i64,
    body: String,
}

#[derive(Template)]
#[template(path = "customer/plan.html")]
struct PlanPage {
    base: String,
    account_name: String,
    contact_name: String,
    title: String,
    version: i64,
    state_label: &'static str,
    summary_html: String,
    tactics: Vec<TacticLine>,
    comments: Vec<CommentLine>,
    approved_by_you: Option<String>,
    can_comment: bool,
    can_review: bool,
    can_approve: bool,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "customer/gone.html")]
struct Gone;

/// A failure as the customer sees it: every link that does not open gets the same page.
pub(super) fn page_error(e: ApiError) -> Response {
    match e {
        ApiError::NotFound(_) => match render(&Gone) {
            Ok(html) => (StatusCode::NOT_FOUND, html).into_response(),
            Err(e) => e.into_response(),
        },
        other => other.into_response(),
    }
}

fn page(plan: &SuccessPlan, link: &CustomerLink, secret: &str, problem: Option<String>) -> PlanPage {
    let approved_by_you = plan
        .approval()
        .filter(|a| a.contact_id == link.contact_id)
        .map(|a| a.signed_at.format("%Y-%m-%d").to_string());
    let reviewed = plan
        .sign_offs
        .iter()
        .any(|s| s.version == plan.version && s.contact_id == link.contact_id);
    PlanPage {
        base: format!("/c/plans/{}/{secret}", plan.id),
        account_name: plan.account_name.clone(),
        contact_name: link.contact_name.clone(),
        title: plan.fields.title.to_string(),
        version: plan.version,
        state_label: plan.state.label(),
        summary_html: markdown::render(plan.fields.summary.as_str()),
        tactics: plan
            .tactics
            .iter()
            .map(|t| TacticLine {
                title: t.fields.title.to_string(),
                description_html: markdown::render(t.fields.description.as_str()),
                state: t.state.label(),
                due: t.fields.due_on.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect(),
        comments: plan
            .comments
            .iter()
            .map(|c| CommentLine {
                author: c.author.clone(),
                when: c.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                version: c.version,
                body: c.body.clone(),
            })
            .collect(),
        approved_by_you,
        can_comment: link.allows(LinkAction::Comment),
        can_review: link.allows(LinkAction::Review) && !reviewed,
        can_approve: link.allows(LinkAction::Approve),
        problem,
    }
}

async fn visit(
    state: &AppState,
    client: Client,
    plan: i64,
    secret: &str,
    what: &str,
) -> Result<(CustomerLink, SuccessPlan), ApiError> {
    let link = open(state, client.0, secret, LinkTarget::SuccessPlan(PlanId(plan)), what).await?;
    let plan = state.store.success_plan(PlanId(plan)).await?;
    Ok((link, plan))
}

/// `GET /c/plans/{plan}/{secret}`: the plan as it stands.
pub(crate) async fn show(
    State(state): State<AppState>,
    client: Client,
    Path((plan, secret)): Path<(i64, String)>,
) -> Response {
    let shown = async {
        let (link, plan) = visit(&state, client, plan, &secret, "opened the success plan").await?;
        render(&page(&plan, &link, &secret, None))
    };
    shown.await.map_or_else(page_error, IntoResponse::into_response)
}

/// After a customer's form: back to the plan, or the plan again with the problem named.
async fn answer(
    state: &AppState,
    link: &CustomerLink,
    plan: PlanId,
    secret: &str,
    result: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/c/plans/{plan}/{secret}")).into_response()),
        Err(e) => {
            let status = e.status();
            let problem = user_problem(e)?;
            let plan = state.store.success_plan(plan).await?;
            Ok((status, render(&page(&plan, link, secret, Some(problem)))?).into_response())
        }
    }
}

fn version_of(form: &FormFields) -> Result<i64, ApiError> {
    form.text("version")
        .parse()
        .map_err(|_| Invalid::field("version", "the page's version is missing: reload the page").into())
}

/// `POST …/comment`.
pub(crate) async fn comment(
    State(state): State<AppState>,
    client: Client,
    Path((plan, secret)): Path<(i64, String)>,
    body: Bytes,
) -> Response {
    let done = async {
        let (link, plan) = visit(&state, client, plan, &secret, "commented on the success plan").await?;
        let form = FormFields::parse(&body);
        let result = async {
            allowed(&link, LinkAction::Comment)?;
            let text = Note::parse(form.text("body")).map_err(|e| Invalid::field("body", e))?;
            state
                .store
                .comment_on_success_plan(plan.id, CommentAuthor::Contact(link.contact_id), text)
                .await?;
            Ok(())
        }
        .await;
        answer(&state, &link, plan.id, &secret, result).await
    };
    done.await.unwrap_or_else(page_error)
}

/// `POST …/review`.
pub(crate) async fn review(
    State(state): State<AppState>,
    client: Client,
    Path((plan, secret)): Path<(i64, String)>,
    body: Bytes,
) -> Response {
    sign_off(state, client, plan, secret, body, SignOffKind::Reviewed).await
}

/// `POST …/approve`: the typed name must be the contact's own.
pub(crate) async fn approve(
    State(state): State<AppState>,
    client: Client,
    Path((plan, secret)): Path<(i64, String)>,
    body: Bytes,
) -> Response {
    sign_off(state, client, plan, secret, body, SignOffKind::Approved).await
}

async fn sign_off(
    state: AppState,
    client: Client,
    plan: i64,
    secret: String,
    body: Bytes,
    kind: SignOffKind,
) -> Response {
    let what = match kind {
        SignOffKind::Reviewed => "marked the success plan reviewed",
        SignOffKind::Approved => "approved the success plan",
    };
    let done = async {
        let (link, plan) = visit(&state, client, plan, &secret, what).await?;
        let form = FormFields::parse(&body);
        let result = async {
            let version = version_of(&form)?;
            let signature = match kind {
                SignOffKind::Reviewed => {
                    allowed(&link, LinkAction::Review)?;
                    ""
                }
                SignOffKind::Approved => {
                    allowed(&link, LinkAction::Approve)?;
                    let typed = form.text("signature");
                    if !signature_matches(typed, &link.contact_name) {
                        return Err(Invalid::field(
                            "signature",
                            format!("type your full name as we have it ({}) to approve", link.contact_name),
                        )
                        .into());
                    }
                    typed.trim()
                }
            };
            state
                .store
                .sign_off_success_plan(plan.id, version, &link, kind, signature)
                .await?;
            Ok(())
        }
        .await;
        answer(&state, &link, plan.id, &secret, result).await
    };
    done.await.unwrap_or_else(page_error)
}
