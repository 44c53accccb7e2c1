//! The QBR pack as the customer's attendees open it through a link: one self-contained,
//! printable page (its style inline, no script, nothing fetched from elsewhere), showing the
//! pack as it was frozen when shared.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lodestar_domain::MeetingId;
use lodestar_domain::qbr::QbrPack;
use lodestar_store::LinkTarget;

use super::open;
use super::plan::{Client, page_error};
use crate::AppState;
use crate::features::meetings::markdown;
use crate::http::error::ApiError;
use crate::http::pages::render;

/// The pack's whole style, inline so that the page stands alone when saved or printed.
const PACK_STYLE: &str = "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2330;margin:0;background:#fff}\
main{max-width:52rem;margin:0 auto;padding:2rem 1.5rem}h1{font-size:1.8rem;margin:.2rem 0}\
h2{font-size:1.15rem;margin:1.8rem 0 .5rem;border-bottom:2px solid #e3e7ef;padding-bottom:.25rem}\
h3{font-size:1rem;margin:1rem 0 .3rem}.kicker{text-transform:uppercase;letter-spacing:.06em;color:#3b5bdb;font-weight:600;margin:0}\
.muted{color:#5b6475}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e3e7ef;vertical-align:top}\
th{font-size:.85rem;color:#5b6475}small{color:#a23b16}\
@media print{body{font-size:11pt}main{padding:0;max-width:none}section{break-inside:avoid}h2{break-after:avoid}}";

/// The pack's policy: nothing loads, nothing runs; its one style applies by its hash.
static PACK_POLICY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(PACK_STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src data:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
    )
});

#[derive(Template)]
#[template(path = "customer/pack.html")]
pub(crate) struct PackPage {
    pub(crate) style: &'static str,
    pub(crate) pack: QbrPack,
    pub(crate) kind: &'static str,
    pub(crate) summary_html: String,
    pub(crate) shared_on: String,
    /// Who it is shown to: the contact of the link, or our own preview.
    pub(crate) reader: String,
}

impl PackPage {
    pub(crate) fn of(pack: QbrPack, shared_at: chrono::DateTime<chrono::Utc>, reader: String) -> PackPage {
        PackPage {
            style: PACK_STYLE,
            kind: pack.kind.label(),
            summary_html: markdown::render(&pack.summary),
            shared_on: shared_at.format("%Y-%m-%d").to_string(),
            pack,
            reader,
        }
    }

    /// The page with the policy that lets its inline style (and nothing else) apply.
    pub(crate) fn response(&self) -> Result<Response, ApiError> {
        let csp = HeaderValue::from_str(&PACK_POLICY).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(([(header::CONTENT_SECURITY_POLICY, csp)], render(self)?).into_response())
    }
}

/// `GET /c/packs/{meeting}/{secret}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    client: Client,
    Path((meeting, secret)): Path<(i64, String)>,
) -> Response {
    let shown = async {
        let meeting = MeetingId(meeting);
        let link = open(
            &state,
            client.0,
            &secret,
            LinkTarget::ReviewPack(meeting),
            "opened the QBR pack",
        )
        .await?;
        let shared = state
            .store
            .review_pack(meeting)
            .await?
            .ok_or_else(|| ApiError::NotFound("no pack".into()))?;
        PackPage::of(shared.pack, shared.shared_at, link.contact_name).response()
    };
    shown.await.map_or_else(page_error, IntoResponse::into_response)
}
