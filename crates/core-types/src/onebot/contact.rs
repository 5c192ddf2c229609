use serde::{Deserialize, Serialize};

use super::{BotId, ContactId, ContactVariable, FlexibleId, Messenger, Tag, TextId};

/// A contact: a subscriber of one bot (`getContacts` items, `createOrUpdateContact` and
/// `sendMessageToWhatsApp` results). Reference §6.1.
///
/// Only `id` is required. The messenger-specific ids are present only for their messenger (`telegram_id` for
/// Telegram, and so on); `telegram_id` arrives as a string in lists and as a number in MindCloud's
/// `createOrUpdateContact` schema, so it is a [`TextId`]. `tags` and `variables` are present only when asked
/// for with `with=tags,variables`.
///
/// ```
/// use botwire_core_types::onebot::{Contact, Messenger};
///
/// let c: Contact = serde_json::from_str(
///     r#"{"id":2,"bot_id":1,"name":"Петр","messenger":"telegram","telegram_id":123456,"tags":["VIP"]}"#,
/// )?;
/// assert_eq!(c.messenger, Some(Messenger::Telegram));
/// assert_eq!(c.telegram_id.as_ref().map(|t| t.as_str()), Some("123456"));
/// assert_eq!(c.tags.as_ref().map(|t| t[0].name.as_str()), Some("VIP"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Contact {
    /// The platform's contact id (`contact_id` in requests).
    pub id: ContactId,
    /// The bot the contact belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<BotId>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone, digits without `+` (`79991234567`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The bot's messenger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messenger: Option<Messenger>,
    /// Telegram user id (Telegram contacts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegram_id: Option<TextId>,
    /// Telegram username (Telegram contacts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegram_username: Option<String>,
    /// Viber id (Viber contacts only) \[MC\].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viber_id: Option<TextId>,
    /// VK user id (VK contacts only; the request parameter is `vk_id`) \[MC\].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vk_user_id: Option<FlexibleId>,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// UTM marks the contact came with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm: Option<Utm>,
    /// Created, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Tags, only with `with=tags`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// Variables, only with `with=variables` (either item shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Vec<ContactVariable>>,
}

impl Contact {
    /// A contact with only an id; the rest can be set on the returned value.
    pub fn new(id: impl Into<ContactId>) -> Self {
        Self {
            id: id.into(),
            bot_id: None,
            name: None,
            phone: None,
            email: None,
            messenger: None,
            telegram_id: None,
            telegram_username: None,
            viber_id: None,
            vk_user_id: None,
            address: None,
            utm: None,
            created_at: None,
            tags: None,
            variables: None,
        }
    }

    /// The value of the variable `name`, when variables were loaded (`with=variables`) and it is set.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables
            .as_ref()?
            .iter()
            .find(|v| v.name() == Some(name))
            .and_then(|v| v.value.as_deref())
    }

    /// Whether the contact carries the tag `name` (only meaningful with `with=tags`).
    pub fn has_tag(&self, name: &str) -> bool {
        self.tags
            .as_ref()
            .is_some_and(|tags| tags.iter().any(|t| t.name == name))
    }

    /// The contact's id in its messenger: `telegram_id`, `phone` (WhatsApp), `viber_id` or `vk_user_id`.
    pub fn external_id(&self) -> Option<String> {
        match self.messenger.as_ref()? {
            Messenger::Telegram => self.telegram_id.as_ref().map(|t| t.0.clone()),
            Messenger::WhatsApp => self.phone.clone(),
            Messenger::Viber => self.viber_id.as_ref().map(|t| t.0.clone()),
            Messenger::Vk => self.vk_user_id.map(|v| v.0.to_string()),
            _ => None,
        }
    }
}

/// UTM marks of a contact; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Utm {
    /// `utm_source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_source: Option<String>,
    /// `utm_medium`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_medium: Option<String>,
    /// `utm_campaign`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_campaign: Option<String>,
    /// `utm_term`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_term: Option<String>,
    /// `utm_content`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_content: Option<String>,
}
