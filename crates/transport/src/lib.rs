//! The HTTP seam of botwire.
//!
//! Every API call in botwire is built and parsed by plain functions (sans-IO). The only code that moves bytes is
//! a *transport*: something that turns an [`HttpRequest`] into an [`HttpResponse`]. There are two traits, one
//! per calling style, and both are implemented for closures, so a test can stand in for the network:
//!
//! ```
//! use botwire_transport::{BlockingTransport, HttpRequest, HttpResponse, TransportError};
//!
//! let canned = |req: HttpRequest| -> Result<HttpResponse, TransportError> {
//!     assert_eq!(req.uri().path(), "/me");
//!     Ok(http::Response::new(br#"{"ok":true}"#.to_vec()))
//! };
//! let resp = canned.execute(http::Request::get("https://example.invalid/me").body(Vec::new())?)?;
//! assert_eq!(resp.status(), 200);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Backends are behind additive features and nothing is on by default:
//!
//! | feature | type | trait |
//! |---|---|---|
//! | `ureq` | [`UreqTransport`] | [`BlockingTransport`] |
//! | `reqwest` | [`ReqwestTransport`] | [`AsyncTransport`] |
//!
//! Both use rustls with the *ring* provider and trust the same roots: Mozilla's (webpki) plus the bundled
//! Russian Trusted Root CA that signs `platform-api2.max.ru` (see [`TlsRoots`]).
//!
//! Policy layers are transports that wrap a transport: [`Throttle`] paces requests under the APIs' rate limits,
//! [`Retry`] repeats the ones that failed where repeating is safe. The API crates' default clients stack them as
//! `Retry<Throttle<Backend>>`.
//!
//! A transport error never carries a URL with its query string: the OneBot token travels in the query, so
//! every message is scrubbed (see [`TransportError`]). Tokens themselves live in [`Token`], which prints as
//! `<redacted>`. Servers echo tokens too (MAX's `verify.token` message quotes the token, proxies' error pages
//! the request line): every response carries a [`RequestContext`] whose [`Redactor`] the API crates apply to
//! every text they capture from it, raw or encoded. `http::Request`'s own `Debug` prints the whole URI, token
//! included: print requests through [`Redacted`] or [`describe_request`].
//!
//! # Logging
//!
//! botwire logs through `tracing` and never logs a secret. ureq, under the blocking backend, logs through the
//! `log` crate: at `DEBUG` it redacts, but at `TRACE` the `ureq::*` targets print the full request URL (the
//! OneBot `api_token`) and `ureq_proto::*` hex-dumps the raw request head (the MAX `Authorization` header).
//! When you enable `TRACE`, switch those targets off: `RUST_LOG=trace,ureq=off,ureq_proto=off` (env_logger
//! or `tracing_subscriber::EnvFilter`; the same directive applies through `tracing-log`). reqwest dumps the
//! bytes of a connection only with `connection_verbose`, which [`ReqwestTransport`] never turns on.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::future::Future;
use std::sync::Arc;

mod body;
mod client_macros;
mod config;
mod describe;
pub mod env;
mod error;
mod jitter;
mod redact;
mod retry;
mod retry_after;
mod secret;
mod throttle;
mod timer;
#[cfg(feature = "tls")]
mod tls;
pub mod trace;
pub mod url;

#[cfg(feature = "reqwest")]
mod backend_reqwest;
#[cfg(feature = "ureq")]
mod backend_ureq;

pub use body::{BodyFailure, BodyReader, CHUNK_SIZE, Progress, StreamBody, StreamRequest};
pub use config::{Proxy, RequestOptions, TransportConfig};
pub use describe::describe_request;
pub use error::{Delivery, TransportError, TransportErrorKind};
pub use jitter::Jitter;
pub use redact::{Redacted, Redactor, RequestContext, redact_uri, request_secrets, scrub_secrets};
pub use retry::{Retry, RetryPolicy, retry_after_in_body};
pub use retry_after::retry_after;
pub use secret::Token;
pub use throttle::{
    DEFAULT_MARGIN, LocalPacer, PaceLimit, PaceOutcome, PacePermit, Pacer, Rate, RateKey, RateRule,
    RuleKey, Throttle, ThrottleConfig,
};
pub use timer::{ManualClock, SleepFuture, Timer};
#[cfg(feature = "tls")]
pub use tls::TlsRoots;

