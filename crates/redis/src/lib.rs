//! Shared state for a fleet of [botwire](https://docs.rs/botwire-bot) bot replicas, on Redis.
//!
//! A bot that outgrows one process runs several webhook replicas behind a load balancer. MAX's limits are per
//! bot token, a user's next update may land on another replica, and MAX redelivers a delivery that timed out to
//! any replica. This crate keeps what the replicas must share in Redis:
//!
//! - [`testing::RedisServer`] (feature `testing`): a private `redis-server` on a free port for tests.
//!
//! Every key carries the bot's name in a `{…}` hash tag (`botwire:{<bot>}:…`), so one bot's keys share a Redis
//! Cluster slot and a multi-key script is legal there.

#[cfg(feature = "testing")]
pub mod testing;
