//! The HTTP control API of a MAX sandbox, under `/_sandbox/` (a prefix no MAX path uses): a test in any
//! language acts as MAX users and reads what the bot did, with JSON in and out.
//!
//! No token is needed (the control API belongs to the test, not the bot); its requests are not rate-limited,
//! not faulted and not counted in [`crate::Stats`]. Errors are the platform's `{"code","message"}` bodies. Each
//! route calls the same code as the in-process API of [`crate::MaxSandbox`].
//!
//! | route | body / query | answer | same as |
//! |---|---|---|---|
//! | `POST /_sandbox/users` | `{"name":"Alice","last_name"?,"username"?}` | the `User` | `add_user` |
//! | `GET /_sandbox/users` | | `{"users":[User]}` | |
//! | `POST /_sandbox/users/{user_id}/start` | `{"payload"?:"ref-1"}` | `{"chat_id"}` (`bot_started`) | `user_starts_bot` |
//! | `POST /_sandbox/users/{user_id}/stop` | | `{"chat_id"}` (`bot_stopped`) | `user_stops_bot` |
//! | `POST /_sandbox/users/{user_id}/messages` | `{"chat_id"?, "text"?, "attachments"?, "link"?}` (a `NewMessageBody`; no `chat_id`: the user's dialog) | the `Message` (`message_created`) | `user_sends` |
//! | `POST /_sandbox/users/{user_id}/callbacks` | `{"message_id","payload"}` | `{"callback_id","callback"}` (`message_callback`) | `user_presses_button` |
//! | `POST /_sandbox/chats` | `{"type":"chat"\|"channel","title","owner_id","bot"?:"absent"\|"member"\|"admin"\|[rights]}` | `{"chat_id"}` (no update) | `add_group_chat`, `add_channel` |
//! | `GET /_sandbox/chats/{chat_id}` | | the `Chat` with pin and participants | |
//! | `POST /_sandbox/chats/{chat_id}/members` | `{"user_id","inviter_id"?}` | `{"success":true}` (`user_added` when the bot is in) | `user_joins_chat` |
//! | `DELETE /_sandbox/chats/{chat_id}/members/{user_id}` | `?admin_id=` | `{"success":true}` (`user_removed`) | `user_leaves_chat` |
//! | `POST /_sandbox/chats/{chat_id}/bot` | `{"user_id","role"?}` (role as `bot` above, default admin) | `{"success":true}` (`bot_added`) | `user_adds_bot` |
//! | `DELETE /_sandbox/chats/{chat_id}/bot` | `?user_id=` | `{"success":true}` (`bot_removed`) | `user_removes_bot` |
//! | `GET /_sandbox/chats/{chat_id}/messages` | `?all=true` for users' messages too | `{"messages":[Message]}`, the bot's, oldest first | `world().messages` |
//! | `GET /_sandbox/chats/{chat_id}/pin` | | `{"message": Message \| null}` | `world().pinned` |
//! | `GET /_sandbox/callbacks/{callback_id}` | | `{"callback","message_id","answers","notifications"}` | `world().callback` |
//! | `POST /_sandbox/updates` | any JSON (an update of any shape, even unknown types) | `{"marker"}` | `updates().push_json` |
//! | `GET /_sandbox/stats` | | requests by route and status, requests in flight (a held poll), 429s, faults, pending and delivered updates, subscriptions | `stats()` |
//! | `PUT /_sandbox/limits` | `{"enforced"?:bool,"scale"?:number}` | `{"enforced","scale"}` | `faults().limits()` |
//! | `PUT /_sandbox/faults` | `{"seed","rate","kinds"?:["500","drop-after",…]}`; `{"rate":0}` stops | `{"success":true}` | `faults().at_rate` |
//! | `PUT /_sandbox/attachments` | `{"not_ready":N}` | `{"success":true}` | `world().attachment_ready_after` |
//! | `POST /_sandbox/reset` | | `{"success":true}` | everything above forgotten |
//!
//! A whole conversation with curl (the binary prints its base URL and token on its first line):
//!
//! ```text
//! curl -s -X POST $BASE/_sandbox/users -d '{"name":"Alice"}'                      # {"user_id":200000002,…}
//! curl -s -X POST $BASE/_sandbox/users/200000002/start -d '{"payload":"ref-1"}'   # {"chat_id":182182003}
//! curl -s -X POST $BASE/_sandbox/users/200000002/messages -d '{"text":"hi"}'
//! curl -s $BASE/_sandbox/chats/182182003/messages                                 # what the bot answered
//! ```

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::routing::{delete, get, post, put};
use botwire_core_types::max::{ChatAdminPermission, ChatId, NewMessageBody, UserId};
use serde_json::{Value, json};

