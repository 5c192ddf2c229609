use botwire_transport::Token;

use crate::Error;

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
#[derive(Debug, Clone)]
pub struct Config {
    base_url: String,
    token: Token,
}

impl Config {
    /// A config for the production API with this bot token.
    pub fn new(token: impl Into<Token>) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            token: token.into(),
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
}
