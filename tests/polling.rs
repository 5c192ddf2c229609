//! Long polling on both backends against the sandbox: 10,000 updates with malformed ones, 429s, 5xx, dropped
//! connections, truncated and malformed answers mixed in —
//! every valid update delivered exactly once and in order, every malformed one reported — and restarts from a
//! saved checkpoint that neither lose nor repeat anything.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::time::Duration;

use botwire_max::polling::{Backoff, Checkpoint, PollConfig, Polled, StopHandle};
use botwire_sandbox::{Fault, MaxSandbox};
use botwire_tests::*;

const TOTAL: usize = 10_000;
/// Every 97th element is malformed (a known type with a broken field).
const MALFORMED_EVERY: usize = 97;

fn fast_config() -> PollConfig {
    PollConfig::default()
        .timeout_secs(1)
        .limit(100)
        .min_interval(Duration::ZERO)
        .backoff(Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(5),
        ))
        .jitter_seed(42)
}

fn update(i: usize) -> String {
    format!(
        r#"{{"update_type":"message_removed","timestamp":{i},"message_id":"mid.{i}","chat_id":-1,"user_id":7}}"#
    )
}

/// Fills the sandbox: TOTAL valid updates, malformed ones in between, and a script of faults that hit the first
/// requests. Returns how many malformed were pushed.
fn fill(sb: &MaxSandbox) -> usize {
    let mut malformed = 0;
    for i in 0..TOTAL {
        if i % MALFORMED_EVERY == 0 {
            sb.updates().push_json(format!(
                r#"{{"update_type":"message_removed","timestamp":"broken-{i}"}}"#
            ));
            malformed += 1;
        }
        sb.updates().push_json(update(i));
    }
    for fault in [
        Fault::Status(
            429,
            r#"{"code":"too.many.requests","message":"slow down"}"#.into(),
        ),
        Fault::Status(
            503,
            r#"{"code":"service.unavailable","message":"later"}"#.into(),
        ),
        Fault::Status(500, "<html>oops</html>".into()),
        Fault::Status(502, String::new()),
        Fault::Status(429, String::new()),
        // Dropped connections and broken answers: the batch was taken but not committed (the marker moves only
        // with the next request), so asking again with the same marker loses and repeats nothing.
        Fault::DropBeforeHandler,
        Fault::DropAfterHandler,
        Fault::DropAfterHead,
        Fault::TruncatedBody,
        Fault::MalformedJson,
        Fault::TooManyRequests {
            retry_after: Some(Duration::from_millis(3)),
        },
    ] {
        sb.faults().push(fault);
    }
    malformed
}

#[derive(Default)]
struct Tally {
    next: usize,
    malformed: usize,
    reports: usize,
}

/// The scripted faults hit the first requests in a row: failures 5 to 11 are reported (not fatal).
const REPORTS: usize = 11 - 4;

impl Tally {
    fn item(&mut self, item: Result<Polled, max::Error>) {
        match item {
            Ok(polled) => self.take(polled),
            Err(e) => {
                assert!(!botwire_max::polling::is_fatal(&e), "{e}");
                self.reports += 1;
            }
        }
    }

    fn take(&mut self, item: Polled) {
        match item {
            Polled::Update(u) => {
                assert_eq!(u.timestamp(), self.next as i64, "out of order or repeated");
                self.next += 1;
            }
            Polled::Malformed(m) => {
                assert!(m.raw.contains("broken-"), "{m:?}");
                assert!(m.error.message().contains("timestamp"), "{}", m.error);
                self.malformed += 1;
            }
        }
    }

    fn done(&self, malformed: usize) -> bool {
        self.next == TOTAL && self.malformed == malformed
    }
}

