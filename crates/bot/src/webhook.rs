//! The webhook runtime (feature `webhook`): an axum router that receives each delivery with
//! [`botwire_max::webhook::receive`] (the secret and content type checked from the headers before the body is
//! read, the body capped), de-duplicates redeliveries, puts the update in a bounded queue and answers `200` at
//! once — or `503` when the queue is full, so MAX delivers it again later. A delivery with the right secret
//! whose body is not an update is answered `200` and reported at WARN (MAX would redeliver it, broken, ten
//! times). [`Dispatcher::serve_webhook`] serves it with [`botwire_max::webhook::serve_with_shutdown`]:
//! header-read, body and request timeouts and a connection bound ([`WebhookOptions::server_limits`]).
//!
//! **Delivery guarantee:** an update is handled at most once per process after its `200` (a crash after the
//! `200` loses it: MAX does not redeliver acknowledged updates); a `503`, `4xx` or timeout makes MAX retry
//! (up to 10 times over 8 hours), and the dedup window drops a second copy of an update already accepted.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use botwire_core_types::max::Update;
use botwire_max::AsyncTransport;
use botwire_max::polling::StopHandle;
use botwire_max::webhook::{Delivery, ServerLimits, WebhookConfig, receive};
use http::{HeaderMap, StatusCode};
use tokio::sync::mpsc;

use crate::context::Api;
use crate::error::RunError;
use crate::runtime::{Dispatcher, RunSummary, Scheduler, update_identity};

/// Default capacity of the webhook queue (updates accepted but not yet given to a handler): 1,024.
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;
/// Default size of the in-memory dedup window: the last 10,000 update identities.
pub const DEFAULT_DEDUP_WINDOW: usize = 10_000;

/// Remembers which updates were accepted. A shared implementation (Redis `SET NX PX`) lets several replicas
/// behind one webhook URL drop each other's redeliveries.
#[async_trait::async_trait]
pub trait Dedup: Send + Sync + 'static {
    /// Records `id`; `true` if it was not seen before (handle it), `false` for a duplicate.
    async fn first_seen(&self, id: &str) -> bool;
    /// Forgets `id` (its delivery was refused with 503 and will come again).
    async fn forget(&self, id: &str);
}

/// A shared window: one `Arc` can back several webhook apps (and a test can read its counters).
#[async_trait::async_trait]
impl<D: Dedup + ?Sized> Dedup for Arc<D> {
    async fn first_seen(&self, id: &str) -> bool {
        (**self).first_seen(id).await
    }

    async fn forget(&self, id: &str) {
        (**self).forget(id).await
    }
}

/// The last `capacity` update identities, in memory.
#[derive(Debug)]
pub struct MemoryDedup {
    inner: Mutex<(HashSet<String>, VecDeque<String>)>,
    capacity: usize,
}

impl MemoryDedup {
    /// A window of `capacity` identities (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new((HashSet::new(), VecDeque::new())),
            capacity: capacity.max(1),
        }
    }
}

impl Default for MemoryDedup {
    fn default() -> Self {
        Self::new(DEFAULT_DEDUP_WINDOW)
    }
}

#[async_trait::async_trait]
impl Dedup for MemoryDedup {
    async fn first_seen(&self, id: &str) -> bool {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (set, order) = &mut *guard;
        if set.contains(id) {
            return false;
        }
        if order.len() >= self.capacity
            && let Some(old) = order.pop_front()
        {
            set.remove(&old);
        }
        set.insert(id.to_owned());
        order.push_back(id.to_owned());
        true
    }

    async fn forget(&self, id: &str) {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (set, order) = &mut *guard;
        if set.remove(id) {
            order.retain(|x| x != id);
        }
    }
}

/// Webhook settings: the delivery checks, the queue, the dedup window and the server's limits
/// ([`WebhookOptions::new`] and the builder methods).
#[non_exhaustive]
pub struct WebhookOptions {
    /// Secret and body cap.
    pub config: WebhookConfig,
    /// Queue capacity (default [`DEFAULT_QUEUE_CAPACITY`]).
    pub queue_capacity: usize,
    /// Dedup (default [`MemoryDedup`] of [`DEFAULT_DEDUP_WINDOW`]).
    pub dedup: Arc<dyn Dedup>,
    /// The server's timeouts and connection bound for [`Dispatcher::serve_webhook`] (default
    /// [`ServerLimits::default`]).
    pub server_limits: ServerLimits,
}

impl std::fmt::Debug for WebhookOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookOptions")
            .field("config", &self.config)
            .field("queue_capacity", &self.queue_capacity)
            .field("server_limits", &self.server_limits)
            .finish_non_exhaustive()
    }
}

impl WebhookOptions {
    /// Defaults around `config`.
    pub fn new(config: WebhookConfig) -> Self {
        Self {
            config,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            dedup: Arc::new(MemoryDedup::default()),
            server_limits: ServerLimits::default(),
        }
    }

    /// Sets the server's timeouts and connection bound.
    #[must_use]
    pub fn server_limits(mut self, limits: ServerLimits) -> Self {
        self.server_limits = limits;
        self
    }

    /// Sets the queue capacity (at least 1).
    #[must_use]
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n.max(1);
        self
    }

    /// Sets the dedup.
    #[must_use]
    pub fn dedup(mut self, dedup: impl Dedup) -> Self {
        self.dedup = Arc::new(dedup);
        self
    }
}

struct Shared {
    config: WebhookConfig,
    dedup: Arc<dyn Dedup>,
    queue: mpsc::Sender<Update>,
}

/// A running webhook pipeline: mount [`WebhookApp::router`] in your axum app (or use
/// [`Dispatcher::serve_webhook`]), then call [`WebhookApp::shutdown`] once the server stopped.
pub struct WebhookApp {
    router: axum::Router,
    queue: mpsc::Sender<Update>,
    capacity: usize,
    consumer: tokio::task::JoinHandle<RunSummary>,
    stop: StopHandle,
}

