//! Long polling: a loop over `GET /updates` that keeps the marker, backs off, and never stalls.
//!
//! The loop is one sans-IO state machine, [`Poller`]; the blocking iterator ([`Updates`]) and the async stream
//! (`Client::updates`) only move its requests and responses.
//!
//! * **Nothing lost, nothing repeated.** The marker that commits a batch is sent only after every update of the
//!   batch was handed out. [`Poller::checkpoint`] is the position to save: the marker that fetched the current
//!   batch plus how many of its updates were already handed out. A poller started from a saved checkpoint asks
//!   for the same batch again and skips what was handed out.
//! * **A bad update never stops the loop.** Batches are decoded element by element; a malformed element is
//!   handed out as [`Polled::Malformed`] with its JSON, an unknown type as `Update::Unknown`.
//! * **Errors.** 429, 5xx, a broken body and network failures back off (exponential, jittered, bounded) and the
//!   loop goes on; 401/403 stop it with the API error; 405 stops it with [`Error::WebhookActive`].
//! * **Rate.** At most one request per [`PollConfig::min_interval`] (default 500 ms: the documented 2 requests/s),
//!   and the request timeout is the hold time plus a margin.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::Waker;
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
    /// An element that could not be decoded, with its JSON and where it broke.
    Malformed(MalformedUpdate),
}

/// Where a poller stands: save it to restart without losing or repeating updates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// The marker that fetched the current batch (`None`: the first request).
    pub marker: Option<i64>,
    /// How many updates of that batch were already handed out.
    pub skip: u32,
}

/// Backoff after a transient failure: `initial · 2^n`, capped at `max`, with jitter in `[½d, d]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// First wait.
    pub initial: Duration,
    /// Longest wait.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

/// Long-polling settings.
#[derive(Debug, Clone)]
pub struct PollConfig {
    /// Seconds the server holds a request while there is nothing new (0–90; the server holds at most 30).
    pub timeout_secs: u32,
    /// Updates per batch (1–1000; the server sends at most 100).
    pub limit: u32,
    /// Only these update types; empty = all.
    pub types: Vec<UpdateType>,
    /// Least time between two requests (default 500 ms = 2 requests/s, the documented limit).
    pub min_interval: Duration,
    /// Backoff after transient failures.
    pub backoff: Backoff,
    /// Where to start.
    pub start: Checkpoint,
    /// Seed of the jitter (default: from the clock); fixed in tests for repeatable waits.
    pub jitter_seed: Option<u64>,
}

impl Default for PollConfig {
    fn default() -> Self {
        Self {
            timeout_secs: 30,
            limit: 100,
            types: Vec::new(),
            min_interval: Duration::from_millis(500),
            backoff: Backoff::default(),
            start: Checkpoint::default(),
            jitter_seed: None,
        }
    }
}

impl PollConfig {
    /// Starts from a saved checkpoint.
    #[must_use]
    pub fn starting_at(mut self, checkpoint: Checkpoint) -> Self {
        self.start = checkpoint;
        self
    }
}

/// What the driver must do next.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Action {
    /// Hand this item to the user.
    Deliver(Polled),
    /// Send this request and feed the outcome to [`Poller::on_response`].
    Send(HttpRequest),
    /// Wait this long (pacing or backoff), then ask again.
    Wait(Duration),
}

/// The long-polling state machine (sans-IO).
#[derive(Debug)]
pub struct Poller {
    config: PollConfig,
    /// Marker sent with the next request; also the marker that fetched the pending batch.
    marker: Option<i64>,
    /// Marker to move to once the pending batch is handed out.
    next_marker: Option<i64>,
    batch: VecDeque<Result<Update, MalformedUpdate>>,
    handed: u32,
    skip: u32,
    failures: u32,
    wait: Option<Duration>,
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
            handed: 0,
            failures: 0,
            wait: None,
            last_request: None,
            jitter,
        }
    }

    /// The position to save: restarting from it neither loses nor repeats an update.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            marker: self.marker,
            skip: self.handed,
        }
    }

    /// Consecutive transient failures so far (reset by a good answer).
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The next step, given the current time.
    pub fn next_action(&mut self, now: Instant, config: &Config) -> Result<Action, Error> {
        if let Some(item) = self.batch.pop_front() {
            self.handed += 1;
            if self.batch.is_empty() {
                // Every update of the batch is out: only now may the next request commit it.
                if self.next_marker.is_some() {
                    self.marker = self.next_marker.take();
                }
                self.handed = 0;
            }
            return Ok(Action::Deliver(match item {
                Ok(update) => Polled::Update(update),
                Err(malformed) => Polled::Malformed(malformed),
            }));
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

    /// Feeds the outcome of the last request. `Err` means the loop must stop with that error.
    pub fn on_response(
        &mut self,
        outcome: Result<HttpResponse, TransportError>,
    ) -> Result<(), Error> {
        let response = match outcome {
            Ok(r) => r,
            Err(e)
                if matches!(
                    e.kind(),
                    TransportErrorKind::Tls | TransportErrorKind::InvalidRequest
                ) =>
            {
                return Err(Error::Transport(e));
            }
            Err(e) => {
                tracing::warn!(error = %e, "long poll failed; backing off");
                self.back_off(None);
                return Ok(());
            }
        };
        match check_status(&response) {
            Ok(_) => {}
            Err(Error::RateLimited { retry_after, .. }) => {
                tracing::warn!(?retry_after, "long poll rate limited; backing off");
                self.back_off(retry_after);
                return Ok(());
            }
            Err(e) if e.status().is_some_and(|s| s.is_server_error()) => {
                tracing::warn!(error = %e, "long poll got a server error; backing off");
                self.back_off(None);
                return Ok(());
            }
            Err(e) if e.status() == Some(StatusCode::METHOD_NOT_ALLOWED) => {
                return Err(Error::WebhookActive);
            }
            Err(e) => return Err(e),
        }
        let batch = match UpdateBatch::from_slice(response.body()) {
            Ok(b) => b,
            Err(e) => {
                // A truncated or garbled envelope: nothing was handed out, ask again for the same marker.
                tracing::warn!(error = %e, "long poll answer is not a valid update list; retrying");
                self.back_off(None);
                return Ok(());
            }
        };
        self.failures = 0;
        let mut updates: VecDeque<_> = batch.updates.into();
        let skip = (self.skip as usize).min(updates.len());
        updates.drain(..skip);
        self.handed = self.skip.min(skip as u32);
        self.skip = 0;
        if updates.is_empty() {
            self.handed = 0;
            if batch.marker.is_some() {
                self.marker = batch.marker;
            }
        } else {
            self.next_marker = batch.marker;
            self.batch = updates;
        }
        Ok(())
    }

    fn back_off(&mut self, server_wait: Option<Duration>) {
        self.failures = self.failures.saturating_add(1);
        let exp = self.failures.saturating_sub(1).min(20);
        let base = self
            .config
            .backoff
            .initial
            .saturating_mul(1 << exp)
            .min(self.config.backoff.max);
        // Jitter in [½d, d]: spreads retries of many bots without ever hammering a refusing server.
        let jittered = self.jitter.between(base / 2, base);
        self.wait =
            Some(server_wait.map_or(jittered, |w| w.max(jittered.min(self.config.backoff.max))));
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
            wakers.push(cx.waker().clone());
        }
        // Re-check: a stop between the first check and the registration must not be missed.
        if self.handle.is_stopped() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    }
}

