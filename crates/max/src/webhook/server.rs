//! The axum side of webhooks: the delivery router and a hardened HTTP/1 server for any axum router.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use botwire_core_types::max::Update;
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;
use tower_http::timeout::{RequestBodyTimeout, Timeout, TimeoutError};

use super::{Delivery, WebhookConfig, check_headers, parse_body};

struct Shared<H> {
    config: WebhookConfig,
    handler: H,
}

/// An axum router that accepts deliveries on `POST /` and hands each update to `handler`.
///
/// It is [`delivery_router`] for bots that only want updates: a delivery with the right secret whose body is
/// not an update is answered `200` (so MAX does not redeliver it) and logged at WARN with where decoding broke;
/// use [`delivery_router`] to receive such bodies. Serve it with [`serve`] (or mount it with `Router::nest`).
///
/// ```no_run
/// use botwire_max::webhook::{router, serve, ServerLimits, WebhookConfig};
///
/// # async fn run() -> std::io::Result<()> {
/// let app = router(WebhookConfig::with_secret("my_secret"), |update| async move {
///     println!("got {}", update.kind());
/// });
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
/// serve(listener, app, ServerLimits::default()).await
/// # }
/// ```
pub fn router<H, F>(config: WebhookConfig, handler: H) -> axum::Router
where
    H: Fn(Update) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let handler = Arc::new(handler);
    delivery_router(config, move |delivery| {
        let handler = handler.clone();
        async move {
            match delivery {
                Delivery::Update(update) => handler(update).await,
                Delivery::Malformed(malformed) => tracing::warn!(
                    bytes = malformed.body.len(),
                    error = %malformed.error,
                    "webhook delivery is not an update; answered 200 so MAX does not redeliver it \
                     (webhook::delivery_router hands such bodies to the bot)"
                ),
            }
        }
    })
}

/// An axum router that accepts deliveries on `POST /` and hands each one, update or malformed body, to
/// `handler`.
///
/// The headers are checked first ([`check_headers`]): a missing, wrong or duplicated secret is answered `401`
/// without reading the body, a non-JSON `Content-Type` `415`, an announced or actual body above the cap `413`.
/// Then the body is read (up to the cap) and decoded ([`parse_body`]); an update **or a malformed body** is
/// answered `200` at once and the handler runs on a spawned task, after the answer went out. Other methods get
/// `405`. A body that stalls (see [`ServerLimits::body_timeout`]) is answered `408` when served with [`serve`].
/// Needs a tokio runtime.
///
/// ```no_run
/// use botwire_max::webhook::{delivery_router, serve, Delivery, ServerLimits, WebhookConfig};
///
/// # async fn run() -> std::io::Result<()> {
/// let app = delivery_router(WebhookConfig::with_secret("my_secret"), |delivery| async move {
///     match delivery {
///         Delivery::Update(update) => println!("got {}", update.kind()),
///         Delivery::Malformed(m) => eprintln!("{} undecodable bytes: {}", m.body.len(), m.error),
///         _ => {}
///     }
/// });
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
/// serve(listener, app, ServerLimits::default()).await
/// # }
/// ```
pub fn delivery_router<H, F>(config: WebhookConfig, handler: H) -> axum::Router
where
    H: Fn(Delivery) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let shared = Arc::new(Shared { config, handler });
    axum::Router::new()
        .route("/", axum::routing::post(deliver::<H, F>))
        .with_state(shared)
}

async fn deliver<H, F>(
    State(shared): State<Arc<Shared<H>>>,
    headers: HeaderMap,
    body: Body,
) -> Response
where
    H: Fn(Delivery) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    match receive(&headers, body, &shared.config).await {
        Ok(delivery) => {
            tokio::spawn((shared.handler)(delivery));
            StatusCode::OK.into_response()
        }
        Err(answer) => answer,
    }
}

