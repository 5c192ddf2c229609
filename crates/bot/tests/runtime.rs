//! The runners against the loopback sandbox: per-chat order under concurrency, the in-flight bound,
//! shutdown draining, panics, the webhook's dedup and 503, and the blocking runner. Every wait is on an event
//! (a channel, a counter, the sandbox's state); timeouts are hang guards only.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use botwire_bot::webhook::WebhookOptions;
use botwire_bot::{DispatchStats, Dispatcher, PollConfig, Router, RunError, StopHandle, filters};
use botwire_core_types::max::{ChatId, UserId};
use botwire_max::webhook::WebhookConfig;
use botwire_max::{Client, Config};
use botwire_sandbox::MaxSandbox;
use botwire_transport::{ReqwestTransport, TransportConfig, UreqTransport};
use tokio::sync::{Semaphore, mpsc};

const GUARD: Duration = Duration::from_secs(60);

fn sandbox() -> MaxSandbox {
    let s = MaxSandbox::start().unwrap();
    s.faults().limits().enforce(false);
    s
}

fn config(s: &MaxSandbox) -> Config {
    Config::new(s.token()).with_base_url(s.base_url())
}

fn client(s: &MaxSandbox) -> Client<ReqwestTransport> {
    Client::new(
        config(s),
        ReqwestTransport::new(TransportConfig::default()).unwrap(),
    )
}

fn poll() -> PollConfig {
    PollConfig::default()
        .min_interval(Duration::ZERO)
        .jitter_seed(1)
}

async fn wait_finished(stats: &Arc<DispatchStats>, n: u64) {
    let stats = stats.clone();
    let done = tokio::task::spawn_blocking(move || stats.wait_finished(n, GUARD))
        .await
        .unwrap();
    assert!(done, "the bot did not finish {n} updates");
}

fn users(s: &MaxSandbox, n: usize) -> Vec<(UserId, ChatId)> {
    (0..n)
        .map(|i| {
            let u = s.add_user(&format!("U{i}")).user_id;
            (u, s.add_dialog(u))
        })
        .collect()
}

type Log = Arc<Mutex<Vec<(i64, String)>>>;

