use std::fmt;
use std::time::Duration;

use crate::TransportError;

/// A proxy every request goes through: `http://`, `https://`, or with the `socks` feature `socks5://`,
/// `socks5h://`, `socks4://`, `socks4a://` — optionally with `user:password@`.
///
/// The URL is checked here, so a transport never falls back to a direct connection because its proxy was
/// unusable; credentials in it never appear in `Debug` or in errors.
///
/// ```
/// use botwire_transport::{Proxy, TransportConfig};
///
/// let proxy = Proxy::new("http://alice:s3cret@127.0.0.1:3128")?;
/// assert_eq!(format!("{proxy:?}"), "Proxy(http://<redacted>@127.0.0.1:3128)");
/// let config = TransportConfig::default().proxy(proxy);
/// assert!(config.get_proxy().is_some());
/// assert!(Proxy::new("ftp://127.0.0.1:21").is_err());
/// # Ok::<(), botwire_transport::TransportError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    url: String,
    scheme: String,
    /// `host:port` without any credentials.
    address: String,
    has_credentials: bool,
}

impl Proxy {
    /// Checks and keeps a proxy URL.
    pub fn new(url: impl Into<String>) -> Result<Self, TransportError> {
        let url = url.into();
        let invalid = |why: &str| TransportError::invalid_request(format!("proxy URL: {why}"));
        let uri: http::Uri = url.parse().map_err(|_| invalid("not a URL"))?;
        let scheme = uri.scheme_str().unwrap_or_default().to_ascii_lowercase();
        match scheme.as_str() {
            "http" | "https" => {}
            "socks5" | "socks5h" | "socks4" | "socks4a" if cfg!(feature = "socks") => {}
            "socks5" | "socks5h" | "socks4" | "socks4a" => {
                return Err(invalid(
                    "a SOCKS proxy needs botwire-transport's `socks` feature",
                ));
            }
            _ => {
                return Err(invalid(
                    "the scheme must be http, https, socks5(h) or socks4(a)",
                ));
            }
        }
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        if authority.host().is_empty() {
            return Err(invalid("no host"));
        }
        let address = match authority.port_u16() {
            Some(port) => format!("{}:{port}", authority.host()),
            None => authority.host().to_owned(),
        };
        Ok(Self {
            has_credentials: authority.as_str().contains('@'),
            url,
            scheme,
            address,
        })
    }

    /// The URL as given, credentials included: for the one place that hands it to a backend.
    pub fn expose_url(&self) -> &str {
        &self.url
    }

    /// `host:port` of the proxy (never the credentials).
    pub fn address(&self) -> &str {
        &self.address
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = if self.has_credentials {
            "<redacted>@"
        } else {
            ""
        };
        write!(f, "Proxy({}://{credentials}{})", self.scheme, self.address)
    }
}

/// Settings shared by both backends.
///
/// ```
/// use std::time::Duration;
/// use botwire_transport::TransportConfig;
///
/// let cfg = TransportConfig::default()
///     .connect_timeout(Duration::from_secs(5))
///     .timeout(Duration::from_secs(40))
///     .max_body_bytes(4 << 20);
/// assert_eq!(cfg.get_timeout(), Some(Duration::from_secs(40)));
/// ```
#[derive(Debug, Clone)]
pub struct TransportConfig {
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    max_body_bytes: usize,
    user_agent: String,
    proxy: Option<Proxy>,
    #[cfg(feature = "tls")]
    roots: crate::TlsRoots,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Some(Duration::from_secs(10)),
            // Longer than MAX's 30 s long-poll hold, so a poll is never cut by the client's own timer.
            timeout: Some(Duration::from_secs(60)),
            max_body_bytes: 16 * 1024 * 1024,
            user_agent: concat!("botwire/", env!("CARGO_PKG_VERSION")).to_owned(),
            proxy: None,
            #[cfg(feature = "tls")]
            roots: crate::TlsRoots::default(),
        }
    }
}

