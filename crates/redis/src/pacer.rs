//! A fleet-wide [`Pacer`] for the [`Throttle`](botwire_transport::Throttle): every replica of a bot reserves
//! its departures in one Redis schedule, so N replicas together stay under the bot token's limits.
//!
//! # How it paces
//!
//! Each (limit, key) of a request — the bot's global 30/s, the chat's 2/s, … — has a theoretical arrival time
//! (GCRA) in Redis: `botwire:{<bot>}:pace:<limit>:<key>`. One Lua script, on the Redis server's clock, takes the
//! latest of them (and of the fleet's pause, below), reserves that moment for the request, moves each key's time
//! one gap on and gives each key an expiry, atomically: **one round trip per request**. The replica sleeps
//! until its moment and sends.
//!
//! The gap under a limit `N per W` is `(W + margin + fleet margin) / N`: the throttle's margin (5 ms by
//! default) plus [`RedisPacer::fleet_margin`] (10 ms by default), so the fleet sends at up to 98.5 % of a
//! per-second limit. The window bound of the in-process pacer (which waits for answers) would need a second
//! round trip per request; instead, a replica that wakes later than [`RedisPacer::tolerance`] (5 ms) after its
//! reserved moment (a starved CPU) does not send late into the next request's window: it reserves again.
//!
//! What this does not cover is what happens after the send: a request whose trip to the server is delayed by
//! more than the margins (about 10 ms by default) relative to the requests after it can be counted in a
//! crowded window. On a machine whose CPU is heavily oversubscribed, give the fleet a larger
//! [`fleet_margin`](RedisPacer::fleet_margin) (each extra 10 ms costs 1 % of a per-second limit); the
//! in-process pacer's window bound, which waits for answers, has no such limit but needs no fleet.
//!
//! A 429 seen by any replica pauses the whole fleet: the key `botwire:{<bot>}:pace:pause` holds the end of the
//! server's wait (`Retry-After`, or one window when it gave none), and every reservation starts after it.
//!
//! # When Redis is down or slow
//!
//! A reservation that fails or takes longer than [`RedisPacer::timeout`] (250 ms by default) is paced in the
//! process instead, by a [`LocalPacer`] at [`RedisPacer::local_share`] of each limit (set it to `1 / N` for N
//! replicas, so the degraded fleet still stays under the limits). For the next [`RedisPacer::retry_every`]
//! (1 s) requests go straight to the local pacer; then Redis is tried again, and shared pacing resumes with the
//! first reservation that succeeds. Nothing panics or hangs; [`RedisPacer::stats`] counts what happened and the
//! transitions are logged (`tracing`, warn and info).
//!
//! ```no_run
//! use botwire_redis::RedisPacer;
//! use botwire_transport::{ReqwestTransport, Throttle, ThrottleConfig, TransportConfig};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pacer = RedisPacer::open("redis://10.0.0.5:6379/", "my-bot")?.local_share(1.0 / 3.0);
//! let transport = Throttle::new(ReqwestTransport::new(TransportConfig::default()), ThrottleConfig::max())
//!     .with_pacer(pacer);
//! # drop(transport);
//! # Ok(())
//! # }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use botwire_transport::{LocalPacer, PaceLimit, PaceOutcome, PacePermit, Pacer};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::BotName;

/// Reserves one departure under all the request's keys. KEYS[1]: the fleet's pause; KEYS[2..]: one per limit.
/// ARGV[i]: the gap (µs) of KEYS[i + 1]. Returns {wait, now}: the wait and the server's clock, in µs.
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local at = now
local pause = redis.call('GET', KEYS[1])
if pause and tonumber(pause) > at then at = tonumber(pause) end
for i = 2, #KEYS do
  local tat = redis.call('GET', KEYS[i])
  if tat and tonumber(tat) > at then at = tonumber(tat) end
end
for i = 2, #KEYS do
  local tat = at + tonumber(ARGV[i - 1])
  redis.call('SET', KEYS[i], string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1)
end
return {at - now, now}
";

/// Pauses the fleet until now + ARGV[1] µs (only ever moves the pause later).
const PAUSE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untl = now + tonumber(ARGV[1])
local cur = redis.call('GET', KEYS[1])
if (not cur) or tonumber(cur) < untl then
  redis.call('SET', KEYS[1], string.format('%d', untl), 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 1)
end
return 1
";

