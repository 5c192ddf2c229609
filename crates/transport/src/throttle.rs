//! Client-side rate limiting: a transport that delays requests so the server never sees more than its limits.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::time::Duration;

use botwire_core_types::limits;

use crate::{AsyncTransport, BlockingTransport, HttpRequest, HttpResponse, Timer, TransportError};

/// `count` requests per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    count: u32,
    per: Duration,
}

impl Rate {
    /// `count` requests per `per` (a count of 0 is taken as 1).
    pub fn new(count: u32, per: Duration) -> Self {
        Self {
            count: count.max(1),
            per,
        }
    }

    /// `count` requests per second.
    pub fn per_second(count: u32) -> Self {
        Self::new(count, Duration::from_secs(1))
    }

    /// Requests per window.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The window.
    pub fn per(&self) -> Duration {
        self.per
    }
}

/// Where a rule takes the key that selects its bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleKey {
    /// One bucket for every matching request (e.g. `GET /updates`).
    Route,
    /// The first of these query parameters present in the request (e.g. `chat_id`, `user_id` of
    /// `POST /messages`); a [`RateKey`] extension wins over them. With neither, the rule does not apply.
    Query(Vec<String>),
    /// Only a [`RateKey`] extension attached to the request (e.g. `POST /answers`, whose request names no chat);
    /// without one the rule does not apply.
    Extension,
}

/// A per-route (and optionally per-key) limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRule {
    name: String,
    method: Option<http::Method>,
    path_suffix: String,
    key: RuleKey,
    rate: Rate,
}

impl RateRule {
    /// A rule named `name` for requests with `method` (any when `None`) whose path ends with `path_suffix`.
    pub fn new(
        name: impl Into<String>,
        method: Option<http::Method>,
        path_suffix: impl Into<String>,
        key: RuleKey,
        rate: Rate,
    ) -> Self {
        Self {
            name: name.into(),
            method,
            path_suffix: path_suffix.into(),
            key,
            rate,
        }
    }

    /// The rule's name (for overriding or removing it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rule's rate.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    fn matches(&self, request: &HttpRequest) -> bool {
        self.method.as_ref().is_none_or(|m| m == request.method())
            && request.uri().path().ends_with(&self.path_suffix)
    }

    /// The bucket key of a matching request, `None` when the rule does not apply to it.
    fn key_of(&self, request: &HttpRequest) -> Option<String> {
        let extension = || request.extensions().get::<RateKey>().map(|k| k.0.clone());
        match &self.key {
            RuleKey::Route => Some(String::new()),
            RuleKey::Extension => extension(),
            RuleKey::Query(names) => extension().or_else(|| {
                let query = request.uri().query()?;
                names.iter().find_map(|name| query_key(query, name))
            }),
        }
    }
}

/// `name=value` for the first `name` parameter of `query`, its value decoded. Plain values (digits, the usual
/// case: a chat id) are copied straight; a value with `%` or `+` goes through `form_urlencoded`.
fn query_key(query: &str, name: &str) -> Option<String> {
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == name {
            if v.contains(['%', '+']) {
                let decoded: String = form_urlencoded::parse(pair.as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                return Some(format!("{name}={decoded}"));
            }
            let mut key = String::with_capacity(name.len() + 1 + v.len());
            key.push_str(name);
            key.push('=');
            key.push_str(v);
            return Some(key);
        }
        if k.contains(['%', '+']) {
            // An encoded key might spell `name`: decide as form_urlencoded would.
            if let Some((_, v)) = form_urlencoded::parse(pair.as_bytes()).find(|(k, _)| k == name) {
                return Some(format!("{name}={v}"));
            }
        }
    }
    None
}

/// The key a request is limited under, attached as an extension when the request itself does not say it
/// (e.g. the chat of a `POST /answers`).
///
/// ```
/// use botwire_transport::RateKey;
///
/// let mut req = http::Request::post("https://h/answers?callback_id=c1").body(Vec::<u8>::new())?;
/// RateKey::new("chat_id=42").apply(&mut req);
/// assert_eq!(req.extensions().get::<RateKey>(), Some(&RateKey::new("chat_id=42")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateKey(pub String);

impl RateKey {
    /// A key. Use the same spelling the rule derives from the query (`chat_id=42`) so both share a bucket.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// Stores the key in the request.
    pub fn apply<B>(self, request: &mut http::Request<B>) {
        request.extensions_mut().insert(self);
    }
}

/// The limits a [`Throttle`] keeps: a global rate, per-route/per-key rules, the safety margin and a scale.
///
/// ```
/// use std::time::Duration;
/// use botwire_transport::{Rate, ThrottleConfig};
///
/// let cfg = ThrottleConfig::max()
///     .without_rule("updates")
///     .rule_rate("messages", Rate::per_second(1))
///     .scale(10.0); // ten times faster, for a quick test against a sandbox scaled the same way
/// assert_eq!(cfg.get_global(), Some(Rate::per_second(30)));
/// assert_eq!(cfg.interval(Rate::per_second(30)), Duration::from_nanos(3_333_333));
/// assert_eq!(cfg.window(Rate::per_second(30)), Duration::from_millis(105)); // 100 ms + the unscaled 5 ms margin
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottleConfig {
    global: Option<Rate>,
    rules: Vec<RateRule>,
    margin: Duration,
    scale: f64,
}

/// The default safety margin added to every window (see [`ThrottleConfig::margin`]).
///
/// The window bound of [`Throttle`] holds without a margin; 5 ms covers a server that counts a window with both
/// ends included or with a coarse clock. (It was 50 ms when pacing relied on departure times alone, and that
/// still let a starved client through with 429s.)
pub const DEFAULT_MARGIN: Duration = Duration::from_millis(5);

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self::unlimited()
    }
}

impl ThrottleConfig {
    /// No limits at all (the throttle only forwards).
    pub fn unlimited() -> Self {
        Self {
            global: None,
            rules: Vec::new(),
            margin: DEFAULT_MARGIN,
            scale: 1.0,
        }
    }

    /// MAX (`max-bot-api.md` §2, §12): 30 requests/s per bot; `POST /messages` ≤ 2/s per chat (`chat_id` or
    /// `user_id`); `POST /answers` ≤ 2/s per chat (from a [`RateKey`], since the request names only the
    /// callback); `GET /updates` ≤ 2/s. Rules are named `messages`, `answers`, `updates`.
    pub fn max() -> Self {
        let keys = |names: &[&str]| RuleKey::Query(names.iter().map(|s| (*s).to_owned()).collect());
        Self::unlimited()
            .global(Rate::per_second(limits::MAX_REQUESTS_PER_SECOND))
            .rule(RateRule::new(
                "messages",
                Some(http::Method::POST),
                "/messages",
                keys(&["chat_id", "user_id"]),
                Rate::per_second(limits::MAX_MESSAGES_PER_CHAT_PER_SECOND),
            ))
            .rule(RateRule::new(
                "answers",
                Some(http::Method::POST),
                "/answers",
                RuleKey::Extension,
                Rate::per_second(limits::MAX_ANSWERS_PER_CHAT_PER_SECOND),
            ))
            .rule(RateRule::new(
                "updates",
                Some(http::Method::GET),
                "/updates",
                RuleKey::Route,
                Rate::per_second(limits::MAX_POLLS_PER_SECOND),
            ))
    }