impl TransportConfig {
    /// Sends every request through `proxy` (`None`: the backend's default, which reads the standard
    /// `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY` environment variables).
    #[must_use]
    pub fn proxy(mut self, proxy: impl Into<Option<Proxy>>) -> Self {
        self.proxy = proxy.into();
        self
    }

    /// The proxy, if one is set.
    pub fn get_proxy(&self) -> Option<&Proxy> {
        self.proxy.as_ref()
    }

    /// Limit on establishing a connection (DNS + TCP + TLS); `None` waits forever. Default 10 s.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// Limit on a whole exchange, from sending to the last body byte; `None` waits forever. Default 60 s.
    /// (The ureq backend applies it to each phase — send, wait for the head, read the body — for speed.)
    /// A request can override it with [`RequestOptions::timeout`].
    #[must_use]
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// Largest response body accepted, in bytes; a larger one fails with
    /// [`TransportErrorKind::BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge). Default 16 MiB.
    #[must_use]
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The `User-Agent` header sent when a request has none. Default `botwire/<version>`.
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The trusted root certificates. Default: webpki roots plus the bundled Russian Trusted Root CA.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn roots(mut self, roots: crate::TlsRoots) -> Self {
        self.roots = roots;
        self
    }

    /// The connect timeout.
    pub fn get_connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    /// The whole-request timeout.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The response body cap.
    pub fn get_max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// The default `User-Agent`.
    pub fn get_user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The trusted roots.
    #[cfg(feature = "tls")]
    pub fn get_roots(&self) -> &crate::TlsRoots {
        &self.roots
    }
}

/// Per-request settings, carried in the request's extensions by the sans-IO layer and read by backends and
/// policy layers.
///
/// ```
/// use std::time::Duration;
/// use botwire_transport::RequestOptions;
///
/// let mut req = http::Request::post("https://h/messages").body(Vec::<u8>::new())?;
/// RequestOptions::default().timeout(Duration::from_secs(45)).idempotent(false).apply(&mut req);
/// assert_eq!(RequestOptions::of(&req).get_timeout(), Some(Duration::from_secs(45)));
/// assert!(!RequestOptions::is_idempotent(&req));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestOptions {
    timeout: Option<Duration>,
    idempotent: Option<bool>,
}

impl RequestOptions {
    /// Overrides the transport's whole-request timeout for this request (long polling needs more than the
    /// server's hold time).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Declares whether sending this request twice has the same effect as sending it once. Unset, the HTTP
    /// method decides (GET, HEAD, PUT, DELETE, OPTIONS are; POST and PATCH are not).
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// The per-request timeout, if set.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Stores these options in the request.
    pub fn apply<B>(self, request: &mut http::Request<B>) {
        if self == Self::default() {
            // The defaults are what a request without options has: storing them would only cost every
            // request an allocation (and every copy of it another).
            request.extensions_mut().remove::<Self>();
        } else {
            request.extensions_mut().insert(self);
        }
    }

    /// The options stored in a request, or the defaults.
    pub fn of<B>(request: &http::Request<B>) -> Self {
        request
            .extensions()
            .get::<Self>()
            .copied()
            .unwrap_or_default()
    }

    /// Whether the request may be repeated without changing the outcome.
    pub fn is_idempotent<B>(request: &http::Request<B>) -> bool {
        Self::of(request).is_idempotent_for(request.method())
    }

    /// Whether a request with these options and `method` may be repeated: the explicit
    /// [`idempotent`](Self::idempotent) setting, else what the method promises (`GET`, `HEAD`, `PUT`, `DELETE`,
    /// `OPTIONS`).
    pub fn is_idempotent_for(&self, method: &http::Method) -> bool {
        self.idempotent.unwrap_or(matches!(
            *method,
            http::Method::GET
                | http::Method::HEAD
                | http::Method::PUT
                | http::Method::DELETE
                | http::Method::OPTIONS
        ))
    }
}
