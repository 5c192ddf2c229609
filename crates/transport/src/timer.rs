//! Time for the policy layers: a clock and two ways to wait, injectable so tests never really sleep.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A boxed, sendable future that completes after a wait.
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

type Now = Arc<dyn Fn() -> Duration + Send + Sync>;
type BlockingSleep = Arc<dyn Fn(Duration) + Send + Sync>;
type AsyncSleep = Arc<dyn Fn(Duration) -> SleepFuture + Send + Sync>;

/// The clock and the sleepers that [`Throttle`](crate::Throttle) and [`Retry`](crate::Retry) use.
///
/// [`Timer::real`] (the default) reads a monotonic clock, blocks with `std::thread::sleep` and awaits a
/// runtime-agnostic timer (`futures-timer`, no tokio needed). [`Timer::manual`] gives a clock that only moves
/// when something sleeps on it, for tests:
///
/// ```
/// use std::time::Duration;
/// use botwire_transport::Timer;
///
/// let (timer, clock) = Timer::manual();
/// timer.sleep(Duration::from_millis(250));
/// assert_eq!(clock.now(), Duration::from_millis(250));
/// assert_eq!(clock.sleeps(), vec![Duration::from_millis(250)]);
/// ```
#[derive(Clone)]
pub struct Timer {
    now: Now,
    sleep: BlockingSleep,
    sleep_async: AsyncSleep,
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer").finish_non_exhaustive()
    }
}

impl Default for Timer {
    fn default() -> Self {
        Self::real()
    }
}

impl Timer {
    /// The real clock: `Instant`, `std::thread::sleep`, and `futures_timer::Delay` for async waits.
    pub fn real() -> Self {
        let start = Instant::now();
        Self {
            now: Arc::new(move || start.elapsed()),
            sleep: Arc::new(std::thread::sleep),
            sleep_async: Arc::new(|d| Box::pin(futures_timer::Delay::new(d))),
        }
    }

    /// A clock that stands still until something sleeps on it; every sleep advances it at once and is recorded.
    pub fn manual() -> (Self, ManualClock) {
        let clock = ManualClock::default();
        let (c1, c2, c3) = (clock.clone(), clock.clone(), clock.clone());
        let timer = Self {
            now: Arc::new(move || c1.now()),
            sleep: Arc::new(move |d| c2.advance_sleeping(d)),
            sleep_async: Arc::new(move |d| {
                c3.advance_sleeping(d);
                Box::pin(std::future::ready(()))
            }),
        };
        (timer, clock)
    }

    /// A timer from parts: a clock (time since any fixed origin), a blocking sleeper and an async sleeper.
    pub fn custom(
        now: impl Fn() -> Duration + Send + Sync + 'static,
        sleep: impl Fn(Duration) + Send + Sync + 'static,
        sleep_async: impl Fn(Duration) -> SleepFuture + Send + Sync + 'static,
    ) -> Self {
        Self {
            now: Arc::new(now),
            sleep: Arc::new(sleep),
            sleep_async: Arc::new(sleep_async),
        }
    }

    /// Replaces the async sleeper (e.g. with `tokio::time::sleep` to use tokio's paused test clock).
    #[must_use]
    pub fn with_async_sleep(
        mut self,
        sleep_async: impl Fn(Duration) -> SleepFuture + Send + Sync + 'static,
    ) -> Self {
        self.sleep_async = Arc::new(sleep_async);
        self
    }

    /// Time since the clock's origin.
    pub fn now(&self) -> Duration {
        (self.now)()
    }

    /// Blocks for `duration`.
    pub fn sleep(&self, duration: Duration) {
        if !duration.is_zero() {
            (self.sleep)(duration);
        }
    }

    /// Waits for `duration` without blocking the thread.
    pub fn sleep_async(&self, duration: Duration) -> SleepFuture {
        if duration.is_zero() {
            Box::pin(std::future::ready(()))
        } else {
            (self.sleep_async)(duration)
        }
    }
}

/// The clock of [`Timer::manual`]: moves only by sleeps (or [`ManualClock::advance`]), records every sleep.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
    sleeps: Arc<Mutex<Vec<Duration>>>,
}

impl ManualClock {
    /// The current time since the origin.
    pub fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }

    /// Moves the clock forward without recording a sleep.
    pub fn advance(&self, by: Duration) {
        self.nanos.fetch_add(
            u64::try_from(by.as_nanos()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    fn advance_sleeping(&self, by: Duration) {
        self.advance(by);
        if let Ok(mut s) = self.sleeps.lock() {
            s.push(by);
        }
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The sum of all sleeps.
    pub fn slept(&self) -> Duration {
        self.sleeps().iter().sum()
    }
}
