//! Members and administrators of group chats and channels, and the bot's own membership.

use botwire_core_types::ValidationError;
use botwire_core_types::limits::MAX_MEMBERS_PAGE;
use botwire_core_types::max::{
    ChatAdminsList, ChatId, ChatMember, ChatMembersList, ModifyMembersResult, UserId, UserIdsList,
};
use botwire_transport::HttpRequest;
use http::Method;

use super::chats::path;
use super::check_page;
use crate::endpoint::{RequestBuilder, json_output, parse_json, simple_output};
use crate::{Config, Endpoint, Error};

super::chat_endpoint! {
    /// `GET /chats/{chatId}/members/me` — the bot's own membership, including its admin rights.
    GetMembership => GET "/members/me", ChatMember, json_output
}

super::chat_endpoint! {
    /// `DELETE /chats/{chatId}/members/me` — the bot leaves the group chat or channel.
    LeaveChat => DELETE "/members/me", (), simple_output
}

super::chat_endpoint! {
    /// `GET /chats/{chatId}/members/admins` — the admins with their rights. The bot must be an admin.
    GetAdmins => GET "/members/admins", ChatMembersList, json_output
}

/// `POST /chats/{chatId}/members/admins` (`postAdmins`) — appoints admins, or replaces the rights of existing
/// ones.
///
/// The bot needs `add_admins`; the users must be members; at most 50 admins per chat; `edit`, `delete`, `write`
/// and `pin_message` only together with `read_all_messages` — checked before sending. Granting the same rights
/// again changes nothing, so the request is marked safe to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddAdmins {
    /// The chat.
    pub chat_id: ChatId,
    /// The admins and their rights.
    pub admins: ChatAdminsList,
}

impl AddAdmins {
    /// Appoints `admins` in `chat_id`.
    pub fn new(chat_id: impl Into<ChatId>, admins: ChatAdminsList) -> Self {
        Self {
            chat_id: chat_id.into(),
            admins,
        }
    }
}

impl Endpoint for AddAdmins {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        self.admins.validate()?;
        RequestBuilder::new(config, Method::POST, path(self.chat_id, "/members/admins"))
            .idempotent(true)
            .json(&self.admins)?
            .build()
    }

    simple_output!();
}

/// `DELETE /chats/{chatId}/members/admins/{userId}` (`deleteAdmins`) — revokes a user's admin rights; they
/// stay a member. The bot needs `add_admins`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoveAdmin {
    /// The chat.
    pub chat_id: ChatId,
    /// The admin to demote.
    pub user_id: UserId,
}

impl RemoveAdmin {
    /// Demotes `user_id` in `chat_id`.
    pub fn new(chat_id: impl Into<ChatId>, user_id: impl Into<UserId>) -> Self {
        Self {
            chat_id: chat_id.into(),
            user_id: user_id.into(),
        }
    }
}

impl Endpoint for RemoveAdmin {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let rest = format!("/members/admins/{}", self.user_id);
        RequestBuilder::new(config, Method::DELETE, path(self.chat_id, &rest)).build()
    }

    simple_output!();
}

/// Which members [`GetMembers`] asks for: given users, or a page. The API ignores the page when ids are given,
/// so the two cannot be combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembersQuery {
    /// These users only (at least one id).
    Users(Vec<UserId>),
    /// A page of members.
    Page {
        /// The cursor from the previous page's `marker`; `None` for the first page.
        marker: Option<i64>,
        /// Members per page, 1–100 (server default 20).
        count: Option<u32>,
    },
}

/// `GET /chats/{chatId}/members` — members page by page (follow `marker` until it is `None`), or the
/// membership of given users. The bot must be an admin. `count` is 1–100 and a user list must not be empty;
/// both are checked before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetMembers {
    /// The chat.
    pub chat_id: ChatId,
    /// Users or a page.
    pub query: MembersQuery,
}

