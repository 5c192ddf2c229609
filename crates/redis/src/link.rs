//! The connection the storage and the dedup share: a reconnecting [`ConnectionManager`], a bound on every
//! command, and a tokio runtime handle so the calls also work from the blocking runner's threads.

use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Default bound on one Redis command (including the wait for a reconnection): 1 s.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(1);

/// Connection settings of [`RedisStorage`](crate::RedisStorage) and [`RedisDedup`](crate::RedisDedup).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisOptions {
    /// Bound on one command, the wait for a (re)connection included (default [`DEFAULT_COMMAND_TIMEOUT`]). A
    /// slow or unreachable Redis makes the call fail after this long instead of hanging the update.
    pub command_timeout: Duration,
    /// Longest pause between two reconnection attempts while Redis is away (default 500 ms): roughly how
    /// long after Redis is back the first command succeeds again.
    pub max_reconnect_delay: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            max_reconnect_delay: Duration::from_millis(500),
        }
    }
}

impl RedisOptions {
    /// Sets the bound on one command (at least 1 ms).
    #[must_use]
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets the longest pause between reconnection attempts (at least 10 ms).
    #[must_use]
    pub fn max_reconnect_delay(mut self, delay: Duration) -> Self {
        self.max_reconnect_delay = delay.max(Duration::from_millis(10));
        self
    }
}

/// A failure of the Redis-backed stores. Never contains the connection URL (it may hold a password).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Redis answered with an error, or the connection failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// No answer within [`RedisOptions::command_timeout`].
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// The bot name cannot be part of a key.
    #[error(
        "invalid bot name {0:?}: 1 to 128 characters, no braces, whitespace or control characters"
    )]
    InvalidBotName(String),
    /// A stored dialogue is not in the format this crate writes.
    #[error("dialogue {key} is malformed in redis: {reason}")]
    Malformed {
        /// The Redis key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `connect` was called outside a tokio runtime.
    #[error("connecting to redis needs a tokio runtime (with the time and IO drivers enabled)")]
    NoRuntime,
    /// The tokio runtime the store was created on is gone (a call from the blocking runner).
    #[error("the tokio runtime this store was connected on has shut down")]
    RuntimeGone,
}

impl From<StoreError> for botwire_bot::StorageError {
    fn from(e: StoreError) -> Self {
        botwire_bot::StorageError::Backend(Box::new(e))
    }
}

/// Checks a bot name ([`BotName`](crate::BotName)'s rules) and returns the key prefix `botwire:{<bot>}:`.
pub(crate) fn key_prefix(bot: &str) -> Result<String, StoreError> {
    crate::BotName::new(bot)
        .map(|name| format!("{}:", name.prefix()))
        .map_err(|_| StoreError::InvalidBotName(bot.to_owned()))
}

#[derive(Clone)]
pub(crate) struct Link {
    conn: ConnectionManager,
    timeout: Duration,
    runtime: tokio::runtime::Handle,
}

impl Link {
    /// Connects (fails if Redis cannot be reached now, within the command timeout). Must be called inside a
    /// tokio runtime with the time and IO drivers; that runtime serves every later call.
    pub(crate) async fn connect(
        client: redis::Client,
        options: &RedisOptions,
    ) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StoreError::NoRuntime)?;
        let max_delay = u64::try_from(options.max_reconnect_delay.as_millis()).unwrap_or(u64::MAX);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(options.command_timeout)
            .set_response_timeout(options.command_timeout)
            // Few, short attempts per reconnection: the next command after a failed one starts a new round, so
            // a Redis that comes back is found within about `max_reconnect_delay`.
            .set_number_of_retries(3)
            .set_factor(50)
            .set_max_delay(max_delay);
        let timeout = options.command_timeout;
        let conn =
            match tokio::time::timeout(timeout, ConnectionManager::new_with_config(client, config))
                .await
            {
                Ok(conn) => conn?,
                Err(_) => return Err(StoreError::Timeout(timeout)),
            };
        Ok(Self {
            conn,
            timeout,
            runtime,
        })
    }

    /// Runs `op` on a clone of the connection within the command timeout. Outside a tokio runtime (the
    /// blocking runner's threads) the call is spawned on the runtime the link was made on.
    pub(crate) async fn run<T, F>(
        &self,
        op: impl FnOnce(ConnectionManager) -> F,
    ) -> Result<T, StoreError>
    where
        F: Future<Output = redis::RedisResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        let timeout = self.timeout;
        let work = op(self.conn.clone());
        let bounded = async move {
            match tokio::time::timeout(timeout, work).await {
                // The connection's own response timeout (the same bound) says the same thing.
                Ok(Err(e)) if e.is_timeout() => Err(StoreError::Timeout(timeout)),
                Ok(result) => result.map_err(StoreError::Redis),
                Err(_) => Err(StoreError::Timeout(timeout)),
            }
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            bounded.await
        } else {
            self.runtime
                .spawn(bounded)
                .await
                .map_err(|_| StoreError::RuntimeGone)?
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bot_names_become_a_hash_tag_and_bad_ones_are_refused() {
        assert_eq!(
            key_prefix("shop_bot").ok().as_deref(),
            Some("botwire:{shop_bot}:")
        );
        assert_eq!(
            key_prefix("1234567").ok().as_deref(),
            Some("botwire:{1234567}:")
        );
        for bad in ["", "a b", "x{y", "x}y", "tab\there", &"n".repeat(129)] {
            assert!(
                matches!(key_prefix(bad), Err(StoreError::InvalidBotName(_))),
                "{bad:?} was accepted"
            );
        }
    }
}