/// Receives one delivery in a handler of your own (any axum router; the bot framework's runtime uses it): the
/// headers first ([`check_headers`]: the secret, the content type, an announced size), the body only after
/// the secret checked out and only up to the cap, then [`parse_body`].
///
/// `Ok` is the delivery — an update, or [`Delivery::Malformed`], which you should report and answer `200`
/// (MAX would otherwise redeliver it, broken every time). `Err` is the answer to send as it is: `401`, `415`,
/// `413`, `408` (the body stalled past [`serve`]'s body timeout) or `400` (the body broke off).
pub async fn receive(
    headers: &HeaderMap,
    body: Body,
    config: &WebhookConfig,
) -> Result<Delivery, Response> {
    // The body stays unread until the secret checked out: an unauthenticated client cannot make us buffer it.
    if let Err(rejection) = check_headers(headers, config) {
        tracing::warn!(%rejection, "webhook delivery rejected");
        return Err((rejection.status(), rejection.to_string()).into_response());
    }
    let limit = config.get_max_body_bytes();
    let bytes = match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            let (status, text) = body_error(&*error);
            tracing::warn!(%status, reason = text, "webhook delivery body not read");
            return Err((status, text).into_response());
        }
    };
    match parse_body(&bytes, config) {
        Ok(delivery) => {
            match &delivery {
                Delivery::Update(update) => {
                    tracing::debug!(
                        kind = update.kind(),
                        bytes = bytes.len(),
                        "webhook delivery accepted"
                    );
                }
                Delivery::Malformed(m) => {
                    tracing::debug!(bytes = bytes.len(), error = %m.error, "webhook delivery accepted as malformed");
                }
            }
            Ok(delivery)
        }
        Err(rejection) => {
            tracing::warn!(%rejection, "webhook delivery rejected");
            Err((rejection.status(), rejection.to_string()).into_response())
        }
    }
}

/// Classifies a failed body read: over the cap, stalled (tower-http's body timeout), or broken.
fn body_error(error: &(dyn std::error::Error + 'static)) -> (StatusCode, &'static str) {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.is::<http_body_util::LengthLimitError>() {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                "the delivery body is larger than the cap",
            );
        }
        if e.is::<TimeoutError>() {
            return (
                StatusCode::REQUEST_TIMEOUT,
                "the delivery body stalled longer than the body timeout",
            );
        }
        cause = e.source();
    }
    (
        StatusCode::BAD_REQUEST,
        "the delivery body could not be read",
    )
}

/// What [`serve`] allows a client. The defaults suit a public webhook endpoint:
///
/// | limit | default | what happens when it is hit |
/// |---|---|---|
/// | [`header_read_timeout`](Self::header_read_timeout) | 10 s | the connection is closed (also an idle keep-alive connection waiting for its next request) |
/// | [`body_timeout`](Self::body_timeout) | 10 s between two chunks | the read fails; the delivery router answers `408` and the connection closes |
/// | [`request_timeout`](Self::request_timeout) | 30 s (MAX's own deadline) | `408`, whatever the handler was doing |
/// | [`max_connections`](Self::max_connections) | 512 | further connections wait in the listen backlog, unserved, until one closes |
/// | [`shutdown_grace`](Self::shutdown_grace) | 30 s | after the shutdown signal, connections still busy then are dropped |
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// Longest wait for a complete request head, from the moment the server starts reading one (a new
    /// connection, or a kept-alive one after its previous answer). hyper's `header_read_timeout`.
    pub header_read_timeout: Duration,
    /// Longest pause between two chunks of a request body. tower-http's `RequestBodyTimeout`.
    pub body_timeout: Duration,
    /// Longest time from the request head to the response head, body reading included (a client trickling its
    /// body just under [`body_timeout`](Self::body_timeout) is still cut off here). tower-http's `Timeout`,
    /// answering `408`.
    pub request_timeout: Duration,
    /// Most connections served at once. The server stops accepting while at the bound, so further clients wait
    /// in the kernel's listen backlog (or are refused by the kernel when the backlog is full).
    pub max_connections: usize,
    /// How long [`serve_with_shutdown`] lets open connections finish after its signal fired.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 512,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl ServerLimits {
    /// Sets [`header_read_timeout`](Self::header_read_timeout).
    #[must_use]
    pub fn header_read_timeout(mut self, limit: Duration) -> Self {
        self.header_read_timeout = limit;
        self
    }

    /// Sets [`body_timeout`](Self::body_timeout).
    #[must_use]
    pub fn body_timeout(mut self, limit: Duration) -> Self {
        self.body_timeout = limit;
        self
    }

    /// Sets [`request_timeout`](Self::request_timeout).
    #[must_use]
    pub fn request_timeout(mut self, limit: Duration) -> Self {
        self.request_timeout = limit;
        self
    }

    /// Sets [`max_connections`](Self::max_connections) (at least 1).
    #[must_use]
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = limit.max(1);
        self
    }

    /// Sets [`shutdown_grace`](Self::shutdown_grace).
    #[must_use]
    pub fn shutdown_grace(mut self, limit: Duration) -> Self {
        self.shutdown_grace = limit;
        self
    }
}