impl GetMembers {
    /// The first page of `chat_id`'s members with the server's default size.
    pub fn new(chat_id: impl Into<ChatId>) -> Self {
        Self::page(chat_id, None, None)
    }

    /// A page: after `marker`, `count` members.
    pub fn page(chat_id: impl Into<ChatId>, marker: Option<i64>, count: Option<u32>) -> Self {
        Self {
            chat_id: chat_id.into(),
            query: MembersQuery::Page { marker, count },
        }
    }

    /// The membership of these users only.
    pub fn users(
        chat_id: impl Into<ChatId>,
        user_ids: impl IntoIterator<Item = impl Into<UserId>>,
    ) -> Self {
        Self {
            chat_id: chat_id.into(),
            query: MembersQuery::Users(user_ids.into_iter().map(Into::into).collect()),
        }
    }
}

impl Endpoint for GetMembers {
    type Output = ChatMembersList;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let builder = RequestBuilder::new(config, Method::GET, path(self.chat_id, "/members"));
        let builder = match &self.query {
            MembersQuery::Users(ids) => {
                ValidationError::check_count("user_ids", ids.len(), 1, usize::MAX)?;
                builder.query_list("user_ids", ids)
            }
            MembersQuery::Page { marker, count } => {
                check_page("count", *count, MAX_MEMBERS_PAGE)?;
                builder
                    .query_opt("marker", *marker)
                    .query_opt("count", *count)
            }
        };
        builder.build()
    }

    json_output!();
}

/// `POST /chats/{chatId}/members` — adds up to 100 users to a group chat (not a channel). The bot needs
/// `add_remove_members`.
///
/// Answers which users could not be added and why (`add.participant.privacy`, `add.participant.not.found`);
/// `success: false` is an [`Error::Unsuccessful`]. Restricted by the platform since 2026-09-09 in an
/// unpublished way. Adding a member twice changes nothing, so the request is marked safe to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddMembers {
    /// The chat.
    pub chat_id: ChatId,
    /// 1–100 users.
    pub users: UserIdsList,
}

impl AddMembers {
    /// Adds `user_ids` to `chat_id`.
    pub fn new(
        chat_id: impl Into<ChatId>,
        user_ids: impl IntoIterator<Item = impl Into<UserId>>,
    ) -> Self {
        Self {
            chat_id: chat_id.into(),
            users: UserIdsList::new(user_ids),
        }
    }
}

impl Endpoint for AddMembers {
    type Output = ModifyMembersResult;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        self.users.validate()?;
        RequestBuilder::new(config, Method::POST, path(self.chat_id, "/members"))
            .idempotent(true)
            .json(&self.users)?
            .build()
    }

    fn parse(&self, response: botwire_transport::HttpResponse) -> Result<Self::Output, Error> {
        let result: ModifyMembersResult = parse_json(response)?;
        if result.success {
            Ok(result)
        } else {
            Err(Error::Unsuccessful {
                message: result.message,
            })
        }
    }
}

/// `DELETE /chats/{chatId}/members` — removes a member, and with `block` also bans them (effective only for
/// chats with a link). The bot needs `add_remove_members`. Both are query parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoveMember {
    /// The chat.
    pub chat_id: ChatId,
    /// The member.
    pub user_id: UserId,
    /// Also block them (server default `false`).
    pub block: Option<bool>,
}

impl RemoveMember {
    /// Removes `user_id` from `chat_id`.
    pub fn new(chat_id: impl Into<ChatId>, user_id: impl Into<UserId>) -> Self {
        Self {
            chat_id: chat_id.into(),
            user_id: user_id.into(),
            block: None,
        }
    }

    /// Also blocks the user.
    #[must_use]
    pub fn block(mut self, block: bool) -> Self {
        self.block = Some(block);
        self
    }
}

impl Endpoint for RemoveMember {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        RequestBuilder::new(config, Method::DELETE, path(self.chat_id, "/members"))
            .query("user_id", self.user_id)
            .query_opt("block", self.block)
            .build()
    }

    simple_output!();
}
