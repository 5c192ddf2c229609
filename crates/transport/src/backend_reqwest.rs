use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use crate::{
    AsyncTransport, BodyFailure, BodyReader, CHUNK_SIZE, Delivery, HttpRequest, HttpResponse,
    Redactor, RequestContext, RequestOptions, StreamRequest, TransportConfig, TransportError,
    TransportErrorKind,
};

/// The async backend: reqwest 0.13 with rustls (ring), trusting [`TlsRoots`](crate::TlsRoots). Needs a tokio
/// runtime.
///
/// 4xx and 5xx responses are returned with their bodies. Redirects are not followed. Errors go through
/// `reqwest::Error::without_url` and are scrubbed of the request's secrets, so the OneBot `api_token` never
/// reaches them; each records the request's idempotency. Every response carries the request's
/// [`RequestContext`]. A failure after the response head arrived (the body lost) is [`Delivery::Unknown`].
///
/// ```no_run
/// use botwire_transport::{AsyncTransport, ReqwestTransport, TransportConfig};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let transport = ReqwestTransport::new(TransportConfig::default())?;
/// let resp = transport.execute(http::Request::get("https://platform-api2.max.ru/me").body(Vec::new())?).await?;
/// println!("{}", resp.status());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_body_bytes: usize,
}

impl ReqwestTransport {
    /// A transport with the given settings. Fails only if the TLS configuration cannot be built.
    pub fn new(config: TransportConfig) -> Result<Self, TransportError> {
        let mut store = rustls::RootCertStore::empty();
        for cert in config.get_roots().certificates() {
            // A user-supplied root rustls cannot use is skipped, as webpki would skip it at verification time.
            let _ = store.add(cert);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| {
                TransportError::new(TransportErrorKind::Tls, Delivery::NotSent, e.to_string())
            })?
            .with_root_certificates(store)
            .with_no_client_auth();
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.get_user_agent());
        if let Some(t) = config.get_connect_timeout() {
            builder = builder.connect_timeout(t);
        }
        if let Some(t) = config.get_timeout() {
            builder = builder.timeout(t);
        }
        if let Some(proxy) = config.get_proxy() {
            // The error would quote the URL with its credentials: say only which proxy.
            let proxy = reqwest::Proxy::all(proxy.expose_url()).map_err(|_| {
                TransportError::invalid_request(format!(
                    "the proxy {} cannot be used by reqwest",
                    proxy.address()
                ))
            })?;
            builder = builder.proxy(proxy);
        }
        let client = builder.build().map_err(|e| {
            TransportError::new(
                TransportErrorKind::Tls,
                Delivery::NotSent,
                e.without_url().to_string(),
            )
        })?;
        Ok(Self {
            client,
            max_body_bytes: config.get_max_body_bytes(),
        })
    }

    /// A transport over your own `reqwest::Client` (its pool, proxy, TLS roots and timeouts), with the default
    /// body cap. Build it with `redirect(reqwest::redirect::Policy::none())`: a followed redirect would carry the
    /// OneBot token's query to another host. Its TLS roots are its own — for MAX add the Russian Trusted Root
    /// CA ([`TlsRoots`](crate::TlsRoots) has it) if the client does not trust it already. botwire enables reqwest's
    /// rustls without a crypto provider, so unless your own reqwest dependency brings one, install one before
    /// building the client (`rustls::crypto::ring::default_provider().install_default()`) or hand it a
    /// `use_preconfigured_tls` config.
    pub fn from_client(client: reqwest::Client) -> Self {
        Self {
            client,
            max_body_bytes: TransportConfig::default().get_max_body_bytes(),
        }
    }

    /// Changes the cap on response bodies ([`TransportConfig::max_body_bytes`]).
    #[must_use]
    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }
}

