use std::time::Duration;

use botwire_core_types::ValidationError;
use botwire_core_types::decode::DecodeError;
use botwire_transport::{Delivery, TransportError};
use http::StatusCode;

/// An error answer of the API: HTTP status plus the body's `code` and `message`.
///
/// `code` and `message` are the server's text, scrubbed of the request's secrets when the answer was parsed
/// (MAX quotes a bad token back: `Invalid access_token: …`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The error key, e.g. `verify.token`, `attachment.not.ready`, `chat.denied`.
    pub code: Option<String>,
    /// The human-readable message (may be empty).
    pub message: Option<String>,
    /// Whether the request that got this answer may be repeated without changing the outcome
    /// ([`RequestOptions::is_idempotent`](botwire_transport::RequestOptions::is_idempotent)); `false` when not
    /// known.
    pub idempotent: bool,
}

impl ApiError {
    /// An API error answered with `status`, the server's `code` and `message` (already scrubbed), for a request
    /// that may (`idempotent`) or may not be repeated.
    pub fn new(
        status: StatusCode,
        code: Option<String>,
        message: Option<String>,
        idempotent: bool,
    ) -> Self {
        Self {
            status,
            code,
            message,
            idempotent,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.status.as_u16())?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        match self.message.as_deref() {
            Some(m) if !m.is_empty() => write!(f, ": {m}"),
            _ => Ok(()),
        }
    }
}

/// Everything that can go wrong calling the MAX API.
///
/// No variant holds the token or a URL with a secret; `Display` is safe to log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The HTTP exchange failed (connect, TLS, timeout, I/O, body cap).
    #[error("MAX transport: {0}")]
    Transport(#[from] TransportError),
    /// The API answered with an error status.
    #[error("MAX API error: {0}")]
    Api(ApiError),
    /// The API answered `429 Too Many Requests`.
    #[error("MAX rate limit hit{}", retry_after.map(|d| format!(", retry after {d:?}")).unwrap_or_default())]
    RateLimited {
        /// How long the server asked to wait, when it said so.
        retry_after: Option<Duration>,
        /// The error body, when there was one.
        error: Option<ApiError>,
    },
    /// The API answered 200 with `{"success": false, "message": …}`.
    #[error("MAX API refused the operation: {}", message.as_deref().unwrap_or("no reason given"))]
    Unsuccessful {
        /// The server's explanation.
        message: Option<String>,
    },
    /// A response body did not match the model.
    #[error("MAX response (HTTP {status}): {source}")]
    Decode {
        /// The HTTP status of the response.
        status: u16,
        /// Where and how decoding failed.
        #[source]
        source: DecodeError,
    },
    /// A value breaks a documented limit; nothing was sent.
    #[error("invalid request, nothing sent: {0}")]
    Validation(#[from] ValidationError),
    /// `GET /updates` answered 405: a webhook subscription is active, so long polling is disabled until it is
    /// removed (`DELETE /subscriptions`).
    #[error(
        "MAX long polling is disabled while a webhook subscription is active (HTTP 405); unsubscribe first"
    )]
    WebhookActive,
    /// The client is not configured (e.g. `MAX_BOT_TOKEN` unset).
    #[error("MAX client configuration: {0}")]
    Config(String),
    /// A local file to upload could not be read; nothing was sent.
    #[error("cannot read the file to upload, {}: {source}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The API's error code (`verify.token`, `attachment.not.ready`, …) when the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.code.as_deref(),
            Error::RateLimited { error: Some(e), .. } => e.code.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of an error answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::Decode { status, .. } => StatusCode::from_u16(*status).ok(),
            _ => None,
        }
    }

    /// Whether sending the same request again is both promising and safe: 429 (the server did not perform it),
    /// and transient failures — 5xx, connection failures, timeouts — when the request never reached the server
    /// or is idempotent. A failure after a write was sent (`POST /messages` answered 5xx, or its connection lost
    /// before or while the answer came) is **not** retryable: the write may have been performed, and
    /// [`Error::outcome_unknown`] says so. The same rule as the [`Retry`](botwire_transport::Retry) layer's.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_retryable(),
            Error::RateLimited { .. } => true,
            Error::Api(e) => e.status.is_server_error() && e.idempotent,
            _ => false,
        }
    }

    /// How long the server asked to wait before retrying, when it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// `true` when the request may have been processed although it did not succeed: no usable answer arrived
    /// (the connection dropped after sending, or after the response head with the body lost), or the server
    /// answered 5xx (it failed somewhere, possibly after storing the write). Repeating such a write could perform
    /// it twice. 429 and other 4xx answers mean the server did not perform it.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Transport(e) => e.delivery() != Delivery::NotSent,
            Error::Api(e) => e.status.is_server_error(),
            _ => false,
        }
    }

    /// `true` for `401` / `403` with `verify.token` or `deprecated.token`: the token is wrong or revoked.
    pub fn is_unauthorized(&self) -> bool {
        match self {
            Error::Api(e) => {
                e.status == StatusCode::UNAUTHORIZED
                    || matches!(e.code.as_deref(), Some("verify.token" | "deprecated.token"))
            }
            _ => false,
        }
    }
}
