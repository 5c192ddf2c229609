use serde::{Deserialize, Serialize};

use super::FlexibleId;

/// The account that owns the API token (`getMe`).
///
/// Shape from the MindCloud LEADTEX schema: `{"id","name","email","phone","created_at"}`; everything but `id`
/// is optional because no live example exists. `created_at` is an RFC 3339 string, kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Account {
    /// Account id.
    pub id: FlexibleId,
    /// Account name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Account e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Account phone, digits only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Creation time, RFC 3339 (`2022-11-22T20:54:20+00:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

impl Account {
    /// An account with only an id; the rest can be set on the returned value.
    pub fn new(id: i64) -> Self {
        Self {
            id: FlexibleId(id),
            name: None,
            email: None,
            phone: None,
            created_at: None,
        }
    }
}
