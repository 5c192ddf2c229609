//! Two webhook replicas of one bot sharing a private redis-server (RedisDedup + RedisStorage), fed by the
//! MAX sandbox's webhook delivery through a test-owned front that forwards every delivery to two randomly
//! chosen replicas at once — the platform redelivering each update to any replica. Each update must be
//! handled once, and a conversation whose updates land on both replicas loses no state.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use botwire_bot::webhook::{Dedup, WebhookApp, WebhookOptions};
use botwire_bot::{Context, DispatchStats, Dispatcher, HandlerResult, Router, filters};
use botwire_core_types::max::{ChatId, UserId};
use botwire_max::webhook::WebhookConfig;
use botwire_max::{AsyncTransport, Client, Config};
use botwire_redis::testing::RedisServer;
use botwire_redis::{DedupStats, RedisDedup, RedisOptions, RedisStorage};
use botwire_sandbox::MaxSandbox;
use botwire_sandbox::updates::WebhookTarget;
use botwire_transport::{ReqwestTransport, TransportConfig};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

/// Hang guard only.
const GUARD: Duration = Duration::from_secs(60);
const SECRET: &str = "fleet_secret_1";
const BOT: &str = "fleet_bot";

fn redis() -> RedisServer {
    RedisServer::start().unwrap_or_else(|e| panic!("{e}"))
}

fn http() -> Arc<ReqwestTransport> {
    Arc::new(ReqwestTransport::new(TransportConfig::default()).unwrap())
}

struct Replica {
    app: WebhookApp,
    url: String,
    stats: Arc<DispatchStats>,
    dedup: Arc<DedupStats>,
    server: tokio::task::JoinHandle<()>,
}

/// One replica: its own Redis connections, its own webhook app and HTTP server.
async fn replica(s: &MaxSandbox, redis_url: &str, router: Router) -> Replica {
    let storage = RedisStorage::connect(redis_url, BOT).await.unwrap();
    let dedup = RedisDedup::connect(redis_url, BOT).await.unwrap();
    let dedup_stats = dedup.stats();
    let d = Dispatcher::new(router).storage(storage);
    let stats = d.stats();
    let client = Client::new(
        Config::new(s.token()).with_base_url(s.base_url()),
        ReqwestTransport::new(TransportConfig::default()).unwrap(),
    );
    let options = WebhookOptions::new(WebhookConfig::with_secret(SECRET)).dedup(dedup);
    let app = d.webhook_app(client, options).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let router = app.router();
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Replica {
        app,
        url,
        stats,
        dedup: dedup_stats,
        server,
    }
}

/// The load balancer in front of the replicas, delivering every update twice: each copy to a replica drawn
/// at random (both copies may hit the same one), the two at the same time.
struct Front {
    replicas: Vec<String>,
    http: Arc<ReqwestTransport>,
    rng: Mutex<u64>,
    copies: Mutex<u64>,
}

impl Front {
    fn pick(&self) -> String {
        // xorshift64: deterministic for a given seed, no dependency.
        let mut x = self.rng.lock().unwrap();
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        self.replicas[(*x % self.replicas.len() as u64) as usize].clone()
    }
}

