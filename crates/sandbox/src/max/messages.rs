//! `/messages`, `/messages/{messageId}`, `/videos/{token}`, `/answers`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use botwire_core_types::limits::MAX_MESSAGES_PAGE;
use botwire_core_types::max::{
    CallbackAnswer, ChatAdminPermission, ChatId, ChatStatus, ChatType, Message, NewMessageBody,
    UserId,
};
use serde_json::json;

use super::world::{MaxWorld, Need};
use super::{Handled, Query, Shared, WorldError, decode, enforce, reply, right, success};

/// Newest first, within the time bounds, at most `count`.
fn page<'a>(
    messages: impl DoubleEndedIterator<Item = &'a Message>,
    query: &Query,
    count: usize,
) -> Result<Vec<Message>, WorldError> {
    let before = query.int("before")?;
    let after = query.int("after")?;
    // Deprecated: `from` is the newer bound, `to` the older one.
    let from = query.int("from")?;
    let to = query.int("to")?;
    for (name, v) in [("before", before), ("after", after)] {
        if v.is_some_and(|v| v < 0) {
            return Err(WorldError::bad_request(format!("{name}: must be >= 0")));
        }
    }
    Ok(messages
        .rev()
        .filter(|m| before.is_none_or(|b| m.timestamp < b))
        .filter(|m| after.is_none_or(|a| m.timestamp > a))
        .filter(|m| from.is_none_or(|f| m.timestamp <= f))
        .filter(|m| to.is_none_or(|t| m.timestamp >= t))
        .take(count)
        .cloned()
        .collect())
}

pub(super) async fn list(State(shared): State<Arc<Shared>>, uri: Uri) -> Handled {
    let query = Query::of(&uri);
    let count = query.count(50, i64::from(MAX_MESSAGES_PAGE))?;
    let world = shared.world();
    let ids = query.list("message_ids");
    let messages = match query.int("chat_id")? {
        Some(raw) => {
            let chat = ChatId(raw);
            world.require(chat, right(ChatAdminPermission::ReadAllMessages))?;
            let all = world.messages(chat).iter().map(|s| &s.message);
            let picked: Vec<&Message> = all
                .filter(|m| {
                    ids.is_empty() || m.mid().is_some_and(|mid| ids.iter().any(|i| i == mid))
                })
                .collect();
            page(picked.into_iter(), &query, count)?
        }
        None if !ids.is_empty() => {
            let mut visible: Vec<&Message> = ids
                .iter()
                .filter_map(|mid| world.message(mid))
                .filter(|s| {
                    s.message
                        .chat_id()
                        .is_some_and(|c| world.require(c, Need::Member).is_ok())
                })
                .map(|s| &s.message)
                .collect();
            visible.sort_by_key(|m| m.timestamp);
            page(visible.into_iter(), &query, count)?
        }
        None => {
            return Err(WorldError::bad_request(
                "Either chat_id or message_ids is required",
            ));
        }
    };
    reply(json!({ "messages": messages }))
}

/// Refuses keyboards with the legacy `chat` button (TamTam's "create a chat"): the platform no longer knows the
/// type and answers `400 Can't deserialize body`.
fn no_legacy_buttons(bytes: &[u8]) -> Result<(), WorldError> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    let bodies = [&v, &v["message"]];
    let legacy = bodies.iter().any(|body| {
        body["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["type"] == "inline_keyboard")
            .flat_map(|a| a["payload"]["buttons"].as_array().into_iter().flatten())
            .flat_map(|row| row.as_array().into_iter().flatten())
            .any(|b| b["type"] == "chat")
    });
    if legacy {
        return Err(WorldError::bad_request("Can't deserialize body"));
    }
    Ok(())
}

/// A `NewMessageBody` as the platform reads it: legacy buttons refused, `markdown`/`html` texts parsed into
/// `markup` later by the world.
fn decode_message(bytes: &[u8]) -> Result<NewMessageBody, WorldError> {
    no_legacy_buttons(bytes)?;
    decode(bytes)
}