#[cfg(feature = "reqwest")]
pub use backend_reqwest::ReqwestTransport;
#[cfg(feature = "ureq")]
pub use backend_ureq::UreqTransport;

/// A request as the sans-IO layer builds it: method, URI, headers and the whole body.
pub type HttpRequest = http::Request<Vec<u8>>;
/// A response as the sans-IO layer parses it: status, headers and the whole body (4xx/5xx included).
pub type HttpResponse = http::Response<Vec<u8>>;

/// Sends a request and waits for the whole response, blocking the calling thread.
///
/// Non-2xx statuses are *responses*, not errors: the API crates read their bodies. An `Err` means no usable
/// response arrived (connection, TLS, timeout, I/O, body over the cap).
pub trait BlockingTransport: Send + Sync {
    /// Executes one HTTP exchange.
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Executes one HTTP exchange of a request the caller keeps — the [`Retry`] layer, which may have to send
    /// it again.
    ///
    /// The default clones the request into [`execute`](Self::execute). The backends send a view of it instead
    /// (its method, URI and headers, the body borrowed), and the [`Throttle`] layer forwards it, so that keeping
    /// a request for a retry costs no copy of its body or extensions.
    fn execute_ref(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.execute(request.clone())
    }

    /// Executes one HTTP exchange whose body is read from its sources while it is sent (uploads), with the
    /// body's length as `Content-Length`.
    ///
    /// The default reads the whole body into memory ([`StreamBody::into_bytes`]) and calls
    /// [`execute`](Self::execute): every transport, closures included, can send an upload, but only those that
    /// override this method (the backends, and the layers, which forward it) stream it in constant memory.
    fn execute_streamed(&self, request: StreamRequest) -> Result<HttpResponse, TransportError> {
        let (parts, body) = request.into_parts();
        self.execute(HttpRequest::from_parts(parts, body.into_bytes()?))
    }
}

/// Sends a request and awaits the whole response. Object safe: `Arc<dyn AsyncTransport>` is a transport.
///
/// Non-2xx statuses are *responses*, not errors, exactly as for [`BlockingTransport`].
#[async_trait::async_trait]
pub trait AsyncTransport: Send + Sync {
    /// Executes one HTTP exchange.
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Executes one HTTP exchange of a request the caller keeps — the [`Retry`] layer, which may have to send
    /// it again — exactly as [`BlockingTransport::execute_ref`]: the default clones the request into
    /// [`execute`](Self::execute); the reqwest backend sends a view of it and [`Throttle`] forwards it.
    async fn execute_ref(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.execute(request.clone()).await
    }

    /// Executes one HTTP exchange whose body is read from its sources while it is sent (uploads), with the
    /// body's length as `Content-Length`.
    ///
    /// The default reads the whole body into memory ([`StreamBody::into_bytes`], blocking the calling thread
    /// for the read) and calls [`execute`](Self::execute): every transport, closures included, can send an
    /// upload, but only those that override this method (the reqwest backend, and the layers, which forward
    /// it) stream it in constant memory.
    async fn execute_streamed(
        &self,
        request: StreamRequest,
    ) -> Result<HttpResponse, TransportError> {
        let (parts, body) = request.into_parts();
        self.execute(HttpRequest::from_parts(parts, body.into_bytes()?))
            .await
    }
}

/// The request a backend sends for a borrowed one: method, URI, version and headers (cheap: shared bytes), with
/// `body`, and no extensions (the caller read what it needs from them).
#[cfg(any(feature = "ureq", feature = "reqwest"))]
pub(crate) fn view<B>(request: &HttpRequest, body: B) -> http::Request<B> {
    let mut view = http::Request::new(body);
    *view.method_mut() = request.method().clone();
    *view.uri_mut() = request.uri().clone();
    *view.version_mut() = request.version();
    *view.headers_mut() = request.headers().clone();
    view
}

