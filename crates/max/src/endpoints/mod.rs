//! One type per API operation. Build one, then pass it to [`Client::send`](crate::Client::send) or
//! [`blocking::Client::send`](crate::blocking::Client::send) — or call the matching convenience method.
//!
//! Operations that answer `SimpleQueryResult` return `()`; their `{"success": false, "message": …}` answer is an
//! [`Error::Unsuccessful`](crate::Error::Unsuccessful). Every documented limit is checked in
//! [`Endpoint::request`](crate::Endpoint::request), so a violation is an
//! [`Error::Validation`](crate::Error::Validation) and nothing is sent.
//!
//! # Removed operations
//!
//! These existed in older schemas and are not offered, because the platform no longer serves them:
//!
//! | removed | use instead |
//! |---|---|
//! | `GET /chats` (list the bot's chats; removed June 2026) | subscribe to updates and store every `chat_id` you see (`bot_added`, `bot_started`, `message_created`; drop it on `bot_removed`), then [`GetChat`] |
//! | `GET /chats/{chatLink}` (chat by public link; removed July 2026) | [`GetChat`] with a stored `chat_id` |
//! | `DELETE /chats/{chatId}` (delete a chat; dropped June 2026) | none for bots; [`LeaveChat`] leaves it |
//! | `PATCH /me` (edit the bot's name, description, photo, commands) | [`EditMyCommands`] (`PATCH /me/commands`) for commands; the rest is set on the partner platform |

/// Defines an operation addressed by a chat id alone: the struct, its `new`, and the `Endpoint` impl that
/// sends no body and parses with `$parse!()` (`json_output` or `simple_output`).
macro_rules! chat_endpoint {
    ($(#[$doc:meta])* $name:ident => $method:ident $rest:literal, $out:ty, $parse:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name {
            /// The chat.
            pub chat_id: botwire_core_types::max::ChatId,
        }

        impl $name {
            /// The operation for `chat_id`.
            pub fn new(chat_id: impl Into<botwire_core_types::max::ChatId>) -> Self {
                Self {
                    chat_id: chat_id.into(),
                }
            }
        }

        impl $crate::Endpoint for $name {
            type Output = $out;

            fn request(
                &self,
                config: &$crate::Config,
            ) -> Result<botwire_transport::HttpRequest, $crate::Error> {
                $crate::endpoint::RequestBuilder::new(
                    config,
                    http::Method::$method,
                    $crate::endpoints::chats::path(self.chat_id, $rest),
                )
                .build()
            }

            $crate::endpoint::$parse!();
        }
    };
}
use chat_endpoint;

mod bot;
mod callbacks;
pub(crate) mod chats;
mod comments;
mod members;
mod messages;
mod subscriptions;
mod updates;
mod upload;
mod videos;

pub use bot::{EditMyCommands, GetMe};
pub use callbacks::AnswerCallback;
pub use chats::{EditChat, GetChat, GetPinnedMessage, PinMessage, SendAction, UnpinMessage};
pub use comments::{DeleteComment, EditComment, GetCommentById, GetComments, SendComment};
pub use members::{
    AddAdmins, AddMembers, GetAdmins, GetMembers, GetMembership, LeaveChat, MembersQuery,
    RemoveAdmin, RemoveMember,
};
pub use messages::{
    DeleteMessage, EditMessage, GetMessageById, GetMessages, MessageTarget, SendMessage,
};
pub use subscriptions::{GetSubscriptions, Subscribe, Unsubscribe};
pub use updates::GetUpdates;
pub use upload::GetUploadUrl;
pub use videos::GetVideo;

use botwire_core_types::ValidationError;

/// Ids and URLs that the API requires to be non-blank.
pub(crate) fn non_blank(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::new(
            field,
            "a non-blank value",
            format!("{value:?}"),
        ));
    }
    Ok(())
}

/// A page size in `1..=max`.
pub(crate) fn check_page(field: &str, count: Option<u32>, max: u32) -> Result<(), ValidationError> {
    match count {
        Some(c) => ValidationError::check_range(field, i64::from(c), 1, i64::from(max)),
        None => Ok(()),
    }
}

/// A timestamp bound (Unix ms), at least 0.
pub(crate) fn check_time(field: &str, value: Option<i64>) -> Result<(), ValidationError> {
    match value {
        Some(v) if v < 0 => Err(ValidationError::new(
            field,
            "a Unix time in ms, at least 0",
            v.to_string(),
        )),
        _ => Ok(()),
    }
}
