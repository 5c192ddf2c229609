//! Long polling: a loop over `GET /updates` that keeps the marker, backs off, and never stalls.
//!
//! The loop is one sans-IO state machine, [`Poller`]; the blocking iterator ([`Updates`]) and the async stream
//! ([`UpdateStream`]) only move its requests and responses, and both are made the same way:
//! `client.updates(config)` or `client.updates_with_stop(config, stop)`.
//!
//! * **Nothing lost, nothing repeated.** The server commits every update before the marker a request carries,
//!   so the marker that commits a batch is sent only after every update of the batch was handed out.
//!   [`Checkpoint`] is the position to save: a marker plus how many updates *from that marker on* were already
//!   handed out. That count is not tied to one answer: when the first answer after a restart is shorter than it
//!   (a smaller `limit`, a server that sends less), the poller skips the whole answer, moves to the answer's
//!   marker and carries the rest of the count over; an answer that says nothing (`200 {}`) changes nothing.
//!   The iterator, the stream and the poller all expose [`checkpoint`](Poller::checkpoint).
//! * **A bad update never stops the loop.** Batches are decoded element by element; a malformed element (a
//!   broken field, invalid UTF-8 in a string) is handed out as [`Polled::Malformed`] with its JSON and its
//!   position (`updates[i]`), an unknown type as `Update::Unknown`.
//! * **Only 401, 403 and 405 stop it** ([`is_fatal`]): the API error, or [`Error::WebhookActive`] for 405. So
//!   do a TLS failure and a request that cannot be built. Everything else — 429, 5xx, 408, 409, 4xx, 3xx, an
//!   answer that is not an update list (HTML from a proxy, an empty or truncated body), network failures —
//!   backs off (exponential, jittered, at most [`Backoff::max`]) and the loop goes on.
//! * **Trouble is reported, not hidden.** After [`PollConfig::report_after`] consecutive failures, each
//!   further one is also handed to the user as an `Err` that is *not* fatal: the loop goes on if the user keeps
//!   reading. A fatal `Err` is the last item (the iterator / stream ends after it); [`is_fatal`] tells them apart.
//! * **Server waits.** A wait the server asks for (`Retry-After`, or a `retry_after` field in the body) is
//!   honoured up to [`PollConfig::max_server_wait`] (default: the longest backoff). A longer demand is not
//!   slept through: it is reported at once (a 429 as [`Error::RateLimited`] with the demanded wait; the wait
//!   of any failure is also in [`Poller::server_wait`]), and the loop retries after the cap.
//! * **Rate.** At most one request per [`PollConfig::min_interval`] (default 500 ms: the documented 2 requests/s),
//!   and the request timeout is the hold time plus a margin.
//!
//! ```no_run
//! # async fn run(client: botwire_max::Client<botwire_max::DefaultTransport>) {
//! use botwire_max::polling::{is_fatal, PollConfig, Polled};
//!
//! let mut updates = client.updates(PollConfig::default());
//! while let Some(item) = updates.next().await { // no extra import: `next` is inherent (it is a `Stream` too)
//!     match item {
//!         Ok(Polled::Update(update)) => println!("{}", update.kind()),
//!         Ok(Polled::Malformed(bad)) => eprintln!("skipped: {}", bad.error),
//!         Err(e) if is_fatal(&e) => eprintln!("polling stopped: {e}"), // the last item
//!         Err(e) => eprintln!("polling is in trouble, still trying: {e}"),
//!     }
//!     let _save_me = updates.checkpoint();
//! }
//! # }
//! ```

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use botwire_core_types::max::{MalformedUpdate, Update, UpdateBatch, UpdateType};
use botwire_transport::{HttpRequest, HttpResponse, TransportError, TransportErrorKind};
use http::StatusCode;

use crate::endpoint::check_status;
use crate::endpoints::GetUpdates;
use crate::{Config, Endpoint, Error};

/// One item of the update stream.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Polled {
    /// A decoded update (possibly `Update::Unknown` for a type this version does not know).
    Update(Update),
    /// An element that could not be decoded, with its JSON and where it broke (`error.path()` is
    /// `updates[i]`, its position in the batch).
    Malformed(MalformedUpdate),
}

/// Where a poller stands: save it to restart without losing or repeating updates.
///
/// `skip` counts the updates handed out *from `marker` on*, across answers: the server commits nothing before
/// `marker` until a request carries a later one, so whatever it answers for `marker` starts with those
/// `skip` updates, however it splits them into batches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Checkpoint {
    /// The marker the next request carries (`None`: the first request).
    pub marker: Option<i64>,
    /// How many updates from that marker on were already handed out.
    pub skip: u32,
}

impl Checkpoint {
    /// A position: `skip` updates already handed out from `marker` on (`None`: from the first request).
    pub fn new(marker: Option<i64>, skip: u32) -> Self {
        Self { marker, skip }
    }
}

/// Backoff after a transient failure: `initial · 2^n`, capped at `max`, with jitter in `[½d, d]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backoff {
    /// First wait.
    pub initial: Duration,
    /// Longest wait.
    pub max: Duration,
}