impl ReqwestTransport {
    /// One exchange with any body reqwest can send; `failure` is where a streamed body records why it stopped.
    ///
    /// `context` and `options` are the request's ([`RequestContext::of_request`], [`RequestOptions::of`]), read
    /// by the caller: a borrowed request ([`execute_ref`](AsyncTransport::execute_ref)) is sent as a view
    /// without them. `no_body`: send no body at all ([`sends_no_body`](crate::sends_no_body)).
    async fn run<B: Into<reqwest::Body>>(
        &self,
        request: http::Request<B>,
        context: RequestContext,
        options: RequestOptions,
        failure: Option<&BodyFailure>,
        no_body: bool,
    ) -> Result<HttpResponse, TransportError> {
        // A cheap clone (shared bytes): the query is only read to scrub an error.
        let uri = request.uri().clone();
        // Built directly rather than through `reqwest::Request::try_from`, which formats the URI with
        // `Display` before parsing it and carries the request's extensions along (nothing below reads them).
        let (parts, body) = request.into_parts();
        let url = reqwest::Url::parse(&uri_text(&parts.uri)).map_err(|e| {
            context.error(TransportError::invalid_request(
                scrubber(&context, &uri).scrub(&format!("invalid request URL: {e}")),
            ))
        })?;
        let mut req = reqwest::Request::new(parts.method, url);
        *req.headers_mut() = parts.headers;
        *req.version_mut() = parts.version;
        if !no_body {
            *req.body_mut() = Some(body.into());
        }
        if let Some(t) = options.get_timeout() {
            *req.timeout_mut() = Some(t);
        }
        let mut resp = self.client.execute(req).await.map_err(|e| {
            // A body that stopped on purpose says why, rather than "connection broke".
            let err = failure
                .and_then(BodyFailure::take)
                .unwrap_or_else(|| map_error(e, &context, &uri, false));
            context.error(err.scrubbed(&scrubber(&context, &uri)))
        })?;
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body_bytes as u64)
        {
            return Err(context.error(TransportError::body_too_large(self.max_body_bytes)));
        }
        let status = resp.status();
        let version = resp.version();
        let headers = std::mem::take(resp.headers_mut());
        // Sized by `Content-Length` when there is one (already checked against the cap): no regrowing.
        let mut body = Vec::with_capacity(
            resp.content_length()
                .map_or(0, |n| usize::try_from(n).unwrap_or(0)),
        );
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| context.error(map_error(e, &context, &uri, true)))?
        {
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(context.error(TransportError::body_too_large(self.max_body_bytes)));
            }
            body.extend_from_slice(&chunk);
        }
        let mut response = http::Response::new(body);
        *response.status_mut() = status;
        *response.version_mut() = version;
        *response.headers_mut() = headers;
        context.attach(&mut response);
        Ok(response)
    }
}

#[async_trait::async_trait]
impl AsyncTransport for ReqwestTransport {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let context = RequestContext::of_request(&request);
        let options = RequestOptions::of(&request);
        let no_body = crate::sends_no_body(&request);
        self.run(request, context, options, None, no_body).await
    }

    /// Sends a view of the borrowed request — its method, URI and headers, and a copy of the body (reqwest owns
    /// what it sends) — without copying its extensions.
    async fn execute_ref(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let context = RequestContext::of_request(request);
        let options = RequestOptions::of(request);
        let no_body = crate::sends_no_body(request);
        let body = if no_body {
            reqwest::Body::default()
        } else {
            reqwest::Body::from(request.body().clone())
        };
        self.run(crate::view(request, body), context, options, None, no_body)
            .await
    }

    /// Streams the body with its length as `Content-Length`, read in [`CHUNK_SIZE`] pieces on tokio's
    /// blocking pool (file reads never block the runtime's workers): memory stays at a few chunks whatever
    /// the size.
    async fn execute_streamed(
        &self,
        request: StreamRequest,
    ) -> Result<HttpResponse, TransportError> {
        let (mut parts, body) = request.into_parts();
        let reader = body.open()?;
        let failure = reader.failure();
        parts.headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from(body.len()),
        );
        let stream = ChunkedBody::new(reader, body.len());
        let request = http::Request::from_parts(parts, reqwest::Body::wrap(stream));
        let context = RequestContext::of_request(&request);
        let options = RequestOptions::of(&request);
        self.run(request, context, options, Some(&failure), false)
            .await
    }
}

/// A [`BodyReader`] as an `http_body::Body`: each chunk is read by a blocking-pool task, one at a time (the
/// connection asks for the next chunk when it has written the last), with the exact remaining length as the
/// size hint so hyper frames it by `Content-Length`.
struct ChunkedBody {
    // A `Mutex` only to make the body `Sync` as reqwest asks; `poll_frame` has `&mut` and never locks.
    state: Mutex<ReadState>,
    remaining: u64,
}

