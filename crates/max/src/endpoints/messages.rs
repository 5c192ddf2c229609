//! Messages: list, send, edit, delete, get by id.

use botwire_core_types::ValidationError;
use botwire_core_types::limits::MAX_MESSAGES_PAGE;
use botwire_core_types::max::{
    ChatId, Message, MessageList, NewMessageBody, SendMessageResult, UserId,
};
use botwire_transport::{HttpRequest, RateKey, url::path_segment};
use http::Method;

use super::{check_page, check_time, non_blank};
use crate::endpoint::{RequestBuilder, json_output, parse_json, simple_output};
use crate::{Config, Endpoint, Error};

/// `GET /messages` — messages of a chat (newest first) and/or given messages by id.
///
/// At least one of `chat_id` / `message_ids` is required; `before`/`after` are Unix ms ≥ 0; `count` is 1–100
/// (server default 50) — checked before sending. `from`/`to` are deprecated since 0.0.33 in favour of
/// `after`/`before` (with them, `to` must be less than `from`) but still offered. A `403` means the user
/// stopped the bot or the bot cannot read the chat (in group chats it needs `read_all_messages`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetMessages {
    /// The chat to list.
    pub chat_id: Option<ChatId>,
    /// Messages to fetch by id (comma-separated on the wire).
    pub message_ids: Vec<String>,
    /// Only messages before this time, Unix ms.
    pub before: Option<i64>,
    /// Only messages after this time, Unix ms.
    pub after: Option<i64>,
    /// Deprecated upper time bound, Unix ms (use `before`).
    pub from: Option<i64>,
    /// Deprecated lower time bound, Unix ms (use `after`).
    pub to: Option<i64>,
    /// How many, 1–100.
    pub count: Option<u32>,
}

impl GetMessages {
    /// The newest messages of `chat_id`.
    pub fn in_chat(chat_id: impl Into<ChatId>) -> Self {
        Self {
            chat_id: Some(chat_id.into()),
            ..Self::default()
        }
    }

    /// These messages, by id.
    pub fn by_ids(message_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            message_ids: message_ids.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// How many (1–100).
    #[must_use]
    pub fn count(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }

    /// Only messages before `timestamp` (Unix ms).
    #[must_use]
    pub fn before(mut self, timestamp: i64) -> Self {
        self.before = Some(timestamp);
        self
    }

    /// Only messages after `timestamp` (Unix ms).
    #[must_use]
    pub fn after(mut self, timestamp: i64) -> Self {
        self.after = Some(timestamp);
        self
    }
}

impl Endpoint for GetMessages {
    type Output = MessageList;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        if self.chat_id.is_none() && self.message_ids.is_empty() {
            return Err(ValidationError::new(
                "chat_id/message_ids",
                "at least one of them",
                "neither",
            )
            .into());
        }
        for (i, id) in self.message_ids.iter().enumerate() {
            non_blank(&format!("message_ids[{i}]"), id)?;
        }
        check_time("before", self.before)?;
        check_time("after", self.after)?;
        check_page("count", self.count, MAX_MESSAGES_PAGE)?;
        RequestBuilder::new(config, Method::GET, "/messages")
            .query_opt("chat_id", self.chat_id)
            .query_list("message_ids", &self.message_ids)
            .query_opt("before", self.before)
            .query_opt("after", self.after)
            .query_opt("from", self.from)
            .query_opt("to", self.to)
            .query_opt("count", self.count)
            .build()
    }

    json_output!();
}

/// Where [`SendMessage`] sends: exactly one of a chat (dialog, group chat, channel) or a user (by global user
/// id, into the dialog with them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageTarget {
    /// A dialog, group chat or channel: `?chat_id=`.
    Chat(ChatId),
    /// A user, by global id: `?user_id=`.
    User(UserId),
}

impl From<ChatId> for MessageTarget {
    fn from(chat_id: ChatId) -> Self {
        Self::Chat(chat_id)
    }
}

impl From<UserId> for MessageTarget {
    fn from(user_id: UserId) -> Self {
        Self::User(user_id)
    }
}