impl Backoff {
    /// Waits from `initial`, doubling, up to `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self { initial, max }
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

/// Long-polling settings: [`PollConfig::default`] and the builder methods below (new settings may be added, so
/// the struct cannot be written out field by field outside this crate).
///
/// ```
/// use std::time::Duration;
/// use botwire_max::polling::{Backoff, PollConfig};
///
/// let config = PollConfig::default()
///     .timeout_secs(5)
///     .min_interval(Duration::ZERO)
///     .backoff(Backoff::new(Duration::from_millis(10), Duration::from_secs(1)))
///     .jitter_seed(7);
/// assert_eq!(config.timeout_secs, 5);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PollConfig {
    /// Seconds the server holds a request while there is nothing new (0–90; the server holds at most 30).
    pub timeout_secs: u32,
    /// Updates per batch (1–1000; the server sends at most 100).
    pub limit: u32,
    /// Only these update types; empty = all. Keep them across a restart from a [`Checkpoint`].
    pub types: Vec<UpdateType>,
    /// Least time between two requests (default 500 ms = 2 requests/s, the documented limit).
    pub min_interval: Duration,
    /// Backoff after transient failures.
    pub backoff: Backoff,
    /// The longest server-requested wait that is honoured (`None`, the default: [`Backoff::max`]). A longer
    /// demand is reported at once and the loop retries after this cap.
    pub max_server_wait: Option<Duration>,
    /// Consecutive failures after which each further failure is reported as a non-fatal `Err` (default 5;
    /// at least 1).
    pub report_after: u32,
    /// Where to start.
    pub start: Checkpoint,
    /// Seed of the jitter (default: from the clock); fixed in tests for repeatable waits.
    pub jitter_seed: Option<u64>,
    /// Keep each update's JSON text as the server sent it, for [`Poller::last_json`] (default `false`: the
    /// text is not copied).
    pub keep_json: bool,
}

impl Default for PollConfig {
    fn default() -> Self {
        Self {
            timeout_secs: 30,
            limit: 100,
            types: Vec::new(),
            min_interval: Duration::from_millis(500),
            backoff: Backoff::default(),
            max_server_wait: None,
            report_after: 5,
            start: Checkpoint::default(),
            jitter_seed: None,
            keep_json: false,
        }
    }
}

impl PollConfig {
    /// Sets how long the server holds a request while there is nothing new ([`PollConfig::timeout_secs`]).
    #[must_use]
    pub fn timeout_secs(mut self, seconds: u32) -> Self {
        self.timeout_secs = seconds;
        self
    }

    /// Sets the updates per batch ([`PollConfig::limit`]).
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Asks only for these update types ([`PollConfig::types`]).
    #[must_use]
    pub fn types(mut self, types: Vec<UpdateType>) -> Self {
        self.types = types;
        self
    }

    /// Sets the least time between two requests ([`PollConfig::min_interval`]).
    #[must_use]
    pub fn min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self
    }

    /// Sets the backoff after transient failures ([`PollConfig::backoff`]).
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Fixes the jitter's seed, for repeatable waits in tests ([`PollConfig::jitter_seed`]).
    #[must_use]
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// Keeps each update's JSON text as the server sent it: [`Poller::last_json`] (and `last_json` of the
    /// iterator and the stream) is then the exact body a webhook would have received for the item last handed
    /// out — unknown fields, field order and number formatting included. For tools that pass updates on
    /// (`botwire max forward`) or print them.
    #[must_use]
    pub fn keep_json(mut self) -> Self {
        self.keep_json = true;
        self
    }

    /// Starts from a saved checkpoint.
    #[must_use]
    pub fn starting_at(mut self, checkpoint: Checkpoint) -> Self {
        self.start = checkpoint;
        self
    }

    /// Honours server-requested waits up to `cap` (see [`PollConfig::max_server_wait`]).
    #[must_use]
    pub fn with_max_server_wait(mut self, cap: Duration) -> Self {
        self.max_server_wait = Some(cap);
        self
    }

    /// Reports failures once `n` happened in a row (see [`PollConfig::report_after`]).
    #[must_use]
    pub fn reporting_after(mut self, n: u32) -> Self {
        self.report_after = n;
        self
    }

    fn server_wait_cap(&self) -> Duration {
        self.max_server_wait.unwrap_or(self.backoff.max)
    }
}

/// Whether the poller stops on this error: 401, 403, 405 ([`Error::WebhookActive`]), a TLS failure, or a
/// request that cannot be built. Any other `Err` a poller hands out is a report: the loop goes on.
pub fn is_fatal(error: &Error) -> bool {
    match error {
        Error::WebhookActive | Error::Validation(_) | Error::Config(_) => true,
        Error::Transport(e) => matches!(
            e.kind(),
            TransportErrorKind::Tls | TransportErrorKind::InvalidRequest
        ),
        Error::Api(e) => matches!(
            e.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::METHOD_NOT_ALLOWED
        ),
        _ => false,
    }
}

/// What the driver must do next.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Action {
    /// Hand this item to the user.
    Deliver(Polled),
    /// Hand this non-fatal error to the user (repeated failures, or a server wait above the cap); then ask
    /// again: the loop goes on.
    Report(Error),
    /// Send this request and feed the outcome to [`Poller::on_response`].
    Send(HttpRequest),
    /// Wait this long (pacing or backoff), then ask again.
    Wait(Duration),
}

/// The long-polling state machine (sans-IO).
///
/// A driver loops: call [`next_action`](Poller::next_action) and do what it says — hand out a
/// [`Deliver`](Action::Deliver)ed item or a [`Report`](Action::Report)ed error, sleep a
/// [`Wait`](Action::Wait), or execute a [`Send`](Action::Send) and feed the outcome to
/// [`on_response`](Poller::on_response). An `Err` from either method is fatal: stop the loop. Save
/// [`checkpoint`](Poller::checkpoint) (after handling each delivered item) to restart from it.
///
/// ```
/// use std::time::{Duration, Instant};
/// use botwire_max::polling::{Action, PollConfig, Poller, Polled};
///
/// let config = botwire_max::Config::new("token").with_base_url("http://localhost:1");
/// let mut poller = Poller::new(PollConfig::default().min_interval(Duration::ZERO));
/// let Action::Send(request) = poller.next_action(Instant::now(), &config)? else { unreachable!() };
/// assert_eq!(request.uri().path(), "/updates");
/// let body = br#"{"updates":[{"update_type":"message_removed","timestamp":1,"message_id":"m","chat_id":1,"user_id":2}],"marker":8}"#;
/// poller.on_response(Ok(http::Response::new(body.to_vec())))?;
/// assert!(matches!(poller.next_action(Instant::now(), &config)?, Action::Deliver(Polled::Update(_))));
/// assert_eq!(poller.checkpoint().marker, Some(8));
/// # Ok::<(), botwire_max::Error>(())
/// ```
#[derive(Debug)]
pub struct Poller {
    config: PollConfig,
    /// Marker sent with the next request; the answers to it start with the `skip` updates handed out.
    marker: Option<i64>,
    /// Updates handed out from `marker` on.
    skip: u32,
    /// Marker that commits the pending batch, once it is handed out.
    next_marker: Option<i64>,
    batch: VecDeque<Result<Update, MalformedUpdate>>,
    /// The JSON text of each element of `batch` (only with [`PollConfig::keep_json`]).
    json: VecDeque<String>,
    /// The JSON text of the item last handed out (only with [`PollConfig::keep_json`]).
    last_json: Option<String>,
    failures: u32,
    wait: Option<Duration>,
    report: Option<Error>,
    server_wait: Option<Duration>,
    last_request: Option<Instant>,
    jitter: botwire_transport::Jitter,
}

