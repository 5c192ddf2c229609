//! The fleet on Redis (issue 14's targets): three replicas of one bot, each with its own Redis connection and
//! throttle, send as fast as they can for 10 s at the real MAX limits against a sandbox enforcing them, paced by
//! `botwire_redis::RedisPacer` on a private loopback `redis-server`. Reports the fleet's rate as a % of the
//! 30 rps limit, the 429s, Redis round trips per paced request, and the latency the pacer adds to a request
//! that does not have to wait (p50/p99 of 2,000 sequential calls through an unconstrained limit, shared vs
//! in-process pacer). Results are printed and written to `target/botwire-bench/fleet.json`.
//!
//! Needs `redis-server` (Debian: `apt-get install redis-server`).

use std::time::{Duration, Instant};

use botwire_core_types::max::{ChatId, NewMessageBody};
use botwire_redis::RedisPacer;
use botwire_redis::testing::RedisServer;
use botwire_sandbox::MaxSandbox;
use botwire_sandbox::max::BotRole;
use botwire_transport::{
    AsyncTransport, HttpRequest, HttpResponse, Rate, ReqwestTransport, Retry, RetryPolicy,
    Throttle, ThrottleConfig, TransportConfig, TransportError,
};

const RUN: Duration = Duration::from_secs(10);
const REPLICAS: usize = 3;
/// Enough chats, taken in turn by all senders, that a chat's 2/s never binds before the bot's 30/s (a chat
/// gets one message in 60, about every 2 s).
const CHATS: usize = 60;
/// Concurrent senders per replica.
const WORKERS: usize = 8;

async fn fleet_run(redis: &RedisServer) -> String {
    let sb = MaxSandbox::start().expect("sandbox");
    let owner = sb.add_user("Owner");
    let chats: Vec<ChatId> = (0..CHATS)
        .map(|i| sb.add_group_chat(&format!("Chat {i}"), owner.user_id, BotRole::full_admin()))
        .collect();
    sb.faults().limits().enforce(true);
    let pacers: Vec<RedisPacer> = (0..REPLICAS)
        .map(|_| {
            RedisPacer::open(&redis.url(), "bench_bot")
                .expect("pacer")
                .local_share(1.0 / REPLICAS as f64)
        })
        .collect();
    let mut clients = Vec::new();
    for pacer in &pacers {
        let client = botwire_max::Client::new(
            botwire_max::Config::new(sb.token()).with_base_url(sb.base_url()),
            Retry::new(
                Throttle::new(
                    ReqwestTransport::new(TransportConfig::default()).expect("reqwest"),
                    ThrottleConfig::max(),
                )
                .with_pacer(pacer.clone()),
                RetryPolicy::default(),
            ),
        );
        // Warm-up, outside the measured run: each replica's HTTP and Redis connections and its script cache.
        client.get_me().await.expect("warm-up");
        clients.push(client);
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for client in &clients {
        for _ in 0..WORKERS {
            let client = client.clone();
            let chats = chats.clone();
            let next = next.clone();
            tasks.push(tokio::spawn(async move {
                let mut ok = 0u64;
                let mut last = start;
                while start.elapsed() < RUN {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let chat = chats[i % chats.len()];
                    if client
                        .send_message(chat, NewMessageBody::text(format!("m{i}")))
                        .await
                        .is_ok()
                    {
                        ok += 1;
                        last = Instant::now();
                    }
                }
                (ok, last)
            }));
        }
    }
    let (mut ok, mut last) = (0, start);
    for task in tasks {
        let (n, l) = task.await.expect("sender");
        ok += n;
        last = last.max(l);
    }
    let seconds = (last - start).as_secs_f64();
    // n requests paced from t = 0 span n - 1 gaps.
    let rate = ok.saturating_sub(1) as f64 / seconds;
    let (mut requests, mut trips, mut late, mut local) = (0, 0, 0, 0);
    for p in &pacers {
        let s = p.stats();
        requests += s.requests;
        trips += s.round_trips;
        late += s.late_retries;
        local += s.local_fallbacks;
    }
    let rejected = sb.stats().status(429);
    let per_request = trips as f64 / requests.max(1) as f64;
    println!(
        "fleet (3 replicas, 10 s)  {rate:>6.2} msg/s = {:>5.1}% of 30 rps; {ok} sent, {rejected} x 429; \
         {per_request:.3} Redis round trips per request ({late} late re-reservations, {local} paced locally)",
        100.0 * rate / 30.0
    );
    format!(
        r#"{{"name":"fleet_3_replicas","limit_rps":30,"rate_rps":{rate:.3},"percent_of_limit":{:.2},"ok":{ok},"status_429":{rejected},"round_trips_per_request":{per_request:.4},"late_retries":{late},"local_fallbacks":{local},"seconds":{seconds:.3}}}"#,
        100.0 * rate / 30.0
    )
}

/// The latency a pacer adds to a request that does not wait: 2,000 sequential calls under a limit far above
/// the call rate, through a transport that answers at once.
async fn added_latency(name: &str, throttle: Throttle<impl AsyncTransport>) -> String {
    let mut times = Vec::with_capacity(2000);
    for _ in 0..2200 {
        let req = http::Request::post("https://h/messages?chat_id=1")
            .body(Vec::new())
            .expect("request");
        let t = Instant::now();
        let _ = throttle.execute(req).await;
        times.push(t.elapsed());
    }
    // The first 200 warm up the connection and the script cache.
    let mut times = times.split_off(200);
    times.sort();
    let p = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let (p50, p99) = (p(0.50), p(0.99));
    println!(
        "added latency, {name:<22} p50 {:>7.1} µs  p99 {:>7.1} µs",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
    format!(
        r#"{{"name":"latency_{name}","p50_us":{:.1},"p99_us":{:.1}}}"#,
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    )
}

fn main() {
    // `cargo test --benches` runs bench targets once in test mode: keep that quick.
    if std::env::args().any(|a| a == "--test" || a == "--list")
        || !std::env::args().any(|a| a == "--bench")
    {
        println!("fleet: skipped (runs under `cargo bench`)");
        return;
    }
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let rows = runtime.block_on(async {
        let mut rows = vec![fleet_run(&redis).await];
        let answer = |_req: HttpRequest| async {
            Ok::<HttpResponse, TransportError>(http::Response::new(Vec::new()))
        };
        let fast = || ThrottleConfig::unlimited().global(Rate::per_second(1_000_000));
        rows.push(added_latency("in_process", Throttle::new(answer, fast())).await);
        let pacer = RedisPacer::open(&redis.url(), "latency_bot").expect("pacer");
        rows.push(
            added_latency(
                "redis_loopback",
                Throttle::new(answer, fast()).with_pacer(pacer),
            )
            .await,
        );
        rows
    });
    let dir = botwire_benches::results_dir();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("fleet.json"), format!("[{}]\n", rows.join(",")));
}
