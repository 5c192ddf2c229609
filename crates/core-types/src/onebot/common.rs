use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `{"data": …}` envelope around single objects and plain lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Data<T> {
    /// The payload.
    pub data: T,
}

/// An error body: Laravel's `{"message": "...", "errors": {"field": ["..."]}}` (422), or just `{"message"}`
/// (401, 429, 500). Every field is optional so that any JSON object decodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorBody {
    /// The summary, e.g. `The given data was invalid.` or `Unauthenticated.`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Field → messages (in the platform's language: `Поле contact id обязательно для заполнения.`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, Vec<String>>,
    /// A single error string some action methods return instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Decoders for optional fields that must never cost the whole answer.
///
/// The reference documents embedded items only loosely (a contact's `variables` as "(`name`, `value`, …)"),
/// and real answers mix numbers and numeric strings, `null`s and missing keys. A field decoded through these
/// helpers takes what is there and becomes `None` when it holds something else, instead of failing the page.
pub(crate) mod lenient {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// `T` when the value decodes as one (a numeric string counts as its number), `None` otherwise.
    pub(crate) fn opt<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned,
    {
        Ok(from_value(Value::deserialize(deserializer)?))
    }

    pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Option<T> {
        if value.is_null() {
            return None;
        }
        let numeric = match &value {
            Value::String(s) => s.trim().parse::<serde_json::Number>().ok(),
            _ => None,
        };
        serde_json::from_value(value)
            .ok()
            .or_else(|| serde_json::from_value(Value::Number(numeric?)).ok())
    }

    /// Text: a string as is, a number or boolean as written, an array or object as its JSON; `null` is `None`.
    pub(crate) fn text<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
    where
        D: Deserializer<'de>,
    {
        Ok(match Value::deserialize(deserializer)? {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        })
    }

    /// A list keeping every element that decodes; `null` or a non-list is `None`.
    pub(crate) fn list<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned,
    {
        Ok(match Value::deserialize(deserializer)? {
            Value::Array(items) => Some(items.into_iter().filter_map(from_value).collect()),
            _ => None,
        })
    }
}