/// `POST /messages` — sends a message to a chat or a user. Answers the sent message.
///
/// The body is checked before sending: text ≤ 4000 characters, keyboards ≤ 210 buttons / 30 rows / 7 per row
/// (3 with link-like buttons), button texts and payloads, lonely attachments. In a channel `notify: false` is
/// rejected by the server, and the bot needs `write` there. A freshly uploaded attachment may answer
/// `400 attachment.not.ready` (retry later). At most 2 messages per second per chat. Not marked safe to retry:
/// a repeat after a lost answer posts the message twice.
#[derive(Debug, Clone, PartialEq)]
pub struct SendMessage {
    /// The chat or user.
    pub to: MessageTarget,
    /// The message.
    pub body: NewMessageBody,
    /// `true` suppresses link previews (server default `false`).
    pub disable_link_preview: Option<bool>,
}

impl SendMessage {
    /// Sends `body` to `to` (a [`ChatId`] or a [`UserId`]).
    pub fn new(to: impl Into<MessageTarget>, body: NewMessageBody) -> Self {
        Self {
            to: to.into(),
            body,
            disable_link_preview: None,
        }
    }

    /// Suppresses (or explicitly allows) link previews.
    #[must_use]
    pub fn disable_link_preview(mut self, disable: bool) -> Self {
        self.disable_link_preview = Some(disable);
        self
    }
}

impl Endpoint for SendMessage {
    type Output = Message;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        self.body.validate()?;
        let builder = RequestBuilder::new(config, Method::POST, "/messages");
        let builder = match self.to {
            MessageTarget::Chat(chat_id) => builder.query("chat_id", chat_id),
            MessageTarget::User(user_id) => builder.query("user_id", user_id),
        };
        let mut request = builder
            .query_opt("disable_link_preview", self.disable_link_preview)
            .idempotent(false)
            .json(&self.body)?
            .build()?;
        // A dialog written to by `user_id` and by `chat_id` is one chat for the server's per-chat limit.
        if let MessageTarget::User(user_id) = self.to
            && let Some(chat) = config.chats().dialog_of(user_id)
        {
            RateKey::new(crate::chats::chat_key(chat)).apply(&mut request);
        }
        Ok(request)
    }

    fn parse(&self, response: botwire_transport::HttpResponse) -> Result<Self::Output, Error> {
        Ok(parse_json::<SendMessageResult>(response)?.message)
    }
}

/// `PUT /messages?message_id=…` — edits a message the bot sent. Attachments `None` keeps them, `Some(vec![])`
/// removes them all; an edit with attachments replaces the keyboard.
///
/// Same body limits as [`SendMessage`]. In dialogs, messages without a keyboard can be edited only within
/// 7 days; in group chats and channels at any time.
#[derive(Debug, Clone, PartialEq)]
pub struct EditMessage {
    /// The message (`body.mid`).
    pub message_id: String,
    /// The new content.
    pub body: NewMessageBody,
}

impl EditMessage {
    /// Replaces the content of `message_id` with `body`.
    pub fn new(message_id: impl Into<String>, body: NewMessageBody) -> Self {
        Self {
            message_id: message_id.into(),
            body,
        }
    }
}

impl Endpoint for EditMessage {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("message_id", &self.message_id)?;
        self.body.validate()?;
        RequestBuilder::new(config, Method::PUT, "/messages")
            .query("message_id", &self.message_id)
            .json(&self.body)?
            .build()
    }

    simple_output!();
}

/// `DELETE /messages?message_id=…` — deletes a message. `403` when the bot may not (other people's messages
/// need `write` in group chats, `delete` in channels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteMessage {
    /// The message (`body.mid`).
    pub message_id: String,
}

impl DeleteMessage {
    /// Deletes `message_id`.
    pub fn new(message_id: impl Into<String>) -> Self {
        Self {
            message_id: message_id.into(),
        }
    }
}

impl Endpoint for DeleteMessage {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("message_id", &self.message_id)?;
        RequestBuilder::new(config, Method::DELETE, "/messages")
            .query("message_id", &self.message_id)
            .build()
    }

    simple_output!();
}

/// `GET /messages/{messageId}` — one message; `404` when it does not exist or the bot cannot see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetMessageById {
    /// The message (`body.mid`).
    pub message_id: String,
}

impl GetMessageById {
    /// The message `message_id`.
    pub fn new(message_id: impl Into<String>) -> Self {
        Self {
            message_id: message_id.into(),
        }
    }
}

impl Endpoint for GetMessageById {
    type Output = Message;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("message_id", &self.message_id)?;
        let path = format!("/messages/{}", path_segment(&self.message_id));
        RequestBuilder::new(config, Method::GET, path).build()
    }

    json_output!();
}
