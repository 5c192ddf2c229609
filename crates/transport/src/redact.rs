//! Keeping secrets out of text that reaches users, logs and errors.

pub use botwire_core_types::redact::Redactor;
use botwire_core_types::redact::{REDACTED, SECRET_PARAMS};

/// The URI with the value of every query parameter replaced by `<redacted>`.
///
/// Parameter names and the path stay, so the text still says which call it was.
///
/// ```
/// let uri: http::Uri = "https://app.onebot.tech/api/v1/getMe?api_token=s3cr3t&page=2".parse()?;
/// assert_eq!(
///     botwire_transport::redact_uri(&uri),
///     "https://app.onebot.tech/api/v1/getMe?api_token=<redacted>&page=<redacted>"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn redact_uri(uri: &http::Uri) -> String {
    let mut out = String::new();
    if let Some(scheme) = uri.scheme_str() {
        out.push_str(scheme);
        out.push_str("://");
    }
    if let Some(authority) = uri.authority() {
        out.push_str(authority.as_str());
    }
    out.push_str(uri.path());
    if let Some(query) = uri.query() {
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            let name = pair.split('=').next().unwrap_or_default();
            out.push_str(name);
            out.push_str("=<redacted>");
        }
    }
    out
}

/// Removes secrets from free text: the given `secrets` (raw or encoded, see [`Redactor`]), and the value of any
/// `api_token=`, `access_token=` or `token=` query parameter.
///
/// A shorthand for `Redactor::new(secrets).scrub(text)`.
///
/// ```
/// let text = "error sending request for url (https://h/api/v1/getMe?api_token=abc123)";
/// assert_eq!(
///     botwire_transport::scrub_secrets(text, &[]),
///     "error sending request for url (https://h/api/v1/getMe?api_token=<redacted>)"
/// );
/// ```
pub fn scrub_secrets(text: &str, secrets: &[&str]) -> String {
    Redactor::new(secrets).scrub(text)
}

/// Headers whose values are secrets even when not marked sensitive.
pub(crate) const SECRET_HEADERS: &[&str] = &["authorization", "x-max-bot-api-secret", "cookie"];

/// The secrets a request carries: the values of sensitive and secret headers (`Authorization`, the MAX
/// webhook secret, cookies), the values of secret query parameters (`api_token`, `access_token`, `token`,
/// percent-decoded), and any [`Redactor`] stored in its extensions.
pub fn request_secrets<B>(request: &http::Request<B>) -> Redactor {
    let mut found: Vec<std::borrow::Cow<'_, str>> = Vec::new();
    for (name, value) in request.headers() {
        if value.is_sensitive() || SECRET_HEADERS.contains(&name.as_str()) {
            let text = String::from_utf8_lossy(value.as_bytes());
            // `Bearer x`, `Basic x`: the credential alone may be echoed too.
            if let Some((_, credential)) = text.trim().rsplit_once(' ') {
                found.push(credential.to_owned().into());
            }
            found.push(text);
        }
    }
    if let Some(query) = request.uri().query().filter(|q| q.contains("token=")) {
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if SECRET_PARAMS.contains(&name.as_ref()) {
                found.push(value);
            }
        }
    }
    match request.extensions().get::<Redactor>() {
        Some(known) => known.clone().with(found),
        None => Redactor::new(found),
    }
}

/// What the answer to a request needs to know about the request: its secrets, so that text the server echoes
/// can be scrubbed wherever it is captured (API error messages, decode excerpts, transport errors), and whether
/// repeating it is harmless, so that errors report honestly whether they may be retried.
///
/// Backends and the API clients attach it to every response ([`RequestContext::attach`]); the API crates'
/// `parse` functions read it back ([`RequestContext::of_response`]). A response without one (built by hand)
/// gets the defaults: no known secret (secret parameters are still scrubbed) and not idempotent (never
/// reported as safe to repeat).
///
/// ```
/// use botwire_transport::RequestContext;
///
/// let req = http::Request::post("https://h/api/v1/sendMessage?api_token=s3cr3t").body(Vec::<u8>::new())?;
/// let ctx = RequestContext::of_request(&req);
/// assert!(!ctx.is_idempotent());
/// assert_eq!(ctx.redactor().scrub("Invalid token s3cr3t"), "Invalid token <redacted>");
///
/// let mut resp = http::Response::new(Vec::<u8>::new());
/// ctx.attach(&mut resp);
/// assert_eq!(RequestContext::of_response(&resp), ctx);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    redactor: Redactor,
    idempotent: bool,
}

impl RequestContext {
    /// The context of `request`: its [secrets](request_secrets) — or those of the context a layer above
    /// already stored in it ([`RequestContext::store`]), so they are worked out once per request — and
    /// [`RequestOptions::is_idempotent`](crate::RequestOptions::is_idempotent), read from the request as it is
    /// now (its options may have changed since a context was stored).
    pub fn of_request<B>(request: &http::Request<B>) -> Self {
        let idempotent = crate::RequestOptions::is_idempotent(request);
        let redactor = match request.extensions().get::<Self>() {
            Some(known) => known.redactor.clone(),
            None => request_secrets(request),
        };
        Self {
            redactor,
            idempotent,
        }
    }

