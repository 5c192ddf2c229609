//! A fleet of three replicas of one bot, each with its own Redis connection and its own throttle, sending as
//! fast as they can against a sandbox that enforces MAX's limits: with the shared [`RedisPacer`] the server
//! refuses nothing; with in-process pacers (the control) it answers 429. Then Redis is killed mid-run and
//! brought back. Every assertion counts (sandbox counters and world, pacer counters, Redis `INFO`); none
//! measures wall-clock time.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// test code: a panic is the failure report
// The serialising guard below is held for a whole test body, across its awaits, on purpose: each test runs on
// its own runtime, and a test waiting for the guard blocks only its own (not yet started) runtime's thread.
#![allow(clippy::await_holding_lock)]

use std::time::Duration;

use botwire_core_types::max::{ChatId, Message, NewMessageBody};
use botwire_max as max;
use botwire_redis::RedisPacer;
use botwire_redis::testing::RedisServer;
use botwire_sandbox::MaxSandbox;
use botwire_sandbox::max::BotRole;
use botwire_transport::{
    ReqwestTransport, Retry, RetryPolicy, Throttle, ThrottleConfig, TransportConfig, UreqTransport,
};

/// Both sides run ten times faster than the real limits (per chat 2 per 100 ms, the bot 30 per 100 ms), as the
/// load tests in `tests/messages_load.rs` do; the margins stay unscaled.
const SCALE: f64 = 10.0;
const REPLICAS: usize = 3;
const CHATS: usize = 10;
const MESSAGES: usize = 600;

type Stack = Retry<Throttle<ReqwestTransport>>;

/// The tests of this file run one at a time: each drives a sandbox at its limits, and four such runs at once
/// on a 2-core machine would measure the machine's scheduler more than the pacer.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn redis() -> RedisServer {
    RedisServer::start().unwrap_or_else(|e| panic!("{e}"))
}

fn transport_config() -> TransportConfig {
    TransportConfig::default()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
}

fn policy() -> RetryPolicy {
    RetryPolicy::default().backoff(
        Duration::from_secs(1).div_f64(SCALE),
        Duration::from_secs(30).div_f64(SCALE),
    )
}

fn throttle() -> Throttle<ReqwestTransport> {
    Throttle::new(
        ReqwestTransport::new(transport_config()).unwrap(),
        ThrottleConfig::max().scale(SCALE),
    )
}

fn sandbox() -> (MaxSandbox, Vec<ChatId>) {
    let sb = MaxSandbox::start().unwrap();
    let owner = sb.add_user("Owner");
    let chats = (0..CHATS)
        .map(|i| sb.add_group_chat(&format!("Chat {i}"), owner.user_id, BotRole::full_admin()))
        .collect();
    sb.faults().limits().enforce(true).scale(SCALE);
    (sb, chats)
}

/// The fleet margin of these tests: three replicas, the sandbox and Redis share a 2-core machine that CI and
/// the other test binaries load, where a send's trip to the server jitters by tens of milliseconds. The default
/// (10 ms, sized for replicas on their own machines) saw one 429 in 600 sends at a load average of 8, and 30 ms
/// once more with 600 requests in flight at once.
const TEST_FLEET_MARGIN: Duration = Duration::from_millis(40);

fn pacer(redis: &RedisServer) -> RedisPacer {
    RedisPacer::open(&redis.url(), "fleet_bot")
        .unwrap()
        .local_share(1.0 / REPLICAS as f64)
        .retry_every(Duration::from_millis(100))
        .fleet_margin(TEST_FLEET_MARGIN)
}

fn replica(sb: &MaxSandbox, transport: Throttle<ReqwestTransport>) -> max::Client<Stack> {
    max::Client::new(
        max::Config::new(sb.token()).with_base_url(sb.base_url()),
        Retry::new(transport, policy()),
    )
}

/// Message `i` of the plan: (chat, text); replica `r` sends the messages `i % REPLICAS == r`.
fn plan(chats: &[ChatId], from: usize, to: usize) -> Vec<(ChatId, String)> {
    (from..to)
        .map(|i| (chats[i % chats.len()], format!("message {i:04}")))
        .collect()
}

/// Senders per replica: each sends its next message as soon as its last one returned. (One task per message —
/// 600 requests and connections at once — measured the 2-core machine's scheduler, not the pacer.)
const SENDERS: usize = 8;

