//! Updates (events), delivered by long polling (`GET /updates`) and webhooks.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{Callback, Chat, ChatAdminPermission, ChatId, Message, User, UserId};
use crate::decode::DecodeError;
use crate::raw::tagged_enum;

tagged_enum! {
    /// One update (discriminator `update_type`). Types this version does not know — new ones appear every few
    /// months — decode to `Unknown` with their JSON, never to an error.
    ///
    /// ```
    /// use botwire_core_types::max::Update;
    ///
    /// let u: Update = serde_json::from_str(r#"{"update_type":"bot_started","timestamp":1,"chat_id":5,
    ///     "user":{"user_id":7,"first_name":"Ann","is_bot":false},"payload":"ref-42"}"#)?;
    /// let Update::BotStarted(started) = &u else { panic!() };
    /// assert_eq!(started.payload.as_deref(), Some("ref-42"));
    ///
    /// let u: Update = serde_json::from_str(r#"{"update_type":"message_teleported","timestamp":2}"#)?;
    /// assert_eq!(u.kind(), "message_teleported");
    /// assert!(matches!(u, Update::Unknown(_)));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub enum Update (tag = "update_type") {
        /// A new message or channel post.
        "message_created" => MessageCreated(MessageCreated),
        /// A callback button was pressed.
        "message_callback" => MessageCallback(MessageCallback),
        /// A message was edited.
        "message_edited" => MessageEdited(MessageEdited),
        /// A message was deleted.
        "message_removed" => MessageRemoved(MessageRemoved),
        /// The bot was added to a chat or channel.
        "bot_added" => BotAdded(ChatMembership),
        /// The bot was removed from a chat or channel.
        "bot_removed" => BotRemoved(ChatMembership),
        /// A member was added or joined.
        "user_added" => UserAdded(UserAdded),
        /// A member was removed or left.
        "user_removed" => UserRemoved(UserRemoved),
        /// A user pressed Start (or followed a deep link).
        "bot_started" => BotStarted(BotStarted),
        /// A user stopped or deleted the bot.
        "bot_stopped" => BotStopped(DialogEvent),
        /// A user cleared the dialog's history.
        "dialog_cleared" => DialogCleared(DialogEvent),
        /// A user deleted the dialog.
        "dialog_removed" => DialogRemoved(DialogEvent),
        /// A user muted the dialog.
        "dialog_muted" => DialogMuted(DialogMuted),
        /// A user unmuted the dialog.
        "dialog_unmuted" => DialogUnmuted(DialogEvent),
        /// A chat or channel was renamed.
        "chat_title_changed" => ChatTitleChanged(ChatTitleChanged),
        /// A comment was posted on a channel post.
        "comment_created" => CommentCreated(CommentEvent),
        /// A comment was edited.
        "comment_edited" => CommentEdited(CommentEvent),
        /// A comment was deleted.
        "comment_removed" => CommentRemoved(CommentRemoved),
        /// The bot's admin rights changed (webhook only).
        "bot_admin_permissions_changed" => BotAdminPermissionsChanged(BotAdminPermissionsChanged),
        /// Legacy: a chat was created by a `chat` button.
        "message_chat_created" => MessageChatCreated(MessageChatCreated),
    }
}

impl Update {
    /// When the event happened, Unix ms (0 for an unknown update without a numeric `timestamp`).
    pub fn timestamp(&self) -> i64 {
        match self {
            Update::MessageCreated(u) => u.timestamp,
            Update::MessageCallback(u) => u.timestamp,
            Update::MessageEdited(u) => u.timestamp,
            Update::MessageRemoved(u) => u.timestamp,
            Update::BotAdded(u) | Update::BotRemoved(u) => u.timestamp,
            Update::UserAdded(u) => u.timestamp,
            Update::UserRemoved(u) => u.timestamp,
            Update::BotStarted(u) => u.timestamp,
            Update::BotStopped(u)
            | Update::DialogCleared(u)
            | Update::DialogRemoved(u)
            | Update::DialogUnmuted(u) => u.timestamp,
            Update::DialogMuted(u) => u.timestamp,
            Update::ChatTitleChanged(u) => u.timestamp,
            Update::CommentCreated(u) | Update::CommentEdited(u) => u.timestamp,
            Update::CommentRemoved(u) => u.timestamp,
            Update::BotAdminPermissionsChanged(u) => u.timestamp,
            Update::MessageChatCreated(u) => u.timestamp,
            Update::Unknown(u) => u
                .json()
                .get("timestamp")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0),
        }
    }

    /// The chat the update concerns, when it names one.
    pub fn chat_id(&self) -> Option<ChatId> {
        match self {
            Update::MessageCreated(u) => u.message.as_ref()?.recipient.chat_id,
            Update::MessageCallback(u) => u.message.as_ref()?.recipient.chat_id,
            Update::MessageEdited(u) => u.message.as_ref()?.recipient.chat_id,
            Update::MessageRemoved(u) => Some(u.chat_id),
            Update::BotAdded(u) | Update::BotRemoved(u) => Some(u.chat_id),
            Update::UserAdded(u) => Some(u.chat_id),
            Update::UserRemoved(u) => Some(u.chat_id),
            Update::BotStarted(u) => Some(u.chat_id),
            Update::BotStopped(u)
            | Update::DialogCleared(u)
            | Update::DialogRemoved(u)
            | Update::DialogUnmuted(u) => Some(u.chat_id),
            Update::DialogMuted(u) => Some(u.chat_id),
            Update::ChatTitleChanged(u) => Some(u.chat_id),
            Update::CommentCreated(u) | Update::CommentEdited(u) => u.message.recipient.chat_id,
            Update::CommentRemoved(u) => Some(u.chat_id),
            Update::BotAdminPermissionsChanged(u) => Some(u.chat_id),
            Update::MessageChatCreated(u) => Some(u.chat.chat_id),
            Update::Unknown(u) => u
                .json()
                .get("chat_id")
                .and_then(serde_json::Value::as_i64)
                .map(ChatId),
        }
    }
}

