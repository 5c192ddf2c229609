//! The sandbox clock: what the timestamps of messages, updates and members say, and how fast the platform's
//! waits (webhook retries, the 8-hour unsubscribe) pass.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// 2026-03-31T23:33:20Z in Unix ms: where [`Clock::stepped`] starts by default (the sandbox's old fixed clock).
pub const STEPPED_START_MS: i64 = 1_775_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// The machine's clock.
    Wall,
    /// `start_ms` at start, then `scale` sandbox seconds per real second.
    Fixed { start_ms: i64, scale: f64 },
    /// Frozen at `start_ms`; each event moves it one second on (reproducible timestamps).
    Stepped,
}

/// The time source of a sandbox.
///
/// - [`Clock::wall`] (the default of [`crate::MaxSandbox::start`] and of the binary): real Unix time, so "skip updates
///   older than N seconds" logic in a bot behaves as against the platform.
/// - [`Clock::fixed`]: starts at a chosen instant and runs `scale` times as fast as real time (`scale` 3600 makes
///   the 8-hour webhook unsubscribe happen in 8 real seconds).
/// - [`Clock::stepped`]: frozen, advancing exactly one second per event: the same timestamps on every run, for
///   snapshot tests.
///
/// Event timestamps never repeat and never go back: each event gets at least the previous one plus 1 ms.
#[derive(Debug)]
pub struct Clock {
    mode: Mode,
    started: Instant,
    /// The last timestamp handed out (Unix ms).
    last: Mutex<i64>,
}

impl Clock {
    /// The machine's clock.
    pub fn wall() -> Self {
        Self::with(Mode::Wall, wall_ms())
    }

    /// Starts at `start_ms` (Unix ms) and runs `scale` times as fast as real time (`1.0` = real speed; `0.0`
    /// freezes it). Negative or non-finite scales count as `1.0`.
    pub fn fixed(start_ms: i64, scale: f64) -> Self {
        let scale = if scale.is_finite() && scale >= 0.0 {
            scale
        } else {
            1.0
        };
        Self::with(Mode::Fixed { start_ms, scale }, start_ms)
    }

    /// Frozen at `start_ms`, one second further on per event (`tick`).
    pub fn stepped(start_ms: i64) -> Self {
        Self::with(Mode::Stepped, start_ms)
    }

    fn with(mode: Mode, last: i64) -> Self {
        Self {
            mode,
            started: Instant::now(),
            last: Mutex::new(last),
        }
    }

    fn source(&self) -> Option<i64> {
        match self.mode {
            Mode::Wall => Some(wall_ms()),
            Mode::Fixed { start_ms, scale } => {
                let elapsed = self.started.elapsed().as_secs_f64() * scale * 1000.0;
                Some(start_ms.saturating_add(elapsed as i64))
            }
            Mode::Stepped => None,
        }
    }

    /// The current time (Unix ms), never before the last event's timestamp.
    pub fn now(&self) -> i64 {
        let last = *self.last.lock().unwrap_or_else(|p| p.into_inner());
        self.source().map_or(last, |now| now.max(last))
    }

    /// The timestamp of a new event (Unix ms): later than every earlier one.
    pub fn tick(&self) -> i64 {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        *last = match self.source() {
            Some(now) => now.max(*last + 1),
            None => *last + 1000,
        };
        *last
    }

    /// Sandbox seconds per real second (`None` for the stepped clock, which does not run).
    pub fn scale(&self) -> Option<f64> {
        match self.mode {
            Mode::Wall => Some(1.0),
            Mode::Fixed { scale, .. } => Some(scale),
            Mode::Stepped => None,
        }
    }

    /// How long a platform wait of `platform` takes in real time on this clock (the stepped clock: as long as
    /// on the wall clock).
    pub fn real(&self, platform: Duration) -> Duration {
        match self.scale() {
            Some(s) if s > 0.0 => platform.div_f64(s),
            Some(_) => Duration::MAX,
            None => platform,
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::wall()
    }
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stepped_clock_advances_one_second_per_event() {
        let c = Clock::stepped(STEPPED_START_MS);
        assert_eq!(c.now(), STEPPED_START_MS);
        assert_eq!(c.tick(), STEPPED_START_MS + 1000);
        assert_eq!(c.now(), STEPPED_START_MS + 1000);
    }

    #[test]
    fn running_clocks_never_repeat_a_timestamp() {
        for c in [Clock::wall(), Clock::fixed(1_000, 0.0)] {
            let a = c.tick();
            let b = c.tick();
            assert!(b > a);
            assert!(c.now() >= b);
        }
        let wall = Clock::wall();
        assert!(wall.now() > STEPPED_START_MS);
        let fast = Clock::fixed(0, 3600.0);
        assert_eq!(
            fast.real(Duration::from_secs(8 * 3600)),
            Duration::from_secs(8)
        );
    }
}
