use serde::{Deserialize, Serialize};

/// The error body of the MAX API: `{"code": "verify.token", "message": "Invalid access_token"}`.
///
/// `code` is the machine-readable key (`verify.token`, `attachment.not.ready`, `chat.denied`, …); `message` is
/// for humans and may be empty. Both are optional here so that a body missing one still decodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApiErrorBody {
    /// The error key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The human-readable explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// An optional extra detail (schema `Error.error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