/// The offset between this machine's wall clock and the Redis server's, from below: the largest
/// `asked - server_now` seen (the script ran after the request was sent, so each sample is at most the true
/// offset). Samples age out after two periods, so a drifting or stepped clock is followed.
#[derive(Debug)]
struct ClockSync {
    state: Mutex<SyncState>,
}

#[derive(Debug)]
struct SyncState {
    period_start: Instant,
    current: Option<i128>,
    previous: Option<i128>,
}

const SYNC_PERIOD: Duration = Duration::from_secs(10);

fn wall_micros() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i128)
}

impl ClockSync {
    fn new() -> Self {
        Self {
            state: Mutex::new(SyncState {
                period_start: Instant::now(),
                current: None,
                previous: None,
            }),
        }
    }

    /// Records a reservation asked at local wall time `asked` that the server ran at `server_now` (µs).
    fn observe(&self, asked: i128, server_now: i128) {
        let mut s = lock(&self.state);
        if s.period_start.elapsed() >= SYNC_PERIOD {
            s.previous = s.current.take();
            s.period_start = Instant::now();
        }
        let sample = asked - server_now;
        s.current = Some(s.current.map_or(sample, |c| c.max(sample)));
    }

    /// How much later than the server-clock moment `server_at` (µs) it is now, at most.
    fn late_by(&self, server_at: i128) -> Duration {
        let offset = {
            let s = lock(&self.state);
            match (s.current, s.previous) {
                (Some(a), Some(b)) => a.max(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => return Duration::ZERO,
            }
        };
        let late = wall_micros() - (server_at + offset);
        Duration::from_micros(u64::try_from(late.max(0)).unwrap_or(u64::MAX))
    }
}

/// What a [`RedisPacer`] did so far (all replicas' figures are per process).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PacerStats {
    /// Requests paced (shared or local).
    pub requests: u64,
    /// Reservation round trips to Redis that succeeded.
    pub round_trips: u64,
    /// Reservations given up because the replica woke later than the tolerance, and made again.
    pub late_retries: u64,
    /// Requests paced locally because Redis failed, was slow, or was being skipped after a failure.
    pub local_fallbacks: u64,
    /// Redis calls that failed or timed out.
    pub redis_errors: u64,
    /// Fleet pauses written after a 429.
    pub pauses: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    round_trips: AtomicU64,
    late_retries: AtomicU64,
    local_fallbacks: AtomicU64,
    redis_errors: AtomicU64,
    pauses: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

struct Inner {
    client: redis::Client,
    prefix: String,
    reserve: redis::Script,
    pause: redis::Script,
    fleet_margin: Duration,
    tolerance: Option<Duration>,
    timeout: Duration,
    retry_every: Duration,
    share: f64,
    local: LocalPacer,
    /// The async connection, made on first use (and again after a failed first connect).
    conn: tokio::sync::Mutex<Option<ConnectionManager>>,
    /// The blocking connection, dropped after any error and made again on the next try.
    blocking: Mutex<Option<redis::Connection>>,
    /// While set and in the future, requests are paced locally without trying Redis.
    skip_until: Mutex<Option<Instant>>,
    clock: ClockSync,
    counters: Counters,
}

impl std::fmt::Debug for Inner {
    // Not the client: its connection info may hold a Redis password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPacer")
            .field("prefix", &self.prefix)
            .field("fleet_margin", &self.fleet_margin)
            .field("tolerance", &self.tolerance())
            .field("timeout", &self.timeout)
            .field("retry_every", &self.retry_every)
            .field("local_share", &self.share)
            .field("degraded", &lock(&self.skip_until).is_some())
            .finish_non_exhaustive()
    }
}

/// The fleet-wide pacer on Redis (see the [module docs](self) for the algorithm and the degraded mode).
///
/// Cheap to clone; clones share the connection and the counters. Needs a tokio runtime for async calls;
/// blocking calls use their own synchronous connection.
#[derive(Debug, Clone)]
pub struct RedisPacer {
    inner: Arc<Inner>,
}

