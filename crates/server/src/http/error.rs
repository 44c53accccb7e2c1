//! Every failure of a request becomes one `application/problem+json` answer (RFC 9457) here,
//! and nowhere else, naming the field and the reason where there is one.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lodestar_domain::{FieldError, Invalid};
use lodestar_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub enum ApiError {
    /// The request could not be read: malformed JSON, an unknown field, a wrong type.
    BadRequest {
        field: Option<String>,
        reason: String,
    },
    /// The request was read but breaks a rule of the record.
    Invalid(Invalid),
    Unauthenticated,
    Forbidden(&'static str),
    NotFound(String),
    Conflict(String),
    UnsupportedMediaType,
    /// The path exists but not with this method (the router adds the `Allow` header).
    MethodNotAllowed(axum::http::Method),
    /// An event source sent no live write key.
    NoWriteKey,
    /// The server is saturated; the client should retry after this many seconds.
    Busy(u32),
    /// This client made too many requests; it may try again after this many seconds.
    TooManyRequests(u32),
    Internal(String),
}

/// A problem detail (RFC 9457) as this API writes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status code says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// One entry per field at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// The problems a reading endpoint answers with, for its OpenAPI description.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its OpenAPI description is used
pub enum ReadProblems {
    #[response(
        status = 400,
        description = "A malformed id or query parameter",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Not signed in",
        content_type = "application/problem+json"
    )]
    Unauthenticated(Problem),
    #[response(
        status = 403,
        description = "The caller may not read this (admins only, or another CSM's book)",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No such record",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 422,
        description = "A query parameter out of its range, named in `errors`",
        content_type = "application/problem+json"
    )]
    Invalid(Problem),
}

/// The problems a creating or replacing endpoint answers with.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its OpenAPI description is used
pub enum WriteProblems {
    #[response(
        status = 400,
        description = "Malformed JSON, an unknown field or a malformed id",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Not signed in",
        content_type = "application/problem+json"
    )]
    Unauthenticated(Problem),
    #[response(
        status = 403,
        description = "The caller may not make this change",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No such record",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 409,
        description = "The external id or email is taken",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    #[response(status = 415, description = "Not JSON", content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    #[response(
        status = 422,
        description = "A field breaks a rule",
        content_type = "application/problem+json"
    )]
    Invalid(Problem),
}

/// The problems a deleting endpoint answers with.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its OpenAPI description is used
pub enum DeleteProblems {
    #[response(
        status = 400,
        description = "A malformed id",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Not signed in",
        content_type = "application/problem+json"
    )]
    Unauthenticated(Problem),
    #[response(
        status = 403,
        description = "The caller may not delete this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No such record",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 409,
        description = "Other records still depend on it",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub reason: String,
}

impl ApiError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated | ApiError::NoWriteKey => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem's detail: what a form shows above its fields.
    pub fn message(self) -> String {
        self.problem().detail
    }

    fn problem(self) -> Problem {
        let status = self.status();
        let (detail, errors) = match self {
            ApiError::BadRequest { field, reason } => match field {
                Some(field) => (format!("{field}: {reason}"), vec![ProblemField { field, reason }]),
                None => (reason, vec![]),
            },
            ApiError::Invalid(invalid) => (
                invalid.to_string(),
                invalid
                    .errors
                    .into_iter()
                    .map(|FieldError { field, reason }| ProblemField {
                        field: field.to_owned(),
                        reason,
                    })
                    .collect(),
            ),
            ApiError::Unauthenticated => (
                "sign in, or send an API token as `Authorization: Bearer …`".to_owned(),
                vec![],
            ),
            ApiError::NoWriteKey => (
                "send a live write key (`lodestar writekey create`) as the HTTP Basic user name".to_owned(),
                vec![],
            ),
            ApiError::Busy(seconds) => (
                format!("the server is saturated; nothing from this request was stored: retry in {seconds} s"),
                vec![],
            ),
            ApiError::TooManyRequests(seconds) => (format!("too many requests: try again in {seconds} s"), vec![]),
            ApiError::Forbidden(why) => (why.to_owned(), vec![]),
            ApiError::NotFound(what) | ApiError::Conflict(what) => (what, vec![]),
            ApiError::UnsupportedMediaType => ("send the body as `Content-Type: application/json`".to_owned(), vec![]),
            ApiError::MethodNotAllowed(method) => (
                format!("this path does not answer {method}; the Allow header lists the methods it does"),
                vec![],
            ),
            ApiError::Internal(_) => ("the server failed; the error was logged".to_owned(), vec![]),
        };
        Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail,
            errors,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(i) => ApiError::Invalid(i),
            StoreError::NotFound { what, key } => ApiError::NotFound(format!("{what} {key} does not exist")),
            StoreError::Conflict(why) => ApiError::Conflict(why),
            StoreError::BadCursor => ApiError::BadRequest {
                field: Some("cursor".into()),
                reason: e.to_string(),
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// A query string that does not fit its parameters: 400 with serde's reason.
impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::BadRequest {
            field: None,
            reason: e.body_text(),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(i: Invalid) -> Self {
        ApiError::Invalid(i)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(why) = &self {
            tracing::error!(error = %why, "internal error");
        }
        let challenge = match self {
            ApiError::Unauthenticated => Some("Bearer"),
            ApiError::NoWriteKey => Some("Basic realm=\"Lodestar event ingestion\""),
            _ => None,
        };
        let retry_after = match self {
            ApiError::Busy(seconds) | ApiError::TooManyRequests(seconds) => Some(seconds),
            _ => None,
        };

        let status = self.status();
        let body = serde_json::to_vec(&self.problem()).expect("a problem serialises");
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(challenge) = challenge {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The router answers a wrong method with a bare 405: this turns it into a problem like
/// every other error. (The router adds its `Allow` header afterwards, on the way out.)
pub(crate) async fn method_not_allowed_as_problem(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED && !response.headers().contains_key(header::CONTENT_TYPE) {
        return ApiError::MethodNotAllowed(method).into_response();
    }
    response
}
