use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use crate::Limits;

/// One way to misbehave on a request.
///
/// Faults named `…AfterHandler`, and the body faults, let the request be processed first (state changes, e.g. a
/// command list is stored) and then spoil the answer: that is how a client learns it cannot know the outcome.
///
/// Dropped connections are made deterministic without touching sockets: the response body is a stream that
/// fails, and hyper aborts the connection when a body fails. Failing on its first poll means the head is still
/// in hyper's write buffer, which is discarded, so the client sees the connection close with no answer at all;
/// failing after one `Pending` lets hyper flush the head first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status with this body instead of handling the request.
    Status(u16, String),
    /// Handle the request, then answer this status with this body instead of its answer.
    StatusAfterHandler(u16, String),
    /// Wait this long before handling the request.
    Delay(Duration),
    /// Answer `429` with the API's rate-limit body, with a `Retry-After` header when `retry_after` is set.
    TooManyRequests {
        /// The wait to announce (seconds with millisecond decimals).
        retry_after: Option<Duration>,
    },
    /// Close the connection without answering; the request is not handled.
    DropBeforeHandler,
    /// Handle the request, then close the connection without answering ("processed, answer lost").
    DropAfterHandler,
    /// Handle the request, send the status line and headers, then close before any body byte.
    DropAfterHead,
    /// Handle the request, send the head and the first half of the body, then close.
    TruncatedBody,
    /// Handle the request, then answer `200` with the first half of its JSON body (a complete HTTP answer whose
    /// JSON does not parse).
    MalformedJson,
}

impl Fault {
    /// Every kind of fault, with short delays and no wait hint: the mix for random injection.
    pub fn all_kinds() -> Vec<Fault> {
        vec![
            Fault::Status(
                500,
                r#"{"code":"internal.error","message":"injected"}"#.into(),
            ),
            Fault::Status(
                503,
                r#"{"code":"service.unavailable","message":"injected"}"#.into(),
            ),
            Fault::TooManyRequests { retry_after: None },
            Fault::TooManyRequests {
                retry_after: Some(Duration::from_millis(5)),
            },
            Fault::Delay(Duration::from_millis(20)),
            Fault::DropBeforeHandler,
            Fault::DropAfterHandler,
            Fault::DropAfterHead,
            Fault::TruncatedBody,
            Fault::MalformedJson,
        ]
    }

    /// The names [`Fault::named`] knows, for flags and the control API.
    pub const NAMES: &'static [&'static str] = &[
        "500",
        "503",
        "429",
        "429-hint",
        "delay",
        "drop-before",
        "drop-after",
        "drop-after-head",
        "truncated",
        "malformed-json",
    ];

    /// A fault of [`Fault::all_kinds`] by name (see [`Fault::NAMES`]); `all` and `transport` name the two mixes.
    pub fn named(name: &str) -> Option<Vec<Fault>> {
        match name {
            "all" => return Some(Self::all_kinds()),
            "transport" => return Some(Self::transport_kinds()),
            _ => {}
        }
        let i = Self::NAMES.iter().position(|n| *n == name)?;
        Self::all_kinds().get(i).cloned().map(|f| vec![f])
    }

    /// Parses a comma-separated list of [`Fault::named`] names.
    pub fn parse_list(list: &str) -> Result<Vec<Fault>, String> {
        let mut out = Vec::new();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            out.extend(Self::named(name).ok_or_else(|| {
                format!(
                    "unknown fault kind `{name}`: use all, transport or {}",
                    Self::NAMES.join(", ")
                )
            })?);
        }
        Ok(out)
    }

    /// The faults a client's retry layer can ride out on a read: every kind but [`Fault::MalformedJson`] (a
    /// complete `200` whose body is broken is a decode error for the caller, not a transport failure).
    pub fn transport_kinds() -> Vec<Fault> {
        Self::all_kinds()
            .into_iter()
            .filter(|f| *f != Fault::MalformedJson)
            .collect()
    }
}

/// SplitMix64, seeded: the same seed gives the same faults for the same sequence of requests.
#[derive(Debug)]
struct Random {
    state: u64,
    /// Chance per request, in parts per million.
    ppm: u64,
    kinds: Vec<Fault>,
}

impl Random {
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn draw(&mut self) -> Option<Fault> {
        if self.kinds.is_empty() || self.next() % 1_000_000 >= self.ppm {
            return None;
        }
        let i = (self.next() % self.kinds.len() as u64) as usize;
        Some(self.kinds[i].clone())
    }
}

/// How a sandbox misbehaves: a queue of scripted faults (each consumed by one request, in arrival order), faults
/// drawn at a seeded rate, and the API's rate [`Limits`].
#[derive(Debug)]
pub struct Faults {
    queue: Mutex<VecDeque<Fault>>,
    random: Mutex<Option<Random>>,
    limits: Limits,
}

impl Default for Faults {
    fn default() -> Self {
        Self::with_limits(Limits::none())
    }
}

impl Faults {
    /// No faults, and these limits (not enforced until [`Limits::enforce`]).
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            queue: Mutex::new(VecDeque::new()),
            random: Mutex::new(None),
            limits,
        }
    }

    /// Queues a fault for the next request that has none.
    pub fn push(&self, fault: Fault) {
        if let Ok(mut q) = self.queue.lock() {
            q.push_back(fault);
        }
    }

    /// Queues the same fault for the next `n` requests (e.g. a burst of 429s).
    pub fn push_burst(&self, fault: Fault, n: usize) {
        if let Ok(mut q) = self.queue.lock() {
            q.extend(std::iter::repeat_n(fault, n));
        }
    }

    /// Faults not yet consumed.
    pub fn pending(&self) -> usize {
        self.queue.lock().map(|q| q.len()).unwrap_or(0)
    }

    /// From now on, each request without a scripted fault gets one with probability `rate` (0.0–1.0), drawn
    /// uniformly from `kinds` by a generator seeded with `seed`. Deterministic for a given order of requests.
    pub fn at_rate(&self, seed: u64, rate: f64, kinds: Vec<Fault>) {
        let ppm = (rate.clamp(0.0, 1.0) * 1_000_000.0).round() as u64;
        if let Ok(mut r) = self.random.lock() {
            *r = Some(Random {
                state: seed,
                ppm,
                kinds,
            });
        }
    }

    /// Drops the scripted faults not yet consumed and stops random ones.
    pub fn clear(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.clear();
        }
        self.stop_random();
    }

    /// Stops random faults.
    pub fn stop_random(&self) {
        if let Ok(mut r) = self.random.lock() {
            *r = None;
        }
    }

    /// The rate limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub(crate) fn next(&self) -> Option<Fault> {
        if let Some(f) = self.queue.lock().ok().and_then(|mut q| q.pop_front()) {
            return Some(f);
        }
        self.random.lock().ok()?.as_mut()?.draw()
    }
}