/// Every replica sends its share of `plan` (message `i` goes through replica `i % replicas`) with `SENDERS`
/// senders each, as fast as they can; the results in plan order.
async fn send_all(
    replicas: &[max::Client<Stack>],
    plan: &[(ChatId, String)],
) -> Vec<Result<Message, max::Error>> {
    let plan = std::sync::Arc::new(plan.to_vec());
    let mut tasks = Vec::new();
    for (r, client) in replicas.iter().enumerate() {
        let mine: Vec<usize> = (r..plan.len()).step_by(replicas.len()).collect();
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mine = std::sync::Arc::new(mine);
        for _ in 0..SENDERS {
            let (client, plan, mine, next) =
                (client.clone(), plan.clone(), mine.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut done = Vec::new();
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&i) = mine.get(k) else {
                        return done;
                    };
                    let (chat, text) = plan[i].clone();
                    done.push((
                        i,
                        client.send_message(chat, NewMessageBody::text(text)).await,
                    ));
                }
            }));
        }
    }
    let mut results: Vec<Option<Result<Message, max::Error>>> =
        (0..plan.len()).map(|_| None).collect();
    for task in tasks {
        for (i, result) in task.await.unwrap() {
            results[i] = Some(result);
        }
    }
    results.into_iter().map(Option::unwrap).collect()
}

/// Each planned text is stored once, in its chat; every call returned its message.
fn assert_each_once(
    sb: &MaxSandbox,
    chats: &[ChatId],
    plan: &[(ChatId, String)],
    results: Vec<Result<Message, max::Error>>,
) {
    for (i, (result, (chat, text))) in results.into_iter().zip(plan).enumerate() {
        let message = result.unwrap_or_else(|e| panic!("send {i}: {e}"));
        assert_eq!(message.text(), Some(text.as_str()), "send {i}");
        assert_eq!(message.chat_id(), Some(*chat), "send {i}");
    }
    for chat in chats {
        let mut stored: Vec<String> = sb
            .world()
            .messages(*chat)
            .iter()
            .map(|m| m.message.text().unwrap().to_owned())
            .collect();
        stored.sort();
        let mut expected: Vec<String> = plan
            .iter()
            .filter(|(c, _)| c == chat)
            .map(|(_, t)| t.clone())
            .collect();
        expected.sort();
        assert_eq!(stored, expected, "chat {chat}");
    }
}

/// `calls` of `cmdstat_<command>` in Redis's `INFO commandstats`.
async fn redis_calls(redis: &RedisServer, command: &str) -> u64 {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("cmdstat_{command}:calls=")))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_sharing_a_redis_pacer_send_600_messages_with_no_429() {
    let _serial = serial();
    let redis = redis();
    let (sb, chats) = sandbox();
    let pacers: Vec<RedisPacer> = (0..REPLICAS).map(|_| pacer(&redis)).collect();
    let replicas: Vec<_> = pacers
        .iter()
        .map(|p| replica(&sb, throttle().with_pacer(p.clone())))
        .collect();
    let plan = plan(&chats, 0, MESSAGES);
    let results = send_all(&replicas, &plan).await;
    assert_each_once(&sb, &chats, &plan, results);

    let stats = sb.stats();
    assert_eq!(stats.status(429), 0, "{:?}", stats.by_status());
    assert_eq!(stats.rate_limited(), 0);
    assert_eq!(stats.route("POST /messages"), MESSAGES as u64);

    // One reservation round trip per request, plus one per reservation a late replica made again.
    let (mut requests, mut trips, mut late, mut local) = (0, 0, 0, 0);
    for p in &pacers {
        let s = p.stats();
        requests += s.requests;
        trips += s.round_trips;
        late += s.late_retries;
        local += s.local_fallbacks;
    }
    let evalsha = redis_calls(&redis, "evalsha").await;
    let eval = redis_calls(&redis, "eval").await;
    println!(
        "fleet: {requests} paced requests, {trips} round trips ({late} late re-reservations), \
         {local} local; Redis saw {evalsha} EVALSHA + {eval} EVAL"
    );
    assert_eq!(requests, MESSAGES as u64);
    assert_eq!(local, 0);
    assert_eq!(trips, requests + late);
    // EVAL only when a connection first meets the script (NOSCRIPT, then loaded once).
    assert!(
        evalsha + eval <= trips + REPLICAS as u64,
        "{evalsha} + {eval} vs {trips}"
    );
}

