//! Segment-compatible event ingestion (F-10): `POST /v1/{identify,track,group,page,screen,
//! alias,batch}` with the write key as the HTTP Basic user name, so Segment and RudderStack
//! clients work with only their host changed.
//!
//! A request is answered 200 only after its messages are committed: their keys, their block
//! and the block's place in the queue that the follower applies (see [`super::follower`]).
//! Requests are written by one writer task that commits whatever has queued up in one
//! transaction (group commit): one disk flush serves many requests. The requests in memory — from reading their body until
//! their commit — are bounded, and so is the writer's queue; past them the answer is 503 with
//! `Retry-After`, so memory stays bounded under any load and the client keeps its events to
//! send again.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use lodestar_domain::usage::{Batch, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, Message, MessageKind, Refusal};
use lodestar_store::{IngestSummary, Store, StoreError};
use prometheus_client::metrics::counter::Counter;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use super::follower::Follower;

use crate::AppState;
use crate::http::auth::token_hash;
use crate::http::error::ApiError;

/// Requests whose bodies (each at most 500 KB) and parsed messages may be in memory at once:
/// a request holds its permit from before its body is read until its messages are committed.
const READING: usize = 128;
/// Requests read and waiting for the writer.
const QUEUED: usize = 256;
/// Seconds a saturated server asks clients to wait.
const RETRY_AFTER: u32 = 1;

struct Job {
    messages: Vec<Message>,
    done: oneshot::Sender<Result<IngestSummary, StoreError>>,
}

/// The handle handlers use to have messages stored.
#[derive(Clone)]
pub struct Ingestor {
    queue: mpsc::Sender<Job>,
    reading: Arc<Semaphore>,
    reading_limit: usize,
    events_stored: Counter,
}

impl Ingestor {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Store) -> Ingestor {
        Ingestor::with_limits(store, READING, QUEUED)
    }

    /// Like [`Ingestor::start`] with other bounds: at most `reading` request bodies in
    /// memory and `queued` requests waiting for the writer.
    pub fn with_limits(store: Store, reading: usize, queued: usize) -> Ingestor {
        let (queue, jobs) = mpsc::channel(queued.max(1));
        let events_stored = Counter::default();
        let follower = super::follower::start(store.clone());
        tokio::spawn(write_jobs(store, jobs, events_stored.clone(), follower));
        Ingestor {
            queue,
            reading: Arc::new(Semaphore::new(reading)),
            reading_limit: reading,
            events_stored,
        }
    }

    /// The count of events committed, for the metrics.
    pub fn events_stored(&self) -> Counter {
        self.events_stored.clone()
    }

    /// How many requests wait for the writer, and how many are held in memory.
    pub(crate) fn load(&self) -> (usize, usize) {
        (
            self.queue.max_capacity() - self.queue.capacity(),
            self.reading_limit - self.reading.available_permits(),
        )
    }

    /// Stores `messages`, returning once they are committed.
    async fn store(&self, messages: Vec<Message>) -> Result<IngestSummary, ApiError> {
        let (done, committed) = oneshot::channel();
        self.queue
            .try_send(Job { messages, done })
            .map_err(|_| ApiError::Busy(RETRY_AFTER))?;
        match committed.await {
            Ok(Ok(summary)) => Ok(summary),
            // The messages passed every rule, so a failure to store them is the database's
            // (busy, unreachable, a race with another instance): worth a retry, which 503 asks
            // Segment clients for. A 4xx would make them drop the events.
            Ok(Err(e)) => {
                tracing::error!(error = %e, "storing events failed; the client is asked to retry");
                Err(ApiError::Busy(RETRY_AFTER))
            }
            Err(_) => Err(ApiError::Internal("the event writer stopped".into())),
        }
    }
}

/// Commits queued jobs together, then wakes the follower; when a group fails, each of its jobs
/// is tried alone so one request's failure is not another's.
async fn write_jobs(store: Store, mut jobs: mpsc::Receiver<Job>, stored: Counter, follower: Arc<Follower>) {
    let mut group = Vec::new();
    loop {
        // Before taking more: what waits meanwhile fills the queue, and past it is refused.
        follower.keep_up().await;
        if jobs.recv_many(&mut group, QUEUED).await == 0 {
            break;
        }
        // The jobs' messages moved into one list; each job keeps its range of it for a retry.
        let mut all = Vec::new();
        let mut ranges = Vec::with_capacity(group.len());
        let mut waiting = Vec::with_capacity(group.len());
        for job in group.drain(..) {
            let start = all.len();
            all.extend(job.messages);
            ranges.push(start..all.len());
            waiting.push(job.done);
        }
        let count = |result: Result<IngestSummary, StoreError>| {
            if let Ok(summary) = &result {
                stored.inc_by(summary.stored as u64);
                follower.committed(summary.stored);
            }
            result
        };
        match count(store.append_events(&all).await) {
            Ok(summary) => {
                for done in waiting {
                    let _ = done.send(Ok(summary));
                }
            }
            Err(e) if waiting.len() == 1 => {
                let _ = waiting.pop().expect("one job").send(Err(e));
            }
            Err(_) => {
                for (done, range) in waiting.into_iter().zip(ranges) {
                    let _ = done.send(count(store.append_events(&all[range]).await));
                }
            }
        }
    }
}

