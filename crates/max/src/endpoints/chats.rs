//! Chats and channels: info, edit, activity indicator, pinned message.

use botwire_core_types::max::{
    ActionRequestBody, Chat, ChatId, ChatPatch, GetPinnedMessageResult, Message, PinMessageBody,
    SenderAction,
};
use botwire_transport::HttpRequest;
use http::Method;

use super::non_blank;
use crate::endpoint::{RequestBuilder, json_output, parse_json, simple_output};
use crate::{Config, Endpoint, Error};

pub(crate) fn path(chat_id: ChatId, rest: &str) -> String {
    format!("/chats/{chat_id}{rest}")
}

super::chat_endpoint! {
    /// `GET /chats/{chatId}` — a dialog, group chat or channel: title, status, members count, and (single chat
    /// requests only) the pinned message.
    ///
    /// Works for dialogs too (`type: dialog` with `dialog_with_user`). Admin-only fields (`owner_id`,
    /// `participants`) are filled only when the bot is an admin.
    GetChat => GET "", Chat, json_output
}

/// `PATCH /chats/{chatId}` — edits a group chat or channel: icon, title (1–200 characters), description
/// (≤ 16000 characters; `""` removes it), a message to pin, and whether members are notified.
///
/// The bot must be an admin with `change_chat_info` (and `pin_message` to pin). Answers the updated chat.
/// Setting the same values again changes nothing, so the request is marked safe to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditChat {
    /// The chat.
    pub chat_id: ChatId,
    /// What to change; unset fields stay as they are.
    pub patch: ChatPatch,
}

impl EditChat {
    /// Applies `patch` to `chat_id`.
    pub fn new(chat_id: impl Into<ChatId>, patch: ChatPatch) -> Self {
        Self {
            chat_id: chat_id.into(),
            patch,
        }
    }
}

impl Endpoint for EditChat {
    type Output = Chat;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        self.patch.validate()?;
        if let Some(pin) = &self.patch.pin {
            non_blank("pin", pin)?;
        }
        RequestBuilder::new(config, Method::PATCH, path(self.chat_id, ""))
            .idempotent(true)
            .json(&self.patch)?
            .build()
    }

    json_output!();
}

/// `POST /chats/{chatId}/actions` — shows an activity indicator ("typing…", "sending a photo…") or marks the
/// chat as read (`mark_seen`).
///
/// Showing the same indicator twice is harmless, so the request is marked safe to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendAction {
    /// The chat.
    pub chat_id: ChatId,
    /// The indicator.
    pub action: SenderAction,
}

impl SendAction {
    /// Shows `action` in `chat_id`.
    pub fn new(chat_id: impl Into<ChatId>, action: SenderAction) -> Self {
        Self {
            chat_id: chat_id.into(),
            action,
        }
    }
}

impl Endpoint for SendAction {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        RequestBuilder::new(config, Method::POST, path(self.chat_id, "/actions"))
            .idempotent(true)
            .json(&ActionRequestBody::new(self.action.clone()))?
            .build()
    }

    simple_output!();
}

/// `GET /chats/{chatId}/pin` — the pinned message, `None` when nothing is pinned. The bot must be an admin of a
/// group chat or channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetPinnedMessage {
    /// The chat.
    pub chat_id: ChatId,
}

impl GetPinnedMessage {
    /// The pinned message of `chat_id`.
    pub fn new(chat_id: impl Into<ChatId>) -> Self {
        Self {
            chat_id: chat_id.into(),
        }
    }
}

impl Endpoint for GetPinnedMessage {
    type Output = Option<Message>;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        RequestBuilder::new(config, Method::GET, path(self.chat_id, "/pin")).build()
    }

    fn parse(&self, response: botwire_transport::HttpResponse) -> Result<Self::Output, Error> {
        Ok(parse_json::<GetPinnedMessageResult>(response)?.message)
    }
}

/// `PUT /chats/{chatId}/pin` — pins a message (`body.mid`), notifying members unless `notify` is `false`.
///
/// The bot must be an admin with `pin_message` (which needs `read_all_messages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinMessage {
    /// The chat.
    pub chat_id: ChatId,
    /// The message id and the notification choice.
    pub body: PinMessageBody,
}

impl PinMessage {
    /// Pins `message_id` in `chat_id`.
    pub fn new(chat_id: impl Into<ChatId>, message_id: impl Into<String>) -> Self {
        Self {
            chat_id: chat_id.into(),
            body: PinMessageBody::new(message_id),
        }
    }

    /// Whether members get a notification (default `true`).
    #[must_use]
    pub fn notify(mut self, notify: bool) -> Self {
        self.body.notify = Some(notify);
        self
    }
}

impl Endpoint for PinMessage {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("message_id", &self.body.message_id)?;
        RequestBuilder::new(config, Method::PUT, path(self.chat_id, "/pin"))
            .json(&self.body)?
            .build()
    }

    simple_output!();
}

super::chat_endpoint! {
    /// `DELETE /chats/{chatId}/pin` — unpins the pinned message. The bot must be an admin with `pin_message`.
    UnpinMessage => DELETE "/pin", (), simple_output
}