enum ReadState {
    Idle(Option<BodyReader>),
    Reading(tokio::task::JoinHandle<(BodyReader, std::io::Result<Vec<u8>>)>),
}

impl ChunkedBody {
    fn new(reader: BodyReader, len: u64) -> Self {
        Self {
            state: Mutex::new(ReadState::Idle(Some(reader))),
            remaining: len,
        }
    }
}

/// Fills `buf` from `reader` as far as it goes (less only at the end).
fn read_chunk(reader: &mut BodyReader, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match std::io::Read::read(reader, &mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

impl http_body::Body for ChunkedBody {
    type Data = bytes::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let state = this.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        loop {
            match state {
                ReadState::Idle(reader) => {
                    let Some(mut reader) = reader.take() else {
                        return Poll::Ready(None);
                    };
                    if this.remaining == 0 {
                        return Poll::Ready(None);
                    }
                    let size = usize::try_from(this.remaining)
                        .unwrap_or(usize::MAX)
                        .min(CHUNK_SIZE);
                    *state = ReadState::Reading(tokio::task::spawn_blocking(move || {
                        let mut buf = vec![0; size];
                        let read = read_chunk(&mut reader, &mut buf).map(|n| {
                            buf.truncate(n);
                            buf
                        });
                        (reader, read)
                    }));
                }
                ReadState::Reading(task) => {
                    let joined = std::task::ready!(Pin::new(task).poll(cx));
                    let (reader, read) = match joined {
                        Ok(done) => done,
                        Err(e) => {
                            *state = ReadState::Idle(None);
                            return Poll::Ready(Some(Err(std::io::Error::other(format!(
                                "the body's read task failed: {e}"
                            )))));
                        }
                    };
                    match read {
                        Ok(chunk) if chunk.is_empty() => {
                            *state = ReadState::Idle(None);
                            return Poll::Ready(None);
                        }
                        Ok(chunk) => {
                            this.remaining = this.remaining.saturating_sub(chunk.len() as u64);
                            *state = ReadState::Idle(Some(reader));
                            return Poll::Ready(Some(Ok(http_body::Frame::data(chunk.into()))));
                        }
                        Err(e) => {
                            *state = ReadState::Idle(None);
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}

/// The URI as text, for `Url::parse`: its parts copied once, without going through `fmt`.
fn uri_text(uri: &http::Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or_default();
    let authority = uri.authority().map_or("", http::uri::Authority::as_str);
    let rest = uri
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str);
    let mut text = String::with_capacity(scheme.len() + 3 + authority.len() + rest.len());
    if !scheme.is_empty() {
        text.push_str(scheme);
        text.push_str("://");
    }
    text.push_str(authority);
    text.push_str(rest);
    text
}

/// The request's secrets plus its whole query string: what error texts are scrubbed of.
fn scrubber(context: &RequestContext, uri: &http::Uri) -> Redactor {
    context.redactor().clone().with(uri.query())
}

/// `head_arrived`: the failure is in reading the body, so the request was sent and perhaps performed.
fn map_error(
    error: reqwest::Error,
    context: &RequestContext,
    uri: &http::Uri,
    head_arrived: bool,
) -> TransportError {
    let redactor = scrubber(context, uri);
    use TransportErrorKind as K;
    let error = error.without_url();
    let mut text = error.to_string();
    let mut is_tls = false;
    let mut is_refused = false;
    let mut source = std::error::Error::source(&error);
    while let Some(s) = source {
        is_tls |= crate::tls::is_rustls_error(s);
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            is_refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    let (kind, delivery) = if head_arrived {
        if error.is_timeout() {
            (K::Timeout, Delivery::Unknown)
        } else {
            (K::Io, Delivery::Unknown)
        }
    } else if is_tls {
        (K::Tls, Delivery::NotSent)
    } else if error.is_connect() || is_refused {
        if error.is_timeout() {
            (K::Timeout, Delivery::NotSent)
        } else {
            (K::Connect, Delivery::NotSent)
        }
    } else if error.is_timeout() {
        (K::Timeout, Delivery::Unknown)
    } else if error.is_builder() {
        (K::InvalidRequest, Delivery::NotSent)
    } else {
        (K::Io, Delivery::Unknown)
    };
    TransportError::new(kind, delivery, redactor.scrub(&text))
}
