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
