//! Dialogue storage: the per-(chat, user) state of finite-state conversations.
//!
//! [`Storage`] is async and object safe so that an external store (Redis, SQLite) can implement it; values are
//! `serde_json::Value`s (the user's serde enum, serialized), every write carries the dialogue timeout as its
//! time to live, and [`Storage::compare_and_set`] lets a runner write only if nobody else wrote since it read
//! (two replicas of one bot cannot lose a write). [`MemoryStorage`] is the bounded in-memory default.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use botwire_core_types::max::{ChatId, ChatType, Update, UserId};
use serde_json::Value;

use crate::error::BoxError;

/// Whose conversation: one user in one chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DialogueKey {
    /// The chat.
    pub chat_id: ChatId,
    /// The user.
    pub user_id: UserId,
}

/// The user of a one-to-one dialog update (the dialog is the conversation with that user), `None` for
/// group chats, channels and updates that name no user.
pub(crate) fn dialog_user(update: &Update) -> Option<UserId> {
    match update {
        Update::MessageCreated(u) => {
            let m = u.message.as_ref()?;
            (m.recipient.chat_type == ChatType::Dialog).then_some(m.sender.as_ref()?.user_id)
        }
        Update::MessageEdited(u) => {
            let m = u.message.as_ref()?;
            (m.recipient.chat_type == ChatType::Dialog).then_some(m.sender.as_ref()?.user_id)
        }
        Update::MessageCallback(u) => {
            let group = u.message.as_ref().is_some_and(|m| {
                m.recipient.chat_id.is_some() && m.recipient.chat_type != ChatType::Dialog
            });
            (!group).then_some(u.callback.user.user_id)
        }
        Update::BotStarted(u) => Some(u.user.user_id),
        Update::BotStopped(u)
        | Update::DialogCleared(u)
        | Update::DialogRemoved(u)
        | Update::DialogUnmuted(u) => Some(u.user.user_id),
        Update::DialogMuted(u) => Some(u.user.user_id),
        _ => None,
    }
}

impl DialogueKey {
    /// The key of an update that names a user in a chat.
    ///
    /// In a one-to-one dialog the key is the user's: `chat_id` is `ChatId(user_id)`, because callbacks from
    /// dialogs have been seen without the dialog's chat id, and a text and a button press of one user must
    /// share their conversation. In group chats it is (chat, user).
    pub fn of(update: &Update) -> Option<Self> {
        if let Some(user) = dialog_user(update) {
            return Some(Self {
                chat_id: ChatId(user.get()),
                user_id: user,
            });
        }
        let (chat, user) = match update {
            Update::MessageCreated(u) => {
                let m = u.message.as_ref()?;
                (m.recipient.chat_id?, m.sender.as_ref()?.user_id)
            }
            Update::MessageEdited(u) => {
                let m = u.message.as_ref()?;
                (m.recipient.chat_id?, m.sender.as_ref()?.user_id)
            }
            Update::MessageCallback(u) => (
                u.message.as_ref().and_then(|m| m.recipient.chat_id)?,
                u.callback.user.user_id,
            ),
            _ => return None,
        };
        Some(Self {
            chat_id: chat,
            user_id: user,
        })
    }

    /// A flat spelling for external stores: `dialogue:<chat>:<user>`.
    pub fn storage_key(&self) -> String {
        format!("dialogue:{}:{}", self.chat_id.0, self.user_id.get())
    }
}

/// A stored state and its version (bumped by every write; the token for [`Storage::compare_and_set`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    /// The state, as JSON.
    pub value: Value,
    /// The version of this value.
    pub version: u64,
}

/// What a [`Storage::compare_and_set`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum CasOutcome {
    /// Written (or removed); the new version (`None` after a removal).
    Written(Option<u64>),
    /// The stored version was not the expected one; nothing changed.
    Conflict(Option<Versioned>),
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The backend failed (connection, protocol, …).
    #[error("dialogue backend: {0}")]
    Backend(BoxError),
    /// A state did not serialize or deserialize.
    #[error("dialogue state (de)serialization: {0}")]
    Serde(#[source] serde_json::Error),
    /// Someone else wrote this dialogue between our read and our write; our write was dropped.
    #[error("the dialogue {0} changed concurrently; the handler's state change was not stored")]
    Conflict(String),
    /// The update names no (chat, user), so it has no dialogue.
    #[error("this update has no (chat, user) dialogue")]
    NoDialogue,
}

