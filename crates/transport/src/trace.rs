//! What every API call tells `tracing`: one span per call (method and path), the answer (status, bytes,
//! duration) or the failure, the throttle's wait and the retry layer's decisions.
//!
//! Targets start with `botwire` (`botwire_max`, `botwire_onebot`, `botwire_transport::retry`, …), so
//! `RUST_LOG=botwire=debug` with `tracing-subscriber`'s `EnvFilter` shows every request:
//!
//! ```text
//! DEBUG request{api="max" method=POST path="/messages"}: botwire_transport::trace: answered status=200 bytes=412 ms=3.1
//! DEBUG request{api="max" method=POST path="/messages"}: botwire_transport::retry: retrying attempt=1 wait_ms=731 reason="HTTP 503"
//! ```
//!
//! Only the path is recorded, never the query (OneBot carries its token there) nor headers (MAX carries it in
//! `Authorization`). The HTTP backends log on their own targets, some at TRACE with full URLs and headers: keep
//! `ureq`, `ureq_proto`, `reqwest`, `hyper` and `hyper_util` below TRACE in production filters.
//!
//! With no subscriber listening, each call costs a few relaxed atomic loads: spans are disabled and the clock
//! is not read.

use std::time::Instant;

use tracing::{Level, Span, field};

use crate::{HttpResponse, TransportError};

#[doc(hidden)]
pub use tracing::Instrument;

/// One API call's span and start time. Used by the clients that [`api_clients!`](crate::api_clients)
/// generates; not meant to be used directly.
#[doc(hidden)]
#[derive(Debug)]
pub struct CallTrace {
    span: Span,
    start: Option<Instant>,
}

impl CallTrace {
    /// Opens the span of a call to `api` (`"max"`, `"onebot"`).
    pub fn start<B>(api: &'static str, request: &http::Request<B>) -> Self {
        let span = tracing::debug_span!(
            "request",
            api,
            method = %request.method(),
            path = request.uri().path(),
            throttle_ms = field::Empty,
            attempts = field::Empty,
        );
        let start = (!span.is_disabled()).then(Instant::now);
        Self { span, start }
    }

    /// The span, to enter (blocking) or to instrument the call's future with (async).
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Reports the call's outcome inside its span.
    pub fn finish(&self, outcome: &Result<HttpResponse, TransportError>) {
        let Some(start) = self.start else { return };
        let ms = millis(start.elapsed());
        let _entered = self.span.enter();
        match outcome {
            Ok(response) => tracing::debug!(
                status = response.status().as_u16(),
                bytes = response.body().len(),
                ms,
                "answered"
            ),
            Err(error) => tracing::debug!(
                error = %error,
                delivery = ?error.delivery(),
                ms,
                "failed"
            ),
        }
    }
}

/// Records the throttle's wait on the current call's span (a no-op outside one or when nothing listens).
pub(crate) fn throttled(wait: std::time::Duration) {
    if !wait.is_zero() && tracing::enabled!(Level::DEBUG) {
        Span::current().record("throttle_ms", millis(wait));
    }
}

/// Milliseconds with one decimal, for readable log lines.
fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}
