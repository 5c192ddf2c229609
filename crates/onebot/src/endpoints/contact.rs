use botwire_core_types::ValidationError;
use botwire_core_types::limits::ONEBOT_CONTACTS_PAGE;
use botwire_core_types::onebot::{BotId, Contact, Messenger, Page};
use serde::Serialize;

use super::{check_page, impl_endpoint, required, unset};

/// `GET getContacts` — one page of contacts, newest filters first.
///
/// Confidence: **medium-high** (sister docs read, MindCloud and third-party code). The answer is a Laravel
/// paginator; its default page size is unknown. `with=tags,variables` embeds tags and variables
/// ([`GetContacts::with_tags`], [`GetContacts::with_variables`]); whether OneBot honours it is unknown.
/// `count` is at most 500, checked before sending. To walk every page use the paging helpers
/// (`client.contacts(…)`, `client.find_contact(…)`), which re-request `page=N` against the configured base and
/// never follow `links.next`.
///
/// The `filters[telegram_id]` parameter one client uses is undocumented and deliberately not offered.
///
/// ```
/// use botwire_onebot::endpoints::GetContacts;
/// use botwire_onebot::{Config, Endpoint};
///
/// let q = GetContacts::new().bot_id(7).count(500).page(2).with_tags().with_variables();
/// let req = q.request(&Config::new("t"))?;
/// assert_eq!(
///     req.uri().query(),
///     Some("api_token=t&bot_id=7&count=500&page=2&with=tags,variables")
/// );
/// assert!(GetContacts::new().count(501).request(&Config::new("t")).is_err());
/// # Ok::<(), botwire_onebot::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetContacts {
    /// Only this bot's contacts.
    pub bot_id: Option<BotId>,
    /// Only contacts created at or after this Unix time (seconds).
    pub date_from: Option<i64>,
    /// Only contacts created at or before this Unix time (seconds).
    pub date_to: Option<i64>,
    /// Page size, 1–500.
    pub count: Option<u32>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Embed each contact's tags.
    pub with_tags: bool,
    /// Embed each contact's variables.
    pub with_variables: bool,
}

impl GetContacts {
    /// All contacts of the account, first page, server's page size.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only `bot_id`'s contacts.
    #[must_use]
    pub fn bot_id(mut self, bot_id: impl Into<BotId>) -> Self {
        self.bot_id = Some(bot_id.into());
        self
    }

    /// Created at or after this Unix time.
    #[must_use]
    pub fn date_from(mut self, unix_seconds: i64) -> Self {
        self.date_from = Some(unix_seconds);
        self
    }

    /// Created at or before this Unix time.
    #[must_use]
    pub fn date_to(mut self, unix_seconds: i64) -> Self {
        self.date_to = Some(unix_seconds);
        self
    }

    /// Page size (1–500).
    #[must_use]
    pub fn count(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }

    /// Page number (from 1).
    #[must_use]
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Adds `tags` to `with`.
    #[must_use]
    pub fn with_tags(mut self) -> Self {
        self.with_tags = true;
        self
    }

    /// Adds `variables` to `with`.
    #[must_use]
    pub fn with_variables(mut self) -> Self {
        self.with_variables = true;
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(count) = self.count {
            ValidationError::check_range("count", count.into(), 1, ONEBOT_CONTACTS_PAGE.into())?;
        }
        check_page("page", self.page)?;
        Ok(())
    }

