//! [`RedisStorage`]: dialogues shared by every replica of a bot.

use std::sync::LazyLock;
use std::time::Duration;

use botwire_bot::dialogue::{CasOutcome, Versioned};
use botwire_bot::{DialogueKey, Storage, StorageError};
use redis::Script;
use serde_json::Value;

use crate::link::{Link, RedisOptions, StoreError, key_prefix};

/// The one write path: a compare-and-set (or an unconditional set) as one atomic script.
///
/// `KEYS[1]` the dialogue hash (`version`, `json`), `KEYS[2]` the bot's version counter (same hash tag, same
/// slot). `ARGV[1]` the expected version (`""`: nothing stored, `"*"`: any), `ARGV[2]` the new JSON (`""`
/// with `ARGV[4] == "del"`: remove), `ARGV[3]` the time to live in ms (`0`: none), `ARGV[4]` `"set"`/`"del"`.
///
/// Returns `{1, version}` when written, `{1}` when removed, `{0}` on a conflict with nothing stored and
/// `{0, version, json}` on a conflict with a stored state. Versions come from one counter per bot, so a
/// version is never reused — not even after a dialogue was removed and started again (no ABA).
const CAS_LUA: &str = r"
local cur = redis.call('HMGET', KEYS[1], 'version', 'json')
local have = cur[1]
local want = ARGV[1]
if want ~= '*' then
  if (want == '' and have) or (want ~= '' and have ~= want) then
    if have then return {0, have, cur[2]} end
    return {0}
  end
end
if ARGV[4] == 'del' then
  redis.call('DEL', KEYS[1])
  return {1}
end
local v = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'version', v, 'json', ARGV[2])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('PERSIST', KEYS[1])
end
return {1, v}
";

/// The longest time to live a write carries: 100 years.
const MAX_TTL_MS: u64 = 100 * 365 * 24 * 3600 * 1000;

static CAS: LazyLock<Script> = LazyLock::new(|| Script::new(CAS_LUA));

/// Dialogue storage on Redis, shared by every replica of one bot: implements [`botwire_bot::Storage`].
///
/// - **Keys**: `botwire:{<bot>}:dialogue:<chat>:<user>` (a hash of `version` and `json`), plus one counter
///   `botwire:{<bot>}:dialogue-version` that hands out versions. The bot's name is a Redis Cluster hash tag,
///   so the script's two keys share a slot.
/// - **TTL**: every write carries the dispatcher's dialogue timeout as `PEXPIRE`; Redis drops the state
///   itself.
/// - **Compare-and-set**: one Lua script (`EVALSHA`, loaded again after a Redis restart), atomic on the
///   server. Two replicas that handle updates of one conversation at the same time cannot both write: the
///   loser gets the winner's state back and the dispatcher runs its update again on it
///   ([`botwire_bot::CAS_ATTEMPTS`]).
/// - **Failures**: every command is bounded by [`RedisOptions::command_timeout`] (1 s by default). A slow,
///   unreachable or restarting Redis makes the call fail with [`StorageError::Backend`] (a [`StoreError`]
///   inside), which fails that update and reaches the dispatcher's error hook; nothing panics or hangs. The
///   connection ([`redis::aio::ConnectionManager`]) reconnects in the background, and dialogues work again
///   as soon as Redis answers. A Redis restarted without persistence has lost its dialogues: those users
///   start over.
///
/// Needs a tokio runtime to connect; the runtime it was connected on then also serves calls made from
/// threads without one (the blocking runner): keep it alive, and make it a multi-threaded runtime (its
/// worker threads drive those calls; a current-thread runtime nobody is blocking on would not).
#[derive(Clone)]
pub struct RedisStorage {
    link: Link,
    prefix: String,
    counter: String,
}

