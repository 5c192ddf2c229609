use botwire_transport::{Redactor, Token};

use crate::Error;

/// The environment variable [`Config::from_env`] reads the API token from.
pub const TOKEN_ENV: &str = "ONEBOT_API_TOKEN";

/// The environment variable [`Config::from_env`] reads an optional base URL from (a sister platform's
/// `…/api/v1`, the URL `botwire-sandbox` prints, a proxy); unset or blank means onebot.tech.
pub const BASE_URL_ENV: &str = "ONEBOT_BASE_URL";

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
#[derive(Clone)]
pub struct Config {
    base_url: String,
    token: Token,
    /// The secrets of every request built from this configuration (the token), worked out once.
    redactor: Redactor,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .finish()
    }
}

impl Config {
    /// A config for onebot.tech with this API token.
    pub fn new(token: impl Into<Token>) -> Self {
        let token: Token = token.into();
        // What `request_secrets` finds in a request's `api_token` parameter: the token, decoded.
        let redactor = Redactor::new([token.expose()]);
        Self {
            base_url: Platform::OneBot.base_url().to_owned(),
            token,
            redactor,
        }
    }

    /// Reads the token from `ONEBOT_API_TOKEN` and, when set, the base URL from `ONEBOT_BASE_URL` (so a bot is
    /// pointed at a sister platform or the sandbox without code changes); fails with [`Error::Config`] when the
    /// token is unset or blank, or the base URL is not an `http://` or `https://` URL.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Config::from_env`] over any source of variables.
    fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let (token, url) = botwire_transport::env::token_and_base_url(var, TOKEN_ENV, BASE_URL_ENV)
            .map_err(Error::Config)?;
        let config = Self::new(token);
        Ok(match url {
            Some(url) => config.with_base_url(url),
            None => config,
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

    /// The scrubber for text about requests built from this configuration: it knows the token.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }
}

#[cfg(test)]
mod env_tests {
    use super::*;

    #[test]
    fn from_env_reads_the_token_and_an_optional_base_url() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let cfg = Config::from_lookup(vars(&[(TOKEN_ENV, "t0k")])).unwrap();
        assert_eq!(cfg.base_url(), Platform::OneBot.base_url());
        let cfg = Config::from_lookup(vars(&[
            (TOKEN_ENV, "t0k"),
            (BASE_URL_ENV, "http://127.0.0.1:9000/api/v1/"),
        ]))
        .unwrap();
        assert_eq!(cfg.base_url(), "http://127.0.0.1:9000/api/v1");
        let err = Config::from_lookup(vars(&[(TOKEN_ENV, "s3cret"), (BASE_URL_ENV, "ftp://x")]))
            .unwrap_err();
        assert!(err.to_string().contains(BASE_URL_ENV), "{err}");
        assert!(!format!("{err} {err:?}").contains("s3cret"));
        assert!(Config::from_lookup(vars(&[])).is_err());
    }
}
