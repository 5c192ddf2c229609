//! `POST /messages` through the default client stack (`Retry<Throttle<backend>>` with the MAX preset) on both
//! backends: a burst of 1,000 sends as fast as the user calls, against a sandbox enforcing the same limits; and
//! sends and reads under ~10 % seeded faults. Every assertion counts (sandbox counters and world); none measures
//! wall-clock time.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use botwire_core_types::max::{ChatId, Message, NewMessageBody};
use botwire_sandbox::max::BotRole;
use botwire_sandbox::{Fault, MaxSandbox};
use botwire_tests::*;
use botwire_transport::{
    Delivery, ReqwestTransport, Retry, RetryPolicy, Throttle, ThrottleConfig, UreqTransport,
};

/// Both sides run this many times faster than the real limits: per chat 2 per 100 ms, the bot 30 per 100 ms.
/// The client keeps its unscaled 5 ms margin: two of a chat's messages leave at least 105 ms (plus the answer's
/// latency) after the two before them, so 100 messages per chat take about 5.5 s instead of 50 s. The throttle's
/// window bound (a request waits for the answers `N` places back) keeps this at 0 × 429 when the CPU is busy.
const SCALE: f64 = 10.0;

/// The default stack of `Client::with_config`, with the MAX preset scaled like the sandbox and the default retry
/// policy whose backoff (1 s doubling up to 30 s) is scaled by the same factor.
fn default_policy() -> RetryPolicy {
    RetryPolicy::default().backoff(
        Duration::from_secs(1).div_f64(SCALE),
        Duration::from_secs(30).div_f64(SCALE),
    )
}

fn blocking_client(sb: &MaxSandbox) -> max::blocking::Client<Retry<Throttle<UreqTransport>>> {
    max::blocking::Client::new(
        max_config(sb),
        Retry::new(
            Throttle::new(
                UreqTransport::new(test_transport_config()),
                ThrottleConfig::max().scale(SCALE),
            ),
            default_policy(),
        ),
    )
}

fn async_client(sb: &MaxSandbox) -> max::Client<Retry<Throttle<ReqwestTransport>>> {
    max::Client::new(
        max_config(sb),
        Retry::new(
            Throttle::new(reqwest_transport(), ThrottleConfig::max().scale(SCALE)),
            default_policy(),
        ),
    )
}

/// A sandbox with `chats` group chats where the bot is a full admin.
fn sandbox_with_chats(chats: usize) -> (MaxSandbox, Vec<ChatId>) {
    let sb = MaxSandbox::start().unwrap();
    let owner = sb.add_user("Owner");
    let ids = (0..chats)
        .map(|i| sb.add_group_chat(&format!("Chat {i}"), owner.user_id, BotRole::full_admin()))
        .collect();
    (sb, ids)
}

/// `per_chat` unique texts for every chat, interleaved (message `i` goes to chat `i % chats`).
fn plan(chats: &[ChatId], per_chat: usize) -> Vec<(ChatId, String)> {
    (0..chats.len() * per_chat)
        .map(|i| {
            let c = i % chats.len();
            (chats[c], format!("chat {c} message {:03}", i / chats.len()))
        })
        .collect()
}

/// The texts stored in `chat`, sorted.
fn stored_texts(sb: &MaxSandbox, chat: ChatId) -> Vec<String> {
    let mut texts: Vec<String> = sb
        .world()
        .messages(chat)
        .iter()
        .map(|m| m.message.text().unwrap().to_owned())
        .collect();
    texts.sort();
    texts
}

// ------------------------------------------------------------------------------------ 1,000 messages, 0 × 429

const LOAD_CHATS: usize = 10;
const LOAD_PER_CHAT: usize = 100;

fn load_sandbox() -> (MaxSandbox, Vec<ChatId>) {
    let (sb, chats) = sandbox_with_chats(LOAD_CHATS);
    sb.faults().limits().enforce(true).scale(SCALE);
    (sb, chats)
}