    /// onebot.tech (`onebot-api.md` §1.5): 2 requests/s (120/min) per token.
    pub fn onebot() -> Self {
        Self::unlimited().global(Rate::per_second(limits::ONEBOT_REQUESTS_PER_SECOND))
    }

    /// Sets (or with `None` removes) the global rate.
    #[must_use]
    pub fn global(mut self, rate: impl Into<Option<Rate>>) -> Self {
        self.global = rate.into();
        self
    }

    /// Adds a rule, replacing one of the same name.
    #[must_use]
    pub fn rule(mut self, rule: RateRule) -> Self {
        match self.rules.iter_mut().find(|r| r.name == rule.name) {
            Some(slot) => *slot = rule,
            None => self.rules.push(rule),
        }
        self
    }

    /// Removes the rule named `name`.
    #[must_use]
    pub fn without_rule(mut self, name: &str) -> Self {
        self.rules.retain(|r| r.name != name);
        self
    }

    /// Changes the rate of the rule named `name` (no effect if there is none).
    #[must_use]
    pub fn rule_rate(mut self, name: &str, rate: Rate) -> Self {
        for r in self.rules.iter_mut().filter(|r| r.name == name) {
            r.rate = rate;
        }
        self
    }

    /// The time added to every window (default [`DEFAULT_MARGIN`]): the time kept between the answer of a
    /// request and the release of the request `N` places after it. It covers the server's clock, not ours, so
    /// it is not scaled by [`ThrottleConfig::scale`].
    #[must_use]
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Makes every limit `factor` times faster (windows divided by `factor`); for tests against a sandbox
    /// scaled by the same factor. Non-positive or non-finite factors are ignored.
    #[must_use]
    pub fn scale(mut self, factor: f64) -> Self {
        if factor.is_finite() && factor > 0.0 {
            self.scale = factor;
        }
        self
    }

    /// The global rate.
    pub fn get_global(&self) -> Option<Rate> {
        self.global
    }

    /// The rules.
    pub fn rules(&self) -> &[RateRule] {
        &self.rules
    }

    /// The smoothing gap between two consecutive departures under `rate`: `per / scale / count`.
    pub fn interval(&self, rate: Rate) -> Duration {
        rate.per.div_f64(self.scale) / rate.count
    }

    /// The window bound under `rate`: `per / scale + margin` between the answer of a request and the release of
    /// the request `count` places after it.
    pub fn window(&self, rate: Rate) -> Duration {
        rate.per.div_f64(self.scale) + self.margin
    }
}

// ------------------------------------------------------------------------------------------ the pacing seam

/// One limit a request falls under, as a [`Throttle`] hands it to its [`Pacer`].
///
/// A request under several limits (the bot's global rate, its chat's rate) gets one `PaceLimit` for each; a
/// pacer reserves one departure that satisfies all of them at once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaceLimit {
    /// Which limit: 0 is the global rate, `i + 1` the rule `i` of the [`ThrottleConfig`].
    pub index: usize,
    /// Its name: `"global"`, or the rule's name (`"messages"`, `"answers"`, …).
    pub name: Arc<str>,
    /// The key within the limit: empty for the global rate and per-route rules, else the chat or user it counts
    /// (`chat_id=42`).
    pub key: String,
    /// Requests per window.
    pub count: u32,
    /// The window (scaled) plus the margin ([`ThrottleConfig::window`]).
    pub window: Duration,
    /// The smoothing gap between two departures under this limit alone ([`ThrottleConfig::interval`]).
    pub gap: Duration,
}

impl PaceLimit {
    /// The same limit at `share` of its rate (a replica's share of a fleet's budget): window and gap stretched
    /// by `1 / share`. A share outside `(0, 1]` is taken as 1.
    #[must_use]
    pub fn at_share(mut self, share: f64) -> Self {
        if share.is_finite() && share > 0.0 && share < 1.0 {
            self.window = self.window.div_f64(share);
            self.gap = self.gap.div_f64(share);
        }
        self
    }
}

/// How a paced request ended, told to the pacer through [`PacePermit::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaceOutcome {
    /// An answer came back (any status but 429), or the request failed after it left.
    Answered,
    /// The server answered 429; its wait (`Retry-After`, or `retry_after` in the body) when it said one.
    RateLimited(Option<Duration>),
    /// The call was dropped (or unwound) after the request left: the server may have seen it.
    Abandoned,
}

impl PaceOutcome {
    /// The outcome of a request that left and came back as `result`.
    pub fn of(result: &Result<HttpResponse, TransportError>) -> Self {
        match result {
            Ok(response) if response.status() == http::StatusCode::TOO_MANY_REQUESTS => {
                Self::RateLimited(
                    crate::retry_after(response.headers())
                        .or_else(|| crate::retry_after_in_body(response.body())),
                )
            }
            _ => Self::Answered,
        }
    }
}

/// Leave to send one request now: what a [`Pacer`] grants. Tell it how the request ended with
/// [`finish`](Self::finish); dropping the permit unfinished reports [`PaceOutcome::Abandoned`].
#[must_use = "a permit reports how its request ended; dropping it reports an abandoned request"]
pub struct PacePermit {
    waited: Duration,
    on_finish: Finish,
}

/// What ends a permit: nothing, the local schedule's reservation (no allocation), or a pacer's callback.
enum Finish {
    Nothing,
    Local(Reservation),
    Callback(Box<dyn FnOnce(PaceOutcome) + Send>),
}

impl Finish {
    fn run(self, outcome: PaceOutcome) {
        match self {
            Self::Nothing => {}
            // The reservation records the completion when dropped (it left: `sent` is set).
            Self::Local(reservation) => drop(reservation),
            Self::Callback(f) => f(outcome),
        }
    }
}

impl std::fmt::Debug for PacePermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacePermit")
            .field("waited", &self.waited)
            .finish_non_exhaustive()
    }
}

impl PacePermit {
    /// A permit after waiting `waited`; `on_finish` runs once with the request's outcome.
    pub fn new(waited: Duration, on_finish: impl FnOnce(PaceOutcome) + Send + 'static) -> Self {
        Self {
            waited,
            on_finish: Finish::Callback(Box::new(on_finish)),
        }
    }

    /// A permit that reports to nobody (a pacer with nothing to record).
    pub fn unrecorded(waited: Duration) -> Self {
        Self {
            waited,
            on_finish: Finish::Nothing,
        }
    }

    /// How long the request waited for its departure.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// Reports how the request ended.
    pub fn finish(mut self, outcome: PaceOutcome) {
        std::mem::replace(&mut self.on_finish, Finish::Nothing).run(outcome);
    }
}

