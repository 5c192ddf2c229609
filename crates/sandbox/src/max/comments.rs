//! `/messages/{messageId}/comments` and `/messages/{messageId}/comments/{commentId}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use botwire_core_types::limits::MAX_MESSAGES_PAGE;
use botwire_core_types::max::{ChatAdminPermission, CommentMessage, NewCommentBody};
use serde_json::json;

use super::{Handled, Query, Shared, WorldError, decode, enforce, reply, right, success};

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Path(post): Path<String>,
    uri: Uri,
) -> Handled {
    let query = Query::of(&uri);
    let count = query.count(50, i64::from(MAX_MESSAGES_PAGE))?;
    let before = query.int("before")?;
    let after = query.int("after")?;
    if before.is_some_and(|v| v < 0) || after.is_some_and(|v| v < 0) {
        return Err(WorldError::bad_request("before/after: must be >= 0"));
    }
    let ids = query.list("comment_ids");
    let world = shared.world();
    let channel = world.post_channel(&post)?;
    world.require(channel, right(ChatAdminPermission::ReadAllMessages))?;
    let comments: Vec<&CommentMessage> = world
        .comments(&post)
        .iter()
        .rev()
        .map(|c| &c.comment)
        .filter(|c| ids.is_empty() || ids.contains(&c.body.mid))
        .filter(|c| !ids.is_empty() || before.is_none_or(|b| c.timestamp < b))
        .filter(|c| !ids.is_empty() || after.is_none_or(|a| c.timestamp > a))
        .take(if ids.is_empty() { count } else { usize::MAX })
        .collect();
    reply(json!({ "messages": comments }))
}

pub(super) async fn send(
    State(shared): State<Arc<Shared>>,
    Path(post): Path<String>,
    uri: Uri,
    body: Bytes,
) -> Handled {
    Query::of(&uri).flag("disable_link_preview")?;
    let body: NewCommentBody = decode(&body)?;
    enforce(body.validate())?;
    let mut world = shared.world();
    let channel = world.post_channel(&post)?;
    world.require(channel, right(ChatAdminPermission::Write))?;
    let bot = world.bot_id();
    let comment = world.post_comment(&post, bot, &body)?;
    reply(json!({ "message": comment }))
}

pub(super) async fn edit(
    State(shared): State<Arc<Shared>>,
    Path(post): Path<String>,
    uri: Uri,
    body: Bytes,
) -> Handled {
    let query = Query::of(&uri);
    let comment_id = query.required("comment_id")?.to_owned();
    let body: NewCommentBody = decode(&body)?;
    enforce(body.validate())?;
    let mut world = shared.world();
    let channel = world.post_channel(&post)?;
    world.require(channel, right(ChatAdminPermission::Edit))?;
    let stored = world.comment(&post, &comment_id)?;
    if stored.author != world.bot_id() && stored.comment.sender.is_some() {
        return Err(WorldError::denied(
            "The bot can edit only its own comments and the channel's",
        ));
    }
    world.edit_comment(&post, &comment_id, &body)?;
    success()
}

pub(super) async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(post): Path<String>,
    uri: Uri,
) -> Handled {
    let query = Query::of(&uri);
    let comment_id = query.required("comment_id")?.to_owned();
    let mut world = shared.world();
    let channel = world.post_channel(&post)?;
    world.require(channel, right(ChatAdminPermission::Delete))?;
    world.delete_comment(&post, &comment_id)?;
    success()
}

pub(super) async fn get_by_id(
    State(shared): State<Arc<Shared>>,
    Path((post, comment_id)): Path<(String, String)>,
) -> Handled {
    let world = shared.world();
    let channel = world.post_channel(&post)?;
    world.require(channel, right(ChatAdminPermission::ReadAllMessages))?;
    reply(&world.comment(&post, &comment_id)?.comment)
}
