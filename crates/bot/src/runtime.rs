//! The dispatcher and the async runtime: per-chat order, bounded work in flight, long polling with
//! at-least-once delivery, graceful shutdown.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Poll, Wake, Waker};
use std::time::{Duration, Instant};

use botwire_core_types::max::{BotInfo, Update};
use botwire_max::AsyncTransport;
use botwire_max::polling::{Action as PollAction, PollConfig, Polled, Poller, StopHandle};
use futures_util::FutureExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use crate::context::{Api, Context, Extensions, StateChange};
use crate::dialogue::{CasOutcome, MemoryStorage, Storage, StorageError};
use crate::error::{HandlerError, RunError, panic_message};
use crate::router::{Handler, Routed, Router};

/// Default bound on updates in flight (queued per chat or being handled): 64.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;
/// Default time in-flight handlers get to finish after a shutdown signal: 10 s.
pub const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);
/// Default dialogue timeout: a conversation untouched for 24 h is dropped.
pub const DEFAULT_DIALOGUE_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// How many times one update runs at most when its dialogue keeps changing concurrently (compare-and-set
/// conflicts): 8. After the last conflict the update fails with [`StorageError::Conflict`].
pub const CAS_ATTEMPTS: u32 = 8;

type ErrorHook = Arc<dyn Fn(&Update, &HandlerError) + Send + Sync>;
type UnhandledHook = Arc<dyn Fn(&Update) + Send + Sync>;

/// How one update ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A handler (or a stopping middleware) ran, and its replies and state were stored.
    Handled,
    /// No route matched and there was no fallback.
    Unhandled,
    /// A handler, a reply, the storage failed, or a handler panicked (see the error hook).
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Handled => "handled",
            Outcome::Unhandled => "unhandled",
            Outcome::Failed => "failed",
        }
    }
}

/// Counters of a dispatcher, shared with its runners; tests wait on them (events, not time).
#[derive(Debug, Default)]
pub struct DispatchStats {
    handled: AtomicU64,
    unhandled: AtomicU64,
    failed: AtomicU64,
    finished: Mutex<u64>,
    cv: Condvar,
}

impl DispatchStats {
    /// Updates handled.
    pub fn handled(&self) -> u64 {
        self.handled.load(Ordering::SeqCst)
    }

    /// Updates no route took.
    pub fn unhandled(&self) -> u64 {
        self.unhandled.load(Ordering::SeqCst)
    }

    /// Updates that failed (errors and panics).
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::SeqCst)
    }

    /// Updates finished, whatever the outcome.
    pub fn finished(&self) -> u64 {
        *self.finished.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Blocks until at least `n` updates finished or `timeout` passed (a hang guard); returns whether they did.
    pub fn wait_finished(&self, n: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut done = self.finished.lock().unwrap_or_else(|p| p.into_inner());
        while *done < n {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            done = match self.cv.wait_timeout(done, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        true
    }

    fn record(&self, outcome: Outcome) {
        match outcome {
            Outcome::Handled => &self.handled,
            Outcome::Unhandled => &self.unhandled,
            Outcome::Failed => &self.failed,
        }
        .fetch_add(1, Ordering::SeqCst);
        let mut done = self.finished.lock().unwrap_or_else(|p| p.into_inner());
        *done += 1;
        self.cv.notify_all();
    }
}

/// What a runner did before it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RunSummary {
    /// Updates received (long polling: handed out by the poller; webhook: accepted with a `200`).
    pub received: u64,
    /// Updates still unfinished when the shutdown deadline passed (their handlers were cancelled).
    pub abandoned: usize,
}

pub(crate) struct Engine {
    pub(crate) router: Router,
    pub(crate) extensions: Arc<Extensions>,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) dialogue_timeout: Option<Duration>,
    on_error: Option<ErrorHook>,
    on_unhandled: Option<UnhandledHook>,
    bot: OnceLock<Arc<BotInfo>>,
    pub(crate) stats: Arc<DispatchStats>,
    pub(crate) max_in_flight: usize,
    pub(crate) shutdown_deadline: Duration,
    pub(crate) blocking_workers: usize,
}

