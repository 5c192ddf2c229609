//! Decoding JSON with errors that say where it broke.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::redact::Redactor;

/// Longest body excerpt kept in a [`DecodeError`].
const SNIPPET_CHARS: usize = 200;

/// A body that is not the JSON the model expects: the path where decoding stopped (`updates[3].message.body.seq`),
/// what was wrong there, and the start of the body.
///
/// All three come from the server's bytes, so all three pass through a [`Redactor`] when the error is built:
/// [`DecodeError::redacted`] and the `*_redacted` decoders remove the request's secrets, and even the plain
/// constructors remove the values of secret parameters (`api_token=…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    path: String,
    message: String,
    snippet: String,
}

impl DecodeError {
    /// A decode error at `path`, scrubbed of secret parameters only. Prefer [`DecodeError::redacted`] with the
    /// request's [`Redactor`] whenever the body answers a request.
    pub fn new(path: impl Into<String>, message: impl Into<String>, body: &[u8]) -> Self {
        Self::redacted(path, message, body, &Redactor::default())
    }

    /// A decode error at `path` with `redactor` applied to the path, the message and the body excerpt (the
    /// excerpt is scrubbed before it is cut, so no part of a secret survives the cut).
    ///
    /// ```
    /// use botwire_core_types::{decode::DecodeError, redact::Redactor};
    ///
    /// let body = br#"<html>404 GET /api/v1/getMe?api_token=s3cr3t</html> s3cr3t"#;
    /// let err = DecodeError::redacted(".", "expected value", body, &Redactor::new(["s3cr3t"]));
    /// assert!(!err.to_string().contains("s3cr3t"));
    /// ```
    pub fn redacted(
        path: impl Into<String>,
        message: impl Into<String>,
        body: &[u8],
        redactor: &Redactor,
    ) -> Self {
        Self {
            path: redactor.scrub(&path.into()),
            message: redactor.scrub(&message.into()),
            snippet: redactor.scrub_prefix(&String::from_utf8_lossy(body), SNIPPET_CHARS),
        }
    }

    /// This error scrubbed by `redactor` after the fact, for errors built without it (a decoder that does not
    /// know the request). Whole secrets anywhere are removed; a secret cut off by the end of the excerpt is
    /// removed with the characters that could be its start. Prefer [`DecodeError::redacted`] where the
    /// redactor is at hand.
    ///
    /// ```
    /// use botwire_core_types::{decode::DecodeError, redact::Redactor};
    ///
    /// let body = format!("{}tok-SECRET-123 and more", "x".repeat(190));
    /// let err = DecodeError::new(".", "expected value", body.as_bytes());
    /// assert!(err.snippet().contains("tok-SEC")); // the first half of the token, at the cut
    /// let err = err.scrubbed(&Redactor::new(["tok-SECRET-123"]));
    /// assert!(!err.snippet().contains("tok-"), "{}", err.snippet());
    /// ```
    #[must_use]
    pub fn scrubbed(self, redactor: &Redactor) -> Self {
        let (cut, body) = match self.snippet.strip_suffix('…') {
            Some(body) => (true, body),
            None => (false, self.snippet.as_str()),
        };
        let mut snippet = redactor.scrub(body);
        if cut {
            redactor.drop_partial_tail(&mut snippet);
            snippet.push('…');
        }
        Self {
            path: redactor.scrub(&self.path),
            message: redactor.scrub(&self.message),
            snippet,
        }
    }

    /// The JSON path where decoding failed (`.` for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What serde found wrong there.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The first characters of the body, for the log.
    pub fn snippet(&self) -> &str {
        &self.snippet
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot decode response at `{}`: {} (body starts: {})",
            self.path, self.message, self.snippet
        )
    }
}

impl std::error::Error for DecodeError {}

/// Decodes `T` from JSON bytes; on failure the error names the path into the document.
///
/// ```
/// use botwire_core_types::{decode::from_slice, max::BotInfo};
///
/// let err = from_slice::<BotInfo>(br#"{"user_id":"one","first_name":"b","is_bot":true}"#).unwrap_err();
/// assert_eq!(err.path(), "user_id");
/// ```
pub fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    from_slice_borrowed(body)
}

/// [`from_slice`] whose error is scrubbed by `redactor`: what an API client uses on an answer to a request
/// that carried secrets.
pub fn from_slice_redacted<T: DeserializeOwned>(
    body: &[u8],
    redactor: &Redactor,
) -> Result<T, DecodeError> {
    from_slice_borrowed_redacted(body, redactor)
}

/// Like [`from_slice`] for types that borrow from the body (raw JSON elements, borrowed strings).
pub fn from_slice_borrowed<'a, T: serde::Deserialize<'a>>(
    body: &'a [u8],
) -> Result<T, DecodeError> {
    from_slice_borrowed_redacted(body, &Redactor::default())
}

/// [`from_slice_borrowed`] whose error is scrubbed by `redactor`.
pub fn from_slice_borrowed_redacted<'a, T: serde::Deserialize<'a>>(
    body: &'a [u8],
    redactor: &Redactor,
) -> Result<T, DecodeError> {
    // Path tracking costs on every field: decode plainly, and decode again with tracking only to explain a
    // failure (bad bodies are rare; the second pass is cheap next to a round trip).
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        DecodeError::redacted(path, e.into_inner().to_string(), body, redactor)
    })?;
    de.end()
        .map_err(|e| DecodeError::redacted(".", e.to_string(), body, redactor))?;
    Ok(value)
}

/// Decodes `T` from an already parsed JSON value (used for batch elements that are kept as raw JSON).
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, DecodeError> {
    from_value_redacted(value, &Redactor::default())
}

/// [`from_value`] whose error is scrubbed by `redactor`.
pub fn from_value_redacted<T: DeserializeOwned>(
    value: &serde_json::Value,
    redactor: &Redactor,
) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let body = value.to_string();
        DecodeError::redacted(path, e.into_inner().to_string(), body.as_bytes(), redactor)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::max::BotInfo;

    #[test]
    fn names_nested_paths_and_trailing_garbage() {
        let err = from_slice::<BotInfo>(
            br#"{"user_id":1,"first_name":"b","is_bot":true,"commands":[{"name":5}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.path(), "commands[0].name");
        assert!(err.to_string().contains("commands[0].name"), "{err}");
        let err = from_slice::<BotInfo>(br#"{"user_id":1,"first_name":"b","is_bot":true} x"#)
            .unwrap_err();
        assert!(err.message().contains("trailing"), "{err}");
        let err = from_slice::<BotInfo>(&vec![b'x'; 1000]).unwrap_err();
        assert_eq!(err.snippet().chars().count(), SNIPPET_CHARS + 1);
    }

    #[test]
    fn every_part_of_the_error_is_scrubbed() {
        let token = "tok-3n/x";
        let r = Redactor::new([token]);
        // The token as a value (in serde's message), as a key (in the path), and in the excerpt.
        let body = format!(r#"{{"user_id":"{token}","first_name":"b","is_bot":true}}"#);
        let err = from_slice_redacted::<BotInfo>(body.as_bytes(), &r).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(token) && !shown.contains("tok-3n"),
            "{shown}"
        );
        let body = format!(r#"{{"{token}":1}} garbage ?api_token=tok-3n%2Fx"#);
        let err = from_slice_redacted::<serde_json::Value>(body.as_bytes(), &r).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("tok-3n"), "{shown}");
    }
}