/// `message_created`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MessageCreated {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The message. Required by the schema, but a voice message has been observed arriving through long polling
    /// without it, so it is optional here rather than failing the update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// The user's locale (dialogs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_locale: Option<String>,
}

/// `message_callback`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MessageCallback {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The press.
    pub callback: Callback,
    /// The message that carried the keyboard (`None` if it was deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// The user's locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_locale: Option<String>,
}

impl MessageCallback {
    /// The chat to answer in: the keyboard message's chat, or else the dialog with the user who pressed
    /// (callbacks from private dialogs have been seen without `recipient.chat_id`).
    pub fn reply_target(&self) -> ReplyTarget {
        match self.message.as_ref().and_then(|m| m.recipient.chat_id) {
            Some(chat) => ReplyTarget::Chat(chat),
            None => ReplyTarget::User(self.callback.user.user_id),
        }
    }
}

/// Where to send an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyTarget {
    /// A chat (`chat_id`).
    Chat(ChatId),
    /// A user's dialog (`user_id`).
    User(UserId),
}

/// `message_edited`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MessageEdited {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The message after the edit (optional for the same reason as in `message_created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

/// `message_removed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MessageRemoved {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The deleted message.
    pub message_id: String,
    /// Its chat.
    pub chat_id: ChatId,
    /// Who deleted it.
    pub user_id: UserId,
}

/// `bot_added` / `bot_removed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatMembership {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The chat.
    pub chat_id: ChatId,
    /// Who added or removed the bot.
    pub user: User,
    /// Whether the chat is a channel.
    #[serde(default)]
    pub is_channel: bool,
}

/// `user_added`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserAdded {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The chat.
    pub chat_id: ChatId,
    /// The new member.
    pub user: User,
    /// Who added them (`None`: joined by link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inviter_id: Option<UserId>,
    /// Whether the chat is a channel.
    #[serde(default)]
    pub is_channel: bool,
}

/// `user_removed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserRemoved {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The chat.
    pub chat_id: ChatId,
    /// The removed member.
    pub user: User,
    /// Who removed them (`None`: they left).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_id: Option<UserId>,
    /// Whether the chat is a channel.
    #[serde(default)]
    pub is_channel: bool,
}

/// `bot_started`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BotStarted {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The dialog.
    pub chat_id: ChatId,
    /// The user.
    pub user: User,
    /// The deep-link payload (`https://max.ru/<bot>?start=<payload>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The user's locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_locale: Option<String>,
}

/// `bot_stopped`, `dialog_cleared`, `dialog_removed`, `dialog_unmuted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DialogEvent {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The dialog.
    pub chat_id: ChatId,
    /// The user.
    pub user: User,
    /// The user's locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_locale: Option<String>,
}

/// `dialog_muted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DialogMuted {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The dialog.
    pub chat_id: ChatId,
    /// The user.
    pub user: User,
    /// Muted until, Unix ms.
    pub muted_until: i64,
    /// The user's locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_locale: Option<String>,
}

/// `chat_title_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatTitleChanged {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The chat.
    pub chat_id: ChatId,
    /// Who renamed it.
    pub user: User,
    /// The new title.
    pub title: String,
}

/// `comment_created` / `comment_edited`: the comment as a `Message` whose `recipient.post_id` names the post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommentEvent {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The comment.
    pub message: Message,
}

/// `comment_removed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommentRemoved {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The deleted comment.
    pub message_id: String,
    /// The channel.
    pub chat_id: ChatId,
    /// Who deleted it.
    pub user_id: UserId,
    /// The post it was on.
    pub post_id: String,
}

/// `bot_admin_permissions_changed` (webhook only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BotAdminPermissionsChanged {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The chat.
    pub chat_id: ChatId,
    /// Who changed the rights.
    pub user_id: UserId,
    /// The bot.
    pub bot_id: UserId,
    /// Whether the chat is a channel.
    #[serde(default)]
    pub is_channel: bool,
    /// Whether the bot is still an admin.
    pub is_admin: bool,
    /// The bot's rights now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<ChatAdminPermission>>,
}

/// Legacy `message_chat_created`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MessageChatCreated {
    /// When, Unix ms.
    pub timestamp: i64,
    /// The created chat.
    pub chat: Chat,
    /// The message with the chat button.
    pub message_id: String,
    /// The button's start payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_payload: Option<String>,
}

/// A `GET /updates` answer decoded strictly: one bad element fails the whole list. Long polling uses
/// [`UpdateBatch`] instead.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UpdateList {
    /// The updates, oldest first.
    #[serde(default)]
    pub updates: Vec<Update>,
    /// The marker to pass next time (`None`: keep the old one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<i64>,
}

