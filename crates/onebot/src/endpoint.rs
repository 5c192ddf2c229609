//! The sans-IO seam: every method is a value that builds an [`HttpRequest`] and parses an [`HttpResponse`].

use std::time::Duration;

use botwire_core_types::decode;
use botwire_core_types::onebot::ErrorBody;
use botwire_transport::{HttpRequest, HttpResponse, RequestContext, RequestOptions, url};
use http::{Method, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Config, Error};

/// One method of the API, independent of how bytes move.
///
/// ```
/// use botwire_onebot::{Config, Endpoint, endpoints::GetMe};
///
/// let req = GetMe.request(&Config::new("t"))?;
/// assert_eq!(req.uri(), "https://app.onebot.tech/api/v1/getMe?api_token=t");
/// assert_eq!(req.headers()["x-requested-with"], "XMLHttpRequest");
///
/// let resp = http::Response::new(br#"{"data":{"id":5,"name":"Shop"}}"#.to_vec());
/// assert_eq!(GetMe.parse(resp)?.name.as_deref(), Some("Shop"));
/// # Ok::<(), botwire_onebot::Error>(())
/// ```
pub trait Endpoint {
    /// What a successful call returns.
    type Output;

    /// Checks required parameters and builds the request. Nothing is sent when this fails.
    fn request(&self, config: &Config) -> Result<HttpRequest, Error>;

    /// Turns the response into the output or an [`Error`].
    fn parse(&self, response: HttpResponse) -> Result<Self::Output, Error>;
}

/// Builds a request for one method: `api_token` first in the query, `X-Requested-With: XMLHttpRequest` and
/// `Accept: application/json` always; GET parameters in the query, POST parameters as a JSON body.
#[derive(Debug)]
pub struct RequestBuilder<'a> {
    config: &'a Config,
    method: Method,
    name: &'static str,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    options: RequestOptions,
}

impl<'a> RequestBuilder<'a> {
    /// A `GET` of method `name` (e.g. `getContacts`).
    pub fn get(config: &'a Config, name: &'static str) -> Self {
        Self::new(config, Method::GET, name)
    }

    /// A `POST` of method `name` (e.g. `setContactVariable`). Not idempotent unless marked.
    pub fn post(config: &'a Config, name: &'static str) -> Self {
        Self::new(config, Method::POST, name)
    }

    fn new(config: &'a Config, method: Method, name: &'static str) -> Self {
        Self {
            config,
            method,
            name,
            query: Vec::new(),
            body: None,
            options: RequestOptions::default(),
        }
    }

    /// Adds the parameters: into the query for GET, as the JSON body for POST.
    ///
    /// `params` must serialise to a JSON object; `None` fields must be skipped by the type
    /// (`skip_serializing_if`), so unset optionals are never sent as `null` or `""`. In the query, booleans become
    /// `0`/`1`, arrays `name[]=v` and objects `name[key]=v` (PHP style, as Laravel reads them).
    pub fn params(mut self, params: &impl Serialize) -> Result<Self, Error> {
        let value = serde_json::to_value(params)
            .map_err(|e| Error::Config(format!("cannot encode parameters: {e}")))?;
        if self.method == Method::GET {
            if let serde_json::Value::Object(map) = value {
                for (k, v) in map {
                    flatten_query(&k, &v, &mut self.query);
                }
            }
        } else {
            self.body = Some(serde_json::to_vec(&value).map_err(|e| Error::Config(e.to_string()))?);
        }
        Ok(self)
    }

