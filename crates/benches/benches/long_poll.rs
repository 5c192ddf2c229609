//! How many updates per second the long-poll loop sustains against the loopback sandbox, per backend, and how
//! much memory the process holds after 10,000 updates.
//!
//! Each iteration pushes 10,000 updates into the sandbox (not timed) and times the loop handing all of them out,
//! with pacing off (`min_interval = 0`) so the number measures the SDK and the loopback, not the 2 requests/s
//! policy. Memory is the process's resident set from `/proc/self/status` before and after (Linux).

#![allow(clippy::unwrap_used)] // bench code: a panic is the failure report
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::time::{Duration, Instant};

use botwire_benches::memory_kib;
use botwire_max::polling::{PollConfig, Polled};
use botwire_max::{Client, Config, blocking};
use botwire_sandbox::MaxSandbox;
use botwire_transport::{ReqwestTransport, TransportConfig, UreqTransport};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const UPDATES: usize = 10_000;

fn fill(sb: &MaxSandbox) {
    for i in 0..UPDATES {
        sb.updates().push_json(format!(
            r#"{{"update_type":"message_created","timestamp":{i},"message":{{"recipient":{{"chat_id":-70801090403050,"chat_type":"chat"}},"timestamp":1775053255737,"body":{{"mid":"mid.ffffbdb48e6c3775019d496b343{i:05x}","seq":116327994376978687,"text":"message {i}"}},"sender":{{"user_id":123456789,"first_name":"John","last_name":"Doe","is_bot":false,"last_activity_time":1775053249000,"name":"John Doe"}}}}}}"#
        ));
    }
}

fn poll_config() -> PollConfig {
    PollConfig::default()
        .min_interval(Duration::ZERO)
        .timeout_secs(1)
}

fn config(sb: &MaxSandbox) -> Config {
    Config::new(sb.token()).with_base_url(sb.base_url())
}

fn blocking_run(client: &blocking::Client<UreqTransport>) {
    let mut seen = 0;
    for item in client.updates(poll_config()) {
        if let Polled::Update(_) = item.unwrap() {
            seen += 1;
        }
        if seen == UPDATES {
            break;
        }
    }
}

async fn async_run(client: &Client<ReqwestTransport>) {
    let mut stream = client.updates(poll_config());
    let mut seen = 0;
    while let Some(item) = stream.next().await {
        if let Polled::Update(_) = item.unwrap() {
            seen += 1;
        }
        if seen == UPDATES {
            break;
        }
    }
}

fn long_poll(c: &mut Criterion) {
    let mut group = c.benchmark_group("long_poll_10k_updates");
    group.throughput(Throughput::Elements(UPDATES as u64));
    group.sample_size(10);

    let sb = MaxSandbox::start().unwrap();
    let ureq_client =
        blocking::Client::new(config(&sb), UreqTransport::new(TransportConfig::default()));
    let before = memory_kib();
    fill(&sb);
    blocking_run(&ureq_client);
    let after = memory_kib();
    eprintln!(
        "memory (ureq): RSS {} KiB before, {} KiB after 10,000 updates (peak {} KiB); the poller holds one batch",
        before.0, after.0, after.1
    );
    group.bench_function("ureq", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                fill(&sb);
                let start = Instant::now();
                blocking_run(&ureq_client);
                total += start.elapsed();
            }
            total
        })
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reqwest_client = Client::new(
        config(&sb),
        ReqwestTransport::new(TransportConfig::default()).unwrap(),
    );
    group.bench_function("reqwest", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                fill(&sb);
                let start = Instant::now();
                runtime.block_on(async_run(&reqwest_client));
                total += start.elapsed();
            }
            total
        })
    });
    let end = memory_kib();
    eprintln!(
        "memory after all runs: RSS {} KiB (peak {} KiB)",
        end.0, end.1
    );
    group.finish();
}

criterion_group!(benches, long_poll);
criterion_main!(benches);