/// Where dialogues live. Object safe (`Arc<dyn Storage>`), async, with real errors.
///
/// `ttl` is the dialogue timeout: a state not written for that long is gone (a store with native expiry, like
/// Redis `SET … PX`, maps it directly).
///
/// The runner reads a dialogue before the handler and writes it with [`Storage::compare_and_set`] after;
/// on [`CasOutcome::Conflict`] it runs the update again on the state the conflict returned (so an
/// implementation should return the current state there; `None` when nothing is stored), at most
/// [`CAS_ATTEMPTS`](crate::CAS_ATTEMPTS) times. Handlers whose side effects bypass the context's reply queue
/// (direct [`Context::api`](crate::Context::api) calls) can therefore run more than once per update.
///
/// A backend error (`Err`) is not retried: the update fails and the error reaches
/// [`Dispatcher::on_error`](crate::Dispatcher::on_error) as
/// [`HandlerError::Storage`](crate::HandlerError::Storage); the bot goes on with the next update. External
/// stores should bound every call (a timeout) so that an unreachable server gives an error rather than a hang.
#[async_trait::async_trait]
pub trait Storage: Send + Sync + 'static {
    /// The state of `key`, if any and not expired.
    async fn get(&self, key: &DialogueKey) -> Result<Option<Versioned>, StorageError>;

    /// Stores `value` unconditionally; returns its version.
    async fn set(
        &self,
        key: &DialogueKey,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<u64, StorageError>;

    /// Removes the state.
    async fn remove(&self, key: &DialogueKey) -> Result<(), StorageError>;

    /// Writes `value` (or removes when `None`) only if the stored version is `expected` (`None`: only if
    /// nothing is stored). The runner uses this after each handler.
    async fn compare_and_set(
        &self,
        key: &DialogueKey,
        expected: Option<u64>,
        value: Option<Value>,
        ttl: Option<Duration>,
    ) -> Result<CasOutcome, StorageError>;
}

/// A shared store: one `Arc` can back several dispatchers (replicas in one process, tests that inspect it).
#[async_trait::async_trait]
impl<S: Storage + ?Sized> Storage for Arc<S> {
    async fn get(&self, key: &DialogueKey) -> Result<Option<Versioned>, StorageError> {
        (**self).get(key).await
    }

    async fn set(
        &self,
        key: &DialogueKey,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<u64, StorageError> {
        (**self).set(key, value, ttl).await
    }

    async fn remove(&self, key: &DialogueKey) -> Result<(), StorageError> {
        (**self).remove(key).await
    }

    async fn compare_and_set(
        &self,
        key: &DialogueKey,
        expected: Option<u64>,
        value: Option<Value>,
        ttl: Option<Duration>,
    ) -> Result<CasOutcome, StorageError> {
        (**self).compare_and_set(key, expected, value, ttl).await
    }
}

/// Monotonic time for TTLs, injectable so tests can expire a dialogue without sleeping.
pub trait Clock: Send + Sync + 'static {
    /// Time since an arbitrary, fixed origin.
    fn now(&self) -> Duration;
}

/// The real clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that moves only when told (tests).
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now: Arc<Mutex<Duration>>,
}

impl ManualClock {
    /// A clock at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Default capacity of [`MemoryStorage`]: 100,000 dialogues.
pub const DEFAULT_MEMORY_CAPACITY: usize = 100_000;

/// The in-memory default: bounded (when full, expired states go first, then the one closest to expiry), with
/// TTL. Lives in one process: use an external store to share dialogues between replicas.
pub struct MemoryStorage {
    inner: Mutex<MemInner>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStorage")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

struct Entry {
    value: Value,
    version: u64,
    order: (Duration, u64),
}

struct MemInner {
    map: HashMap<DialogueKey, Entry>,
    /// (expiry or `Duration::MAX`, insertion sequence) → key: the eviction order.
    by_expiry: BTreeSet<((Duration, u64), DialogueKey)>,
    capacity: usize,
    seq: u64,
}

impl Default for MemoryStorage {
    fn default() -> Self {
        Self::new(DEFAULT_MEMORY_CAPACITY)
    }
}

impl MemoryStorage {
    /// Holds at most `capacity` dialogues (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self::with_clock(capacity, SystemClock::default())
    }

    /// With an injected clock (tests: [`ManualClock`]).
    pub fn with_clock(capacity: usize, clock: impl Clock) -> Self {
        Self {
            inner: Mutex::new(MemInner {
                map: HashMap::new(),
                by_expiry: BTreeSet::new(),
                capacity: capacity.max(1),
                seq: 0,
            }),
            clock: Arc::new(clock),
        }
    }

    /// Live dialogues (expired ones still count until touched or evicted).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get_now(&self, key: &DialogueKey) -> Option<Versioned> {
        let now = self.clock.now();
        self.lock().get(key, now)
    }

    fn write(&self, key: &DialogueKey, value: Value, ttl: Option<Duration>) -> u64 {
        let now = self.clock.now();
        self.lock().write(key, value, ttl, now)
    }
}

impl MemInner {
    fn get(&mut self, key: &DialogueKey, now: Duration) -> Option<Versioned> {
        let expired = self.map.get(key).map(|e| e.order.0 <= now)?;
        if expired {
            self.remove(key);
            return None;
        }
        self.map.get(key).map(|e| Versioned {
            value: e.value.clone(),
            version: e.version,
        })
    }

