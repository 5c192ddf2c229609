use std::fmt;

/// What went wrong while moving bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Name resolution or TCP connect failed (refused, unreachable, unknown host).
    Connect,
    /// The TLS handshake failed (untrusted certificate, wrong name, protocol mismatch).
    Tls,
    /// A connect or request timeout elapsed.
    Timeout,
    /// The connection broke while sending the request or reading the response.
    Io,
    /// The response body is larger than the configured cap.
    BodyTooLarge,
    /// The request could not be sent as built (bad URI, bad header, unsupported scheme).
    InvalidRequest,
    /// A streamed request body could not be read (an upload's file changed size, its reader failed or ended
    /// early). The body stopped before its last byte, so the server never received a complete request;
    /// not retried (the source would fail again).
    Body,
    /// Something else; the message says what.
    Other,
}

/// Whether the server may have seen the request — what decides if a write can be retried safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// The request never left (connect or TLS failure, invalid request): retrying cannot duplicate it.
    NotSent,
    /// The request may have been processed (connection dropped or timed out after sending began, or the
    /// response head arrived and the body was lost).
    Unknown,
    /// The server answered, but its answer was refused (over the body cap): it was processed, and how it went
    /// is not known.
    Answered,
}

/// A failed HTTP exchange.
///
/// The message never holds a query string value or a token: backends and the API clients scrub it with the
/// request's [`Redactor`](crate::Redactor) (see [`RequestContext::error`](crate::RequestContext::error)), and
/// keep no source object whose `Debug` could print the URL.
///
/// Whether the request may be sent again is [`TransportError::is_retryable`]: only when the failure is
/// transient *and* either the request never left or repeating it is harmless. Backends record the request's
/// idempotency ([`RequestOptions::is_idempotent`](crate::RequestOptions::is_idempotent)) in every error they
/// return, as the API clients do; an error built without it counts as not idempotent.
#[derive(Clone, PartialEq, Eq)]
pub struct TransportError {
    kind: TransportErrorKind,
    delivery: Delivery,
    message: String,
    idempotent: Option<bool>,
}

impl TransportError {
    /// A new error. `message` must already be free of secrets.
    pub fn new(kind: TransportErrorKind, delivery: Delivery, message: impl Into<String>) -> Self {
        Self {
            kind,
            delivery,
            message: message.into(),
            idempotent: None,
        }
    }

    /// Records whether the failed request may be repeated without changing the outcome.
    #[must_use]
    pub fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// The same error with another delivery (layers that learn more, like [`Retry`](crate::Retry) after
    /// several attempts); the other fields unchanged.
    #[must_use]
    pub fn with_delivery(mut self, delivery: Delivery) -> Self {
        self.delivery = delivery;
        self
    }

    /// The same error with another message, which must already be free of secrets; the other fields
    /// unchanged.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// The message scrubbed by `redactor` (the other fields unchanged).
    #[must_use]
    pub fn scrubbed(mut self, redactor: &crate::Redactor) -> Self {
        self.message = redactor.scrub(&self.message);
        self
    }

    /// Whether the failed request may be repeated without changing the outcome, when recorded.
    pub fn idempotent(&self) -> Option<bool> {
        self.idempotent
    }

    /// Connect failure: the request was not sent.
    pub fn connect(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Connect, Delivery::NotSent, message)
    }

    /// The response body passed `limit` bytes.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            TransportErrorKind::BodyTooLarge,
            Delivery::Answered,
            format!("response body exceeds the configured cap of {limit} bytes"),
        )
    }

    /// The request could not be built or sent as given.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(
            TransportErrorKind::InvalidRequest,
            Delivery::NotSent,
            message,
        )
    }

    /// What went wrong.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// Whether the server may have seen the request.
    pub fn delivery(&self) -> Delivery {
        self.delivery
    }

    /// The scrubbed description of the failure.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `true` when the request certainly did not reach the server, so any request may be re-sent.
    pub fn is_not_sent(&self) -> bool {
        self.delivery == Delivery::NotSent
    }

    /// `true` when the request may have reached the server ([`Delivery::Unknown`] or [`Delivery::Answered`]):
    /// a write may have been performed although no usable answer arrived.
    pub fn outcome_unknown(&self) -> bool {
        self.delivery != Delivery::NotSent
    }

    /// `true` when sending the same request again is both promising and safe: the failure is
    /// [transient](Self::is_transient), and the request either never left or is idempotent. A write that may
    /// have been performed is never retryable: repeating it could perform it twice. This is the rule of the
    /// [`Retry`](crate::Retry) layer's default policy.
    pub fn is_retryable(&self) -> bool {
        self.is_transient() && (self.is_not_sent() || self.idempotent == Some(true))
    }

    /// `true` for failures that may pass by themselves (connect, timeout, I/O), `false` for configuration
    /// problems (TLS, invalid request, body cap).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io
        )
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("delivery", &self.delivery)
            .field("message", &self.message)
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::Tls => "TLS handshake failed",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Io => "connection broke",
            TransportErrorKind::BodyTooLarge => "response too large",
            TransportErrorKind::InvalidRequest => "invalid request",
            TransportErrorKind::Body => "request body failed",
            TransportErrorKind::Other => "transport error",
            #[allow(unreachable_patterns)]
            _ => "transport error",
        };
        write!(f, "{what}: {}", self.message)?;
        if self.delivery == Delivery::Unknown {
            f.write_str(" (the server may have received the request)")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_only_when_transient_and_safe() {
        let io = |d| TransportError::new(TransportErrorKind::Io, d, "x");
        // Never sent: safe whatever the request.
        assert!(io(Delivery::NotSent).is_retryable());
        // Sent, idempotency not recorded: counted as a write.
        assert!(!io(Delivery::Unknown).is_retryable());
        assert!(!io(Delivery::Unknown).with_idempotent(false).is_retryable());
        assert!(io(Delivery::Unknown).with_idempotent(true).is_retryable());
        assert!(io(Delivery::Answered).outcome_unknown());
        // Not transient: never.
        let tls = TransportError::new(TransportErrorKind::Tls, Delivery::NotSent, "x");
        assert!(!tls.with_idempotent(true).is_retryable());
        // The helpers keep the other fields.
        let e = io(Delivery::Unknown)
            .with_idempotent(true)
            .with_message("y")
            .with_delivery(Delivery::NotSent);
        assert_eq!(
            (e.message(), e.idempotent(), e.delivery()),
            ("y", Some(true), Delivery::NotSent)
        );
    }
}
