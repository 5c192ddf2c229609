//! Shared state for a fleet of [botwire](https://docs.rs/botwire-bot) bot replicas, on Redis.
//!
//! A bot that outgrows one process runs several webhook replicas behind a load balancer. MAX's limits are per
//! bot token, a user's next update may land on another replica, and MAX redelivers a delivery that timed out to
//! any replica. This crate keeps what the replicas must share in Redis:
//!
//! - [`RedisPacer`]: one rate budget for the whole fleet, plugged into the transport's
//!   [`Throttle`](botwire_transport::Throttle) with `with_pacer` — one Redis round trip per request, a 429 seen
//!   by one replica pauses all, local pacing at a share of the limits while Redis is down.
//! - [`RedisStorage`]: dialogue state per (bot, chat, user) as JSON with the dialogue timeout as TTL; the
//!   dispatcher's compare-and-set is one Lua script, so updates of one conversation on two replicas at once
//!   lose no write (the loser runs again on the winner's state).
//! - [`RedisDedup`] (feature `webhook`): one webhook de-duplication window (`SET NX PX`, 8 hours: MAX's
//!   redelivery span) for all replicas.
//! - [`testing::RedisServer`] (feature `testing`): a private `redis-server` on a free port for tests.
//!
//! Every key carries the bot's name in a `{…}` hash tag (`botwire:{<bot>}:…`), so one bot's keys share a Redis
//! Cluster slot and a multi-key script is legal there.
//!
//! # Shared dialogues and dedup
//!
//! Every replica connects with the same bot name (a name or id of yours — never the token: keys are visible
//! to anyone who can read the Redis) and hands the stores to its dispatcher and webhook:
//!
//! ```no_run
//! # #[cfg(feature = "webhook")]
//! # async fn replica() -> Result<(), Box<dyn std::error::Error>> {
//! use botwire_bot::webhook::WebhookOptions;
//! use botwire_bot::{Dispatcher, Router};
//! use botwire_max::webhook::WebhookConfig;
//! use botwire_redis::{RedisDedup, RedisStorage};
//!
//! let url = "redis://redis.internal:6379/";
//! let dispatcher = Dispatcher::new(Router::new())
//!     .storage(RedisStorage::connect(url, "shop_bot").await?);
//! let options = WebhookOptions::new(WebhookConfig::with_secret("long_random_secret"))
//!     .dedup(RedisDedup::connect(url, "shop_bot").await?);
//! // dispatcher.serve_webhook(listener, client, options, stop).await?;
//! # let _ = (dispatcher, options);
//! # Ok(()) }
//! ```
//!
//! Store round trips per update: one `HMGET` before the handler and, when the handler changed the state,
//! one `EVALSHA` (compare-and-set) after it; a conflict with another replica costs one more `EVALSHA` per
//! re-run (the first re-run starts from the winner's state the conflict answer carries; later ones, after a
//! short jittered pause, read again with one `HMGET`). The webhook adds one `SET NX PX` per delivery.
//!
//! # Degraded mode: Redis down or slow
//!
//! Every command is bounded by [`RedisOptions::command_timeout`] (1 s by default), the wait for a
//! reconnection included, so a dead, restarting or stalled Redis gives errors, never a hang or a panic:
//!
//! - **Dialogues** ([`RedisStorage`]): the update whose dialogue cannot be read or written fails with
//!   [`botwire_bot::StorageError::Backend`] (a [`StoreError`] inside, e.g. `redis: broken pipe` or `redis did
//!   not answer within 1s`). The dispatcher's error hook receives it as `HandlerError::Storage`; the handler's
//!   queued replies are not sent (they assumed a state that was not stored). Other updates go on; on a
//!   webhook the failed update was already acknowledged, so it is not redelivered.
//! - **Dedup** ([`RedisDedup`]): falls back to this replica's in-memory window for that call, logs a warning
//!   and counts it ([`DedupStats::fallbacks`]): delivery becomes at-least-once across replicas while Redis is
//!   away, never at-most-once.
//! - **Recovery**: the connection ([`redis::aio::ConnectionManager`]) reconnects by itself with short
//!   back-off ([`RedisOptions::max_reconnect_delay`], 500 ms); the first commands after Redis is back succeed
//!   (in the tests: within about 0.5–1.5 s of the restart). A Redis restarted without persistence has lost its
//!   dialogues and dedup marks; configure AOF/RDB if conversations must outlive a Redis restart.
//! - **At start**: `connect` fails (within the command timeout) if Redis cannot be reached, so a replica
//!   does not start half-configured.
//!
//! The stores need a tokio runtime to connect; calls from threads without one (the blocking runner) are
//! run on the runtime they were connected on, which must stay alive and be multi-threaded.

#[cfg(feature = "webhook")]
mod dedup;
mod link;
pub mod pacer;
mod storage;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "webhook")]
pub use dedup::{DEFAULT_DEDUP_TTL, DedupStats, RedisDedup};
pub use link::{DEFAULT_COMMAND_TIMEOUT, RedisOptions, StoreError};
pub use pacer::{PacerStats, RedisPacer};
pub use storage::RedisStorage;

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
