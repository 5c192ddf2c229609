//! Safe retries: a transport that repeats a request only when repeating cannot do harm.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::Jitter;
use crate::{
    AsyncTransport, BlockingTransport, Delivery, HttpRequest, HttpResponse, RequestOptions,
    StreamRequest, Timer, TransportError,
};

/// When and how often [`Retry`] repeats a request.
///
/// ```
/// use std::time::Duration;
/// use botwire_transport::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .backoff(Duration::from_millis(200), Duration::from_secs(10))
///     .seed(7);
/// assert_eq!(policy.get_max_attempts(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base: Duration,
    max_backoff: Duration,
    max_server_wait: Duration,
    retry_unknown_outcomes: bool,
    seed: Option<u64>,
}

impl Default for RetryPolicy {
    /// 4 attempts; backoff from 1 s (`onebot-api.md` §1.5: "back off exponentially starting at about 1 s") up
    /// to 30 s; server hints up to 60 s are honoured; unknown outcomes of non-idempotent requests not retried.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_server_wait: Duration::from_secs(60),
            retry_unknown_outcomes: false,
            seed: None,
        }
    }
}

impl RetryPolicy {
    /// One attempt only: the layer just forwards.
    pub fn never() -> Self {
        Self::default().max_attempts(1)
    }

    /// Attempts in all, the first included (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff's first ceiling and its cap: retry `n` (from 0) waits a uniform draw in
    /// `[0, min(max, base × 2^n)]`.
    #[must_use]
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base = base;
        self.max_backoff = max.max(base);
        self
    }

    /// The longest server-requested wait that is honoured; a longer one ends the retries and returns the
    /// answer (the caller sees the wait in `retry_after()`).
    #[must_use]
    pub fn max_server_wait(mut self, max: Duration) -> Self {
        self.max_server_wait = max;
        self
    }

    /// Also repeat non-idempotent requests whose outcome is unknown (connection lost after sending, 5xx).
    /// Only for writes the server deduplicates, or that are harmless twice.
    #[must_use]
    pub fn retry_unknown_outcomes(mut self, yes: bool) -> Self {
        self.retry_unknown_outcomes = yes;
        self
    }

    /// Seeds the jitter, for reproducible waits in tests. Unseeded, each [`Retry`] seeds from the clock.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Attempts in all.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether unknown outcomes of non-idempotent requests are retried.
    pub fn get_retry_unknown_outcomes(&self) -> bool {
        self.retry_unknown_outcomes
    }
}

/// The numeric `retry_after` (seconds) of a JSON error body, top level or under `parameters` (Telegram style).
///
/// ```
/// let wait = botwire_transport::retry_after_in_body(br#"{"message":"slow down","retry_after":2.5}"#);
/// assert_eq!(wait, Some(std::time::Duration::from_millis(2500)));
/// ```
pub fn retry_after_in_body(body: &[u8]) -> Option<Duration> {
    if !body.contains(&b'{') || !windows_contains(body, b"retry_after") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let secs = value
        .get("retry_after")
        .or_else(|| value.get("parameters")?.get("retry_after"))?
        .as_f64()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

fn windows_contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// What one attempt's outcome means for the next step.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Hand the outcome to the caller.
    Done,
    /// Try again after this long.
    Again(Duration),
}

#[derive(Debug)]
struct Shared {
    policy: RetryPolicy,
    timer: Timer,
    rng: Mutex<Jitter>,
}