pub(crate) fn router() -> Router<AppState> {
    let mut router = Router::new().route("/v1/batch", post(batch));
    for kind in MessageKind::ALL {
        router = router.route(
            &format!("/v1/{}", kind.as_str()),
            post(move |state: State<AppState>, request: Request| single(state, request, kind)),
        );
    }
    router
}

/// The write key from `Authorization: Basic base64(key:)`, checked against the store.
async fn check_write_key(store: &Store, headers: &HeaderMap) -> Result<(), ApiError> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic ").or_else(|| h.strip_prefix("basic ")))
        .and_then(|b64| STANDARD.decode(b64.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|user_pass| user_pass.split(':').next().unwrap_or_default().to_owned())
        .filter(|k| !k.is_empty())
        .ok_or(ApiError::NoWriteKey)?;
    if store.write_key_is_live(&token_hash(&key)).await? {
        Ok(())
    } else {
        Err(ApiError::NoWriteKey)
    }
}

/// Admits one request into memory, or refuses it at once with 503 when as many as allowed
/// are already held. The permit must live until the request's messages are committed: a body
/// (and what is parsed from it) outlives its reading while it waits for the writer.
fn admit(ingestor: &Ingestor) -> Result<OwnedSemaphorePermit, ApiError> {
    ingestor
        .reading
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Busy(RETRY_AFTER))
}

/// Reads a body of at most `limit` bytes (after gunzipping one sent with
/// `Content-Encoding: gzip`, an option of Segment's clients).
async fn read_body(headers: &HeaderMap, body: Body, limit: usize, what: &str) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::BadRequest {
        field: None,
        reason: format!(
            "{what} is larger than {limit} bytes ({} KB), the most Segment allows",
            limit / 1024
        ),
    };
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| too_large())?;
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("identity") => Ok(bytes.to_vec()),
        Some("gzip") => {
            use std::io::Read;
            let mut json = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .take(limit as u64 + 1)
                .read_to_end(&mut json)
                .map_err(|e| ApiError::BadRequest {
                    field: None,
                    reason: format!("the gzip body cannot be read: {e}"),
                })?;
            if json.len() > limit {
                return Err(too_large());
            }
            Ok(json)
        }
        Some(other) => Err(ApiError::BadRequest {
            field: None,
            reason: format!("Content-Encoding {other:?} is not supported; send plain or gzip JSON"),
        }),
    }
}

fn refused(index: Option<usize>, refusal: Refusal) -> ApiError {
    let field = match index {
        Some(i) => format!("batch[{i}].{}", refusal.field),
        None => refusal.field.to_owned(),
    };
    ApiError::BadRequest {
        field: Some(field),
        reason: refusal.reason,
    }
}

fn text(bytes: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(bytes).map_err(|_| ApiError::BadRequest {
        field: None,
        reason: "the body is not UTF-8 JSON".into(),
    })
}

fn new_message_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "lodestar-{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn success() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "success": true }))
}

async fn single(
    State(state): State<AppState>,
    request: Request,
    kind: MessageKind,
) -> Result<impl IntoResponse, ApiError> {
    let (parts, body) = request.into_parts();
    check_write_key(&state.store, &parts.headers).await?;
    let _admitted = admit(&state.ingestor)?;
    let body = read_body(&parts.headers, body, MAX_MESSAGE_BYTES, "a call").await?;
    let message =
        Message::parse(text(&body)?, Some(kind), state.store.now(), new_message_id).map_err(|r| refused(None, r))?;
    state.ingestor.store(vec![message]).await?;
    Ok(success())
}

fn parse_batch(body: &str, received_at: DateTime<Utc>) -> Result<Vec<Message>, ApiError> {
    let batch: Batch = serde_json::from_str(body).map_err(|e| ApiError::BadRequest {
        field: Some("batch".into()),
        reason: e.to_string(),
    })?;
    batch
        .batch
        .iter()
        .enumerate()
        .map(|(i, raw)| Message::parse(raw.get(), None, received_at, new_message_id).map_err(|r| refused(Some(i), r)))
        .collect()
}

/// Every message of a batch must pass, or nothing from it is stored: the client then knows
/// exactly what to fix and resend.
async fn batch(State(state): State<AppState>, request: Request) -> Result<impl IntoResponse, ApiError> {
    let (parts, body) = request.into_parts();
    check_write_key(&state.store, &parts.headers).await?;
    let _admitted = admit(&state.ingestor)?;
    let body = read_body(&parts.headers, body, MAX_BATCH_BYTES, "a batch").await?;
    let messages = parse_batch(text(&body)?, state.store.now())?;
    drop(body);
    state.ingestor.store(messages).await?;
    Ok(success())
}