impl Poller {
    /// A poller with these settings.
    pub fn new(config: PollConfig) -> Self {
        let jitter = config.jitter_seed.map_or_else(
            botwire_transport::Jitter::from_clock,
            botwire_transport::Jitter::new,
        );
        Self {
            marker: config.start.marker,
            skip: config.start.skip,
            config,
            next_marker: None,
            batch: VecDeque::new(),
            json: VecDeque::new(),
            last_json: None,
            failures: 0,
            wait: None,
            report: None,
            server_wait: None,
            last_request: None,
            jitter,
        }
    }

    /// The position to save: restarting from it neither loses nor repeats an update.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            marker: self.marker,
            skip: self.skip,
        }
    }

    /// The JSON text of the item last handed out, exactly as the server sent it (one element of the
    /// `updates` array), when [`PollConfig::keep_json`] is on; `None` otherwise and before the first item.
    ///
    /// ```
    /// use std::time::Instant;
    /// use botwire_max::polling::{Action, PollConfig, Poller};
    ///
    /// let config = botwire_max::Config::new("token").with_base_url("http://localhost:1");
    /// let mut poller = Poller::new(PollConfig::default().keep_json());
    /// let Action::Send(_) = poller.next_action(Instant::now(), &config)? else { unreachable!() };
    /// let body = br#"{"updates":[{"update_type":"bot_stopped","timestamp":1,"chat_id":5,"user":{"user_id":7,"first_name":"Ann","is_bot":false},"future":1}],"marker":8}"#;
    /// poller.on_response(Ok(http::Response::new(body.to_vec())))?;
    /// let Action::Deliver(_) = poller.next_action(Instant::now(), &config)? else { unreachable!() };
    /// assert!(poller.last_json().is_some_and(|json| json.ends_with(r#""future":1}"#)));
    /// # Ok::<(), botwire_max::Error>(())
    /// ```
    pub fn last_json(&self) -> Option<&str> {
        self.last_json.as_deref()
    }

    /// Consecutive failures so far (reset by a good answer).
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The wait the server asked for with the last failure (`Retry-After` or a `retry_after` body field),
    /// uncapped; `None` after a good answer or when it asked for none.
    pub fn server_wait(&self) -> Option<Duration> {
        self.server_wait
    }

    /// The settings.
    pub fn config(&self) -> &PollConfig {
        &self.config
    }

    /// The next step, given the current time. `Err` means the loop must stop with that error.
    pub fn next_action(&mut self, now: Instant, config: &Config) -> Result<Action, Error> {
        if let Some(item) = self.batch.pop_front() {
            self.last_json = self.json.pop_front();
            self.skip = self.skip.saturating_add(1);
            // Every update of the batch is out: only now may the next request commit it. Without a marker
            // the next request asks again from the old one, and the count skips what was handed out.
            if self.batch.is_empty()
                && let Some(next) = self.next_marker.take()
            {
                self.marker = Some(next);
                self.skip = 0;
            }
            return Ok(Action::Deliver(match item {
                Ok(update) => {
                    // The chat of each button press and each user's dialog, for the per-chat limits of
                    // requests that do not name their chat (`POST /answers`, `POST /messages?user_id=`).
                    config.chats().observe(&update);
                    Polled::Update(update)
                }
                Err(malformed) => Polled::Malformed(malformed),
            }));
        }
        if let Some(report) = self.report.take() {
            return Ok(Action::Report(report));
        }
        if let Some(wait) = self.wait.take() {
            return Ok(Action::Wait(wait));
        }
        if let Some(last) = self.last_request {
            let since = now.saturating_duration_since(last);
            if since < self.config.min_interval {
                return Ok(Action::Wait(self.config.min_interval - since));
            }
        }
        let request = GetUpdates {
            limit: Some(self.config.limit),
            timeout: Some(self.config.timeout_secs),
            marker: self.marker,
            types: self.config.types.clone(),
        }
        .request(config)?;
        self.last_request = Some(now);
        Ok(Action::Send(request))
    }

    /// Feeds the outcome of the last request. `Err` means the loop must stop with that error (see
    /// [`is_fatal`]); every other failure backs off and may be reported by the next actions.
    pub fn on_response(
        &mut self,
        outcome: Result<HttpResponse, TransportError>,
    ) -> Result<(), Error> {
        let (failure, server_wait) = match outcome {
            Err(e) => (Error::Transport(e), None),
            Ok(response) => {
                let server_wait = (!response.status().is_success())
                    .then(|| {
                        botwire_transport::retry_after(response.headers())
                            .or_else(|| botwire_transport::retry_after_in_body(response.body()))
                    })
                    .flatten();
                match check_status(&response) {
                    Ok(status) => match self.decode_batch(response.body()) {
                        Ok((mut batch, json)) => {
                            // A malformed element's error quotes the body: never the token the server echoed.
                            let context = botwire_transport::RequestContext::of_response(&response);
                            for bad in batch.updates.iter_mut().filter_map(|u| u.as_mut().err()) {
                                bad.error = bad.error.clone().scrubbed(context.redactor());
                            }
                            self.accept(batch, json);
                            return Ok(());
                        }
                        // HTML from a proxy, an empty or truncated body: nothing was handed out, so asking
                        // again for the same marker loses nothing. The snippet is scrubbed of the request's
                        // secrets (a proxy page may quote the request).
                        Err(source) => (
                            Error::Decode {
                                status: status.as_u16(),
                                source: source.scrubbed(
                                    botwire_transport::RequestContext::of_response(&response)
                                        .redactor(),
                                ),
                            },
                            None,
                        ),
                    },
                    Err(e) if e.status() == Some(StatusCode::METHOD_NOT_ALLOWED) => {
                        (Error::WebhookActive, None)
                    }
                    // The wait may have come in the body: keep it where the user looks for it.
                    Err(Error::RateLimited { retry_after, error }) => (
                        Error::RateLimited {
                            retry_after: retry_after.or(server_wait),
                            error,
                        },
                        server_wait,
                    ),
                    Err(e) => (e, server_wait),
                }
            }
        };
        if is_fatal(&failure) {
            return Err(failure);
        }
        self.fail(failure, server_wait);
        Ok(())
    }

    fn decode_batch(
        &self,
        body: &[u8],
    ) -> Result<(UpdateBatch, Vec<String>), botwire_core_types::decode::DecodeError> {
        if self.config.keep_json {
            UpdateBatch::from_slice_with_json(body)
        } else {
            UpdateBatch::from_slice(body).map(|batch| (batch, Vec::new()))
        }
    }

    /// Takes a good answer: skips what was handed out before, queues the rest.
    fn accept(&mut self, batch: UpdateBatch, json: Vec<String>) {
        self.failures = 0;
        self.server_wait = None;
        self.report = None;
        let mut updates: VecDeque<_> = batch.updates.into();
        let len = u32::try_from(updates.len()).unwrap_or(u32::MAX);
        if len <= self.skip {
            match batch.marker {
                // All of it was handed out before (a restart with a smaller limit, a shorter answer): move
                // past it and carry the rest of the count over to the answers from the new marker.
                Some(next) if len > 0 => {
                    self.marker = Some(next);
                    self.skip -= len;
                }
                // Nothing new, and the server moved on: nothing before `next` will come back.
                Some(next) if Some(next) != self.marker => {
                    self.marker = Some(next);
                    self.skip = 0;
                }
                // `200 {}` or the same marker: nothing learned, the position stands.
                _ => {}
            }
            return;
        }
        updates.drain(..self.skip as usize);
        let mut json: VecDeque<_> = json.into();
        json.drain(..(self.skip as usize).min(json.len()));
        self.next_marker = batch.marker;
        self.batch = updates;
        self.json = json;
    }

    fn fail(&mut self, error: Error, server_wait: Option<Duration>) {
        self.failures = self.failures.saturating_add(1);
        self.server_wait = server_wait;
        let exp = self.failures.saturating_sub(1).min(20);
        let base = self
            .config
            .backoff
            .initial
            .saturating_mul(1 << exp)
            .min(self.config.backoff.max);
        // Jitter in [½d, d]: spreads retries of many bots without ever hammering a refusing server.
        let jittered = self.jitter.between(base / 2, base);
        let cap = self.config.server_wait_cap();
        let too_long = server_wait.is_some_and(|w| w > cap);
        self.wait = Some(match server_wait {
            Some(w) => w.min(cap).max(jittered),
            None => jittered,
        });
        let wait = self.wait.unwrap_or_default();
        let report = too_long || self.failures >= self.config.report_after.max(1);
        if too_long {
            tracing::warn!(
                error = %error,
                demanded = ?server_wait,
                retry_in = ?wait,
                "long poll: the server asks for a wait above the cap; reporting it and retrying after the cap"
            );
        } else {
            tracing::warn!(
                error = %error,
                failures = self.failures,
                retry_in = ?wait,
                "long poll failed; backing off"
            );
        }
        if report {
            self.report = Some(error);
        }
    }
}

