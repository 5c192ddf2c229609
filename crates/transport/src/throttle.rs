//! Client-side rate limiting: a transport that delays requests so the server never sees more than its limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
                names.iter().find_map(|name| {
                    form_urlencoded::parse(query.as_bytes())
                        .find(|(k, _)| k == name.as_str())
                        .map(|(_, v)| format!("{name}={v}"))
                })
            }),
        }
    }
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
/// assert_eq!(cfg.interval(Rate::per_second(30)), Duration::from_millis(5));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottleConfig {
    global: Option<Rate>,
    rules: Vec<RateRule>,
    margin: Duration,
    scale: f64,
}

/// The default safety margin added to every window before dividing it into gaps.
pub const DEFAULT_MARGIN: Duration = Duration::from_millis(50);

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

    /// The time added to every window before it is divided into gaps (default [`DEFAULT_MARGIN`]). It absorbs
    /// the jitter between sending and the server's count, so it is not scaled by [`ThrottleConfig::scale`].
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

    /// The gap kept between two requests under `rate`: `(per / scale + margin) / count`.
    pub fn interval(&self, rate: Rate) -> Duration {
        (rate.per.div_f64(self.scale) + self.margin) / rate.count
    }
}

#[derive(Debug, Default)]
struct Schedule {
    /// Earliest next departure under the global rate.
    global: Duration,
    /// Earliest next departure per (rule index, key).
    keyed: HashMap<(usize, String), Duration>,
}

#[derive(Debug)]
struct Shared {
    config: ThrottleConfig,
    global_gap: Option<Duration>,
    rule_gaps: Vec<Duration>,
    timer: Timer,
    schedule: Mutex<Schedule>,
}

/// Entries whose time has passed carry no constraint; they are dropped once the map grows past this.
const PRUNE_AT: usize = 4096;

impl Shared {
    /// Reserves the earliest departure that keeps every applicable limit and returns how long to wait for it.
    fn reserve(&self, request: &HttpRequest) -> Duration {
        let applicable: Vec<(usize, String)> = self
            .config
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(request))
            .filter_map(|(i, r)| r.key_of(request).map(|k| (i, k)))
            .collect();
        if self.global_gap.is_none() && applicable.is_empty() {
            return Duration::ZERO;
        }
        let mut schedule = self
            .schedule
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = self.timer.now();
        let mut at = now;
        if self.global_gap.is_some() {
            at = at.max(schedule.global);
        }
        for slot in &applicable {
            if let Some(t) = schedule.keyed.get(slot) {
                at = at.max(*t);
            }
        }
        if let Some(gap) = self.global_gap {
            schedule.global = at + gap;
        }
        if schedule.keyed.len() >= PRUNE_AT {
            schedule.keyed.retain(|_, t| *t > now);
        }
        for slot in applicable {
            let gap = self.rule_gaps[slot.0];
            schedule.keyed.insert(slot, at + gap);
        }
        at - now
    }
}

/// A transport that paces requests to stay under rate limits, then hands them to the inner transport.
///
/// # Pacing
///
/// Servers count requests in a window ("30 per second"); a token bucket that lets a full burst through and then
/// refills would show a server counting in a *sliding* window up to twice the limit. So every limit `N per W` is
/// paced as a fixed gap between consecutive requests: `(W + margin) / N`, burst 1. Any window of length `W`
/// then holds at most `N` requests, with `margin` (default 50 ms, see [`ThrottleConfig::margin`]) left for the
/// jitter between the moment we send and the moment the server counts. The sustained rate is
/// `N × W / (W + margin)`, about 95 % of a per-second limit.
///
/// A request that falls under several limits (the bot's global rate and the rate of its chat) reserves one
/// departure time that satisfies all of them at once, under one lock: checking the limiters one after the other
/// (as separate `governor` limiters would) lets the time spent waiting for the second shift the first one's
/// spacing, and the server then sees two requests closer than the gap. The state is a GCRA "theoretical
/// arrival time" per limit (and per key).
///
/// Nothing is process-global: each [`Throttle`] (and its clones) has its own state.
///
/// # Calling styles
///
/// Blocking when the inner transport is blocking (the calling thread sleeps), async when it is async (a
/// runtime-agnostic timer; dropping the future while it waits gives up the reserved slot, which stays used).
/// Clones share the limits' state.
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
/// // 2 per second + 50 ms margin: a gap of 525 ms before the 2nd and the 3rd request.
/// assert_eq!(clock.slept(), std::time::Duration::from_millis(1050));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Throttle<T> {
    inner: T,
    shared: Arc<Shared>,
}

impl<T> Throttle<T> {
    /// Wraps `inner` with the given limits and the real clock.
    pub fn new(inner: T, config: ThrottleConfig) -> Self {
        Self::build(inner, config, Timer::real())
    }

