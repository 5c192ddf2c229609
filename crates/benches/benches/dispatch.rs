//! Dispatcher benchmarks:
//!
//! * `dispatch/router`: one update through routing + context + an in-memory dialogue read and write, next to
//!   `dispatch/hand_match`, a hand-written `match` doing the same work (a map of states, the same reply).
//! * `polling/1000_chats`: the async runtime against the loopback sandbox, no-op handlers, 10,000 updates over
//!   1,000 chats per iteration, next to `polling/hand_loop` (the client's update stream and a `match`).
//! * After criterion: webhook updates/s and p99 time to the `200` (sequential deliveries over loopback), and
//!   the resident memory of 100,000 live dialogues in `MemoryStorage` (Linux `/proc/self/status`).

#![allow(clippy::unwrap_used)] // bench code: a panic is the failure report
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use botwire_bot::dialogue::{DialogueKey, MemoryStorage, Storage};
use botwire_bot::webhook::WebhookOptions;
use botwire_bot::{Dispatcher, PollConfig, Router, StopHandle, filters};
use botwire_core_types::max::{BotInfo, ChatId, NewMessageBody, Update, UserId};
use botwire_max::polling::Polled;
use botwire_max::webhook::WebhookConfig;
use botwire_max::{Client, Config};
use botwire_sandbox::MaxSandbox;
use botwire_transport::{ReqwestTransport, TransportConfig};
use criterion::{Criterion, Throughput, criterion_group};
use serde::{Deserialize, Serialize};

const UPDATES: u64 = 10_000;
const CHATS: u64 = 1_000;

#[derive(Clone, Serialize, Deserialize, PartialEq)]
enum Step {
    Counting(u32),
}

fn json_update(i: u64) -> String {
    let chat = 1 + i % CHATS;
    format!(
        r#"{{"update_type":"message_created","timestamp":{i},"message":{{"recipient":{{"chat_id":{chat},"chat_type":"dialog"}},"timestamp":1775053255737,"body":{{"mid":"mid.{i:016x}","seq":{i},"text":"message {i}"}},"sender":{{"user_id":{chat},"first_name":"John","is_bot":false}}}}}}"#
    )
}

fn router() -> Router {
    Router::new()
        .command("start", |ctx| ctx.reply("hi"))
        .command("help", |ctx| ctx.reply("help"))
        .on(filters::callback_prefix("menu:"), |ctx| ctx.notify("menu"))
        .on(filters::text_eq("ping"), |ctx| ctx.reply("pong"))
        .on(filters::text(), |ctx| {
            let dialogue = ctx.dialogue::<Step>();
            let n = match dialogue.get() {
                Some(Step::Counting(n)) => n + 1,
                None => 1,
            };
            dialogue.set(Step::Counting(n))?;
            ctx.reply("counted")
        })
}

fn dispatch(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let update: Update = serde_json::from_str(&json_update(7)).unwrap();
    let d = Dispatcher::new(router()).bot_info(BotInfo::new(1, "bench"));
    let mut g = c.benchmark_group("dispatch");
    g.throughput(Throughput::Elements(1));
    g.bench_function("router", |b| {
        b.iter(|| rt.block_on(d.dispatch_detached(update.clone())))
    });
    // The same work by hand: a map of states keyed by (chat, user), a match on the update, the same reply.
    let states: Mutex<HashMap<(i64, i64), Step>> = Mutex::new(HashMap::new());
    g.bench_function("hand_match", |b| {
        b.iter(|| {
            let u = update.clone();
            let mut out = Vec::new();
            if let Update::MessageCreated(m) = &u
                && let Some(msg) = &m.message
                && let (Some(chat), Some(text), Some(sender)) =
                    (msg.chat_id(), msg.text(), &msg.sender)
            {
                if text == "/start" || text == "/help" || text == "ping" {
                    out.push(NewMessageBody::text("x"));
                } else {
                    let mut states = states.lock().unwrap();
                    let e = states
                        .entry((chat.0, sender.user_id.get()))
                        .or_insert(Step::Counting(0));
                    let Step::Counting(n) = e;
                    *n += 1;
                    out.push(NewMessageBody::text("counted"));
                }
            }
            out
        })
    });
    g.finish();
}

fn sandbox() -> MaxSandbox {
    let s = MaxSandbox::start().unwrap();
    s.faults().limits().enforce(false);
    s
}

fn client(s: &MaxSandbox) -> Client<ReqwestTransport> {
    Client::new(
        Config::new(s.token()).with_base_url(s.base_url()),
        ReqwestTransport::new(TransportConfig::default()).unwrap(),
    )
}