/// The bot: a [`Router`] plus state, dialogue storage, hooks and runtime settings. Start it with a runner:
/// [`Dispatcher::run_polling`], `Dispatcher::serve_webhook` (feature `webhook`) or
/// [`Dispatcher::run_blocking`].
///
/// **Concurrent dialogue writes.** After a handler returned, its dialogue change is stored with
/// [`Storage::compare_and_set`] against the version it read. If another writer got there first (a second
/// replica on a shared store), the attempt's queued replies and state change are dropped and the update runs
/// again on the state that won, up to [`CAS_ATTEMPTS`] times; only then does [`StorageError::Conflict`] reach
/// [`Dispatcher::on_error`]. Replies queued through the context are therefore sent once, for the attempt
/// that was stored — but a handler that calls the API directly ([`Context::api`]) or has other side effects
/// may see them repeated on a re-run: keep those idempotent, or make them after the state change is known to
/// stick (in a later update).
pub struct Dispatcher {
    pub(crate) engine: Engine,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("router", &self.engine.router)
            .field("max_in_flight", &self.engine.max_in_flight)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher for `router` with the defaults: in-memory dialogues ([`MemoryStorage`], 100,000, timeout
    /// [`DEFAULT_DIALOGUE_TIMEOUT`]), [`DEFAULT_MAX_IN_FLIGHT`], [`DEFAULT_SHUTDOWN_DEADLINE`].
    pub fn new(router: Router) -> Self {
        Self {
            engine: Engine {
                router,
                extensions: Arc::new(Extensions::default()),
                storage: Arc::new(MemoryStorage::default()),
                dialogue_timeout: Some(DEFAULT_DIALOGUE_TIMEOUT),
                on_error: None,
                on_unhandled: None,
                bot: OnceLock::new(),
                stats: Arc::new(DispatchStats::default()),
                max_in_flight: DEFAULT_MAX_IN_FLIGHT,
                shutdown_deadline: DEFAULT_SHUTDOWN_DEADLINE,
                blocking_workers: 4,
            },
        }
    }

    /// Makes `value` available to handlers as `ctx.state::<T>()` (one value per type).
    #[must_use]
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        let mut ext = (*self.engine.extensions).clone();
        ext.insert(value);
        self.engine.extensions = Arc::new(ext);
        self
    }

    /// Where dialogues are stored (default: [`MemoryStorage::default`]).
    #[must_use]
    pub fn storage(mut self, storage: impl Storage) -> Self {
        self.engine.storage = Arc::new(storage);
        self
    }

