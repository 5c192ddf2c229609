//! Durable dialogue storage for a [botwire](https://docs.rs/botwire-bot) bot on one machine: SQLite in a
//! file, compiled in (`rusqlite` with the bundled library), no server to run. Conversations survive a
//! restart, a crash or a deploy of the bot process.
//!
//! ```no_run
//! use botwire_bot::{Dispatcher, Router};
//! use botwire_sqlite::SqliteStorage;
//!
//! # fn main() -> Result<(), botwire_sqlite::SqliteError> {
//! let storage = SqliteStorage::open("bot-dialogues.db", "shop_bot")?;
//! let dispatcher = Dispatcher::new(Router::new()).storage(storage);
//! // dispatcher.run_polling(client, PollConfig::default(), stop).await?;
//! # let _ = dispatcher;
//! # Ok(()) }
//! ```
//!
//! # How it stores
//!
//! - One table `botwire_dialogues` keyed by (bot, chat, user) holding the state as JSON, its version and its
//!   expiry (Unix ms, `NULL` for none). Several bots may share one file: each opens it with its own name.
//! - Versions come from one counter per bot (`botwire_dialogue_versions`), so a version is never handed out
//!   twice, even after a dialogue ended and started again, or across restarts.
//! - [`Storage::compare_and_set`] is one `BEGIN IMMEDIATE` transaction: read, compare, write. Several
//!   processes on one file are serialised by SQLite's write lock (waiting up to a busy timeout of 5 s).
//! - TTL: an expired state is never returned; it is deleted when read, and every 256 writes all expired rows
//!   are purged (so the file does not grow with abandoned conversations).
//! - WAL journal with `synchronous = NORMAL`: a committed state survives the process being killed; a power
//!   loss may lose the last few writes.
//! - All SQLite work runs on one dedicated thread per store; the async methods only wait for its answer, so
//!   they never block a tokio runtime, and they work on the blocking runner (no runtime needed at all).
//!
//! Errors (a disk full, a locked file past the busy timeout, a corrupted row) are [`SqliteError`]s inside
//! [`StorageError::Backend`]: that update fails and reaches the dispatcher's error hook; the bot goes on.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use botwire_bot::dialogue::{CasOutcome, Versioned};
use botwire_bot::{DialogueKey, Storage, StorageError};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