    /// Overrides the transport timeout for this request.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.timeout(timeout);
        self
    }

    /// Declares whether repeating the request is harmless (a read, or a write such as "set variable").
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.options = self.options.idempotent(idempotent);
        self
    }

    /// The finished request.
    ///
    /// The token is in its URI, and `http::Request`'s `Debug` prints the URI whole: print it through
    /// [`botwire_transport::Redacted`] (or [`describe_request`](botwire_transport::describe_request)), never
    /// with `{:?}`.
    pub fn build(self) -> Result<HttpRequest, Error> {
        let mut query: Vec<(&str, &str)> = Vec::with_capacity(self.query.len() + 1);
        query.push(("api_token", self.config.token().expose()));
        query.extend(self.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let uri = url::build_uri(self.config.base_url(), self.name, &query)
            // The InvalidUri message never quotes the URI, so the token cannot leak through it.
            .map_err(|e| Error::Config(format!("invalid base URL: {e}")))?;
        let idempotent = self.options.is_idempotent_for(&self.method);
        // Assembled in place rather than through `http::request::Builder`, which moves the whole head through a
        // `Result` at every step.
        let has_body = self.body.is_some();
        let mut req = http::Request::new(self.body.unwrap_or_default());
        *req.method_mut() = self.method;
        *req.uri_mut() = uri;
        let headers = req.headers_mut();
        headers.reserve(3);
        headers.insert(requested_with(), xml_http_request());
        headers.insert(header::ACCEPT, json());
        if has_body {
            headers.insert(header::CONTENT_TYPE, json());
        }
        self.options.apply(&mut req);
        // The only secret is the configuration's token: the layers below reuse it instead of parsing the
        // query again.
        RequestContext::new(self.config.redactor().clone(), idempotent).store(&mut req);
        Ok(req)
    }
}

/// The fixed headers, from static bytes: no copy and no allocation per request.
fn requested_with() -> http::HeaderName {
    http::HeaderName::from_static("x-requested-with")
}

fn xml_http_request() -> http::HeaderValue {
    http::HeaderValue::from_static("XMLHttpRequest")
}

fn json() -> http::HeaderValue {
    http::HeaderValue::from_static("application/json")
}

fn flatten_query(name: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((name.to_owned(), if *b { "1" } else { "0" }.to_owned())),
        Value::Number(n) => out.push((name.to_owned(), n.to_string())),
        Value::String(s) => out.push((name.to_owned(), s.clone())),
        Value::Array(items) => {
            for item in items {
                flatten_query(&format!("{name}[]"), item, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                flatten_query(&format!("{name}[{k}]"), v, out);
            }
        }
    }
}

/// Classifies a response and decodes a 2xx body into `T`.
///
/// 422 → [`Error::Rejected`] with field → messages; 429 → [`Error::RateLimited`]; other non-2xx →
/// [`Error::Api`]; a 2xx `{"success": false}` → [`Error::Unsuccessful`]; a body that does not match `T` →
/// [`Error::Decode`] naming the JSON path.
///
/// Every text taken from the body into an error is scrubbed by the response's [`RequestContext`] redactor
/// (the clients and backends attach it): the `api_token` never reaches `Display`, `Debug` or a log line, even
/// when the server quotes it.
///
/// ```
/// use botwire_onebot::{Config, Endpoint, endpoint::parse_json, endpoints::GetMe};
/// use botwire_transport::RequestContext;
///
/// let req = GetMe.request(&Config::new("s3cr3t"))?;
/// let page = "<html><title>404</title>GET /api/v1/getMe?api_token=s3cr3t HTTP/1.1 s3cr3t</html>";
/// let mut resp = http::Response::builder().status(404).body(page.as_bytes().to_vec()).unwrap();
/// RequestContext::of_request(&req).attach(&mut resp);
/// let err = parse_json::<serde_json::Value>(resp).unwrap_err();
/// assert!(!format!("{err} {err:?}").contains("s3cr3t"));
/// # Ok::<(), botwire_onebot::Error>(())
/// ```
pub fn parse_json<T: DeserializeOwned>(response: HttpResponse) -> Result<T, Error> {
    let status = check_status(&response)?;
    let context = RequestContext::of_response(&response);
    check_success_flag(&response)?;
    decode::from_slice_redacted(response.body(), context.redactor()).map_err(|source| {
        Error::Decode {
            status: status.as_u16(),
            source,
        }
    })
}

