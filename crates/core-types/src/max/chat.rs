//! Chats, members and administrators.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::attachment::{Image, PhotoRequestPayload};
use super::user::user_like;
use super::{
    ChatAdminPermission, ChatId, ChatStatus, ChatType, Message, SenderAction, User, UserId,
};

/// A dialog, group chat or channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Chat {
    /// Negative for chats and channels, positive for dialogs.
    pub chat_id: ChatId,
    /// Dialog, chat or channel.
    #[serde(rename = "type")]
    pub kind: ChatType,
    /// The bot's status in it.
    pub status: ChatStatus,
    /// Title (`None` for dialogs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Image>,
    /// Last event, Unix ms.
    pub last_event_time: i64,
    /// Members (2 for dialogs).
    pub participants_count: i64,
    /// Owner (visible to admins only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<UserId>,
    /// User id (as a string key) → last activity, Unix ms (admins only, single chat requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participants: Option<BTreeMap<String, i64>>,
    /// Whether the chat is public.
    pub is_public: bool,
    /// Invite link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The other side of a dialog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialog_with_user: Option<User>,
    /// Messages in a chat or channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_count: Option<i64>,
    /// The pinned message (single chat requests only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_message: Option<Box<Message>>,
    /// Legacy (0.0.30): the message that created the chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_message_id: Option<String>,
}

user_like! {
    /// A member of a chat: the user plus membership details.
    pub struct ChatMember {
        /// Last activity in this chat, Unix ms.
        pub last_access_time: i64,
        /// Whether the member owns the chat.
        pub is_owner: bool,
        /// Whether the member is an admin.
        pub is_admin: bool,
        /// When they joined, Unix ms.
        pub join_time: i64,
        /// Admin rights (admins only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub permissions: Option<Vec<ChatAdminPermission>>,
        /// Admin role label.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub alias: Option<String>,
    }
}

/// A page of members: `{"members": [...], "marker": …}`; no marker means the last page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatMembersList {
    /// The members.
    #[serde(default)]
    pub members: Vec<ChatMember>,
    /// Cursor of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<i64>,
}

/// An admin to appoint: user, rights, optional role label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatAdmin {
    /// The user.
    pub user_id: UserId,
    /// The rights (unique). `edit`, `delete`, `write` and `pin_message` need `read_all_messages` too.
    pub permissions: Vec<ChatAdminPermission>,
    /// Role label shown next to the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

impl ChatAdmin {
    /// An admin with these rights.
    pub fn new(user_id: impl Into<UserId>, permissions: Vec<ChatAdminPermission>) -> Self {
        Self {
            user_id: user_id.into(),
            permissions,
            alias: None,
        }
    }
}

/// `POST /chats/{id}/members/admins` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatAdminsList {
    /// The admins to appoint (replaces each one's rights).
    pub admins: Vec<ChatAdmin>,
}

impl ChatAdminsList {
    /// A list of admins to appoint (checked by [`ChatAdminsList::validate`] before sending).
    pub fn new(admins: Vec<ChatAdmin>) -> Self {
        Self { admins }
    }
}

/// `POST /chats/{id}/members` body: at most 100 ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserIdsList {
    /// The users.
    pub user_ids: Vec<UserId>,
}

impl UserIdsList {
    /// A list of these users (checked by [`UserIdsList::validate`] before sending).
    pub fn new(user_ids: impl IntoIterator<Item = impl Into<UserId>>) -> Self {
        Self {
            user_ids: user_ids.into_iter().map(Into::into).collect(),
        }
    }
}

/// Users that could not be added, grouped by reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FailedUserDetails {
    /// `add.participant.privacy`, `add.participant.not.found`, …
    pub error_code: String,
    /// The users.
    #[serde(default)]
    pub user_ids: Vec<UserId>,
}

/// `POST /chats/{id}/members` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModifyMembersResult {
    /// Whether the call succeeded.
    pub success: bool,
    /// Explanation when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Users that were not added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_user_ids: Option<Vec<UserId>>,
    /// Why they were not added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_user_details: Option<Vec<FailedUserDetails>>,
}

/// `PATCH /chats/{id}` body; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatPatch {
    /// New icon: URL, token or photos map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<PhotoRequestPayload>,
    /// New title, 1–200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New description, ≤ 16000 characters; `""` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A message id to pin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// Post a system message about the change (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
}

/// `PUT /chats/{id}/pin` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PinMessageBody {
    /// The message to pin (`body.mid`).
    pub message_id: String,
    /// Notify members (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
}

impl PinMessageBody {
    /// Pins `message_id` with the default notification.
    pub fn new(message_id: impl Into<String>) -> Self {
        Self {
            message_id: message_id.into(),
            notify: None,
        }
    }
}

/// `POST /chats/{id}/actions` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActionRequestBody {
    /// The indicator to show.
    pub action: SenderAction,
}

impl ActionRequestBody {
    /// A body for `action`.
    pub fn new(action: SenderAction) -> Self {
        Self { action }
    }
}