    /// Drops a conversation not touched for `timeout` (`None`: never).
    #[must_use]
    pub fn dialogue_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.engine.dialogue_timeout = timeout;
        self
    }

    /// Called with the update for every error and panic (after the `tracing` event).
    #[must_use]
    pub fn on_error(
        mut self,
        hook: impl Fn(&Update, &HandlerError) + Send + Sync + 'static,
    ) -> Self {
        self.engine.on_error = Some(Arc::new(hook));
        self
    }

    /// Called with every update no route took.
    #[must_use]
    pub fn on_unhandled(mut self, hook: impl Fn(&Update) + Send + Sync + 'static) -> Self {
        self.engine.on_unhandled = Some(Arc::new(hook));
        self
    }

    /// Bound on updates in flight — queued behind their chat or being handled (default 64, at least 1). When
    /// reached, the runner stops reading updates until one finishes (backpressure; the webhook answers 503).
    #[must_use]
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.engine.max_in_flight = n.max(1);
        self
    }

    /// How long in-flight handlers may run after a shutdown signal (default 10 s).
    #[must_use]
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.engine.shutdown_deadline = deadline;
        self
    }

    /// Worker threads of the blocking runner (default 4, at least 1).
    #[must_use]
    pub fn blocking_workers(mut self, n: usize) -> Self {
        self.engine.blocking_workers = n.max(1);
        self
    }

    /// Uses this bot info instead of fetching `GET /me` at start.
    #[must_use]
    pub fn bot_info(self, info: BotInfo) -> Self {
        let _ = self.engine.bot.set(Arc::new(info));
        self
    }

    /// The counters (clone the `Arc` before starting a runner).
    pub fn stats(&self) -> Arc<DispatchStats> {
        self.engine.stats.clone()
    }

    /// Handles one update without a client (queued replies are returned, not sent): for unit tests of a
    /// router and for benchmarks. The dialogue is read from and written to the storage as in a runner.
    pub async fn dispatch_detached(
        &self,
        update: Update,
    ) -> (Outcome, Vec<crate::context::Action>) {
        let mut sent = Vec::new();
        let outcome = self
            .engine
            .process_with(update, &Api::Detached, Some(&mut sent))
            .await;
        (outcome, sent)
    }

    /// Long polling on the async client until `stop` fires (then in-flight handlers get the shutdown
    /// deadline) or polling fails for good.
    ///
    /// **Delivery guarantee: at least once.** The next `GET /updates` — whose marker commits the previous
    /// batch on the server — is sent only after every handler of that batch finished. A crash (or a deadline
    /// that cancels handlers) therefore never loses an update, but the whole last batch comes again after a
    /// restart: make handlers idempotent where a repeat matters. Keep [`PollConfig::start`] at its default to
    /// start from the server's committed position.
    pub async fn run_polling<T: AsyncTransport + 'static>(
        self,
        client: botwire_max::Client<T>,
        poll: PollConfig,
        stop: StopHandle,
    ) -> Result<RunSummary, RunError> {
        let client = Api::erase_async(client);
        let api = Api::Async(client.clone());
        let engine = Arc::new(self.engine);
        engine.ensure_bot_info(&api).await?;
        let scheduler = Scheduler::new(engine.clone(), api);
        let config = client.config().clone();
        let mut poller = Poller::new(poll);
        let mut received = 0u64;
        let mut fatal = None;
        loop {
            if stop.is_stopped() {
                break;
            }
            let action = match poller.next_action(Instant::now(), &config) {
                Ok(a) => a,
                Err(e) => {
                    fatal = Some(e);
                    break;
                }
            };
            match action {
                PollAction::Deliver(Polled::Update(update)) => {
                    received += 1;
                    tokio::select! {
                        () = scheduler.submit(update) => {}
                        () = stop.stopped() => break,
                    }
                }
                PollAction::Deliver(Polled::Malformed(bad)) => {
                    tracing::warn!(error = %bad.error, "skipped a malformed update");
                }
                // Failures in a row past `PollConfig::report_after`: not fatal, polling goes on (backing off).
                PollAction::Report(report) => {
                    tracing::warn!(error = %report, "long polling keeps failing; still trying");
                }
                PollAction::Wait(d) => {
                    tokio::select! {
                        () = tokio::time::sleep(d) => {}
                        () = stop.stopped() => break,
                    }
                }
                PollAction::Send(request) => {
                    // At-least-once: this request commits the previous batch, so every handler of it must
                    // have finished first.
                    tokio::select! {
                        () = scheduler.wait_idle() => {}
                        () = stop.stopped() => break,
                    }
                    let outcome = tokio::select! {
                        o = client.execute(request) => o,
                        () = stop.stopped() => break,
                    };
                    if let Err(e) = poller.on_response(outcome) {
                        fatal = Some(e);
                        break;
                    }
                }
            }
        }
        let abandoned = scheduler.drain(engine.shutdown_deadline).await;
        match fatal {
            Some(e) => Err(RunError::Api(e)),
            None => Ok(RunSummary {
                received,
                abandoned,
            }),
        }
    }
}