use super::world::BotRole;
use super::{Handled, Query, Shared, WorldError, chat_id, decode, reply, success};
use crate::Fault;

pub(super) fn router() -> Router<Arc<Shared>> {
    let routes = Router::new()
        .route("/users", post(add_user).get(list_users))
        .route("/users/{user_id}/start", post(start))
        .route("/users/{user_id}/stop", post(stop))
        .route("/users/{user_id}/messages", post(send))
        .route("/users/{user_id}/callbacks", post(press))
        .route("/chats", post(add_chat))
        .route("/chats/{chat_id}", get(get_chat))
        .route("/chats/{chat_id}/members", post(join))
        .route("/chats/{chat_id}/members/{user_id}", delete(leave))
        .route("/chats/{chat_id}/bot", post(add_bot).delete(remove_bot))
        .route("/chats/{chat_id}/messages", get(chat_messages))
        .route("/chats/{chat_id}/pin", get(pin))
        .route("/callbacks/{callback_id}", get(callback))
        .route("/updates", post(raw_update))
        .route("/stats", get(stats))
        .route("/limits", put(limits))
        .route("/faults", put(faults))
        .route("/attachments", put(attachments))
        .route("/reset", post(reset))
        .fallback(unknown)
        .method_not_allowed_fallback(unknown);
    Router::new().nest("/_sandbox", routes)
}

async fn unknown(uri: Uri) -> WorldError {
    WorldError::new(
        http::StatusCode::NOT_FOUND,
        "method.not.found",
        format!(
            "No control route {} (see the botwire-sandbox docs)",
            uri.path()
        ),
    )
}

fn user(raw: &str) -> Result<UserId, WorldError> {
    raw.parse::<i64>()
        .map(UserId)
        .map_err(|_| WorldError::bad_request(format!("Invalid userId: {raw}")))
}

/// The JSON object of a body; an empty body is `{}`.
fn object(body: &Bytes) -> Result<serde_json::Map<String, Value>, WorldError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match decode::<Value>(body)? {
        Value::Object(map) => Ok(map),
        _ => Err(WorldError::bad_request("The body must be a JSON object")),
    }
}

fn field_i64(map: &serde_json::Map<String, Value>, name: &str) -> Result<Option<i64>, WorldError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| WorldError::bad_request(format!("`{name}` must be an integer"))),
    }
}

fn field_str<'a>(
    map: &'a serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, WorldError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(WorldError::bad_request(format!(
            "`{name}` must be a string"
        ))),
    }
}

fn required<T>(v: Option<T>, name: &str) -> Result<T, WorldError> {
    v.ok_or_else(|| WorldError::bad_request(format!("`{name}` is required")))
}

/// `"absent"`, `"member"`, `"admin"` (every right) or a list of rights.
fn role(v: Option<&Value>) -> Result<BotRole, WorldError> {
    Ok(match v {
        None | Some(Value::Null) => BotRole::full_admin(),
        Some(Value::String(s)) => match s.as_str() {
            "absent" => BotRole::Absent,
            "member" => BotRole::Member,
            "admin" => BotRole::full_admin(),
            other => {
                return Err(WorldError::bad_request(format!(
                    "Unknown bot role `{other}`: use absent, member, admin or a list of rights"
                )));
            }
        },
        Some(list @ Value::Array(_)) => {
            let rights: Vec<ChatAdminPermission> = serde_json::from_value(list.clone())
                .map_err(|_| WorldError::bad_request("Rights must be strings"))?;
            BotRole::Admin(rights)
        }
        Some(_) => return Err(WorldError::bad_request("Unknown bot role")),
    })
}

async fn add_user(State(shared): State<Arc<Shared>>, body: Bytes) -> Handled {
    let map = object(&body)?;
    let name = required(field_str(&map, "name")?, "name")?;
    if name.trim().is_empty() {
        return Err(WorldError::bad_request("`name` must not be empty"));
    }
    let last_name = field_str(&map, "last_name")?.map(str::to_owned);
    let username = field_str(&map, "username")?.map(str::to_owned);
    let mut world = shared.world();
    let user = world.add_user(name);
    if last_name.is_none() && username.is_none() {
        return reply(user);
    }
    let user = world.update_user(user.user_id, |u| {
        if let Some(l) = last_name {
            u.name = Some(format!("{} {l}", u.first_name));
            u.last_name = Some(l);
        }
        if username.is_some() {
            u.username = username;
        }
    })?;
    reply(user)
}

