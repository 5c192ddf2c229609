//! Comments on channel posts (added August 2026).
//!
//! Comments must be enabled in the channel; the bot must be a channel admin with `read_all_messages` to read,
//! `write` to post, `edit` to edit (its own comments and the channel's) and `delete` to delete. Comments carry
//! no attachments, can only reply (not forward), and do not render mentions or links.

use botwire_core_types::limits::MAX_MESSAGES_PAGE;
use botwire_core_types::max::{
    CommentMessage, CommentMessageList, NewCommentBody, SendCommentResult,
};
use botwire_transport::{HttpRequest, url::path_segment};
use http::Method;

use super::{check_page, check_time, non_blank};
use crate::endpoint::{RequestBuilder, json_output, parse_json, simple_output};
use crate::{Config, Endpoint, Error};

fn comments_path(post_id: &str) -> String {
    format!("/messages/{}/comments", path_segment(post_id))
}

/// `GET /messages/{messageId}/comments` — comments of a post, newest first, or given comments by id (then the
/// page parameters are ignored by the server).
///
/// `before`/`after` are Unix ms ≥ 0 and `count` is 1–100 (server default 50) — checked before sending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetComments {
    /// The post's `mid`.
    pub post_id: String,
    /// Comments to fetch by id.
    pub comment_ids: Vec<String>,
    /// Only comments before this time, Unix ms.
    pub before: Option<i64>,
    /// Only comments after this time, Unix ms.
    pub after: Option<i64>,
    /// How many, 1–100.
    pub count: Option<u32>,
}

impl GetComments {
    /// The newest comments of the post `post_id`.
    pub fn new(post_id: impl Into<String>) -> Self {
        Self {
            post_id: post_id.into(),
            ..Self::default()
        }
    }

    /// How many (1–100).
    #[must_use]
    pub fn count(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }
}

impl Endpoint for GetComments {
    type Output = CommentMessageList;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("post_id", &self.post_id)?;
        for (i, id) in self.comment_ids.iter().enumerate() {
            non_blank(&format!("comment_ids[{i}]"), id)?;
        }
        check_time("before", self.before)?;
        check_time("after", self.after)?;
        check_page("count", self.count, MAX_MESSAGES_PAGE)?;
        RequestBuilder::new(config, Method::GET, comments_path(&self.post_id))
            .query_list("comment_ids", &self.comment_ids)
            .query_opt("before", self.before)
            .query_opt("after", self.after)
            .query_opt("count", self.count)
            .build()
    }

    json_output!();
}

/// `POST /messages/{messageId}/comments` — comments on a channel post. Answers the posted comment.
///
/// Text ≤ 4000 characters and a link only of type `reply` — checked before sending. Not marked safe to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendComment {
    /// The post's `mid`.
    pub post_id: String,
    /// The comment.
    pub body: NewCommentBody,
    /// `true` suppresses link previews (server default `false`).
    pub disable_link_preview: Option<bool>,
}

impl SendComment {
    /// Posts `body` under `post_id`.
    pub fn new(post_id: impl Into<String>, body: NewCommentBody) -> Self {
        Self {
            post_id: post_id.into(),
            body,
            disable_link_preview: None,
        }
    }
}

impl Endpoint for SendComment {
    type Output = CommentMessage;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("post_id", &self.post_id)?;
        self.body.validate()?;
        RequestBuilder::new(config, Method::POST, comments_path(&self.post_id))
            .query_opt("disable_link_preview", self.disable_link_preview)
            .idempotent(false)
            .json(&self.body)?
            .build()
    }

    fn parse(&self, response: botwire_transport::HttpResponse) -> Result<Self::Output, Error> {
        Ok(parse_json::<SendCommentResult>(response)?.message)
    }
}

/// `PUT /messages/{messageId}/comments?comment_id=…` — edits a comment (the bot's own or the channel's; needs
/// `edit`). Same body limits as [`SendComment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditComment {
    /// The post's `mid`.
    pub post_id: String,
    /// The comment's `mid`.
    pub comment_id: String,
    /// The new content.
    pub body: NewCommentBody,
}

impl EditComment {
    /// Replaces the content of `comment_id` under `post_id`.
    pub fn new(
        post_id: impl Into<String>,
        comment_id: impl Into<String>,
        body: NewCommentBody,
    ) -> Self {
        Self {
            post_id: post_id.into(),
            comment_id: comment_id.into(),
            body,
        }
    }
}

impl Endpoint for EditComment {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("post_id", &self.post_id)?;
        non_blank("comment_id", &self.comment_id)?;
        self.body.validate()?;
        RequestBuilder::new(config, Method::PUT, comments_path(&self.post_id))
            .query("comment_id", &self.comment_id)
            .json(&self.body)?
            .build()
    }

    simple_output!();
}

/// `DELETE /messages/{messageId}/comments?comment_id=…` — deletes anyone's comment (needs `delete`); it cannot
/// be restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteComment {
    /// The post's `mid`.
    pub post_id: String,
    /// The comment's `mid`.
    pub comment_id: String,
}

impl DeleteComment {
    /// Deletes `comment_id` under `post_id`.
    pub fn new(post_id: impl Into<String>, comment_id: impl Into<String>) -> Self {
        Self {
            post_id: post_id.into(),
            comment_id: comment_id.into(),
        }
    }
}

impl Endpoint for DeleteComment {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("post_id", &self.post_id)?;
        non_blank("comment_id", &self.comment_id)?;
        RequestBuilder::new(config, Method::DELETE, comments_path(&self.post_id))
            .query("comment_id", &self.comment_id)
            .build()
    }

    simple_output!();
}

/// `GET /messages/{messageId}/comments/{commentId}` — one comment; `404` when it or the post is missing or not
/// visible to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetCommentById {
    /// The post's `mid`.
    pub post_id: String,
    /// The comment's `mid`.
    pub comment_id: String,
}

impl GetCommentById {
    /// The comment `comment_id` under `post_id`.
    pub fn new(post_id: impl Into<String>, comment_id: impl Into<String>) -> Self {
        Self {
            post_id: post_id.into(),
            comment_id: comment_id.into(),
        }
    }
}

impl Endpoint for GetCommentById {
    type Output = CommentMessage;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("post_id", &self.post_id)?;
        non_blank("comment_id", &self.comment_id)?;
        let path = format!(
            "{}/{}",
            comments_path(&self.post_id),
            path_segment(&self.comment_id)
        );
        RequestBuilder::new(config, Method::GET, path).build()
    }

    json_output!();
}