/// `true` for a request with an empty body whose method carries none (`GET`, `HEAD`, `DELETE`, `OPTIONS`): the
/// backends send it without a body, as a bare client would — no `Content-Length: 0`, and none of the
/// bookkeeping a body costs them. An empty `POST`, `PUT` or `PATCH` still says `Content-Length: 0`.
#[cfg(any(feature = "ureq", feature = "reqwest"))]
pub(crate) fn sends_no_body(request: &HttpRequest) -> bool {
    request.body().is_empty()
        && matches!(
            *request.method(),
            http::Method::GET | http::Method::HEAD | http::Method::DELETE | http::Method::OPTIONS
        )
}

impl<F> BlockingTransport for F
where
    F: Fn(HttpRequest) -> Result<HttpResponse, TransportError> + Send + Sync,
{
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self(request)
    }
}

#[async_trait::async_trait]
impl<F, Fut> AsyncTransport for F
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<HttpResponse, TransportError>> + Send,
{
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self(request).await
    }
}

impl<T: BlockingTransport + ?Sized> BlockingTransport for Arc<T> {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).execute(request)
    }

    fn execute_ref(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).execute_ref(request)
    }

    fn execute_streamed(&self, request: StreamRequest) -> Result<HttpResponse, TransportError> {
        (**self).execute_streamed(request)
    }
}

#[async_trait::async_trait]
impl<T: AsyncTransport + ?Sized> AsyncTransport for Arc<T> {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).execute(request).await
    }

    async fn execute_ref(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).execute_ref(request).await
    }

    async fn execute_streamed(
        &self,
        request: StreamRequest,
    ) -> Result<HttpResponse, TransportError> {
        (**self).execute_streamed(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> HttpResponse {
        http::Response::new(b"{}".to_vec())
    }

    fn req() -> HttpRequest {
        http::Request::get("http://127.0.0.1/x")
            .body(Vec::new())
            .unwrap()
    }

    #[test]
    fn closures_and_arcs_are_blocking_transports() {
        let f = |_: HttpRequest| Ok(ok());
        assert_eq!(f.execute(req()).unwrap().status(), 200);
        let shared: Arc<dyn BlockingTransport> = Arc::new(f);
        assert_eq!(shared.execute(req()).unwrap().body(), b"{}");
    }

    #[test]
    fn closures_receive_a_streamed_body_buffered() {
        let f = |req: HttpRequest| Ok(http::Response::new(req.into_body()));
        let body = StreamBody::bytes(b"a".to_vec()).then(StreamBody::reader(&b"bc"[..], 2));
        let req = http::Request::post("http://127.0.0.1/x")
            .body(body)
            .unwrap();
        let shared: Arc<dyn BlockingTransport> = Arc::new(f);
        assert_eq!(shared.execute_streamed(req).unwrap().body(), b"abc");
    }

    #[tokio::test]
    async fn async_closures_receive_a_streamed_body_buffered() {
        let f = |req: HttpRequest| async { Ok(http::Response::new(req.into_body())) };
        let req = http::Request::post("http://127.0.0.1/x")
            .body(StreamBody::bytes(b"xyz".to_vec()))
            .unwrap();
        let shared: Arc<dyn AsyncTransport> = Arc::new(f);
        assert_eq!(shared.execute_streamed(req).await.unwrap().body(), b"xyz");
    }

    #[tokio::test]
    async fn closures_and_arcs_are_async_transports() {
        let f = |_: HttpRequest| async { Ok(ok()) };
        assert_eq!(
            AsyncTransport::execute(&f, req()).await.unwrap().status(),
            200
        );
        let shared: Arc<dyn AsyncTransport> = Arc::new(f);
        assert_eq!(shared.execute(req()).await.unwrap().body(), b"{}");
    }
}