/// The blocking update iterator: `Some(Ok(_))` per update, `Some(Err(_))` once when the loop stops on an error,
/// then `None`. Also `None` when the [`StopHandle`] fires.
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
                Action::Wait(d) => {
                    if self.stop.sleep(d) {
                        return None;
                    }
                }
                Action::Send(req) => {
                    let outcome = self.client.transport().execute(req);
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
    /// Long polling as an iterator (see [`crate::polling`]).
    ///
    /// ```no_run
    /// # fn run(client: botwire_max::blocking::Client<botwire_transport::UreqTransport>) {
    /// use botwire_max::polling::{PollConfig, Polled};
    ///
    /// let updates = client.updates(PollConfig::default());
    /// let stop = updates.stop_handle(); // give it to a Ctrl-C handler
    /// for item in updates {
    ///     match item {
    ///         Ok(Polled::Update(update)) => println!("{}", update.kind()),
    ///         Ok(Polled::Malformed(bad)) => eprintln!("skipped: {}", bad.error),
    ///         Err(fatal) => { eprintln!("polling stopped: {fatal}"); break }
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

/// The async update stream returned by `Client::updates`.
pub type UpdateStream<'a> =
    std::pin::Pin<Box<dyn futures_core::Stream<Item = Result<Polled, Error>> + Send + 'a>>;

impl<T: botwire_transport::AsyncTransport> crate::Client<T> {
    /// Long polling as a `Stream` (see [`crate::polling`]). It ends after yielding a fatal error, or at once
    /// when `stop` fires (an in-flight request is dropped). Waits use a runtime-agnostic timer.
    pub fn updates(&self, config: PollConfig, stop: StopHandle) -> UpdateStream<'_> {
        struct State<'a, T> {
            client: &'a crate::Client<T>,
            poller: Poller,
            stop: StopHandle,
            done: bool,
        }
        let state = State {
            client: self,
            poller: Poller::new(config),
            stop,
            done: false,
        };
        Box::pin(futures_util::stream::unfold(state, |mut s| async move {
            use futures_util::future::{Either, select};
            loop {
                if s.done || s.stop.is_stopped() {
                    return None;
                }
                let action = match s.poller.next_action(Instant::now(), s.client.config()) {
                    Ok(a) => a,
                    Err(e) => {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                };
                match action {
                    Action::Deliver(item) => return Some((Ok(item), s)),
                    Action::Wait(d) => {
                        let timer = futures_timer::Delay::new(d);
                        if let Either::Right(_) = select(timer, s.stop.stopped()).await {
                            return None;
                        }
                    }
                    Action::Send(req) => {
                        let request = s.client.transport().execute(req);
                        let outcome = match select(request, s.stop.stopped()).await {
                            Either::Left((outcome, _)) => outcome,
                            Either::Right(_) => return None,
                        };
                        if let Err(e) = s.poller.on_response(outcome) {
                            s.done = true;
                            return Some((Err(e), s));
                        }
                    }
                }
            }
        }))
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

    #[test]
    fn server_wait_is_honoured_and_backoff_is_bounded() {
        let mut p = poller();
        for _ in 0..30 {
            send(&mut p);
            p.on_response(respond(500, "")).unwrap();
            let Action::Wait(w) = p.next_action(Instant::now(), &cfg()).unwrap() else {
                panic!()
            };
            assert!(w <= Duration::from_secs(60));
        }
        send(&mut p);
        let resp = http::Response::builder()
            .status(429)
            .header("retry-after", "7")
            .body(Vec::new())
            .unwrap();
        p.on_response(Ok(resp)).unwrap();
        let Action::Wait(w) = p.next_action(Instant::now(), &cfg()).unwrap() else {
            panic!()
        };
        assert!(w >= Duration::from_secs(7), "{w:?}");
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