/// Fires `stop` on Ctrl-C or (on Unix) SIGTERM. Spawn it next to a runner:
/// `tokio::spawn(botwire_bot::stop_on_signal(stop.clone()))`.
pub async fn stop_on_signal(stop: StopHandle) {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        () = term => tracing::info!("SIGTERM: shutting down"),
    }
    stop.stop();
}

/// For the blocking runner: fires `stop` on Ctrl-C or SIGTERM from a background thread (with a small
/// single-threaded tokio runtime of its own, used only to listen for the signals).
pub fn stop_on_signal_in_background(stop: StopHandle) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    std::thread::Builder::new()
        .name("botwire-bot-signals".into())
        .spawn(move || runtime.block_on(stop_on_signal(stop)))?;
    Ok(())
}

/// The identity of an update, for de-duplication and the `update_id` span field: MAX updates carry no id,
/// so it is built from what names the event (the callback id, the message id, or kind+time+chat+user).
pub fn update_identity(update: &Update) -> String {
    let kind = update.kind();
    match update {
        Update::MessageCallback(u) => format!("{kind}:{}", u.callback.callback_id),
        Update::MessageCreated(u) => match u.message.as_ref().and_then(|m| m.mid()) {
            Some(mid) => format!("{kind}:{mid}"),
            None => format!("{kind}:{}:{:?}", u.timestamp, update.chat_id().map(|c| c.0)),
        },
        Update::MessageEdited(u) => format!(
            "{kind}:{}:{}",
            u.message.as_ref().and_then(|m| m.mid()).unwrap_or_default(),
            u.timestamp
        ),
        Update::MessageRemoved(u) => format!("{kind}:{}", u.message_id),
        other => {
            let user = crate::dialogue::DialogueKey::of(other).map(|k| k.user_id.get());
            format!(
                "{kind}:{}:{:?}:{:?}",
                other.timestamp(),
                other.chat_id().map(|c| c.0),
                user
            )
        }
    }
}

impl Engine {
    pub(crate) async fn ensure_bot_info(&self, api: &Api) -> Result<(), RunError> {
        if self.bot.get().is_none()
            && let Some(info) = api.get_me().await?
        {
            let _ = self.bot.set(Arc::new(info));
        }
        Ok(())
    }

    pub(crate) async fn process(&self, update: Update, api: &Api) -> Outcome {
        self.process_with(update, api, None).await
    }

    /// Routing, handler, replies and state for one update, inside a span, with panics caught.
    pub(crate) async fn process_with(
        &self,
        update: Update,
        api: &Api,
        detached: Option<&mut Vec<crate::context::Action>>,
    ) -> Outcome {
        let started = Instant::now();
        let span = tracing::info_span!(
            "update",
            kind = update.kind(),
            chat = update.chat_id().map(|c| c.0),
            update_id = %update_identity(&update),
            outcome = tracing::field::Empty,
            duration_us = tracing::field::Empty,
        );
        let update = Arc::new(update);
        let for_hooks = update.clone();
        let work = AssertUnwindSafe(self.run_one(update, api, detached))
            .catch_unwind()
            .instrument(span.clone());
        let result = match work.await {
            Ok(r) => r,
            Err(payload) => Err(HandlerError::Panic(panic_message(payload.as_ref()))),
        };
        let outcome = match result {
            Ok(o) => o,
            Err(e) => {
                span.in_scope(|| tracing::warn!(error = %e, "update failed"));
                if let Some(hook) = &self.on_error {
                    hook(&for_hooks, &e);
                }
                Outcome::Failed
            }
        };
        if outcome == Outcome::Unhandled {
            span.in_scope(|| tracing::info!(kind = for_hooks.kind(), "update not handled"));
            if let Some(hook) = &self.on_unhandled {
                hook(&for_hooks);
            }
        }
        span.record("outcome", outcome.as_str());
        span.record("duration_us", started.elapsed().as_micros() as u64);
        self.stats.record(outcome);
        outcome
    }