impl Drop for PacePermit {
    fn drop(&mut self) {
        std::mem::replace(&mut self.on_finish, Finish::Nothing).run(PaceOutcome::Abandoned);
    }
}

/// Where a [`Throttle`] gets each request's departure time: the seam between the throttle (which limits apply
/// to a request) and the schedule (when it may leave under all of them).
///
/// [`LocalPacer`], the default, keeps the schedule in the process. A fleet of replicas sharing one bot token
/// shares one schedule instead: `botwire-redis`'s `RedisPacer` reserves departures in Redis. A pacer returns
/// from `acquire` when the request may leave *now* (it does its own waiting); an async `acquire` that is
/// dropped while it waits should give its place back.
#[async_trait::async_trait]
pub trait Pacer: Send + Sync + std::fmt::Debug + 'static {
    /// Waits (blocking the thread) until a request under `limits` may leave; `limits` is never empty.
    fn acquire_blocking(&self, limits: Vec<PaceLimit>) -> PacePermit;

    /// Waits (without blocking the thread) until a request under `limits` may leave; `limits` is never empty.
    async fn acquire(&self, limits: Vec<PaceLimit>) -> PacePermit;

    /// How many (limit, key) states the pacer holds in this process (0 when they live elsewhere).
    fn tracked_keys(&self) -> usize {
        0
    }
}

// ------------------------------------------------------------------------------------ the in-process pacer

/// The pacing of one limit: the smoothing gap, and how many requests may share one window.
#[derive(Debug, Clone, Copy)]
struct Pace {
    /// Requests per window.
    count: usize,
    /// The window (scaled) plus the margin: the time kept between the completion of a request and the
    /// release of the request `count` places after it.
    window: Duration,
    /// The gap between two consecutive departures under this limit alone (window / count, scaled).
    gap: Duration,
}

impl Pace {
    fn of(limit: &PaceLimit) -> Self {
        Self {
            count: limit.count.max(1) as usize,
            window: limit.window,
            gap: limit.gap,
        }
    }
}

/// One request's place under one limit.
#[derive(Debug, Clone, Copy)]
struct Slot {
    id: u64,
    /// When its answer (or failure) came back; `None` while it waits to leave or is on the way.
    done: Option<Duration>,
    /// The bucket as it was before this slot was pushed, to give the place back when the request is dropped
    /// before it left and nothing reserved after it.
    undo: Undo,
}

#[derive(Debug, Clone, Copy)]
struct Undo {
    next: Duration,
    floor: Option<Duration>,
    /// The slot this one pushed out of the window: its id and completion.
    evicted: Option<(u64, Option<Duration>)>,
}

/// One limit's state for one key.
#[derive(Debug)]
struct Bucket {
    pace: Pace,
    /// The earliest departure of the next request under the smoothing gap (GCRA's theoretical arrival time).
    next: Duration,
    /// The latest completion among the requests that have left `slots`.
    floor: Option<Duration>,
    /// The latest `count` requests (or fewer), in the order they reserved.
    slots: VecDeque<Slot>,
}

impl Bucket {
    fn new(pace: Pace) -> Self {
        Self {
            pace,
            next: Duration::ZERO,
            floor: None,
            slots: VecDeque::new(),
        }
    }

    /// The earliest departure this bucket allows a new request, or `None` while the request it would push out
    /// of the window is still on its way (its completion time, which the bound starts from, is not known yet).
    fn earliest(&self) -> Option<Duration> {
        let mut at = self.next;
        let evicted = if self.slots.len() >= self.pace.count {
            Some(self.slots.front()?.done?)
        } else {
            None
        };
        if let Some(done) = self.floor.max(evicted) {
            at = at.max(done + self.pace.window);
        }
        Some(at)
    }

    fn push(&mut self, id: u64, at: Duration) {
        let mut undo = Undo {
            next: self.next,
            floor: self.floor,
            evicted: None,
        };
        if self.slots.len() >= self.pace.count
            && let Some(old) = self.slots.pop_front()
        {
            self.floor = self.floor.max(old.done);
            undo.evicted = Some((old.id, old.done));
        }
        self.slots.push_back(Slot {
            id,
            done: None,
            undo,
        });
        self.next = at + self.pace.gap;
    }

    /// Takes back the reservation `id` of a request that never left. When it is the newest, the bucket is put
    /// back exactly as it was; otherwise only its place in the window is freed (later reservations already
    /// spaced themselves after it).
    fn give_back(&mut self, id: u64) {
        if self.slots.back().is_some_and(|s| s.id == id) {
            if let Some(slot) = self.slots.pop_back() {
                self.next = slot.undo.next;
                self.floor = slot.undo.floor;
                if let Some((id, done)) = slot.undo.evicted {
                    self.slots.push_front(Slot {
                        id,
                        done,
                        // Only the newest slot is ever undone, and this one is now the oldest.
                        undo: slot.undo,
                    });
                }
            }
        } else {
            self.slots.retain(|s| s.id != id);
        }
    }

    /// `true` when the bucket no longer constrains anything at `now` and can be forgotten.
    fn idle(&self, now: Duration) -> bool {
        self.next <= now
            && self.slots.iter().all(|s| s.done.is_some())
            && self
                .slots
                .iter()
                .filter_map(|s| s.done)
                .chain(self.floor)
                .all(|done| done + self.pace.window <= now)
    }
}

/// The buckets of one limit (0 is the global rate, `i + 1` the rule `i`), by key: a request's limits are
/// looked up by `limits[i].key` as they are, with no key tuple built per request.
type LimitBuckets = rustc_hash::FxHashMap<String, Bucket>;

#[derive(Debug, Default)]
struct Schedule {
    /// Indexed by [`PaceLimit::index`], grown on first use.
    buckets: Vec<LimitBuckets>,
    /// How many buckets `buckets` holds in all.
    len: usize,
    next_id: u64,
    /// The size at which idle buckets are pruned next (doubles with the live set, so pruning stays amortised).
    prune_at: usize,
    /// Async callers waiting for a request to complete.
    wakers: Vec<Waker>,
    /// Blocking callers waiting on `Local::completed`: a completion notifies the condition variable only when
    /// there is one (std's `notify_all` is a `futex` system call every time).
    blocked: usize,
}

impl Schedule {
    fn bucket(&self, limit: &PaceLimit) -> Option<&Bucket> {
        self.buckets.get(limit.index)?.get(limit.key.as_str())
    }

    fn bucket_mut(&mut self, limit: &PaceLimit) -> Option<&mut Bucket> {
        self.buckets
            .get_mut(limit.index)?
            .get_mut(limit.key.as_str())
    }
}

#[derive(Debug)]
struct Local {
    timer: Timer,
    schedule: Mutex<Schedule>,
    /// Blocking callers waiting for a request to complete.
    completed: Condvar,
}

/// Below this many buckets nothing is pruned.
const PRUNE_FLOOR: usize = 1024;