/// A transport that repeats failed requests where that is safe.
///
/// | outcome of an attempt | retried when |
/// |---|---|
/// | response `429` | always: the server refused to process it (waits the server's hint when given) |
/// | response `5xx` | the request is idempotent ([`RequestOptions::is_idempotent`]) or the policy opted in |
/// | error, [`Delivery::NotSent`], transient (connect, timeout) | always: the server never saw it |
/// | error, [`Delivery::Unknown`] or [`Delivery::Answered`], transient | idempotent, or opted in |
/// | anything else (2xx–4xx, TLS, invalid request, body cap) | never |
///
/// Waits: the server's hint (`Retry-After` and friends, see [`retry_after`](crate::retry_after), or a numeric
/// `retry_after` field in a JSON body) when there is one, otherwise exponential backoff with full jitter
/// (a uniform draw in `[0, min(max_backoff, base × 2^n)]`).
///
/// A request whose outcome became unknown on any attempt is reported with [`Delivery::Unknown`] if the retries
/// end in failure, so the API error's `outcome_unknown()` stays `true` and its message says so.
///
/// Every attempt but the last lends the request to the inner transport
/// ([`execute_ref`](BlockingTransport::execute_ref)) and keeps it for the next one; the last hands it over. The
/// backends send a lent request without copying its body or extensions; a transport that does not override
/// `execute_ref` (a closure) gets a clone.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use botwire_transport::{BlockingTransport, HttpRequest, HttpResponse, Retry, RetryPolicy, Timer, TransportError};
///
/// let calls = AtomicU32::new(0);
/// let flaky = |_req: HttpRequest| -> Result<HttpResponse, TransportError> {
///     let status = if calls.fetch_add(1, Ordering::SeqCst) < 2 { 503 } else { 200 };
///     Ok(http::Response::builder().status(status).body(Vec::new()).unwrap())
/// };
/// let (timer, clock) = Timer::manual();
/// let retry = Retry::new(flaky, RetryPolicy::default().seed(1)).with_timer(timer);
/// let resp = retry.execute(http::Request::get("https://h/me").body(Vec::new())?)?;
/// assert_eq!(resp.status(), 200);
/// assert_eq!(clock.sleeps().len(), 2); // two backoffs, no real sleeping
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Retry<T> {
    inner: T,
    shared: Arc<Shared>,
}

impl<T> Retry<T> {
    /// Wraps `inner` with `policy`, on the real clock.
    pub fn new(inner: T, policy: RetryPolicy) -> Self {
        Self::build(inner, policy, Timer::real())
    }

    fn build(inner: T, policy: RetryPolicy, timer: Timer) -> Self {
        let jitter = policy.seed.map_or_else(Jitter::from_clock, Jitter::new);
        Self {
            inner,
            shared: Arc::new(Shared {
                policy,
                timer,
                rng: Mutex::new(jitter),
            }),
        }
    }

    /// The same policy on another clock/sleeper (tests).
    #[must_use]
    pub fn with_timer(self, timer: Timer) -> Self {
        let policy = self.shared.policy.clone();
        Self::build(self.inner, policy, timer)
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.shared.policy
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }
}

/// The bookkeeping of one call across its attempts.
#[derive(Debug)]
struct Attempts {
    idempotent: bool,
    made: u32,
    /// Set once an attempt may have been processed without us knowing.
    unknown: bool,
}

impl Shared {
    fn start<B>(&self, request: &http::Request<B>) -> Attempts {
        Attempts {
            idempotent: RequestOptions::is_idempotent(request),
            made: 0,
            unknown: false,
        }
    }

    /// Attempts allowed for a streamed request: one when its body cannot be read twice.
    fn streamed_attempts(&self, request: &StreamRequest) -> u32 {
        if request.body().is_replayable() {
            self.policy.max_attempts
        } else {
            1
        }
    }

    fn backoff(&self, retry_index: u32) -> Duration {
        let ceiling = self
            .policy
            .base
            .saturating_mul(2u32.saturating_pow(retry_index.min(31)))
            .min(self.policy.max_backoff);
        self.rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .below(ceiling)
    }

