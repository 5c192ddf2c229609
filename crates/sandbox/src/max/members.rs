//! `/chats/{chatId}/members…`: membership, admins, members.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use botwire_core_types::ValidationError;
use botwire_core_types::limits::{MAX_ADD_MEMBERS, MAX_ADMINS_PER_CHAT, MAX_MEMBERS_PAGE};
use botwire_core_types::max::{ChatAdminPermission, ChatAdminsList, ChatType, UserId, UserIdsList};
use serde_json::json;

use super::world::Need;
use super::{
    ChatPath, Handled, Query, Shared, WorldError, decode, enforce, member_list, reply, right,
    success,
};

fn user_id(raw: &str) -> Result<UserId, WorldError> {
    raw.parse::<i64>()
        .map(UserId)
        .map_err(|_| WorldError::bad_request(format!("Invalid userId: {raw}")))
}

pub(super) async fn get_membership(
    State(shared): State<Arc<Shared>>,
    ChatPath(id): ChatPath,
) -> Handled {
    let world = shared.world();
    world.require(id, Need::Member)?;
    reply(world.member_view(id, world.bot_id())?)
}

pub(super) async fn leave(State(shared): State<Arc<Shared>>, ChatPath(id): ChatPath) -> Handled {
    let mut world = shared.world();
    world.require(id, Need::Member)?;
    world.bot_leave(id)?;
    success()
}

pub(super) async fn get_admins(
    State(shared): State<Arc<Shared>>,
    ChatPath(id): ChatPath,
) -> Handled {
    let world = shared.world();
    let chat = world.require(id, Need::Admin)?;
    let admins = chat.members.iter().filter(|(_, m)| m.is_admin);
    member_list(&world, id, admins.map(|(u, _)| *u), None)
}

pub(super) async fn add_admins(
    State(shared): State<Arc<Shared>>,
    ChatPath(id): ChatPath,
    body: Bytes,
) -> Handled {
    let list: ChatAdminsList = decode(&body)?;
    enforce(list.validate())?;
    let mut world = shared.world();
    let chat = world.require(id, right(ChatAdminPermission::AddAdmins))?;
    let mut admins: Vec<UserId> = chat
        .members
        .iter()
        .filter(|(_, m)| m.is_admin)
        .map(|(u, _)| *u)
        .collect();
    for a in &list.admins {
        if !chat.members.contains_key(&a.user_id) {
            return Err(WorldError::not_found(format!(
                "User {} is not a member of chat {id}",
                a.user_id
            )));
        }
        if a.permissions.contains(&ChatAdminPermission::ViewStats) {
            return Err(WorldError::denied(
                "`view_stats` can only be held by the owner",
            ));
        }
        if !admins.contains(&a.user_id) {
            admins.push(a.user_id);
        }
    }
    enforce(ValidationError::check_count(
        "admins",
        admins.len(),
        0,
        MAX_ADMINS_PER_CHAT,
    ))?;
    for a in list.admins {
        world.set_admin(id, a.user_id, Some(a.permissions), a.alias)?;
    }
    success()
}

pub(super) async fn remove_admin(
    State(shared): State<Arc<Shared>>,
    Path((raw_chat, raw_user)): Path<(String, String)>,
) -> Handled {
    let id = super::chat_id(&raw_chat)?;
    let user = user_id(&raw_user)?;
    let mut world = shared.world();
    let chat = world.require(id, right(ChatAdminPermission::AddAdmins))?;
    if !chat.members.get(&user).is_some_and(|m| m.is_admin) {
        return Err(WorldError::not_found(format!(
            "User {user} is not an administrator of chat {id}"
        )));
    }
    world.set_admin(id, user, None, None)?;
    success()
}

pub(super) async fn get_members(
    State(shared): State<Arc<Shared>>,
    ChatPath(id): ChatPath,
    uri: Uri,
) -> Handled {
    let query = Query::of(&uri);
    let world = shared.world();
    let chat = world.require(id, Need::Admin)?;
    let ids = query.list("user_ids");
    if !ids.is_empty() {
        let users = ids
            .iter()
            .map(|raw| user_id(raw))
            .collect::<Result<Vec<_>, _>>()?;
        let present = users.into_iter().filter(|u| chat.members.contains_key(u));
        return member_list(&world, id, present, None);
    }
    let count = query.count(20, i64::from(MAX_MEMBERS_PAGE))?;
    let start = usize::try_from(query.int("marker")?.unwrap_or(0).max(0)).unwrap_or(0);
    let page: Vec<UserId> = chat
        .members
        .keys()
        .skip(start)
        .take(count)
        .copied()
        .collect();
    let next = start + page.len();
    let marker = (next < chat.members.len()).then_some(next);
    member_list(&world, id, page, marker)
}

pub(super) async fn add_members(
    State(shared): State<Arc<Shared>>,
    ChatPath(id): ChatPath,
    body: Bytes,
) -> Handled {
    let list: UserIdsList = decode(&body)?;
    enforce(ValidationError::check_count(
        "user_ids",
        list.user_ids.len(),
        1,
        MAX_ADD_MEMBERS,
    ))?;
    let mut world = shared.world();
    let chat = world.require(id, right(ChatAdminPermission::AddRemoveMembers))?;
    if chat.kind == ChatType::Channel {
        return Err(WorldError::bad_request(
            "Subscribers cannot be added to a channel",
        ));
    }
    let mut not_found = Vec::new();
    let mut private = Vec::new();
    for u in &list.user_ids {
        if world.user(*u).is_none() {
            not_found.push(*u);
        } else if world.is_private(*u) {
            private.push(*u);
        } else {
            world.add_member(id, *u)?;
        }
    }
    let failed: Vec<UserId> = not_found.iter().chain(&private).copied().collect();
    let mut details = Vec::new();
    if !private.is_empty() {
        details.push(json!({"error_code": "add.participant.privacy", "user_ids": private}));
    }
    if !not_found.is_empty() {
        details.push(json!({"error_code": "add.participant.not.found", "user_ids": not_found}));
    }
    let success = failed.len() < list.user_ids.len();
    let mut v = json!({"success": success});
    if !success {
        v["message"] = json!("No user could be added");
    }
    if !failed.is_empty() {
        v["failed_user_ids"] = json!(failed);
        v["failed_user_details"] = json!(details);
    }
    reply(v)
}

pub(super) async fn remove_member(
    State(shared): State<Arc<Shared>>,
    ChatPath(id): ChatPath,
    uri: Uri,
) -> Handled {
    let query = Query::of(&uri);
    let user = user_id(query.required("user_id")?)?;
    let block = query.flag("block")?.unwrap_or(false);
    let mut world = shared.world();
    world.require(id, right(ChatAdminPermission::AddRemoveMembers))?;
    world.remove_member(id, user, block)?;
    success()
}