    fn write(
        &mut self,
        key: &DialogueKey,
        value: Value,
        ttl: Option<Duration>,
        now: Duration,
    ) -> u64 {
        self.remove(key);
        while self.map.len() >= self.capacity {
            // Expired entries sort first (earliest expiry); otherwise the one closest to expiring goes.
            let Some(first) = self.by_expiry.iter().next().map(|(_, k)| *k) else {
                break;
            };
            self.remove(&first);
        }
        self.seq += 1;
        // The write sequence is the version: never handed out twice, also not after a removal, so a runner that
        // read an old dialogue cannot compare-and-set over a newer one that happens to count the same.
        let version = self.seq;
        let expiry = ttl.map_or(Duration::MAX, |t| now.saturating_add(t));
        let order = (expiry, self.seq);
        self.by_expiry.insert((order, *key));
        self.map.insert(
            *key,
            Entry {
                value,
                version,
                order,
            },
        );
        version
    }

    fn remove(&mut self, key: &DialogueKey) {
        if let Some(e) = self.map.remove(key) {
            self.by_expiry.remove(&(e.order, *key));
        }
    }
}

#[async_trait::async_trait]
impl Storage for MemoryStorage {
    async fn get(&self, key: &DialogueKey) -> Result<Option<Versioned>, StorageError> {
        Ok(self.get_now(key))
    }

    async fn set(
        &self,
        key: &DialogueKey,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<u64, StorageError> {
        Ok(self.write(key, value, ttl))
    }

    async fn remove(&self, key: &DialogueKey) -> Result<(), StorageError> {
        self.lock().remove(key);
        Ok(())
    }

    async fn compare_and_set(
        &self,
        key: &DialogueKey,
        expected: Option<u64>,
        value: Option<Value>,
        ttl: Option<Duration>,
    ) -> Result<CasOutcome, StorageError> {
        // The check and the write under one lock: atomic within the process.
        let now = self.clock.now();
        let mut inner = self.lock();
        let current = inner.get(key, now);
        if current.as_ref().map(|v| v.version) != expected {
            return Ok(CasOutcome::Conflict(current));
        }
        Ok(match value {
            Some(v) => CasOutcome::Written(Some(inner.write(key, v, ttl, now))),
            None => {
                inner.remove(key);
                CasOutcome::Written(None)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    /// The in-memory store keeps the contract the external ones are held to.
    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn memory_storage_keeps_the_storage_contract() {
        crate::testing::check_storage_contract(&MemoryStorage::default()).await;
    }

    use super::*;
    use crate::runtime::block_on;

    fn key(n: i64) -> DialogueKey {
        DialogueKey {
            chat_id: ChatId(n),
            user_id: UserId::from(n),
        }
    }

    #[test]
    fn ttl_expires_on_the_injected_clock() {
        let clock = ManualClock::new();
        let store = MemoryStorage::with_clock(10, clock.clone());
        block_on(store.set(&key(1), Value::from(1), Some(Duration::from_secs(60)))).unwrap();
        clock.advance(Duration::from_secs(59));
        assert!(block_on(store.get(&key(1))).unwrap().is_some());
        clock.advance(Duration::from_secs(1));
        assert_eq!(block_on(store.get(&key(1))).unwrap(), None);
    }

    #[test]
    fn bounded_evicts_closest_to_expiry() {
        let store = MemoryStorage::new(2);
        block_on(store.set(&key(1), Value::from(1), Some(Duration::from_secs(10)))).unwrap();
        block_on(store.set(&key(2), Value::from(2), Some(Duration::from_secs(100)))).unwrap();
        block_on(store.set(&key(3), Value::from(3), Some(Duration::from_secs(100)))).unwrap();
        assert_eq!(store.len(), 2);
        assert_eq!(block_on(store.get(&key(1))).unwrap(), None);
        assert!(block_on(store.get(&key(3))).unwrap().is_some());
    }

    #[test]
    fn compare_and_set_refuses_a_stale_version() {
        let store = MemoryStorage::new(10);
        let v1 =
            block_on(store.compare_and_set(&key(1), None, Some(Value::from("a")), None)).unwrap();
        assert_eq!(v1, CasOutcome::Written(Some(1)));
        let stale =
            block_on(store.compare_and_set(&key(1), None, Some(Value::from("b")), None)).unwrap();
        assert!(matches!(stale, CasOutcome::Conflict(Some(_))));
        let v2 = block_on(store.compare_and_set(&key(1), Some(1), Some(Value::from("c")), None))
            .unwrap();
        assert_eq!(v2, CasOutcome::Written(Some(2)));
        assert_eq!(
            block_on(store.get(&key(1))).unwrap().unwrap().value,
            Value::from("c")
        );
    }
}