/// A signal that ends a polling loop: between requests at once, during a held request as soon as the request
/// returns (blocking) or at once (async, the request is dropped). Cheap to clone and send across threads.
#[derive(Debug, Clone, Default)]
pub struct StopHandle {
    inner: Arc<StopInner>,
}

#[derive(Debug, Default)]
struct StopInner {
    stopped: AtomicBool,
    lock: Mutex<()>,
    cv: Condvar,
    wakers: Mutex<Vec<Waker>>,
}

impl StopHandle {
    /// A handle that has not fired.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ends the loop(s) using this handle.
    pub fn stop(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
        let _guard = self.inner.lock.lock();
        self.inner.cv.notify_all();
        if let Ok(mut wakers) = self.inner.wakers.lock() {
            wakers.drain(..).for_each(Waker::wake);
        }
    }

    /// Whether [`StopHandle::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }

    /// Sleeps up to `duration`, waking early when stopped. Returns `true` if stopped.
    pub fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        let mut guard = self.inner.lock.lock().unwrap_or_else(|p| p.into_inner());
        while !self.is_stopped() {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            guard = match self.inner.cv.wait_timeout(guard, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        self.is_stopped()
    }

    /// A future that completes when the handle is stopped.
    pub fn stopped(&self) -> Stopped {
        Stopped {
            handle: self.clone(),
        }
    }
}

/// The future returned by [`StopHandle::stopped`].
#[derive(Debug)]
pub struct Stopped {
    handle: StopHandle,
}

impl std::future::Future for Stopped {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.handle.is_stopped() {
            return std::task::Poll::Ready(());
        }
        if let Ok(mut wakers) = self.handle.inner.wakers.lock() {
            // A stream polls this on every wake-up: register each task once, not once per poll.
            if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                wakers.push(cx.waker().clone());
            }
        }
        // Re-check: a stop between the first check and the registration must not be missed.
        if self.handle.is_stopped() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    }
}