    /// A context from what the caller already knows: the request's secrets and whether it may be repeated.
    ///
    /// For API crates that build their requests from a configuration whose secrets they worked out once
    /// (the MAX `Authorization` token): storing `RequestContext::new(config_redactor.clone(), idempotent)` in
    /// the request at build time spares every later layer the scan of [`of_request`](Self::of_request) (which
    /// still reads whether the request is idempotent from the request itself). The redactor must cover every
    /// secret the request carries; when in doubt, use `of_request`.
    ///
    /// ```
    /// use botwire_transport::{Redactor, RequestContext};
    ///
    /// let ctx = RequestContext::new(Redactor::new(["s3cr3t"]), true);
    /// assert!(ctx.is_idempotent());
    /// assert_eq!(ctx.redactor().scrub("bad s3cr3t"), "bad <redacted>");
    /// ```
    pub fn new(redactor: Redactor, idempotent: bool) -> Self {
        Self {
            redactor,
            idempotent,
        }
    }

    /// Stores this context in the request, for the layers below (the backend) to reuse.
    pub fn store<B>(&self, request: &mut http::Request<B>) {
        request.extensions_mut().insert(self.clone());
    }

    /// The context stored in `request` ([`store`](Self::store)), or — when there is none — the one
    /// [`of_request`](Self::of_request) works out, stored in it on the way: what every entry point (the API
    /// clients' `execute`) calls, so that the layers below find it.
    pub fn ensure<B>(request: &mut http::Request<B>) -> Self {
        let context = Self::of_request(request);
        if request.extensions().get::<Self>() != Some(&context) {
            context.store(request);
        }
        context
    }

    /// The context attached to `response`, or the defaults.
    pub fn of_response<B>(response: &http::Response<B>) -> Self {
        response
            .extensions()
            .get::<Self>()
            .cloned()
            .unwrap_or_default()
    }

    /// Stores this context in the response (unless the response already carries this very context, as it
    /// does when the backend attached it: the API clients attach it again for transports that do not).
    pub fn attach<B>(&self, response: &mut http::Response<B>) {
        if response.extensions().get::<Self>() != Some(self) {
            response.extensions_mut().insert(self.clone());
        }
    }

    /// The scrubber for text about this exchange.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Whether the request may be repeated without changing the outcome.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    /// `error` scrubbed of this request's secrets and told whether the request is idempotent — what every
    /// layer that hands an error to the user applies.
    pub fn error(&self, error: crate::TransportError) -> crate::TransportError {
        error
            .scrubbed(&self.redactor)
            .with_idempotent(self.idempotent)
    }
}

/// A request as it may be printed: `Debug` and `Display` show the method, the URL with every query value
/// `<redacted>`, and the headers with secret ones `<redacted>` — unlike `http::Request`'s own `Debug`, which
/// prints the URI whole (the OneBot `api_token` with it). `Display` is [`describe_request`](crate::describe_request).
///
/// ```
/// let req = http::Request::get("https://app.onebot.tech/api/v1/getMe?api_token=s3cr3t").body(Vec::new())?;
/// assert!(format!("{req:?}").contains("s3cr3t")); // http's Debug
/// let shown = format!("{:?}", botwire_transport::Redacted(&req));
/// assert!(!shown.contains("s3cr3t"));
/// assert!(shown.contains("getMe?api_token=<redacted>"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Redacted<'a>(pub &'a crate::HttpRequest);

impl std::fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let req = self.0;
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(name, value)| {
                let shown = if value.is_sensitive() || SECRET_HEADERS.contains(&name.as_str()) {
                    REDACTED.to_owned()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str().to_owned(), shown)
            })
            .collect();
        f.debug_struct("Request")
            .field("method", req.method())
            .field("uri", &redact_uri(req.uri()))
            .field("version", &req.version())
            .field("headers", &headers)
            .field("body_bytes", &req.body().len())
            .finish()
    }
}

impl std::fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::describe_request(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_known_params_and_explicit_secrets() {
        assert_eq!(
            scrub_secrets("GET /x?a=1&api_token=zzz&b=2 failed", &[]),
            "GET /x?a=1&api_token=<redacted>&b=2 failed"
        );
        assert_eq!(
            scrub_secrets("token abc leaked: abc", &["abc"]),
            "token <redacted> leaked: <redacted>"
        );
        // not a parameter: left alone
        assert_eq!(scrub_secrets("my_token=1", &[]), "my_token=1");
        assert_eq!(
            scrub_secrets("api_token=<redacted>", &[]),
            "api_token=<redacted>"
        );
    }

    #[test]
    fn redacts_every_query_value() {
        let uri: http::Uri = "http://127.0.0.1:9/getMe?api_token=s&x=1".parse().unwrap();
        assert_eq!(
            redact_uri(&uri),
            "http://127.0.0.1:9/getMe?api_token=<redacted>&x=<redacted>"
        );
        let uri: http::Uri = "/me".parse().unwrap();
        assert_eq!(redact_uri(&uri), "/me");
    }

    #[test]
    fn a_request_names_its_own_secrets() {
        let mut auth = http::HeaderValue::from_static("max-t0ken");
        auth.set_sensitive(true);
        let req = http::Request::get("http://h/x?api_token=one%2Btwo&page=3")
            .header("authorization", auth)
            .header("x-custom", "Bearer not-secret")
            .body(Vec::<u8>::new())
            .unwrap();
        let r = request_secrets(&req);
        assert_eq!(
            r.scrub("max-t0ken one+two one%2btwo 3 not-secret"),
            "<redacted> <redacted> <redacted> 3 not-secret"
        );
        let shown = format!("{:?} {}", Redacted(&req), Redacted(&req));
        assert!(
            !shown.contains("max-t0ken") && !shown.contains("one"),
            "{shown}"
        );
    }
}
