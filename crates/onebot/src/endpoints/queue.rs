use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use botwire_core_types::onebot::{ContactId, FlexibleId, QueuedMessage};
use botwire_core_types::{ValidationError, decode};
use botwire_transport::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::required;
use crate::endpoint::{RequestBuilder, check_status, check_success_flag};
use crate::{Config, Endpoint, Error};

/// Who receives a queued message: exactly one of the three addressing parameters of reference §5.1.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueueRecipient {
    /// The platform's contact id (`contact_id`).
    ContactId(ContactId),
    /// The contact's id in Bitrix24 (`bitrix_contact_id`).
    BitrixContactId(FlexibleId),
    /// A phone number (`phone`); which messenger is used then is unknown (probably WhatsApp).
    Phone(String),
}

impl From<ContactId> for QueueRecipient {
    fn from(id: ContactId) -> Self {
        QueueRecipient::ContactId(id)
    }
}

/// `POST sendMessageToQueue` — put one message into the platform's broadcast queue.
///
/// Confidence: **medium** (MindCloud, from Watbot's and LEADTEX's "Рассылка" pages; the only broadcast method
/// anywhere). `message_id` is your deduplication key: Watbot requires it, so one is always sent. When you give
/// none, [`SendMessageToQueue::new`] generates a unique one ([`new_message_id`]) **once**, so sending the same
/// value again (a retry) reuses it. Not marked idempotent: whether the server deduplicates is unknown.
///
/// ```
/// use botwire_onebot::endpoints::{QueueRecipient, SendMessageToQueue};
///
/// let a = SendMessageToQueue::new(QueueRecipient::Phone("79991234567".into()), "Акция!");
/// let b = SendMessageToQueue::new(QueueRecipient::Phone("79991234567".into()), "Акция!");
/// assert_ne!(a.message_id(), b.message_id());
/// let c = b.with_message_id("promo-2026-11-21-79991234567");
/// assert_eq!(c.message_id(), "promo-2026-11-21-79991234567");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendMessageToQueue {
    message_id: String,
    /// The recipient.
    pub recipient: QueueRecipient,
    /// The text.
    pub text: String,
}

impl SendMessageToQueue {
    /// A message for `recipient`, with a freshly generated `message_id`.
    pub fn new(recipient: QueueRecipient, text: impl Into<String>) -> Self {
        Self {
            message_id: new_message_id(),
            recipient,
            text: text.into(),
        }
    }

    /// Uses your own message id (for deduplication across runs).
    #[must_use]
    pub fn with_message_id(mut self, message_id: impl Into<String>) -> Self {
        self.message_id = message_id.into();
        self
    }

    /// The message id that will be sent.
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("message_id", &self.message_id)?;
        required("text", &self.text)?;
        if let QueueRecipient::Phone(p) = &self.recipient {
            required("phone", p)?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct QueueWire<'a> {
    message_id: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_id: Option<ContactId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bitrix_contact_id: Option<FlexibleId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
}

impl Endpoint for SendMessageToQueue {
    type Output = QueuedMessage;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        self.validate()?;
        let mut wire = QueueWire {
            message_id: &self.message_id,
            text: &self.text,
            contact_id: None,
            bitrix_contact_id: None,
            phone: None,
        };
        match &self.recipient {
            QueueRecipient::ContactId(id) => wire.contact_id = Some(*id),
            QueueRecipient::BitrixContactId(id) => wire.bitrix_contact_id = Some(*id),
            QueueRecipient::Phone(p) => wire.phone = Some(p),
        }
        RequestBuilder::post(config, "sendMessageToQueue")
            .params(&wire)?
            .idempotent(false)
            .build()
    }

    /// The fields may be at the top level or inside `data` (unknown, reference §5.1): both are accepted.
    fn parse(&self, response: HttpResponse) -> Result<QueuedMessage, Error> {
        let status = check_status(&response)?;
        check_success_flag(&response)?;
        let context = botwire_transport::RequestContext::of_response(&response);
        let redactor = context.redactor();
        let decode_err = |source| Error::Decode {
            status: status.as_u16(),
            source,
        };
        let value: serde_json::Value =
            decode::from_slice_redacted(response.body(), redactor).map_err(decode_err)?;
        match value.get("data") {
            Some(inner @ serde_json::Value::Object(_)) => {
                decode::from_value_redacted(inner, redactor)
            }
            _ => decode::from_value_redacted(&value, redactor),
        }
        .map_err(decode_err)
    }
}

/// A message id unique across calls, processes and machines, without a UUID dependency:
/// `bw-<unix ms, hex>-<process counter, hex>-<64 random bits, hex>`.
///
/// The random part comes from std's per-process random hash keys, mixed with the time and the counter.
pub fn new_message_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(now.as_nanos());
    hasher.write_u64(count);
    hasher.write_u32(std::process::id());
    format!(
        "bw-{:x}-{count:x}-{:016x}",
        now.as_millis(),
        hasher.finish()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_unique() {
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|_| new_message_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.starts_with("bw-")));
    }

    #[test]
    fn result_top_level_or_in_data() {
        let q = SendMessageToQueue::new(QueueRecipient::ContactId(ContactId(1)), "x");
        let top = q
            .parse(http::Response::new(
                br#"{"success":true,"message_id":"m","contact_id":"5"}"#.to_vec(),
            ))
            .unwrap();
        let nested = q
            .parse(http::Response::new(
                br#"{"data":{"message_id":"m","contact_id":5}}"#.to_vec(),
            ))
            .unwrap();
        assert_eq!(top.contact_id, Some(ContactId(5)));
        assert_eq!(nested.contact_id, top.contact_id);
        assert_eq!(nested.message_id.as_deref(), Some("m"));
    }
}
