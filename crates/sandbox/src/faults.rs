use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

/// One way to misbehave on the next request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status with this body instead of handling the request.
    Status(u16, String),
    /// Wait this long before handling the request.
    Delay(Duration),
}

/// A queue of scripted faults, each consumed by one request (in arrival order).
#[derive(Debug, Default)]
pub struct Faults {
    queue: Mutex<VecDeque<Fault>>,
}

impl Faults {
    /// Queues a fault for the next request that has none.
    pub fn push(&self, fault: Fault) {
        if let Ok(mut q) = self.queue.lock() {
            q.push_back(fault);
        }
    }

    /// Faults not yet consumed.
    pub fn pending(&self) -> usize {
        self.queue.lock().map(|q| q.len()).unwrap_or(0)
    }

    pub(crate) fn next(&self) -> Option<Fault> {
        self.queue.lock().ok().and_then(|mut q| q.pop_front())
    }
}
