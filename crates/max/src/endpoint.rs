//! The sans-IO seam: every API call is a value that builds an [`HttpRequest`] and parses an [`HttpResponse`].

use std::fmt::Display;
use std::time::Duration;

use botwire_core_types::decode;
use botwire_core_types::max::{ApiErrorBody, SimpleQueryResult};
use botwire_transport::{HttpRequest, HttpResponse, RequestContext, RequestOptions, url};
use http::{HeaderValue, Method, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{ApiError, Config, Error};

/// `application/json`, the `Accept` of every request and the `Content-Type` of JSON bodies: static bytes, no
/// copy and no allocation per request.
fn json() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

/// One operation of the API, independent of how bytes move.
///
/// `request` validates and builds; `parse` classifies the status and decodes. Both are plain functions: tests
/// call them without a socket, and both clients call them around one line of I/O.
///
/// ```
/// use botwire_max::{Config, Endpoint, endpoints::GetMe};
///
/// let req = GetMe.request(&Config::new("t"))?;
/// assert_eq!(req.uri(), "https://platform-api2.max.ru/me");
///
/// let resp = http::Response::new(br#"{"user_id":1,"first_name":"Bot","is_bot":true}"#.to_vec());
/// assert_eq!(GetMe.parse(resp)?.first_name, "Bot");
/// # Ok::<(), botwire_max::Error>(())
/// ```
pub trait Endpoint {
    /// What a successful call returns.
    type Output;

    /// Checks the documented limits and builds the request. Nothing is sent when this fails.
    fn request(&self, config: &Config) -> Result<HttpRequest, Error>;

    /// Turns the response into the output or an [`Error`].
    fn parse(&self, response: HttpResponse) -> Result<Self::Output, Error>;
}

/// Builds a request against a [`Config`]: method, path, query, JSON body, headers, options.
///
/// Endpoints use it so every request carries the same headers: `Authorization: <token>` (raw, marked
/// sensitive, no `Bearer`), `Accept: application/json` and `Content-Type` when there is a body. The `v` query
/// parameter is never sent.
#[derive(Debug)]
pub struct RequestBuilder<'a> {
    config: &'a Config,
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<(Vec<u8>, &'static str)>,
    options: RequestOptions,
}

impl<'a> RequestBuilder<'a> {
    /// A request for `method` on `path` (relative to the base URL; encode variable segments with
    /// [`url::path_segment`]).
    pub fn new(config: &'a Config, method: Method, path: impl Into<String>) -> Self {
        Self {
            config,
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            options: RequestOptions::default(),
        }
    }

    /// Adds a query parameter.
    #[must_use]
    pub fn query(mut self, name: &'static str, value: impl Display) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    #[must_use]
    pub fn query_opt(self, name: &'static str, value: Option<impl Display>) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    /// Adds a list parameter, comma-separated in one parameter (`types=a,b`), when the list is not empty.
    #[must_use]
    pub fn query_list<I>(self, name: &'static str, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Display,
    {
        let joined = values
            .into_iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",");
        if joined.is_empty() {
            self
        } else {
            self.query(name, joined)
        }
    }

    /// Sets a JSON body.
    pub fn json(mut self, body: &impl Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::Config(format!("cannot encode request body: {e}")))?;
        self.body = Some((bytes, "application/json"));
        Ok(self)
    }

    /// Sets a raw body with its content type (multipart uploads).
    #[must_use]
    pub fn raw_body(mut self, body: Vec<u8>, content_type: &'static str) -> Self {
        self.body = Some((body, content_type));
        self
    }

    /// Overrides the transport timeout for this request.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.timeout(timeout);
        self
    }

    /// Declares whether repeating the request is harmless (see [`RequestOptions::idempotent`]).
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.options = self.options.idempotent(idempotent);
        self
    }

    /// The finished request.
    pub fn build(self) -> Result<HttpRequest, Error> {
        let query: Vec<(&str, &str)> = self.query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let uri = url::build_uri(self.config.base_url(), &self.path, &query)
            .map_err(|e| Error::Config(format!("invalid base URL or path: {e}")))?;
        let auth = self.config.authorization().cloned().ok_or_else(|| {
            Error::Config("the token holds characters not allowed in an HTTP header".into())
        })?;
        let idempotent = self.options.is_idempotent_for(&self.method);
        let (body, content_type) = match self.body {
            // A constant: no copy, no validation.
            Some((b, "application/json")) => (b, Some(json())),
            Some((b, ct)) => {
                let ct = HeaderValue::try_from(ct)
                    .map_err(|e| Error::Config(format!("cannot build request: {e}")))?;
                (b, Some(ct))
            }
            None => (Vec::new(), None),
        };
        // Assembled in place rather than through `http::request::Builder`, which moves the whole head through a
        // `Result` at every step.
        let mut req = http::Request::new(body);
        *req.method_mut() = self.method;
        *req.uri_mut() = uri;
        let headers = req.headers_mut();
        headers.reserve(3);
        headers.insert(header::AUTHORIZATION, auth);
        headers.insert(header::ACCEPT, json());
        if let Some(ct) = content_type {
            headers.insert(header::CONTENT_TYPE, ct);
        }
        self.options.apply(&mut req);
        // The secrets are the configuration's (the token): the layers below reuse them instead of scanning
        // the request again.
        RequestContext::new(self.config.redactor().clone(), idempotent).store(&mut req);
        Ok(req)
    }
}