/// An update the SDK could not decode: its raw JSON and where decoding broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedUpdate {
    /// The element as received.
    pub raw: String,
    /// What was wrong with it.
    pub error: DecodeError,
}

/// A `GET /updates` answer decoded element by element: a malformed element is kept as [`MalformedUpdate`] and
/// the rest still decode, so one bad update never stops the marker.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateBatch {
    /// Each element in order: decoded (known or `Unknown`), or malformed.
    pub updates: Vec<Result<Update, MalformedUpdate>>,
    /// The marker to pass next time (`None`: keep the old one).
    pub marker: Option<i64>,
}

impl UpdateBatch {
    /// Decodes a `GET /updates` body. Fails only when the envelope itself (`{"updates": [...], "marker": …}`)
    /// is broken.
    ///
    /// ```
    /// use botwire_core_types::max::UpdateBatch;
    ///
    /// let body = br#"{"updates":[{"update_type":"message_removed","timestamp":1,"message_id":"m","chat_id":1,"user_id":2},
    ///                            {"update_type":"message_removed","timestamp":"oops"}],"marker":7}"#;
    /// let batch = UpdateBatch::from_slice(body)?;
    /// assert!(batch.updates[0].is_ok());
    /// let bad = batch.updates[1].as_ref().unwrap_err();
    /// assert!(bad.error.to_string().contains("timestamp"), "{}", bad.error);
    /// assert_eq!(batch.marker, Some(7));
    /// # Ok::<(), botwire_core_types::decode::DecodeError>(())
    /// ```
    pub fn from_slice(body: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_body(body, None)
    }

    /// [`UpdateBatch::from_slice`], also returning each element's JSON text exactly as it appears in `body`,
    /// one per element of [`UpdateBatch::updates`] and in the same order — what a webhook would have received
    /// for that update. (In a body that is not valid UTF-8, the invalid bytes read as U+FFFD.)
    ///
    /// ```
    /// use botwire_core_types::max::UpdateBatch;
    ///
    /// let body = br#"{"updates":[{"update_type":"message_removed", "timestamp":1,"message_id":"m","chat_id":1,"user_id":2,"new_field":true}],"marker":7}"#;
    /// let (batch, json) = UpdateBatch::from_slice_with_json(body)?;
    /// assert_eq!(batch.updates.len(), 1);
    /// assert!(json[0].starts_with(r#"{"update_type":"message_removed", "timestamp":1"#));
    /// assert!(json[0].ends_with(r#""new_field":true}"#));
    /// # Ok::<(), botwire_core_types::decode::DecodeError>(())
    /// ```
    pub fn from_slice_with_json(body: &[u8]) -> Result<(Self, Vec<String>), DecodeError> {
        let mut json = Vec::new();
        let batch = Self::decode_body(body, Some(&mut json))?;
        Ok((batch, json))
    }

    fn decode_body(body: &[u8], mut json: Option<&mut Vec<String>>) -> Result<Self, DecodeError> {
        // One pass over the text decodes a good body; the buffered decoder below explains a bad one (and is the
        // one that can hand out each element's text).
        if json.is_none()
            && let Ok(batch) = Self::decode_in_stream(body)
        {
            return Ok(batch);
        }
        // serde_json checks UTF-8 as it reads strings, so a good body costs no extra pass. A body that failed
        // because it is not valid UTF-8 is decoded again from a lossy copy, and an element that held one of the
        // replaced bytes is reported as malformed rather than decoded: one bad string must neither cost its
        // neighbours nor pass unnoticed.
        match Self::decode(body, &crate::raw::InvalidUtf8::none(), json.as_deref_mut()) {
            Err(e) if std::str::from_utf8(body).is_err() => {
                let lossy = crate::raw::InvalidUtf8::replace(body);
                Self::decode(lossy.text().as_bytes(), &lossy, json).map_err(|_| e)
            }
            result => result,
        }
    }

    /// Decodes the whole body in one pass (see `crate::raw`'s in-stream section): each element straight into
    /// its variant, without capturing it as raw text first. Fails on anything the buffered decoder would report
    /// (and on a few odd shapes it accepts, such as an unknown `update_type` after other fields); the caller
    /// then decodes the body again with [`UpdateBatch::decode`].
    fn decode_in_stream(body: &[u8]) -> Result<Self, serde_json::Error> {
        let _mode = crate::raw::InStream::enter();
        let mut de = serde_json::Deserializer::from_slice(body);
        let batch = serde::Deserializer::deserialize_map(&mut de, fast::EnvelopeVisitor { body })?;
        de.end()?;
        Ok(batch)
    }

    fn decode(
        text: &[u8],
        invalid: &crate::raw::InvalidUtf8,
        json: Option<&mut Vec<String>>,
    ) -> Result<Self, DecodeError> {
        #[derive(Deserialize)]
        struct Envelope<'a> {
            #[serde(borrow, default)]
            updates: Vec<&'a RawValue>,
            #[serde(default)]
            marker: Option<i64>,
        }
        let envelope: Envelope<'_> = crate::decode::from_slice_borrowed(text)?;
        if let Some(json) = json {
            json.clear();
            json.extend(envelope.updates.iter().map(|raw| raw.get().to_owned()));
        }
        let updates = envelope
            .updates
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                let json = raw.get();
                let malformed = |message: String| MalformedUpdate {
                    raw: json.to_owned(),
                    error: DecodeError::new(format!("updates[{i}]"), message, json.as_bytes()),
                };
                if let Some(reason) = invalid.within(text, json) {
                    return Err(malformed(reason));
                }
                // Its neighbours' trouble is not this element's: try it in one pass before the slow way.
                fast::element(json)
                    .or_else(|()| Update::from_json_str(json))
                    .map_err(malformed)
            })
            .collect();
        Ok(Self {
            updates,
            marker: envelope.marker,
        })
    }
}

