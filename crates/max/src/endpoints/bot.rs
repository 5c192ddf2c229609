use botwire_core_types::max::{BotCommands, BotCommandsInfo, BotInfo};
use botwire_transport::HttpRequest;
use http::Method;

use crate::endpoint::{RequestBuilder, json_output};
use crate::{Config, Endpoint, Error};

/// `GET /me` — the bot's own info.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GetMe;

impl Endpoint for GetMe {
    type Output = BotInfo;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        RequestBuilder::new(config, Method::GET, "/me").build()
    }

    json_output!();
}

/// `PATCH /me/commands` — sets, replaces or (with an empty list) clears the bot's commands.
///
/// At most 32 commands, name 1–64 and description 1–128 characters; checked before sending. Replacing the list
/// is idempotent, so the request is marked safe to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditMyCommands {
    /// The full new list.
    pub commands: BotCommands,
}

impl EditMyCommands {
    /// Replaces the command list with `commands`.
    pub fn new(commands: BotCommands) -> Self {
        Self { commands }
    }
}

impl Endpoint for EditMyCommands {
    type Output = BotCommandsInfo;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        self.commands.validate()?;
        RequestBuilder::new(config, Method::PATCH, "/me/commands")
            .idempotent(true)
            .json(&self.commands)?
            .build()
    }

    json_output!();
}