/// Serves any axum router over HTTP/1.1 within `limits`, until the process ends.
///
/// Use it instead of `axum::serve` for an endpoint on the internet: `axum::serve` has no header, body or request
/// timeout and no connection bound, so clients that trickle their headers or bodies keep connections open
/// indefinitely. This is [`serve_with_shutdown`] with a signal that never fires.
///
/// It speaks plain HTTP/1.1: MAX delivers only to `https://` on port 443, so terminate TLS in front of it (a
/// reverse proxy or load balancer) — the limits still protect the process from whatever gets past that.
///
/// ```no_run
/// use std::time::Duration;
/// use botwire_max::webhook::{serve, ServerLimits};
///
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
/// serve(listener, app, ServerLimits::default().max_connections(128)).await
/// # }
/// ```
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: ServerLimits,
) -> io::Result<()> {
    serve_with_shutdown(listener, app, limits, std::future::pending()).await
}

/// Serves any axum router over HTTP/1.1 within `limits` until `shutdown` completes, then stops accepting,
/// lets open connections finish their current request (idle ones are closed at once) for up to
/// [`ServerLimits::shutdown_grace`] and returns.
///
/// Built from well-kept parts: hyper's HTTP/1 connection with `header_read_timeout` (hyper-util's tokio timer),
/// tower-http's `RequestBodyTimeout` and `Timeout` around the router, a tokio semaphore around `accept`, and
/// hyper-util's `GracefulShutdown`. Handlers the router spawned (the delivery router's) are not waited for.
///
/// Errors: none today (accept errors such as running out of file descriptors are logged and retried after a
/// short pause); the `io::Result` mirrors `axum::serve`.
///
/// ```no_run
/// use botwire_max::webhook::{router, serve_with_shutdown, ServerLimits, WebhookConfig};
///
/// # async fn run() -> std::io::Result<()> {
/// let app = router(WebhookConfig::with_secret("my_secret"), |update| async move {
///     println!("got {}", update.kind());
/// });
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// // … hand `stop` to whatever decides to stop (a signal handler, an admin endpoint) …
/// # drop(stop);
/// serve_with_shutdown(listener, app, ServerLimits::default(), async {
///     let _ = stopped.await;
/// })
/// .await
/// # }
/// ```
pub async fn serve_with_shutdown<S>(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: ServerLimits,
    shutdown: S,
) -> io::Result<()>
where
    S: Future<Output = ()> + Send,
{
    let service = Timeout::with_status_code(
        RequestBodyTimeout::new(app, limits.body_timeout),
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    );
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // A slot first, then accept: at the bound the server does not accept, so excess clients wait unserved.
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot.map_err(io::Error::other)?,
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    if !is_connection_error(&error) {
                        // EMFILE and friends: pause instead of spinning, as axum::serve does.
                        tracing::warn!(%error, "webhook server: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let connection = http1.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(service.clone()),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "webhook server: connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!("webhook server: connections still open after the shutdown grace period are dropped");
        }
    }
    Ok(())
}

/// Errors that concern one connection only (the client went away during the handshake).
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