fn per_chat(log: &Log) -> HashMap<i64, Vec<String>> {
    let mut map: HashMap<i64, Vec<String>> = HashMap::new();
    for (chat, text) in log.lock().unwrap().iter() {
        map.entry(*chat).or_default().push(text.clone());
    }
    map
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_chat_in_order_while_chats_run_concurrently() {
    let s = sandbox();
    let people = users(&s, 2);
    for i in 0..30 {
        for (u, chat) in &people {
            s.user_sends_text(*u, *chat, &i.to_string()).unwrap();
        }
    }
    let log: Log = Arc::default();
    // Both chats' first updates wait for each other: a runtime that serialised chats would hang here.
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let router = Router::new().on_async(filters::text(), {
        let (log, barrier) = (log.clone(), barrier.clone());
        move |ctx| {
            let (log, barrier) = (log.clone(), barrier.clone());
            async move {
                let text = ctx.text().unwrap_or_default().to_owned();
                if text == "0" {
                    barrier.wait().await;
                }
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
                log.lock()
                    .unwrap()
                    .push((ctx.chat_id().map_or(0, |c| c.0), text));
                Ok(())
            }
        }
    });
    let d = Dispatcher::new(router);
    let stats = d.stats();
    let stop = StopHandle::new();
    let run = tokio::spawn(d.run_polling(client(&s), poll(), stop.clone()));
    wait_finished(&stats, 60).await;
    stop.stop();
    run.await.unwrap().unwrap();
    let expected: Vec<String> = (0..30).map(|i| i.to_string()).collect();
    for (_, chat) in &people {
        assert_eq!(per_chat(&log)[&chat.0], expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_in_flight_is_bounded() {
    let s = sandbox();
    let people = users(&s, 12);
    for (u, chat) in &people {
        s.user_sends_text(*u, *chat, "hi").unwrap();
    }
    let gate = Arc::new(Semaphore::new(0));
    let (current, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let router = Router::new().on_async(filters::text(), {
        let (gate, current, max) = (gate.clone(), current.clone(), max.clone());
        move |_ctx| {
            let (gate, current, max, started_tx) = (
                gate.clone(),
                current.clone(),
                max.clone(),
                started_tx.clone(),
            );
            async move {
                let now = current.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                let _ = started_tx.send(());
                gate.acquire().await?.forget();
                current.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            }
        }
    });
    let d = Dispatcher::new(router).max_in_flight(3);
    let stats = d.stats();
    let stop = StopHandle::new();
    let run = tokio::spawn(d.run_polling(client(&s), poll(), stop.clone()));
    for _ in 0..3 {
        tokio::time::timeout(GUARD, started.recv()).await.unwrap();
    }
    assert_eq!(current.load(Ordering::SeqCst), 3);
    gate.add_permits(12);
    wait_finished(&stats, 12).await;
    stop.stop();
    run.await.unwrap().unwrap();
    assert_eq!(
        max.load(Ordering::SeqCst),
        3,
        "never more than max_in_flight handlers at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_handler_in_flight_finish() {
    let s = sandbox();
    let people = users(&s, 1);
    let (u, chat) = people[0];
    s.user_sends_text(u, chat, "slow").unwrap();
    let gate = Arc::new(Semaphore::new(0));
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let router = Router::new().on_async(filters::text(), {
        let gate = gate.clone();
        move |ctx| {
            let (gate, started_tx) = (gate.clone(), started_tx.clone());
            async move {
                let _ = started_tx.send(());
                gate.acquire().await?.forget();
                ctx.reply("done after the stop")?;
                Ok(())
            }
        }
    });
    let stop = StopHandle::new();
    let run = tokio::spawn(Dispatcher::new(router).run_polling(client(&s), poll(), stop.clone()));
    tokio::time::timeout(GUARD, started.recv()).await.unwrap();
    stop.stop();
    gate.add_permits(1);
    let summary = run.await.unwrap().unwrap();
    assert_eq!(summary.abandoned, 0);
    let texts: Vec<_> = s
        .world()
        .messages(chat)
        .iter()
        .filter_map(|m| m.message.text().map(str::to_owned))
        .collect();
    assert_eq!(texts, ["slow", "done after the stop"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_deadline_cancels_a_handler_that_never_ends() {
    let s = sandbox();
    let (u, chat) = users(&s, 1)[0];
    s.user_sends_text(u, chat, "stuck").unwrap();
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let router = Router::new().on_async(filters::text(), move |_ctx| {
        let started_tx = started_tx.clone();
        async move {
            let _ = started_tx.send(());
            std::future::pending::<()>().await;
            Ok(())
        }
    });
    let stop = StopHandle::new();
    let d = Dispatcher::new(router).shutdown_deadline(Duration::from_millis(100));
    let run = tokio::spawn(d.run_polling(client(&s), poll(), stop.clone()));
    tokio::time::timeout(GUARD, started.recv()).await.unwrap();
    stop.stop();
    assert_eq!(run.await.unwrap().unwrap().abandoned, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_does_not_stop_the_polling_bot() {
    let s = sandbox();
    let (u, chat) = users(&s, 1)[0];
    for t in ["boom", "ok"] {
        s.user_sends_text(u, chat, t).unwrap();
    }
    let router = Router::new()
        .on(filters::text_eq("boom"), |_| panic!("handler bug"))
        .on(filters::text(), |ctx| ctx.reply("still here"));
    let d = Dispatcher::new(router);
    let stats = d.stats();
    let stop = StopHandle::new();
    let run = tokio::spawn(d.run_polling(client(&s), poll(), stop.clone()));
    wait_finished(&stats, 2).await;
    stop.stop();
    run.await.unwrap().unwrap();
    assert_eq!((stats.failed(), stats.handled()), (1, 1));
    assert_eq!(
        s.world()
            .messages(chat)
            .last()
            .and_then(|m| m.message.text()),
        Some("still here")
    );
}

fn delivery(chat: i64, text: &str) -> String {
    serde_json::json!({
        "update_type": "message_created", "timestamp": 1,
        "message": {
            "sender": {"user_id": chat, "first_name": "W", "is_bot": false},
            "recipient": {"chat_id": chat, "chat_type": "dialog"}, "timestamp": 1,
            "body": {"mid": format!("mid.{chat}.{text}"), "seq": 1, "text": text}
        }
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_dedups_redeliveries_and_answers_503_when_full() {
    let s = sandbox();
    let gate = Arc::new(Semaphore::new(0));
    let log: Log = Arc::default();
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let router = Router::new().on_async(filters::text(), {
        let (gate, log) = (gate.clone(), log.clone());
        move |ctx| {
            let (gate, log, started_tx) = (gate.clone(), log.clone(), started_tx.clone());
            async move {
                let _ = started_tx.send(());
                gate.acquire().await?.forget();
                log.lock().unwrap().push((
                    ctx.chat_id().map_or(0, |c| c.0),
                    ctx.text().unwrap_or_default().to_owned(),
                ));
                Ok(())
            }
        }
    });
    let d = Dispatcher::new(router).max_in_flight(1);
    let stats = d.stats();
    let options = WebhookOptions::new(WebhookConfig::with_secret("s3cret_1")).queue_capacity(1);
    let app = d.webhook_app(client(&s), options).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, app.router()).into_future());
    // The platform's side of the webhook, on the SDK's own HTTP backend.
    let http = Arc::new(ReqwestTransport::new(TransportConfig::default()).unwrap());
    let post = |body: String, secret: &'static str| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let request = http::Request::post(url)
                .header("x-max-bot-api-secret", secret)
                .body(body.into_bytes())
                .unwrap();
            botwire_max::AsyncTransport::execute(&*http, request)
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(post(delivery(1, "a"), "wrong").await, 401);
    assert_eq!(post(delivery(1, "a"), "s3cret_1").await, 200);
    tokio::time::timeout(GUARD, started.recv()).await.unwrap(); // a runs (and holds the only slot)
    assert_eq!(post(delivery(2, "b"), "s3cret_1").await, 200);
    // b leaves the queue for the scheduler, where it waits for the slot.
    tokio::time::timeout(GUARD, async {
        while app.queued() != 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    assert_eq!(post(delivery(3, "c"), "s3cret_1").await, 200); // fills the queue
    assert_eq!(post(delivery(4, "d"), "s3cret_1").await, 503); // saturated: MAX will redeliver
    assert_eq!(post(delivery(1, "a"), "s3cret_1").await, 200); // a redelivery of a: acknowledged, dropped
    gate.add_permits(100);
    wait_finished(&stats, 3).await;
    assert_eq!(post(delivery(4, "d"), "s3cret_1").await, 200); // the redelivery after the 503 is handled
    assert_eq!(post(delivery(1, "a"), "s3cret_1").await, 200); // again a duplicate
    assert_eq!(post(delivery(5, "e"), "s3cret_1").await, 200);
    wait_finished(&stats, 5).await;
    server.abort();
    let summary = app.shutdown().await;
    assert_eq!(summary.received, 5);
    let mut handled: Vec<String> = log.lock().unwrap().iter().map(|(_, t)| t.clone()).collect();
    handled.sort();
    assert_eq!(handled, ["a", "b", "c", "d", "e"]);
}

fn blocking_client(s: &MaxSandbox) -> botwire_max::blocking::Client<UreqTransport> {
    botwire_max::blocking::Client::new(config(s), UreqTransport::new(TransportConfig::default()))
}

#[test]
fn blocking_runner_keeps_chat_order_runs_chats_in_parallel_and_survives_panics() {
    let s = sandbox();
    let people = users(&s, 2);
    for i in 0..20 {
        for (u, chat) in &people {
            s.user_sends_text(*u, *chat, &i.to_string()).unwrap();
        }
    }
    s.user_sends_text(people[0].0, people[0].1, "boom").unwrap();
    let log: Log = Arc::default();
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let router = Router::new()
        .on(filters::text_eq("boom"), |_| panic!("blocking handler bug"))
        .on(filters::text(), {
            let (log, barrier) = (log.clone(), barrier.clone());
            move |ctx| {
                let text = ctx.text().unwrap_or_default().to_owned();
                if text == "0" {
                    barrier.wait(); // both chats at once, or this hangs
                }
                log.lock()
                    .unwrap()
                    .push((ctx.chat_id().map_or(0, |c| c.0), text.clone()));
                ctx.reply(format!("got {text}"))
            }
        });
    let d = Dispatcher::new(router).blocking_workers(2);
    let stats = d.stats();
    let stop = StopHandle::new();
    let client = blocking_client(&s);
    let run = {
        let stop = stop.clone();
        std::thread::spawn(move || d.run_blocking(client, poll().timeout_secs(1), stop))
    };
    assert!(stats.wait_finished(41, GUARD));
    stop.stop();
    run.join().unwrap().unwrap();
    assert_eq!((stats.handled(), stats.failed()), (40, 1));
    let expected: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    for (_, chat) in &people {
        assert_eq!(per_chat(&log)[&chat.0], expected);
        let replies = s
            .world()
            .messages(*chat)
            .iter()
            .filter(|m| m.message.text().is_some_and(|t| t.starts_with("got ")))
            .count();
        assert_eq!(replies, 20);
    }
}

#[test]
fn blocking_runner_refuses_async_handlers() {
    let s = sandbox();
    let router = Router::new()
        .nest(Router::named("shop").on_async(filters::text(), |_ctx| async { Ok(()) }));
    let err = Dispatcher::new(router)
        .run_blocking(blocking_client(&s), poll(), StopHandle::new())
        .unwrap_err();
    assert!(
        matches!(&err, RunError::AsyncHandlers(names) if names == "shop"),
        "{err}"
    );
}

#[test]
fn blocking_runner_drains_the_handler_in_flight_on_shutdown() {
    let s = sandbox();
    let (u, chat) = users(&s, 1)[0];
    s.user_sends_text(u, chat, "slow").unwrap();
    let (started_tx, started) = std::sync::mpsc::channel();
    let (release_tx, release) = std::sync::mpsc::channel::<()>();
    let release = Mutex::new(release);
    let router = Router::new().on(filters::text(), move |ctx| {
        let _ = started_tx.send(());
        let _ = release.lock().unwrap().recv_timeout(GUARD);
        ctx.reply("done after the stop")
    });
    let stop = StopHandle::new();
    let d = Dispatcher::new(router).blocking_workers(1);
    let client = blocking_client(&s);
    let run = {
        let stop = stop.clone();
        std::thread::spawn(move || d.run_blocking(client, poll().timeout_secs(1), stop))
    };
    started.recv_timeout(GUARD).unwrap();
    stop.stop();
    release_tx.send(()).unwrap();
    let summary = run.join().unwrap().unwrap();
    assert_eq!(summary.abandoned, 0);
    assert_eq!(
        s.world()
            .messages(chat)
            .last()
            .and_then(|m| m.message.text()),
        Some("done after the stop")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_whose_handler_never_finished_comes_again_after_a_restart() {
    let s = sandbox();
    let (u, chat) = users(&s, 1)[0];
    s.user_sends_text(u, chat, "important").unwrap();
    // First process: the handler hangs, the shutdown deadline cancels it (as a crash would end it).
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let hanging = Router::new().on_async(filters::text(), move |_ctx| {
        let started_tx = started_tx.clone();
        async move {
            let _ = started_tx.send(());
            std::future::pending::<()>().await;
            Ok(())
        }
    });
    let stop = StopHandle::new();
    let first = Dispatcher::new(hanging).shutdown_deadline(Duration::from_millis(50));
    let run = tokio::spawn(first.run_polling(client(&s), poll(), stop.clone()));
    tokio::time::timeout(GUARD, started.recv()).await.unwrap();
    stop.stop();
    assert_eq!(run.await.unwrap().unwrap().abandoned, 1);
    // Second process, from the server's committed position: the batch was never committed.
    let second =
        Dispatcher::new(Router::new().on(filters::text(), |ctx| ctx.reply("handled on restart")));
    let stats = second.stats();
    let stop = StopHandle::new();
    let run = tokio::spawn(second.run_polling(client(&s), poll(), stop.clone()));
    wait_finished(&stats, 1).await;
    stop.stop();
    run.await.unwrap().unwrap();
    assert_eq!(
        s.world()
            .messages(chat)
            .last()
            .and_then(|m| m.message.text()),
        Some("handled on restart")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_shutdown_does_not_hang_on_a_stuck_handler() {
    let s = sandbox();
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let router = Router::new().on_async(filters::text(), move |_ctx| {
        let started_tx = started_tx.clone();
        async move {
            let _ = started_tx.send(());
            std::future::pending::<()>().await;
            Ok(())
        }
    });
    let d = Dispatcher::new(router)
        .max_in_flight(1)
        .shutdown_deadline(Duration::from_millis(100));
    let options = WebhookOptions::new(WebhookConfig::without_secret()).queue_capacity(4);
    let app = d.webhook_app(client(&s), options).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, app.router()).into_future());
    let http = ReqwestTransport::new(TransportConfig::default()).unwrap();
    for (chat, text) in [(1, "a"), (2, "b"), (3, "c")] {
        let request = http::Request::post(url.clone())
            .body(delivery(chat, text).into_bytes())
            .unwrap();
        let status = botwire_max::AsyncTransport::execute(&http, request)
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    tokio::time::timeout(GUARD, started.recv()).await.unwrap();
    server.abort();
    let summary = tokio::time::timeout(GUARD, app.shutdown()).await.unwrap();
    assert_eq!((summary.received, summary.abandoned), (3, 3));
}
