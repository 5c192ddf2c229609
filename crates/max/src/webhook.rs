//! Receiving updates by webhook.
//!
//! The sans-IO part checks a delivery in two steps, so the secret is verified before a byte of the body is read:
//!
//! 1. [`check_headers`]: exactly one `X-Max-Bot-Api-Secret` header, equal to the configured secret (compared in
//!    constant time with [`subtle`]); the `Content-Type`; an announced `Content-Length` above the body cap.
//! 2. [`parse_body`]: the body cap, then the update. A body that is not an update (broken JSON, a missing field)
//!    is not refused: it comes out as [`Delivery::Malformed`] with the raw bytes and where decoding broke, so it
//!    reaches the bot instead of being lost (MAX would redeliver it up to 10 times, each time as broken). An
//!    unknown update type is a normal [`Update::Unknown`].
//!
//! [`parse_delivery`] runs both and, for callers that want the strict form, turns a malformed body into
//! [`Rejection::NotAnUpdate`].
//!
//! With the `webhook` feature, [`router`] / [`delivery_router`] serve deliveries with axum and [`serve`] runs any
//! axum router behind header-read and body timeouts, a request deadline and a connection bound ([`ServerLimits`]).
//! The router answers `200` as soon as a delivery checks out and runs the handler afterwards, so a slow handler
//! never misses the platform's 30-second deadline.
//!
//! | delivery | answer | handler |
//! |---|---|---|
//! | update (known or unknown type) | `200` | [`Delivery::Update`] |
//! | right secret, body not an update | `200` (so MAX does not redeliver it) | [`Delivery::Malformed`] |
//! | secret missing, wrong or sent twice | `401`, body never read | — |
//! | `Content-Type` present and not JSON | `415` | — |
//! | body above the cap | `413` | — |
//! | body stalls longer than the body timeout / request slower than the deadline | `408` ([`serve`]) | — |
//! | method other than `POST` | `405` | — |
//!
//! MAX retries failed deliveries (up to 10 times, for up to 8 hours), and the same event may come twice: make
//! handlers idempotent.

use botwire_core_types::decode::DecodeError;
use botwire_core_types::max::Update;
use http::{HeaderMap, StatusCode};
use subtle::ConstantTimeEq;

/// The header MAX sends the subscription's secret in.
pub const SECRET_HEADER: &str = "x-max-bot-api-secret";