impl RedisPacer {
    /// A pacer for the bot `bot` (a name or id shared by all its replicas — never the token) on `client`.
    /// Connects on first use.
    pub fn new(client: redis::Client, bot: &BotName) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                prefix: format!("{}:pace:", bot.prefix()),
                reserve: redis::Script::new(RESERVE),
                pause: redis::Script::new(PAUSE),
                fleet_margin: Duration::from_millis(10),
                tolerance: None,
                timeout: Duration::from_millis(250),
                retry_every: Duration::from_secs(1),
                share: 1.0,
                local: LocalPacer::new(),
                conn: tokio::sync::Mutex::new(None),
                blocking: Mutex::new(None),
                skip_until: Mutex::new(None),
                clock: ClockSync::new(),
                counters: Counters::default(),
            }),
        }
    }

    /// [`new`](Self::new) from a URL (`redis://host:port/db`) and a bot name.
    pub fn open(url: &str, bot: &str) -> Result<Self, crate::Error> {
        Ok(Self::new(redis::Client::open(url)?, &BotName::new(bot)?))
    }

    fn configure(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => f(inner),
            None => {
                // Configured after cloning: rebuild from the shared settings (fresh connection and counters).
                let old = &self.inner;
                let mut inner = Inner {
                    client: old.client.clone(),
                    prefix: old.prefix.clone(),
                    reserve: redis::Script::new(RESERVE),
                    pause: redis::Script::new(PAUSE),
                    fleet_margin: old.fleet_margin,
                    tolerance: old.tolerance,
                    timeout: old.timeout,
                    retry_every: old.retry_every,
                    share: old.share,
                    local: LocalPacer::new(),
                    conn: tokio::sync::Mutex::new(None),
                    blocking: Mutex::new(None),
                    skip_until: Mutex::new(None),
                    clock: ClockSync::new(),
                    counters: Counters::default(),
                };
                f(&mut inner);
                self.inner = Arc::new(inner);
            }
        }
        self
    }

    /// The share of each limit this replica keeps while Redis is unavailable (`1 / N` for N replicas). Values
    /// outside `(0, 1]` are taken as 1. Default 1 (a single replica).
    #[must_use]
    pub fn local_share(self, share: f64) -> Self {
        let share = if share.is_finite() && share > 0.0 && share <= 1.0 {
            share
        } else {
            1.0
        };
        self.configure(|i| i.share = share)
    }

    /// Added to every window, on top of the throttle's margin, for the fleet's schedule (default 10 ms). It
    /// absorbs the difference between when a replica sends and when the server counts.
    #[must_use]
    pub fn fleet_margin(self, margin: Duration) -> Self {
        self.configure(|i| i.fleet_margin = margin)
    }

    /// How late after its reserved moment a replica may still send (default 5 ms: a timer's rounding plus a
    /// wake-up on a busy machine); later, it reserves again. The rest of the margins is left for the trip to the
    /// server.
    #[must_use]
    pub fn tolerance(self, tolerance: Duration) -> Self {
        self.configure(|i| i.tolerance = Some(tolerance))
    }

    /// The longest a reservation may take before the request is paced locally (default 250 ms).
    #[must_use]
    pub fn timeout(self, timeout: Duration) -> Self {
        self.configure(|i| i.timeout = timeout)
    }

    /// How long after a Redis failure requests are paced locally before Redis is tried again (default 1 s).
    #[must_use]
    pub fn retry_every(self, every: Duration) -> Self {
        self.configure(|i| i.retry_every = every)
    }

    /// The counters so far.
    pub fn stats(&self) -> PacerStats {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        PacerStats {
            requests: get(&c.requests),
            round_trips: get(&c.round_trips),
            late_retries: get(&c.late_retries),
            local_fallbacks: get(&c.local_fallbacks),
            redis_errors: get(&c.redis_errors),
            pauses: get(&c.pauses),
        }
    }

    /// `true` while requests are paced locally after a Redis failure.
    pub fn is_degraded(&self) -> bool {
        lock(&self.inner.skip_until).is_some()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The script's arguments for a request: the keys and the gaps in µs.
struct Plan {
    keys: Vec<String>,
    gaps: Vec<u64>,
    /// The longest window among the limits: the fleet's pause after a 429 that named no wait.
    longest_window: Duration,
}

impl Inner {
    fn plan(&self, limits: &[PaceLimit]) -> Plan {
        let mut keys = Vec::with_capacity(limits.len() + 1);
        keys.push(format!("{}pause", self.prefix));
        let mut gaps = Vec::with_capacity(limits.len());
        let mut longest_window = Duration::ZERO;
        for limit in limits {
            keys.push(format!("{}{}:{}", self.prefix, limit.name, limit.key));
            let window = limit.window + self.fleet_margin;
            longest_window = longest_window.max(window);
            let gap = window / limit.count.max(1);
            gaps.push(u64::try_from(gap.as_micros()).unwrap_or(u64::MAX).max(1));
        }
        Plan {
            keys,
            gaps,
            longest_window,
        }
    }

    fn invocation<'a>(&'a self, plan: &Plan) -> redis::ScriptInvocation<'a> {
        let mut inv = self.reserve.prepare_invoke();
        for key in &plan.keys {
            inv.key(key);
        }
        for gap in &plan.gaps {
            inv.arg(*gap);
        }
        inv
    }

    fn tolerance(&self) -> Duration {
        self.tolerance.unwrap_or(DEFAULT_TOLERANCE)
    }

    /// `true` when Redis should be skipped now (a recent failure; the mark stays until a success clears it).
    fn skipping(&self) -> bool {
        matches!(*lock(&self.skip_until), Some(until) if Instant::now() < until)
    }

    fn failed(&self, error: &dyn std::fmt::Display) {
        bump(&self.counters.redis_errors);
        let mut skip = lock(&self.skip_until);
        if skip.is_none() {
            tracing::warn!(
                error = %error,
                share = self.share,
                "botwire-redis: Redis unavailable for pacing; pacing this replica locally until it returns"
            );
        }
        *skip = Some(Instant::now() + self.retry_every);
    }

    fn succeeded(&self) {
        bump(&self.counters.round_trips);
        let mut skip = lock(&self.skip_until);
        if skip.take().is_some() {
            tracing::info!("botwire-redis: Redis is back; shared pacing resumed");
        }
    }

    fn local_limits(&self, limits: Vec<PaceLimit>) -> Vec<PaceLimit> {
        limits.into_iter().map(|l| l.at_share(self.share)).collect()
    }

    fn pause_micros(plan_window: Duration, outcome: PaceOutcome) -> Option<u64> {
        match outcome {
            PaceOutcome::RateLimited(wait) => {
                let wait = wait.unwrap_or(plan_window).max(Duration::from_millis(1));
                Some(u64::try_from(wait.as_micros()).unwrap_or(u64::MAX))
            }
            _ => None,
        }
    }

    async fn reserve_async(&self, plan: &Plan) -> Result<Reserved, String> {
        let call = async {
            let mut guard = self.conn.lock().await;
            let mut conn = match guard.as_ref() {
                Some(conn) => conn.clone(),
                None => {
                    let config = ConnectionManagerConfig::new()
                        .set_connection_timeout(self.timeout)
                        .set_response_timeout(self.timeout)
                        .set_number_of_retries(1)
                        .set_max_delay(1000);
                    let mut conn = ConnectionManager::new_with_config(self.client.clone(), config)
                        .await
                        .map_err(|e| e.to_string())?;
                    // Loaded once up front, so a burst of first reservations does not all meet NOSCRIPT.
                    self.reserve
                        .load_async(&mut conn)
                        .await
                        .map_err(|e| e.to_string())?;
                    *guard = Some(conn.clone());
                    conn
                }
            };
            drop(guard);
            let reply: (i64, i64) = self
                .invocation(plan)
                .invoke_async(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(Reserved::from(reply))
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {:?}", self.timeout)),
        }
    }

    fn blocking_call<T>(
        &self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        let mut guard = lock(&self.blocking);
        if guard.is_none() {
            let conn = self
                .client
                .get_connection_with_timeout(self.timeout)
                .map_err(|e| e.to_string())?;
            conn.set_read_timeout(Some(self.timeout))
                .and_then(|()| conn.set_write_timeout(Some(self.timeout)))
                .map_err(|e| e.to_string())?;
            *guard = Some(conn);
        }
        let Some(conn) = guard.as_mut() else {
            return Err("no connection".into());
        };
        let result = f(conn).map_err(|e| e.to_string());
        if result.is_err() {
            *guard = None;
        }
        result
    }

    fn reserve_blocking(&self, plan: &Plan) -> Result<Reserved, String> {
        let reply: (i64, i64) = self.blocking_call(|conn| self.invocation(plan).invoke(conn))?;
        Ok(Reserved::from(reply))
    }
}

