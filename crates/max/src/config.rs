use std::fmt;
use std::sync::Arc;

use botwire_transport::{Redactor, Token, request_secrets};
use http::HeaderValue;

use crate::Error;
use crate::chats::ChatDirectory;

/// The production API host (since June 2026; `platform-api.max.ru` and `botapi.max.ru` are retired).
pub const DEFAULT_BASE_URL: &str = "https://platform-api2.max.ru";

/// The environment variable [`Config::from_env`] reads the bot token from.
pub const TOKEN_ENV: &str = "MAX_BOT_TOKEN";

/// The environment variable [`Config::from_env`] reads an optional base URL from (e.g. the URL that
/// `botwire-sandbox` prints, or a proxy); unset or blank means [`DEFAULT_BASE_URL`].
pub const BASE_URL_ENV: &str = "MAX_BASE_URL";

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
    /// The `Authorization` value, worked out once: `None` when the token cannot be a header value (every
    /// request then fails before it is sent, saying so).
    auth: Option<HeaderValue>,
    /// The secrets of every request built from this configuration (the token), worked out once.
    redactor: Redactor,
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
        let token = token.into();
        let auth = HeaderValue::from_str(token.expose()).ok().map(|mut value| {
            value.set_sensitive(true);
            value
        });
        // The secrets `request_secrets` finds in a request that carries this header: the same scrubbing as a
        // request scanned one by one, done once.
        let redactor = match &auth {
            Some(value) => {
                let mut request = http::Request::new(());
                request
                    .headers_mut()
                    .insert(http::header::AUTHORIZATION, value.clone());
                request_secrets(&request)
            }
            None => Redactor::new([token.expose()]),
        };
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            token,
            auth,
            redactor,
            chats: Arc::default(),
        }
    }

    /// Reads the token from `MAX_BOT_TOKEN` and, when set, the base URL from `MAX_BASE_URL` (so a bot is
    /// pointed at the sandbox or a proxy without code changes); fails with [`Error::Config`] when the token is
    /// unset or blank, or the base URL is not an `http://` or `https://` URL.
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

    /// The `Authorization` header value of every request (sensitive, so never printed by `http`), or `None`
    /// when the token holds characters a header cannot carry.
    pub(crate) fn authorization(&self) -> Option<&HeaderValue> {
        self.auth.as_ref()
    }

    /// The scrubber for text about requests built from this configuration: it knows the token.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// What the client learned about chats from delivered updates (the chat of each button press, each
    /// user's dialog): how `POST /answers` and `POST /messages?user_id=…` are paced per chat. Long polling feeds
    /// it; feed it yourself with [`ChatDirectory::observe`] when updates come from your own webhook server.
    pub fn chats(&self) -> &ChatDirectory {
        &self.chats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn from_env_reads_the_token_and_an_optional_base_url() {
        let cfg = Config::from_lookup(vars(&[(TOKEN_ENV, " t0k ")])).unwrap();
        assert_eq!(cfg.base_url(), DEFAULT_BASE_URL);
        assert_eq!(cfg.token().expose(), "t0k");
        let cfg = Config::from_lookup(vars(&[
            (TOKEN_ENV, "t0k"),
            (BASE_URL_ENV, "http://127.0.0.1:9000/"),
        ]))
        .unwrap();
        assert_eq!(cfg.base_url(), "http://127.0.0.1:9000");
        let cfg = Config::from_lookup(vars(&[(TOKEN_ENV, "t0k"), (BASE_URL_ENV, "  ")])).unwrap();
        assert_eq!(cfg.base_url(), DEFAULT_BASE_URL);
    }

    #[test]
    fn from_env_refuses_a_missing_token_and_a_bad_url_without_printing_the_token() {
        let err = Config::from_lookup(vars(&[(TOKEN_ENV, "  ")])).unwrap_err();
        assert!(err.to_string().contains(TOKEN_ENV), "{err}");
        let err = Config::from_lookup(vars(&[(TOKEN_ENV, "s3cret"), (BASE_URL_ENV, "ftp://x")]))
            .unwrap_err();
        assert!(err.to_string().contains(BASE_URL_ENV), "{err}");
        assert!(!format!("{err} {err:?}").contains("s3cret"));
    }
}