    /// One update: load its dialogue, route, run the handler, store the state (compare-and-set), then send
    /// the queued replies. When the compare-and-set finds that someone else wrote the dialogue meanwhile (another
    /// replica, another process on the same store), the losing attempt's replies and state change are dropped
    /// and the update runs again on the state that won, up to [`CAS_ATTEMPTS`] times in all: no write is lost
    /// and no reply is sent twice.
    async fn run_one(
        &self,
        update: Arc<Update>,
        api: &Api,
        detached: Option<&mut Vec<crate::context::Action>>,
    ) -> Result<Outcome, HandlerError> {
        let key = crate::dialogue::DialogueKey::of(&update);
        let mut loaded = match &key {
            Some(k) => self.storage.get(k).await?,
            None => None,
        };
        let mut attempt = 1;
        loop {
            let ctx = Context::new(
                update.clone(),
                self.bot.get().cloned(),
                self.extensions.clone(),
                api.clone(),
                loaded,
            );
            let outcome = match self.router.route(&ctx) {
                Routed::Handler(Handler::Sync(f)) => {
                    f(&ctx).map_err(HandlerError::Handler)?;
                    Outcome::Handled
                }
                Routed::Handler(Handler::Async(f)) => {
                    f(ctx.clone()).await.map_err(HandlerError::Handler)?;
                    Outcome::Handled
                }
                Routed::Stopped => Outcome::Handled,
                Routed::Unhandled => Outcome::Unhandled,
                Routed::Failed(e) => return Err(HandlerError::Handler(e)),
            };
            let pending = ctx.take_pending();
            // State first: if it cannot be stored (a concurrent write elsewhere), the replies that assumed it
            // are not sent either.
            if let Some(key) = ctx.dialogue_key() {
                let expected = ctx.inner.loaded.as_ref().map(|v| v.version);
                let write = match pending.state {
                    StateChange::Keep => None,
                    StateChange::Set(v) => Some(Some(v)),
                    StateChange::Reset => (expected.is_some()).then_some(None),
                };
                if let Some(value) = write {
                    match self
                        .storage
                        .compare_and_set(key, expected, value, self.dialogue_timeout)
                        .await?
                    {
                        CasOutcome::Written(_) => {}
                        CasOutcome::Conflict(current) if attempt < CAS_ATTEMPTS => {
                            tracing::debug!(
                                attempt,
                                dialogue = %key.storage_key(),
                                "the dialogue changed concurrently: running the update again on the new state"
                            );
                            attempt += 1;
                            if attempt <= 2 {
                                // The conflict carries the state that won: the second attempt starts from it
                                // without another read.
                                loaded = current;
                            } else {
                                // Losing again and again to a writer that is faster (two replicas hammering
                                // one conversation): step aside for a random 0..2^(n-2) ms (at most 32 ms),
                                // then read what is stored now, so the two stop colliding in lockstep.
                                let cap = Duration::from_millis(1 << (attempt - 2).min(5));
                                let wait = botwire_transport::Jitter::from_clock()
                                    .between(Duration::ZERO, cap);
                                // Runtime-agnostic: the blocking runner drives this without tokio.
                                botwire_transport::Timer::real().sleep_async(wait).await;
                                loaded = self.storage.get(key).await?;
                            }
                            continue;
                        }
                        CasOutcome::Conflict(_) => {
                            return Err(StorageError::Conflict(key.storage_key()).into());
                        }
                    }
                }
            }
            match detached {
                Some(out) => out.extend(pending.outbox),
                None => {
                    for action in &pending.outbox {
                        api.perform(action).await?;
                    }
                }
            }
            return Ok(outcome);
        }
    }
}

/// The lane an update waits in: one per chat (else per user), so one chat's updates run in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Lane {
    Chat(i64),
    User(i64),
    Alone(u64),
}

