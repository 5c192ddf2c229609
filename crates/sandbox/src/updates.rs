//! The MAX update stream of a sandbox: a queue with the platform's marker semantics, served to long polling
//! (`GET /updates`, held until something arrives or the timeout passes) or pushed to a webhook.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use tokio::sync::Notify;

/// The first marker a sandbox hands out (real markers are large positive integers too).
pub const FIRST_MARKER: i64 = 25_493_970;

#[derive(Debug)]
struct Entry {
    marker: i64,
    kind: String,
    json: String,
}

#[derive(Debug)]
struct QueueState {
    /// Not yet committed (long polling) or not yet taken for delivery (webhook), oldest first.
    entries: VecDeque<Entry>,
    /// Taken for webhook delivery and not yet delivered or given up, oldest first.
    retrying: Vec<Retry>,
    next_marker: i64,
    delivered: u64,
    dropped: u64,
    failed: u64,
    webhook: Option<WebhookTarget>,
    /// The `update_types` of the subscription (empty: all).
    webhook_types: Vec<String>,
    /// Bumped whenever the target changes: a delivery made for an older target does not count.
    generation: u64,
    time_scale: f64,
}

#[derive(Debug)]
struct Retry {
    entry: Entry,
    /// Failed attempts so far.
    failures: u32,
    due: tokio::time::Instant,
}

/// Where and how the sandbox pushes updates when a webhook is set.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// The URL deliveries go to (the sandbox delivers over plain `http://`; `https://` targets fail delivery).
    pub url: String,
    /// Sent in `X-Max-Bot-Api-Secret` when set.
    pub secret: Option<String>,
    /// Retries after a failed delivery (the platform: 10).
    pub retries: u32,
    /// The first retry wait in real time (the platform: 60 s, growing ×2.5); scale it down for tests. After
    /// 480 times this wait (the platform: 8 hours) without a successful delivery the target is unsubscribed.
    pub first_retry: Duration,
}

/// The update stream of a MAX sandbox.
///
/// Markers: passing a marker commits every update before it, as on the platform. A marker the sandbox has not
/// handed out yet (past the end: from an earlier run of a sandbox, say) commits nothing: the poll is answered
/// from the oldest uncommitted update, so a stale checkpoint repeats updates instead of silently losing them.
/// The binary starts its markers from the wall clock, so markers of earlier runs are smaller than any of the
/// new run and commit nothing either.
#[derive(Debug)]
pub struct UpdateHub {
    state: Mutex<QueueState>,
    notify: Notify,
}

impl UpdateHub {
    /// An empty stream. `time_scale` multiplies the platform's times: the `timeout` a poller asks for and the
    /// webhook retry waits (1.0 = real seconds; tests use e.g. 0.001).
    pub fn new(time_scale: f64) -> Self {
        Self::starting_at(FIRST_MARKER, time_scale)
    }

