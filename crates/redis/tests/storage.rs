//! `RedisStorage` against a private redis-server: the `Storage` contract (get / set / remove / CAS / TTL),
//! two dispatchers sharing one Redis as two replicas would, and Redis killed and restarted mid-run.
//!
//! Each test starts its own `redis-server` on a free loopback port (never the machine's 6379); a machine
//! without the binary fails with the install message. Waits are on events or bounded polls; no timing is
//! asserted.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use botwire_bot::testing::{
    OrderStep, block_on, counting_router, order_form, sent_texts, text_update,
};
use botwire_bot::{DialogueKey, Dispatcher, HandlerError, Outcome, Router, Storage, StorageError};
use botwire_core_types::max::{ChatId, UserId};
use botwire_redis::testing::RedisServer;
use botwire_redis::{RedisOptions, RedisStorage, StoreError};
use serde_json::json;

/// Hang guard only.
const GUARD: Duration = Duration::from_secs(60);

fn redis() -> RedisServer {
    RedisServer::start().unwrap_or_else(|e| panic!("{e}"))
}

fn key(n: i64) -> DialogueKey {
    DialogueKey {
        chat_id: ChatId(n),
        user_id: UserId::from(n),
    }
}

async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test]
async fn get_set_remove_and_compare_and_set_keep_the_storage_contract() {
    let server = redis();
    let store = RedisStorage::connect(&server.url(), "shop_bot")
        .await
        .unwrap();
    botwire_bot::testing::check_storage_contract(&store).await;

    // The key layout: the bot's name as a hash tag; the state and its version in one hash.
    store.set(&key(7), json!([1, 2]), None).await.unwrap();
    assert_eq!(store.key(&key(7)), "botwire:{shop_bot}:dialogue:7:7");
    let mut conn = raw(&server.url()).await;
    let (version, stored): (u64, String) = redis::cmd("HMGET")
        .arg("botwire:{shop_bot}:dialogue:7:7")
        .arg("version")
        .arg("json")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored, "[1,2]");
    assert_eq!(version, store.get(&key(7)).await.unwrap().unwrap().version);

    // Something else wrote garbage under a dialogue key: an error naming the key, not a panic.
    let _: () = redis::cmd("HSET")
        .arg("botwire:{shop_bot}:dialogue:8:8")
        .arg("version")
        .arg("not a number")
        .arg("json")
        .arg("{")
        .query_async(&mut conn)
        .await
        .unwrap();
    let err = store.get(&key(8)).await.unwrap_err();
    assert!(
        matches!(err, StorageError::Backend(_)) && err.to_string().contains("dialogue:8:8"),
        "{err}"
    );
}

#[tokio::test]
async fn a_write_carries_its_ttl_and_redis_drops_the_dialogue_when_it_ends() {
    let server = redis();
    let store = RedisStorage::connect(&server.url(), "ttl_bot")
        .await
        .unwrap();
    let mut conn = raw(&server.url()).await;
    let pttl = |conn: &mut redis::aio::MultiplexedConnection, k: String| {
        let mut conn = conn.clone();
        async move {
            redis::cmd("PTTL")
                .arg(k)
                .query_async::<i64>(&mut conn)
                .await
                .unwrap()
        }
    };

    // A long TTL is set as PEXPIRE (checked on the server, not by waiting).
    store
        .set(&key(1), json!("a"), Some(Duration::from_secs(600)))
        .await
        .unwrap();
    let left = pttl(&mut conn, store.key(&key(1))).await;
    assert!(left > 0 && left <= 600_000, "PTTL {left}");
    // A write without a TTL makes the dialogue persistent again.
    store.set(&key(1), json!("b"), None).await.unwrap();
    assert_eq!(pttl(&mut conn, store.key(&key(1))).await, -1);

    // A short TTL: the dialogue is gone once Redis expired it (polled, with a generous bound).
    store
        .set(&key(2), json!("short"), Some(Duration::from_millis(20)))
        .await
        .unwrap();
    let started = Instant::now();
    while store.get(&key(2)).await.unwrap().is_some() {
        assert!(started.elapsed() < GUARD, "a 20 ms dialogue never expired");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(pttl(&mut conn, store.key(&key(2))).await, -2);
}

#[tokio::test]
async fn bad_bot_names_and_unreachable_servers_are_clear_errors() {
    for bad in ["", "has space", "{tag}"] {
        let err = RedisStorage::connect("redis://127.0.0.1:1/", bad)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::InvalidBotName(_)), "{err}");
    }
    assert!(matches!(
        RedisStorage::connect("not a url", "bot").await.unwrap_err(),
        StoreError::Redis(_)
    ));
    // A port nobody listens on: an error within the command timeout, not a hang.
    let server = redis();
    let url = server.url();
    drop(server);
    let started = Instant::now();
    let err = RedisStorage::connect_with(
        &url,
        "bot",
        RedisOptions::default().command_timeout(Duration::from_millis(300)),
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() < GUARD);
    assert!(!err.to_string().contains(&url), "the URL leaked: {err}");
}

