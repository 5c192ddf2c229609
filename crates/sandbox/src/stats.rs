use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a sandbox has received and answered, for assertions that count instead of timing.
#[derive(Debug, Default)]
pub struct Stats {
    requests: AtomicU64,
    per_route: Mutex<BTreeMap<String, u64>>,
    per_status: Mutex<BTreeMap<u16, u64>>,
    rate_limited: AtomicU64,
    injected: AtomicU64,
    dropped: AtomicU64,
    in_flight: Mutex<BTreeMap<String, u64>>,
}

/// Counts a request as in flight until dropped.
pub(crate) struct InFlight<'a> {
    stats: &'a Stats,
    route: String,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.stats.in_flight.lock()
            && let Some(n) = m.get_mut(&self.route)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.route);
            }
        }
    }
}

impl Stats {
    /// Marks a request of `route` as being handled until the guard drops.
    pub(crate) fn enter(&self, route: &str) -> InFlight<'_> {
        if let Ok(mut m) = self.in_flight.lock() {
            *m.entry(route.to_owned()).or_default() += 1;
        }
        InFlight {
            stats: self,
            route: route.to_owned(),
        }
    }

    /// Requests being handled right now, per route (a held long poll shows as `GET /updates`: 1). Lets a test
    /// wait until a client's poll is open instead of sleeping.
    pub fn in_flight(&self) -> BTreeMap<String, u64> {
        self.in_flight.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Forgets everything counted (`POST /_sandbox/reset`).
    pub(crate) fn reset(&self) {
        self.requests.store(0, Ordering::SeqCst);
        self.rate_limited.store(0, Ordering::SeqCst);
        self.injected.store(0, Ordering::SeqCst);
        self.dropped.store(0, Ordering::SeqCst);
        if let Ok(mut m) = self.per_route.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.per_status.lock() {
            m.clear();
        }
    }

    /// Everything counted, as JSON (`GET /_sandbox/stats`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": self.requests(),
            "rate_limited": self.rate_limited(),
            "injected": self.injected(),
            "dropped": self.dropped(),
            "by_route": self.by_route(),
            "in_flight": self.in_flight(),
            "by_status": self.by_status().into_iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>(),
        })
    }

    pub(crate) fn record(&self, route: &str, status: u16) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut m) = self.per_route.lock() {
            *m.entry(route.to_owned()).or_default() += 1;
        }
        if let Ok(mut m) = self.per_status.lock() {
            *m.entry(status).or_default() += 1;
        }
    }

    /// A request refused with 429 because it broke a rate limit (also counted under status 429).
    pub(crate) fn record_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::SeqCst);
    }

    /// A fault was applied to a request.
    pub(crate) fn record_injected(&self) {
        self.injected.fetch_add(1, Ordering::SeqCst);
    }

    /// A request whose connection was closed without a complete answer (counted per route, not per status).
    pub(crate) fn record_dropped(&self, route: &str) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.dropped.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut m) = self.per_route.lock() {
            *m.entry(route.to_owned()).or_default() += 1;
        }
    }

    /// Requests refused with `429` for breaking a rate limit (injected 429 faults are not counted here; all
    /// 429s are in [`Stats::status`]`(429)`).
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::SeqCst)
    }

    /// Faults applied (scripted or random).
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// Connections closed without a complete answer (dropped or truncated by a fault).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::SeqCst)
    }

    /// All requests received.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Requests received per route (`GET /me`, `POST getContacts`, …).
    pub fn by_route(&self) -> BTreeMap<String, u64> {
        self.per_route.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Requests received for one route.
    pub fn route(&self, route: &str) -> u64 {
        self.per_route
            .lock()
            .ok()
            .and_then(|m| m.get(route).copied())
            .unwrap_or(0)
    }

    /// Responses sent per status code.
    pub fn by_status(&self) -> BTreeMap<u16, u64> {
        self.per_status
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// Responses sent with one status code.
    pub fn status(&self, status: u16) -> u64 {
        self.per_status
            .lock()
            .ok()
            .and_then(|m| m.get(&status).copied())
            .unwrap_or(0)
    }
}
