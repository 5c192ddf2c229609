use std::fmt;
use std::sync::Arc;

use botwire_transport::Token;

use crate::Error;
use crate::chats::ChatDirectory;

/// The production API host (since June 2026; `platform-api.max.ru` and `botapi.max.ru` are retired).
pub const DEFAULT_BASE_URL: &str = "https://platform-api2.max.ru";

/// The environment variable [`Config::from_env`] reads the bot token from.
pub const TOKEN_ENV: &str = "MAX_BOT_TOKEN";

/// Where and as whom to call the API.
///
/// ```
/// use botwire_max::Config;
///
/// let cfg = Config::new("bot-token").with_base_url("http://127.0.0.1:8080/");
/// assert_eq!(cfg.base_url(), "http://127.0.0.1:8080");
/// assert_eq!(format!("{cfg:?}"), r#"Config { base_url: "http://127.0.0.1:8080", token: Token(<redacted>) }"#);
/// ```
///
/// Clones share one [`ChatDirectory`] (see [`Config::chats`]).
#[derive(Clone)]
pub struct Config {
    base_url: String,
    token: Token,
    chats: Arc<ChatDirectory>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .finish()
    }
}

impl Config {
    /// A config for the production API with this bot token.
    pub fn new(token: impl Into<Token>) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            token: token.into(),
            chats: Arc::default(),
        }
    }

    /// Reads the token from `MAX_BOT_TOKEN`; fails with [`Error::Config`] when it is unset or blank.
    pub fn from_env() -> Result<Self, Error> {
        Token::from_env(TOKEN_ENV).map(Self::new).ok_or_else(|| {
            Error::Config(format!("the environment variable {TOKEN_ENV} is not set"))
        })
    }

    /// Sends requests to another base URL (a proxy, a test server, the sandbox). A trailing `/` is dropped.
    #[must_use]
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bot token.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// What the client learned about chats from delivered updates (the chat of each button press, each
    /// user's dialog): how `POST /answers` and `POST /messages?user_id=…` are paced per chat. Long polling feeds
    /// it; feed it yourself with [`ChatDirectory::observe`] when updates come from your own webhook server.
    pub fn chats(&self) -> &ChatDirectory {
        &self.chats
    }
}
