use std::time::Duration;

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
            #[cfg(feature = "tls")]
            roots: crate::TlsRoots::default(),
        }
    }
}

impl TransportConfig {
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
        request.extensions_mut().insert(self);
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
        Self::of(request).idempotent.unwrap_or_else(|| {
            matches!(
                *request.method(),
                http::Method::GET
                    | http::Method::HEAD
                    | http::Method::PUT
                    | http::Method::DELETE
                    | http::Method::OPTIONS
            )
        })
    }
}
