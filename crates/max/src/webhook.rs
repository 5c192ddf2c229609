//! Receiving updates by webhook.
//!
//! [`parse_delivery`] is the sans-IO check of one delivery: the `X-Max-Bot-Api-Secret` header (compared in
//! constant time), a body size cap, JSON, and the update (an unknown type is accepted as `Update::Unknown`).
//! With the `webhook` feature, [`router`] serves it with axum: it answers `200` as soon as a delivery checks out
//! and runs the handler afterwards, so a slow handler never misses the platform's 30-second deadline.
//!
//! MAX retries failed deliveries (up to 10 times, for up to 8 hours), and the same event may come twice: make
//! handlers idempotent.

use botwire_core_types::max::Update;
use http::{HeaderMap, StatusCode};

/// The header MAX sends the subscription's secret in.
pub const SECRET_HEADER: &str = "x-max-bot-api-secret";

/// Largest delivery accepted by default (1 MiB; an update is a few KiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// What a webhook endpoint expects.
#[derive(Clone)]
pub struct WebhookConfig {
    secret: Option<String>,
    max_body_bytes: usize,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl WebhookConfig {
    /// Deliveries must carry this secret (the one given to `POST /subscriptions`).
    pub fn with_secret(secret: impl Into<String>) -> Self {
        Self {
            secret: Some(secret.into()),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Deliveries are not authenticated. Only for subscriptions made without a secret.
    pub fn without_secret() -> Self {
        Self {
            secret: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Caps the body size (default 1 MiB).
    #[must_use]
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The body cap.
    pub fn get_max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }
}

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// No `X-Max-Bot-Api-Secret` header, while a secret is configured.
    #[error("the delivery has no X-Max-Bot-Api-Secret header")]
    MissingSecret,
    /// The header does not match the configured secret.
    #[error("the delivery's X-Max-Bot-Api-Secret does not match")]
    WrongSecret,
    /// The body is larger than the cap.
    #[error("the delivery body has {size} bytes, more than the cap of {limit}")]
    TooLarge {
        /// Bytes received (or announced).
        size: usize,
        /// The cap.
        limit: usize,
    },
    /// The body is not a JSON update.
    #[error("the delivery is not an update: {0}")]
    NotAnUpdate(botwire_core_types::decode::DecodeError),
}

impl Rejection {
    /// The HTTP status to answer with: 401 for secret problems, 413 for size, 400 for the body.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::MissingSecret | Rejection::WrongSecret => StatusCode::UNAUTHORIZED,
            Rejection::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::NotAnUpdate(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// Checks one delivery and decodes its update.
///
/// ```
/// use botwire_max::webhook::{parse_delivery, Rejection, WebhookConfig};
///
/// let cfg = WebhookConfig::with_secret("s3cret_1");
/// let mut headers = http::HeaderMap::new();
/// let body = br#"{"update_type":"bot_started","timestamp":1,"chat_id":5,"user":{"user_id":7,"first_name":"A","is_bot":false}}"#;
/// assert_eq!(parse_delivery(&headers, body, &cfg), Err(Rejection::MissingSecret));
/// headers.insert("x-max-bot-api-secret", "s3cret_1".parse()?);
/// assert_eq!(parse_delivery(&headers, body, &cfg)?.kind(), "bot_started");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_delivery(
    headers: &HeaderMap,
    body: &[u8],
    config: &WebhookConfig,
) -> Result<Update, Rejection> {
    if let Some(expected) = &config.secret {
        let given = headers.get(SECRET_HEADER).ok_or(Rejection::MissingSecret)?;
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(Rejection::WrongSecret);
        }
    }
    if body.len() > config.max_body_bytes {
        return Err(Rejection::TooLarge {
            size: body.len(),
            limit: config.max_body_bytes,
        });
    }
    botwire_core_types::decode::from_slice(body).map_err(Rejection::NotAnUpdate)
}

/// Compares two byte strings in time that depends only on their lengths, so the secret cannot be guessed byte
/// by byte from response times.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(feature = "webhook")]
pub use server::router;

#[cfg(feature = "webhook")]
mod server {
    use std::future::Future;
    use std::sync::Arc;

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::response::{IntoResponse, Response};
    use botwire_core_types::max::Update;
    use http::{HeaderMap, StatusCode};

    use super::{WebhookConfig, parse_delivery};

    struct Shared<H> {
        config: WebhookConfig,
        handler: H,
    }

    /// An axum router that accepts deliveries on `POST /` (mount it with `Router::nest` or serve it as is).
    ///
    /// A delivery that checks out is answered `200` at once and the handler runs on a spawned task; rejected ones
    /// get 401 / 413 / 400 and never reach the handler; other methods get 405. Needs a tokio runtime (axum's).
    ///
    /// ```no_run
    /// use botwire_max::webhook::{router, WebhookConfig};
    ///
    /// # async fn run() -> std::io::Result<()> {
    /// let app = router(WebhookConfig::with_secret("my_secret"), |update| async move {
    ///     println!("got {}", update.kind());
    /// });
    /// let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
    /// axum::serve(listener, app).await
    /// # }
    /// ```
    pub fn router<H, F>(config: WebhookConfig, handler: H) -> axum::Router
    where
        H: Fn(Update) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let limit = config.get_max_body_bytes();
        let shared = Arc::new(Shared { config, handler });
        axum::Router::new()
            .route("/", axum::routing::post(deliver::<H, F>))
            // axum's own cap answers 413 before the body is buffered; keep it one byte above ours so that
            // parse_delivery reports sizes consistently for bodies it does see.
            .layer(axum::extract::DefaultBodyLimit::max(
                limit.saturating_add(1),
            ))
            .with_state(shared)
    }

    async fn deliver<H, F>(
        State(shared): State<Arc<Shared<H>>>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response
    where
        H: Fn(Update) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        match parse_delivery(&headers, &body, &shared.config) {
            Ok(update) => {
                tokio::spawn((shared.handler)(update));
                StatusCode::OK.into_response()
            }
            Err(rejection) => {
                tracing::warn!(%rejection, "webhook delivery rejected");
                (rejection.status(), rejection.to_string()).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn config_debug_hides_the_secret() {
        assert!(!format!("{:?}", WebhookConfig::with_secret("hunter2_x")).contains("hunter2"));
    }
}
