//! The blocking runner: the same [`Router`](crate::Router) on `botwire_max::blocking::Client`, plain-function
//! handlers on a bounded pool of threads, one chat's updates in order. No tokio runtime is needed.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use botwire_core_types::max::Update;
use botwire_max::BlockingTransport;
use botwire_max::polling::{Action as PollAction, PollConfig, Polled, Poller, StopHandle};

use crate::context::Api;
use crate::error::RunError;
use crate::runtime::{Dispatcher, Engine, Lane, RunSummary, block_on, lane_of};

/// How often a producer blocked on a full pool looks at the stop handle.
const STOP_CHECK: Duration = Duration::from_millis(50);

impl Dispatcher {
    /// Long polling on the blocking client until `stop` fires or polling fails for good. Handlers run on
    /// [`Dispatcher::blocking_workers`] threads with at most [`Dispatcher::max_in_flight`] updates in flight;
    /// the delivery guarantee is the same as [`Dispatcher::run_polling`]'s (at least once). A long poll in
    /// progress is not interrupted by `stop`: it ends within the poll's hold time (30 s by default).
    ///
    /// Fails at once with [`RunError::AsyncHandlers`] if the router has async handlers.
    pub fn run_blocking<T: BlockingTransport + 'static>(
        self,
        client: botwire_max::blocking::Client<T>,
        poll: PollConfig,
        stop: StopHandle,
    ) -> Result<RunSummary, RunError> {
        let asyncs = self.engine.router.async_handlers();
        if !asyncs.is_empty() {
            return Err(RunError::AsyncHandlers(asyncs.join(", ")));
        }
        let client = Api::erase_blocking(client);
        let api = Api::Blocking(client.clone());
        let engine = Arc::new(self.engine);
        block_on(engine.ensure_bot_info(&api))?;
        let pool = Pool::start(engine.clone(), api);
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
                    if !pool.submit(update, &stop) {
                        break;
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
                    if stop.sleep(d) {
                        break;
                    }
                }
                PollAction::Send(request) => {
                    // At-least-once: the request commits the previous batch; its handlers must be done.
                    if !pool.wait_idle(&stop) {
                        break;
                    }
                    let outcome = client.execute(request);
                    if let Err(e) = poller.on_response(outcome) {
                        fatal = Some(e);
                        break;
                    }
                }
            }
        }
        let abandoned = pool.shutdown(engine.shutdown_deadline);
        match fatal {
            Some(e) => Err(RunError::Api(e)),
            None => Ok(RunSummary {
                received,
                abandoned,
            }),
        }
    }
}

#[derive(Default)]
struct PoolState {
    lanes: HashMap<Lane, VecDeque<Update>>,
    ready: VecDeque<Lane>,
    in_flight: usize,
    closing: bool,
}

struct Shared {
    state: Mutex<PoolState>,
    cv: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(
        &self,
        guard: MutexGuard<'a, PoolState>,
        timeout: Duration,
    ) -> MutexGuard<'a, PoolState> {
        match self.cv.wait_timeout(guard, timeout) {
            Ok((g, _)) => g,
            Err(p) => p.into_inner().0,
        }
    }
}

/// Worker threads over per-chat lanes; a lane is served by one worker at a time, so its updates run in order.
struct Pool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    max: usize,
    seq: AtomicU64,
}

impl Pool {
    fn start(engine: Arc<Engine>, api: Api) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(PoolState::default()),
            cv: Condvar::new(),
        });
        let max = engine.max_in_flight;
        let threads = (0..engine.blocking_workers)
            .map(|i| {
                let (shared, engine, api) = (shared.clone(), engine.clone(), api.clone());
                std::thread::Builder::new()
                    .name(format!("botwire-bot-{i}"))
                    .spawn(move || worker(&shared, &engine, &api))
            })
            .filter_map(Result::ok)
            .collect();
        Self {
            shared,
            threads,
            max,
            seq: AtomicU64::new(0),
        }
    }

    /// Queues an update, waiting for room; `false` if `stop` fired first.
    fn submit(&self, update: Update, stop: &StopHandle) -> bool {
        let lane = lane_of(&update, &self.seq);
        let mut state = self.shared.lock();
        while state.in_flight >= self.max {
            if stop.is_stopped() {
                return false;
            }
            state = self.shared.wait(state, STOP_CHECK);
        }
        state.in_flight += 1;
        match state.lanes.get_mut(&lane) {
            Some(queue) => queue.push_back(update),
            None => {
                state.lanes.insert(lane, VecDeque::from([update]));
                state.ready.push_back(lane);
            }
        }
        self.shared.cv.notify_all();
        true
    }

    /// Waits until nothing is in flight; `false` if `stop` fired first.
    fn wait_idle(&self, stop: &StopHandle) -> bool {
        let mut state = self.shared.lock();
        while state.in_flight > 0 {
            if stop.is_stopped() {
                return false;
            }
            state = self.shared.wait(state, STOP_CHECK);
        }
        true
    }

    /// Drains within `deadline`; returns how many updates were left (queued ones are dropped, running ones
    /// finish on their threads in the background).
    fn shutdown(self, deadline: Duration) -> usize {
        let until = Instant::now() + deadline;
        let mut state = self.shared.lock();
        state.closing = true;
        self.shared.cv.notify_all();
        while state.in_flight > 0 {
            let now = Instant::now();
            if now >= until {
                break;
            }
            state = self.shared.wait(state, until - now);
        }
        let abandoned = state.in_flight;
        if abandoned > 0 {
            tracing::warn!(
                abandoned,
                "shutdown deadline passed; dropping the queued updates"
            );
            for queue in state.lanes.values_mut() {
                queue.clear();
            }
            state.ready.clear();
            drop(state);
            return abandoned;
        }
        drop(state);
        for t in self.threads {
            let _ = t.join();
        }
        0
    }
}

fn worker(shared: &Shared, engine: &Engine, api: &Api) {
    let mut state = shared.lock();
    loop {
        let Some(lane) = state.ready.pop_front() else {
            if state.closing {
                return;
            }
            state = shared.wait(state, Duration::from_secs(1));
            continue;
        };
        loop {
            let Some(update) = state.lanes.get_mut(&lane).and_then(VecDeque::pop_front) else {
                state.lanes.remove(&lane);
                break;
            };
            drop(state);
            block_on(engine.process(update, api));
            state = shared.lock();
            state.in_flight -= 1;
            shared.cv.notify_all();
        }
    }
}
