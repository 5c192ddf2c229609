//! The MAX update stream of a sandbox: a queue with the platform's marker semantics, served to long polling
//! (`GET /updates`, held until something arrives or the timeout passes) or pushed to a webhook.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde::Deserialize;
use tokio::sync::Notify;

/// The first marker a sandbox hands out (real markers are large positive integers too).
const FIRST_MARKER: i64 = 25_493_970;

#[derive(Debug)]
struct Entry {
    marker: i64,
    kind: String,
    json: String,
}

#[derive(Debug)]
struct QueueState {
    /// Not yet committed, oldest first.
    entries: VecDeque<Entry>,
    next_marker: i64,
    delivered: u64,
    webhook: Option<WebhookTarget>,
    time_scale: f64,
}

/// Where and how the sandbox pushes updates when a webhook is set.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// The URL deliveries go to (any scheme and port: the sandbox delivers to loopback test servers).
    pub url: String,
    /// Sent in `X-Max-Bot-Api-Secret` when set.
    pub secret: Option<String>,
    /// Retries after a failed delivery (the platform: 10).
    pub retries: u32,
    /// The first retry wait (the platform: 60 s, growing ×2.5); scale it down for tests.
    pub first_retry: Duration,
}

/// The update stream of a MAX sandbox.
#[derive(Debug)]
pub struct UpdateHub {
    state: Mutex<QueueState>,
    notify: Notify,
}

