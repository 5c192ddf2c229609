use std::collections::BTreeMap;
use std::time::Duration;

use botwire_core_types::ValidationError;
use botwire_core_types::decode::DecodeError;
use botwire_transport::{Delivery, TransportError};
use http::StatusCode;

/// Everything that can go wrong calling the OneBot API.
///
/// No variant holds the token or a URL: the token travels in the query string, every URL that reaches an
/// error is scrubbed by the transport, and every text taken from an answer (a message, a 422 field error, an
/// HTML error page quoting the request line, a decode excerpt) is scrubbed of the request's secrets — raw,
/// percent-encoded or escaped — when the answer is parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The HTTP exchange failed (connect, TLS, timeout, I/O, body cap).
    #[error("OneBot transport: {0}")]
    Transport(#[from] TransportError),
    /// The server refused the parameters: HTTP 422 with Laravel's `{"message", "errors"}` body.
    #[error("OneBot rejected the parameters: {}", format_fields(.errors).unwrap_or_else(|| message.clone()))]
    Rejected {
        /// The summary (`The given data was invalid.`).
        message: String,
        /// Field → messages, in the platform's language.
        errors: BTreeMap<String, Vec<String>>,
    },
    /// Any other error status.
    #[error("OneBot API error: HTTP {}{}", status.as_u16(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The body's `message` (or its start, when it is not JSON).
        message: Option<String>,
        /// Whether the request that got this answer may be repeated without changing the outcome
        /// ([`RequestOptions::is_idempotent`](botwire_transport::RequestOptions::is_idempotent)); `false` when
        /// not known.
        idempotent: bool,
    },
    /// HTTP 429: more than 2 requests per second.
    #[error("OneBot rate limit hit{}", retry_after.map(|d| format!(", retry after {d:?}")).unwrap_or_default())]
    RateLimited {
        /// How long the server asked to wait, when it said so.
        retry_after: Option<Duration>,
    },
    /// HTTP 200 with `{"success": false}`.
    #[error("OneBot refused the operation: {}", message.as_deref().unwrap_or("no reason given"))]
    Unsuccessful {
        /// The server's explanation (`message` or `error`).
        message: Option<String>,
    },
    /// A response body did not match the model.
    #[error("OneBot response (HTTP {status}): {source}")]
    Decode {
        /// The HTTP status of the response.
        status: u16,
        /// Where and how decoding failed.
        #[source]
        source: DecodeError,
    },
    /// A parameter is missing or breaks a limit; nothing was sent.
    #[error("invalid request, nothing sent: {0}")]
    Validation(#[from] ValidationError),
    /// The client is not configured (e.g. `ONEBOT_API_TOKEN` unset).
    #[error("OneBot client configuration: {0}")]
    Config(String),
}

fn format_fields(errors: &BTreeMap<String, Vec<String>>) -> Option<String> {
    if errors.is_empty() {
        return None;
    }
    Some(
        errors
            .iter()
            .map(|(field, msgs)| format!("{field}: {}", msgs.join("; ")))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

impl Error {
    /// The HTTP status of an error answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Rejected { .. } => Some(StatusCode::UNPROCESSABLE_ENTITY),
            Error::Api { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::Decode { status, .. } => StatusCode::from_u16(*status).ok(),
            _ => None,
        }
    }

    /// Field → messages of a 422 answer (empty for other errors).
    pub fn field_errors(&self) -> Option<&BTreeMap<String, Vec<String>>> {
        match self {
            Error::Rejected { errors, .. } => Some(errors),
            _ => None,
        }
    }

    /// Whether sending the same request again is both promising and safe: 429 (the server did not perform it),
    /// and transient failures — 5xx, connection failures, timeouts — when the request never reached the server
    /// or is idempotent. A failure after a write was sent (`sendMessage` answered 5xx, or its connection lost
    /// before or while the answer came) is **not** retryable: the write may have been performed, and
    /// [`Error::outcome_unknown`] says so. The same rule as the [`Retry`](botwire_transport::Retry) layer's.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_retryable(),
            Error::RateLimited { .. } => true,
            Error::Api {
                status, idempotent, ..
            } => status.is_server_error() && *idempotent,
            _ => false,
        }
    }

    /// How long the server asked to wait before retrying, when it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// `true` when the request may have been processed although it did not succeed: no usable answer arrived
    /// (the connection dropped after sending, or after the response head with the body lost), or the server
    /// answered 5xx (it failed somewhere, possibly after storing the write). 429 and 422 mean the server did not
    /// perform it.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Transport(e) => e.delivery() != Delivery::NotSent,
            Error::Api { status, .. } => status.is_server_error(),
            _ => false,
        }
    }

    /// `true` for 401 and 403: the token is wrong, revoked, or the account lacks the PRO plan.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Error::Api { status, .. } if *status == StatusCode::UNAUTHORIZED || *status == StatusCode::FORBIDDEN)
    }
}
