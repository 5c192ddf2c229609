use std::io;

use crate::{
    BlockingTransport, BodyFailure, Delivery, HttpRequest, HttpResponse, Redactor, RequestContext,
    RequestOptions, StreamRequest, TransportConfig, TransportError, TransportErrorKind,
};

/// The blocking backend: ureq 3 with rustls (ring), trusting [`TlsRoots`](crate::TlsRoots).
///
/// The whole-request timeout of [`TransportConfig`] (and [`RequestOptions`]) bounds each phase of the exchange
/// (sending, waiting for the head, reading the body) rather than their sum; see the note in `new`.
///
/// 4xx and 5xx responses are returned with their bodies, never turned into errors. Redirects are not followed
/// (neither API redirects, and a redirect would carry the token elsewhere). Every response carries the
/// request's [`RequestContext`]; every error is scrubbed of the request's secrets and records its idempotency.
/// A failure after the response head arrived (the body lost) is [`Delivery::Unknown`].
///
/// ureq itself logs through the `log` crate: at `TRACE` its targets `ureq::*` print the full request URL
/// (the OneBot `api_token` with it) and `ureq_proto::*` hex-dumps the raw request head, `Authorization`
/// included. Keep them off wherever `TRACE` is enabled, e.g. `RUST_LOG=trace,ureq=off,ureq_proto=off`.
///
/// ```no_run
/// use botwire_transport::{BlockingTransport, TransportConfig, UreqTransport};
///
/// let transport = UreqTransport::new(TransportConfig::default());
/// let resp = transport.execute(http::Request::get("https://platform-api2.max.ru/me").body(Vec::new())?)?;
/// println!("{}", resp.status());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
    max_body_bytes: usize,
    /// Set when the configured proxy could not be handed to ureq: every request then fails, never going
    /// around the proxy.
    unusable_proxy: Option<String>,
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new(TransportConfig::default())
    }
}

impl UreqTransport {
    /// A transport with the given settings.
    pub fn new(config: TransportConfig) -> Self {
        let certs: Vec<ureq::tls::Certificate<'static>> = config
            .get_roots()
            .certificates()
            .iter()
            .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        // Our roots and our ring provider: ureq's `rustls` feature would add webpki-roots, a second copy of
        // the Mozilla roots that `TlsRoots` already carries (webpki-root-certs).
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
            .build();
        let (proxy, unusable_proxy) = match config.get_proxy() {
            Some(proxy) => match ureq::Proxy::new(proxy.expose_url()) {
                Ok(p) => (Some(p), None),
                // ureq's error would quote the URL with its credentials: say only which proxy.
                Err(_) => (
                    None,
                    Some(format!(
                        "the proxy {} cannot be used by ureq; nothing was sent",
                        proxy.address()
                    )),
                ),
            },
            None => (ureq::Proxy::try_from_env(), None),
        };
        let agent = ureq::Agent::config_builder()
            .proxy(proxy)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(config.get_connect_timeout())
            // Per-phase limits, not `timeout_global`: ureq re-arms a global deadline with a setsockopt before
            // every read and write, which measured ~90 µs per call on loopback (4-5x a whole bare GET /me);
            // the phase limits are constant and cost nothing. So the limit applies to each phase.
            .timeout_send_request(config.get_timeout())
            .timeout_recv_response(config.get_timeout())
            .timeout_recv_body(config.get_timeout())
            .user_agent(config.get_user_agent())
            .tls_config(tls)
            .build()
            .new_agent();
        Self {
            agent,
            max_body_bytes: config.get_max_body_bytes(),
            unusable_proxy,
        }
    }

    /// A transport over your own `ureq::Agent` (its pool, proxy, TLS and timeouts), with the default body cap.
    ///
    /// The agent must hand 4xx/5xx answers back as responses (`http_status_as_error(false)`) and follow no
    /// redirects (`max_redirects(0)`, since a redirect would carry the OneBot token's query elsewhere); an agent
    /// configured otherwise is refused with an error that says which setting to change. Its TLS roots are its
    /// own — for MAX add the Russian Trusted Root CA if it does not trust it already.
    pub fn from_agent(agent: ureq::Agent) -> Result<Self, TransportError> {
        let config = agent.config();
        if config.http_status_as_error() {
            return Err(TransportError::invalid_request(
                "the ureq agent must be built with http_status_as_error(false), so API errors arrive with their bodies",
            ));
        }
        if config.max_redirects() != 0 {
            return Err(TransportError::invalid_request(
                "the ureq agent must be built with max_redirects(0), so no request follows a redirect to another host",
            ));
        }
        Ok(Self {
            agent,
            max_body_bytes: TransportConfig::default().get_max_body_bytes(),
            unusable_proxy: None,
        })
    }

    /// Changes the cap on response bodies ([`TransportConfig::max_body_bytes`]).
    #[must_use]
    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }
}