/// The blocking update iterator: `Some(Ok(_))` per update; `Some(Err(_))` for a failure — a fatal one
/// ([`is_fatal`]) is the last item, then `None`; any other is a report and the loop goes on. `None` also when
/// the [`StopHandle`] fires.
#[derive(Debug)]
pub struct Updates<'a, T> {
    client: &'a crate::blocking::Client<T>,
    poller: Poller,
    stop: StopHandle,
    done: bool,
}

impl<T: botwire_transport::BlockingTransport> Updates<'_, T> {
    /// A handle that ends the loop from another thread.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// The position to save (see [`Checkpoint`]).
    pub fn checkpoint(&self) -> Checkpoint {
        self.poller.checkpoint()
    }

    /// The state machine, for its counters ([`Poller::failures`], [`Poller::server_wait`]).
    pub fn poller(&self) -> &Poller {
        &self.poller
    }

    /// The JSON text of the item last handed out, as the server sent it (with [`PollConfig::keep_json`]; see
    /// [`Poller::last_json`]).
    pub fn last_json(&self) -> Option<&str> {
        self.poller.last_json()
    }
}

impl<T: botwire_transport::BlockingTransport> Iterator for Updates<'_, T> {
    type Item = Result<Polled, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done || self.stop.is_stopped() {
                return None;
            }
            let action = match self
                .poller
                .next_action(Instant::now(), self.client.config())
            {
                Ok(a) => a,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            match action {
                Action::Deliver(item) => return Some(Ok(item)),
                Action::Report(e) => return Some(Err(e)),
                Action::Wait(d) => {
                    if self.stop.sleep(d) {
                        return None;
                    }
                }
                Action::Send(req) => {
                    // Through the client: the error and the answer carry the request's secrets to scrub.
                    let outcome = self.client.execute(req);
                    if let Err(e) = self.poller.on_response(outcome) {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
        }
    }
}

impl<T: botwire_transport::BlockingTransport> crate::blocking::Client<T> {
    /// Long polling as an iterator (see [`crate::polling`]); the async client's `updates` is the same call.
    ///
    /// ```no_run
    /// # fn run(client: botwire_max::blocking::Client<botwire_transport::UreqTransport>) {
    /// use botwire_max::polling::{is_fatal, PollConfig, Polled};
    ///
    /// let updates = client.updates(PollConfig::default());
    /// let stop = updates.stop_handle(); // give it to a Ctrl-C handler
    /// for item in updates {
    ///     match item {
    ///         Ok(Polled::Update(update)) => println!("{}", update.kind()),
    ///         Ok(Polled::Malformed(bad)) => eprintln!("skipped: {}", bad.error),
    ///         Err(e) if is_fatal(&e) => eprintln!("polling stopped: {e}"), // the last item
    ///         Err(e) => eprintln!("polling is in trouble, still trying: {e}"),
    ///     }
    /// }
    /// # let _ = stop; }
    /// ```
    pub fn updates(&self, config: PollConfig) -> Updates<'_, T> {
        self.updates_with_stop(config, StopHandle::new())
    }

    /// Long polling that ends when `stop` fires.
    pub fn updates_with_stop(&self, config: PollConfig, stop: StopHandle) -> Updates<'_, T> {
        Updates {
            client: self,
            poller: Poller::new(config),
            stop,
            done: false,
        }
    }
}

type InFlight<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

enum Step<'a> {
    Ready,
    Waiting(futures_timer::Delay),
    Sending(InFlight<'a>),
}

/// The async update stream returned by `Client::updates`: the same items as the blocking [`Updates`]. Read it
/// with the inherent [`next`](UpdateStream::next) (no import needed) or as a [`futures_core::Stream`]. It
/// ends after a fatal error, or at once when its [`StopHandle`] fires (an in-flight request is dropped).
/// Waits use a runtime-agnostic timer. Dropping it mid-request is safe: [`checkpoint`](UpdateStream::checkpoint)
/// is always a position to restart from.
pub struct UpdateStream<'a, T> {
    client: &'a crate::Client<T>,
    poller: Poller,
    stop: StopHandle,
    stopped: Stopped,
    step: Step<'a>,
    done: bool,
}

impl<T> std::fmt::Debug for UpdateStream<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateStream")
            .field("poller", &self.poller)
            .field("stop", &self.stop)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<T: botwire_transport::AsyncTransport> UpdateStream<'_, T> {
    /// The next item, or `None` once the stream ended (as `StreamExt::next`, without the import).
    pub async fn next(&mut self) -> Option<Result<Polled, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_item(cx)).await
    }

    /// A handle that ends the stream from anywhere.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// The position to save (see [`Checkpoint`]).
    pub fn checkpoint(&self) -> Checkpoint {
        self.poller.checkpoint()
    }

    /// The state machine, for its counters ([`Poller::failures`], [`Poller::server_wait`]).
    pub fn poller(&self) -> &Poller {
        &self.poller
    }

    /// The JSON text of the item last handed out, as the server sent it (with [`PollConfig::keep_json`]; see
    /// [`Poller::last_json`]).
    pub fn last_json(&self) -> Option<&str> {
        self.poller.last_json()
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Polled, Error>>> {
        loop {
            if self.done || self.stop.is_stopped() {
                self.done = true;
                self.step = Step::Ready;
                return Poll::Ready(None);
            }
            match &mut self.step {
                Step::Ready => {
                    match self
                        .poller
                        .next_action(Instant::now(), self.client.config())
                    {
                        Err(e) => {
                            self.done = true;
                            return Poll::Ready(Some(Err(e)));
                        }
                        Ok(Action::Deliver(item)) => return Poll::Ready(Some(Ok(item))),
                        Ok(Action::Report(e)) => return Poll::Ready(Some(Err(e))),
                        Ok(Action::Wait(d)) => {
                            self.step = Step::Waiting(futures_timer::Delay::new(d))
                        }
                        Ok(Action::Send(req)) => {
                            let client: &crate::Client<T> = self.client;
                            self.step = Step::Sending(Box::pin(client.execute(req)));
                        }
                    }
                    continue;
                }
                Step::Waiting(delay) => {
                    if Pin::new(delay).poll(cx).is_ready() {
                        self.step = Step::Ready;
                        continue;
                    }
                }
                Step::Sending(request) => {
                    if let Poll::Ready(outcome) = request.as_mut().poll(cx) {
                        self.step = Step::Ready;
                        if let Err(e) = self.poller.on_response(outcome) {
                            self.done = true;
                            return Poll::Ready(Some(Err(e)));
                        }
                        continue;
                    }
                }
            }
            // Pending on the timer or the request: wake up for a stop too.
            if Pin::new(&mut self.stopped).poll(cx).is_ready() {
                continue;
            }
            return Poll::Pending;
        }
    }
}

