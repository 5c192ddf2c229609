//! Messages and comments, as received and as sent.

use serde::{Deserialize, Serialize};

use super::{
    Attachment, AttachmentRequest, ChatId, ChatType, MarkupElement, MessageLinkType, TextFormat,
    User, UserId,
};

/// Who a message was sent to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Recipient {
    /// The dialog, chat or channel. Observed missing on callbacks from private dialogs: fall back to `user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<ChatId>,
    /// Dialog, chat or channel.
    pub chat_type: ChatType,
    /// Dialogs only: the user the message was addressed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Comments only: the `mid` of the commented channel post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<String>,
}

/// The content of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MessageBody {
    /// Message id (`mid.…`).
    pub mid: String,
    /// Sequence number; exceeds 2^53, kept exact.
    pub seq: i64,
    /// Text, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Attachments, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
    /// Formatting spans of `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markup: Option<Vec<MarkupElement>>,
}

/// A forwarded or replied-to message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LinkedMessage {
    /// Forward or reply.
    #[serde(rename = "type")]
    pub kind: MessageLinkType,
    /// The original sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<User>,
    /// The original chat (forwards only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<ChatId>,
    /// The original content.
    pub message: MessageBody,
}

/// Statistics of a channel post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MessageStat {
    /// Views.
    pub views: i64,
}

/// A message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// The author; `None` for posts made on behalf of a channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<User>,
    /// Where it was sent.
    pub recipient: Recipient,
    /// When, Unix ms.
    pub timestamp: i64,
    /// The forwarded or replied-to message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkedMessage>,
    /// The content. Required by the schema, but documented as `null` for pure forwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<MessageBody>,
    /// Views of a channel post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat: Option<MessageStat>,
    /// Public link of a channel post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Message {
    /// The text, if any.
    pub fn text(&self) -> Option<&str> {
        self.body.as_ref()?.text.as_deref()
    }

    /// The message id, if the body is present.
    pub fn mid(&self) -> Option<&str> {
        self.body.as_ref().map(|b| b.mid.as_str())
    }

    /// The chat to answer in: the recipient's `chat_id`.
    pub fn chat_id(&self) -> Option<ChatId> {
        self.recipient.chat_id
    }

    /// The attachments (empty when none).
    pub fn attachments(&self) -> &[Attachment] {
        self.body
            .as_ref()
            .and_then(|b| b.attachments.as_deref())
            .unwrap_or_default()
    }
}

/// `GET /messages`: `{"messages": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MessageList {
    /// Newest first.
    #[serde(default)]
    pub messages: Vec<Message>,
}

/// `POST /messages`: `{"message": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SendMessageResult {
    /// The message as sent.
    pub message: Message,
}

/// `GET /chats/{id}/pin`: `{"message": … | null}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetPinnedMessageResult {
    /// The pinned message, if any.
    #[serde(default)]
    pub message: Option<Message>,
}

/// The reply or forward reference of a sent message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewMessageLink {
    /// Reply or forward.
    #[serde(rename = "type")]
    pub kind: MessageLinkType,
    /// The referenced message id.
    pub mid: String,
}

impl NewMessageLink {
    /// A reply to `mid`.
    pub fn reply(mid: impl Into<String>) -> Self {
        Self {
            kind: MessageLinkType::Reply,
            mid: mid.into(),
        }
    }

    /// A forward of `mid`.
    pub fn forward(mid: impl Into<String>) -> Self {
        Self {
            kind: MessageLinkType::Forward,
            mid: mid.into(),
        }
    }
}

/// A message to send or the new content of an edited one (`NewMessageBody`).
///
/// Limits are checked by [`NewMessageBody::validate`] (text ≤ 4000 characters, keyboards 210/30/7/3, button
/// texts and payloads); the endpoints call it before sending.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewMessageBody {
    /// Text, ≤ 4000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Attachments. On edit: `None` keeps the current ones, `Some(vec![])` removes them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<AttachmentRequest>>,
    /// Reply or forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<NewMessageLink>,
    /// `Some(false)` sends without a push notification (rejected in channels). Default `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
    /// Markdown or HTML; `None` = plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
}

impl NewMessageBody {
    /// A plain text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }
}

/// A comment to post or the new content of an edited one. No attachments; `link` may only be a reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewCommentBody {
    /// Text, ≤ 4000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A reply to another comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<NewMessageLink>,
    /// Markdown or HTML (mentions and links are not supported in comments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
}

impl NewCommentBody {
    /// A plain text comment.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }
}

/// The content of a comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommentMessageBody {
    /// Comment id.
    pub mid: String,
    /// Sequence number.
    pub seq: i64,
    /// Text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Formatting spans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markup: Option<Vec<MarkupElement>>,
}

/// The comment a comment replies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommentLinkedMessage {
    /// Always `reply` for comments.
    #[serde(rename = "type")]
    pub kind: MessageLinkType,
    /// Its author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<User>,
    /// Its chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<ChatId>,
    /// Its content.
    pub message: CommentMessageBody,
}

/// A comment on a channel post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommentMessage {
    /// The author; `None` when posted as the channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<User>,
    /// The channel, with `post_id` set.
    pub recipient: Recipient,
    /// When, Unix ms.
    pub timestamp: i64,
    /// The comment it replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<CommentLinkedMessage>,
    /// The content.
    pub body: CommentMessageBody,
    /// Statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat: Option<MessageStat>,
}

/// `GET /messages/{id}/comments`: `{"messages": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommentMessageList {
    /// Newest first.
    #[serde(default)]
    pub messages: Vec<CommentMessage>,
}

/// `POST /messages/{id}/comments`: `{"message": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SendCommentResult {
    /// The comment as posted.
    pub message: CommentMessage,
}

/// A button press (`message_callback.callback`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Callback {
    /// When, Unix ms.
    pub timestamp: i64,
    /// Pass to `POST /answers`.
    pub callback_id: String,
    /// The button's payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// Who pressed.
    pub user: User,
}

/// The answer to a button press: a replacement for the keyboard's message, a one-time notification, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallbackAnswer {
    /// Replaces the message that carried the keyboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<NewMessageBody>,
    /// A one-time notification shown to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
}

impl CallbackAnswer {
    /// A notification only.
    pub fn notification(text: impl Into<String>) -> Self {
        Self {
            message: None,
            notification: Some(text.into()),
        }
    }

    /// A replacement message only.
    pub fn message(body: NewMessageBody) -> Self {
        Self {
            message: Some(body),
            notification: None,
        }
    }
}

/// `{"success": bool, "message": …}` — the answer of most write operations. `success: false` is turned into an
/// error by the client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SimpleQueryResult {
    /// Whether the operation succeeded.
    pub success: bool,
    /// The explanation when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl SimpleQueryResult {
    /// `{"success": true}`.
    pub fn ok() -> Self {
        Self {
            success: true,
            message: None,
        }
    }
}