/// Every call returned the message it sent; every chat holds exactly its texts, once each; the server refused
/// nothing and saw each send exactly once.
fn assert_all_delivered_once(
    sb: &MaxSandbox,
    chats: &[ChatId],
    plan: &[(ChatId, String)],
    results: Vec<Result<Message, max::Error>>,
) {
    assert_eq!(results.len(), plan.len());
    for (i, (result, (chat, text))) in results.into_iter().zip(plan).enumerate() {
        let message = result.unwrap_or_else(|e| panic!("send {i}: {e}"));
        assert_eq!(message.text(), Some(text.as_str()), "send {i}");
        assert_eq!(message.chat_id(), Some(*chat), "send {i}");
    }
    for chat in chats {
        let mut expected: Vec<String> = plan
            .iter()
            .filter(|(c, _)| c == chat)
            .map(|(_, t)| t.clone())
            .collect();
        expected.sort();
        assert_eq!(expected.len(), LOAD_PER_CHAT);
        assert_eq!(stored_texts(sb, *chat), expected, "chat {chat}");
    }
    let stats = sb.stats();
    assert_eq!(stats.rate_limited(), 0);
    assert_eq!(stats.status(429), 0);
    assert!(
        !stats.by_status().contains_key(&429),
        "{:?}",
        stats.by_status()
    );
    assert_eq!(stats.injected(), 0);
    assert_eq!(stats.route("POST /messages"), plan.len() as u64);
    assert_eq!(
        stats.by_status(),
        BTreeMap::from([(200, plan.len() as u64)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_1000_concurrent_sends_to_10_chats_get_no_429_and_arrive_once() {
    let (sb, chats) = load_sandbox();
    let client = async_client(&sb);
    let plan = plan(&chats, LOAD_PER_CHAT);
    // All 1,000 calls issued at once: the throttle alone spaces them.
    let results = futures_util::future::join_all(
        plan.iter()
            .map(|(chat, text)| client.send_message(*chat, NewMessageBody::text(text.clone()))),
    )
    .await;
    assert_all_delivered_once(&sb, &chats, &plan, results);
}

#[test]
fn ureq_1000_sends_from_10_threads_to_10_chats_get_no_429_and_arrive_once() {
    const THREADS: usize = 10;
    let (sb, chats) = load_sandbox();
    let client = blocking_client(&sb);
    let plan = plan(&chats, LOAD_PER_CHAT);
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Message, max::Error>>> =
        (0..plan.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some((chat, text)) = plan.get(i) else {
                            return done;
                        };
                        done.push((
                            i,
                            client.send_message(*chat, NewMessageBody::text(text.clone())),
                        ));
                    }
                })
            })
            .collect();
        for worker in workers {
            for (i, result) in worker.join().unwrap() {
                results[i] = Some(result);
            }
        }
    });
    let results = results.into_iter().map(Option::unwrap).collect();
    assert_all_delivered_once(&sb, &chats, &plan, results);
}

// ------------------------------------------------------------------------------------ ~10 % faults

const FAULT_CHATS: usize = 10;
const FAULT_PER_CHAT: usize = 20;
const FAULT_SEED: u64 = 2026;

/// Every kind of fault, 5xx both before and after the handler.
fn fault_mix() -> Vec<Fault> {
    let mut kinds = Fault::all_kinds();
    kinds.push(Fault::StatusAfterHandler(
        500,
        r#"{"code":"internal.error","message":"injected after handling"}"#.into(),
    ));
    kinds.push(Fault::StatusAfterHandler(
        502,
        r#"{"code":"bad.gateway","message":"injected after handling"}"#.into(),
    ));
    kinds
}

/// No rate limits on the server: a 429 from a limit would add a request and shift the seeded fault sequence. The
/// calls are sequential, so the faults each request gets are the same on every run and on both backends.
fn faulty_sandbox() -> std::io::Result<(MaxSandbox, Vec<ChatId>)> {
    let (sb, chats) = sandbox_with_chats(FAULT_CHATS);
    sb.faults().at_rate(FAULT_SEED, 0.10, fault_mix());
    Ok((sb, chats))
}

fn faulty_blocking(
    setup: &(MaxSandbox, Vec<ChatId>),
) -> max::blocking::Client<Retry<Throttle<UreqTransport>>> {
    blocking_client(&setup.0)
}

fn faulty_async(
    setup: &(MaxSandbox, Vec<ChatId>),
) -> max::Client<Retry<Throttle<ReqwestTransport>>> {
    async_client(&setup.0)
}

/// An error that proves the server did not process the request: it refused it (429, 4xx) or never got it.
fn proves_not_processed(e: &max::Error) -> bool {
    match e {
        max::Error::RateLimited { .. } => true,
        max::Error::Api(api) => api.status.is_client_error(),
        max::Error::Transport(t) => t.delivery() == Delivery::NotSent,
        _ => false,
    }
}

/// How each send ended.
#[derive(Debug, Default)]
struct Sends {
    /// Returned the message.
    ok: Vec<String>,
    /// `outcome_unknown()`: may or may not have been processed (dropped after sending, or a 5xx answer).
    unknown: Vec<String>,
    /// Refused or never sent: not processed.
    not_processed: Vec<String>,
    /// A 2xx answer whose body did not decode (malformed JSON): the server processed it.
    undecodable_2xx: Vec<String>,
}

/// A read the caller repeats until it succeeds. The retry layer rides out transport faults; the caller repeats
/// what only it can judge (a `200` with malformed JSON) and anything transient that outlasted the retries.
macro_rules! read_until_ok {
    ($call:expr, $repeats:ident) => {{
        let mut tries = 0;
        loop {
            tries += 1;
            match $call {
                Ok(v) => break v,
                Err(e) => {
                    assert!(
                        matches!(e, max::Error::Decode { status: 200, .. }) || e.is_retryable(),
                        "read failed for good: {e}"
                    );
                    assert!(tries < 10, "read still failing after {tries} tries: {e}");
                    $repeats += 1;
                }
            }
        }
    }};
}