async fn list_users(State(shared): State<Arc<Shared>>) -> Handled {
    reply(json!({"users": shared.world().users()}))
}

async fn start(State(shared): State<Arc<Shared>>, Path(raw): Path<String>, body: Bytes) -> Handled {
    let map = object(&body)?;
    let payload = field_str(&map, "payload")?;
    let chat_id = shared.user_starts_bot(user(&raw)?, payload)?;
    reply(json!({ "chat_id": chat_id }))
}

async fn stop(State(shared): State<Arc<Shared>>, Path(raw): Path<String>) -> Handled {
    let chat_id = shared.user_stops_bot(user(&raw)?)?;
    reply(json!({ "chat_id": chat_id }))
}

async fn send(State(shared): State<Arc<Shared>>, Path(raw): Path<String>, body: Bytes) -> Handled {
    let user_id = user(&raw)?;
    let mut map = object(&body)?;
    let chat = match field_i64(&map, "chat_id")? {
        Some(c) => ChatId(c),
        None => shared.world().dialog_with(user_id).ok_or_else(|| {
            WorldError::bad_request(format!(
                "User {user_id} has no dialog with the bot: start it first or give `chat_id`"
            ))
        })?,
    };
    map.remove("chat_id");
    let body: NewMessageBody = serde_json::from_value(Value::Object(map))
        .map_err(|e| WorldError::bad_request(format!("Can't deserialize body: {e}")))?;
    reply(shared.user_sends(user_id, chat, &body)?)
}

async fn press(State(shared): State<Arc<Shared>>, Path(raw): Path<String>, body: Bytes) -> Handled {
    let map = object(&body)?;
    let mid = required(field_str(&map, "message_id")?, "message_id")?;
    let payload = required(field_str(&map, "payload")?, "payload")?;
    let callback = shared.user_presses_button(user(&raw)?, mid, payload)?;
    reply(json!({"callback_id": callback.callback_id, "callback": callback}))
}

async fn add_chat(State(shared): State<Arc<Shared>>, body: Bytes) -> Handled {
    let map = object(&body)?;
    let title = required(field_str(&map, "title")?, "title")?;
    let owner = UserId(required(field_i64(&map, "owner_id")?, "owner_id")?);
    let bot = role(map.get("bot"))?;
    let mut world = shared.world();
    let chat_id = match field_str(&map, "type")?.unwrap_or("chat") {
        "chat" => world.add_group_chat(title, owner, bot)?,
        "channel" => world.add_channel(title, owner, bot)?,
        other => {
            return Err(WorldError::bad_request(format!(
                "Unknown chat type `{other}`: use chat or channel (dialogs start with /start)"
            )));
        }
    };
    reply(json!({ "chat_id": chat_id }))
}

async fn get_chat(State(shared): State<Arc<Shared>>, Path(raw): Path<String>) -> Handled {
    reply(shared.world().chat_view(chat_id(&raw)?, true)?)
}

async fn join(State(shared): State<Arc<Shared>>, Path(raw): Path<String>, body: Bytes) -> Handled {
    let map = object(&body)?;
    let user_id = UserId(required(field_i64(&map, "user_id")?, "user_id")?);
    let inviter = field_i64(&map, "inviter_id")?.map(UserId);
    shared.user_joins_chat(user_id, chat_id(&raw)?, inviter)?;
    success()
}

async fn leave(
    State(shared): State<Arc<Shared>>,
    Path((raw_chat, raw_user)): Path<(String, String)>,
    uri: Uri,
) -> Handled {
    let admin = Query::of(&uri).int("admin_id")?.map(UserId);
    shared.user_leaves_chat(user(&raw_user)?, chat_id(&raw_chat)?, admin)?;
    success()
}

