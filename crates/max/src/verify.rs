//! Checking what users hand the bot, sans-IO: a shared contact's `hash` and a mini-app's launch data
//! (`initData`). Both are HMAC-SHA256 signatures made with the bot token (`hmac` + `sha2`), compared in constant
//! time (`Mac::verify_slice`, which compares with `subtle`).
//!
//! **Shared contact.** A contact the user shared through a `request_contact` button carries
//! `hash = hex(HMAC-SHA256(key = bot token, message = vcf_info))`; it proves the phone number is the one bound to
//! the user's MAX account. Contacts shared any other way (attachment menu, forwarded) have no hash and cannot be
//! verified. [`verify_contact`] / [`verify_contact_payload`].
//!
//! **Mini-app launch data.** The mini-app reads `window.WebApp.initData` and sends it to the bot's server, which
//! checks it with [`validate_init_data`] before trusting the `user` in it:
//!
//! 1. The string is parsed as a query string (if it arrives percent-encoded as a whole — `auth_date%3D…%26…`,
//!    as MAX hands it out — it is decoded once first). Each key must appear once.
//! 2. `hash` is taken out; `WebAppPlatform` and `WebAppVersion` are left out of the check (the platform adds
//!    them unsigned).
//! 3. The remaining `key=value` pairs (values decoded) are sorted and joined with `\n`: the data-check string.
//! 4. `secret = HMAC-SHA256(key = "WebAppData", message = bot token)`;
//!    the data is genuine when `hash == hex(HMAC-SHA256(key = secret, message = data-check string))`.
//! 5. Then its age: `auth_date` must lie within `max_age` of `now` (either side, since clocks differ). `now` is
//!    a parameter, so tests and replays control it. `auth_date` in seconds and in milliseconds (both are seen)
//!    are both understood.
//!
//! Errors say which check failed and never contain the token, the expected hash, or the secret.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use botwire_max::verify::{validate_init_data, verify_contact};
//! use botwire_max::Token;
//!
//! let token = Token::new("bot_token_from_config");
//! # let (vcf_info, hash) = ("x", "00");
//! // A contact from a request_contact button:
//! if verify_contact(&token, vcf_info, hash).is_ok() {
//!     // the phone in vcf_info belongs to the sender's account
//! }
//! # let init_data = "auth_date=1&hash=00";
//! // initData posted by the mini-app:
//! match validate_init_data(init_data, &token, Some(Duration::from_secs(3600)), SystemTime::now()) {
//!     Ok(data) => println!("user {:?}", data.user().transpose()?.map(|u| u.id)),
//!     Err(e) => eprintln!("refused: {e}"),
//! }
//! # Ok::<(), botwire_core_types::decode::DecodeError>(())
//! ```

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use botwire_core_types::decode::DecodeError;
use botwire_core_types::max::ContactPayload;
use botwire_transport::Token;
use hmac::{KeyInit, Mac};
use serde::Deserialize;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The HMAC key the mini-app secret is derived with.
const WEB_APP_KEY: &[u8] = b"WebAppData";
/// Fields the platform adds to `initData` without signing them.
const UNSIGNED_FIELDS: [&str; 3] = ["hash", "WebAppPlatform", "WebAppVersion"];
/// An `auth_date` above this is in milliseconds (in seconds it would be after the year 5000).
const MILLIS_THRESHOLD: u64 = 100_000_000_000;

