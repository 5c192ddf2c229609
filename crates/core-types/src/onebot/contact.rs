use serde::{Deserialize, Serialize};

use super::common::lenient;
use super::{BotId, ContactId, ContactVariable, FlexibleId, Messenger, Tag, TextId};

/// A contact: a subscriber of one bot (`getContacts` items, `createOrUpdateContact` and
/// `sendMessageToWhatsApp` results). Reference §6.1.
///
/// Only `id` is required. The messenger-specific ids are present only for their messenger (`telegram_id` for
/// Telegram, and so on); `telegram_id` arrives as a string in lists and as a number in MindCloud's
/// `createOrUpdateContact` schema, so it is a [`TextId`]. `tags` and `variables` are present only when asked
/// for with `with=tags,variables`.
///
/// Only `id` can fail a contact. Every optional field is tolerant: a `null`, a number where text is expected
/// (or the reverse), or a shape this version does not know leaves that field `None` (text fields keep a
/// number as written); in `tags` and `variables`, an element that is not a tag or a variable at all is
/// skipped. One odd field never costs the page of contacts it is on.
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
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub bot_id: Option<BotId>,
    /// Name.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// Phone, digits without `+` (`79991234567`).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    /// The bot's messenger.
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub messenger: Option<Messenger>,
    /// Telegram user id (Telegram contacts only).
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub telegram_id: Option<TextId>,
    /// Telegram username (Telegram contacts only).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub telegram_username: Option<String>,
    /// Viber id (Viber contacts only) \[MC\].
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub viber_id: Option<TextId>,
    /// VK user id (VK contacts only; the request parameter is `vk_id`) \[MC\].
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub vk_user_id: Option<FlexibleId>,
    /// Postal address.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub address: Option<String>,
    /// UTM marks the contact came with.
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub utm: Option<Utm>,
    /// Created, RFC 3339.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<String>,
    /// Tags, only with `with=tags`.
    #[serde(
        default,
        deserialize_with = "lenient::list",
        skip_serializing_if = "Option::is_none"
    )]
    pub tags: Option<Vec<Tag>>,
    /// Variables, only with `with=variables` (either item shape).
    #[serde(
        default,
        deserialize_with = "lenient::list",
        skip_serializing_if = "Option::is_none"
    )]
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
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub utm_source: Option<String>,
    /// `utm_medium`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub utm_medium: Option<String>,
    /// `utm_campaign`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub utm_campaign: Option<String>,
    /// `utm_term`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub utm_term: Option<String>,
    /// `utm_content`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub utm_content: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onebot::{IntBool, Page};

    /// A `getContacts?with=tags,variables` page with every oddity at once: an embedded variable without `id`
    /// (the reference lists embedded items only as `name`, `value`, …), ids and counters as strings, `null`s,
    /// a number as a value, a phone as a number, a tag that is neither a name nor an object.
    const ODD_PAGE: &str = r#"{
        "data": [
            {"id": 1, "name": "Анна", "messenger": "telegram", "telegram_id": "123",
             "variables": [{"name": "Город", "value": "Москва"}]},
            {"id": "2", "bot_id": "7", "name": null, "phone": 79991234567, "email": null,
             "vk_user_id": "55", "created_at": null, "utm": {"utm_source": 5, "utm_medium": null},
             "tags": ["VIP", null, 17, {"id": "3", "name": "Горячий"}],
             "variables": [
                {"id": "16497893703850", "name": "Возраст", "value": 42, "deletable": "1"},
                {"id": null, "name": "Флаг", "value": true, "deletable": null},
                {"value": "без имени", "variable": {"name": "Скрытая"}},
                {"id": "not a number", "name": "Странная", "value": null, "deletable": 7,
                 "variable": {"id": "x", "name": 12}},
                "garbage"
             ]},
            {"id": 3, "messenger": 5, "variables": null, "tags": "VIP"}
        ],
        "meta": {"current_page": "1", "last_page": "2", "per_page": "100", "total": null, "from": 1, "to": "3"}
    }"#;

    #[test]
    fn one_odd_field_never_costs_the_page() {
        let page: Page<Contact> = crate::decode::from_slice(ODD_PAGE.as_bytes()).unwrap();
        assert_eq!(page.data.len(), 3, "every contact decoded");
        let [anna, second, third] = &page.data[..] else {
            unreachable!()
        };
        assert_eq!(anna.variable("Город"), Some("Москва"));
        assert_eq!(anna.variables.as_ref().unwrap()[0].id, None);

        assert_eq!(second.id, ContactId(2));
        assert_eq!(second.bot_id, Some(BotId(7)));
        assert_eq!(second.phone.as_deref(), Some("79991234567"));
        assert_eq!(second.vk_user_id, Some(FlexibleId(55)));
        assert_eq!(
            second.utm.as_ref().unwrap().utm_source.as_deref(),
            Some("5")
        );
        let tags: Vec<&str> = second
            .tags
            .iter()
            .flatten()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(tags, ["VIP", "Горячий"]);
        let vars = second.variables.as_ref().unwrap();
        assert_eq!(
            vars.len(),
            4,
            "only the element that is not a variable at all is skipped"
        );
        assert_eq!(vars[0].id, Some(FlexibleId(16_497_893_703_850)));
        assert_eq!(vars[0].deletable, Some(IntBool(true)));
        assert_eq!(second.variable("Возраст"), Some("42"));
        assert_eq!(second.variable("Флаг"), Some("true"));
        assert_eq!(second.variable("Скрытая"), Some("без имени"));
        assert_eq!((vars[1].id, vars[1].deletable), (None, None));
        let odd = &vars[3];
        assert_eq!(
            (odd.id, odd.deletable, odd.value.as_deref()),
            (None, None, None)
        );
        let def = odd.variable.as_ref().unwrap();
        assert_eq!((def.id, def.name.as_deref()), (None, Some("12")));

        assert_eq!(third.messenger, None);
        assert_eq!(
            (third.variables.as_ref(), third.tags.as_ref()),
            (None, None)
        );

        let meta = page.meta.as_ref().unwrap();
        assert_eq!(
            (meta.current_page, meta.last_page, meta.total),
            (Some(1), Some(2), None)
        );
        assert_eq!(page.next_page(), Some(2));
    }
}