/// Where a bot's message goes: the chat, after checking the bot may write there.
fn target_chat(
    world: &mut MaxWorld,
    query: &Query,
    body: &NewMessageBody,
) -> Result<ChatId, WorldError> {
    let chat = match (query.int("chat_id")?, query.int("user_id")?) {
        (Some(c), None) => ChatId(c),
        (None, Some(u)) => {
            let user = UserId(u);
            if world.user(user).is_none() {
                return Err(WorldError::not_found(format!("User {user} not found")));
            }
            world.add_dialog(user)?
        }
        (Some(_), Some(_)) => {
            return Err(WorldError::bad_request(
                "Only one of chat_id and user_id may be given",
            ));
        }
        (None, None) => {
            return Err(WorldError::bad_request("chat_id or user_id is required"));
        }
    };
    let state = world.require(chat, Need::Member)?;
    match state.kind {
        ChatType::Dialog if state.status == ChatStatus::Suspended => {
            return Err(WorldError::denied("The user stopped the bot"));
        }
        ChatType::Channel => {
            world.require(chat, right(ChatAdminPermission::Write))?;
            if body.notify == Some(false) {
                return Err(WorldError::bad_request(
                    "notify: cannot be false for channel posts",
                ));
            }
        }
        _ => {}
    }
    Ok(chat)
}

pub(super) async fn send(State(shared): State<Arc<Shared>>, uri: Uri, body: Bytes) -> Handled {
    let query = Query::of(&uri);
    query.flag("disable_link_preview")?;
    let body: NewMessageBody = decode_message(&body)?;
    enforce(body.validate())?;
    let mut world = shared.world();
    let chat = target_chat(&mut world, &query, &body)?;
    world.send_attempt(&body)?;
    let bot = world.bot_id();
    let message = world.post_message(chat, bot, &body)?;
    reply(json!({ "message": message }))
}

pub(super) async fn edit(State(shared): State<Arc<Shared>>, uri: Uri, body: Bytes) -> Handled {
    let query = Query::of(&uri);
    let mid = query.required("message_id")?.to_owned();
    let body: NewMessageBody = decode_message(&body)?;
    enforce(body.validate())?;
    let mut world = shared.world();
    let stored = world
        .message(&mid)
        .ok_or_else(|| WorldError::not_found(format!("Message {mid} not found")))?;
    let (chat, author) = (stored.message.chat_id(), stored.author);
    if let Some(chat) = chat {
        world.require(chat, Need::Member)?;
    }
    if author != world.bot_id() {
        return Err(WorldError::denied("The bot can edit only its own messages"));
    }
    world.edit_message(&mid, &body)?;
    success()
}

pub(super) async fn delete(State(shared): State<Arc<Shared>>, uri: Uri) -> Handled {
    let query = Query::of(&uri);
    let mid = query.required("message_id")?.to_owned();
    let mut world = shared.world();
    let stored = world
        .message(&mid)
        .ok_or_else(|| WorldError::not_found(format!("Message {mid} not found")))?;
    let (chat, author) = (stored.message.chat_id().unwrap_or(ChatId(0)), stored.author);
    let state = world.require(chat, Need::Member)?;
    if author != world.bot_id() {
        match state.kind {
            ChatType::Dialog => {
                return Err(WorldError::denied(
                    "The bot can delete only its own messages in a dialog",
                ));
            }
            ChatType::Channel => world.require(chat, right(ChatAdminPermission::Delete))?,
            _ => world.require(chat, right(ChatAdminPermission::Write))?,
        };
    }
    world.delete_message(&mid)?;
    success()
}

pub(super) async fn get_by_id(
    State(shared): State<Arc<Shared>>,
    Path(mid): Path<String>,
) -> Handled {
    let world = shared.world();
    let missing = || WorldError::not_found(format!("Message {mid} not found"));
    let stored = world.message(&mid).ok_or_else(missing)?;
    let chat = stored.message.chat_id().ok_or_else(missing)?;
    world.require(chat, Need::Member).map_err(|_| missing())?;
    reply(&stored.message)
}

pub(super) async fn get_video(
    State(shared): State<Arc<Shared>>,
    Path(token): Path<String>,
) -> Handled {
    let world = shared.world();
    let video = world
        .video(&token)
        .ok_or_else(|| WorldError::not_found(format!("Video {token} not found")))?;
    reply(video)
}

pub(super) async fn answer(State(shared): State<Arc<Shared>>, uri: Uri, body: Bytes) -> Handled {
    let query = Query::of(&uri);
    let callback_id = query.required("callback_id")?.to_owned();
    query.flag("disable_link_preview")?;
    no_legacy_buttons(&body)?;
    let answer: CallbackAnswer = decode(&body)?;
    enforce(answer.validate())?;
    shared.world().answer_callback(&callback_id, &answer)?;
    success()
}