/// Why a contact or launch data did not verify. Never contains the token or the expected hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The contact carries no `hash`: it was not shared through a `request_contact` button.
    #[error(
        "the contact has no hash (only contacts shared through a request_contact button carry one)"
    )]
    MissingContactHash,
    /// The contact carries no `vcf_info` to check the hash against.
    #[error("the contact has no vcf_info")]
    MissingVcfInfo,
    /// The `hash` given is not 64 hex digits.
    #[error("the {what} hash is not 64 hex digits (got {len} characters)")]
    MalformedHash {
        /// `"contact"` or `"initData"`.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// The hash does not match: not signed with this bot's token, or altered.
    #[error("the {what} hash does not match: signed with another bot's token, or altered")]
    Mismatch {
        /// `"contact"` or `"initData"`.
        what: &'static str,
    },
    /// `initData` is not a query string of unique keys.
    #[error("initData is not valid launch data: {reason}")]
    MalformedInitData {
        /// What is wrong.
        reason: String,
    },
    /// `initData` has no `hash` field.
    #[error("initData has no hash field")]
    MissingInitDataHash,
    /// An age check was asked for, and `initData` has no `auth_date`.
    #[error("initData has no auth_date, so its age cannot be checked")]
    MissingAuthDate,
    /// `auth_date` is not a Unix time.
    #[error("initData auth_date {value:?} is not a Unix time")]
    MalformedAuthDate {
        /// The field as received (at most 32 characters).
        value: String,
    },
    /// `auth_date` lies further from `now` than the allowed age.
    #[error("initData was signed {distance:?} {direction} now, more than the allowed {max_age:?}")]
    Expired {
        /// How far `auth_date` is from `now`.
        distance: Duration,
        /// `"before"` or `"after"` (a clock far ahead).
        direction: &'static str,
        /// The allowed age.
        max_age: Duration,
    },
}

/// Checks a shared contact's `hash` against its `vcf_info` (the decoded string, with real CR LF line ends).
///
/// The hash is hex (either case); the comparison takes constant time.
///
/// ```
/// use botwire_max::verify::{verify_contact, VerifyError};
/// use botwire_max::Token;
///
/// let token = Token::new("another_bot_token");
/// let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nTEL;TYPE=cell:79990000000\r\nEND:VCARD\r\n";
/// let forged = "00".repeat(32);
/// assert_eq!(
///     verify_contact(&token, vcf, &forged),
///     Err(VerifyError::Mismatch { what: "contact" })
/// );
/// ```
pub fn verify_contact(token: &Token, vcf_info: &str, hash: &str) -> Result<(), VerifyError> {
    let given = decode_hash(hash, "contact")?;
    let mut mac = new_mac(token.expose().as_bytes());
    mac.update(vcf_info.as_bytes());
    mac.verify_slice(&given)
        .map_err(|_| VerifyError::Mismatch { what: "contact" })
}

/// [`verify_contact`] on a received contact attachment's payload: fails with
/// [`VerifyError::MissingContactHash`] or [`VerifyError::MissingVcfInfo`] when a part is absent.
pub fn verify_contact_payload(token: &Token, payload: &ContactPayload) -> Result<(), VerifyError> {
    let hash = payload
        .hash
        .as_deref()
        .filter(|h| !h.is_empty())
        .ok_or(VerifyError::MissingContactHash)?;
    let vcf_info = payload
        .vcf_info
        .as_deref()
        .ok_or(VerifyError::MissingVcfInfo)?;
    verify_contact(token, vcf_info, hash)
}

/// Verified mini-app launch data: the signed fields (without `hash`), values decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitData {
    fields: Vec<(String, String)>,
}

impl InitData {
    /// A field's decoded value (`query_id`, `auth_date`, `user`, `start_param`, `chat`, …, also the unsigned
    /// `WebAppPlatform` and `WebAppVersion`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every field, in the order received.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// When the launch data was signed (`auth_date`, seconds or milliseconds); `None` if absent or not a number.
    pub fn auth_date(&self) -> Option<SystemTime> {
        self.get("auth_date").and_then(parse_auth_date)
    }

    /// The `user` field, decoded; `None` when absent.
    pub fn user(&self) -> Option<Result<WebAppUser, DecodeError>> {
        self.get("user")
            .map(|json| botwire_core_types::decode::from_slice(json.as_bytes()))
    }

    /// The `start_param` field: the `payload` of the `open_app` button or start link that opened the mini-app.
    pub fn start_param(&self) -> Option<&str> {
        self.get("start_param")
    }
}

/// The `user` of mini-app launch data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WebAppUser {
    /// The MAX user id.
    pub id: i64,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name (may be empty).
    #[serde(default)]
    pub last_name: Option<String>,
    /// Username.
    #[serde(default)]
    pub username: Option<String>,
    /// IETF language tag of the user's app.
    #[serde(default)]
    pub language_code: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub photo_url: Option<String>,
}

