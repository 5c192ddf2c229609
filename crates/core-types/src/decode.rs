//! Decoding JSON with errors that say where it broke.

use std::fmt;

use serde::de::DeserializeOwned;

/// Longest body excerpt kept in a [`DecodeError`].
const SNIPPET_CHARS: usize = 200;

/// A body that is not the JSON the model expects: the path where decoding stopped (`updates[3].message.body.seq`),
/// what was wrong there, and the start of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    path: String,
    message: String,
    snippet: String,
}

impl DecodeError {
    /// A decode error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>, body: &[u8]) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            snippet: snippet(body),
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

/// Like [`from_slice`] for types that borrow from the body (raw JSON elements, borrowed strings).
pub fn from_slice_borrowed<'a, T: serde::Deserialize<'a>>(
    body: &'a [u8],
) -> Result<T, DecodeError> {
    // Path tracking costs on every field: decode plainly, and decode again with tracking only to explain a
    // failure (bad bodies are rare; the second pass is cheap next to a round trip).
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        DecodeError::new(path, e.into_inner().to_string(), body)
    })?;
    de.end()
        .map_err(|e| DecodeError::new(".", e.to_string(), body))?;
    Ok(value)
}

/// Decodes `T` from an already parsed JSON value (used for batch elements that are kept as raw JSON).
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let body = value.to_string();
        DecodeError::new(path, e.into_inner().to_string(), body.as_bytes())
    })
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(SNIPPET_CHARS).collect();
    if text.chars().nth(SNIPPET_CHARS).is_some() {
        out.push('…');
    }
    out
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
}
