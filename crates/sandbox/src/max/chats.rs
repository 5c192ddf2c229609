//! `/chats/{chatId}`, `/chats/{chatId}/actions`, `/chats/{chatId}/pin`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use botwire_core_types::max::{
    ActionRequestBody, ChatAdminPermission, ChatPatch, PinMessageBody, SenderAction,
};
use serde_json::json;

use super::world::Need;
use super::{ChatPath, Handled, Shared, WorldError, decode, enforce, reply, right, success};

pub(super) async fn get_chat(State(shared): State<Arc<Shared>>, ChatPath(id): ChatPath) -> Handled {
    let world = shared.world();
    world.require(id, Need::Member)?;
    reply(world.chat_view(id, true)?)
}

pub(super) async fn edit_chat(
    State(shared): State<Arc<Shared>>,
    ChatPath(id): ChatPath,
    body: Bytes,
) -> Handled {
    let patch: ChatPatch = decode(&body)?;
    enforce(patch.validate())?;
    let mut world = shared.world();
    if world
        .chat(id)
        .is_some_and(|c| c.kind == botwire_core_types::max::ChatType::Dialog)
    {
        return Err(WorldError::bad_request("Dialogs cannot be edited"));
    }
    world.require(id, right(ChatAdminPermission::ChangeChatInfo))?;
    if patch.pin.is_some() {
        world.require(id, right(ChatAdminPermission::PinMessage))?;
    }
    reply(world.edit_chat(id, &patch)?)
}

pub(super) async fn send_action(
    State(shared): State<Arc<Shared>>,
    ChatPath(id): ChatPath,
    body: Bytes,
) -> Handled {
    let action: ActionRequestBody = decode(&body)?;
    if let SenderAction::Unknown(other) = &action.action {
        return Err(WorldError::bad_request(format!("Unknown action: {other}")));
    }
    shared.world().require(id, Need::Member)?;
    success()
}

pub(super) async fn get_pin(State(shared): State<Arc<Shared>>, ChatPath(id): ChatPath) -> Handled {
    let world = shared.world();
    world.require(id, Need::Admin)?;
    reply(json!({ "message": world.pinned(id) }))
}

pub(super) async fn put_pin(
    State(shared): State<Arc<Shared>>,
    ChatPath(id): ChatPath,
    body: Bytes,
) -> Handled {
    let pin: PinMessageBody = decode(&body)?;
    if pin.message_id.trim().is_empty() {
        return Err(WorldError::bad_request("message_id: must not be blank"));
    }
    let mut world = shared.world();
    world.require(id, right(ChatAdminPermission::PinMessage))?;
    world.pin(id, &pin.message_id)?;
    success()
}

pub(super) async fn delete_pin(
    State(shared): State<Arc<Shared>>,
    ChatPath(id): ChatPath,
) -> Handled {
    let mut world = shared.world();
    world.require(id, right(ChatAdminPermission::PinMessage))?;
    world.unpin(id)?;
    success()
}