impl UpdateHub {
    /// An empty stream. `time_scale` multiplies the platform's times: the `timeout` a poller asks for and the
    /// webhook retry waits (1.0 = real seconds; tests use e.g. 0.001).
    pub fn new(time_scale: f64) -> Self {
        Self {
            state: Mutex::new(QueueState {
                entries: VecDeque::new(),
                next_marker: FIRST_MARKER,
                delivered: 0,
                webhook: None,
                time_scale,
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends an update, given as JSON text (any text: tests inject malformed updates this way). Returns its
    /// position.
    pub fn push_json(&self, json: impl Into<String>) -> i64 {
        let json = json.into();
        let kind = serde_json::from_str::<serde_json::Value>(&json)
            .ok()
            .and_then(|v| {
                v.get("update_type")
                    .and_then(|t| t.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let mut state = self.lock();
        let marker = state.next_marker;
        state.next_marker += 1;
        state.entries.push_back(Entry { marker, kind, json });
        drop(state);
        self.notify.notify_waiters();
        marker
    }

    /// Appends an update.
    pub fn push(&self, update: &impl serde::Serialize) -> i64 {
        self.push_json(
            serde_json::to_string(update)
                .unwrap_or_else(|e| format!(r#"{{"unserialisable":"{e}"}}"#)),
        )
    }

    /// Changes the time scale (see [`UpdateHub::new`]).
    pub fn set_time_scale(&self, time_scale: f64) {
        self.lock().time_scale = time_scale.max(0.0);
    }

    /// The time scale.
    pub fn time_scale(&self) -> f64 {
        self.lock().time_scale
    }

    /// The webhook target, when one is set.
    pub fn webhook(&self) -> Option<WebhookTarget> {
        self.lock().webhook.clone()
    }

    /// Updates not yet committed by a poller (or not yet delivered to the webhook).
    pub fn pending(&self) -> usize {
        self.lock().entries.len()
    }

    /// Updates handed to pollers or delivered to the webhook so far (a re-served batch counts again).
    pub fn delivered(&self) -> u64 {
        self.lock().delivered
    }

    /// Switches from long polling to webhook delivery (`None` switches back). While a webhook is set,
    /// `GET /updates` answers 405, as on the platform.
    pub fn set_webhook(&self, target: Option<WebhookTarget>) {
        self.lock().webhook = target;
        self.notify.notify_waiters();
    }

    /// Takes a batch for a poller: commits everything before `marker`, then returns up to `limit` updates of the
    /// wanted `types` (others are skipped and committed with the batch) and the marker that commits them.
    fn take(&self, marker: Option<i64>, limit: usize, types: &[String]) -> (Vec<String>, i64) {
        let mut state = self.lock();
        if let Some(m) = marker {
            while state.entries.front().is_some_and(|e| e.marker < m) {
                state.entries.pop_front();
            }
        }
        let mut out = Vec::new();
        let mut next = marker.unwrap_or_else(|| {
            state
                .entries
                .front()
                .map_or(state.next_marker, |e| e.marker)
        });
        for entry in &state.entries {
            if out.len() >= limit {
                break;
            }
            next = entry.marker + 1;
            if types.is_empty() || types.contains(&entry.kind) {
                out.push(entry.json.clone());
            }
        }
        state.delivered += out.len() as u64;
        (out, next)
    }

    fn webhook_active(&self) -> bool {
        self.lock().webhook.is_some()
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PollQuery {
    marker: Option<i64>,
    limit: Option<usize>,
    timeout: Option<u64>,
    types: Option<String>,
}

/// `GET /updates`, held until an update arrives or the (scaled) timeout passes.
pub(crate) async fn get_updates(
    State(hub): State<Arc<UpdateHub>>,
    Query(q): Query<PollQuery>,
) -> Response {
    if hub.webhook_active() {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            axum::Json(serde_json::json!({"code": "method.not.allowed", "message": "Long polling is disabled while a webhook subscription is active"})),
        )
            .into_response();
    }
    let limit = q.limit.unwrap_or(100);
    let timeout = q.timeout.unwrap_or(30);
    if !(1..=1000).contains(&limit) || timeout > 90 {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"code": "proto.payload", "message": "limit must be 1..1000 and timeout 0..90"})),
        )
            .into_response();
    }
    // The platform sends at most 100 updates per batch whatever the limit.
    let limit = limit.min(100);
    let types: Vec<String> = q
        .types
        .as_deref()
        .map(|t| {
            t.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(timeout).mul_f64(hub.time_scale());
    loop {
        let notified = hub.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (updates, marker) = hub.take(q.marker, limit, &types);
        if !updates.is_empty() || tokio::time::Instant::now() >= deadline {
            let body = format!(r#"{{"updates":[{}],"marker":{marker}}}"#, updates.join(","));
            return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            let body = format!(r#"{{"updates":[],"marker":{marker}}}"#);
            return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
    }
}

/// Pushes updates to the webhook target while one is set: each update is POSTed alone, with the secret header;
/// a failed delivery (no 200) is retried with growing waits, then dropped, like on the platform.
pub(crate) async fn deliver_webhooks(hub: Arc<UpdateHub>) {
    loop {
        let notified = hub.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let next = {
            let state = hub.lock();
            match (&state.webhook, state.entries.front()) {
                (Some(target), Some(entry)) => {
                    Some((target.clone(), entry.marker, entry.json.clone()))
                }
                _ => None,
            }
        };
        let Some((target, marker, json)) = next else {
            notified.await;
            continue;
        };
        let mut wait = target.first_retry;
        for attempt in 0..=target.retries {
            let delivered = tokio::time::timeout(
                Duration::from_secs(30),
                post(&target.url, target.secret.as_deref(), &json),
            )
            .await;
            if matches!(delivered, Ok(Ok(200))) {
                hub.lock().delivered += 1;
                break;
            }
            if attempt < target.retries {
                tokio::time::sleep(wait).await;
                wait = wait.mul_f64(2.5);
            }
        }
        let mut state = hub.lock();
        if state.entries.front().is_some_and(|e| e.marker == marker) {
            state.entries.pop_front();
        }
    }
}

/// One HTTP/1.1 POST to an `http://host:port/path` URL; returns the status code. The sandbox only delivers to
/// test servers on this machine, so plain HTTP without keep-alive is all it needs.
async fn post(url: &str, secret: Option<&str>, body: &str) -> std::io::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let invalid = |what: &str| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{what}: {url}"))
    };
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("only http:// webhook URLs are delivered to"))?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let mut stream = tokio::net::TcpStream::connect(authority).await?;
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(secret) = secret {
        request.push_str(&format!("X-Max-Bot-Api-Secret: {secret}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await?;
    // "HTTP/1.1 200"
    std::str::from_utf8(&head[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("not an HTTP answer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_semantics() {
        let hub = UpdateHub::new(1.0);
        for i in 0..5 {
            hub.push_json(format!(r#"{{"update_type":"t{}","timestamp":{i}}}"#, i % 2));
        }
        let (batch, marker) = hub.take(None, 3, &[]);
        assert_eq!(batch.len(), 3);
        // Not committed yet: the same request gets the same batch.
        assert_eq!(hub.take(None, 3, &[]).0, batch);
        let (rest, end) = hub.take(Some(marker), 100, &[]);
        assert_eq!(rest.len(), 2);
        assert_eq!(hub.pending(), 2);
        let (none, same) = hub.take(Some(end), 100, &[]);
        assert!(none.is_empty());
        assert_eq!(same, end);
        assert_eq!(hub.pending(), 0);
        hub.push_json(r#"{"update_type":"t1","timestamp":9}"#);
        hub.push_json(r#"{"update_type":"t0","timestamp":10}"#);
        let (only_t0, _) = hub.take(Some(end), 100, &["t0".to_owned()]);
        assert_eq!(only_t0, [r#"{"update_type":"t0","timestamp":10}"#]);
    }
}