/// Returns the status of a 2xx response, or the error a non-2xx one stands for.
///
/// Texts from the body (the message, 422 field errors, the first 200 characters of a non-JSON page) are
/// scrubbed by the response's [`RequestContext`] redactor; the context also says whether the request was
/// idempotent, which decides whether a 5xx is [retryable](Error::is_retryable).
pub fn check_status(response: &HttpResponse) -> Result<StatusCode, Error> {
    let status = response.status();
    if status.is_success() {
        return Ok(status);
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(Error::RateLimited {
            retry_after: botwire_transport::retry_after(response.headers()),
        });
    }
    let context = RequestContext::of_response(response);
    let redactor = context.redactor();
    let body: Option<ErrorBody> = serde_json::from_slice(response.body()).ok();
    let message = body
        .as_ref()
        .and_then(|b| b.message.as_ref().or(b.error.as_ref()))
        .map(|m| redactor.scrub(m))
        .or_else(|| {
            let text = redactor.scrub_prefix(String::from_utf8_lossy(response.body()).trim(), 200);
            (!text.is_empty()).then_some(text)
        });
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        let errors = body
            .map(|b| b.errors)
            .unwrap_or_default()
            .into_iter()
            .map(|(field, msgs)| {
                (
                    redactor.scrub(&field),
                    msgs.iter().map(|m| redactor.scrub(m)).collect(),
                )
            })
            .collect();
        return Err(Error::Rejected {
            message: message.unwrap_or_default(),
            errors,
        });
    }
    Err(Error::Api {
        status,
        message,
        idempotent: context.is_idempotent(),
    })
}

/// Fails with [`Error::Unsuccessful`] when a 2xx body says `"success": false`; the explanation is scrubbed
/// by the response's [`RequestContext`] redactor.
pub fn check_success_flag(response: &HttpResponse) -> Result<(), Error> {
    let context = RequestContext::of_response(response);
    let redactor = context.redactor();
    let body = response.body();
    #[derive(serde::Deserialize)]
    struct Flag {
        success: Option<serde_json::Value>,
        message: Option<String>,
        error: Option<String>,
    }
    if let Ok(flag) = serde_json::from_slice::<Flag>(body) {
        let failed = matches!(flag.success, Some(serde_json::Value::Bool(false)))
            || matches!(&flag.success, Some(serde_json::Value::Number(n)) if n.as_i64() == Some(0));
        if failed {
            return Err(Error::Unsuccessful {
                message: flag.message.or(flag.error).map(|m| redactor.scrub(&m)),
            });
        }
    }
    Ok(())
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
    (data) => {
        fn parse(
            &self,
            response: botwire_transport::HttpResponse,
        ) -> Result<Self::Output, $crate::Error> {
            $crate::endpoint::parse_json::<botwire_core_types::onebot::Data<Self::Output>>(response)
                .map(|d| d.data)
        }
    };
}
pub(crate) use json_output;

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> HttpResponse {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn classifies_errors() {
        let err = parse_json::<serde_json::Value>(resp(
            422,
            r#"{"message":"The given data was invalid.","errors":{"contact_id":["Поле contact id обязательно для заполнения."]}}"#,
        ))
        .unwrap_err();
        assert_eq!(
            err.field_errors().unwrap()["contact_id"][0],
            "Поле contact id обязательно для заполнения."
        );
        assert_eq!(
            err.to_string(),
            "OneBot rejected the parameters: contact_id: Поле contact id обязательно для заполнения."
        );
        assert!(matches!(
            parse_json::<serde_json::Value>(resp(429, "")),
            Err(Error::RateLimited { .. })
        ));
        let err =
            parse_json::<serde_json::Value>(resp(200, r#"{"success":false,"error":"no bot"}"#))
                .unwrap_err();
        assert_eq!(err.to_string(), "OneBot refused the operation: no bot");
        let err = parse_json::<serde_json::Value>(resp(401, r#"{"message":"Unauthenticated."}"#))
            .unwrap_err();
        assert!(err.is_unauthorized());
        let err = parse_json::<serde_json::Value>(resp(500, "<html>oops</html>")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "OneBot API error: HTTP 500: <html>oops</html>"
        );
    }

    #[test]
    fn query_flattening_follows_php_conventions() {
        let mut out = Vec::new();
        flatten_query(
            "p",
            &serde_json::json!({"b": true, "n": null, "tags": ["A", "B"], "f": {"tag_id": 3}}),
            &mut out,
        );
        let text: Vec<String> = out.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            text,
            ["p[b]=1", "p[f][tag_id]=3", "p[tags][]=A", "p[tags][]=B"]
        );
    }
}