    /// Like [`UpdateHub::new`], handing out markers from `first_marker`.
    pub fn starting_at(first_marker: i64, time_scale: f64) -> Self {
        Self {
            state: Mutex::new(QueueState {
                entries: VecDeque::new(),
                retrying: Vec::new(),
                next_marker: first_marker,
                delivered: 0,
                dropped: 0,
                failed: 0,
                webhook: None,
                webhook_types: Vec::new(),
                generation: 0,
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

    /// Updates not yet committed by a poller (or not yet delivered to the webhook, retries included).
    pub fn pending(&self) -> usize {
        let state = self.lock();
        state.entries.len() + state.retrying.len()
    }

    /// Updates handed to pollers or delivered to the webhook so far (a re-served batch counts again).
    pub fn delivered(&self) -> u64 {
        self.lock().delivered
    }

    /// Failed webhook delivery attempts (each retry counts).
    pub fn failed_deliveries(&self) -> u64 {
        self.lock().failed
    }

    /// Webhook deliveries given up after the last retry.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Switches from long polling to webhook delivery (`None` switches back), for every update type. While a
    /// webhook is set, `GET /updates` answers 405, as on the platform.
    ///
    /// The change takes effect at once: deliveries waiting for a retry go to the new target right away (their
    /// count of failures restarts), and with `None` they return to the queue for long polling, oldest first.
    pub fn set_webhook(&self, target: Option<WebhookTarget>) {
        self.set_webhook_for(target, Vec::new());
    }

    /// Like [`UpdateHub::set_webhook`], delivering only `update_types` (empty: all; the others are dropped, as
    /// the platform does not send what the subscription did not ask for).
    pub fn set_webhook_for(&self, target: Option<WebhookTarget>, update_types: Vec<String>) {
        let mut state = self.lock();
        state.generation += 1;
        let now = tokio::time::Instant::now();
        if target.is_none() {
            let mut back: Vec<Entry> = state.retrying.drain(..).map(|r| r.entry).collect();
            back.sort_by_key(|e| e.marker);
            for e in back.into_iter().rev() {
                state.entries.push_front(e);
            }
        } else {
            for r in &mut state.retrying {
                r.failures = 0;
                r.due = now;
            }
        }
        state.webhook = target;
        state.webhook_types = update_types;
        drop(state);
        self.notify.notify_waiters();
    }

    /// Forgets every update, the webhook and the counters; markers go on from where they were, so a poller's
    /// marker stays valid.
    pub fn reset(&self) {
        let mut state = self.lock();
        state.entries.clear();
        state.retrying.clear();
        state.delivered = 0;
        state.dropped = 0;
        state.failed = 0;
        state.webhook = None;
        state.webhook_types.clear();
        state.generation += 1;
        drop(state);
        self.notify.notify_waiters();
    }

    /// Takes a batch for a poller: commits everything before `marker`, then returns up to `limit` updates of the
    /// wanted `types` (others are skipped and committed with the batch) and the marker that commits them.
    /// A marker past the end commits nothing (see the type's docs).
    fn take(&self, marker: Option<i64>, limit: usize, types: &[String]) -> (Vec<String>, i64) {
        let mut state = self.lock();
        let marker = marker.filter(|m| *m <= state.next_marker);
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

/// The `{code, message}` 400 of a bad `GET /updates` query.
fn bad_query(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(serde_json::json!({"code": "proto.payload", "message": message})),
    )
        .into_response()
}

struct PollQuery {
    marker: Option<i64>,
    limit: i64,
    timeout: i64,
    types: Vec<String>,
}

impl PollQuery {
    fn parse(uri: &http::Uri) -> Result<Self, String> {
        let mut q = Self {
            marker: None,
            limit: 100,
            timeout: 30,
            types: Vec::new(),
        };
        for (k, v) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
            let int = |name: &str| {
                v.parse::<i64>()
                    .map_err(|_| format!("Parameter `{name}` must be a number: {v}"))
            };
            match k.as_ref() {
                "marker" if v.is_empty() || v == "null" => q.marker = None,
                "marker" => q.marker = Some(int("marker")?),
                "limit" => q.limit = int("limit")?,
                "timeout" => q.timeout = int("timeout")?,
                "types" => {
                    q.types = v
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect();
                }
                _ => {}
            }
        }
        if !(1..=1000).contains(&q.limit) || !(0..=90).contains(&q.timeout) {
            return Err("limit must be 1..1000 and timeout 0..90".into());
        }
        Ok(q)
    }
}

/// `GET /updates`, held until an update arrives or the (scaled) timeout passes.
pub(crate) async fn get_updates(State(hub): State<Arc<UpdateHub>>, uri: http::Uri) -> Response {
    if hub.webhook_active() {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            axum::Json(serde_json::json!({"code": "method.not.allowed", "message": "Long polling is disabled while a webhook subscription is active"})),
        )
            .into_response();
    }
    let q = match PollQuery::parse(&uri) {
        Ok(q) => q,
        Err(message) => return bad_query(message),
    };
    // The platform sends at most 100 updates per batch whatever the limit.
    let limit = usize::try_from(q.limit.min(100)).unwrap_or(100);
    let timeout = u64::try_from(q.timeout).unwrap_or(0);
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(timeout).mul_f64(hub.time_scale());
    loop {
        let notified = hub.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (updates, marker) = hub.take(q.marker, limit, &q.types);
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

/// What the delivery loop calls when the 8-hour limit unsubscribes a target (with its URL).
pub(crate) type OnUnsubscribe = Box<dyn Fn(&str) + Send + Sync>;

/// The wait before retry number `failures` (1-based): the platform's `first × 2.5^(failures-1)`.
fn backoff(first: Duration, failures: u32) -> Duration {
    botwire_core_types::limits::max_webhook_retry_wait(first, failures)
}

/// Pushes updates to the webhook target while one is set, like the platform: each update is POSTed alone with
/// the secret header; a failed delivery (no 200 within 30 s) is retried `retries` times after waits growing
/// ×2.5 from `first_retry`, then dropped, while later updates go on being delivered; after `480 × first_retry`
/// (8 hours on the platform) without a successful delivery the target is unsubscribed and what was not delivered
/// returns to the long-polling queue. A new target or an unsubscribe takes effect at once.
pub(crate) async fn deliver_webhooks(hub: Arc<UpdateHub>, on_unsubscribe: OnUnsubscribe) {
    // The first failure since the last success, per target generation.
    let mut failing_since: Option<(u64, tokio::time::Instant)> = None;
    loop {
        let notified = hub.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let now = tokio::time::Instant::now();
        let job = {
            let mut state = hub.lock();
            let state = &mut *state;
            match state.webhook.clone() {
                None => None,
                Some(target) => {
                    // Take every new update: wanted ones become deliveries due now, others are dropped.
                    while let Some(entry) = state.entries.pop_front() {
                        if state.webhook_types.is_empty()
                            || state.webhook_types.contains(&entry.kind)
                        {
                            state.retrying.push(Retry {
                                entry,
                                failures: 0,
                                due: now,
                            });
                        }
                    }
                    let due = state
                        .retrying
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.due <= now)
                        .min_by_key(|(_, r)| r.entry.marker)
                        .map(|(i, _)| i);
                    match due {
                        Some(i) => {
                            let r = &state.retrying[i];
                            Some(Ok((
                                target,
                                state.generation,
                                r.entry.marker,
                                r.entry.json.clone(),
                            )))
                        }
                        None => Some(Err(state.retrying.iter().map(|r| r.due).min())),
                    }
                }
            }
        };
        let (target, generation, marker, json) = match job {
            None => {
                notified.await;
                continue;
            }
            Some(Err(None)) => {
                notified.await;
                continue;
            }
            Some(Err(Some(next_due))) => {
                let _ = tokio::time::timeout_at(next_due, notified).await;
                continue;
            }
            Some(Ok(job)) => job,
        };
        let delivered = tokio::time::timeout(
            botwire_core_types::limits::MAX_WEBHOOK_ANSWER_TIMEOUT,
            post(&target.url, target.secret.as_deref(), &json),
        )
        .await;
        let ok = matches!(delivered, Ok(Ok(200)));
        let now = tokio::time::Instant::now();
        let mut state = hub.lock();
        if state.generation != generation {
            // Retargeted or unsubscribed meanwhile: the delivery stays due for the new target (or went back).
            continue;
        }
        let Some(i) = state.retrying.iter().position(|r| r.entry.marker == marker) else {
            continue;
        };
        if ok {
            state.retrying.remove(i);
            state.delivered += 1;
            failing_since = None;
            continue;
        }
        state.failed += 1;
        let since = match failing_since {
            Some((g, t)) if g == generation => t,
            _ => {
                failing_since = Some((generation, now));
                now
            }
        };
        let give_up_after = target.first_retry.saturating_mul(480);
        if now.duration_since(since) >= give_up_after {
            // The platform unsubscribes a bot whose webhook failed for 8 hours.
            let url = target.url.clone();
            state.generation += 1;
            state.webhook = None;
            state.webhook_types.clear();
            let mut back: Vec<Entry> = state.retrying.drain(..).map(|r| r.entry).collect();
            back.sort_by_key(|e| e.marker);
            for e in back.into_iter().rev() {
                state.entries.push_front(e);
            }
            drop(state);
            failing_since = None;
            on_unsubscribe(&url);
            hub.notify.notify_waiters();
            continue;
        }
        let retry = &mut state.retrying[i];
        retry.failures += 1;
        if retry.failures > target.retries {
            state.retrying.remove(i);
            state.dropped += 1;
        } else {
            retry.due = now + backoff(target.first_retry, retry.failures);
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
