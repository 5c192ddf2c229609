use std::time::Duration;

/// A small seedable random generator (SplitMix64) for backoff jitter: the retry layer and the MAX long-poll loop
/// draw their waits from it. Seeded explicitly, the waits repeat exactly (tests); [`Jitter::from_clock`] seeds it
/// from the system clock. Not for anything secret.
///
/// ```
/// use std::time::Duration;
/// use botwire_transport::Jitter;
///
/// let mut a = Jitter::new(7);
/// let mut b = Jitter::new(7);
/// let d = a.between(Duration::from_millis(500), Duration::from_secs(1));
/// assert_eq!(d, b.between(Duration::from_millis(500), Duration::from_secs(1)));
/// assert!(d >= Duration::from_millis(500) && d <= Duration::from_secs(1));
/// ```
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// A generator with this seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A generator seeded from the system clock.
    pub fn from_clock() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Self(nanos)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, max]`.
    pub fn below(&mut self, max: Duration) -> Duration {
        let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.next_u64() % (nanos.saturating_add(1)).max(1))
    }

    /// Uniform in `[min, max]` (`min` when `max < min`).
    pub fn between(&mut self, min: Duration, max: Duration) -> Duration {
        min + self.below(max.saturating_sub(min))
    }
}