    /// Decides what follows an attempt.
    fn step(&self, state: &mut Attempts, outcome: &Result<HttpResponse, TransportError>) -> Step {
        state.made += 1;
        let may_repeat_unknown = state.idempotent || self.policy.retry_unknown_outcomes;
        let (retryable, hint) = match outcome {
            Ok(resp) if resp.status() == http::StatusCode::TOO_MANY_REQUESTS => (
                true,
                crate::retry_after(resp.headers()).or_else(|| retry_after_in_body(resp.body())),
            ),
            Ok(resp) if resp.status().is_server_error() => {
                if !state.idempotent {
                    state.unknown = true;
                }
                (
                    may_repeat_unknown,
                    crate::retry_after(resp.headers()).or_else(|| retry_after_in_body(resp.body())),
                )
            }
            Ok(_) => (false, None),
            Err(e) => match e.delivery() {
                Delivery::NotSent => (e.is_transient(), None),
                _ => {
                    if !state.idempotent {
                        state.unknown = true;
                    }
                    (e.is_transient() && may_repeat_unknown, None)
                }
            },
        };
        let failed = match outcome {
            Ok(resp) if resp.status().is_success() => return Step::Done,
            Ok(resp) => format!("HTTP {}", resp.status().as_u16()),
            Err(e) => format!("{:?}, {:?}", e.kind(), e.delivery()),
        };
        let attempt = state.made;
        if !retryable || attempt >= self.policy.max_attempts {
            if retryable || attempt > 1 {
                tracing::debug!(attempt, reason = %failed, retryable, "giving up");
            }
            return Step::Done;
        }
        let wait = match hint {
            Some(wait) if wait > self.policy.max_server_wait => {
                tracing::debug!(
                    attempt,
                    reason = %failed,
                    server_wait_ms = wait.as_millis() as u64,
                    "giving up: the server asks for a longer wait than the policy allows"
                );
                return Step::Done;
            }
            Some(wait) => wait,
            None => self.backoff(attempt - 1),
        };
        tracing::debug!(
            attempt,
            reason = %failed,
            wait_ms = wait.as_millis() as u64,
            server_hint = hint.is_some(),
            "retrying"
        );
        Step::Again(wait)
    }

    /// The outcome handed to the caller: unchanged, unless an earlier attempt of a non-idempotent request may
    /// have been processed and the last one failed — then the caller must learn the outcome is unknown.
    fn finish(
        &self,
        state: &Attempts,
        outcome: Result<HttpResponse, TransportError>,
    ) -> Result<HttpResponse, TransportError> {
        let attempts = state.made;
        if attempts > 1 {
            tracing::Span::current().record("attempts", attempts);
        }
        match outcome {
            Err(e) if state.unknown && e.delivery() != Delivery::Unknown => {
                let message = format!(
                    "{} (after {attempts} attempts; an earlier attempt may have been processed)",
                    e.message()
                );
                Err(e.with_delivery(Delivery::Unknown).with_message(message))
            }
            Err(e) if attempts > 1 => {
                let message = format!("{} (after {attempts} attempts)", e.message());
                Err(e.with_message(message))
            }
            Ok(resp) if state.unknown && attempts > 1 && !resp.status().is_success() => {
                Err(TransportError::new(
                    crate::TransportErrorKind::Other,
                    Delivery::Unknown,
                    format!(
                        "gave up after {attempts} attempts, the last answered HTTP {}; an earlier attempt may have been processed",
                        resp.status().as_u16()
                    ),
                )
                .with_idempotent(state.idempotent))
            }
            other => other,
        }
    }
}

impl<T: BlockingTransport> BlockingTransport for Retry<T> {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let shared = &self.shared;
        let mut state = shared.start(&request);
        loop {
            let outcome = if state.made + 1 >= shared.policy.max_attempts {
                // The last attempt can take the request itself: no copy needed.
                let outcome = self.inner.execute(request);
                shared.step(&mut state, &outcome);
                return shared.finish(&state, outcome);
            } else {
                // Kept for the next attempt: the inner transport sends it borrowed (no copy for backends).
                self.inner.execute_ref(&request)
            };
            match shared.step(&mut state, &outcome) {
                Step::Done => return shared.finish(&state, outcome),
                Step::Again(wait) => shared.timer.sleep(wait),
            }
        }
    }

    /// The same rules as [`execute`](Self::execute); each attempt re-opens the body (a file is re-read, a
    /// seekable reader rewound). A body that is not [replayable](crate::StreamBody::is_replayable) (a plain
    /// reader) is sent once.
    fn execute_streamed(&self, request: StreamRequest) -> Result<HttpResponse, TransportError> {
        let shared = &self.shared;
        let mut state = shared.start(&request);
        let last = shared.streamed_attempts(&request);
        loop {
            let outcome = if state.made + 1 >= last {
                let outcome = self.inner.execute_streamed(request);
                shared.step(&mut state, &outcome);
                return shared.finish(&state, outcome);
            } else {
                self.inner.execute_streamed(request.clone())
            };
            match shared.step(&mut state, &outcome) {
                Step::Done => return shared.finish(&state, outcome),
                Step::Again(wait) => shared.timer.sleep(wait),
            }
        }
    }
}

