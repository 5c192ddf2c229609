//! Payloads that are not part of the REST API but travel between the platform and your server (reference §8,
//! sister-derived).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Messenger;

/// What the scenario block "HTTP-запрос" POSTs to your server (Watbot help \[SIS\]; whether OneBot has the block
/// is unknown). Reply 200 within about 3 s; the body text is shown to the user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HttpBlockPayload {
    /// The contact's variables.
    #[serde(default)]
    pub variables: Vec<NamedValue>,
    /// The contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<BlockContact>,
}

/// A `{"name", "value"}` pair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NamedValue {
    /// Variable name.
    pub name: String,
    /// Value (text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The contact inside an [`HttpBlockPayload`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BlockContact {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Messenger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messenger: Option<Messenger>,
    /// Phone, digits only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// The body of an incoming ("inner") webhook that starts a scenario for a contact (LEADTEX:
/// `POST https://rb<bot_id>.leadteh.ru/inner_webhook/<uuid>` \[3P\]; the OneBot URL is unknown — copy it from
/// the builder).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InnerWebhookRequest {
    /// The contact field to search by (`telegram_id`, `phone`, …).
    pub contact_by: String,
    /// The value to look up.
    pub search: String,
    /// Variables to set; created when missing. Values are any JSON.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, serde_json::Value>,
}
