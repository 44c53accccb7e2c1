//! Lodestar's HTTP server: the JSON API under `/api/v1` with its OpenAPI document, and the
//! health check. The server keeps no state of its own — every request reads and writes the
//! database — so any number of instances can share one PostgreSQL.

pub mod config;
mod features;
mod http;
pub mod jobs;
pub mod metrics;
pub mod password;

pub use config::ServerConfig;
pub use features::notify::digest;
pub use features::revenue::ops as revenue;
pub use features::usage::ingest;
pub use http::{auth, error};

use std::future::Future;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use lodestar_store::Store;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::http::error::ApiError;

/// What every handler shares: the store (a pool of database connections) and the event
/// writer, which holds messages only until they are committed.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub ingestor: ingest::Ingestor,
    pub config: std::sync::Arc<ServerConfig>,
    pub metrics: std::sync::Arc<metrics::Metrics>,
    /// Throttles customer-link requests per client address.
    pub customer_links: std::sync::Arc<features::customer::LinkLimiter>,
}

impl AppState {
    /// The state of a server on `store`: its ingestion writer, its metrics, `config`.
    pub fn new(store: Store, ingestor: ingest::Ingestor, config: ServerConfig) -> AppState {
        AppState {
            metrics: std::sync::Arc::new(metrics::Metrics::new(ingestor.events_stored())),
            ingestor,
            store,
            customer_links: std::sync::Arc::new(features::customer::LinkLimiter::new(
                config.customer_link_requests_per_minute,
            )),
            config: std::sync::Arc::new(config),
        }
    }
}

impl AppState {
    /// Appends to the audit log what `origin` did.
    pub(crate) async fn audit(
        &self,
        origin: &http::auth::Origin,
        kind: lodestar_domain::vocabulary::AuditKind,
        subject: Option<String>,
        detail: impl Into<String>,
    ) -> Result<(), ApiError> {
        Ok(self.store.audit(&origin.record(kind, subject, detail)).await?)
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Lodestar API", description = "Customer success records: accounts, contacts, contracts, the team, product usage, health and risk, revenue retention, goals and value, LxL reviews, churn retrospectives and notifications."),
    modifiers(&BearerAuth),
    // Every error answer refers to these; listed here so the references resolve.
    components(schemas(error::Problem, error::ProblemField)),
    tags((name = "accounts"), (name = "contacts"), (name = "contracts"), (name = "users"), (name = "usage"), (name = "health"), (name = "goals"), (name = "risk"), (name = "revenue"), (name = "milestones"), (name = "lxl"), (name = "churn"), (name = "jobs"), (name = "audit"), (name = "notifications"), (name = "search"), (name = "plans"), (name = "playbooks"), (name = "reviews"), (name = "renewals"), (name = "capacity"), (name = "one-on-ones"), (name = "segmentation"), (name = "coverage"), (name = "champions"), (name = "sprints"), (name = "triggers"), (name = "surveys"), (name = "tickets"), (name = "requests"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("lst_…")
                    .build(),
            ),
        );
    }
}

/// Each feature's API routes with their OpenAPI descriptions.
fn api_modules() -> Vec<OpenApiRouter<AppState>> {
    features::api_routers()
}

/// The API routes, each with its OpenAPI description.
fn api_router() -> OpenApiRouter<AppState> {
    api_modules()
        .into_iter()
        .fold(OpenApiRouter::with_openapi(ApiDoc::openapi()), OpenApiRouter::merge)
}

/// The application: the web UI, the API and its OpenAPI document, event ingestion, the
/// health check.
pub fn app(store: Store, config: ServerConfig) -> Router {
    app_with(state(store, config))
}

/// The state [`app`] runs on: `store` sending messages as `config` says, and a fresh
/// ingestion writer for it.
pub fn state(store: Store, config: ServerConfig) -> AppState {
    let store = store.with_outbox(config.outbox());
    AppState::new(store.clone(), ingest::Ingestor::start(store), config)
}

/// [`app`] with a given state (tests use it to set the ingestion bounds).
pub fn app_with(state: AppState) -> Router {
    let (api, doc) = api_router().split_for_parts();
    let doc = serde_json::to_string_pretty(&doc).expect("the OpenAPI document serialises");
    api.route(
        "/api/v1/openapi.json",
        get(move || async move { ([(header::CONTENT_TYPE, "application/json")], doc) }),
    )
    .route("/healthz", get(healthz))
    .route("/metrics", get(metrics::scrape))
    .route("/assets/{name}", get(http::assets::serve))
    .merge(features::web_router())
    .fallback(|| async { ApiError::NotFound("no such page or endpoint".into()) })
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        http::pages::keep_flash,
    ))
    .layer(axum::middleware::from_fn(http::error::method_not_allowed_as_problem))
    .layer(axum::middleware::from_fn(http::guard::csrf_guard))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        http::request_log::request_log,
    ))
    .layer(axum::middleware::from_fn(run_to_completion))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        http::guard::security_headers,
    ))
    .with_state(state)
}

/// Runs each request on its own task, so a client that disconnects mid-request cannot cancel
/// the handler between a database transaction's steps. (A cancelled `BEGIN` can leave a
/// pooled SQLite connection inside a transaction nobody owns: sqlx then refuses every later
/// `BEGIN IMMEDIATE` on it.)
async fn run_to_completion(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        Err(e) => ApiError::Internal(format!("request task failed: {e}")).into_response(),
    }
}

/// Answers 200 when the database answers.
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.store.schema_version().await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// Serves until `shutdown` completes, then finishes the requests in flight and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics_listener: Option<tokio::net::TcpListener>,
    store: Store,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    match &config.mail {
        Some(mail) => tracing::info!(smtp = %mail.shown_as, from = %mail.from, "email is sent through the SMTP server"),
        None => tracing::info!("email is off (LODESTAR_SMTP_URL is not set): notifications go to webhooks only"),
    }
    let state = state(store, config);
    let runner = jobs::Runner::start(
        state.store.clone(),
        jobs::JobKinds::standard(&state.config),
        jobs::RunnerConfig::default(),
    );
    if let Some(listener) = metrics_listener {
        let private = metrics::private_router(state.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, private).await {
                tracing::error!(error = %e, "the metrics address stopped");
            }
        });
    }
    // The peer address reaches handlers for sign-in throttling and the audit log.
    let service = app_with(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
    runner.stop().await;
    served
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Two schemas of one name in different modules: the merged document silently keeps one,
    /// and the other module's endpoints are described with the wrong shape (it happened once
    /// with `ChangeOutput`; schemathesis caught it).
    #[test]
    fn every_schema_name_means_one_shape() {
        let mut seen: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        let mut clashes = Vec::new();
        for module in api_modules() {
            let (_, doc) = module.split_for_parts();
            for (name, schema) in doc.components.map(|c| c.schemas).unwrap_or_default() {
                let shape = serde_json::to_value(&schema).expect("a schema serialises");
                match seen.get(&name) {
                    Some(other) if *other != shape => clashes.push(name),
                    Some(_) => {}
                    None => {
                        seen.insert(name, shape);
                    }
                }
            }
        }
        assert!(seen.len() > 20, "the modules describe their schemas");
        assert!(
            clashes.is_empty(),
            "schema names used for different shapes: {clashes:?}"
        );
    }
}