    fn build(inner: T, config: ThrottleConfig, timer: Timer) -> Self {
        let global_gap = config.global.map(|r| config.interval(r));
        let rule_gaps = config
            .rules
            .iter()
            .map(|r| config.interval(r.rate))
            .collect();
        Self {
            inner,
            shared: Arc::new(Shared {
                config,
                global_gap,
                rule_gaps,
                timer,
                schedule: Mutex::new(Schedule::default()),
            }),
        }
    }

    /// The same limits on another clock (tests), with fresh state.
    #[must_use]
    pub fn with_timer(self, timer: Timer) -> Self {
        let config = self.shared.config.clone();
        Self::build(self.inner, config, timer)
    }

    /// The limits.
    pub fn config(&self) -> &ThrottleConfig {
        &self.shared.config
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }
}

impl<T: BlockingTransport> BlockingTransport for Throttle<T> {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let wait = self.shared.reserve(&request);
        self.shared.timer.sleep(wait);
        self.inner.execute(request)
    }
}

#[async_trait::async_trait]
impl<T: AsyncTransport> AsyncTransport for Throttle<T> {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let wait = self.shared.reserve(&request);
        self.shared.timer.sleep_async(wait).await;
        self.inner.execute(request).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::ManualClock;

    type Log = Arc<Mutex<Vec<(Duration, String)>>>;

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

    #[test]
    fn onebot_preset_keeps_two_per_second_in_any_window() {
        let (throttle, clock, log) = setup(ThrottleConfig::onebot());
        for _ in 0..20 {
            throttle.execute(post("https://h/api/v1/getMe")).unwrap();
        }
        let times: Vec<Duration> = log.lock().unwrap().iter().map(|(t, _)| *t).collect();
        assert_eq!(times.len(), 20);
        assert_eq!(max_in_window(&times, Duration::from_secs(1)), 2);
        assert!(
            times
                .windows(2)
                .all(|w| w[1] - w[0] == Duration::from_millis(525))
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
        // Each chat waits 525 ms between its messages; within a round the bot's 35 ms gap spaces the chats.
        assert_eq!(
            *all.last().unwrap(),
            Duration::from_millis(525) * 9 + Duration::from_millis(105)
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
        let all: Vec<Duration> = log.lock().unwrap().iter().map(|(t, _)| *t).collect();
        // The 50 ms margin costs one request per second: 29 in any second, 30 in any 1.05 s.
        assert_eq!(max_in_window(&all, Duration::from_secs(1)), 29);
        assert_eq!(max_in_window(&all, Duration::from_millis(1050)), 30);
        assert!(
            all.windows(2)
                .all(|w| w[1] - w[0] == Duration::from_nanos(35_000_000))
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
        let times: Vec<Duration> = log.lock().unwrap().iter().map(|(t, _)| *t).collect();
        // No key: not limited by the answers rule (and the global rate is off here).
        assert_eq!(&times[..3], &[Duration::ZERO; 3]);
        assert_eq!(
            &times[3..],
            &[
                Duration::ZERO,
                Duration::from_millis(525),
                Duration::from_millis(1050)
            ]
        );
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
        let times: Vec<Duration> = log.lock().unwrap().iter().map(|(t, _)| *t).collect();
        assert_eq!(
            times,
            vec![
                Duration::ZERO,
                Duration::ZERO,
                Duration::from_millis(525),
                Duration::from_millis(525)
            ]
        );
    }

    #[test]
    fn scale_overrides_and_removal() {
        let cfg = ThrottleConfig::max().scale(10.0);
        assert_eq!(cfg.interval(Rate::per_second(2)), Duration::from_millis(75));
        let cfg = cfg
            .margin(Duration::ZERO)
            .rule_rate("messages", Rate::per_second(5));
        assert_eq!(
            cfg.interval(cfg.rules()[0].rate()),
            Duration::from_millis(20)
        );
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
    }

    #[test]
    fn clones_share_state_but_new_throttles_do_not() {
        let (throttle, clock, _log) = setup(ThrottleConfig::onebot());
        let twin = throttle.clone();
        throttle.execute(post("https://h/api/v1/getMe")).unwrap();
        twin.execute(post("https://h/api/v1/getMe")).unwrap();
        assert_eq!(clock.slept(), Duration::from_millis(525));
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
        futures_executor_block_on(run);
        let gap = Duration::from_millis(275); // (500 ms + 50 ms) / 2
        assert_eq!(
            *log.lock().unwrap(),
            vec![Duration::ZERO, gap, gap * 2, gap * 3]
        );
        assert_eq!(clock.slept(), gap * 3);
    }

    /// A minimal executor: the manual timer's futures are always ready.
    fn futures_executor_block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }
}
