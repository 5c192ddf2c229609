//! The layer every sandbox route goes through: rate limits first, then scripted or random faults, then counting.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::limits::retry_after_value;
use crate::{Fault, Faults, Stats};

/// How a server names a request in its [`Stats`].
pub(crate) type Label = fn(&Request) -> String;

#[derive(Debug)]
pub(crate) struct Observer {
    pub(crate) stats: Arc<Stats>,
    pub(crate) faults: Arc<Faults>,
    pub(crate) label: Label,
}

/// `METHOD /matched/{template}` — the MAX servers' route names.
pub(crate) fn label_by_template(req: &Request) -> String {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| req.uri().path().to_owned());
    format!("{} {path}", req.method())
}

/// How an answer leaves the server.
enum Delivery {
    /// Whole.
    Complete(Response),
    /// Aborted: the body fails before it is complete, so the connection closes.
    Aborted(Response),
}

pub(crate) async fn observe(
    State(observer): State<Arc<Observer>>,
    req: Request,
    next: Next,
) -> Response {
    let route = (observer.label)(&req);
    let _in_flight = observer.stats.enter(&route);
    let faults = &observer.faults;
    if let Err(wait) = faults
        .limits()
        .admit(req.method(), req.uri().path(), req.uri().query())
    {
        observer.stats.record_rate_limited();
        let hint = retry_after_value(faults.limits().hint_kind(), wait);
        let response = too_many_requests(faults.limits().body(), hint);
        observer.stats.record(&route, response.status().as_u16());
        return response;
    }
    let fault = faults.next();
    if fault.is_some() {
        observer.stats.record_injected();
    }
    let delivery = match fault {
        None => Delivery::Complete(next.run(req).await),
        Some(Fault::Status(code, body)) => Delivery::Complete(status(code, body)),
        Some(Fault::StatusAfterHandler(code, body)) => {
            drop(next.run(req).await);
            Delivery::Complete(status(code, body))
        }
        Some(Fault::TooManyRequests { retry_after }) => Delivery::Complete(too_many_requests(
            faults.limits().body(),
            retry_after.and_then(|w| retry_after_value(crate::RetryHint::Precise, w)),
        )),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            Delivery::Complete(next.run(req).await)
        }
        Some(Fault::DropBeforeHandler) => Delivery::Aborted(abort_before_head()),
        Some(Fault::DropAfterHandler) => {
            drop(next.run(req).await);
            Delivery::Aborted(abort_before_head())
        }
        Some(Fault::DropAfterHead) => {
            let (parts, body) = collect(next.run(req).await).await;
            Delivery::Aborted(abort_after(parts, body, 0))
        }
        Some(Fault::TruncatedBody) => {
            let (parts, body) = collect(next.run(req).await).await;
            let half = body.len() / 2;
            Delivery::Aborted(abort_after(parts, body, half))
        }
        Some(Fault::MalformedJson) => {
            let (mut parts, body) = collect(next.run(req).await).await;
            let half = body.slice(..body.len() / 2);
            parts.status = StatusCode::OK;
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            // Ensure the prefix cannot be valid JSON even for bodies like `1` or `""`.
            let mut broken = half.to_vec();
            broken.extend_from_slice(b"{\"");
            Delivery::Complete(Response::from_parts(parts, Body::from(broken)))
        }
    };
    match delivery {
        Delivery::Complete(response) => {
            observer.stats.record(&route, response.status().as_u16());
            response
        }
        Delivery::Aborted(response) => {
            observer.stats.record_dropped(&route);
            response
        }
    }
}

fn status(code: u16, body: String) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn too_many_requests(body: &str, retry_after: Option<String>) -> Response {
    let mut response = status(429, body.to_owned());
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

async fn collect(response: Response) -> (http::response::Parts, Bytes) {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    (parts, bytes)
}

fn broken_pipe() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "botwire-sandbox: injected connection drop",
    )
}

/// A response whose body fails on its first poll: hyper drops the connection before flushing the head.
fn abort_before_head() -> Response {
    let stream = futures_util::stream::once(async { Err::<Bytes, _>(broken_pipe()) });
    Response::new(Body::from_stream(stream))
}

/// The head of `parts` (announcing the full length), `sent` bytes of `body`, then a failure. The stream yields
/// `Pending` once before failing, which makes hyper flush what it has buffered before the abort.
fn abort_after(mut parts: http::response::Parts, body: Bytes, sent: usize) -> Response {
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let first = body.slice(..sent);
    let stream = futures_util::stream::unfold(0u8, move |step| {
        let first = first.clone();
        async move {
            match step {
                0 if !first.is_empty() => Some((Ok(first), 1)),
                0 | 1 => {
                    tokio::task::yield_now().await;
                    Some((Err(broken_pipe()), 2))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}