/// A reservation's answer: the wait, and the server's clock when it ran (µs).
struct Reserved {
    wait: Duration,
    server_now: i128,
}

impl From<(i64, i64)> for Reserved {
    fn from((wait, now): (i64, i64)) -> Self {
        Self {
            wait: Duration::from_micros(wait.max(0).unsigned_abs()),
            server_now: i128::from(now),
        }
    }
}

impl Reserved {
    /// The reserved moment on the server's clock (µs).
    fn at(&self) -> i128 {
        self.server_now + self.wait.as_micros() as i128
    }
}

/// After a 429, writes the fleet's pause (in the background for async callers).
fn pause_on_429(inner: Arc<Inner>, pause_key: String, micros: u64) {
    bump(&inner.counters.pauses);
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn(async move {
                let call = async {
                    let conn = inner.conn.lock().await.clone();
                    let Some(mut conn) = conn else { return };
                    let result: redis::RedisResult<i64> = inner
                        .pause
                        .key(&pause_key)
                        .arg(micros)
                        .invoke_async(&mut conn)
                        .await;
                    if let Err(e) = result {
                        inner.failed(&e);
                    }
                };
                if tokio::time::timeout(inner.timeout, call).await.is_err() {
                    inner.failed(&"the fleet pause timed out");
                }
            });
        }
        Err(_) => {
            let result: Result<i64, String> =
                inner.blocking_call(|conn| inner.pause.key(&pause_key).arg(micros).invoke(conn));
            if let Err(e) = result {
                inner.failed(&e);
            }
        }
    }
}

