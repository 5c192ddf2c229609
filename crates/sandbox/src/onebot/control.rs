//! The HTTP control API of a OneBot sandbox, under `/_sandbox/` (outside `/api/v1`): seed bots, contacts,
//! variables and tags, read what the bot sent, count, reset. JSON in and out; no token; not rate-limited,
//! faulted or counted. Errors are `{"code","message"}`.
//!
//! | route | body | answer | same as |
//! |---|---|---|---|
//! | `POST /_sandbox/bots` | `{"name","messenger"?:"telegram"}` | `{"bot_id"}` | `add_bot` |
//! | `POST /_sandbox/contacts` | `{"bot_id"?:1,"count"?:1}` | `{"contact_ids":[…]}` | `add_contacts` |
//! | `GET /_sandbox/contacts/{id}` | | the contact as `getContacts` shows it, with tags and variables | `world().contact_json` |
//! | `POST /_sandbox/contacts/{id}/variables` | `{"name","value"}` | `{"id"}` | `world().set_variable` |
//! | `POST /_sandbox/contacts/{id}/tags` | `{"name"}` | `{"success":true}` | `world().attach_tag` |
//! | `GET /_sandbox/sent` | | `{"messages":[…]}` accepted by `sendMessage*`, in order | `sent` |
//! | `GET /_sandbox/queue` | | `{"messages":[…]}` of the broadcast queue | `queue` |
//! | `GET /_sandbox/stats` | | requests by route and status, 429s, faults | `stats()` |
//! | `PUT /_sandbox/limits` | `{"enforced"?,"scale"?}` | `{"enforced"}` | `faults().limits()` |
//! | `POST /_sandbox/reset` | | `{"success":true}` | |

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{OneBotWorld, Shared};

type Answer = Result<Response, Response>;

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "message": message.into()})),
    )
        .into_response()
}

fn bad(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "proto.payload", message)
}

fn ok(v: Value) -> Answer {
    Ok(axum::Json(v).into_response())
}

fn object(body: &Bytes) -> Result<Map<String, Value>, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad("The body must be a JSON object")),
    }
}

fn text<'a>(m: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Response> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("`{name}` must be a string"))),
    }
}

fn int(m: &Map<String, Value>, name: &str) -> Result<Option<i64>, Response> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(format!("`{name}` must be an integer"))),
    }
}

fn contact_id(raw: &str, world: &OneBotWorld) -> Result<i64, Response> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| world.contacts.contains_key(id))
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "not.found",
                format!("Contact {raw} not found"),
            )
        })
}

pub(super) fn router() -> Router<Arc<Shared>> {
    let routes = Router::new()
        .route("/bots", post(add_bot))
        .route("/contacts", post(add_contacts))
        .route("/contacts/{id}", get(contact))
        .route("/contacts/{id}/variables", post(set_variable))
        .route("/contacts/{id}/tags", post(attach_tag))
        .route("/sent", get(sent))
        .route("/queue", get(queue))
        .route("/stats", get(stats))
        .route("/limits", put(limits))
        .route("/reset", post(reset))
        .fallback(unknown)
        .method_not_allowed_fallback(unknown);
    Router::new().nest("/_sandbox", routes)
}

async fn unknown(uri: http::Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "method.not.found",
        format!(
            "No control route {} (see the botwire-sandbox docs)",
            uri.path()
        ),
    )
}

async fn add_bot(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let m = object(&body)?;
    let name = text(&m, "name")?.ok_or_else(|| bad("`name` is required"))?;
    let messenger = text(&m, "messenger")?.unwrap_or("telegram");
    let id = shared.world().add_bot(name, messenger);
    ok(json!({ "bot_id": id }))
}

async fn add_contacts(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let m = object(&body)?;
    let bot = int(&m, "bot_id")?.unwrap_or(1);
    let count = int(&m, "count")?.unwrap_or(1);
    let count = usize::try_from(count)
        .ok()
        .filter(|c| (1..=100_000).contains(c))
        .ok_or_else(|| bad("`count` must be 1..100000"))?;
    let mut world = shared.world();
    if !world.bots.contains_key(&bot) {
        return Err(error(
            StatusCode::NOT_FOUND,
            "not.found",
            format!("Bot {bot} not found"),
        ));
    }
    ok(json!({ "contact_ids": world.add_contacts(bot, count) }))
}

async fn contact(State(shared): State<Arc<Shared>>, Path(raw): Path<String>) -> Answer {
    let world = shared.world();
    let id = contact_id(&raw, &world)?;
    let c = &world.contacts[&id];
    ok(world.contact_json(c, true, true))
}

async fn set_variable(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Answer {
    let m = object(&body)?;
    let name = text(&m, "name")?.ok_or_else(|| bad("`name` is required"))?;
    let value = match m.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
        _ => return Err(bad("`value` is required (a string)")),
    };
    let mut world = shared.world();
    let id = contact_id(&raw, &world)?;
    let value_id = world
        .set_variable(id, name, &value, None)
        .ok_or_else(|| bad("The contact's bot is gone"))?;
    ok(json!({ "id": value_id }))
}

async fn attach_tag(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Answer {
    let m = object(&body)?;
    let name = text(&m, "name")?.ok_or_else(|| bad("`name` is required"))?;
    let mut world = shared.world();
    let id = contact_id(&raw, &world)?;
    world.attach_tag(id, name);
    ok(json!({"success": true}))
}

async fn sent(State(shared): State<Arc<Shared>>) -> Answer {
    let world = shared.world();
    let messages: Vec<Value> = world
        .sent
        .iter()
        .map(|s| {
            json!({
                "method": s.method,
                "bot_id": s.bot_id,
                "contact_id": s.contact_id,
                "messenger": s.messenger,
                "contact_external_id": s.contact_external_id,
                "text": s.text,
                "image": s.image,
                "file": s.file,
            })
        })
        .collect();
    ok(json!({ "messages": messages }))
}

async fn queue(State(shared): State<Arc<Shared>>) -> Answer {
    let world = shared.world();
    let messages: Vec<Value> = world
        .queue
        .iter()
        .map(|q| {
            json!({
                "message_id": q.message_id,
                "text": q.text,
                "contact_id": q.contact_id,
                "bitrix_contact_id": q.bitrix_contact_id,
                "phone": q.phone,
            })
        })
        .collect();
    ok(json!({ "messages": messages }))
}

async fn stats(State(shared): State<Arc<Shared>>) -> Answer {
    let mut v = shared.stats.to_json();
    v["limits_enforced"] = json!(shared.faults.limits().is_enforced());
    ok(v)
}

async fn limits(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let m = object(&body)?;
    let limits = shared.faults.limits();
    if let Some(scale) = m.get("scale").filter(|v| !v.is_null()) {
        let scale = scale
            .as_f64()
            .filter(|s| s.is_finite() && *s > 0.0)
            .ok_or_else(|| bad("`scale` must be a positive number"))?;
        limits.scale(scale);
    }
    match m.get("enforced") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(on)) => {
            limits.enforce(*on);
        }
        Some(_) => return Err(bad("`enforced` must be true or false")),
    }
    ok(json!({"enforced": limits.is_enforced()}))
}

async fn reset(State(shared): State<Arc<Shared>>) -> Answer {
    *shared.world() = OneBotWorld::default();
    shared.stats.reset();
    shared.faults.clear();
    shared
        .faults
        .limits()
        .enforce(shared.faults.limits().is_enforced());
    ok(json!({"success": true}))
}
