//! Shared state for a fleet of [botwire](https://docs.rs/botwire-bot) bot replicas, on Redis.
//!
//! A bot that outgrows one process runs several webhook replicas behind a load balancer. MAX's limits are per
//! bot token, a user's next update may land on another replica, and MAX redelivers a delivery that timed out to
//! any replica. This crate keeps what the replicas must share in Redis:
//!
//! - [`RedisStorage`]: dialogue state per (bot, chat, user) as JSON with the dialogue timeout as TTL; the
//!   dispatcher's compare-and-set is one Lua script, so updates of one conversation on two replicas at once
//!   lose no write (the loser runs again on the winner's state).
//! - [`RedisDedup`] (feature `webhook`): one webhook de-duplication window (`SET NX PX`, 8 hours: MAX's
//!   redelivery span) for all replicas.
//! - [`testing::RedisServer`] (feature `testing`): a private `redis-server` on a free port for tests.
//!
//! Every key carries the bot's name in a `{…}` hash tag (`botwire:{<bot>}:…`), so one bot's keys share a Redis
//! Cluster slot and a multi-key script is legal there.

#[cfg(feature = "webhook")]
mod dedup;
mod link;
mod storage;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "webhook")]
pub use dedup::{DEFAULT_DEDUP_TTL, DedupStats, RedisDedup};
pub use link::{DEFAULT_COMMAND_TIMEOUT, RedisOptions, StoreError};
pub use storage::RedisStorage;