// ---- two dispatchers sharing one Redis, as two replicas would ----

async fn replica(url: &str, router: Router) -> Dispatcher {
    let storage = RedisStorage::connect(url, "fleet_bot").await.unwrap();
    Dispatcher::new(router).storage(storage)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_continues_when_its_updates_alternate_between_replicas() {
    let server = redis();
    let replicas = [
        replica(&server.url(), order_form()).await,
        replica(&server.url(), order_form()).await,
    ];
    let steps = ["/order", "tea", "3", "Main street 1"];
    let mut replies = Vec::new();
    for (n, step) in steps.iter().enumerate() {
        let (outcome, sent) = replicas[n % 2]
            .dispatch_detached(text_update(5, step, n))
            .await;
        assert_eq!(outcome, Outcome::Handled, "step {step}");
        replies.extend(sent_texts(&sent));
    }
    assert_eq!(
        replies,
        [
            "What would you like?",
            "How many?",
            "Where to?",
            "3 × tea to Main street 1: ordered"
        ]
    );
    // Mid-form state is visible from the other replica; the finished form is gone from Redis.
    let other = RedisStorage::connect(&server.url(), "fleet_bot")
        .await
        .unwrap();
    let k = DialogueKey::of(&text_update(5, "x", 0)).unwrap();
    assert_eq!(other.get(&k).await.unwrap(), None);
    replicas[1]
        .dispatch_detached(text_update(5, "/order", 10))
        .await;
    replicas[0]
        .dispatch_detached(text_update(5, "coffee", 11))
        .await;
    let mid_form: OrderStep =
        serde_json::from_value(other.get(&k).await.unwrap().unwrap().value).unwrap();
    assert_eq!(
        mid_form,
        OrderStep::Quantity {
            product: "coffee".into()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_of_one_conversation_on_two_replicas_lose_no_increment() {
    const PER_REPLICA: usize = 150;
    let server = redis();
    let runs = Arc::new(AtomicU32::new(0));
    let replicas = [
        Arc::new(replica(&server.url(), counting_router(runs.clone())).await),
        Arc::new(replica(&server.url(), counting_router(runs.clone())).await),
    ];
    // Each replica works through its share of one user's updates in order (as its per-user lane does) while
    // the other replica does the same: the two write the same dialogue concurrently.
    let start = Arc::new(tokio::sync::Barrier::new(2));
    let tasks: Vec<_> = replicas
        .iter()
        .enumerate()
        .map(|(r, replica)| {
            let (replica, start) = (replica.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let mut replies = Vec::new();
                for i in 0..PER_REPLICA {
                    let (outcome, sent) = replica
                        .dispatch_detached(text_update(9, "+1", r * PER_REPLICA + i))
                        .await;
                    assert_eq!(outcome, Outcome::Handled);
                    replies.extend(sent_texts(&sent));
                }
                replies
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.extend(tokio::time::timeout(GUARD, task).await.unwrap().unwrap());
    }
    let total = 2 * PER_REPLICA;
    let store = RedisStorage::connect(&server.url(), "fleet_bot")
        .await
        .unwrap();
    let k = DialogueKey::of(&text_update(9, "x", 0)).unwrap();
    assert_eq!(
        store.get(&k).await.unwrap().unwrap().value["count"],
        json!(total)
    );
    // One reply per update, and every count from 1 to N was handed out exactly once.
    let mut counts: Vec<u64> = replies
        .iter()
        .map(|r| r.trim_start_matches("count ").parse().unwrap())
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=total as u64).collect::<Vec<_>>());
    let reruns = runs.load(Ordering::SeqCst) as usize - total;
    println!(
        "{total} concurrent updates of one dialogue on 2 replicas: {reruns} re-runs after a CAS conflict"
    );
}

// ---- Redis away mid-run ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_run_fails_updates_to_the_error_hook_and_recovers_after_restart() {
    let mut server = redis();
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let runs = Arc::new(AtomicU32::new(0));
    let storage = RedisStorage::connect_with(
        &server.url(),
        "fleet_bot",
        RedisOptions::default().command_timeout(Duration::from_millis(500)),
    )
    .await
    .unwrap();
    let d = Dispatcher::new(counting_router(runs.clone()))
        .storage(storage)
        .on_error({
            let errors = errors.clone();
            move |_, e| {
                assert!(
                    matches!(e, HandlerError::Storage(StorageError::Backend(_))),
                    "not a storage error: {e}"
                );
                errors.lock().unwrap().push(e.to_string());
            }
        });
    let dispatch = |n: usize| {
        let update = text_update(3, "+1", n);
        let d = &d;
        async move {
            tokio::time::timeout(GUARD, d.dispatch_detached(update))
                .await
                .expect("a storage call hung")
        }
    };
    let (outcome, sent) = dispatch(0).await;
    assert_eq!(
        (outcome, sent_texts(&sent)),
        (Outcome::Handled, vec!["count 1".to_owned()])
    );

    server.kill();
    let mut failed_for = Vec::new();
    for n in 1..=3 {
        let started = Instant::now();
        let (outcome, sent) = dispatch(n).await;
        failed_for.push(started.elapsed());
        assert_eq!(outcome, Outcome::Failed);
        assert!(
            sent.is_empty(),
            "a reply went out without its state: {sent:?}"
        );
    }
    assert_eq!(errors.lock().unwrap().len(), 3);
    println!(
        "while Redis was down each update failed after {failed_for:?}; the error hook saw: {}",
        errors.lock().unwrap()[0]
    );

    server.restart().unwrap_or_else(|e| panic!("{e}"));
    let back = Instant::now();
    let mut n = 10;
    let sent = loop {
        let (outcome, sent) = dispatch(n).await;
        if outcome == Outcome::Handled {
            break sent;
        }
        assert!(back.elapsed() < GUARD, "no recovery after Redis came back");
        n += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!(
        "recovered {:?} after the restart ({} more updates failed meanwhile)",
        back.elapsed(),
        n - 10
    );
    // The restarted Redis kept nothing (no persistence): the conversation starts over.
    assert_eq!(sent_texts(&sent), ["count 1"]);
    let (_, sent) = dispatch(100).await;
    assert_eq!(sent_texts(&sent), ["count 2"]);
}

#[test]
fn a_thread_without_a_runtime_can_use_the_store() {
    // The blocking runner calls storage from plain threads: the store must not need a runtime there.
    let server = redis();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let store = runtime
        .block_on(RedisStorage::connect(&server.url(), "blocking_bot"))
        .unwrap();
    let on_thread = std::thread::spawn(move || {
        let written = block_on(store.set(&key(1), json!("from a thread"), None)).unwrap();
        let read = block_on(store.get(&key(1))).unwrap().unwrap();
        assert_eq!(read.version, written);
        read.value
    });
    assert_eq!(on_thread.join().unwrap(), json!("from a thread"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_redis_times_out_to_the_error_hook_and_the_bot_goes_on_after() {
    let server = redis();
    let timeout = Duration::from_millis(300);
    let storage = RedisStorage::connect_with(
        &server.url(),
        "fleet_bot",
        RedisOptions::default().command_timeout(timeout),
    )
    .await
    .unwrap();
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let d = Dispatcher::new(counting_router(Arc::default()))
        .storage(storage)
        .on_error({
            let errors = errors.clone();
            move |_, e| errors.lock().unwrap().push(e.to_string())
        });
    let (outcome, _) = d.dispatch_detached(text_update(4, "+1", 0)).await;
    assert_eq!(outcome, Outcome::Handled);

    // Redis stops answering every client for a while (as a blocked or swapping server would).
    let mut admin = raw(&server.url()).await;
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(3_000)
        .arg("ALL")
        .query_async(&mut admin)
        .await
        .unwrap();
    let started = Instant::now();
    let (outcome, sent) = tokio::time::timeout(GUARD, d.dispatch_detached(text_update(4, "+1", 1)))
        .await
        .expect("a stalled Redis hung the update");
    let waited = started.elapsed();
    assert_eq!(outcome, Outcome::Failed);
    assert!(sent.is_empty());
    let seen = errors.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].contains("did not answer within 300ms"),
        "{}",
        seen[0]
    );
    println!(
        "stalled Redis: the update failed after {waited:?}; the error hook saw: {}",
        seen[0]
    );

    // Once Redis answers again the same conversation goes on where it was.
    let back = Instant::now();
    let mut n = 2;
    let sent = loop {
        let (outcome, sent) =
            tokio::time::timeout(GUARD, d.dispatch_detached(text_update(4, "+1", n)))
                .await
                .expect("hung");
        if outcome == Outcome::Handled {
            break sent;
        }
        assert!(back.elapsed() < GUARD, "no recovery after the pause");
        n += 1;
    };
    println!(
        "stalled Redis: handled again {:?} after the first failure ({} more updates failed, 3 s pause)",
        started.elapsed(),
        n - 2
    );
    assert_eq!(sent_texts(&sent), ["count 2"]);
}