impl std::fmt::Debug for RedisStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStorage")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStorage {
    /// Connects to `url` (`redis://host:port/db`, `rediss://…`, `redis+unix://…`) for the bot named `bot` —
    /// a name or numeric id of your choice, the same on every replica, **never the token** (keys are visible
    /// to anyone who can read the Redis). Fails if the URL is invalid, the name is not usable in a key, or
    /// Redis does not answer within the command timeout.
    pub async fn connect(url: &str, bot: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, bot, RedisOptions::default()).await
    }

    /// [`RedisStorage::connect`] with explicit [`RedisOptions`].
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
            counter: format!("{prefix}dialogue-version"),
            prefix,
        })
    }

    /// The Redis key of a dialogue: `botwire:{<bot>}:dialogue:<chat>:<user>`.
    pub fn key(&self, key: &DialogueKey) -> String {
        format!("{}{}", self.prefix, key.storage_key())
    }

    async fn cas(
        &self,
        key: &DialogueKey,
        expected: &str,
        value: Option<Value>,
        ttl: Option<Duration>,
    ) -> Result<CasOutcome, StorageError> {
        let redis_key = self.key(key);
        let (json, op) = match &value {
            Some(v) => (
                serde_json::to_string(v).map_err(StorageError::Serde)?,
                "set",
            ),
            None => (String::new(), "del"),
        };
        // A positive TTL below 1 ms still expires (rather than meaning "none"); a huge one is capped where Lua's
        // numbers and PEXPIRE stay exact.
        let ttl_ms = ttl.map_or(0, |t| {
            u64::try_from(t.as_millis())
                .unwrap_or(u64::MAX)
                .clamp(1, MAX_TTL_MS)
        });
        let (k, c, expected) = (redis_key.clone(), self.counter.clone(), expected.to_owned());
        let reply: Vec<redis::Value> = self
            .link
            .run(move |mut conn| async move {
                CAS.key(k)
                    .key(c)
                    .arg(expected)
                    .arg(json)
                    .arg(ttl_ms)
                    .arg(op)
                    .invoke_async(&mut conn)
                    .await
            })
            .await?;
        decode_cas(&redis_key, &reply).map_err(StorageError::from)
    }
}

fn malformed(key: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Malformed {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

fn decode_versioned(
    key: &str,
    version: &redis::Value,
    json: &redis::Value,
) -> Result<Versioned, StoreError> {
    let version: u64 =
        redis::from_redis_value(version).map_err(|e| malformed(key, format!("version: {e}")))?;
    let json: String =
        redis::from_redis_value(json).map_err(|e| malformed(key, format!("json: {e}")))?;
    let value = serde_json::from_str(&json).map_err(|e| malformed(key, format!("json: {e}")))?;
    Ok(Versioned { value, version })
}

fn decode_cas(key: &str, reply: &[redis::Value]) -> Result<CasOutcome, StoreError> {
    let flag: i64 = match reply.first() {
        Some(v) => redis::from_redis_value(v).map_err(|e| malformed(key, e.to_string()))?,
        None => return Err(malformed(key, "empty script reply")),
    };
    match (flag, &reply[1..]) {
        (1, []) => Ok(CasOutcome::Written(None)),
        (1, [v]) => Ok(CasOutcome::Written(Some(
            redis::from_redis_value(v).map_err(|e| malformed(key, e.to_string()))?,
        ))),
        (0, []) => Ok(CasOutcome::Conflict(None)),
        (0, [version, json]) => Ok(CasOutcome::Conflict(Some(decode_versioned(
            key, version, json,
        )?))),
        _ => Err(malformed(key, format!("unexpected script reply {reply:?}"))),
    }
}

#[async_trait::async_trait]
impl Storage for RedisStorage {
    async fn get(&self, key: &DialogueKey) -> Result<Option<Versioned>, StorageError> {
        let redis_key = self.key(key);
        let k = redis_key.clone();
        let (version, json): (redis::Value, redis::Value) = self
            .link
            .run(move |mut conn| async move {
                redis::cmd("HMGET")
                    .arg(k)
                    .arg("version")
                    .arg("json")
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        match (&version, &json) {
            (redis::Value::Nil, redis::Value::Nil) => Ok(None),
            _ => Ok(Some(decode_versioned(&redis_key, &version, &json)?)),
        }
    }

    async fn set(
        &self,
        key: &DialogueKey,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<u64, StorageError> {
        match self.cas(key, "*", Some(value), ttl).await? {
            CasOutcome::Written(Some(version)) => Ok(version),
            other => Err(malformed(
                &self.key(key),
                format!("unconditional set answered {other:?}"),
            )
            .into()),
        }
    }

    async fn remove(&self, key: &DialogueKey) -> Result<(), StorageError> {
        let k = self.key(key);
        self.link
            .run(move |mut conn| async move {
                redis::cmd("DEL").arg(k).query_async::<i64>(&mut conn).await
            })
            .await?;
        Ok(())
    }

    async fn compare_and_set(
        &self,
        key: &DialogueKey,
        expected: Option<u64>,
        value: Option<Value>,
        ttl: Option<Duration>,
    ) -> Result<CasOutcome, StorageError> {
        let expected = expected.map(|v| v.to_string()).unwrap_or_default();
        self.cas(key, &expected, value, ttl).await
    }
}
