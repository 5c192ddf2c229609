//! botwire's default transport stack for benchmarks that count work, not wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use botwire_transport::{Retry, RetryPolicy, Throttle, ThrottleConfig, Timer};

/// A clock that stands still until something sleeps on it, then jumps by the sleep at once.
///
/// Unlike `Timer::manual()` it records nothing, so it costs the same on the millionth sleep as on the first
/// (what the instruction and memory benchmarks need).
pub fn instant_timer() -> Timer {
    let nanos = Arc::new(AtomicU64::new(0));
    let (now, sleep, sleep_async) = (Arc::clone(&nanos), Arc::clone(&nanos), nanos);
    let advance = |clock: &AtomicU64, by: Duration| {
        clock.fetch_add(
            u64::try_from(by.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    };
    Timer::custom(
        move || Duration::from_nanos(now.load(Ordering::Relaxed)),
        move |d| advance(&sleep, d),
        move |d| {
            advance(&sleep_async, d);
            Box::pin(std::future::ready(()))
        },
    )
}

/// What `Client::with_config` builds around `backend` (`Retry<Throttle<_>>`, the MAX preset, the default retry
/// policy), on [`instant_timer`]: every limit is computed and every wait is taken, but a wait takes no time.
pub fn default_stack<T>(backend: T) -> Retry<Throttle<T>> {
    Retry::new(
        Throttle::new(backend, ThrottleConfig::max()).with_timer(instant_timer()),
        RetryPolicy::default(),
    )
    .with_timer(instant_timer())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instant_timer_moves_only_by_sleeps() {
        let timer = instant_timer();
        assert_eq!(timer.now(), Duration::ZERO);
        timer.sleep(Duration::from_millis(500));
        assert_eq!(timer.now(), Duration::from_millis(500));
        futures_util::FutureExt::now_or_never(timer.sleep_async(Duration::from_millis(5)))
            .expect("an async sleep is ready at once");
        assert_eq!(timer.now(), Duration::from_millis(505));
    }
}