impl std::fmt::Debug for WebhookApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookApp")
            .field("queued", &self.queued())
            .finish_non_exhaustive()
    }
}

impl WebhookApp {
    /// The axum router: deliveries on `POST /`.
    pub fn router(&self) -> axum::Router {
        self.router.clone()
    }

    /// Updates accepted and waiting for a handler slot.
    pub fn queued(&self) -> usize {
        self.capacity - self.queue.capacity()
    }

    /// Stops taking updates from the queue after it is drained, waits for the handlers (within the
    /// dispatcher's shutdown deadline) and returns the summary. Call after the HTTP server stopped.
    pub async fn shutdown(self) -> RunSummary {
        self.stop.stop();
        drop(self.router);
        drop(self.queue);
        self.consumer.await.unwrap_or_default()
    }
}

impl Dispatcher {
    /// Builds the webhook pipeline on the async client (fetches `GET /me` once first). Needs a tokio runtime.
    pub async fn webhook_app<T: AsyncTransport + 'static>(
        self,
        client: botwire_max::Client<T>,
        options: WebhookOptions,
    ) -> Result<WebhookApp, RunError> {
        let api = Api::Async(Api::erase_async(client));
        let engine = Arc::new(self.engine);
        engine.ensure_bot_info(&api).await?;
        let (tx, mut rx) = mpsc::channel::<Update>(options.queue_capacity);
        let limit = options.config.get_max_body_bytes();
        let shared = Arc::new(Shared {
            config: options.config,
            dedup: options.dedup,
            queue: tx.clone(),
        });
        let router = axum::Router::new()
            .route("/", axum::routing::post(deliver))
            .layer(axum::extract::DefaultBodyLimit::max(
                limit.saturating_add(1),
            ))
            .with_state(shared);
        let stop = StopHandle::new();
        let deadline = engine.shutdown_deadline;
        let consumer = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let scheduler = Scheduler::new(engine, api);
                let mut received = 0u64;
                let mut dropped = 0usize;
                // Set when the stop is first seen: the end of the drain.
                let mut until: Option<tokio::time::Instant> = None;
                loop {
                    // Drain what was accepted before the stop: each of those got its 200.
                    let next = tokio::select! {
                        biased;
                        u = rx.recv() => u,
                        () = stop.stopped() => rx.try_recv().ok(),
                    };
                    let Some(update) = next else { break };
                    received += 1;
                    let submit = scheduler.submit(update);
                    tokio::pin!(submit);
                    if until.is_none() {
                        tokio::select! {
                            () = &mut submit => continue,
                            () = stop.stopped() => {
                                until = Some(tokio::time::Instant::now() + deadline);
                            }
                        }
                    }
                    let limit =
                        *until.get_or_insert_with(|| tokio::time::Instant::now() + deadline);
                    if tokio::time::timeout_at(limit, &mut submit).await.is_err() {
                        // No slot freed before the deadline: this update and the rest of the queue are dropped.
                        dropped += 1;
                        while rx.try_recv().is_ok() {
                            received += 1;
                            dropped += 1;
                        }
                        break;
                    }
                }
                let left = until.map_or(deadline, |u| {
                    u.saturating_duration_since(tokio::time::Instant::now())
                });
                let abandoned = scheduler.drain(left).await + dropped;
                RunSummary {
                    received,
                    abandoned,
                }
            })
        };
        Ok(WebhookApp {
            router,
            queue: tx,
            capacity: options.queue_capacity,
            consumer,
            stop,
        })
    }

    /// Serves the webhook on `listener` with [`botwire_max::webhook::serve_with_shutdown`] (header-read, body
    /// and request timeouts, a connection bound: [`WebhookOptions::server_limits`]) until `stop` fires, then
    /// drains (see [`WebhookApp::shutdown`]).
    pub async fn serve_webhook<T: AsyncTransport + 'static>(
        self,
        listener: tokio::net::TcpListener,
        client: botwire_max::Client<T>,
        options: WebhookOptions,
        stop: StopHandle,
    ) -> Result<RunSummary, RunError> {
        let limits = options.server_limits.clone();
        let app = self.webhook_app(client, options).await?;
        let signal = stop.clone();
        botwire_max::webhook::serve_with_shutdown(listener, app.router(), limits, async move {
            signal.stopped().await
        })
        .await?;
        Ok(app.shutdown().await)
    }
}

async fn deliver(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let update = match receive(&headers, body, &shared.config).await {
        Ok(Delivery::Update(update)) => update,
        Ok(Delivery::Malformed(bad)) => {
            tracing::warn!(
                bytes = bad.body.len(),
                error = %bad.error,
                "webhook delivery is not an update: acknowledged (200) and skipped"
            );
            return StatusCode::OK.into_response();
        }
        Ok(other) => {
            tracing::warn!(
                ?other,
                "webhook delivery of an unknown kind: acknowledged and skipped"
            );
            return StatusCode::OK.into_response();
        }
        Err(answer) => return answer,
    };
    let id = update_identity(&update);
    if !shared.dedup.first_seen(&id).await {
        tracing::debug!(update_id = %id, "duplicate delivery acknowledged");
        return StatusCode::OK.into_response();
    }
    match shared.queue.try_send(update) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(_) => {
            shared.dedup.forget(&id).await;
            tracing::warn!(update_id = %id, "webhook queue full: 503, MAX will redeliver");
            let retry = [(
                http::header::RETRY_AFTER,
                Duration::from_secs(1).as_secs().to_string(),
            )];
            (StatusCode::SERVICE_UNAVAILABLE, retry, "busy").into_response()
        }
    }
}