pub(crate) fn lane_of(update: &Update, seq: &AtomicU64) -> Lane {
    // A dialog is one user's lane, whether or not the update names the dialog's chat id (callbacks from
    // dialogs may not), so a press and a text of one user never run concurrently.
    if let Some(user) = crate::dialogue::dialog_user(update) {
        return Lane::User(user.get());
    }
    if let Some(chat) = update.chat_id() {
        return Lane::Chat(chat.0);
    }
    if let Some(key) = crate::dialogue::DialogueKey::of(update) {
        return Lane::User(key.user_id.get());
    }
    Lane::Alone(seq.fetch_add(1, Ordering::Relaxed))
}

/// Updates waiting behind a busy chat, each with its in-flight permit.
type Lanes = HashMap<Lane, VecDeque<(Update, OwnedSemaphorePermit)>>;

/// Per-chat lanes over a semaphore of `max_in_flight` permits: one task per busy chat (so at most
/// `max_in_flight` tasks), each update holding a permit from submission until its handler finished.
pub(crate) struct Scheduler {
    engine: Arc<Engine>,
    api: Api,
    permits: Arc<Semaphore>,
    lanes: Arc<Mutex<Lanes>>,
    tasks: Mutex<tokio::task::JoinSet<()>>,
    seq: AtomicU64,
}

impl Scheduler {
    pub(crate) fn new(engine: Arc<Engine>, api: Api) -> Self {
        let permits = Arc::new(Semaphore::new(engine.max_in_flight));
        Self {
            engine,
            api,
            permits,
            lanes: Arc::default(),
            tasks: Mutex::new(tokio::task::JoinSet::new()),
            seq: AtomicU64::new(0),
        }
    }

    /// Updates queued or running.
    pub(crate) fn in_flight(&self) -> usize {
        self.engine.max_in_flight - self.permits.available_permits()
    }

    /// Waits for room (backpressure), then queues the update behind its chat.
    pub(crate) async fn submit(&self, update: Update) {
        let Ok(permit) = self.permits.clone().acquire_owned().await else {
            return;
        };
        self.enqueue(update, permit);
    }

    fn enqueue(&self, update: Update, permit: OwnedSemaphorePermit) {
        let lane = lane_of(&update, &self.seq);
        {
            let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(queue) = lanes.get_mut(&lane) {
                queue.push_back((update, permit));
                return;
            }
            lanes.insert(lane, VecDeque::new());
        }
        let (engine, api, lanes) = (self.engine.clone(), self.api.clone(), self.lanes.clone());
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        while tasks.try_join_next().is_some() {}
        tasks.spawn(async move {
            let mut next = Some((update, permit));
            while let Some((update, permit)) = next.take() {
                engine.process(update, &api).await;
                drop(permit);
                let mut lanes = lanes.lock().unwrap_or_else(|p| p.into_inner());
                match lanes.get_mut(&lane).and_then(VecDeque::pop_front) {
                    Some(item) => next = Some(item),
                    None => {
                        lanes.remove(&lane);
                    }
                }
            }
        });
    }

    /// Waits until nothing is queued or running.
    pub(crate) async fn wait_idle(&self) {
        let all = self.engine.max_in_flight as u32;
        if let Ok(permits) = self.permits.acquire_many(all).await {
            drop(permits);
        }
    }

    /// Lets in-flight work finish within `deadline`, then cancels what is left; returns how many updates
    /// were abandoned.
    pub(crate) async fn drain(&self, deadline: Duration) -> usize {
        if tokio::time::timeout(deadline, self.wait_idle())
            .await
            .is_ok()
        {
            return 0;
        }
        let abandoned = self.in_flight();
        tracing::warn!(
            abandoned,
            "shutdown deadline passed; cancelling the remaining handlers"
        );
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .abort_all();
        abandoned
    }
}

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on the current thread (the blocking runner's storage calls and replies).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
