//! Shared state for a fleet of [botwire](https://docs.rs/botwire-bot) bot replicas, on Redis.
//!
//! A bot that outgrows one process runs several webhook replicas behind a load balancer. MAX's limits are per
//! bot token, a user's next update may land on another replica, and MAX redelivers a delivery that timed out to
//! any replica. This crate keeps what the replicas must share in Redis:
//!
//! - [`RedisPacer`]: one rate budget for the whole fleet, plugged into the transport's
//!   [`Throttle`](botwire_transport::Throttle) with `with_pacer` — one Redis round trip per request, a 429 seen
//!   by one replica pauses all, local pacing at a share of the limits while Redis is down.
//! - [`testing::RedisServer`] (feature `testing`): a private `redis-server` on a free port for tests.
//!
//! Every key carries the bot's name in a `{…}` hash tag (`botwire:{<bot>}:…`), so one bot's keys share a Redis
//! Cluster slot and a multi-key script is legal there.

pub mod pacer;
#[cfg(feature = "testing")]
pub mod testing;

pub use pacer::{PacerStats, RedisPacer};

/// What can go wrong setting up a Redis-backed component.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL did not parse, or Redis refused.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The bot name cannot be used in a key.
    #[error("bot name {0:?}: {1}")]
    BotName(String, &'static str),
}

/// The name every key of one bot carries (its username or id: the same on every replica, never the token).
///
/// It becomes the key's hash tag, `botwire:{<name>}:…`, so it must be non-empty and hold no `{`, `}` or
/// whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BotName(String);

impl BotName {
    /// Checks `name`.
    ///
    /// ```
    /// assert!(botwire_redis::BotName::new("order_bot").is_ok());
    /// assert!(botwire_redis::BotName::new("a{b}").is_err());
    /// ```
    pub fn new(name: impl Into<String>) -> Result<Self, Error> {
        let name = name.into();
        let reason = if name.is_empty() {
            Some("empty")
        } else if name.contains(['{', '}']) {
            Some("holds a brace (it is the key's hash tag)")
        } else if name.chars().any(char::is_whitespace) {
            Some("holds whitespace")
        } else if name.len() > 128 {
            Some("longer than 128 bytes")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(Error::BotName(name, reason)),
            None => Ok(Self(name)),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `botwire:{<name>}`: the start of every key of this bot.
    pub fn prefix(&self) -> String {
        format!("botwire:{{{}}}", self.0)
    }
}
