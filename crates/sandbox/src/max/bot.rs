use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use botwire_core_types::limits::{
    MAX_BOT_COMMANDS, MAX_COMMAND_DESCRIPTION_CHARS, MAX_COMMAND_NAME_CHARS,
};
use botwire_core_types::max::BotCommand;
use http::StatusCode;
use serde_json::json;

use super::{Shared, api_error, json_body};

pub(super) async fn get_me(State(shared): State<Arc<Shared>>) -> Response {
    let world = shared.world();
    let mut bot = world.bot.clone();
    bot.commands = (!world.commands.is_empty()).then(|| world.commands.clone());
    Json(bot).into_response()
}

pub(super) async fn edit_commands(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value = match json_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(items) = value.get("commands").and_then(|c| c.as_array()) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "proto.payload",
            "Field 'commands' cannot be null",
        );
    };
    if items.len() > MAX_BOT_COMMANDS {
        return api_error(
            StatusCode::BAD_REQUEST,
            "proto.payload",
            &format!("commands: size must be between 0 and {MAX_BOT_COMMANDS}"),
        );
    }
    let mut commands = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let name = item
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or_default();
        let description = item
            .get("description")
            .and_then(|d| d.as_str())
            .map(str::to_owned);
        match BotCommand::new(name, description) {
            Ok(cmd) => commands.push(cmd),
            Err(e) => {
                let limit = if e.field() == "name" {
                    MAX_COMMAND_NAME_CHARS
                } else {
                    MAX_COMMAND_DESCRIPTION_CHARS
                };
                return api_error(
                    StatusCode::BAD_REQUEST,
                    "proto.payload",
                    &format!(
                        "commands[{i}].{}: length must be between 1 and {limit}",
                        e.field()
                    ),
                );
            }
        }
    }
    let mut world = shared.world();
    world.commands = commands;
    let shown = (!world.commands.is_empty()).then(|| world.commands.clone());
    Json(json!({ "commands": shown })).into_response()
}
