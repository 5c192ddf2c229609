use botwire_core_types::ValidationError;
use botwire_core_types::onebot::{ActionResult, BotId, ContactId, FlexibleId, Tag};
use serde::Serialize;

use super::variable::ByIdOrName;
use super::{impl_endpoint, required};

/// Which tag: by id (`tag_id`) or by name (`name`; attaching by a new name creates the tag). `getBotTags`
/// returns names only, so names are the practical choice (reference §6.4).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TagRef {
    /// By id.
    Id(FlexibleId),
    /// By name.
    Name(String),
}

impl From<&str> for TagRef {
    fn from(name: &str) -> Self {
        TagRef::Name(name.to_owned())
    }
}

impl From<String> for TagRef {
    fn from(name: String) -> Self {
        TagRef::Name(name)
    }
}

impl From<FlexibleId> for TagRef {
    fn from(id: FlexibleId) -> Self {
        TagRef::Id(id)
    }
}

impl From<&Tag> for TagRef {
    fn from(tag: &Tag) -> Self {
        match tag.id {
            Some(id) => TagRef::Id(id),
            None => TagRef::Name(tag.name.clone()),
        }
    }
}

/// `GET getBotTags` — every tag defined in a bot, as names.
///
/// Confidence: **medium** (CleverApp docs, MindCloud; OneBot availability unknown). The documented example is
/// missing its outer braces; the real shape is taken to be `{"data": ["…"]}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GetBotTags {
    /// The bot.
    pub bot_id: BotId,
}

impl GetBotTags {
    /// The tags of `bot_id`.
    pub fn new(bot_id: impl Into<BotId>) -> Self {
        Self {
            bot_id: bot_id.into(),
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

impl_endpoint!(GetBotTags, get "getBotTags", idempotent: true, |s| s, data Vec<Tag>);

/// `GET getContactTags` — a contact's tags, as names.
///
/// Confidence: **medium** (CleverApp docs, MindCloud; OneBot availability unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GetContactTags {
    /// The contact.
    pub contact_id: ContactId,
}

impl GetContactTags {
    /// The tags of `contact_id`.
    pub fn new(contact_id: impl Into<ContactId>) -> Self {
        Self {
            contact_id: contact_id.into(),
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

impl_endpoint!(GetContactTags, get "getContactTags", idempotent: true, |s| s, data Vec<Tag>);

macro_rules! tag_action {
    ($(#[$meta:meta])* $name:ident, $wire:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name {
            /// The contact.
            pub contact_id: ContactId,
            /// The tag.
            pub tag: TagRef,
        }

        impl $name {
            /// `tag` (an id or a name) on `contact_id`.
            pub fn new(contact_id: impl Into<ContactId>, tag: impl Into<TagRef>) -> Self {
                Self {
                    contact_id: contact_id.into(),
                    tag: tag.into(),
                }
            }

            fn validate(&self) -> Result<(), ValidationError> {
                match &self.tag {
                    TagRef::Name(name) => required("name", name),
                    TagRef::Id(_) => Ok(()),
                }
            }
        }

        impl_endpoint!($name, post $wire, idempotent: true, |s| ByIdOrName::tag(s.contact_id, &s.tag), plain ActionResult);
    };
}

tag_action!(
    /// `POST attachTagToContact` — put a tag on a contact; by name, the tag is created in the bot when missing.
    ///
    /// Confidence: **medium** (CleverApp docs, MindCloud; OneBot availability unknown). The answer's exact
    /// shape is unknown (`{"success": true}`-like). Marked idempotent.
    AttachTagToContact,
    "attachTagToContact"
);

tag_action!(
    /// `POST detachTagFromContact` — take a tag off a contact.
    ///
    /// Confidence: **medium** (CleverApp docs, MindCloud; OneBot availability unknown). The answer's exact
    /// shape is unknown. Marked idempotent.
    DetachTagFromContact,
    "detachTagFromContact"
);