/// Every this many writes, all expired rows are deleted.
const PURGE_EVERY: u64 = 256;
/// How long a write waits for another process's lock on the file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS botwire_dialogues (
    bot        TEXT    NOT NULL,
    chat       INTEGER NOT NULL,
    user       INTEGER NOT NULL,
    json       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (bot, chat, user)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS botwire_dialogues_expiry
    ON botwire_dialogues (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS botwire_dialogue_versions (
    bot  TEXT    PRIMARY KEY,
    last INTEGER NOT NULL
);
";

/// A failure of [`SqliteStorage`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// The database file could not be opened or prepared (missing directory, no permission, not a database).
    #[error("cannot open the dialogue database {path}: {source}")]
    Open {
        /// The path given to [`SqliteStorage::open`].
        path: PathBuf,
        /// SQLite's reason.
        #[source]
        source: rusqlite::Error,
    },
    /// A statement failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored state is not valid JSON.
    #[error("the stored dialogue of chat {chat}, user {user} is not valid JSON: {source}")]
    Malformed {
        /// The chat.
        chat: i64,
        /// The user.
        user: i64,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// The store's worker thread could not be started.
    #[error("cannot start the sqlite worker thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// The store's thread has stopped (it panicked).
    #[error("the sqlite worker thread has stopped")]
    WorkerGone,
}

impl From<SqliteError> for StorageError {
    fn from(e: SqliteError) -> Self {
        StorageError::Backend(Box::new(e))
    }
}

/// Wall-clock time in Unix milliseconds (injectable for tests: expiry must hold across restarts, so it is
/// wall time, not a monotonic clock).
pub type WallClock = Arc<dyn Fn() -> i64 + Send + Sync>;

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

struct Worker {
    conn: Connection,
    bot: String,
    clock: WallClock,
    writes: u64,
}

struct Inner {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    path: PathBuf,
    bot: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel lets the worker finish what is queued and close the database.
        drop(self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take());
        if let Some(thread) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

/// Dialogue storage in a SQLite file: implements [`botwire_bot::Storage`]. Cheap to clone (one worker
/// thread and connection per [`SqliteStorage::open`]); the file is closed when the last clone is dropped.
#[derive(Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.inner.path)
            .field("bot", &self.inner.bot)
            .finish_non_exhaustive()
    }
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `path` for the bot named `bot` (any name of yours; the
    /// same name finds the same dialogues after a restart). The directory must exist.
    pub fn open(path: impl AsRef<Path>, bot: &str) -> Result<Self, SqliteError> {
        Self::open_with_clock(path, bot, Arc::new(system_ms))
    }

    /// [`SqliteStorage::open`] with an injected wall clock (Unix ms), for tests of expiry.
    pub fn open_with_clock(
        path: impl AsRef<Path>,
        bot: &str,
        clock: WallClock,
    ) -> Result<Self, SqliteError> {
        let path = path.as_ref().to_path_buf();
        let open_error = |source| SqliteError::Open {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(open_error)?;
        prepare(&conn).map_err(open_error)?;
        let (tx, rx) = mpsc::channel::<Job>();
        let mut worker = Worker {
            conn,
            bot: bot.to_owned(),
            clock,
            writes: 0,
        };
        let thread = std::thread::Builder::new()
            .name("botwire-sqlite".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut worker);
                }
            })
            .map_err(SqliteError::Spawn)?;
        Ok(Self {
            inner: Arc::new(Inner {
                jobs: Mutex::new(Some(tx)),
                thread: Mutex::new(Some(thread)),
                path,
                bot: bot.to_owned(),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Deletes every expired dialogue now (this also happens by itself every 256 writes); returns how many.
    pub async fn purge_expired(&self) -> Result<usize, StorageError> {
        Ok(self.call(|w| w.purge()).await?)
    }

    /// Runs `f` on the worker thread and waits for its answer without blocking the caller's thread.
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Worker) -> Result<T, SqliteError> + Send + 'static,
    ) -> Result<T, SqliteError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |worker| {
            let _ = tx.send(f(worker));
        });
        {
            let jobs = self.inner.jobs.lock().unwrap_or_else(|p| p.into_inner());
            let sender = jobs.as_ref().ok_or(SqliteError::WorkerGone)?;
            sender.send(job).map_err(|_| SqliteError::WorkerGone)?;
        }
        rx.await.map_err(|_| SqliteError::WorkerGone)?
    }
}

fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // `journal_mode` answers with the mode it set: a row, not a plain statement.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
    conn.execute_batch(SCHEMA)
}