fn poll() -> PollConfig {
    PollConfig::default()
        .min_interval(Duration::ZERO)
        .timeout_secs(1)
        .limit(1000)
}

fn fill(s: &MaxSandbox) {
    for i in 0..UPDATES {
        s.updates().push_json(json_update(i));
    }
}

fn polling(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("polling");
    g.throughput(Throughput::Elements(UPDATES));
    g.sample_size(10);
    {
        let s = sandbox();
        let noop = Router::new().on(filters::kind("message_created"), |_| Ok(()));
        let d = Dispatcher::new(noop).bot_info(BotInfo::new(1, "bench"));
        let stats = d.stats();
        let stop = StopHandle::new();
        let run = rt.spawn(d.run_polling(client(&s), poll(), stop.clone()));
        let mut target = 0;
        g.bench_function("1000_chats", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    target += UPDATES;
                    let started = Instant::now();
                    fill(&s);
                    assert!(stats.wait_finished(target, Duration::from_secs(120)));
                    total += started.elapsed();
                }
                total
            })
        });
        stop.stop();
        rt.block_on(run).unwrap().unwrap();
    }
    {
        let s = sandbox();
        let c = client(&s);
        g.bench_function("hand_loop", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    fill(&s);
                    let seen = rt.block_on(async {
                        let mut stream = c.updates(poll());
                        let mut seen = 0;
                        while seen < UPDATES {
                            match stream.next().await {
                                Some(Ok(Polled::Update(Update::MessageCreated(_)))) => seen += 1,
                                Some(Ok(_)) => {}
                                _ => break,
                            }
                        }
                        seen
                    });
                    assert_eq!(seen, UPDATES);
                    total += started.elapsed();
                }
                total
            })
        });
    }
    g.finish();
}

fn webhook_latency() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = sandbox();
    let n = 20_000u64;
    rt.block_on(async {
        let d = Dispatcher::new(Router::new().on(filters::text(), |_| Ok(()))).bot_info(BotInfo::new(1, "bench"));
        let stats = d.stats();
        let app = d.webhook_app(client(&s), WebhookOptions::new(WebhookConfig::with_secret("bench_secret"))).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        // The production server: header/body/request timeouts and the connection bound in the path measured.
        let server = tokio::spawn(botwire_max::webhook::serve(listener, app.router(), Default::default()));
        let http = ReqwestTransport::new(TransportConfig::default()).unwrap();
        let mut latencies = Vec::with_capacity(n as usize);
        let started = Instant::now();
        for i in 0..n {
            let request = http::Request::post(url.clone())
                .header("x-max-bot-api-secret", "bench_secret")
                .body(json_update(i).into_bytes())
                .unwrap();
            let t = Instant::now();
            let status = botwire_max::AsyncTransport::execute(&http, request).await.unwrap().status();
            latencies.push(t.elapsed());
            assert_eq!(status, 200);
        }
        let stats2 = stats.clone();
        tokio::task::spawn_blocking(move || stats2.wait_finished(n, Duration::from_secs(120))).await.unwrap();
        let elapsed = started.elapsed();
        latencies.sort();
        let p = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        println!(
            "webhook: {n} sequential deliveries, {:.0} updates/s, time to 200: p50 {:?}, p99 {:?}, max {:?}",
            n as f64 / elapsed.as_secs_f64(),
            p(0.50),
            p(0.99),
            latencies[latencies.len() - 1]
        );
        server.abort();
        app.shutdown().await;
    });
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn dialogue_memory() {
    let n = 100_000i64;
    let store = Arc::new(MemoryStorage::new(n as usize));
    let before = rss_kib();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        for i in 0..n {
            let key = DialogueKey {
                chat_id: ChatId(i),
                user_id: UserId(i),
            };
            let value = serde_json::json!({"Quantity": {"name": format!("Customer {i}")}});
            store
                .set(&key, value, Some(Duration::from_secs(3600)))
                .await
                .unwrap();
        }
    });
    let after = rss_kib();
    match (before, after) {
        (Some(b), Some(a)) => println!(
            "dialogues: {} live in MemoryStorage: RSS +{} KiB ({:.0} bytes each)",
            store.len(),
            a.saturating_sub(b),
            a.saturating_sub(b) as f64 * 1024.0 / n as f64
        ),
        _ => println!("dialogues: RSS not available on this platform"),
    }
}

criterion_group!(benches, dispatch, polling);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    webhook_latency();
    dialogue_memory();
}