/// Largest delivery accepted by default (1 MiB; an update is a few KiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// What a webhook endpoint expects.
#[derive(Clone)]
pub struct WebhookConfig {
    secret: Option<String>,
    max_body_bytes: usize,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl WebhookConfig {
    /// Deliveries must carry this secret (the one given to `POST /subscriptions`).
    pub fn with_secret(secret: impl Into<String>) -> Self {
        Self {
            secret: Some(secret.into()),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Deliveries are not authenticated. Only for subscriptions made without a secret.
    pub fn without_secret() -> Self {
        Self {
            secret: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Caps the body size (default 1 MiB).
    #[must_use]
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The body cap.
    pub fn get_max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }
}

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// No `X-Max-Bot-Api-Secret` header, while a secret is configured.
    #[error("the delivery has no X-Max-Bot-Api-Secret header")]
    MissingSecret,
    /// The header does not match the configured secret.
    #[error("the delivery's X-Max-Bot-Api-Secret does not match")]
    WrongSecret,
    /// The `X-Max-Bot-Api-Secret` header came more than once (refused even when one of them is right: MAX sends
    /// it once, and a proxy or client that adds a second one is not to be trusted with either).
    #[error("the delivery has {count} X-Max-Bot-Api-Secret headers; exactly one is expected")]
    DuplicateSecret {
        /// How many secret headers came.
        count: usize,
    },
    /// A `Content-Type` other than JSON (`application/json`, optionally with `charset=utf-8`).
    #[error("the delivery's Content-Type is {content_type:?}, not application/json")]
    UnsupportedContentType {
        /// The header as received (lossily decoded, at most 100 characters).
        content_type: String,
    },
    /// The body is larger than the cap.
    #[error("the delivery body has {size} bytes, more than the cap of {limit}")]
    TooLarge {
        /// Bytes received (or announced).
        size: usize,
        /// The cap.
        limit: usize,
    },
    /// The body is not a JSON update. Only [`parse_delivery`] refuses such a body; [`parse_body`] hands it on
    /// as [`Delivery::Malformed`].
    #[error("the delivery is not an update: {0}")]
    NotAnUpdate(DecodeError),
}

impl Rejection {
    /// The HTTP status to answer with: 401 for secret problems, 415 for the content type, 413 for size, 400 for
    /// the body.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::MissingSecret
            | Rejection::WrongSecret
            | Rejection::DuplicateSecret { .. } => StatusCode::UNAUTHORIZED,
            Rejection::UnsupportedContentType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::NotAnUpdate(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// An authenticated delivery, after [`parse_body`].
#[derive(Debug, Clone)]
#[non_exhaustive]
// Update is large, but it is what a handler takes by value anyway (as the pollers' items do); boxing it would only
// add an allocation and a `*` for every delivery.
#[allow(clippy::large_enum_variant)]
pub enum Delivery {
    /// The update (an unknown type is [`Update::Unknown`]).
    Update(Update),
    /// The body passed the secret and size checks but is not an update.
    Malformed(Malformed),
}

impl Delivery {
    /// The update, if the body was one.
    pub fn update(self) -> Option<Update> {
        match self {
            Delivery::Update(update) => Some(update),
            Delivery::Malformed(_) => None,
        }
    }

    /// The malformed body, if it was not an update.
    pub fn malformed(&self) -> Option<&Malformed> {
        match self {
            Delivery::Update(_) => None,
            Delivery::Malformed(m) => Some(m),
        }
    }
}

/// A delivery with the right secret whose body is not an update: the raw bytes and where decoding broke.
#[derive(Clone)]
#[non_exhaustive]
pub struct Malformed {
    /// The body exactly as received.
    pub body: Vec<u8>,
    /// Where and why decoding failed ([`DecodeError::path`], [`DecodeError::message`] with line and column).
    pub error: DecodeError,
}

impl std::fmt::Debug for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Malformed")
            .field("body_len", &self.body.len())
            .field("error", &self.error)
            .finish()
    }
}

/// Checks a delivery's headers, before its body is read.
///
/// In order: the secret (exactly one `X-Max-Bot-Api-Secret`, equal in constant time), then the content type
/// (absent is accepted, since the platform does not document it; otherwise `application/json`, any case, with
/// optional parameters of which `charset` must be `utf-8`), then an announced `Content-Length` above the cap.
///
/// ```
/// use botwire_max::webhook::{check_headers, Rejection, WebhookConfig};
///
/// let cfg = WebhookConfig::with_secret("s3cret_1");
/// let mut headers = http::HeaderMap::new();
/// assert_eq!(check_headers(&headers, &cfg), Err(Rejection::MissingSecret));
/// headers.insert("x-max-bot-api-secret", "s3cret_1".parse()?);
/// headers.insert("content-type", "application/json; charset=UTF-8".parse()?);
/// assert_eq!(check_headers(&headers, &cfg), Ok(()));
/// headers.append("x-max-bot-api-secret", "s3cret_1".parse()?);
/// assert_eq!(check_headers(&headers, &cfg), Err(Rejection::DuplicateSecret { count: 2 }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_headers(headers: &HeaderMap, config: &WebhookConfig) -> Result<(), Rejection> {
    if let Some(expected) = &config.secret {
        let mut given = headers.get_all(SECRET_HEADER).iter();
        let first = given.next().ok_or(Rejection::MissingSecret)?;
        let extra = given.count();
        if extra > 0 {
            return Err(Rejection::DuplicateSecret { count: extra + 1 });
        }
        if !bool::from(first.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(Rejection::WrongSecret);
        }
    }
    let mut types = headers.get_all(http::header::CONTENT_TYPE).iter();
    if let Some(content_type) = types.next()
        && (types.next().is_some() || !is_json(content_type.as_bytes()))
    {
        let shown: String = String::from_utf8_lossy(content_type.as_bytes())
            .chars()
            .take(100)
            .collect();
        return Err(Rejection::UnsupportedContentType {
            content_type: shown,
        });
    }
    let announced = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(size) = announced
        && size > config.max_body_bytes as u64
    {
        return Err(Rejection::TooLarge {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            limit: config.max_body_bytes,
        });
    }
    Ok(())
}

/// `application/json`, case-insensitive, with optional `; name=value` parameters; a `charset` must be UTF-8.
fn is_json(value: &[u8]) -> bool {
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|param| {
        let (name, val) = param.split_once('=').unwrap_or((param, ""));
        let val = val.trim().trim_matches('"');
        !name.trim().eq_ignore_ascii_case("charset")
            || val.eq_ignore_ascii_case("utf-8")
            || val.eq_ignore_ascii_case("utf8")
    })
}

/// Decodes the body of a delivery whose headers passed [`check_headers`].
///
/// Only an oversized body is refused; a body that is not an update is [`Delivery::Malformed`].
///
/// ```
/// use botwire_max::webhook::{parse_body, Delivery, WebhookConfig};
///
/// let cfg = WebhookConfig::with_secret("s3cret_1");
/// let body = br#"{"update_type":"bot_started","timestamp":1,"chat_id":5,"user":{"user_id":7,"first_name":"A","is_bot":false}}"#;
/// assert_eq!(parse_body(body, &cfg)?.update().expect("an update").kind(), "bot_started");
/// let Delivery::Malformed(broken) = parse_body(br#"{"update_type":"#, &cfg)? else { panic!() };
/// assert_eq!(broken.body, br#"{"update_type":"#);
/// println!("{}", broken.error); // where decoding stopped
/// # Ok::<(), botwire_max::webhook::Rejection>(())
/// ```
pub fn parse_body(body: &[u8], config: &WebhookConfig) -> Result<Delivery, Rejection> {
    if body.len() > config.max_body_bytes {
        return Err(Rejection::TooLarge {
            size: body.len(),
            limit: config.max_body_bytes,
        });
    }
    Ok(match botwire_core_types::decode::from_slice(body) {
        Ok(update) => Delivery::Update(update),
        Err(error) => Delivery::Malformed(Malformed {
            body: body.to_vec(),
            error,
        }),
    })
}

/// Checks one delivery and decodes its update: [`check_headers`], then [`parse_body`], with a malformed body
/// refused as [`Rejection::NotAnUpdate`] (the strict form; servers should prefer the two steps, which read the
/// body only after the secret checked out and hand malformed bodies on).
///
/// ```
/// use botwire_max::webhook::{parse_delivery, Rejection, WebhookConfig};
///
/// let cfg = WebhookConfig::with_secret("s3cret_1");
/// let mut headers = http::HeaderMap::new();
/// let body = br#"{"update_type":"bot_started","timestamp":1,"chat_id":5,"user":{"user_id":7,"first_name":"A","is_bot":false}}"#;
/// assert_eq!(parse_delivery(&headers, body, &cfg), Err(Rejection::MissingSecret));
/// headers.insert("x-max-bot-api-secret", "s3cret_1".parse()?);
/// assert_eq!(parse_delivery(&headers, body, &cfg)?.kind(), "bot_started");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_delivery(
    headers: &HeaderMap,
    body: &[u8],
    config: &WebhookConfig,
) -> Result<Update, Rejection> {
    check_headers(headers, config)?;
    match parse_body(body, config)? {
        Delivery::Update(update) => Ok(update),
        Delivery::Malformed(m) => Err(Rejection::NotAnUpdate(m.error)),
    }
}

