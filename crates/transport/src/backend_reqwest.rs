use std::sync::Arc;

use crate::{
    AsyncTransport, Delivery, HttpRequest, HttpResponse, Redactor, RequestContext, RequestOptions,
    TransportConfig, TransportError, TransportErrorKind,
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

#[async_trait::async_trait]
impl AsyncTransport for ReqwestTransport {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let context = RequestContext::of_request(&request);
        // A cheap clone (shared bytes): the query is only read to scrub an error.
        let uri = request.uri().clone();
        let options = RequestOptions::of(&request);
        let mut req = reqwest::Request::try_from(request).map_err(|e| {
            context.error(TransportError::invalid_request(
                scrubber(&context, &uri).scrub(&e.without_url().to_string()),
            ))
        })?;
        if let Some(t) = options.get_timeout() {
            *req.timeout_mut() = Some(t);
        }
        let mut resp = self
            .client
            .execute(req)
            .await
            .map_err(|e| context.error(map_error(e, &context, &uri, false)))?;
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body_bytes as u64)
        {
            return Err(context.error(TransportError::body_too_large(self.max_body_bytes)));
        }
        let mut builder = http::Response::builder()
            .status(resp.status())
            .version(resp.version());
        if let Some(headers) = builder.headers_mut() {
            *headers = std::mem::take(resp.headers_mut());
        }
        let mut body = Vec::new();
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
        let mut response = builder.body(body).map_err(|e| {
            context.error(TransportError::new(
                TransportErrorKind::Other,
                Delivery::Answered,
                e.to_string(),
            ))
        })?;
        context.attach(&mut response);
        Ok(response)
    }
}

/// `head_arrived`: the failure is in reading the body, so the request was sent and perhaps performed.
/// The request's secrets plus its whole query string: what error texts are scrubbed of.
fn scrubber(context: &RequestContext, uri: &http::Uri) -> Redactor {
    context.redactor().clone().with(uri.query())
}

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