    fn wire(&self) -> GetContactsWire {
        let with: Vec<&str> = [(self.with_tags, "tags"), (self.with_variables, "variables")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        GetContactsWire {
            bot_id: self.bot_id,
            date_from: self.date_from,
            date_to: self.date_to,
            count: self.count,
            page: self.page,
            with: (!with.is_empty()).then(|| with.join(",")),
        }
    }
}

#[derive(Serialize)]
struct GetContactsWire {
    #[serde(skip_serializing_if = "Option::is_none")]
    bot_id: Option<BotId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_from: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_to: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    with: Option<String>,
}

impl_endpoint!(GetContacts, get "getContacts", idempotent: true, |s| s.wire(), plain Page<Contact>);

/// `POST createOrUpdateContact` — create a contact in a bot, or update the one with the same messenger id.
/// Returns the contact (use its `id` as `contact_id`).
///
/// Confidence: **medium** (MindCloud and third-party code). The messenger decides which id is required, and
/// that is checked before sending: `phone` for WhatsApp, `telegram_id` for Telegram, `viber_id` for Viber,
/// `vk_id` for VK. The reference lists only those four messengers; for others nothing extra is required. The
/// match key of the update is presumably (bot, messenger, messenger id) \[INF\]. Marked idempotent (an upsert).
///
/// ```
/// use botwire_onebot::endpoints::CreateOrUpdateContact;
/// use botwire_onebot::types::Messenger;
/// use botwire_onebot::{Config, Endpoint, Error};
///
/// let ok = CreateOrUpdateContact::new(7, Messenger::Telegram, "Иван").telegram_id(123456789);
/// assert!(ok.request(&Config::new("t")).is_ok());
/// let missing = CreateOrUpdateContact::new(7, Messenger::WhatsApp, "Иван");
/// let Err(Error::Validation(e)) = missing.request(&Config::new("t")) else { panic!() };
/// assert_eq!(e.field(), "phone");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CreateOrUpdateContact {
    /// The bot.
    pub bot_id: BotId,
    /// The bot's messenger.
    pub messenger: Messenger,
    /// Name.
    pub name: String,
    /// Phone, international format, digits only (required for WhatsApp).
    #[serde(skip_serializing_if = "unset")]
    pub phone: Option<String>,
    /// Telegram user id (required for Telegram).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telegram_id: Option<i64>,
    /// Telegram username.
    #[serde(skip_serializing_if = "unset")]
    pub telegram_username: Option<String>,
    /// Viber id (required for Viber).
    #[serde(skip_serializing_if = "unset")]
    pub viber_id: Option<String>,
    /// VK user id (required for VK; answered as `vk_user_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vk_id: Option<i64>,
    /// E-mail.
    #[serde(skip_serializing_if = "unset")]
    pub email: Option<String>,
    /// Postal address.
    #[serde(skip_serializing_if = "unset")]
    pub address: Option<String>,
    /// Tag names to attach.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl CreateOrUpdateContact {
    /// A contact of `bot_id` on `messenger`; add the messenger's id with the matching setter.
    pub fn new(bot_id: impl Into<BotId>, messenger: Messenger, name: impl Into<String>) -> Self {
        Self {
            bot_id: bot_id.into(),
            messenger,
            name: name.into(),
            phone: None,
            telegram_id: None,
            telegram_username: None,
            viber_id: None,
            vk_id: None,
            email: None,
            address: None,
            tags: Vec::new(),
        }
    }

    /// Sets `phone`.
    #[must_use]
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Sets `telegram_id`.
    #[must_use]
    pub fn telegram_id(mut self, telegram_id: i64) -> Self {
        self.telegram_id = Some(telegram_id);
        self
    }

    /// Sets `telegram_username`.
    #[must_use]
    pub fn telegram_username(mut self, username: impl Into<String>) -> Self {
        self.telegram_username = Some(username.into());
        self
    }

    /// Sets `viber_id`.
    #[must_use]
    pub fn viber_id(mut self, viber_id: impl Into<String>) -> Self {
        self.viber_id = Some(viber_id.into());
        self
    }

    /// Sets `vk_id`.
    #[must_use]
    pub fn vk_id(mut self, vk_id: i64) -> Self {
        self.vk_id = Some(vk_id);
        self
    }

    /// Sets `email`.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets `address`.
    #[must_use]
    pub fn address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }

    /// Adds a tag to attach.
    #[must_use]
    pub fn tag(mut self, name: impl Into<String>) -> Self {
        self.tags.push(name.into());
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        required("name", &self.name)?;
        required("messenger", self.messenger.as_str())?;
        let missing = |field: &str| {
            ValidationError::new(
                field,
                format!("required when messenger is {}", self.messenger),
                "nothing",
            )
        };
        match self.messenger {
            Messenger::WhatsApp if unset(&self.phone) => Err(missing("phone")),
            Messenger::Telegram if self.telegram_id.is_none() => Err(missing("telegram_id")),
            Messenger::Viber if unset(&self.viber_id) => Err(missing("viber_id")),
            Messenger::Vk if self.vk_id.is_none() => Err(missing("vk_id")),
            _ => {
                for (i, tag) in self.tags.iter().enumerate() {
                    required(&format!("tags[{i}]"), tag)?;
                }
                Ok(())
            }
        }
    }
}

impl_endpoint!(CreateOrUpdateContact, post "createOrUpdateContact", idempotent: true, |s| s, data Contact);