impl Local {
    fn lock(&self) -> MutexGuard<'_, Schedule> {
        self.schedule
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reserves a departure satisfying every bucket at once: `Some((id, wait))`, or `None` when a bucket's
    /// oldest request is still on its way and the caller must wait for a completion first.
    fn try_reserve(
        &self,
        schedule: &mut Schedule,
        limits: &[PaceLimit],
    ) -> Option<(u64, Duration)> {
        let now = self.timer.now();
        let mut at = now;
        for limit in limits {
            if let Some(bucket) = schedule.bucket(limit) {
                at = at.max(bucket.earliest()?);
            }
        }
        let id = schedule.next_id;
        schedule.next_id += 1;
        if schedule.len >= schedule.prune_at.max(PRUNE_FLOOR) {
            for buckets in &mut schedule.buckets {
                buckets.retain(|_, bucket| !bucket.idle(now));
            }
            schedule.len = schedule.buckets.iter().map(LimitBuckets::len).sum();
            schedule.prune_at = schedule.len * 2;
        }
        for limit in limits {
            let pace = Pace::of(limit);
            if schedule.buckets.len() <= limit.index {
                schedule
                    .buckets
                    .resize_with(limit.index + 1, LimitBuckets::default);
            }
            let buckets = &mut schedule.buckets[limit.index];
            match buckets.get_mut(limit.key.as_str()) {
                Some(bucket) => {
                    bucket.pace = pace;
                    bucket.push(id, at);
                }
                None => {
                    let mut bucket = Bucket::new(pace);
                    bucket.push(id, at);
                    buckets.insert(limit.key.clone(), bucket);
                    schedule.len += 1;
                }
            }
        }
        Some((id, at - now))
    }

    /// Blocks until a departure is reserved.
    fn reserve_blocking(&self, limits: &[PaceLimit]) -> (u64, Duration) {
        let mut schedule = self.lock();
        loop {
            if let Some(reserved) = self.try_reserve(&mut schedule, limits) {
                return reserved;
            }
            schedule.blocked += 1;
            schedule = self
                .completed
                .wait(schedule)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            schedule.blocked -= 1;
        }
    }