fn ttl_ms(ttl: Duration) -> i64 {
    // A positive TTL below 1 ms still expires.
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

impl Worker {
    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The live state of `key` inside `conn` (a transaction or the connection); an expired row is deleted.
    fn read(
        conn: &Connection,
        bot: &str,
        key: &DialogueKey,
        now: i64,
    ) -> Result<Option<Versioned>, SqliteError> {
        let (chat, user) = (key.chat_id.0, key.user_id.get());
        let row: Option<(String, i64, Option<i64>)> = conn
            .query_row(
                "SELECT json, version, expires_at FROM botwire_dialogues
                 WHERE bot = ?1 AND chat = ?2 AND user = ?3",
                params![bot, chat, user],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((json, version, expires_at)) = row else {
            return Ok(None);
        };
        if expires_at.is_some_and(|at| at <= now) {
            // Only this version: a concurrent writer's fresh state (another process) stays.
            conn.execute(
                "DELETE FROM botwire_dialogues
                 WHERE bot = ?1 AND chat = ?2 AND user = ?3 AND version = ?4",
                params![bot, chat, user, version],
            )?;
            return Ok(None);
        }
        let value = serde_json::from_str(&json).map_err(|source| SqliteError::Malformed {
            chat,
            user,
            source,
        })?;
        Ok(Some(Versioned {
            value,
            version: u64::try_from(version).unwrap_or(0),
        }))
    }

    fn get(&mut self, key: &DialogueKey) -> Result<Option<Versioned>, SqliteError> {
        let now = self.now();
        Self::read(&self.conn, &self.bot, key, now)
    }

    /// Writes `json` under a fresh version of the bot's counter; returns the version.
    fn write(
        conn: &Connection,
        bot: &str,
        key: &DialogueKey,
        json: &str,
        ttl: Option<Duration>,
        now: i64,
    ) -> Result<u64, SqliteError> {
        let version: i64 = conn.query_row(
            "INSERT INTO botwire_dialogue_versions (bot, last) VALUES (?1, 1)
             ON CONFLICT (bot) DO UPDATE SET last = last + 1
             RETURNING last",
            params![bot],
            |r| r.get(0),
        )?;
        let expires_at = ttl.map(|t| now.saturating_add(ttl_ms(t)));
        conn.execute(
            "INSERT INTO botwire_dialogues (bot, chat, user, json, version, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (bot, chat, user) DO UPDATE
             SET json = excluded.json, version = excluded.version, expires_at = excluded.expires_at",
            params![bot, key.chat_id.0, key.user_id.get(), json, version, expires_at],
        )?;
        Ok(u64::try_from(version).unwrap_or(0))
    }

    fn set(
        &mut self,
        key: &DialogueKey,
        json: &str,
        ttl: Option<Duration>,
    ) -> Result<u64, SqliteError> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = Self::write(&tx, &self.bot, key, json, ttl, now)?;
        tx.commit()?;
        self.wrote();
        Ok(version)
    }

    /// Compare-and-set in one `BEGIN IMMEDIATE` transaction (the write lock is taken before the read).
    fn cas(
        &mut self,
        key: &DialogueKey,
        expected: Option<u64>,
        value: Option<&str>,
        ttl: Option<Duration>,
    ) -> Result<CasOutcome, SqliteError> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = Self::read(&tx, &self.bot, key, now)?;
        if current.as_ref().map(|v| v.version) != expected {
            tx.commit()?; // keeps the lazy deletion of an expired row
            return Ok(CasOutcome::Conflict(current));
        }
        let outcome = match value {
            None => {
                tx.execute(
                    "DELETE FROM botwire_dialogues WHERE bot = ?1 AND chat = ?2 AND user = ?3",
                    params![self.bot, key.chat_id.0, key.user_id.get()],
                )?;
                CasOutcome::Written(None)
            }
            Some(json) => {
                CasOutcome::Written(Some(Self::write(&tx, &self.bot, key, json, ttl, now)?))
            }
        };
        tx.commit()?;
        self.wrote();
        Ok(outcome)
    }

    /// Counts a write; every [`PURGE_EVERY`] writes the expired rows go.
    fn wrote(&mut self) {
        self.writes += 1;
        if self.writes.is_multiple_of(PURGE_EVERY)
            && let Err(error) = self.purge()
        {
            tracing::warn!(%error, "purging expired dialogues failed; will try again later");
        }
    }

    fn remove(&mut self, key: &DialogueKey) -> Result<(), SqliteError> {
        self.conn.execute(
            "DELETE FROM botwire_dialogues WHERE bot = ?1 AND chat = ?2 AND user = ?3",
            params![self.bot, key.chat_id.0, key.user_id.get()],
        )?;
        Ok(())
    }

    fn purge(&mut self) -> Result<usize, SqliteError> {
        let now = self.now();
        Ok(self.conn.execute(
            "DELETE FROM botwire_dialogues WHERE expires_at IS NOT NULL AND expires_at <= ?1",
            params![now],
        )?)
    }
}

fn to_json(value: &Value) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(StorageError::Serde)
}

#[async_trait::async_trait]
impl Storage for SqliteStorage {
    async fn get(&self, key: &DialogueKey) -> Result<Option<Versioned>, StorageError> {
        let key = *key;
        Ok(self.call(move |w| w.get(&key)).await?)
    }

    async fn set(
        &self,
        key: &DialogueKey,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<u64, StorageError> {
        let (key, json) = (*key, to_json(&value)?);
        Ok(self.call(move |w| w.set(&key, &json, ttl)).await?)
    }

    async fn remove(&self, key: &DialogueKey) -> Result<(), StorageError> {
        let key = *key;
        Ok(self.call(move |w| w.remove(&key)).await?)
    }

    async fn compare_and_set(
        &self,
        key: &DialogueKey,
        expected: Option<u64>,
        value: Option<Value>,
        ttl: Option<Duration>,
    ) -> Result<CasOutcome, StorageError> {
        let key = *key;
        let json = value.as_ref().map(to_json).transpose()?;
        Ok(self
            .call(move |w| w.cas(&key, expected, json.as_deref(), ttl))
            .await?)
    }
}
