//! `GET /metrics` in the Prometheus (OpenMetrics) text format: requests by route and status
//! with their latency, the ingestion pipeline's depth and the events it stored, background
//! jobs by state, and how long the last daily health rescore took. Counters live in memory
//! (per process); the job figures are read from the database at each scrape, so every
//! instance reports the same.

use std::sync::atomic::AtomicU64;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use lodestar_domain::vocabulary::{Role, TokenScope};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::http::auth::{bearer_token, token_hash};
use crate::http::error::ApiError;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern (`/api/v1/accounts/{id}`), never the path: ids would make every
    /// request a series of its own.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// The process's metrics. Cheap to clone: every part is shared.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    ingest_queued: Gauge,
    ingest_in_memory: Gauge,
    usage_blocks_pending: Gauge,
    usage_apply_lag_seconds: Gauge<f64, AtomicU64>,
    usage_accounts_unsettled: Gauge,
    jobs: Family<StateLabels, Gauge>,
    rescore_seconds: Gauge<f64, AtomicU64>,
}

impl Metrics {
    /// The metrics, with `events_stored` (the ingestion writer's counter) among them.
    pub fn new(events_stored: Counter) -> Metrics {
        let mut registry = Registry::with_prefix("lodestar");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 1 ms to ~16 s.
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route",
            latency.clone(),
        );
        registry.register("events_stored", "Usage events committed by ingestion", events_stored);
        let ingest_queued = Gauge::default();
        registry.register(
            "ingest_queue_depth",
            "Ingestion requests waiting for the writer",
            ingest_queued.clone(),
        );
        let ingest_in_memory = Gauge::default();
        registry.register(
            "ingest_requests_in_memory",
            "Ingestion requests held from reading their body until their commit",
            ingest_in_memory.clone(),
        );
        let usage_blocks_pending = Gauge::default();
        registry.register(
            "usage_blocks_pending",
            "Blocks of events acknowledged and not yet applied to the rollups and scores",
            usage_blocks_pending.clone(),
        );
        let usage_apply_lag_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "usage_apply_lag_seconds",
            "Age of the oldest acknowledged block not yet applied (0 when none waits)",
            usage_apply_lag_seconds.clone(),
        );
        let usage_accounts_unsettled = Gauge::default();
        registry.register(
            "usage_accounts_unsettled",
            "Accounts whose applied usage is not yet in their milestones and score",
            usage_accounts_unsettled.clone(),
        );
        let jobs = Family::<StateLabels, Gauge>::default();
        registry.register("jobs", "Background jobs by state", jobs.clone());
        let rescore_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "health_recompute_seconds",
            "Wall time of the last finished daily health rescore",
            rescore_seconds.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            ingest_queued,
            ingest_in_memory,
            usage_blocks_pending,
            usage_apply_lag_seconds,
            usage_accounts_unsettled,
            jobs,
            rescore_seconds,
        }
    }

    /// Counts one answered request.
    pub(crate) fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// The text a scrape gets: the figures read now, then everything encoded.
    async fn render(&self, state: &AppState) -> Result<String, ApiError> {
        let (queued, in_memory) = state.ingestor.load();
        self.ingest_queued.set(queued as i64);
        self.ingest_in_memory.set(in_memory as i64);
        let backlog = state.store.usage_backlog().await?;
        self.usage_blocks_pending.set(backlog.blocks);
        self.usage_accounts_unsettled.set(backlog.unsettled_accounts);
        self.usage_apply_lag_seconds.set(backlog.oldest.map_or(0.0, |oldest| {
            (state.store.now() - oldest).num_milliseconds().max(0) as f64 / 1000.0
        }));
        let counts = state.store.job_counts().await?;
        for (label, n) in [
            ("queued", counts.queued),
            ("running", counts.running),
            ("done", counts.done),
            ("failed", counts.failed),
        ] {
            self.jobs
                .get_or_create(&StateLabels { state: label })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        if let Some(job) = state.store.last_done_job(crate::jobs::daily_rescore::KIND).await?
            && let (Some(started), Some(finished)) = (job.started_at, job.finished_at)
        {
            self.rescore_seconds
                .set((finished - started).num_milliseconds() as f64 / 1000.0);
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|e| ApiError::Internal(format!("encoding metrics: {e}")))?;
        Ok(text)
    }
}

fn scrape_answer(text: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// `GET /metrics` on the main address: for a token of the `metrics` scope, or an admin's.
pub(crate) async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let secret = bearer_token(&headers).ok_or(ApiError::Unauthenticated)?;
    let caller = state
        .store
        .token_caller(&token_hash(secret))
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if caller.scope != TokenScope::Metrics && caller.role != Role::Admin {
        return Err(ApiError::Forbidden("metrics need a token of the metrics scope"));
    }
    Ok(scrape_answer(state.metrics.render(&state).await?))
}

/// The router of the separate metrics address (`serve --metrics-listen`): `/metrics` without
/// a token, for a Prometheus on a private network.
pub fn private_router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(|State(state): State<AppState>| async move {
                state.metrics.render(&state).await.map(scrape_answer)
            }),
        )
        .with_state(state)
}
