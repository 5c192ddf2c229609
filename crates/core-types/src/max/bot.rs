use serde::{Deserialize, Serialize};

use crate::ValidationError;
use crate::limits::{MAX_BOT_COMMANDS, MAX_COMMAND_DESCRIPTION_CHARS, MAX_COMMAND_NAME_CHARS};

super::user::user_like! {
    /// What `GET /me` returns: the bot's user fields plus its command list.
    pub struct BotInfo {
        /// Commands shown to users who type `/`; absent or `null` when none are set.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub commands: Option<Vec<BotCommand>>,
    }
}

impl BotInfo {
    /// A bot with only the required fields (`is_bot` is `true`); the rest can be set on the returned value.
    pub fn new(user_id: impl Into<super::UserId>, first_name: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            first_name: first_name.into(),
            last_name: None,
            username: None,
            is_bot: true,
            last_activity_time: None,
            name: None,
            description: None,
            avatar_url: None,
            full_avatar_url: None,
            commands: None,
        }
    }
}

/// What `PATCH /me/commands` returns: the bot's command list after the change (`null` when cleared).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BotCommandsInfo {
    /// The commands now set, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commands: Option<Vec<BotCommand>>,
}

/// One bot command: `name` 1–64 characters, optional `description` 1–128 characters.
///
/// [`BotCommand::new`] refuses values outside those limits. Decoding a server response does not check them (the
/// server is the authority on what it sends); [`BotCommand::validate`] checks a decoded value on demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotCommand {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

impl BotCommand {
    /// A command, checked against the documented limits.
    ///
    /// The name is sent as given; the API's own examples use names without a leading `/` (`"start"`).
    pub fn new(
        name: impl Into<String>,
        description: Option<String>,
    ) -> Result<Self, ValidationError> {
        let cmd = Self {
            name: name.into(),
            description,
        };
        cmd.validate()?;
        Ok(cmd)
    }

    /// The command name, e.g. `start`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The description shown next to the command, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Checks the documented limits on this value.
    pub fn validate(&self) -> Result<(), ValidationError> {
        ValidationError::check_chars("name", &self.name, 1, MAX_COMMAND_NAME_CHARS)?;
        if let Some(d) = &self.description {
            ValidationError::check_chars("description", d, 1, MAX_COMMAND_DESCRIPTION_CHARS)?;
        }
        Ok(())
    }
}

/// A full command list for `PATCH /me/commands`: at most 32 commands, each valid. Empty deletes all commands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotCommands {
    commands: Vec<BotCommand>,
}

impl BotCommands {
    /// A list, checked against the documented limits (count, then every command).
    pub fn new(commands: Vec<BotCommand>) -> Result<Self, ValidationError> {
        let list = Self { commands };
        list.validate()?;
        Ok(list)
    }

    /// The empty list, which deletes every command of the bot.
    pub fn clear() -> Self {
        Self::default()
    }

    /// The commands, in order.
    pub fn commands(&self) -> &[BotCommand] {
        &self.commands
    }

    /// Checks the count and every command; the error's field names the command's index.
    pub fn validate(&self) -> Result<(), ValidationError> {
        ValidationError::check_count("commands", self.commands.len(), 0, MAX_BOT_COMMANDS)?;
        for (i, cmd) in self.commands.iter().enumerate() {
            cmd.validate()
                .map_err(|e| e.within(&format!("commands[{i}]")))?;
        }
        Ok(())
    }
}

impl From<BotCommands> for Vec<BotCommand> {
    fn from(value: BotCommands) -> Self {
        value.commands
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_limits() {
        assert!(BotCommand::new("start", Some("Main menu".into())).is_ok());
        assert_eq!(
            BotCommand::new("x".repeat(65), None).unwrap_err().field(),
            "name"
        );
        assert_eq!(
            BotCommand::new("ok", Some(String::new()))
                .unwrap_err()
                .field(),
            "description"
        );
        assert!(BotCommand::new("ok", Some("d".repeat(128))).is_ok());
        assert!(BotCommand::new("ok", Some("d".repeat(129))).is_err());
    }

    #[test]
    fn list_limits_name_the_index() {
        let ok = |i: usize| BotCommand::new(format!("c{i}"), None).unwrap();
        assert!(BotCommands::new((0..32).map(ok).collect()).is_ok());
        let err = BotCommands::new((0..33).map(ok).collect()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`commands` must be at most 32 items, but has 33 items"
        );

        let bad: BotCommand = serde_json::from_str(r#"{"name":""}"#).unwrap();
        let err = BotCommands {
            commands: vec![ok(0), bad],
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.field(), "commands[1].name");
    }

    #[test]
    fn bot_info_keeps_every_field_and_ignores_unknown_ones() {
        let info: BotInfo = serde_json::from_str(
            r#"{"user_id":9007199254740993,"first_name":"b","is_bot":true,"name":"old","is_official":true,
                "commands":[{"name":"start","description":null},{"name":"help","description":"Help"}]}"#,
        )
        .unwrap();
        assert_eq!(info.user_id.get(), 9_007_199_254_740_993);
        assert_eq!(info.name.as_deref(), Some("old"));
        let commands = info.commands.as_deref().unwrap();
        assert_eq!(commands[0].description(), None);
        assert_eq!(commands[1].description(), Some("Help"));
    }
}