    /// Waits (without blocking the thread) until a departure is reserved.
    async fn reserve_async(&self, limits: &[PaceLimit]) -> (u64, Duration) {
        std::future::poll_fn(|cx| {
            let mut schedule = self.lock();
            match self.try_reserve(&mut schedule, limits) {
                Some(reserved) => Poll::Ready(reserved),
                None => {
                    schedule.wakers.push(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Ends a reservation: `sent` records when its answer came back (the start of the bound for the request
    /// `count` places later); a reservation that never left gives its place back.
    fn finish(&self, id: u64, limits: &[PaceLimit], sent: bool) {
        let (wakers, blocked) = {
            let mut schedule = self.lock();
            let now = self.timer.now();
            for limit in limits {
                if let Some(bucket) = schedule.bucket_mut(limit) {
                    if sent {
                        // From the newest: a request's answer usually comes back before later ones leave.
                        if let Some(slot) = bucket.slots.iter_mut().rev().find(|s| s.id == id) {
                            slot.done = Some(now);
                        }
                    } else {
                        bucket.give_back(id);
                    }
                }
            }
            (std::mem::take(&mut schedule.wakers), schedule.blocked > 0)
        };
        if blocked {
            self.completed.notify_all();
        }
        for waker in wakers {
            waker.wake();
        }
    }
}

/// A reserved place under the limits; dropping it ends the reservation (see [`Local::finish`]), also when the
/// caller's future is dropped or a panic unwinds.
struct Reservation {
    local: Arc<Local>,
    id: u64,
    limits: Vec<PaceLimit>,
    sent: bool,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.local.finish(self.id, &self.limits, self.sent);
    }
}

/// The in-process [`Pacer`]: the schedule behind the default [`Throttle`] (its pacing is described there).
///
/// Clones share one schedule. Every 429 counts as an answer: the window bound already keeps a single process
/// under the limits, and the [`Retry`](crate::Retry) layer waits out a 429 caused by someone else.
#[derive(Debug, Clone)]
pub struct LocalPacer {
    local: Arc<Local>,
}

impl Default for LocalPacer {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalPacer {
    /// A schedule on the real clock.
    pub fn new() -> Self {
        Self::with_timer(Timer::real())
    }

    /// A schedule on `timer` (a [`Timer::manual`] clock in tests).
    pub fn with_timer(timer: Timer) -> Self {
        Self {
            local: Arc::new(Local {
                timer,
                schedule: Mutex::new(Schedule::default()),
                completed: Condvar::new(),
            }),
        }
    }

    fn permit(reservation: Reservation, wait: Duration) -> PacePermit {
        PacePermit {
            waited: wait,
            on_finish: Finish::Local(reservation),
        }
    }
}

#[async_trait::async_trait]
impl Pacer for LocalPacer {
    fn acquire_blocking(&self, limits: Vec<PaceLimit>) -> PacePermit {
        let (id, wait) = self.local.reserve_blocking(&limits);
        let mut reservation = Reservation {
            local: self.local.clone(),
            id,
            limits,
            sent: false,
        };
        self.local.timer.sleep(wait);
        reservation.sent = true;
        Self::permit(reservation, wait)
    }

    async fn acquire(&self, limits: Vec<PaceLimit>) -> PacePermit {
        let (id, wait) = self.local.reserve_async(&limits).await;
        // From here a dropped future gives the place back (the reservation's drop with `sent == false`).
        let mut reservation = Reservation {
            local: self.local.clone(),
            id,
            limits,
            sent: false,
        };
        if !wait.is_zero() {
            self.local.timer.sleep_async(wait).await;
        }
        reservation.sent = true;
        Self::permit(reservation, wait)
    }

    fn tracked_keys(&self) -> usize {
        self.local.lock().len
    }
}

// ----------------------------------------------------------------------------------------------- Throttle

/// A limit of the config, ready to be handed to a pacer.
#[derive(Debug)]
struct LimitSpec {
    name: Arc<str>,
    count: u32,
    window: Duration,
    gap: Duration,
}

#[derive(Debug)]
struct Shared {
    config: ThrottleConfig,
    /// Index 0: the global rate (if any); `i + 1`: rule `i`.
    limits: Vec<Option<LimitSpec>>,
    pacer: Arc<dyn Pacer>,
}

impl Shared {
    fn limit(&self, index: usize, key: String) -> Option<PaceLimit> {
        let spec = self.limits.get(index)?.as_ref()?;
        Some(PaceLimit {
            index,
            name: spec.name.clone(),
            key,
            count: spec.count,
            window: spec.window,
            gap: spec.gap,
        })
    }

    /// Sends a request under `limits` (its [`limits_of`](Self::limits_of)) with `send`, once the pacer lets it
    /// leave, and tells the pacer how it ended; a request under no limit is sent at once. Blocks the thread.
    fn paced_blocking(
        &self,
        limits: Vec<PaceLimit>,
        send: impl FnOnce() -> Result<HttpResponse, TransportError>,
    ) -> Result<HttpResponse, TransportError> {
        if limits.is_empty() {
            return send();
        }
        let permit = self.pacer.acquire_blocking(limits);
        crate::trace::throttled(permit.waited());
        let result = send();
        permit.finish(PaceOutcome::of(&result));
        result
    }

    /// [`paced_blocking`](Self::paced_blocking) without blocking: `send` is polled only once the request may
    /// leave, and dropped unpolled if the wait is cancelled.
    async fn paced(
        &self,
        limits: Vec<PaceLimit>,
        send: impl Future<Output = Result<HttpResponse, TransportError>>,
    ) -> Result<HttpResponse, TransportError> {
        if limits.is_empty() {
            return send.await;
        }
        let permit = self.pacer.acquire(limits).await;
        crate::trace::throttled(permit.waited());
        let result = send.await;
        permit.finish(PaceOutcome::of(&result));
        result
    }

    /// The limits a request falls under.
    fn limits_of(&self, request: &HttpRequest) -> Vec<PaceLimit> {
        let mut limits = Vec::new();
        limits.extend(self.limit(0, String::new()));
        for (i, rule) in self.config.rules.iter().enumerate() {
            if rule.matches(request)
                && let Some(key) = rule.key_of(request)
            {
                limits.extend(self.limit(i + 1, key));
            }
        }
        limits
    }
}

/// A transport that paces requests to stay under rate limits, then hands them to the inner transport.
///
/// # Pacing
///
/// Every limit `N per W` is kept by two rules at once:
///
/// 1. **Smoothing**: consecutive departures under the limit are at least `W / N` apart (GCRA, burst 1), so
///    requests do not leave in bursts.
/// 2. **The window bound**, which holds however late requests really leave: a request is released only once
///    `W + margin` has passed since the *answer* of every request `N` or more places before it under the same
///    limit. A server counts a request at some moment between its release and its answer, so any `N + 1`
///    requests it counts are at least `W` apart: no window of length `W` ever holds more than `N` — also when
///    the client is starved of CPU and catches up, when the network delays requests unevenly, or when requests
///    are in flight concurrently. (Pacing by departure times alone cannot promise that: a request that leaves
///    late arrives close to the next one.)
///
/// The cost is latency: a request waits for an answer `N` places back, so the sustained rate is about
/// `N / (W + latency + margin)` — above 99 % of a per-second limit on a loopback or a fast link. The
/// `margin` (default [`DEFAULT_MARGIN`], 5 ms, see [`ThrottleConfig::margin`]) covers a server whose window
/// includes both ends and coarse server clocks; it is not needed for the bound itself.
///
/// A request that falls under several limits (the bot's global rate and the rate of its chat) reserves one
/// departure time that satisfies all of them at once, under one lock: checking the limiters one after the other
/// (as separate `governor` limiters would) lets the time spent waiting for the second shift the first one's
/// spacing.
///
/// Nothing is process-global: each [`Throttle`] (and its clones) has its own state. State for keys that no
/// longer constrain anything (a chat not written to for a window) is pruned, so memory follows the chats
/// active in the last window, not every chat ever seen.
///
/// # Pacers
///
/// The throttle decides which limits apply to a request ([`Throttle::limits_of`]); a [`Pacer`] decides when it
/// may leave under all of them. The default is the in-process [`LocalPacer`] described above;
/// [`Throttle::with_pacer`] puts in another one, such as `botwire-redis`'s fleet-wide pacer for replicas that
/// share one bot token. The throttle tells the pacer how each request ended (answered, 429 with its wait, or
/// abandoned).
///
/// # Calling styles and cancellation
///
/// Blocking when the inner transport is blocking (the calling thread sleeps), async when it is async (a
/// runtime-agnostic timer; no tokio needed). Dropping the async call while it still waits gives its place back;
/// dropping it after the request left counts the request as answered at that moment (the server may have seen
/// it). Clones share the limits' state.
///
/// ```
/// use botwire_transport::{BlockingTransport, HttpRequest, HttpResponse, Throttle, ThrottleConfig, Timer, TransportError};
///
/// let inner = |_req: HttpRequest| -> Result<HttpResponse, TransportError> { Ok(http::Response::new(Vec::new())) };
/// let (timer, clock) = Timer::manual();
/// let throttle = Throttle::new(inner, ThrottleConfig::onebot()).with_timer(timer);
/// for _ in 0..3 {
///     throttle.execute(http::Request::post("https://h/api/v1/getMe").body(Vec::new())?)?;
/// }
/// // 2 per second: the 2nd leaves 500 ms after the 1st; the 3rd a window (1 s + 5 ms margin) after the 1st's answer.
/// assert_eq!(clock.slept(), std::time::Duration::from_millis(1005));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Throttle<T> {
    inner: T,
    shared: Arc<Shared>,
}

impl<T> Throttle<T> {
    /// Wraps `inner` with the given limits, paced in this process on the real clock.
    pub fn new(inner: T, config: ThrottleConfig) -> Self {
        Self::build(inner, config, Arc::new(LocalPacer::new()))
    }

    fn build(inner: T, config: ThrottleConfig, pacer: Arc<dyn Pacer>) -> Self {
        let spec = |name: &str, rate: Rate| LimitSpec {
            name: Arc::from(name),
            count: rate.count,
            window: config.window(rate),
            gap: config.interval(rate),
        };
        let limits = std::iter::once(config.global.map(|r| spec("global", r)))
            .chain(config.rules.iter().map(|r| Some(spec(&r.name, r.rate))))
            .collect();
        Self {
            inner,
            shared: Arc::new(Shared {
                config,
                limits,
                pacer,
            }),
        }
    }

    /// The same limits paced in this process on another clock (tests), with fresh state.
    #[must_use]
    pub fn with_timer(self, timer: Timer) -> Self {
        self.with_pacer(LocalPacer::with_timer(timer))
    }

    /// The same limits paced by `pacer` (for example a fleet-wide one), replacing the current pacer.
    #[must_use]
    pub fn with_pacer(self, pacer: impl Pacer) -> Self {
        let config = self.shared.config.clone();
        Self::build(self.inner, config, Arc::new(pacer))
    }

    /// The limits.
    pub fn config(&self) -> &ThrottleConfig {
        &self.shared.config
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The limits `request` falls under, as the pacer gets them (empty: it is not paced).
    pub fn limits_of(&self, request: &HttpRequest) -> Vec<PaceLimit> {
        self.shared.limits_of(request)
    }

    /// How many (limit, key) states the pacer holds in this process (the global rate and one per active chat
    /// and rule; 0 for a pacer that keeps them elsewhere).
    pub fn tracked_keys(&self) -> usize {
        self.shared.pacer.tracked_keys()
    }
}

impl<T: BlockingTransport> BlockingTransport for Throttle<T> {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.shared
            .paced_blocking(self.shared.limits_of(&request), || {
                self.inner.execute(request)
            })
    }

    /// Paced as [`execute`](Self::execute), then forwarded borrowed.
    fn execute_ref(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.shared
            .paced_blocking(self.shared.limits_of(request), || {
                self.inner.execute_ref(request)
            })
    }

    /// Forwarded unpaced: streamed bodies are uploads, sent to the upload host the API hands out, which has
    /// no documented rate limit (the API call that asked for the upload URL was paced).
    fn execute_streamed(
        &self,
        request: crate::StreamRequest,
    ) -> Result<HttpResponse, TransportError> {
        self.inner.execute_streamed(request)
    }
}

#[async_trait::async_trait]
impl<T: AsyncTransport> AsyncTransport for Throttle<T> {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let limits = self.shared.limits_of(&request);
        self.shared.paced(limits, self.inner.execute(request)).await
    }

    /// Paced as [`execute`](AsyncTransport::execute), then forwarded borrowed.
    async fn execute_ref(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let limits = self.shared.limits_of(request);
        self.shared
            .paced(limits, self.inner.execute_ref(request))
            .await
    }

    /// Forwarded unpaced, as the blocking [`execute_streamed`](BlockingTransport::execute_streamed).
    async fn execute_streamed(
        &self,
        request: crate::StreamRequest,
    ) -> Result<HttpResponse, TransportError> {
        self.inner.execute_streamed(request).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::ManualClock;

    type Log = Arc<Mutex<Vec<(Duration, String)>>>;

    const MS: Duration = Duration::from_millis(1);

    /// A transport that records the (manual) time each request left at, with its path and query.
    fn recorder(
        clock: ManualClock,
        log: Log,
    ) -> impl Fn(HttpRequest) -> Result<HttpResponse, TransportError> + Send + Sync + Clone {
        move |req: HttpRequest| {
            log.lock()
                .unwrap()
                .push((clock.now(), req.uri().to_string()));
            Ok(http::Response::new(Vec::new()))
        }
    }

    fn post(uri: &str) -> HttpRequest {
        http::Request::post(uri).body(Vec::new()).unwrap()
    }

    /// The largest number of times that fall in any half-open window `[t, t + window)`.
    fn max_in_window(times: &[Duration], window: Duration) -> usize {
        times
            .iter()
            .map(|&start| {
                times
                    .iter()
                    .filter(|&&t| t >= start && t < start + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    fn setup(
        config: ThrottleConfig,
    ) -> (Throttle<impl BlockingTransport + Clone>, ManualClock, Log) {
        let (timer, clock) = Timer::manual();
        let log = Arc::new(Mutex::new(Vec::new()));
        let throttle =
            Throttle::new(recorder(clock.clone(), log.clone()), config).with_timer(timer);
        (throttle, clock, log)
    }

    fn times(log: &Log) -> Vec<Duration> {
        log.lock().unwrap().iter().map(|(t, _)| *t).collect()
    }

    #[test]
    fn onebot_preset_keeps_two_per_second_in_any_window() {
        let (throttle, clock, log) = setup(ThrottleConfig::onebot());
        for _ in 0..20 {
            throttle.execute(post("https://h/api/v1/getMe")).unwrap();
        }
        let times = times(&log);
        assert_eq!(times.len(), 20);
        assert_eq!(max_in_window(&times, Duration::from_secs(1)), 2);
        // The smoothing gap (500 ms) and the window bound (1 s + 5 ms after the answer two places back) take
        // turns: 500 ms, then 505 ms.
        let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.iter()
                .enumerate()
                .all(|(i, g)| *g == if i % 2 == 0 { 500 * MS } else { 505 * MS }),
            "{gaps:?}"
        );
        assert_eq!(clock.sleeps().len(), 19);
    }

    #[test]
    fn max_preset_paces_each_chat_and_the_bot() {
        let (throttle, _clock, log) = setup(ThrottleConfig::max());
        for i in 0..40 {
            throttle
                .execute(post(&format!("https://h/messages?chat_id={}", i % 4)))
                .unwrap();
        }
        let log = log.lock().unwrap();
        let all: Vec<Duration> = log.iter().map(|(t, _)| *t).collect();
        assert!(max_in_window(&all, Duration::from_secs(1)) <= 30);
        for chat in 0..4 {
            let per_chat: Vec<Duration> = log
                .iter()
                .filter(|(_, u)| u.ends_with(&format!("chat_id={chat}")))
                .map(|(t, _)| *t)
                .collect();
            assert_eq!(per_chat.len(), 10);
            assert_eq!(
                max_in_window(&per_chat, Duration::from_secs(1)),
                2,
                "chat {chat}"
            );
        }
        // Each chat sends 2 per 1.005 s; within a round the bot's 33 ms gap spaces the chats: the last of chat 3's
        // ten messages leaves 4 × 1.005 s + 500 ms + 3 gaps in.
        let last = *all.last().unwrap();
        assert!(
            last >= 4520 * MS && last <= 4640 * MS,
            "the last message left at {last:?}"
        );
    }

    #[test]
    fn global_rate_holds_when_keys_differ_and_user_id_is_a_key() {
        let (throttle, _clock, log) = setup(ThrottleConfig::max());
        for i in 0..100 {
            throttle
                .execute(post(&format!("https://h/messages?user_id={i}")))
                .unwrap();
        }
        let all = times(&log);
        assert_eq!(max_in_window(&all, Duration::from_secs(1)), 30);
        // Any 31 consecutive requests span at least the window.
        assert!(all.windows(31).all(|w| w[30] - w[0] >= 1005 * MS));
        // The first 30 leave a smoothing gap (1 s / 30) apart.
        assert!(
            all[..30]
                .windows(2)
                .all(|w| w[1] - w[0] == Duration::from_nanos(33_333_333))
        );
    }

    #[test]
    fn answers_are_keyed_only_by_an_attached_rate_key() {
        let (throttle, _clock, log) = setup(ThrottleConfig::max().global(None));
        for _ in 0..3 {
            throttle
                .execute(post("https://h/answers?callback_id=x"))
                .unwrap();
        }
        for _ in 0..3 {
            let mut req = post("https://h/answers?callback_id=y");
            RateKey::new("chat_id=5").apply(&mut req);
            throttle.execute(req).unwrap();
        }
        let times = times(&log);
        // No key: not limited by the answers rule (and the global rate is off here).
        assert_eq!(&times[..3], &[Duration::ZERO; 3]);
        assert_eq!(&times[3..], &[Duration::ZERO, 500 * MS, 1005 * MS]);
    }

    #[test]
    fn updates_rule_is_one_bucket_and_other_routes_pass() {
        let (throttle, _clock, log) = setup(ThrottleConfig::max().global(None));
        for path in ["/updates", "/me", "/updates", "/me"] {
            throttle
                .execute(
                    http::Request::get(format!("https://h{path}"))
                        .body(Vec::new())
                        .unwrap(),
                )
                .unwrap();
        }
        assert_eq!(
            times(&log),
            vec![Duration::ZERO, Duration::ZERO, 500 * MS, 500 * MS]
        );
    }

    #[test]
    fn scale_overrides_and_removal() {
        let cfg = ThrottleConfig::max().scale(10.0);
        assert_eq!(cfg.interval(Rate::per_second(2)), 50 * MS);
        assert_eq!(cfg.window(Rate::per_second(2)), 105 * MS);
        let cfg = cfg
            .margin(Duration::ZERO)
            .rule_rate("messages", Rate::per_second(5));
        assert_eq!(cfg.interval(cfg.rules()[0].rate()), 20 * MS);
        assert_eq!(cfg.window(cfg.rules()[0].rate()), 100 * MS);
        let cfg = cfg
            .without_rule("messages")
            .without_rule("answers")
            .without_rule("updates")
            .global(None);
        assert_eq!(
            cfg,
            ThrottleConfig::unlimited()
                .scale(10.0)
                .margin(Duration::ZERO)
        );
        let (throttle, clock, _log) = setup(ThrottleConfig::unlimited());
        for _ in 0..50 {
            throttle
                .execute(post("https://h/messages?chat_id=1"))
                .unwrap();
        }
        assert!(clock.sleeps().is_empty());
        assert_eq!(throttle.tracked_keys(), 0);
    }

    #[test]
    fn clones_share_state_but_new_throttles_do_not() {
        let (throttle, clock, _log) = setup(ThrottleConfig::onebot());
        let twin = throttle.clone();
        throttle.execute(post("https://h/api/v1/getMe")).unwrap();
        twin.execute(post("https://h/api/v1/getMe")).unwrap();
        assert_eq!(clock.slept(), 500 * MS);
        let (fresh, fresh_clock, _log) = setup(ThrottleConfig::onebot());
        fresh.execute(post("https://h/api/v1/getMe")).unwrap();
        assert_eq!(fresh_clock.slept(), Duration::ZERO);
    }

    #[test]
    fn async_side_paces_the_same() {
        let (timer, clock) = Timer::manual();
        let c = clock.clone();
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let inner = move |_req: HttpRequest| {
            l.lock().unwrap().push(c.now());
            async { Ok(http::Response::new(Vec::new())) }
        };
        let throttle = Throttle::new(inner, ThrottleConfig::onebot().scale(2.0)).with_timer(timer);
        let run = async {
            for _ in 0..4 {
                AsyncTransport::execute(&throttle, post("https://h/api/v1/getMe"))
                    .await
                    .unwrap();
            }
        };
        block_on(run);
        // Gap 250 ms; window 500 ms + 5 ms after the answer two places back.
        assert_eq!(
            *log.lock().unwrap(),
            vec![Duration::ZERO, 250 * MS, 505 * MS, 755 * MS]
        );
        assert_eq!(clock.slept(), 755 * MS);
    }

    /// A client that is descheduled or whose requests the network delays unevenly: each request reaches the
    /// "server" `before` after it left and is answered `after` later. Pacing by departure times alone lets a
    /// late request arrive right next to the punctual ones after it; the window bound never does.
    #[test]
    fn delayed_requests_never_bunch_at_the_server() {
        let (timer, clock) = Timer::manual();
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let (c, a) = (clock.clone(), arrivals.clone());
        let seed = std::cell::Cell::new(0x2026_u64);
        let next = move || {
            // xorshift: a deterministic spread of delays from 0 to 900 ms.
            let mut x = seed.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            seed.set(x);
            Duration::from_millis(x % 901)
        };
        let delays: Vec<(Duration, Duration)> = (0..300).map(|_| (next(), next())).collect();
        let delays = Arc::new(Mutex::new(delays.into_iter()));
        let inner = move |_req: HttpRequest| -> Result<HttpResponse, TransportError> {
            let (before, after) = delays.lock().unwrap().next().unwrap_or_default();
            c.advance(before);
            a.lock().unwrap().push(c.now());
            c.advance(after);
            Ok(http::Response::new(Vec::new()))
        };
        let throttle = Throttle::new(inner, ThrottleConfig::max()).with_timer(timer);
        for i in 0..300 {
            throttle
                .execute(post(&format!("https://h/messages?chat_id={}", i % 3)))
                .unwrap();
        }
        let arrivals = arrivals.lock().unwrap().clone();
        assert_eq!(arrivals.len(), 300);
        for chat in 0..3 {
            let per_chat: Vec<Duration> = arrivals.iter().skip(chat).step_by(3).copied().collect();
            assert!(max_in_window(&per_chat, Duration::from_secs(1)) <= 2);
        }
        assert!(max_in_window(&arrivals, Duration::from_secs(1)) <= 30);
    }

    /// The smallest case of the above: one chat, its first message held 900 ms before it reaches the server,
    /// the next two punctual. Pacing by departures sends the 2nd as soon as the 1st returns and the 3rd one gap
    /// later: three arrivals within a second. The window bound holds the 3rd until a window after the 1st's
    /// answer.
    #[test]
    fn a_late_request_does_not_let_the_next_two_bunch_with_it() {
        let (timer, clock) = Timer::manual();
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let (c, a) = (clock.clone(), arrivals.clone());
        let held = Arc::new(Mutex::new(
            vec![900 * MS, Duration::ZERO, Duration::ZERO].into_iter(),
        ));
        let inner = move |_req: HttpRequest| -> Result<HttpResponse, TransportError> {
            c.advance(held.lock().unwrap().next().unwrap_or_default());
            a.lock().unwrap().push(c.now());
            Ok(http::Response::new(Vec::new()))
        };
        let throttle = Throttle::new(inner, ThrottleConfig::max()).with_timer(timer);
        for _ in 0..3 {
            throttle
                .execute(post("https://h/messages?chat_id=1"))
                .unwrap();
        }
        let arrivals = arrivals.lock().unwrap().clone();
        assert_eq!(
            max_in_window(&arrivals, Duration::from_secs(1)),
            2,
            "{arrivals:?}"
        );
        assert_eq!(arrivals, vec![900 * MS, 900 * MS, 1905 * MS]);
    }

    /// Many threads on the real clock, with answers that take uneven, random times: whatever the scheduler does
    /// (this test is meant to pass on a loaded machine), no window of the limit's length holds more than the
    /// limit at the "server", which stamps each request between its release and its answer.
    #[test]
    fn concurrent_callers_on_the_real_clock_keep_the_bound() {
        let start = std::time::Instant::now();
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let a = arrivals.clone();
        let inner = move |req: HttpRequest| -> Result<HttpResponse, TransportError> {
            let spin = |n: u64| std::thread::sleep(Duration::from_micros(n * 700));
            let n = req.uri().query().map_or(0, |q| q.len() as u64 % 7);
            spin(n);
            a.lock().unwrap().push(start.elapsed());
            spin(6 - n);
            Ok(http::Response::new(Vec::new()))
        };
        // 5 per 40 ms, no margin: the bound alone must hold it.
        let config = ThrottleConfig::unlimited()
            .global(Rate::new(5, Duration::from_millis(40)))
            .margin(Duration::ZERO);
        let throttle = Throttle::new(inner, config);
        std::thread::scope(|scope| {
            for t in 0..8 {
                let throttle = &throttle;
                scope.spawn(move || {
                    for i in 0..15 {
                        throttle
                            .execute(post(&format!("https://h/me?t={t}&i={i}")))
                            .unwrap();
                    }
                });
            }
        });
        let mut arrivals = arrivals.lock().unwrap().clone();
        arrivals.sort();
        assert_eq!(arrivals.len(), 120);
        assert!(arrivals.windows(6).all(|w| w[5] - w[0] >= 40 * MS));
    }

    /// An async call dropped while it waits gives its place back: the next call takes exactly that place.
    #[test]
    fn a_call_dropped_while_waiting_gives_its_place_back() {
        use futures_util::FutureExt;

        let clock = ManualClock::default();
        let (c1, c2) = (clock.clone(), clock.clone());
        // The blocking sleeper advances the clock; the async one never wakes (the call is dropped instead).
        let timer = Timer::custom(
            move || c1.now(),
            move |d| c2.advance(d),
            |_| Box::pin(std::future::pending()),
        );
        let inner = |_req: HttpRequest| async { Ok(http::Response::new(Vec::new())) };
        let pacer = LocalPacer::with_timer(timer);
        let throttle = Throttle::new(inner, ThrottleConfig::onebot()).with_pacer(pacer.clone());
        let call = || AsyncTransport::execute(&throttle, post("https://h/api/v1/getMe"));
        assert!(
            call().now_or_never().is_some(),
            "the first call leaves at once"
        );
        assert!(call().now_or_never().is_none(), "the second waits 500 ms");
        assert!(
            call().now_or_never().is_none(),
            "so does the next: same place"
        );
        assert_eq!(throttle.tracked_keys(), 1);
        let schedule = pacer.local.lock();
        let bucket = &schedule.buckets[0][""];
        assert_eq!(
            bucket.slots.len(),
            1,
            "only the call that left holds a place"
        );
        assert_eq!(bucket.next, 500 * MS);
    }

    /// Keys that constrain nothing any more are forgotten: 100,000 chats written to once keep a bounded map.
    #[test]
    fn idle_chats_are_pruned() {
        let (throttle, clock, _log) = setup(ThrottleConfig::max().global(None));
        for chat in 0..100_000 {
            throttle
                .execute(post(&format!("https://h/messages?chat_id={chat}")))
                .unwrap();
            clock.advance(Duration::from_millis(2));
        }
        // A window (1.005 s) of chats at one per 2 ms is ~500 live keys; pruning at twice the live set.
        assert!(
            throttle.tracked_keys() <= 2 * PRUNE_FLOOR,
            "{}",
            throttle.tracked_keys()
        );
    }

    /// The fast query scan gives what `form_urlencoded` gives, for plain and encoded values and keys.
    #[test]
    fn query_keys_match_form_urlencoded() {
        let reference = |query: &str, name: &str| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| format!("{name}={v}"))
        };
        for query in [
            "chat_id=42",
            "access_token=x&chat_id=-5&user_id=3",
            "chat_id=%2D7",
            "chat%5Fid=9",
            "text=a+b&chat_id=1",
            "chat_id",
            "chat_id=",
            "chat_idx=1&chat_id=2",
            "user_id=8",
            "",
            "chat_id=1&chat_id=2",
        ] {
            assert_eq!(
                query_key(query, "chat_id"),
                reference(query, "chat_id"),
                "{query}"
            );
        }
    }

    /// One limit as a test compares it: (index, name, key, count).
    type Asked = Vec<(usize, String, String, u32)>;

    /// A pacer that grants at once and records what it was asked and told.
    #[derive(Debug, Default, Clone)]
    struct RecordingPacer {
        asked: Arc<Mutex<Vec<Asked>>>,
        told: Arc<Mutex<Vec<PaceOutcome>>>,
    }

    #[async_trait::async_trait]
    impl Pacer for RecordingPacer {
        fn acquire_blocking(&self, limits: Vec<PaceLimit>) -> PacePermit {
            self.asked.lock().unwrap().push(
                limits
                    .iter()
                    .map(|l| (l.index, l.name.to_string(), l.key.clone(), l.count))
                    .collect(),
            );
            let told = self.told.clone();
            PacePermit::new(Duration::ZERO, move |outcome| {
                told.lock().unwrap().push(outcome);
            })
        }

        async fn acquire(&self, limits: Vec<PaceLimit>) -> PacePermit {
            self.acquire_blocking(limits)
        }
    }

    /// The seam: the throttle hands a pacer every limit of a request (with its name and key) and tells it how
    /// the request ended — a 429 with the wait the server asked for; unpaced routes never reach it.
    #[test]
    fn a_pacer_gets_each_requests_limits_and_its_outcome() {
        let pacer = RecordingPacer::default();
        let inner = |req: HttpRequest| -> Result<HttpResponse, TransportError> {
            let mut response = http::Response::new(Vec::new());
            if req.uri().query() == Some("chat_id=7") {
                *response.status_mut() = http::StatusCode::TOO_MANY_REQUESTS;
                response
                    .headers_mut()
                    .insert("retry-after", http::HeaderValue::from_static("3"));
            }
            Ok(response)
        };
        let throttle = Throttle::new(inner, ThrottleConfig::max()).with_pacer(pacer.clone());
        throttle
            .execute(post("https://h/messages?chat_id=42"))
            .unwrap();
        throttle
            .execute(post("https://h/messages?chat_id=7"))
            .unwrap();
        throttle
            .execute(http::Request::get("https://h/me").body(Vec::new()).unwrap())
            .unwrap();
        let asked = pacer.asked.lock().unwrap().clone();
        assert_eq!(asked.len(), 3, "GET /me is paced by the global rate only");
        assert_eq!(
            asked[0],
            vec![
                (0, "global".to_owned(), String::new(), 30),
                (1, "messages".to_owned(), "chat_id=42".to_owned(), 2),
            ]
        );
        assert_eq!(asked[2], vec![(0, "global".to_owned(), String::new(), 30)]);
        assert_eq!(
            *pacer.told.lock().unwrap(),
            vec![
                PaceOutcome::Answered,
                PaceOutcome::RateLimited(Some(Duration::from_secs(3))),
                PaceOutcome::Answered,
            ]
        );
        // A share of a limit stretches its window and gap.
        let limit = throttle.limits_of(&post("https://h/messages?chat_id=1"))[1].clone();
        let half = limit.clone().at_share(0.5);
        assert_eq!(half.window, limit.window * 2);
        assert_eq!(half.gap, limit.gap * 2);
        assert_eq!(limit.clone().at_share(7.0), limit);
    }

    /// A minimal executor: the manual timer's futures are always ready.
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }
}