/// Validates mini-app launch data (`window.WebApp.initData`) signed for the bot with `token`, and its age.
///
/// `max_age`: how far `auth_date` may lie from `now` (a day is common; `None` skips the age check, which lets a
/// stolen `initData` be replayed forever). `now` is normally `SystemTime::now()`. The steps are in the
/// [module docs](self).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use botwire_max::verify::{validate_init_data, VerifyError};
/// use botwire_max::Token;
///
/// let token = Token::new("bot_token");
/// let forged = format!("auth_date=1733485316&user=%7B%22id%22%3A1%7D&hash={}", "ab".repeat(32));
/// let err = validate_init_data(&forged, &token, Some(Duration::from_secs(86_400)), SystemTime::now());
/// assert_eq!(err, Err(VerifyError::Mismatch { what: "initData" }));
/// ```
pub fn validate_init_data(
    init_data: &str,
    token: &Token,
    max_age: Option<Duration>,
    now: SystemTime,
) -> Result<InitData, VerifyError> {
    let query = outer_decode(init_data.trim())?;
    let mut fields: Vec<(String, String)> = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key.is_empty() {
            continue;
        }
        if fields.iter().any(|(k, _)| *k == key) {
            return Err(malformed(format!("the key {key:?} appears twice")));
        }
        fields.push((key.into_owned(), value.into_owned()));
    }
    let hash = fields
        .iter()
        .find(|(k, _)| k == "hash")
        .map(|(_, v)| v.as_str())
        .ok_or(VerifyError::MissingInitDataHash)?;
    let given = decode_hash(hash, "initData")?;

    let mut pairs: Vec<String> = fields
        .iter()
        .filter(|(k, _)| !UNSIGNED_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    pairs.sort_unstable();
    let data_check_string = pairs.join("\n");

    let mut derive = new_mac(WEB_APP_KEY);
    derive.update(token.expose().as_bytes());
    let secret = derive.finalize().into_bytes();
    let mut mac = new_mac(&secret);
    mac.update(data_check_string.as_bytes());
    mac.verify_slice(&given)
        .map_err(|_| VerifyError::Mismatch { what: "initData" })?;

    fields.retain(|(k, _)| k != "hash");
    let data = InitData { fields };
    if let Some(max_age) = max_age {
        let raw = data.get("auth_date").ok_or(VerifyError::MissingAuthDate)?;
        let signed = parse_auth_date(raw).ok_or_else(|| VerifyError::MalformedAuthDate {
            value: raw.chars().take(32).collect(),
        })?;
        let (distance, direction) = match now.duration_since(signed) {
            Ok(age) => (age, "before"),
            Err(ahead) => (ahead.duration(), "after"),
        };
        if distance > max_age {
            return Err(VerifyError::Expired {
                distance,
                direction,
                max_age,
            });
        }
    }
    Ok(data)
}

/// `initData` as MAX hands it out is percent-encoded as a whole (`auth_date%3D…%26hash%3D…`): decode that
/// layer once. A plain query string (it has `=`) is left as it is, so its values are decoded exactly once.
fn outer_decode(init_data: &str) -> Result<Cow<'_, str>, VerifyError> {
    if init_data.contains('=') {
        return Ok(Cow::Borrowed(init_data));
    }
    percent_encoding::percent_decode_str(init_data)
        .decode_utf8()
        .map_err(|_| malformed("its percent-encoding decodes to invalid UTF-8".to_owned()))
}

fn malformed(reason: String) -> VerifyError {
    VerifyError::MalformedInitData { reason }
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; the error type exists for fixed-key MACs only.
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

/// 64 hex digits (either case) to 32 bytes.
fn decode_hash(hash: &str, what: &'static str) -> Result<[u8; 32], VerifyError> {
    let bad = || VerifyError::MalformedHash {
        what,
        len: hash.chars().count(),
    };
    let digits = hash.trim().as_bytes();
    if digits.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let hi = hex_value(pair[0]).ok_or_else(bad)?;
        let lo = hex_value(pair[1]).ok_or_else(bad)?;
        *byte = hi << 4 | lo;
    }
    Ok(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

fn parse_auth_date(raw: &str) -> Option<SystemTime> {
    let value: u64 = raw.trim().parse().ok()?;
    let since_epoch = if value >= MILLIS_THRESHOLD {
        Duration::from_millis(value)
    } else {
        Duration::from_secs(value)
    };
    UNIX_EPOCH.checked_add(since_epoch)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is the failure report
mod tests;
