//! Retrying a send while an uploaded attachment is still being processed (`attachment.not.ready`, reference
//! §9.4), as one policy without I/O that both clients drive.

use std::future::Future;
use std::time::Duration;

use botwire_transport::{AsyncTransport, BlockingTransport};

use crate::{Client, Endpoint, Error, blocking};

/// `true` for the API error `attachment.not.ready` (HTTP 400 while an upload is processed).
pub fn is_not_ready(error: &Error) -> bool {
    matches!(error, Error::Api(e) if e.code.as_deref() == Some("attachment.not.ready"))
}

/// How often and how patiently to repeat a send that failed with `attachment.not.ready`.
///
/// The default matches the official clients: 3 attempts in all, waiting 1 s, then 2 s (each wait doubles,
/// capped at [`NotReadyRetry::max_delay`], 30 s by default). Only `attachment.not.ready` is retried: the server
/// refused the message, so repeating it cannot send it twice.
///
/// ```
/// use std::time::Duration;
/// use botwire_max::upload::NotReadyRetry;
///
/// let policy = NotReadyRetry::default();
/// assert_eq!(policy.attempts(), 3);
/// assert_eq!(policy.delay_after(1), Duration::from_secs(1));
/// assert_eq!(policy.delay_after(2), Duration::from_secs(2));
/// let patient = NotReadyRetry::new(6, Duration::from_millis(500)).max_delay(Duration::from_secs(5));
/// assert_eq!(patient.delay_after(5), Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotReadyRetry {
    attempts: u32,
    first_delay: Duration,
    max_delay: Duration,
}

impl Default for NotReadyRetry {
    fn default() -> Self {
        Self::new(3, Duration::from_secs(1))
    }
}

impl NotReadyRetry {
    /// `attempts` in all (at least 1), waiting `first_delay` after the first failure and doubling after each.
    pub fn new(attempts: u32, first_delay: Duration) -> Self {
        Self {
            attempts: attempts.max(1),
            first_delay,
            max_delay: Duration::from_secs(30),
        }
    }

    /// No waiting and no repeating: one attempt.
    pub fn never() -> Self {
        Self::new(1, Duration::ZERO)
    }

    /// Caps each wait.
    #[must_use]
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Attempts in all, the first included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The wait after the `failures`-th failure (1-based): `first_delay × 2^(failures-1)`, capped.
    pub fn delay_after(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.first_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// A fresh run of the policy.
    pub fn start(&self) -> NotReadyState {
        NotReadyState {
            policy: *self,
            failures: 0,
        }
    }
}

/// What to do after an attempt.
#[derive(Debug)]
#[non_exhaustive]
pub enum RetryStep<T> {
    /// Finished: the result of the last attempt.
    Done(Result<T, Error>),
    /// Wait this long, then send again.
    Wait(Duration),
}

/// One run of a [`NotReadyRetry`]: feed it each attempt's result; it says whether to wait and repeat.
#[derive(Debug, Clone)]
pub struct NotReadyState {
    policy: NotReadyRetry,
    failures: u32,
}

impl NotReadyState {
    /// Decides after one attempt.
    pub fn after<T>(&mut self, result: Result<T, Error>) -> RetryStep<T> {
        match result {
            Err(e) if is_not_ready(&e) && self.failures + 1 < self.policy.attempts => {
                self.failures += 1;
                RetryStep::Wait(self.policy.delay_after(self.failures))
            }
            other => RetryStep::Done(other),
        }
    }

    /// How many attempts failed with `attachment.not.ready` so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

impl<T: AsyncTransport> Client<T> {
    /// Sends `endpoint` (typically a message carrying a fresh upload), repeating it while the server answers
    /// `attachment.not.ready`, as `policy` allows. Waits with `futures-timer`, so it runs on any executor (no
    /// tokio required); dropping the future cancels the wait. The last error is returned when attempts run out.
    pub async fn send_retrying_not_ready<E>(
        &self,
        endpoint: &E,
        policy: &NotReadyRetry,
    ) -> Result<E::Output, Error>
    where
        E: Endpoint + Sync + ?Sized,
    {
        self.send_retrying_not_ready_with(endpoint, policy, futures_timer::Delay::new)
            .await
    }

    /// [`Client::send_retrying_not_ready`] with your own sleep function (e.g. `tokio::time::sleep`, or a fake
    /// in tests).
    pub async fn send_retrying_not_ready_with<E, S, F>(
        &self,
        endpoint: &E,
        policy: &NotReadyRetry,
        mut sleep: S,
    ) -> Result<E::Output, Error>
    where
        E: Endpoint + Sync + ?Sized,
        S: FnMut(Duration) -> F,
        F: Future<Output = ()>,
    {
        let mut run = policy.start();
        loop {
            match run.after(self.send(endpoint).await) {
                RetryStep::Done(result) => return result,
                RetryStep::Wait(delay) => sleep(delay).await,
            }
        }
    }
}

impl<T: BlockingTransport> blocking::Client<T> {
    /// Sends `endpoint`, repeating it while the server answers `attachment.not.ready`, as `policy` allows,
    /// sleeping the thread in between. The last error is returned when attempts run out.
    pub fn send_retrying_not_ready<E>(
        &self,
        endpoint: &E,
        policy: &NotReadyRetry,
    ) -> Result<E::Output, Error>
    where
        E: Endpoint + ?Sized,
    {
        self.send_retrying_not_ready_with(endpoint, policy, std::thread::sleep)
    }

    /// [`blocking::Client::send_retrying_not_ready`] with your own sleep function (a fake in tests, or one that
    /// returns early to cancel).
    pub fn send_retrying_not_ready_with<E>(
        &self,
        endpoint: &E,
        policy: &NotReadyRetry,
        mut sleep: impl FnMut(Duration),
    ) -> Result<E::Output, Error>
    where
        E: Endpoint + ?Sized,
    {
        let mut run = policy.start();
        loop {
            match run.after(self.send(endpoint)) {
                RetryStep::Done(result) => return result,
                RetryStep::Wait(delay) => sleep(delay),
            }
        }
    }
}