impl UreqTransport {
    /// One exchange with any body ureq can send; `failure` is where a streamed body records why it stopped.
    ///
    /// `context` and `options` are the request's ([`RequestContext::of_request`], [`RequestOptions::of`]), read
    /// by the caller: a borrowed request ([`execute_ref`](BlockingTransport::execute_ref)) is sent as a view
    /// without them.
    fn run(
        &self,
        request: http::Request<impl ureq::AsSendBody>,
        context: RequestContext,
        options: RequestOptions,
        failure: Option<&BodyFailure>,
    ) -> Result<HttpResponse, TransportError> {
        if let Some(why) = &self.unusable_proxy {
            return Err(TransportError::invalid_request(why.clone()));
        }
        // A cheap clone (shared bytes): the query is only read to scrub an error.
        let uri = request.uri().clone();
        let request = match options.get_timeout() {
            Some(timeout) => self
                .agent
                .configure_request(request)
                .timeout_send_request(Some(timeout))
                // A request's own timeout also bounds sending its body (an upload's); without one, sending a
                // body has no limit, so a big upload on a slow link is not cut at the default's 60 s.
                .timeout_send_body(Some(timeout))
                .timeout_recv_response(Some(timeout))
                .timeout_recv_body(Some(timeout))
                .build(),
            None => request,
        };
        let response = self.agent.run(request).map_err(|e| {
            // A body that stopped on purpose says why, rather than "connection broke".
            let err = failure
                .and_then(BodyFailure::take)
                .unwrap_or_else(|| map_error(e, &context, &uri));
            context.error(err.scrubbed(&scrubber(&context, &uri)))
        })?;
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(self.max_body_bytes as u64)
            .read_to_vec()
            .map_err(|e| {
                let err = match e {
                    ureq::Error::BodyExceedsLimit(_) => {
                        TransportError::body_too_large(self.max_body_bytes)
                    }
                    // The head arrived, so the request was sent and perhaps performed; what the server said
                    // is lost with the body. The outcome is unknown, whatever ureq calls the failure.
                    other => {
                        let err = map_error(other, &context, &uri);
                        TransportError::new(err.kind(), Delivery::Unknown, err.message())
                    }
                };
                context.error(err)
            })?;
        let mut response = http::Response::from_parts(parts, bytes);
        context.attach(&mut response);
        Ok(response)
    }
}

impl BlockingTransport for UreqTransport {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let context = RequestContext::of_request(&request);
        let options = RequestOptions::of(&request);
        if crate::sends_no_body(&request) {
            let (parts, _) = request.into_parts();
            return self.run(http::Request::from_parts(parts, ()), context, options, None);
        }
        self.run(request, context, options, None)
    }

    /// Sends a view of the borrowed request — its method, URI and headers, the body as a slice — without
    /// copying its body or its extensions.
    fn execute_ref(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let context = RequestContext::of_request(request);
        let options = RequestOptions::of(request);
        if crate::sends_no_body(request) {
            return self.run(crate::view(request, ()), context, options, None);
        }
        self.run(
            crate::view(request, request.body().as_slice()),
            context,
            options,
            None,
        )
    }

    /// Streams the body from its sources with its length as `Content-Length`: memory stays at ureq's buffers
    /// whatever the size.
    fn execute_streamed(&self, request: StreamRequest) -> Result<HttpResponse, TransportError> {
        let (mut parts, body) = request.into_parts();
        let reader = body.open()?;
        let failure = reader.failure();
        parts.headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from(body.len()),
        );
        let body = ureq::SendBody::from_owned_reader(reader);
        let request = http::Request::from_parts(parts, body);
        let context = RequestContext::of_request(&request);
        let options = RequestOptions::of(&request);
        self.run(request, context, options, Some(&failure))
    }
}

/// The request's secrets plus its whole query string: what error texts are scrubbed of.
fn scrubber(context: &RequestContext, uri: &http::Uri) -> Redactor {
    context.redactor().clone().with(uri.query())
}

fn map_error(error: ureq::Error, context: &RequestContext, uri: &http::Uri) -> TransportError {
    let redactor = scrubber(context, uri);
    use TransportErrorKind as K;
    let (kind, delivery) = match &error {
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_) => (K::Connect, Delivery::NotSent),
        ureq::Error::Timeout(t) => match t {
            ureq::Timeout::Resolve | ureq::Timeout::Connect => (K::Timeout, Delivery::NotSent),
            _ => (K::Timeout, Delivery::Unknown),
        },
        // ureq's rustls stream reports handshake failures as I/O errors wrapping the rustls error.
        ureq::Error::Io(io) if crate::tls::is_rustls_error(io) => (K::Tls, Delivery::NotSent),
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::NotFound => (K::Connect, Delivery::NotSent),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (K::Timeout, Delivery::Unknown),
            _ => (K::Io, Delivery::Unknown),
        },
        ureq::Error::Tls(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::Pem(_)
        | ureq::Error::TlsRequired => (K::Tls, Delivery::NotSent),
        ureq::Error::BodyExceedsLimit(_) | ureq::Error::LargeResponseHeader(..) => {
            (K::BodyTooLarge, Delivery::Answered)
        }
        ureq::Error::Http(_) | ureq::Error::BadUri(_) | ureq::Error::RequireHttpsOnly(_) => {
            (K::InvalidRequest, Delivery::NotSent)
        }
        ureq::Error::Protocol(_) | ureq::Error::BodyStalled => (K::Io, Delivery::Unknown),
        _ => (K::Other, Delivery::Unknown),
    };
    // The TLS error text from rustls sits one level down; keep the chain but never the URL.
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    if kind == K::Connect && text.contains("certificate") {
        return TransportError::new(K::Tls, Delivery::NotSent, redactor.scrub(&text));
    }
    TransportError::new(kind, delivery, redactor.scrub(&text))
}