#[test]
fn ten_thousand_updates_blocking() {
    let sb = MaxSandbox::start().unwrap();
    let malformed = fill(&sb);
    let client = max_blocking(&sb);
    let mut tally = Tally::default();
    for item in client.updates(fast_config()) {
        tally.item(item);
        if tally.done(malformed) {
            break;
        }
    }
    assert!(tally.done(malformed));
    assert_eq!(tally.reports, REPORTS);
    assert_eq!(sb.faults().pending(), 0, "every injected fault was hit");
    assert!(sb.stats().status(429) >= 3 && sb.stats().status(503) >= 1);
    assert!(
        sb.stats().dropped() >= 3,
        "dropped: {}",
        sb.stats().dropped()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_updates_async() {
    let sb = MaxSandbox::start().unwrap();
    let malformed = fill(&sb);
    let client = max_async(&sb);
    let mut stream = client.updates(fast_config());
    let mut tally = Tally::default();
    while let Some(item) = stream.next().await {
        tally.item(item);
        if tally.done(malformed) {
            break;
        }
    }
    assert!(tally.done(malformed));
    assert_eq!(tally.reports, REPORTS);
    assert_eq!(sb.faults().pending(), 0);
}

/// Reads `n` updates, returning their timestamps and the checkpoint after them.
fn read_blocking(sb: &MaxSandbox, start: Checkpoint, n: usize) -> (Vec<i64>, Checkpoint) {
    let client = max_blocking(sb);
    let mut updates = client.updates(fast_config().starting_at(start));
    let mut seen = Vec::new();
    while seen.len() < n {
        match updates.next().unwrap().unwrap() {
            Polled::Update(u) => seen.push(u.timestamp()),
            Polled::Malformed(m) => panic!("{m:?}"),
        }
    }
    (seen, updates.checkpoint())
}

#[test]
fn restart_from_a_saved_checkpoint_loses_and_repeats_nothing() {
    let sb = MaxSandbox::start().unwrap();
    for i in 0..350 {
        sb.updates().push_json(update(i));
    }
    // Stop in the middle of batches (100 per batch), twice, with a fresh client and poller each time.
    let (a, cp1) = read_blocking(&sb, Checkpoint::default(), 150);
    assert_eq!(cp1.skip, 50, "half of the second batch was handed out");
    let (b, cp2) = read_blocking(&sb, cp1, 101);
    let (c, _) = read_blocking(&sb, cp2, 99);
    let all: Vec<i64> = a.into_iter().chain(b).chain(c).collect();
    assert_eq!(all, (0..350).collect::<Vec<i64>>());
    // The checkpoint is plain data the user can persist.
    let saved = serde_json::to_string(&cp2).unwrap();
    assert_eq!(serde_json::from_str::<Checkpoint>(&saved).unwrap(), cp2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_async_and_stop_promptly() {
    let sb = MaxSandbox::start().unwrap();
    for i in 0..120 {
        sb.updates().push_json(update(i));
    }
    let client = max_async(&sb);
    let stop = StopHandle::new();
    let mut stream = client.updates_with_stop(fast_config(), stop.clone());
    let mut seen = Vec::new();
    while seen.len() < 110 {
        if let Polled::Update(u) = stream.next().await.unwrap().unwrap() {
            seen.push(u.timestamp());
        }
    }
    // The stream, like the iterator, says where it stands: batch 2 started at marker m, 10 of it are out.
    let cp = stream.checkpoint();
    assert_eq!(cp, Checkpoint::new(Some(25_493_970 + 100), 10));
    drop(stream);
    // A new stream from the saved checkpoint is what a restarted bot does.
    let mut stream = client.updates_with_stop(fast_config().starting_at(cp), stop.clone());
    while seen.len() < 120 {
        if let Polled::Update(u) = stream.next().await.unwrap().unwrap() {
            seen.push(u.timestamp());
        }
    }
    assert_eq!(seen, (0..120).collect::<Vec<i64>>());
    // Nothing left: the next poll is held by the server; stop ends the stream at once, not after the hold.
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.stop();
    };
    let both = futures_util::future::join(stream.next(), stopper);
    let (ended, ()) = tokio::time::timeout(Duration::from_secs(5), both)
        .await
        .unwrap();
    assert!(ended.is_none());
}

both_backends!(
    unauthorized_stops_the_loop,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let _ = &client;
        let bad = max::blocking::Client::new(
            max::Config::new("nope").with_base_url(sb.base_url()),
            botwire_transport::UreqTransport::new(test_transport_config()),
        );
        let mut updates = bad.updates(fast_config());
        let err = updates.next().unwrap().unwrap_err();
        assert!(err.is_unauthorized(), "{err}");
        assert!(updates.next().is_none());
    }
);

both_backends!(
    webhook_active_is_reported,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let _ = &client;
        sb.updates()
            .set_webhook(Some(botwire_sandbox::updates::WebhookTarget {
                url: closed_port_url(),
                secret: None,
                retries: 0,
                first_retry: Duration::from_millis(1),
            }));
        let c = max_blocking(&sb);
        let err = c.updates(fast_config()).next().unwrap().unwrap_err();
        assert!(matches!(err, max::Error::WebhookActive), "{err:?}");
    }
);