#[cfg(feature = "webhook")]
mod server;
#[cfg(feature = "webhook")]
pub use server::{ServerLimits, delivery_router, receive, router, serve, serve_with_shutdown};

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is the failure report
mod tests {
    use super::*;

    fn with_secret(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(SECRET_HEADER, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn secret_comparison() {
        let cfg = WebhookConfig::with_secret("abc_12");
        assert_eq!(check_headers(&with_secret(&["abc_12"]), &cfg), Ok(()));
        assert_eq!(
            check_headers(&with_secret(&["abc_13"]), &cfg),
            Err(Rejection::WrongSecret)
        );
        assert_eq!(
            check_headers(&with_secret(&["abc_123"]), &cfg),
            Err(Rejection::WrongSecret)
        );
        assert_eq!(
            check_headers(&with_secret(&["abc_12", "abc_12"]), &cfg),
            Err(Rejection::DuplicateSecret { count: 2 })
        );
        assert_eq!(
            check_headers(&with_secret(&["abc_12", "x"]), &cfg),
            Err(Rejection::DuplicateSecret { count: 2 })
        );
    }

    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
        ] {
            assert!(is_json(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/jsonx",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin1",
            "",
        ] {
            assert!(!is_json(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn config_debug_hides_the_secret() {
        assert!(!format!("{:?}", WebhookConfig::with_secret("hunter2_x")).contains("hunter2"));
    }
}