impl<T: botwire_transport::AsyncTransport> futures_core::Stream for UpdateStream<'_, T> {
    type Item = Result<Polled, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl<T: botwire_transport::AsyncTransport> crate::Client<T> {
    /// Long polling as a stream (see [`crate::polling`]); the blocking client's `updates` is the same call.
    ///
    /// ```no_run
    /// # async fn run(client: botwire_max::Client<botwire_transport::ReqwestTransport>) {
    /// use botwire_max::polling::{is_fatal, PollConfig, Polled};
    ///
    /// let mut updates = client.updates(PollConfig::default());
    /// let stop = updates.stop_handle(); // give it to a Ctrl-C handler
    /// while let Some(item) = updates.next().await {
    ///     match item {
    ///         Ok(Polled::Update(update)) => println!("{}", update.kind()),
    ///         Ok(Polled::Malformed(bad)) => eprintln!("skipped: {}", bad.error),
    ///         Err(e) if is_fatal(&e) => eprintln!("polling stopped: {e}"), // the last item
    ///         Err(e) => eprintln!("polling is in trouble, still trying: {e}"),
    ///     }
    /// }
    /// # let _ = stop; }
    /// ```
    pub fn updates(&self, config: PollConfig) -> UpdateStream<'_, T> {
        self.updates_with_stop(config, StopHandle::new())
    }

    /// Long polling that ends when `stop` fires.
    pub fn updates_with_stop(&self, config: PollConfig, stop: StopHandle) -> UpdateStream<'_, T> {
        UpdateStream {
            client: self,
            poller: Poller::new(config),
            stopped: stop.stopped(),
            stop,
            step: Step::Ready,
            done: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Config {
        Config::new("t").with_base_url("http://sandbox")
    }

    fn poller() -> Poller {
        Poller::new(PollConfig {
            min_interval: Duration::ZERO,
            jitter_seed: Some(7),
            ..PollConfig::default()
        })
    }

    fn respond(status: u16, body: &str) -> Result<HttpResponse, TransportError> {
        Ok(http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap())
    }

    fn removed(i: u32) -> String {
        format!(
            r#"{{"update_type":"message_removed","timestamp":{i},"message_id":"m{i}","chat_id":1,"user_id":2}}"#
        )
    }

    fn send(p: &mut Poller) -> HttpRequest {
        match p.next_action(Instant::now(), &cfg()).unwrap() {
            Action::Send(r) => r,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    fn deliver(p: &mut Poller) -> Polled {
        match p.next_action(Instant::now(), &cfg()).unwrap() {
            Action::Deliver(d) => d,
            other => panic!("expected an update, got {other:?}"),
        }
    }

    #[test]
    fn marker_moves_only_after_the_whole_batch_is_handed_out() {
        let mut p = poller();
        assert_eq!(send(&mut p).uri().query(), Some("limit=100&timeout=30"));
        p.on_response(respond(
            200,
            &format!(
                r#"{{"updates":[{},{}],"marker":5}}"#,
                removed(1),
                removed(2)
            ),
        ))
        .unwrap();
        deliver(&mut p);
        assert_eq!(
            p.checkpoint(),
            Checkpoint {
                marker: None,
                skip: 1
            }
        );
        deliver(&mut p);
        assert_eq!(
            p.checkpoint(),
            Checkpoint {
                marker: Some(5),
                skip: 0
            }
        );
        assert!(send(&mut p).uri().query().unwrap().contains("marker=5"));
    }

    #[test]
    fn restart_from_checkpoint_skips_what_was_handed_out() {
        let mut p = Poller::new(PollConfig {
            start: Checkpoint {
                marker: Some(5),
                skip: 1,
            },
            min_interval: Duration::ZERO,
            ..PollConfig::default()
        });
        assert!(send(&mut p).uri().query().unwrap().contains("marker=5"));
        p.on_response(respond(
            200,
            &format!(
                r#"{{"updates":[{},{}],"marker":7}}"#,
                removed(1),
                removed(2)
            ),
        ))
        .unwrap();
        let Polled::Update(u) = deliver(&mut p) else {
            panic!()
        };
        assert_eq!(u.timestamp(), 2);
        assert_eq!(
            p.checkpoint(),
            Checkpoint {
                marker: Some(7),
                skip: 0
            }
        );
    }

    #[test]
    fn keep_json_hands_out_each_element_as_sent_skipping_what_a_checkpoint_covers() {
        let mut p = Poller::new(
            PollConfig::default()
                .min_interval(Duration::ZERO)
                .starting_at(Checkpoint::new(Some(5), 1))
                .keep_json(),
        );
        send(&mut p);
        let spaced = r#"{ "update_type" : "message_removed","timestamp":3,"message_id":"m3","chat_id":1,"user_id":2,"x":[1.50]}"#;
        p.on_response(respond(
            200,
            &format!(
                r#"{{"updates":[{},{},{{"update_type":"message_removed"}},{spaced}],"marker":9}}"#,
                removed(1),
                removed(2)
            ),
        ))
        .unwrap();
        assert_eq!(p.last_json(), None);
        deliver(&mut p);
        assert_eq!(p.last_json(), Some(removed(2).as_str()));
        assert!(matches!(deliver(&mut p), Polled::Malformed(_)));
        assert_eq!(p.last_json(), Some(r#"{"update_type":"message_removed"}"#));
        deliver(&mut p);
        assert_eq!(p.last_json(), Some(spaced));
        // Without the option nothing is copied.
        let mut plain = poller();
        send(&mut plain);
        plain
            .on_response(respond(
                200,
                &format!(r#"{{"updates":[{}],"marker":2}}"#, removed(1)),
            ))
            .unwrap();
        deliver(&mut plain);
        assert_eq!(plain.last_json(), None);
    }

    #[test]
    fn malformed_elements_are_handed_out_and_the_marker_still_moves() {
        let mut p = poller();
        send(&mut p);
        p.on_response(respond(
            200,
            &format!(
                r#"{{"updates":[{{"update_type":"message_removed"}},{}],"marker":9}}"#,
                removed(3)
            ),
        ))
        .unwrap();
        assert!(matches!(deliver(&mut p), Polled::Malformed(_)));
        assert!(matches!(deliver(&mut p), Polled::Update(_)));
        assert_eq!(p.checkpoint().marker, Some(9));
    }

    #[test]
    fn transient_failures_back_off_and_fatal_ones_stop() {
        let mut p = poller();
        send(&mut p);
        p.on_response(respond(503, "")).unwrap();
        let Action::Wait(first) = p.next_action(Instant::now(), &cfg()).unwrap() else {
            panic!()
        };
        assert!(
            first >= Duration::from_millis(500) && first <= Duration::from_secs(1),
            "{first:?}"
        );
        send(&mut p);
        p.on_response(respond(429, "")).unwrap();
        let Action::Wait(second) = p.next_action(Instant::now(), &cfg()).unwrap() else {
            panic!()
        };
        assert!(second >= Duration::from_secs(1), "{second:?}");
        send(&mut p);
        p.on_response(Err(TransportError::connect("refused")))
            .unwrap();
        assert!(matches!(
            p.next_action(Instant::now(), &cfg()).unwrap(),
            Action::Wait(_)
        ));
        send(&mut p);
        p.on_response(respond(200, r#"{"updates":[],"marker"#))
            .unwrap(); // truncated
        assert_eq!(p.failures(), 4);
        assert!(matches!(
            p.next_action(Instant::now(), &cfg()).unwrap(),
            Action::Wait(_)
        ));
        send(&mut p);
        p.on_response(respond(200, r#"{"updates":[],"marker":3}"#))
            .unwrap();
        assert_eq!(p.failures(), 0);
        assert_eq!(p.checkpoint().marker, Some(3));
        send(&mut p);
        assert!(matches!(
            p.on_response(respond(405, "")),
            Err(Error::WebhookActive)
        ));
        let err = p
            .on_response(respond(
                401,
                r#"{"code":"verify.token","message":"Invalid access_token"}"#,
            ))
            .unwrap_err();
        assert!(err.is_unauthorized());
    }

    fn wait(p: &mut Poller) -> Duration {
        match p.next_action(Instant::now(), &cfg()).unwrap() {
            Action::Wait(w) => w,
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    fn report(p: &mut Poller) -> Error {
        match p.next_action(Instant::now(), &cfg()).unwrap() {
            Action::Report(e) => e,
            other => panic!("expected a report, got {other:?}"),
        }
    }

    fn with_retry_after(status: u16, secs: &str) -> Result<HttpResponse, TransportError> {
        Ok(http::Response::builder()
            .status(status)
            .header("retry-after", secs)
            .body(Vec::new())
            .unwrap())
    }

    #[test]
    fn server_wait_is_honoured_and_backoff_is_bounded() {
        let mut p = poller();
        for i in 1..=30 {
            send(&mut p);
            p.on_response(respond(500, "")).unwrap();
            if i >= 5 {
                assert_eq!(
                    report(&mut p).status(),
                    Some(StatusCode::INTERNAL_SERVER_ERROR)
                );
            }
            assert!(wait(&mut p) <= Duration::from_secs(60));
        }
        send(&mut p);
        p.on_response(with_retry_after(429, "7")).unwrap();
        assert!(matches!(
            report(&mut p),
            Error::RateLimited { retry_after: Some(w), .. } if w == Duration::from_secs(7)
        )); // 31 failures in a row: reported, yet the wait is honoured
        assert!(wait(&mut p) >= Duration::from_secs(7));
    }

    #[test]
    fn a_wait_above_the_cap_is_reported_not_slept_through() {
        let mut p = poller();
        send(&mut p);
        p.on_response(with_retry_after(429, "999999")).unwrap();
        let e = report(&mut p);
        // The header parser caps a wait at a day; either way far above the poller's cap.
        let day = Duration::from_secs(86_400);
        assert!(e.retry_after().is_some_and(|w| w >= day), "{e}");
        assert!(!is_fatal(&e));
        assert_eq!(
            wait(&mut p),
            Duration::from_secs(60),
            "the cap: the longest backoff"
        );
        assert!(p.server_wait().is_some_and(|w| w >= day));
        // A hint in the body of a 503, under a cap the user set.
        let mut p = Poller::new(
            PollConfig {
                min_interval: Duration::ZERO,
                jitter_seed: Some(1),
                ..PollConfig::default()
            }
            .with_max_server_wait(Duration::from_secs(2)),
        );
        send(&mut p);
        p.on_response(respond(503, r#"{"retry_after":3600}"#))
            .unwrap();
        assert_eq!(
            report(&mut p).status(),
            Some(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(wait(&mut p), Duration::from_secs(2));
        send(&mut p);
        p.on_response(respond(503, r#"{"retry_after":1.5}"#))
            .unwrap();
        assert_eq!(
            wait(&mut p),
            Duration::from_millis(1500),
            "within the cap: honoured, no report"
        );
        send(&mut p);
        p.on_response(respond(200, r#"{"updates":[]}"#)).unwrap();
        assert_eq!(p.server_wait(), None);
    }

    #[test]
    fn only_401_403_405_stop_the_loop_the_rest_is_reported_after_n_failures() {
        for status in [408u16, 409, 425, 400, 404, 302, 301, 418, 422, 501] {
            let mut p = Poller::new(
                PollConfig {
                    min_interval: Duration::ZERO,
                    jitter_seed: Some(3),
                    ..PollConfig::default()
                }
                .reporting_after(3),
            );
            for failure in 1..=4u32 {
                send(&mut p);
                p.on_response(respond(status, r#"{"code":"x","message":"no"}"#))
                    .unwrap_or_else(|e| panic!("{status} stopped the loop: {e}"));
                if failure >= 3 {
                    let e = report(&mut p);
                    assert_eq!(e.status().map(|s| s.as_u16()), Some(status));
                    assert!(!is_fatal(&e), "{status}");
                }
                let w = wait(&mut p);
                assert!(w <= Duration::from_secs(60), "{status}: {w:?}");
            }
            assert_eq!(p.failures(), 4);
        }
        for status in [401u16, 403, 405] {
            let mut p = poller();
            send(&mut p);
            let e = p.on_response(respond(status, "")).unwrap_err();
            assert!(is_fatal(&e), "{status}: {e}");
        }
    }

    #[test]
    fn an_undecodable_envelope_is_retried_then_reported_with_its_cause() {
        for body in [
            "<html><body>502 Bad Gateway</body></html>",
            "",
            r#"{"updates":[{"upd"#,
        ] {
            let mut p = poller();
            for failure in 1..=6u32 {
                send(&mut p);
                p.on_response(respond(200, body)).unwrap();
                if failure >= 5 {
                    let e = report(&mut p);
                    assert!(matches!(e, Error::Decode { status: 200, .. }), "{e:?}");
                    assert!(!is_fatal(&e));
                }
                wait(&mut p);
            }
            send(&mut p);
            p.on_response(respond(200, r#"{"updates":[],"marker":4}"#))
                .unwrap();
            assert_eq!(p.failures(), 0);
            assert_eq!(p.checkpoint().marker, Some(4));
        }
    }

    fn batch(
        range: std::ops::Range<u32>,
        marker: Option<i64>,
    ) -> Result<HttpResponse, TransportError> {
        let updates: Vec<String> = range.map(removed).collect();
        let marker = marker
            .map(|m| format!(r#","marker":{m}"#))
            .unwrap_or_default();
        respond(
            200,
            &format!(r#"{{"updates":[{}]{marker}}}"#, updates.join(",")),
        )
    }

    fn timestamp(p: &mut Poller) -> i64 {
        match deliver(p) {
            Polled::Update(u) => u.timestamp(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn restart_survives_a_shorter_first_answer_and_an_empty_one() {
        // Saved: from marker 100 on, 5 updates (100..105) were handed out.
        let start = Checkpoint {
            marker: Some(100),
            skip: 5,
        };
        let mut p = Poller::new(PollConfig {
            start,
            min_interval: Duration::ZERO,
            limit: 3,
            ..PollConfig::default()
        });
        assert_eq!(
            p.checkpoint(),
            start,
            "before any answer the position is the saved one"
        );
        send(&mut p);
        p.on_response(respond(200, "{}")).unwrap();
        assert_eq!(p.checkpoint(), start, "`200 {{}}` says nothing");
        send(&mut p);
        p.on_response(batch(100..103, Some(103))).unwrap();
        assert_eq!(
            p.checkpoint(),
            Checkpoint {
                marker: Some(103),
                skip: 2
            }
        );
        assert!(send(&mut p).uri().query().unwrap().contains("marker=103"));
        p.on_response(batch(103..106, Some(106))).unwrap();
        assert_eq!(timestamp(&mut p), 105);
        assert_eq!(
            p.checkpoint(),
            Checkpoint {
                marker: Some(106),
                skip: 0
            }
        );
    }

    #[test]
    fn a_batch_without_a_marker_is_not_repeated() {
        let mut p = poller();
        send(&mut p);
        p.on_response(batch(0..2, None)).unwrap();
        assert_eq!(timestamp(&mut p), 0);
        assert_eq!(timestamp(&mut p), 1);
        assert_eq!(
            p.checkpoint(),
            Checkpoint {
                marker: None,
                skip: 2
            }
        );
        send(&mut p);
        p.on_response(batch(0..3, Some(3))).unwrap();
        assert_eq!(timestamp(&mut p), 2);
        assert_eq!(p.checkpoint().marker, Some(3));
    }

    #[test]
    fn paces_requests() {
        let mut p = Poller::new(PollConfig::default());
        let t0 = Instant::now();
        let _ = p.next_action(t0, &cfg()).unwrap();
        p.on_response(respond(200, r#"{"updates":[]}"#)).unwrap();
        let Action::Wait(w) = p
            .next_action(t0 + Duration::from_millis(100), &cfg())
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(w, Duration::from_millis(400));
    }

    #[test]
    fn stop_handle_wakes_sleepers() {
        let stop = StopHandle::new();
        let s2 = stop.clone();
        let t = std::thread::spawn(move || s2.sleep(Duration::from_secs(60)));
        stop.stop();
        assert!(t.join().unwrap());
    }
}