async fn add_bot(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Handled {
    let map = object(&body)?;
    let user_id = UserId(required(field_i64(&map, "user_id")?, "user_id")?);
    let role = role(map.get("role"))?;
    shared.user_adds_bot(user_id, chat_id(&raw)?, role)?;
    success()
}

async fn remove_bot(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Handled {
    let query = Query::of(&uri);
    let user_id = UserId(required(query.int("user_id")?, "user_id")?);
    shared.user_removes_bot(user_id, chat_id(&raw)?)?;
    success()
}

async fn chat_messages(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Handled {
    let all = Query::of(&uri).flag("all")?.unwrap_or(false);
    let chat = chat_id(&raw)?;
    let world = shared.world();
    if world.chat(chat).is_none() {
        return Err(WorldError::chat_not_found(chat));
    }
    let bot = world.bot_id();
    let messages: Vec<_> = world
        .messages(chat)
        .iter()
        .filter(|m| all || m.author == bot)
        .map(|m| &m.message)
        .collect();
    reply(json!({ "messages": messages }))
}

async fn pin(State(shared): State<Arc<Shared>>, Path(raw): Path<String>) -> Handled {
    let chat = chat_id(&raw)?;
    let world = shared.world();
    if world.chat(chat).is_none() {
        return Err(WorldError::chat_not_found(chat));
    }
    reply(json!({ "message": world.pinned(chat) }))
}

async fn callback(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Handled {
    let world = shared.world();
    let state = world
        .callback(&id)
        .ok_or_else(|| WorldError::not_found(format!("Callback {id} not found")))?;
    reply(json!({
        "callback": state.callback,
        "message_id": state.message_id,
        "answers": state.answers,
        "notifications": state.notifications,
    }))
}

async fn raw_update(State(shared): State<Arc<Shared>>, body: Bytes) -> Handled {
    // Any JSON at all: quirks and unknown types are the point. Non-JSON is refused, so a typo is not queued.
    let value: Value = decode(&body)?;
    let marker = shared.updates.push(&value);
    reply(json!({ "marker": marker }))
}

async fn stats(State(shared): State<Arc<Shared>>) -> Handled {
    let mut v = shared.stats.to_json();
    v["pending_updates"] = json!(shared.updates.pending());
    v["delivered_updates"] = json!(shared.updates.delivered());
    v["dropped_updates"] = json!(shared.updates.dropped());
    v["subscriptions"] = json!(shared.world().subscriptions());
    v["limits_enforced"] = json!(shared.faults.limits().is_enforced());
    reply(v)
}

async fn limits(State(shared): State<Arc<Shared>>, body: Bytes) -> Handled {
    let map = object(&body)?;
    let limits = shared.faults.limits();
    if let Some(scale) = map.get("scale").filter(|v| !v.is_null()) {
        let scale = scale
            .as_f64()
            .filter(|s| s.is_finite() && *s > 0.0)
            .ok_or_else(|| WorldError::bad_request("`scale` must be a positive number"))?;
        limits.scale(scale);
    }
    match map.get("enforced") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(on)) => {
            limits.enforce(*on);
        }
        Some(_) => return Err(WorldError::bad_request("`enforced` must be true or false")),
    }
    reply(json!({"enforced": limits.is_enforced()}))
}

async fn faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Handled {
    let map = object(&body)?;
    let rate = map.get("rate").and_then(Value::as_f64).unwrap_or(0.0);
    if !(0.0..=1.0).contains(&rate) {
        return Err(WorldError::bad_request("`rate` must be 0..1"));
    }
    if rate == 0.0 {
        shared.faults.stop_random();
        return success();
    }
    let seed = field_i64(&map, "seed")?.unwrap_or(1);
    let kinds = match map.get("kinds") {
        None | Some(Value::Null) => Fault::all_kinds(),
        Some(Value::Array(list)) => {
            let names: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
            Fault::parse_list(&names.join(",")).map_err(WorldError::bad_request)?
        }
        Some(_) => return Err(WorldError::bad_request("`kinds` must be a list of names")),
    };
    shared
        .faults
        .at_rate(u64::from_ne_bytes(seed.to_ne_bytes()), rate, kinds);
    success()
}

async fn attachments(State(shared): State<Arc<Shared>>, body: Bytes) -> Handled {
    let map = object(&body)?;
    let n = required(field_i64(&map, "not_ready")?, "not_ready")?;
    shared.world().attachment_ready_after =
        u64::try_from(n).map_err(|_| WorldError::bad_request("`not_ready` must be >= 0"))?;
    success()
}

async fn reset(State(shared): State<Arc<Shared>>) -> Handled {
    shared.world().reset();
    shared.updates.reset();
    shared.stats.reset();
    shared.faults.clear();
    // Empty windows: the limits stay as they were (on or off), the counts restart.
    shared
        .faults
        .limits()
        .enforce(shared.faults.limits().is_enforced());
    success()
}
