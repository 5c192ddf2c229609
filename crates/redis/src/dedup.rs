//! [`RedisDedup`]: one webhook de-duplication window for every replica behind the webhook URL.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use botwire_bot::webhook::{Dedup, MemoryDedup};

use crate::link::{Link, RedisOptions, StoreError, key_prefix};

/// Default dedup window: 8 hours, MAX's redelivery span (10 retries over 8 hours).
pub const DEFAULT_DEDUP_TTL: Duration = Duration::from_secs(8 * 3600);

/// Counters of a [`RedisDedup`] (shared by its clones).
#[derive(Debug, Default)]
pub struct DedupStats {
    redis: AtomicU64,
    duplicates: AtomicU64,
    fallbacks: AtomicU64,
}

impl DedupStats {
    /// Identities checked in Redis.
    pub fn checked_in_redis(&self) -> u64 {
        self.redis.load(Ordering::SeqCst)
    }

    /// Deliveries found to be duplicates (in Redis or, in degraded mode, locally).
    pub fn duplicates(&self) -> u64 {
        self.duplicates.load(Ordering::SeqCst)
    }

    /// Checks that Redis could not answer (error or timeout) and the local window decided instead.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::SeqCst)
    }
}

/// The webhook's de-duplication window in Redis, shared by every replica: implements
/// [`botwire_bot::webhook::Dedup`] (give it to [`WebhookOptions::dedup`](botwire_bot::webhook::WebhookOptions::dedup)).
///
/// Each accepted delivery is `SET botwire:{<bot>}:seen:<update identity> 1 NX PX <ttl>`: the first replica to
/// see an update wins, every later copy (a redelivery of MAX, on any replica) is acknowledged and dropped
/// for the window ([`DEFAULT_DEDUP_TTL`], 8 hours). A delivery refused with 503 is forgotten (`DEL`) so its
/// redelivery is handled.
///
/// **Degraded mode: at least once.** When Redis fails or does not answer within the command timeout, the
/// check falls back to a local [`MemoryDedup`] of this replica (which also remembers every identity this
/// replica accepted through Redis), logs a warning and counts it in [`DedupStats::fallbacks`]. A copy that
/// lands on the same replica is still dropped; a copy that lands on another replica while Redis is away is
/// handled again. A delivery is not dropped because Redis is down — with one exception: a delivery refused
/// with 503 (queue full) whose `DEL` cannot reach Redis keeps its mark, so its redelivery is taken for a
/// duplicate (logged at WARN). Once Redis answers again the shared window is used again (the connection
/// reconnects by itself).
#[derive(Clone)]
pub struct RedisDedup {
    link: Link,
    prefix: String,
    ttl_ms: u64,
    local: Arc<MemoryDedup>,
    stats: Arc<DedupStats>,
}

impl std::fmt::Debug for RedisDedup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisDedup")
            .field("prefix", &self.prefix)
            .field("ttl_ms", &self.ttl_ms)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl RedisDedup {
    /// Connects to `url` for the bot named `bot` (the same name on every replica, never the token) with the
    /// default window of [`DEFAULT_DEDUP_TTL`].
    pub async fn connect(url: &str, bot: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, bot, RedisOptions::default()).await
    }

    /// [`RedisDedup::connect`] with explicit [`RedisOptions`].
    pub async fn connect_with(
        url: &str,
        bot: &str,
        options: RedisOptions,
    ) -> Result<Self, StoreError> {
        let prefix = key_prefix(bot)?;
        let client = redis::Client::open(url)?;
        let link = Link::connect(client, &options).await?;
        Ok(Self {
            link,
            prefix: format!("{prefix}seen:"),
            ttl_ms: millis(DEFAULT_DEDUP_TTL),
            local: Arc::new(MemoryDedup::default()),
            stats: Arc::default(),
        })
    }

    /// Sets the window (at least 1 ms).
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl_ms = millis(ttl);
        self
    }

    /// The counters.
    pub fn stats(&self) -> Arc<DedupStats> {
        self.stats.clone()
    }

    /// The Redis key of an update identity: `botwire:{<bot>}:seen:<id>`.
    pub fn key(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    async fn set_nx(&self, id: &str) -> Result<bool, StoreError> {
        let (key, ttl) = (self.key(id), self.ttl_ms);
        let answer: Option<String> = self
            .link
            .run(move |mut conn| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        Ok(answer.is_some())
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait::async_trait]
impl Dedup for RedisDedup {
    async fn first_seen(&self, id: &str) -> bool {
        let first = match self.set_nx(id).await {
            Ok(first) => {
                self.stats.redis.fetch_add(1, Ordering::SeqCst);
                // Kept locally too, so that degraded mode still knows what this replica accepted.
                let _ = self.local.first_seen(id).await;
                first
            }
            Err(error) => {
                self.stats.fallbacks.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(
                    %error,
                    update_id = %id,
                    "redis dedup unavailable: deciding with this replica's local window (at least once)"
                );
                self.local.first_seen(id).await
            }
        };
        if !first {
            self.stats.duplicates.fetch_add(1, Ordering::SeqCst);
        }
        first
    }

    async fn forget(&self, id: &str) {
        self.local.forget(id).await;
        let key = self.key(id);
        let result = self
            .link
            .run(move |mut conn| async move {
                redis::cmd("DEL")
                    .arg(key)
                    .query_async::<i64>(&mut conn)
                    .await
            })
            .await;
        if let Err(error) = result {
            // The redelivery will then be taken for a duplicate on every replica until the window ends:
            // nothing better can be done without Redis.
            tracing::warn!(%error, update_id = %id, "redis dedup could not forget a refused delivery");
        }
    }
}