/// Classifies a response and decodes a 2xx body into `T`.
///
/// 429 becomes [`Error::RateLimited`] (with `Retry-After` when sent); other non-2xx become [`Error::Api`] with the
/// body's `code` and `message`; a 2xx body that does not match `T` becomes [`Error::Decode`] naming the JSON path.
///
/// Every text taken from the body into an error is scrubbed by the response's
/// [`RequestContext`] redactor (the clients and backends attach it), so a token the server echoes never
/// reaches `Display`, `Debug` or a log line.
///
/// ```
/// use botwire_max::{Config, Endpoint, endpoint::parse_json, endpoints::GetMe};
/// use botwire_transport::RequestContext;
///
/// let req = GetMe.request(&Config::new("s3cr3t-t0ken"))?;
/// let mut resp = http::Response::builder()
///     .status(401)
///     .body(br#"{"code":"verify.token","message":"Invalid access_token: s3cr3t-t0ken"}"#.to_vec())
///     .unwrap();
/// RequestContext::of_request(&req).attach(&mut resp);
/// let err = parse_json::<serde_json::Value>(resp).unwrap_err();
/// assert_eq!(err.to_string(), "MAX API error: HTTP 401 verify.token: Invalid access_token: <redacted>");
/// # Ok::<(), botwire_max::Error>(())
/// ```
pub fn parse_json<T: DeserializeOwned>(response: HttpResponse) -> Result<T, Error> {
    let status = check_status(&response)?;
    let context = RequestContext::of_response(&response);
    decode::from_slice_redacted(response.body(), context.redactor()).map_err(|source| {
        Error::Decode {
            status: status.as_u16(),
            source,
        }
    })
}

/// Parses a `SimpleQueryResult` answer (`{"success": bool, "message": …}`): `success: true` is `Ok(())`,
/// `success: false` is [`Error::Unsuccessful`] with the server's explanation.
///
/// ```
/// use botwire_max::{Error, endpoint::parse_simple};
///
/// assert!(parse_simple(http::Response::new(br#"{"success":true}"#.to_vec())).is_ok());
/// let refused = http::Response::new(br#"{"success":false,"message":"not allowed"}"#.to_vec());
/// assert!(matches!(parse_simple(refused), Err(Error::Unsuccessful { message: Some(m) }) if m == "not allowed"));
/// ```
pub fn parse_simple(response: HttpResponse) -> Result<(), Error> {
    let context = RequestContext::of_response(&response);
    let result: SimpleQueryResult = parse_json(response)?;
    if result.success {
        Ok(())
    } else {
        Err(Error::Unsuccessful {
            message: result.message.map(|m| context.redactor().scrub(&m)),
        })
    }
}

/// Returns the status of a 2xx response, or the error a non-2xx one stands for.
///
/// The body's `code` and `message` (or its first 200 characters when it is not JSON: a proxy's HTML page) are
/// scrubbed by the response's [`RequestContext`] redactor; the context also says whether the request was
/// idempotent, which decides whether a 5xx is [retryable](Error::is_retryable).
pub fn check_status(response: &HttpResponse) -> Result<StatusCode, Error> {
    let status = response.status();
    if status.is_success() {
        return Ok(status);
    }
    let context = RequestContext::of_response(response);
    let redactor = context.redactor();
    let body: ApiErrorBody = serde_json::from_slice(response.body()).unwrap_or_default();
    let api = ApiError {
        status,
        code: body.code.map(|c| redactor.scrub(&c)),
        message: body
            .message
            .or(body.error)
            .map(|m| redactor.scrub(&m))
            .or_else(|| {
                let text =
                    redactor.scrub_prefix(String::from_utf8_lossy(response.body()).trim(), 200);
                (!text.is_empty()).then_some(text)
            }),
        idempotent: context.is_idempotent(),
    };
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(Error::RateLimited {
            retry_after: botwire_transport::retry_after(response.headers()),
            error: Some(api),
        });
    }
    Err(Error::Api(api))
}

/// Implements [`Endpoint::parse`] as [`parse_json`] of the output type.
macro_rules! json_output {
    () => {
        fn parse(
            &self,
            response: botwire_transport::HttpResponse,
        ) -> Result<Self::Output, $crate::Error> {
            $crate::endpoint::parse_json(response)
        }
    };
}
pub(crate) use json_output;

/// Implements [`Endpoint::parse`] as [`parse_simple`]: the output is `()`, `success: false` is an error.
macro_rules! simple_output {
    () => {
        fn parse(
            &self,
            response: botwire_transport::HttpResponse,
        ) -> Result<Self::Output, $crate::Error> {
            $crate::endpoint::parse_simple(response)
        }
    };
}
pub(crate) use simple_output;