/// The control: the same run with each replica pacing itself in its process sends up to three times the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_run_with_in_process_pacers_gets_429s() {
    let _serial = serial();
    let (sb, chats) = sandbox();
    let replicas: Vec<_> = (0..REPLICAS).map(|_| replica(&sb, throttle())).collect();
    let plan = plan(&chats, 0, MESSAGES);
    let results = send_all(&replicas, &plan).await;
    // The server refused many (so many that the retry layer gave up on some sends).
    let failed = results.iter().filter(|r| r.is_err()).count();
    let refused = sb.stats().status(429);
    println!(
        "control: {refused} × 429 for {MESSAGES} messages from {REPLICAS} in-process pacers ({failed} sends \
         failed after the retries)"
    );
    assert!(refused > 0);
    let _ = chats;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_run_paces_locally_and_shared_pacing_resumes_when_it_returns() {
    let _serial = serial();
    let mut redis = redis();
    let (sb, chats) = sandbox();
    let pacers: Vec<RedisPacer> = (0..REPLICAS).map(|_| pacer(&redis)).collect();
    let replicas: Vec<_> = pacers
        .iter()
        .map(|p| replica(&sb, throttle().with_pacer(p.clone())))
        .collect();
    let trips = |pacers: &[RedisPacer]| pacers.iter().map(|p| p.stats().round_trips).sum::<u64>();
    let local = |pacers: &[RedisPacer]| {
        pacers
            .iter()
            .map(|p| p.stats().local_fallbacks)
            .sum::<u64>()
    };

    let first = plan(&chats, 0, 60);
    let results = send_all(&replicas, &first).await;
    let shared_before = trips(&pacers);
    assert!(shared_before >= 60);
    assert_eq!(local(&pacers), 0);

    redis.kill();
    let second = plan(&chats, 60, 120);
    let results_down = send_all(&replicas, &second).await;
    let fell_back = local(&pacers);
    assert!(fell_back > 0, "sends went on, paced locally");
    assert!(pacers.iter().any(RedisPacer::is_degraded));

    redis.restart().unwrap_or_else(|e| panic!("{e}"));
    // Shared pacing comes back with the first reservation after `retry_every` (100 ms here) that reaches
    // Redis: send until every replica has made one again (each try is a message that must arrive anyway).
    let mut third = Vec::new();
    let mut results_up = Vec::new();
    let mut round = 0;
    while pacers.iter().any(RedisPacer::is_degraded) {
        assert!(round < 200, "shared pacing never resumed");
        let batch = plan(&chats, 120 + round * 6, 126 + round * 6);
        results_up.extend(send_all(&replicas, &batch).await);
        third.extend(batch);
        round += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before_last = trips(&pacers);
    let last = plan(&chats, 10_000, 10_060);
    let results_last = send_all(&replicas, &last).await;
    let resumed = trips(&pacers) - before_last;
    println!(
        "degraded: {fell_back} requests paced locally while Redis was down; {} shared round trips before, \
         {resumed} for the 60 sends after it returned",
        shared_before
    );
    assert!(resumed >= 60, "the last 60 sends were paced in Redis");

    let plan: Vec<_> = first
        .into_iter()
        .chain(second)
        .chain(third)
        .chain(last)
        .collect();
    let results = results
        .into_iter()
        .chain(results_down)
        .chain(results_up)
        .chain(results_last)
        .collect();
    assert_each_once(&sb, &chats, &plan, results);
}

/// The blocking side: two replicas on ureq threads share the schedule through the pacer's synchronous
/// connection.
#[test]
fn blocking_replicas_share_the_schedule_too() {
    let _serial = serial();
    let redis = redis();
    let (sb, chats) = sandbox();
    let replicas: Vec<_> = (0..2)
        .map(|_| {
            let pacer = RedisPacer::open(&redis.url(), "fleet_bot")
                .unwrap()
                .fleet_margin(TEST_FLEET_MARGIN);
            max::blocking::Client::new(
                max::Config::new(sb.token()).with_base_url(sb.base_url()),
                Retry::new(
                    Throttle::new(
                        UreqTransport::new(transport_config()),
                        ThrottleConfig::max().scale(SCALE),
                    )
                    .with_pacer(pacer),
                    policy(),
                ),
            )
        })
        .collect();
    let plan = plan(&chats, 0, 120);
    let results: Vec<_> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..6)
            .map(|w| {
                let replicas = &replicas;
                let plan = &plan;
                s.spawn(move || {
                    plan.iter()
                        .enumerate()
                        .filter(|(i, _)| i % 6 == w)
                        .map(|(i, (chat, text))| {
                            let r = replicas[w % 2]
                                .send_message(*chat, NewMessageBody::text(text.clone()));
                            (i, r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<_> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, r)| r).collect()
    });
    assert_each_once(&sb, &chats, &plan, results);
    assert_eq!(sb.stats().status(429), 0, "{:?}", sb.stats().by_status());
}