async fn forward(State(front): State<Arc<Front>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let copy = |url: String| {
        let (http, headers, body) = (front.http.clone(), headers.clone(), body.to_vec());
        async move {
            let mut request = http::Request::post(url);
            for name in ["x-max-bot-api-secret", "content-type"] {
                if let Some(v) = headers.get(name) {
                    request = request.header(name, v);
                }
            }
            let request = request.body(body).unwrap();
            http.execute(request).await.map(|r| r.status())
        }
    };
    let (a, b) = tokio::join!(copy(front.pick()), copy(front.pick()));
    *front.copies.lock().unwrap() += 2;
    // The platform saw one delivery: acknowledged if a replica took it.
    if a.as_ref().is_ok_and(|s| *s == StatusCode::OK)
        || b.as_ref().is_ok_and(|s| *s == StatusCode::OK)
    {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

struct Fleet {
    sandbox: MaxSandbox,
    _redis: RedisServer,
    replicas: Vec<Replica>,
    front: Arc<Front>,
    front_server: tokio::task::JoinHandle<()>,
}

async fn fleet(router: impl Fn() -> Router) -> Fleet {
    let sandbox = MaxSandbox::start().unwrap();
    sandbox.faults().limits().enforce(false);
    let redis = redis();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        replicas.push(replica(&sandbox, &redis.url(), router()).await);
    }
    let front = Arc::new(Front {
        replicas: replicas.iter().map(|r| r.url.clone()).collect(),
        http: http(),
        rng: Mutex::new(0x9E37_79B9_7F4A_7C15),
        copies: Mutex::new(0),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front_url = format!("http://{}/", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/", axum::routing::post(forward))
        .with_state(front.clone());
    let front_server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    sandbox.updates().set_webhook(Some(WebhookTarget {
        url: front_url,
        secret: Some(SECRET.to_owned()),
        retries: 10,
        first_retry: Duration::from_millis(20),
    }));
    Fleet {
        sandbox,
        _redis: redis,
        replicas,
        front,
        front_server,
    }
}

impl Fleet {
    fn users(&self, n: usize) -> Vec<(UserId, ChatId)> {
        (0..n)
            .map(|i| {
                let u = self.sandbox.add_user(&format!("U{i}")).user_id;
                (u, self.sandbox.add_dialog(u))
            })
            .collect()
    }

    /// Waits (bounded poll) until the replicas finished `n` updates between them.
    async fn wait_finished(&self, n: u64) {
        let started = Instant::now();
        loop {
            let done: u64 = self.replicas.iter().map(|r| r.stats.finished()).sum();
            if done >= n && self.sandbox.updates().pending() == 0 {
                return;
            }
            assert!(
                started.elapsed() < GUARD,
                "the fleet finished {done} of {n} updates"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn bot_texts(&self, chat: ChatId) -> Vec<String> {
        let world = self.sandbox.world();
        let bot = world.bot_id();
        world
            .messages(chat)
            .iter()
            .filter(|m| m.author == bot)
            .filter_map(|m| m.message.text().map(str::to_owned))
            .collect()
    }

    async fn shutdown(self) -> Vec<botwire_bot::RunSummary> {
        self.front_server.abort();
        let mut summaries = Vec::new();
        for r in self.replicas {
            r.server.abort();
            summaries.push(r.app.shutdown().await);
        }
        summaries
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_update_delivered_twice_to_random_replicas_is_handled_once() {
    let runs: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let router = || {
        let runs = runs.clone();
        Router::new().on(filters::text(), move |ctx: &Context| -> HandlerResult {
            let id = botwire_bot::update_identity(ctx.update());
            *runs.lock().unwrap().entry(id).or_default() += 1;
            ctx.reply(format!("got {}", ctx.text().unwrap_or_default()))
        })
    };
    let fleet = fleet(router).await;
    let people = fleet.users(4);
    const PER_USER: usize = 25;
    for i in 0..PER_USER {
        for (u, chat) in &people {
            fleet
                .sandbox
                .user_sends_text(*u, *chat, &format!("m{i}"))
                .unwrap();
        }
    }
    let total = (PER_USER * people.len()) as u64;
    fleet.wait_finished(total).await;

    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len() as u64, total, "an update was not handled");
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "handled more than once: {twice:?}");
    assert_eq!(*fleet.front.copies.lock().unwrap(), 2 * total);
    let duplicates: u64 = fleet.replicas.iter().map(|r| r.dedup.duplicates()).sum();
    let fallbacks: u64 = fleet.replicas.iter().map(|r| r.dedup.fallbacks()).sum();
    assert_eq!((duplicates, fallbacks), (total, 0));
    let per_replica: Vec<u64> = fleet.replicas.iter().map(|r| r.stats.handled()).collect();
    println!(
        "{total} updates × 2 copies: handled per replica {per_replica:?}, {duplicates} copies dropped as duplicates"
    );
    for (_, chat) in &people {
        let expected: Vec<String> = (0..PER_USER).map(|i| format!("got m{i}")).collect();
        let mut got = fleet.bot_texts(*chat);
        got.sort_by_key(|t| t[5..].parse::<usize>().unwrap());
        assert_eq!(got, expected, "one reply per update");
    }
    let summaries = fleet.shutdown().await;
    assert_eq!(summaries.iter().map(|s| s.received).sum::<u64>(), total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_dialogue_whose_updates_land_on_both_replicas_loses_no_increment() {
    let router = || {
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
    };
    let fleet = fleet(router).await;
    let people = fleet.users(2);
    const PER_USER: u64 = 40;
    for _ in 0..PER_USER {
        for (u, chat) in &people {
            fleet.sandbox.user_sends_text(*u, *chat, "+1").unwrap();
        }
    }
    let total = PER_USER * people.len() as u64;
    fleet.wait_finished(total).await;
    let failed: u64 = fleet.replicas.iter().map(|r| r.stats.failed()).sum();
    assert_eq!(failed, 0);
    let per_replica: Vec<u64> = fleet.replicas.iter().map(|r| r.stats.handled()).collect();
    assert!(
        per_replica.iter().all(|n| *n > 0),
        "one replica took everything: {per_replica:?}"
    );
    for (_, chat) in &people {
        let mut counts: Vec<u64> = fleet
            .bot_texts(*chat)
            .iter()
            .map(|t| t.trim_start_matches("count ").parse().unwrap())
            .collect();
        counts.sort_unstable();
        assert_eq!(counts, (1..=PER_USER).collect::<Vec<_>>());
    }
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dedup_window_is_shared_falls_back_locally_while_redis_is_away_and_comes_back() {
    let mut server = redis();
    let options = RedisOptions::default().command_timeout(Duration::from_millis(500));
    let a = RedisDedup::connect_with(&server.url(), BOT, options.clone())
        .await
        .unwrap();
    let b = RedisDedup::connect_with(&server.url(), BOT, options)
        .await
        .unwrap();
    assert!(a.first_seen("message_created:mid.1").await);
    assert!(!a.first_seen("message_created:mid.1").await);
    assert!(
        !b.first_seen("message_created:mid.1").await,
        "the window is shared"
    );
    // A refused delivery is forgotten everywhere: its redelivery is handled on any replica.
    a.forget("message_created:mid.1").await;
    assert!(b.first_seen("message_created:mid.1").await);

    // The mark lives for the window: 8 hours by default.
    let mut conn = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let pttl: i64 = redis::cmd("PTTL")
        .arg(a.key("message_created:mid.1"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        pttl > 7 * 3600 * 1000 && pttl <= 8 * 3600 * 1000,
        "PTTL {pttl}"
    );
    assert_eq!(a.key("x"), "botwire:{fleet_bot}:seen:x");

    server.kill();
    let started = Instant::now();
    assert!(
        tokio::time::timeout(GUARD, a.first_seen("message_created:mid.2"))
            .await
            .unwrap()
    );
    let degraded = started.elapsed();
    // This replica still drops its own duplicates; the other replica cannot know (at least once).
    assert!(!a.first_seen("message_created:mid.2").await);
    assert!(b.first_seen("message_created:mid.2").await);
    assert_eq!(a.stats().fallbacks(), 2);
    assert_eq!(b.stats().fallbacks(), 1);
    println!("dedup with Redis down: each check fell back after about {degraded:?}");

    server.restart().unwrap_or_else(|e| panic!("{e}"));
    let back = Instant::now();
    // Each replica's connection comes back on its own: probe both until their checks reach Redis again.
    for (name, dedup) in [("a", &a), ("b", &b)] {
        let before = dedup.stats().checked_in_redis();
        let mut n = 0;
        while dedup.stats().checked_in_redis() == before {
            assert!(
                back.elapsed() < GUARD,
                "dedup {name} never used Redis again"
            );
            dedup
                .first_seen(&format!("message_created:probe.{name}.{n}"))
                .await;
            n += 1;
        }
        println!(
            "dedup {name} back on Redis {:?} after the restart ({n} checks)",
            back.elapsed()
        );
    }
    assert!(a.first_seen("message_created:mid.3").await);
    assert!(!b.first_seen("message_created:mid.3").await);

    // A stalled Redis: the check gives up after the command timeout and decides locally.
    let mut admin = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(1_500)
        .arg("ALL")
        .query_async(&mut admin)
        .await
        .unwrap();
    let fallbacks = a.stats().fallbacks();
    let started = Instant::now();
    assert!(
        tokio::time::timeout(GUARD, a.first_seen("message_created:mid.4"))
            .await
            .unwrap()
    );
    println!(
        "dedup with Redis stalled: fell back after {:?}",
        started.elapsed()
    );
    assert_eq!(a.stats().fallbacks(), fallbacks + 1);
}
