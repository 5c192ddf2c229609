//! Dialogue storage: what one update costs in the store, per backend.
//!
//! * `get+cas`: the runner's storage work for one update that changes its dialogue — a `get` before the
//!   handler and a `compare_and_set` after — measured one update at a time on one key (p50, p99, max and
//!   updates/s), for `MemoryStorage`, `SqliteStorage` (a temporary file, WAL) and `RedisStorage` (a private
//!   `redis-server` on loopback, started by the bench: install `redis-server` first).
//! * Redis round trips per update, counted by the server (`INFO commandstats`, less the HMGET each script runs
//!   inside) over whole updates through
//!   `Dispatcher::dispatch_detached`, alone and with two replicas writing one conversation concurrently (where
//!   compare-and-set conflicts make updates run again).
//!
//! A measurement, not a test: nothing here is asserted against a time.

#![allow(clippy::unwrap_used)] // bench code: a panic is the failure report

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use botwire_bot::dialogue::{CasOutcome, DialogueKey, MemoryStorage, Storage};
use botwire_bot::{Context, Dispatcher, HandlerResult, Router, filters};
use botwire_core_types::max::{ChatId, Update, UserId};
use botwire_redis::RedisStorage;
use botwire_redis::testing::RedisServer;
use botwire_sqlite::SqliteStorage;
use serde_json::{Value, json};

const UPDATES: usize = 5_000;

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

async fn get_cas(name: &str, store: &dyn Storage) -> serde_json::Value {
    let key = DialogueKey {
        chat_id: ChatId(1),
        user_id: UserId::from(1),
    };
    let ttl = Some(Duration::from_secs(3600));
    let mut latencies = Vec::with_capacity(UPDATES);
    let started = Instant::now();
    for i in 0..UPDATES {
        let t = Instant::now();
        let current = store.get(&key).await.unwrap();
        let expected = current.as_ref().map(|v| v.version);
        let outcome = store
            .compare_and_set(
                &key,
                expected,
                Some(json!({ "step": "quantity", "n": i })),
                ttl,
            )
            .await
            .unwrap();
        latencies.push(t.elapsed());
        assert!(matches!(outcome, CasOutcome::Written(Some(_))));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let (p50, p99, max) = (
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
    );
    let rate = UPDATES as f64 / elapsed.as_secs_f64();
    println!(
        "storage get+cas {name:<8} {UPDATES} updates: p50 {p50:>10.1?}  p99 {p99:>10.1?}  max {max:>10.1?}  {rate:>8.0} updates/s"
    );
    json!({
        "backend": name, "updates": UPDATES,
        "p50_us": p50.as_secs_f64() * 1e6, "p99_us": p99.as_secs_f64() * 1e6,
        "max_us": max.as_secs_f64() * 1e6, "updates_per_s": rate,
    })
}

fn counter() -> Router {
    Router::new().on(filters::text(), |ctx: &Context| -> HandlerResult {
        let count = ctx
            .dialogue::<Value>()
            .get()
            .and_then(|v| v["count"].as_u64())
            .unwrap_or(0)
            + 1;
        ctx.dialogue().set(json!({ "count": count }))?;
        ctx.reply(format!("count {count}"))
    })
}

fn text(user: i64, n: usize) -> Update {
    serde_json::from_value(json!({
        "update_type": "message_created", "timestamp": n,
        "message": {
            "sender": {"user_id": user, "first_name": "U", "is_bot": false},
            "recipient": {"chat_id": user, "chat_type": "dialog"},
            "timestamp": n,
            "body": {"mid": format!("mid.{user}.{n}"), "seq": n, "text": "+1"}
        }
    }))
    .unwrap()
}

/// `calls` per command from `INFO commandstats`.
async fn command_calls(url: &str) -> HashMap<String, u64> {
    let mut conn = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await
        .unwrap();
    info.lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest.split(',').find_map(|f| f.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect()
}

async fn round_trips(url: &str, replicas: usize) -> serde_json::Value {
    let mut bots = Vec::new();
    for _ in 0..replicas {
        let storage = RedisStorage::connect(url, "bench_bot").await.unwrap();
        bots.push(Arc::new(Dispatcher::new(counter()).storage(storage)));
    }
    let mut conn = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut conn)
        .await
        .unwrap();
    let per = UPDATES / replicas;
    let user = 100 + replicas as i64;
    let tasks: Vec<_> = bots
        .iter()
        .enumerate()
        .map(|(r, bot)| {
            let bot = bot.clone();
            tokio::spawn(async move {
                for i in 0..per {
                    bot.dispatch_detached(text(user, r * per + i)).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let calls = command_calls(url).await;
    let n = (per * replicas) as f64;
    let scripts = calls.get("evalsha").unwrap_or(&0) + calls.get("eval").unwrap_or(&0);
    // commandstats also counts the commands a script runs: each compare-and-set does one HMGET inside.
    let get = calls.get("hmget").unwrap_or(&0).saturating_sub(scripts) as f64 / n;
    let script = scripts as f64 / n;
    println!(
        "redis round trips per update, {replicas} replica(s) on one conversation: {get:.2} HMGET + {script:.2} EVALSHA = {:.2}",
        get + script
    );
    json!({"replicas": replicas, "hmget_per_update": get, "script_per_update": script})
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let results = rt.block_on(async {
        let memory = MemoryStorage::default();
        let sqlite = SqliteStorage::open(dir.path().join("bench.db"), "bench_bot").unwrap();
        let remote = RedisStorage::connect(&redis.url(), "bench_bot")
            .await
            .unwrap();
        let latency = vec![
            get_cas("memory", &memory).await,
            get_cas("sqlite", &sqlite).await,
            get_cas("redis", &remote).await,
        ];
        let trips = vec![
            round_trips(&redis.url(), 1).await,
            round_trips(&redis.url(), 2).await,
        ];
        json!({"get_cas": latency, "redis_round_trips": trips})
    });
    let out = botwire_benches::results_dir();
    if std::fs::create_dir_all(&out).is_ok() {
        let _ = std::fs::write(
            out.join("storage.json"),
            serde_json::to_string_pretty(&results).unwrap(),
        );
    }
}
