use botwire_transport::Token;

use crate::Error;

/// The environment variable [`Config::from_env`] reads the API token from.
pub const TOKEN_ENV: &str = "ONEBOT_API_TOKEN";

/// A platform that serves this API. They share methods, parameters and shapes; only the host differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Platform {
    /// onebot.tech — `https://app.onebot.tech/api/v1`.
    #[default]
    OneBot,
    /// LEADTEX / Leadteh — `https://app.leadteh.ru/api/v1`.
    Leadtex,
    /// CleverApp — `https://app.cleverapp.pro/api/v1`.
    CleverApp,
    /// Watbot — `https://watbot.ru/api/v1`.
    Watbot,
    /// JetBot — `https://app.jetbot24.ru/api/v1`.
    JetBot,
}

impl Platform {
    /// Every preset.
    pub const ALL: [Platform; 5] = [
        Platform::OneBot,
        Platform::Leadtex,
        Platform::CleverApp,
        Platform::Watbot,
        Platform::JetBot,
    ];

    /// The API base URL, without a trailing `/`.
    pub const fn base_url(self) -> &'static str {
        match self {
            Platform::OneBot => "https://app.onebot.tech/api/v1",
            Platform::Leadtex => "https://app.leadteh.ru/api/v1",
            Platform::CleverApp => "https://app.cleverapp.pro/api/v1",
            Platform::Watbot => "https://watbot.ru/api/v1",
            Platform::JetBot => "https://app.jetbot24.ru/api/v1",
        }
    }
}

/// Where and as whom to call the API.
///
/// ```
/// use botwire_onebot::{Config, Platform};
///
/// let cfg = Config::new("api-token");
/// assert_eq!(cfg.base_url(), "https://app.onebot.tech/api/v1");
/// let cfg = Config::new("api-token").with_platform(Platform::Watbot);
/// assert_eq!(cfg.base_url(), "https://watbot.ru/api/v1");
/// let cfg = Config::new("api-token").with_base_url("http://127.0.0.1:9000/api/v1/");
/// assert_eq!(cfg.base_url(), "http://127.0.0.1:9000/api/v1");
/// assert!(!format!("{cfg:?}").contains("api-token"));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    base_url: String,
    token: Token,
}

impl Config {
    /// A config for onebot.tech with this API token.
    pub fn new(token: impl Into<Token>) -> Self {
        Self {
            base_url: Platform::OneBot.base_url().to_owned(),
            token: token.into(),
        }
    }

    /// Reads the token from `ONEBOT_API_TOKEN`; fails with [`Error::Config`] when unset or blank.
    pub fn from_env() -> Result<Self, Error> {
        Token::from_env(TOKEN_ENV).map(Self::new).ok_or_else(|| {
            Error::Config(format!("the environment variable {TOKEN_ENV} is not set"))
        })
    }

    /// Uses a sister platform's host.
    #[must_use]
    pub fn with_platform(self, platform: Platform) -> Self {
        self.with_base_url(platform.base_url())
    }

    /// Uses any base URL (`…/api/v1`), e.g. the sandbox. A trailing `/` is dropped.
    #[must_use]
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API token.
    pub fn token(&self) -> &Token {
        &self.token
    }
}
