//! Server-side rate limits: the documented limits of each API, enforced as a sliding window, answered with 429.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use botwire_core_types::limits;
use http::Method;

/// Where a limit takes the key that selects its window.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitKey {
    /// One window for every matching request.
    Route,
    /// One window per value of the first of these query parameters present; requests with none are not
    /// limited by this rule.
    Query(Vec<String>),
}

/// One limit: at most `count` accepted requests in any `window`, for matching requests (per key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitRule {
    /// A name, to change or remove the rule.
    pub name: String,
    /// The HTTP method (any when `None`).
    pub method: Option<Method>,
    /// The path suffix a request must end with.
    pub path_suffix: String,
    /// How the key is chosen.
    pub key: LimitKey,
    /// Accepted requests per window.
    pub count: u32,
    /// The window.
    pub window: Duration,
}

/// Maps a query parameter to the thing the platform keys a limit by (e.g. a `callback_id` to its chat, a
/// `user_id` to the dialog): `(name, value) -> key`, `None` to keep `name=value`.
pub(crate) type Resolver = Arc<dyn Fn(&str, &str) -> Option<String> + Send + Sync>;

struct ResolverSlot(Option<Resolver>);

impl std::fmt::Debug for ResolverSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Resolver(set)"
        } else {
            "Resolver(none)"
        })
    }
}

impl LimitRule {
    fn key_of(
        &self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        resolve: Option<&Resolver>,
    ) -> Option<String> {
        if self.method.as_ref().is_some_and(|m| m != method) || !path.ends_with(&self.path_suffix) {
            return None;
        }
        match &self.key {
            LimitKey::Route => Some(String::new()),
            LimitKey::Query(names) => {
                let query = query?;
                names.iter().find_map(|name| {
                    form_urlencoded::parse(query.as_bytes())
                        .find(|(k, _)| k == name.as_str())
                        .map(|(_, v)| {
                            resolve
                                .and_then(|r| r(name, &v))
                                .unwrap_or_else(|| format!("{name}={v}"))
                        })
                })
            }
        }
    }
}

/// How a 429 tells the client how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RetryHint {
    /// No hint (what MAX documents: no rate-limit headers, `max-bot-api.md` §2).
    #[default]
    None,
    /// `Retry-After` in whole seconds, rounded up (the standard form).
    WholeSeconds,
    /// `Retry-After` in seconds with millisecond decimals (e.g. `0.125`): not standard HTTP, but it lets a scaled
    /// sandbox hint waits shorter than a second; botwire's parser reads it.
    Precise,
}

#[derive(Debug, Clone)]
struct Settings {
    enforced: bool,
    global: Option<(u32, Duration)>,
    rules: Vec<LimitRule>,
    scale: f64,
    hint: RetryHint,
}

/// The rate limits a sandbox enforces, changeable while it runs.
///
/// Presets mirror the client presets (`ThrottleConfig::max()` / `::onebot()` in botwire-transport), from the same
/// constants. A request over a limit gets `429` with the API's error body and is not counted against the window
/// (a refused request is not processed). Limits start **off**, so tests that do not care about pacing can use a
/// bare transport; turn them on with [`Limits::enforce`].
#[derive(Debug)]
pub struct Limits {
    settings: Mutex<Settings>,
    windows: Mutex<HashMap<(usize, String), VecDeque<Instant>>>,
    body: String,
    resolver: Mutex<ResolverSlot>,
}

/// Index of the global window in the window map.
const GLOBAL: usize = usize::MAX;

impl Limits {
    fn new(global: Option<(u32, Duration)>, rules: Vec<LimitRule>, body: &str) -> Self {
        Self {
            settings: Mutex::new(Settings {
                enforced: false,
                global,
                rules,
                scale: 1.0,
                hint: RetryHint::None,
            }),
            windows: Mutex::new(HashMap::new()),
            body: body.to_owned(),
            resolver: Mutex::new(ResolverSlot(None)),
        }
    }

