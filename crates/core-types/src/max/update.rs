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
                Update::from_json_str(json).map_err(malformed)
            })
            .collect();
        Ok(Self {
            updates,
            marker: envelope.marker,
        })
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