/// How late a replica may wake after its reserved moment and still send.
const DEFAULT_TOLERANCE: Duration = Duration::from_millis(5);

/// How many times a replica that woke too late reserves again before it sends anyway.
const MAX_LATE_RETRIES: u32 = 8;

impl RedisPacer {
    fn shared_permit(&self, plan: Plan, waited: Duration) -> PacePermit {
        let inner = self.inner.clone();
        let window = plan.longest_window;
        let pause_key = plan.keys.into_iter().next().unwrap_or_default();
        PacePermit::new(waited, move |outcome| {
            if let Some(micros) = Inner::pause_micros(window, outcome) {
                pause_on_429(inner, pause_key, micros);
            }
        })
    }
}

#[async_trait::async_trait]
impl Pacer for RedisPacer {
    fn acquire_blocking(&self, limits: Vec<PaceLimit>) -> PacePermit {
        let inner = &self.inner;
        bump(&inner.counters.requests);
        let plan = inner.plan(&limits);
        let started = Instant::now();
        let mut attempt = 0;
        while !inner.skipping() {
            let asked = wall_micros();
            match inner.reserve_blocking(&plan) {
                Ok(reserved) => {
                    inner.succeeded();
                    inner.clock.observe(asked, reserved.server_now);
                    if !reserved.wait.is_zero() {
                        std::thread::sleep(reserved.wait);
                    }
                    let late = inner.clock.late_by(reserved.at());
                    if late > inner.tolerance() && attempt < MAX_LATE_RETRIES {
                        attempt += 1;
                        bump(&inner.counters.late_retries);
                        continue;
                    }
                    return self.shared_permit(plan, started.elapsed());
                }
                Err(e) => inner.failed(&e),
            }
        }
        bump(&inner.counters.local_fallbacks);
        inner.local.acquire_blocking(inner.local_limits(limits))
    }

    async fn acquire(&self, limits: Vec<PaceLimit>) -> PacePermit {
        let inner = &self.inner;
        bump(&inner.counters.requests);
        let plan = inner.plan(&limits);
        let started = Instant::now();
        let mut attempt = 0;
        while !inner.skipping() {
            let asked = wall_micros();
            match inner.reserve_async(&plan).await {
                Ok(reserved) => {
                    inner.succeeded();
                    inner.clock.observe(asked, reserved.server_now);
                    // A zero wait must not wait for tokio's next timer tick (up to 1 ms).
                    if !reserved.wait.is_zero() {
                        tokio::time::sleep(reserved.wait).await;
                    }
                    let late = inner.clock.late_by(reserved.at());
                    if late > inner.tolerance() && attempt < MAX_LATE_RETRIES {
                        attempt += 1;
                        bump(&inner.counters.late_retries);
                        continue;
                    }
                    return self.shared_permit(plan, started.elapsed());
                }
                Err(e) => inner.failed(&e),
            }
        }
        bump(&inner.counters.local_fallbacks);
        inner.local.acquire(inner.local_limits(limits)).await
    }

    fn tracked_keys(&self) -> usize {
        self.inner.local.tracked_keys()
    }
}