both_backends!(
    sends_and_reads_under_ten_percent_faults,
    faulty_sandbox,
    faulty_blocking,
    faulty_async,
    |setup, client| {
        let (sb, chats) = &setup;
        let plan = plan(chats, FAULT_PER_CHAT);
        let mut sends = Sends::default();
        let mut read_repeats = 0u32;
        let mut reads = 0u32;
        for (i, (chat, text)) in plan.iter().enumerate() {
            let result = run!(client.send_message(*chat, NewMessageBody::text(text.clone())));
            let bucket = match &result {
                Ok(m) => {
                    assert_eq!(m.text(), Some(text.as_str()));
                    &mut sends.ok
                }
                Err(e) if e.outcome_unknown() => &mut sends.unknown,
                Err(e) if proves_not_processed(e) => &mut sends.not_processed,
                Err(max::Error::Decode { status, .. }) if (200..300).contains(status) => {
                    &mut sends.undecodable_2xx
                }
                Err(e) => panic!("send {i}: unexpected error {e:?}"),
            };
            bucket.push(text.clone());
            if i % 4 == 3 {
                let me = read_until_ok!(run!(client.get_me()), read_repeats);
                assert_eq!(me.first_name, "Sandbox Bot");
                reads += 1;
            }
        }
        // Reads of every chat, compared with what the sandbox holds.
        for chat in chats {
            let list = read_until_ok!(
                run!(client.get_messages(max::endpoints::GetMessages::in_chat(*chat).count(100))),
                read_repeats
            );
            reads += 1;
            let mut read: Vec<String> = list
                .messages
                .iter()
                .map(|m| m.text().unwrap().to_owned())
                .collect();
            read.sort();
            assert_eq!(read, stored_texts(sb, *chat), "chat {chat}");
        }

        // Every text at most once in the whole sandbox, and only in its own chat.
        let mut stored: BTreeMap<String, usize> = BTreeMap::new();
        for (c, chat) in chats.iter().enumerate() {
            for text in stored_texts(sb, *chat) {
                assert!(
                    text.starts_with(&format!("chat {c} ")),
                    "{text} in chat {c}"
                );
                *stored.entry(text).or_default() += 1;
            }
        }
        let duplicated: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
        assert!(duplicated.is_empty(), "duplicated writes: {duplicated:?}");
        let present = |texts: &[String]| texts.iter().filter(|t| stored.contains_key(*t)).count();
        assert_eq!(
            present(&sends.ok),
            sends.ok.len(),
            "every Ok send is stored"
        );
        assert_eq!(
            present(&sends.undecodable_2xx),
            sends.undecodable_2xx.len(),
            "a 2xx was processed"
        );
        assert_eq!(present(&sends.not_processed), 0, "refused sends are absent");
        let unknown_stored = present(&sends.unknown);
        assert_eq!(
            stored.len(),
            sends.ok.len() + sends.undecodable_2xx.len() + unknown_stored,
            "nothing stored that no call accounts for"
        );
        assert_eq!(
            sends.ok.len()
                + sends.unknown.len()
                + sends.not_processed.len()
                + sends.undecodable_2xx.len(),
            plan.len()
        );

        // The sandbox's own counters: faults were injected, attempts of writes that failed for good were not
        // repeated (a failed send cost one POST, or more only when 429s were ridden out first), and every extra
        // request is accounted for by a fault.
        let stats = sb.stats();
        let posts = stats.route("POST /messages");
        let failed = sends.unknown.len() + sends.undecodable_2xx.len();
        assert!(sends.ok.len() > plan.len() / 2, "{sends:?}");
        assert!(
            !sends.unknown.is_empty(),
            "the faults must produce unknown outcomes"
        );
        assert!(
            stats.injected() >= 20,
            "faults injected: {}",
            stats.injected()
        );
        assert!(stats.dropped() > 0);
        assert!(posts >= plan.len() as u64);
        let requests = posts + stats.route("GET /me") + stats.route("GET /messages");
        assert_eq!(requests, stats.requests(), "{:?}", stats.by_route());
        assert!(
            requests <= u64::from(reads + read_repeats) + plan.len() as u64 + stats.injected(),
            "every repeated request answers a fault"
        );
        println!(
            "sends {}: ok {}, outcome unknown {} (stored {}), not processed {}, undecodable 2xx {}, \
             failed for good {failed}; POST /messages {posts}; reads {reads} \
             (+{read_repeats} caller repeats); requests {requests}, faults injected {}, dropped {}; \
             statuses {:?}",
            plan.len(),
            sends.ok.len(),
            sends.unknown.len(),
            unknown_stored,
            sends.not_processed.len(),
            sends.undecodable_2xx.len(),
            stats.injected(),
            stats.dropped(),
            stats.by_status(),
        );
    }
);