/// The in-stream decoder of a `GET /updates` body.
mod fast {
    use std::fmt;

    use serde::de::{Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};

    use super::*;
    use crate::raw::{Str, Tagged, UnknownJson};

    /// One element from its JSON text in one pass; `Err` when the buffered decoder must look at it.
    pub(super) fn element(json: &str) -> Result<Update, ()> {
        let _mode = crate::raw::InStream::enter();
        let mut de = serde_json::Deserializer::from_str(json);
        let mut out = Vec::with_capacity(1);
        let seed = ElementSeed {
            body: json.as_bytes(),
            out: &mut out,
        };
        serde::de::DeserializeSeed::deserialize(seed, &mut de).map_err(drop)?;
        de.end().map_err(drop)?;
        match out.pop() {
            Some(Ok(update)) => Ok(update),
            _ => Err(()),
        }
    }

    /// Decodes the envelope from `body`, the text the deserialiser reads.
    pub(super) struct EnvelopeVisitor<'de> {
        pub(super) body: &'de [u8],
    }

    impl<'de> Visitor<'de> for EnvelopeVisitor<'de> {
        type Value = UpdateBatch;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a `GET /updates` answer")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UpdateBatch, A::Error> {
            let mut updates = None;
            let mut marker = None;
            while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                match &*key {
                    "updates" if updates.is_none() => {
                        let capacity = (self.body.len() / 512).min(1000);
                        let seed = Updates {
                            capacity,
                            body: self.body,
                        };
                        updates = Some(map.next_value_seed(seed)?);
                    }
                    "marker" if marker.is_none() => marker = Some(map.next_value::<Option<i64>>()?),
                    "updates" | "marker" => return Err(A::Error::custom("duplicate field")),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(UpdateBatch {
                updates: updates.unwrap_or_default(),
                marker: marker.flatten(),
            })
        }
    }

    struct Updates<'de> {
        capacity: usize,
        body: &'de [u8],
    }

    impl<'de> serde::de::DeserializeSeed<'de> for Updates<'de> {
        type Value = Vec<Result<Update, MalformedUpdate>>;

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Updates<'de> {
        type Value = Vec<Result<Update, MalformedUpdate>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of updates")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            // The parser cannot count the elements ahead; growing a list of 1 kB updates from 4 copies each
            // one several times, so start from the body's size (MAX updates are rarely under 500 bytes).
            let mut out = Vec::with_capacity(self.capacity);
            let body = self.body;
            // Each element is pushed where it is built: a 1 kB update is not moved through the parser's
            // return values.
            while seq
                .next_element_seed(ElementSeed {
                    body,
                    out: &mut out,
                })?
                .is_some()
            {}
            Ok(out)
        }
    }

    /// One update; `body` is the text the deserialiser reads (to re-read an unknown kind whose tag came last).
    struct ElementSeed<'de, 'a> {
        body: &'de [u8],
        out: &'a mut Vec<Result<Update, MalformedUpdate>>,
    }

    impl<'de> serde::de::DeserializeSeed<'de> for ElementSeed<'de, '_> {
        type Value = ();

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(ElementVisitor {
                body: self.body,
                out: self.out,
            })
        }
    }

    /// Every top-level field any update kind has, read in whatever order they come (MAX sends `update_type`
    /// last); the kind then picks its fields. Fields are read leniently (`null` as absent): a kind that needs
    /// a field it did not get fails, and the buffered decoder says why.
    #[derive(Default)]
    struct AnyUpdate {
        timestamp: Option<i64>,
        message: Option<Message>,
        user_locale: Option<String>,
        callback: Option<Callback>,
        message_id: Option<String>,
        chat_id: Option<ChatId>,
        user_id: Option<UserId>,
        user: Option<User>,
        // `#[serde(default)] bool`: absent is `false`, `null` is an error, so read as `bool`.
        is_channel: Option<bool>,
        inviter_id: Option<UserId>,
        admin_id: Option<UserId>,
        payload: Option<String>,
        muted_until: Option<i64>,
        title: Option<String>,
        post_id: Option<String>,
        bot_id: Option<UserId>,
        is_admin: Option<bool>,
        permissions: Option<Vec<ChatAdminPermission>>,
        // Legacy and large: boxed so that every other update does not carry its space around.
        chat: Option<Box<Chat>>,
        start_payload: Option<String>,
    }

    struct ElementVisitor<'de, 'a> {
        body: &'de [u8],
        out: &'a mut Vec<Result<Update, MalformedUpdate>>,
    }

    impl<'de> Visitor<'de> for ElementVisitor<'de, '_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an update object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut u = AnyUpdate::default();
            let mut tag: Option<std::borrow::Cow<'de, str>> = None;
            let mut seen = 0u32;
            let mut first = true;
            // Where the element starts in `body`, known from the first key when it is borrowed from there.
            let mut start = None;
            while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                if first && let std::borrow::Cow::Borrowed(key) = key {
                    start = offset_in(self.body, key);
                }
                let bit = match &*key {
                    "update_type" => {
                        if tag.is_some() {
                            return Err(A::Error::custom("duplicate tag"));
                        }
                        let Str(t) = map.next_value::<Str<'de>>()?;
                        if !Update::is_known(&t) {
                            if first {
                                self.out.push(Ok(unknown(t, map)?));
                                return Ok(());
                            }
                            // The fields before were read as a known kind's: read the element again.
                            while map.next_key::<IgnoredAny>()?.is_some() {
                                map.next_value::<IgnoredAny>()?;
                            }
                            let update = reread_unknown(self.body, start)
                                .ok_or_else(|| A::Error::custom("unknown kind not re-read"))?;
                            self.out.push(Ok(update));
                            return Ok(());
                        }
                        tag = Some(t);
                        first = false;
                        continue;
                    }
                    "timestamp" => {
                        u.timestamp = map.next_value()?;
                        0
                    }
                    "message" => {
                        u.message = map.next_value()?;
                        1
                    }
                    "user_locale" => {
                        u.user_locale = map.next_value()?;
                        2
                    }
                    "callback" => {
                        u.callback = map.next_value()?;
                        3
                    }
                    "message_id" => {
                        u.message_id = map.next_value()?;
                        4
                    }
                    "chat_id" => {
                        u.chat_id = map.next_value()?;
                        5
                    }
                    "user_id" => {
                        u.user_id = map.next_value()?;
                        6
                    }
                    "user" => {
                        u.user = map.next_value()?;
                        7
                    }
                    "is_channel" => {
                        u.is_channel = Some(map.next_value::<bool>()?);
                        8
                    }
                    "inviter_id" => {
                        u.inviter_id = map.next_value()?;
                        9
                    }
                    "admin_id" => {
                        u.admin_id = map.next_value()?;
                        10
                    }
                    "payload" => {
                        u.payload = map.next_value()?;
                        11
                    }
                    "muted_until" => {
                        u.muted_until = map.next_value()?;
                        12
                    }
                    "title" => {
                        u.title = map.next_value()?;
                        13
                    }
                    "post_id" => {
                        u.post_id = map.next_value()?;
                        14
                    }
                    "bot_id" => {
                        u.bot_id = map.next_value()?;
                        15
                    }
                    "is_admin" => {
                        u.is_admin = map.next_value()?;
                        16
                    }
                    "permissions" => {
                        u.permissions = map.next_value()?;
                        17
                    }
                    "chat" => {
                        u.chat = map.next_value()?;
                        18
                    }
                    "start_payload" => {
                        u.start_payload = map.next_value()?;
                        19
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                        first = false;
                        continue;
                    }
                };
                first = false;
                if seen & (1 << bit) != 0 {
                    return Err(A::Error::custom("duplicate field"));
                }
                seen |= 1 << bit;
            }
            let Some(tag) = tag else {
                return Err(A::Error::missing_field("update_type"));
            };
            let update = u
                .into_update(&tag)
                .ok_or_else(|| A::Error::custom("not this kind's fields"))?;
            self.out.push(Ok(update));
            Ok(())
        }
    }

    /// The offset in `body` of `key`, when the parser borrowed it from there (it had no escapes).
    fn offset_in(body: &[u8], key: &str) -> Option<usize> {
        let offset = (key.as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
        (offset + key.len() <= body.len()).then_some(offset)
    }

    /// An unknown kind whose tag came after other fields, read again as JSON from its text in `body`: `start`
    /// is the offset of its first key (just after `{` and whitespace). `None` if that is not where an object
    /// starts.
    fn reread_unknown(body: &[u8], start: Option<usize>) -> Option<Update> {
        // The key's opening quote, then whitespace, then the object's brace.
        let quote = start?.checked_sub(1)?;
        let brace = body[..quote]
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())?;
        if body.get(quote) != Some(&b'"') || body[brace] != b'{' {
            return None;
        }
        let mut values =
            serde_json::Deserializer::from_slice(&body[brace..]).into_iter::<serde_json::Value>();
        let value @ serde_json::Value::Object(_) = values.next()?.ok()? else {
            return None;
        };
        Some(Update::Unknown(UnknownJson::new(value)))
    }

    /// An unknown kind whose tag came first: the rest of the object as JSON.
    fn unknown<'de, A: MapAccess<'de>>(
        tag: std::borrow::Cow<'de, str>,
        mut map: A,
    ) -> Result<Update, A::Error> {
        let mut json = serde_json::Map::new();
        json.insert(
            "update_type".to_owned(),
            serde_json::Value::String(tag.into_owned()),
        );
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value()?;
            json.insert(key, value);
        }
        Ok(Update::Unknown(UnknownJson::new(
            serde_json::Value::Object(json),
        )))
    }

    impl AnyUpdate {
        /// The update of kind `tag` (known), or `None` when a field it requires is missing.
        fn into_update(self, tag: &str) -> Option<Update> {
            let u = self;
            let timestamp = u.timestamp?;
            let is_channel = u.is_channel.unwrap_or(false);
            // Struct literals without `..`: a field added to a kind fails to compile here until it is read.
            Some(match tag {
                "message_created" => Update::MessageCreated(MessageCreated {
                    timestamp,
                    message: u.message,
                    user_locale: u.user_locale,
                }),
                "message_callback" => Update::MessageCallback(MessageCallback {
                    timestamp,
                    callback: u.callback?,
                    message: u.message,
                    user_locale: u.user_locale,
                }),
                "message_edited" => Update::MessageEdited(MessageEdited {
                    timestamp,
                    message: u.message,
                }),
                "message_removed" => Update::MessageRemoved(MessageRemoved {
                    timestamp,
                    message_id: u.message_id?,
                    chat_id: u.chat_id?,
                    user_id: u.user_id?,
                }),
                "bot_added" | "bot_removed" => {
                    let m = ChatMembership {
                        timestamp,
                        chat_id: u.chat_id?,
                        user: u.user?,
                        is_channel,
                    };
                    if tag == "bot_added" {
                        Update::BotAdded(m)
                    } else {
                        Update::BotRemoved(m)
                    }
                }
                "user_added" => Update::UserAdded(UserAdded {
                    timestamp,
                    chat_id: u.chat_id?,
                    user: u.user?,
                    inviter_id: u.inviter_id,
                    is_channel,
                }),
                "user_removed" => Update::UserRemoved(UserRemoved {
                    timestamp,
                    chat_id: u.chat_id?,
                    user: u.user?,
                    admin_id: u.admin_id,
                    is_channel,
                }),
                "bot_started" => Update::BotStarted(BotStarted {
                    timestamp,
                    chat_id: u.chat_id?,
                    user: u.user?,
                    payload: u.payload,
                    user_locale: u.user_locale,
                }),
                "bot_stopped" | "dialog_cleared" | "dialog_removed" | "dialog_unmuted" => {
                    let e = DialogEvent {
                        timestamp,
                        chat_id: u.chat_id?,
                        user: u.user?,
                        user_locale: u.user_locale,
                    };
                    match tag {
                        "bot_stopped" => Update::BotStopped(e),
                        "dialog_cleared" => Update::DialogCleared(e),
                        "dialog_removed" => Update::DialogRemoved(e),
                        _ => Update::DialogUnmuted(e),
                    }
                }
                "dialog_muted" => Update::DialogMuted(DialogMuted {
                    timestamp,
                    chat_id: u.chat_id?,
                    user: u.user?,
                    muted_until: u.muted_until?,
                    user_locale: u.user_locale,
                }),
                "chat_title_changed" => Update::ChatTitleChanged(ChatTitleChanged {
                    timestamp,
                    chat_id: u.chat_id?,
                    user: u.user?,
                    title: u.title?,
                }),
                "comment_created" | "comment_edited" => {
                    let e = CommentEvent {
                        timestamp,
                        message: u.message?,
                    };
                    if tag == "comment_created" {
                        Update::CommentCreated(e)
                    } else {
                        Update::CommentEdited(e)
                    }
                }
                "comment_removed" => Update::CommentRemoved(CommentRemoved {
                    timestamp,
                    message_id: u.message_id?,
                    chat_id: u.chat_id?,
                    user_id: u.user_id?,
                    post_id: u.post_id?,
                }),
                "bot_admin_permissions_changed" => {
                    Update::BotAdminPermissionsChanged(BotAdminPermissionsChanged {
                        timestamp,
                        chat_id: u.chat_id?,
                        user_id: u.user_id?,
                        bot_id: u.bot_id?,
                        is_channel,
                        is_admin: u.is_admin?,
                        permissions: u.permissions,
                    })
                }
                "message_chat_created" => Update::MessageChatCreated(MessageChatCreated {
                    timestamp,
                    chat: *u.chat?,
                    message_id: u.message_id?,
                    start_payload: u.start_payload,
                }),
                // A kind added to `Update` but not here: the buffered decoder handles it.
                _ => return None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removed(i: u32, text: &[u8]) -> Vec<u8> {
        let mut out =
            format!(r#"{{"update_type":"message_removed","timestamp":{i},"message_id":"m"#)
                .into_bytes();
        out.extend_from_slice(text);
        out.extend_from_slice(br#"","chat_id":1,"user_id":2}"#);
        out
    }

    #[test]
    fn invalid_utf8_in_one_element_costs_only_that_element() {
        let mut body = br#"{"updates":["#.to_vec();
        body.extend(removed(1, b"a"));
        body.push(b',');
        body.extend(removed(2, b"b\xff\xfec"));
        body.push(b',');
        body.extend(removed(3, b"\xd0\xbf")); // valid Cyrillic `п`
        body.extend_from_slice(br#"],"marker":42}"#);
        let batch = UpdateBatch::from_slice(&body).unwrap();
        assert_eq!(batch.marker, Some(42));
        assert_eq!(batch.updates.len(), 3);
        assert_eq!(batch.updates[0].as_ref().unwrap().timestamp(), 1);
        let bad = batch.updates[1].as_ref().unwrap_err();
        assert_eq!(bad.error.path(), "updates[1]");
        assert!(
            bad.error.message().contains("invalid UTF-8"),
            "{}",
            bad.error
        );
        assert!(bad.error.message().contains("0xff"), "{}", bad.error);
        assert!(bad.raw.contains("\"timestamp\":2"), "{}", bad.raw);
        assert_eq!(batch.updates[2].as_ref().unwrap().timestamp(), 3);
    }

    const USER: &str = r#"{"user_id":7,"first_name":"Ann","last_name":"","is_bot":false,"last_activity_time":1,"name":"Ann"}"#;
    const MESSAGE: &str = r#"{"sender":{"user_id":7,"first_name":"Ann","is_bot":false},"recipient":{"chat_id":-5,"chat_type":"chat","post_id":"p"},"timestamp":3,"body":{"mid":"mid.1","seq":116328147937082782,"text":"hi","attachments":[{"callback_id":"cb","payload":{"buttons":[[{"payload":"a","text":"A","intent":"default","type":"callback"},{"type":"link","text":"L","url":"https://x"},{"text":"Pay","amount":1,"type":"pay"}]]},"type":"inline_keyboard"},{"payload":{"photo_id":1,"token":"t","url":"u"},"type":"image"},{"type":"poll","payload":{"q":"?"}},{"latitude":1.5,"longitude":2.5,"type":"location"}],"markup":[{"from":0,"length":2,"type":"strong"},{"type":"link","from":0,"length":1,"url":"https://y"},{"from":1,"length":1,"type":"spoiler"}]},"link":{"type":"forward","message":{"mid":"m2","seq":2,"text":"t"},"sender":{"user_id":8,"first_name":"B","is_bot":false},"chat_id":-9},"stat":{"views":4},"url":"https://max.ru/x"}"#;

    /// The fields of one update of every kind, without `update_type`.
    fn every_kind() -> Vec<(&'static str, String)> {
        let cb = format!(
            r#""callback":{{"timestamp":1,"callback_id":"c","payload":"p","user":{USER}}}"#
        );
        let chat = r#""chat":{"chat_id":-1,"type":"chat","status":"active","title":"T","last_event_time":1,"participants_count":2,"is_public":false}"#;
        vec![
            ("message_created", format!(r#""message":{MESSAGE},"timestamp":1,"user_locale":"ru""#)),
            ("message_created", r#""timestamp":1,"message":null"#.to_owned()),
            ("message_callback", format!(r#"{cb},"message":{MESSAGE},"timestamp":1,"user_locale":"ru""#)),
            ("message_edited", format!(r#""message":{MESSAGE},"timestamp":1"#)),
            ("message_removed", r#""message_id":"m","chat_id":1,"user_id":2,"timestamp":1"#.to_owned()),
            ("bot_added", format!(r#""timestamp":1,"chat_id":-1,"user":{USER},"user_id":7,"is_channel":true"#)),
            ("bot_removed", format!(r#""timestamp":1,"chat_id":-1,"user":{USER}"#)),
            ("user_added", format!(r#""timestamp":1,"chat_id":-1,"user":{USER},"inviter_id":3,"user_id":7,"is_channel":false"#)),
            ("user_removed", format!(r#""timestamp":1,"chat_id":-1,"user":{USER},"admin_id":3,"user_id":7"#)),
            ("bot_started", format!(r#""timestamp":1,"chat_id":5,"user":{USER},"payload":"ref","user_locale":"ru","user_id":7"#)),
            ("bot_stopped", format!(r#""chat_id":5,"user":{USER},"timestamp":1,"user_locale":"ru""#)),
            ("dialog_cleared", format!(r#""chat_id":5,"user":{USER},"timestamp":1"#)),
            ("dialog_removed", format!(r#""chat_id":5,"user":{USER},"timestamp":1"#)),
            ("dialog_unmuted", format!(r#""chat_id":5,"user":{USER},"timestamp":1"#)),
            ("dialog_muted", format!(r#""chat_id":5,"user":{USER},"muted_until":9,"timestamp":1,"user_locale":"ru""#)),
            ("chat_title_changed", format!(r#""timestamp":1,"chat_id":-1,"user":{USER},"title":"New","user_id":7"#)),
            ("comment_created", format!(r#""message":{MESSAGE},"timestamp":1"#)),
            ("comment_edited", format!(r#""message":{MESSAGE},"timestamp":1"#)),
            ("comment_removed", r#""timestamp":1,"message_id":"m","chat_id":-1,"user_id":2,"post_id":"p""#.to_owned()),
            ("bot_admin_permissions_changed", r#""timestamp":1,"chat_id":-1,"user_id":2,"bot_id":3,"is_channel":true,"is_admin":true,"permissions":["read_all_messages","write","brand_new_right"]"#.to_owned()),
            ("message_chat_created", format!(r#""timestamp":1,{chat},"message_id":"m","start_payload":"s""#)),
            ("message_reaction_added", format!(r#""timestamp":1,"chat_id":-1,"reaction":{{"emoji":"🔥"}},"user":{USER}"#)),
        ]
    }

    /// The one-pass decoder agrees with the buffered one wherever it succeeds.
    fn agree(body: &[u8]) -> bool {
        let buffered = UpdateBatch::decode(body, &crate::raw::InvalidUtf8::none(), None);
        match UpdateBatch::decode_in_stream(body) {
            Ok(fast) => {
                assert_eq!(
                    Ok(&fast),
                    buffered.as_ref(),
                    "{}",
                    String::from_utf8_lossy(body)
                );
                assert!(!crate::raw::in_stream());
                true
            }
            Err(_) => false,
        }
    }

    fn batch(elements: &[String]) -> Vec<u8> {
        format!(r#"{{"updates":[{}],"marker":5}}"#, elements.join(",")).into_bytes()
    }

    #[test]
    fn one_pass_decodes_every_kind_like_the_buffered_decoder() {
        let kinds = every_kind();
        // MAX's order (tag last) and the tag first, each kind alone and all in one batch.
        let last: Vec<String> = kinds
            .iter()
            .map(|(k, f)| format!(r#"{{{f},"update_type":"{k}"}}"#))
            .collect();
        let first: Vec<String> = kinds
            .iter()
            .map(|(k, f)| format!(r#"{{"update_type":"{k}",{f}}}"#))
            .collect();
        for (i, (kind, _)) in kinds.iter().enumerate() {
            assert!(agree(&batch(&last[i..=i])), "{kind}");
            assert!(agree(&batch(&first[i..=i])), "{kind}");
        }
        // An unknown kind whose tag comes after other fields is read again from its text, blanks included;
        // when its first key has an escape its text cannot be found, and the buffered decoder takes over.
        assert!(agree(&batch(&[
            r#"  {  "timestamp":1, "reaction":{"emoji":"x"},"update_type":"brand_new","after":[1]}"#.to_owned(),
            last[0].clone(),
        ])));
        assert!(!agree(&batch(&[
            r#"{"time\u0073tamp":1,"update_type":"brand_new"}"#.to_owned()
        ])));
        assert!(agree(&batch(&last)));
        assert!(agree(&batch(&first)));
        let known: Vec<String> = last[..last.len() - 1].to_vec();
        assert!(agree(&batch(&known)));
        let fast = UpdateBatch::decode_in_stream(&batch(&known)).unwrap();
        assert_eq!(fast.updates.len(), kinds.len() - 1);
        assert!(
            fast.updates
                .iter()
                .all(|u| !matches!(u, Ok(Update::Unknown(_))))
        );
        // Whitespace, escapes and envelope extras.
        assert!(agree(
            br#" { "note" : [1,{"a":2}], "updates" : [ { "timestamp" : 1 , "chat_id":1, "message_id":"m\"1", "user_id":2, "update_\u0074ype" : "message_removed" } ] , "marker" : null } "#
        ));
        assert!(agree(br#"{"marker":3}"#));
        assert!(agree(br#"{"updates":[]}"#));
    }

    #[test]
    fn one_pass_leaves_every_doubtful_body_to_the_buffered_decoder() {
        for body in [
            &br#"{"updates":[{"update_type":"message_removed","timestamp":"x","message_id":"m","chat_id":1,"user_id":2}]}"#[..],
            br#"{"updates":[{"timestamp":1,"update_type":"message_removed"}]}"#,
            br#"{"updates":[{"timestamp":1,"chat_id":1,"user":null,"update_type":"bot_stopped"}]}"#,
            br#"{"updates":[{"timestamp":1,"chat_id":1,"user_id":2,"is_channel":null,"message_id":"m","update_type":"message_removed"}]}"#,
            br#"{"updates":[{"timestamp":1,"timestamp":2,"chat_id":1,"user_id":2,"message_id":"m","update_type":"message_removed"}]}"#,
            br#"{"updates":[{"timestamp":1}]}"#,
            br#"{"updates":["text"]}"#,
            br#"{"updates":[{"update_type":5,"timestamp":1}]}"#,
            br#"{"updates":[],"updates":[]}"#,
            br#"{"updates":null}"#,
            br#"{"updates":[]} trailing"#,
            b"{\"updates\":[{\"update_type\":\"x\xff\"}]}",
        ] {
            assert!(!agree(body), "{}", String::from_utf8_lossy(body));
        }
        // Nested: an unknown attachment whose tag comes last keeps its JSON in order; a malformed one fails.
        let element = |attachment: &str| {
            batch(&[format!(
                r#"{{"message":{{"recipient":{{"chat_type":"dialog"}},"timestamp":1,"body":{{"mid":"m","seq":1,"attachments":[{attachment}]}}}},"timestamp":1,"update_type":"message_created"}}"#
            )])
        };
        assert!(agree(&element(
            r#"{"payload":{"b":[1,2]},"z":null,"type":"data"}"#
        )));
        assert!(!agree(&element(
            r#"{"payload":{"photo_id":"x"},"type":"image"}"#
        )));
        assert!(!agree(&element(r#"{"payload":{}}"#)));
        // More fields before the tag than are kept inline.
        assert!(agree(&element(
            r#"{"payload":{"url":"u","token":"t"},"thumbnail":{"url":"i"},"width":1,"height":2,"duration":3,"a":1,"b":[2],"c":{"d":4},"type":"video"}"#
        )));
        assert!(agree(&element(
            r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":{"i":[8]},"type":"brand_new"}"#
        )));
    }

    #[test]
    fn a_broken_envelope_is_still_an_error() {
        assert!(UpdateBatch::from_slice(b"<html>502 Bad Gateway</html>").is_err());
        assert!(UpdateBatch::from_slice(b"").is_err());
        assert!(UpdateBatch::from_slice(br#"{"updates":[{"update_type":"#).is_err());
        assert!(UpdateBatch::from_slice(b"{\"updates\":[\xff]}").is_err());
        // Invalid bytes outside any element (an unknown field) do not cost the batch.
        let batch =
            UpdateBatch::from_slice(b"{\"note\":\"\xff\",\"updates\":[],\"marker\":3}").unwrap();
        assert_eq!(batch.marker, Some(3));
        assert_eq!(UpdateBatch::from_slice(b"{}").unwrap().marker, None);
    }
}