    /// No limits.
    pub fn none() -> Self {
        Self::new(None, Vec::new(), r#"{"message":"Too Many Requests"}"#)
    }

    /// MAX (`max-bot-api.md` §2): 30 requests/s per bot (the sandbox serves one bot); `POST /messages` 2/s per
    /// chat; `POST /answers` 2/s per chat; `GET /updates` 2/s.
    ///
    /// A MAX sandbox keys the per-chat rules the way the platform can: `POST /answers` by the chat of the
    /// `callback_id`'s message (the request names no chat), and a dialog reached by `user_id` and by `chat_id`
    /// as one chat.
    /// The 429 body `{"code":"too.many.requests",…}` is a guess: no live 429 body is documented.
    pub fn max() -> Self {
        let second = Duration::from_secs(1);
        let rule =
            |name: &str, method: Method, suffix: &str, key: LimitKey, count: u32| LimitRule {
                name: name.to_owned(),
                method: Some(method),
                path_suffix: suffix.to_owned(),
                key,
                count,
                window: second,
            };
        let chat = || LimitKey::Query(vec!["chat_id".to_owned(), "user_id".to_owned()]);
        Self::new(
            Some((limits::MAX_REQUESTS_PER_SECOND, second)),
            vec![
                rule(
                    "messages",
                    Method::POST,
                    "/messages",
                    chat(),
                    limits::MAX_MESSAGES_PER_CHAT_PER_SECOND,
                ),
                rule(
                    "answers",
                    Method::POST,
                    "/answers",
                    LimitKey::Query(vec!["callback_id".to_owned(), "chat_id".to_owned()]),
                    limits::MAX_ANSWERS_PER_CHAT_PER_SECOND,
                ),
                rule(
                    "updates",
                    Method::GET,
                    "/updates",
                    LimitKey::Route,
                    limits::MAX_POLLS_PER_SECOND,
                ),
            ],
            r#"{"code":"too.many.requests","message":"Too many requests"}"#,
        )
    }

    /// onebot.tech (`onebot-api.md` §1.5): 2 requests/s per token; Laravel's 429 body (inferred).
    pub fn onebot() -> Self {
        Self::new(
            Some((limits::ONEBOT_REQUESTS_PER_SECOND, Duration::from_secs(1))),
            Vec::new(),
            r#"{"message":"Too Many Attempts."}"#,
        )
    }

    fn settings(&self) -> std::sync::MutexGuard<'_, Settings> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets how query values map to limit keys (a MAX sandbox: callbacks and users to their chats).
    pub(crate) fn set_resolver(&self, resolver: Resolver) {
        self.resolver.lock().unwrap_or_else(|p| p.into_inner()).0 = Some(resolver);
    }

    /// Turns enforcement on or off (windows restart empty).
    pub fn enforce(&self, on: bool) -> &Self {
        self.settings().enforced = on;
        self.reset();
        self
    }

    /// Makes every limit `factor` times faster (each window divided by `factor`), to match a client throttle
    /// scaled the same way. Non-positive or non-finite factors are ignored.
    pub fn scale(&self, factor: f64) -> &Self {
        if factor.is_finite() && factor > 0.0 {
            self.settings().scale = factor;
        }
        self.reset();
        self
    }

    /// How a 429 hints the wait.
    pub fn hint(&self, hint: RetryHint) -> &Self {
        self.settings().hint = hint;
        self
    }

    /// Sets (or removes) the global limit: `count` per `window`.
    pub fn set_global(&self, limit: Option<(u32, Duration)>) -> &Self {
        self.settings().global = limit;
        self.reset();
        self
    }

    /// Adds a rule, replacing one of the same name.
    pub fn set_rule(&self, rule: LimitRule) -> &Self {
        {
            let mut s = self.settings();
            match s.rules.iter_mut().find(|r| r.name == rule.name) {
                Some(slot) => *slot = rule,
                None => s.rules.push(rule),
            }
        }
        self.reset();
        self
    }

    /// Removes the rule named `name`.
    pub fn remove_rule(&self, name: &str) -> &Self {
        self.settings().rules.retain(|r| r.name != name);
        self.reset();
        self
    }

    /// Whether limits are enforced.
    pub fn is_enforced(&self) -> bool {
        self.settings().enforced
    }

    /// The body a 429 carries.
    pub fn body(&self) -> &str {
        &self.body
    }

    pub(crate) fn hint_kind(&self) -> RetryHint {
        self.settings().hint
    }

    fn reset(&self) {
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Admits a request (and counts it) or says how long until it would be admitted.
    pub(crate) fn admit(
        &self,
        method: &Method,
        path: &str,
        query: Option<&str>,
    ) -> Result<(), Duration> {
        let settings = {
            let guard = self.settings();
            if !guard.enforced {
                // The common case: no copy of the rules per request (it showed up in the GET /me profile).
                return Ok(());
            }
            guard.clone()
        };
        let scaled = |w: Duration| w.div_f64(settings.scale);
        let resolver = self
            .resolver
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .clone();
        let mut applicable: Vec<((usize, String), u32, Duration)> = Vec::new();
        if let Some((count, window)) = settings.global {
            applicable.push(((GLOBAL, String::new()), count, scaled(window)));
        }
        for (i, rule) in settings.rules.iter().enumerate() {
            if let Some(key) = rule.key_of(method, path, query, resolver.as_ref()) {
                applicable.push(((i, key), rule.count, scaled(rule.window)));
            }
        }
        if applicable.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = Duration::ZERO;
        for (slot, count, window) in &applicable {
            let log = windows.entry(slot.clone()).or_default();
            while log
                .front()
                .is_some_and(|t| now.duration_since(*t) >= *window)
            {
                log.pop_front();
            }
            if log.len() >= *count as usize {
                let oldest = log[log.len() - *count as usize];
                wait = wait.max(*window - now.duration_since(oldest));
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        for (slot, _, _) in applicable {
            windows.entry(slot).or_default().push_back(now);
        }
        Ok(())
    }
}

/// The `Retry-After` value for `wait`, or `None` when the hint is off.
pub(crate) fn retry_after_value(hint: RetryHint, wait: Duration) -> Option<String> {
    match hint {
        RetryHint::None => None,
        RetryHint::WholeSeconds => Some(wait.as_secs_f64().ceil().max(1.0).to_string()),
        RetryHint::Precise => {
            let millis =
                wait.as_millis().max(1) + u128::from(!wait.as_nanos().is_multiple_of(1_000_000));
            Some(format!("{}.{:03}", millis / 1000, millis % 1000))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_admits_count_per_window_then_refuses_with_the_wait() {
        let limits = Limits::onebot();
        limits.enforce(true).scale(1.0);
        assert!(limits.admit(&Method::POST, "/api/v1/getMe", None).is_ok());
        assert!(limits.admit(&Method::POST, "/api/v1/getMe", None).is_ok());
        let wait = limits
            .admit(&Method::POST, "/api/v1/getMe", None)
            .unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::from_millis(900),
            "{wait:?}"
        );
        limits.enforce(false);
        for _ in 0..10 {
            assert!(limits.admit(&Method::POST, "/api/v1/getMe", None).is_ok());
        }
    }

    #[test]
    fn max_messages_are_limited_per_chat() {
        let limits = Limits::max();
        limits.enforce(true);
        for chat in 0..5 {
            let q = format!("chat_id={chat}");
            assert!(limits.admit(&Method::POST, "/messages", Some(&q)).is_ok());
            assert!(limits.admit(&Method::POST, "/messages", Some(&q)).is_ok());
            assert!(limits.admit(&Method::POST, "/messages", Some(&q)).is_err());
        }
        // The global window counted the 10 admitted, not the 5 refused.
        for _ in 0..20 {
            assert!(limits.admit(&Method::GET, "/me", None).is_ok());
        }
        assert!(limits.admit(&Method::GET, "/me", None).is_err());
    }

    #[test]
    fn hint_values() {
        let w = Duration::from_millis(1250);
        assert_eq!(retry_after_value(RetryHint::None, w), None);
        assert_eq!(
            retry_after_value(RetryHint::WholeSeconds, w).as_deref(),
            Some("2")
        );
        assert_eq!(
            retry_after_value(RetryHint::Precise, w).as_deref(),
            Some("1.250")
        );
        assert_eq!(
            retry_after_value(RetryHint::Precise, Duration::from_micros(40_500)).as_deref(),
            Some("0.041")
        );
    }
}