#[async_trait::async_trait]
impl<T: AsyncTransport> AsyncTransport for Retry<T> {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let shared = &self.shared;
        let mut state = shared.start(&request);
        loop {
            let outcome = if state.made + 1 >= shared.policy.max_attempts {
                let outcome = self.inner.execute(request).await;
                shared.step(&mut state, &outcome);
                return shared.finish(&state, outcome);
            } else {
                self.inner.execute_ref(&request).await
            };
            match shared.step(&mut state, &outcome) {
                Step::Done => return shared.finish(&state, outcome),
                Step::Again(wait) => shared.timer.sleep_async(wait).await,
            }
        }
    }

    /// As the blocking [`execute_streamed`](BlockingTransport::execute_streamed): each attempt re-opens the
    /// body; a body that is not replayable is sent once.
    async fn execute_streamed(
        &self,
        request: StreamRequest,
    ) -> Result<HttpResponse, TransportError> {
        let shared = &self.shared;
        let mut state = shared.start(&request);
        let last = shared.streamed_attempts(&request);
        loop {
            let outcome = if state.made + 1 >= last {
                let outcome = self.inner.execute_streamed(request).await;
                shared.step(&mut state, &outcome);
                return shared.finish(&state, outcome);
            } else {
                self.inner.execute_streamed(request.clone()).await
            };
            match shared.step(&mut state, &outcome) {
                Step::Done => return shared.finish(&state, outcome),
                Step::Again(wait) => shared.timer.sleep_async(wait).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::TransportErrorKind;

    type Script = Vec<Result<HttpResponse, TransportError>>;

    /// A transport that plays `script` in order (the last entry repeats) and counts calls.
    fn scripted(
        script: Script,
    ) -> (
        impl Fn(HttpRequest) -> Result<HttpResponse, TransportError> + Send + Sync,
        Arc<AtomicU32>,
    ) {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let f = move |_req: HttpRequest| {
            let i = c.fetch_add(1, Ordering::SeqCst) as usize;
            script[i.min(script.len() - 1)].clone()
        };
        (f, calls)
    }

    fn status(code: u16) -> Result<HttpResponse, TransportError> {
        Ok(http::Response::builder()
            .status(code)
            .body(Vec::new())
            .unwrap())
    }

    fn too_many(header: Option<&str>, body: &str) -> Result<HttpResponse, TransportError> {
        let mut b = http::Response::builder().status(429);
        if let Some(h) = header {
            b = b.header("retry-after", h);
        }
        Ok(b.body(body.as_bytes().to_vec()).unwrap())
    }

    fn dropped() -> Result<HttpResponse, TransportError> {
        Err(TransportError::new(
            TransportErrorKind::Io,
            Delivery::Unknown,
            "connection reset",
        ))
    }

    fn refused() -> Result<HttpResponse, TransportError> {
        Err(TransportError::connect("connection refused"))
    }

    fn get() -> HttpRequest {
        http::Request::get("https://h/me").body(Vec::new()).unwrap()
    }

    fn patch() -> HttpRequest {
        http::Request::patch("https://h/me/commands")
            .body(b"{}".to_vec())
            .unwrap()
    }

    fn run(
        policy: RetryPolicy,
        script: Script,
        req: HttpRequest,
    ) -> (
        Result<HttpResponse, TransportError>,
        u32,
        crate::ManualClock,
    ) {
        let (f, calls) = scripted(script);
        let (timer, clock) = Timer::manual();
        let retry = Retry::new(f, policy).with_timer(timer);
        let out = retry.execute(req);
        (out, calls.load(Ordering::SeqCst), clock)
    }

    #[test]
    fn too_many_requests_waits_the_header_hint() {
        let (out, calls, clock) = run(
            RetryPolicy::default(),
            vec![too_many(Some("2"), ""), status(200)],
            patch(),
        );
        assert_eq!(out.unwrap().status(), 200);
        assert_eq!(calls, 2);
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(2)]);
    }

    #[test]
    fn too_many_requests_waits_the_body_hint() {
        let (out, calls, clock) = run(
            RetryPolicy::default(),
            vec![too_many(None, r#"{"retry_after":0.25}"#), status(200)],
            get(),
        );
        assert_eq!(out.unwrap().status(), 200);
        assert_eq!(calls, 2);
        assert_eq!(clock.sleeps(), vec![Duration::from_millis(250)]);
    }

    #[test]
    fn too_many_requests_without_hint_backs_off_exponentially_with_jitter() {
        let policy = RetryPolicy::default()
            .max_attempts(6)
            .backoff(Duration::from_millis(100), Duration::from_millis(800))
            .seed(3);
        let (out, calls, clock) = run(policy.clone(), vec![too_many(None, "")], get());
        assert_eq!(out.unwrap().status(), 429, "the last answer is handed back");
        assert_eq!(calls, 6);
        let sleeps = clock.sleeps();
        assert_eq!(sleeps.len(), 5);
        for (n, s) in sleeps.iter().enumerate() {
            let ceiling = Duration::from_millis(100 * (1 << n)).min(Duration::from_millis(800));
            assert!(*s <= ceiling, "retry {n} slept {s:?} > {ceiling:?}");
        }
        // Same seed, same waits.
        let (_, _, again) = run(policy, vec![too_many(None, "")], get());
        assert_eq!(again.sleeps(), sleeps);
        assert!(
            sleeps.windows(2).any(|w| w[0] != w[1]),
            "jittered: {sleeps:?}"
        );
    }

    #[test]
    fn a_hint_longer_than_allowed_ends_the_retries() {
        let policy = RetryPolicy::default().max_server_wait(Duration::from_secs(5));
        let (out, calls, clock) = run(policy, vec![too_many(Some("30"), ""), status(200)], get());
        assert_eq!(out.unwrap().status(), 429);
        assert_eq!(calls, 1);
        assert!(clock.sleeps().is_empty());
    }

    #[test]
    fn server_errors_repeat_reads_but_not_writes() {
        let (out, calls, _) = run(
            RetryPolicy::default(),
            vec![status(503), status(502), status(200)],
            get(),
        );
        assert_eq!(out.unwrap().status(), 200);
        assert_eq!(calls, 3);
        let (out, calls, clock) = run(
            RetryPolicy::default(),
            vec![status(503), status(200)],
            patch(),
        );
        assert_eq!(out.unwrap().status(), 503);
        assert_eq!(calls, 1);
        assert!(clock.sleeps().is_empty());
    }

    #[test]
    fn a_write_marked_idempotent_is_repeated() {
        let mut req = patch();
        RequestOptions::default().idempotent(true).apply(&mut req);
        let (out, calls, _) = run(RetryPolicy::default(), vec![dropped(), status(200)], req);
        assert_eq!(out.unwrap().status(), 200);
        assert_eq!(calls, 2);
    }

    #[test]
    fn unknown_outcome_of_a_write_is_not_repeated_and_stays_unknown() {
        let (out, calls, _) = run(
            RetryPolicy::default(),
            vec![dropped(), status(200)],
            patch(),
        );
        let err = out.unwrap_err();
        assert_eq!(calls, 1);
        assert_eq!(err.delivery(), Delivery::Unknown);
        assert!(err.to_string().contains("may have received"), "{err}");
    }

    #[test]
    fn a_request_never_sent_is_always_repeated() {
        let (out, calls, _) = run(
            RetryPolicy::default(),
            vec![refused(), refused(), status(200)],
            patch(),
        );
        assert_eq!(out.unwrap().status(), 200);
        assert_eq!(calls, 3);
    }

    #[test]
    fn non_transient_errors_are_not_repeated() {
        let tls = Err(TransportError::new(
            TransportErrorKind::Tls,
            Delivery::NotSent,
            "bad cert",
        ));
        let (out, calls, _) = run(RetryPolicy::default(), vec![tls], get());
        assert_eq!(out.unwrap_err().kind(), TransportErrorKind::Tls);
        assert_eq!(calls, 1);
        let (out, calls, _) = run(RetryPolicy::default(), vec![status(404)], get());
        assert_eq!(out.unwrap().status(), 404);
        assert_eq!(calls, 1);
    }

    #[test]
    fn opting_in_repeats_unknown_outcomes_and_keeps_them_unknown_on_failure() {
        let policy = RetryPolicy::default()
            .retry_unknown_outcomes(true)
            .max_attempts(3);
        let (out, calls, _) = run(policy.clone(), vec![dropped(), status(200)], patch());
        assert_eq!(out.unwrap().status(), 200);
        assert_eq!(calls, 2);
        // Dropped after sending, then never sent: the first may have been processed.
        let (out, calls, _) = run(policy.clone(), vec![dropped(), refused()], patch());
        let err = out.unwrap_err();
        assert_eq!(calls, 3);
        assert_eq!(err.delivery(), Delivery::Unknown);
        assert!(err.message().contains("after 3 attempts"), "{err}");
        // Dropped, then answered 503 to the end: still unknown, not a plain 503.
        let (out, _, _) = run(policy, vec![dropped(), status(503)], patch());
        let err = out.unwrap_err();
        assert_eq!(err.delivery(), Delivery::Unknown);
        assert!(err.message().contains("HTTP 503"), "{err}");
    }

    #[test]
    fn gives_up_after_max_attempts_saying_how_many() {
        let (out, calls, clock) = run(
            RetryPolicy::default().max_attempts(3),
            vec![refused()],
            get(),
        );
        let err = out.unwrap_err();
        assert_eq!(calls, 3);
        assert_eq!(clock.sleeps().len(), 2);
        assert_eq!(err.delivery(), Delivery::NotSent);
        assert!(err.message().ends_with("(after 3 attempts)"), "{err}");
        let (out, calls, _) = run(RetryPolicy::never(), vec![refused(), status(200)], get());
        assert!(out.is_err());
        assert_eq!(calls, 1);
    }

    #[test]
    fn body_hint_reader() {
        assert_eq!(
            retry_after_in_body(br#"{"parameters":{"retry_after":3}}"#),
            Some(Duration::from_secs(3))
        );
        assert_eq!(retry_after_in_body(br#"{"retry_after":"soon"}"#), None);
        assert_eq!(retry_after_in_body(br#"{"retry_after":-1}"#), None);
        assert_eq!(retry_after_in_body(b"Too Many Attempts."), None);
    }

    #[tokio::test]
    async fn async_side_follows_the_same_rules() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let inner = move |_req: HttpRequest| {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move {
                match n {
                    0 => too_many(Some("1"), ""),
                    1 => dropped(),
                    _ => status(200),
                }
            }
        };
        let (timer, clock) = Timer::manual();
        let retry = Retry::new(inner, RetryPolicy::default().seed(9)).with_timer(timer);
        let resp = AsyncTransport::execute(&retry, get()).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(clock.sleeps()[0], Duration::from_secs(1));
        assert_eq!(clock.sleeps().len(), 2);
        // A write whose answer was lost is not repeated.
        calls.store(1, Ordering::SeqCst);
        let err = AsyncTransport::execute(&retry, patch()).await.unwrap_err();
        assert_eq!(err.delivery(), Delivery::Unknown);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
