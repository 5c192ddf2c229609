use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a sandbox has received and answered, for assertions that count instead of timing.
#[derive(Debug, Default)]
pub struct Stats {
    requests: AtomicU64,
    per_route: Mutex<BTreeMap<String, u64>>,
    per_status: Mutex<BTreeMap<u16, u64>>,
}

impl Stats {
    pub(crate) fn record(&self, route: &str, status: u16) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut m) = self.per_route.lock() {
            *m.entry(route.to_owned()).or_default() += 1;
        }
        if let Ok(mut m) = self.per_status.lock() {
            *m.entry(status).or_default() += 1;
        }
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
