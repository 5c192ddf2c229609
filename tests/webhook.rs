//! Webhooks: the delivery parser on the real webhook bodies (snapshotted), the axum router's answers to right,
//! wrong, missing, oversized and non-JSON deliveries, and the sandbox pushing updates to it with retries.
//! Slow and hostile clients: `webhook_hardening.rs`.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use botwire_core_types::max::Update;
use botwire_max::webhook::{
    Delivery, Rejection, ServerLimits, WebhookConfig, check_headers, delivery_router, parse_body,
    parse_delivery, router, serve as serve_webhook,
};
use botwire_sandbox::MaxSandbox;
use botwire_sandbox::updates::WebhookTarget;
use botwire_tests::fixture;
use botwire_transport::{BlockingTransport, UreqTransport};
use tokio::sync::mpsc;

const SECRET: &str = "webhook_Secret-123";

fn headers(secret: Option<&str>) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    if let Some(s) = secret {
        h.insert("x-max-bot-api-secret", s.parse().unwrap());
    }
    h
}

#[test]
fn real_deliveries_decode() {
    let cfg = WebhookConfig::with_secret(SECRET);
    let mut decoded = Vec::new();
    for file in [
        "webhook.bot_started.json",
        "webhook.message_callback.json",
        "webhook.message_created.json",
    ] {
        let body = fixture(&format!("max/go-client-stabs/{file}"));
        decoded.push(parse_delivery(&headers(Some(SECRET)), &body, &cfg).unwrap());
    }
    insta::assert_debug_snapshot!(decoded);
}

#[test]
fn rejections() {
    let cfg = WebhookConfig::with_secret(SECRET).max_body_bytes(2048);
    let body = fixture("max/go-client-stabs/webhook.bot_started.json");
    assert_eq!(
        parse_delivery(&headers(None), &body, &cfg),
        Err(Rejection::MissingSecret)
    );
    assert_eq!(
        parse_delivery(&headers(Some("webhook_Secret-124")), &body, &cfg),
        Err(Rejection::WrongSecret)
    );
    let big = vec![b' '; 4096];
    assert_eq!(
        parse_delivery(&headers(Some(SECRET)), &big, &cfg),
        Err(Rejection::TooLarge {
            size: 4096,
            limit: 2048
        })
    );
    let err = parse_delivery(&headers(Some(SECRET)), b"<xml/>", &cfg).unwrap_err();
    assert_eq!(err.status(), 400);
    // The two steps: the same body passes the headers and comes out malformed, bytes and cause kept.
    assert_eq!(check_headers(&headers(Some(SECRET)), &cfg), Ok(()));
    let Delivery::Malformed(m) = parse_body(b"<xml/>", &cfg).unwrap() else {
        panic!("not malformed")
    };
    assert_eq!(m.body, b"<xml/>");
    assert!(
        m.error.to_string().contains("line 1 column 1"),
        "{}",
        m.error
    );
    let mut announced = headers(Some(SECRET));
    announced.insert("content-length", "4096".parse().unwrap());
    assert_eq!(
        check_headers(&announced, &cfg),
        Err(Rejection::TooLarge {
            size: 4096,
            limit: 2048
        })
    );
    let unknown = br#"{"update_type":"message_reaction","timestamp":1}"#;
    assert!(matches!(
        parse_delivery(&headers(Some(SECRET)), unknown, &cfg),
        Ok(Update::Unknown(_))
    ));
    assert!(parse_delivery(&headers(None), unknown, &WebhookConfig::without_secret()).is_ok());
}

/// Serves the delivery router with `webhook::serve` on loopback; returns its URL and the channel the handler
/// feeds.
async fn serve(cfg: WebhookConfig) -> (String, mpsc::UnboundedReceiver<Delivery>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = delivery_router(cfg, move |delivery| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(delivery);
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(serve_webhook(listener, app, ServerLimits::default()));
    (url, rx)
}

/// The update-only router under plain `axum::serve` still works as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_router_under_axum_serve() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let app = router(WebhookConfig::with_secret(SECRET), move |update: Update| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(update);
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let good = fixture("max/go-client-stabs/webhook.message_created.json");
    let statuses = tokio::task::spawn_blocking(move || {
        [
            raw_post(&url, Some(SECRET), b"not json".to_vec()),
            raw_post(&url, Some(SECRET), good),
        ]
    })
    .await
    .unwrap();
    // The malformed one is answered 200 and only logged by this router; the update arrives.
    assert_eq!(statuses, [200, 200]);
    assert_eq!(rx.recv().await.unwrap().kind(), "message_created");
    assert!(rx.try_recv().is_err());
}

fn raw_post(url: &str, secret: Option<&str>, body: Vec<u8>) -> u16 {
    let mut req = http::Request::post(url).header("content-type", "application/json");
    if let Some(s) = secret {
        req = req.header("x-max-bot-api-secret", s);
    }
    let transport = UreqTransport::new(botwire_tests::test_transport_config());
    transport
        .execute(req.body(body).unwrap())
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_answers_each_case() {
    let (url, mut rx) = serve(WebhookConfig::with_secret(SECRET).max_body_bytes(4096)).await;
    let good = fixture("max/go-client-stabs/webhook.message_created.json");
    let u = url.clone();
    let statuses = tokio::task::spawn_blocking(move || {
        [
            raw_post(&u, Some(SECRET), good.clone()),
            raw_post(&u, Some("wrong_secret"), good.clone()),
            raw_post(&u, None, good.clone()),
            raw_post(&u, Some(SECRET), vec![b'{'; 10_000]),
            raw_post(&u, Some(SECRET), b"not json".to_vec()),
            raw_post(
                &u,
                Some(SECRET),
                br#"{"update_type":"future_event","timestamp":3}"#.to_vec(),
            ),
        ]
    })
    .await
    .unwrap();
    // An undecodable body with the right secret is answered 200 and handed on as malformed.
    assert_eq!(statuses, [200, 401, 401, 413, 200, 200]);
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(rx.recv().await.unwrap());
    }
    // The handlers run on spawned tasks: their order is not the order of the answers.
    assert!(
        got.iter()
            .any(|d| matches!(d, Delivery::Update(u) if u.kind() == "message_created"))
    );
    assert!(
        got.iter()
            .any(|d| matches!(d, Delivery::Update(Update::Unknown(_))))
    );
    assert!(
        got.iter()
            .any(|d| d.malformed().is_some_and(|m| m.body == b"not json"))
    );
    assert!(
        rx.try_recv().is_err(),
        "rejected deliveries never reach the handler"
    );
    let get = tokio::task::spawn_blocking(move || {
        let transport = UreqTransport::new(botwire_tests::test_transport_config());
        transport
            .execute(http::Request::get(&url).body(Vec::new()).unwrap())
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(get.await.unwrap(), 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_delivers_to_the_router() {
    let sb = MaxSandbox::start().unwrap();
    let (url, mut rx) = serve(WebhookConfig::with_secret(SECRET)).await;
    sb.updates().set_webhook(Some(WebhookTarget {
        url,
        secret: Some(SECRET.into()),
        retries: 3,
        first_retry: Duration::from_millis(5),
    }));
    for i in 0..20 {
        sb.updates().push_json(format!(
            r#"{{"update_type":"message_removed","timestamp":{i},"message_id":"m{i}","chat_id":1,"user_id":2}}"#
        ));
    }
    for i in 0..20 {
        let u = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap()
            .update()
            .unwrap();
        assert_eq!(u.timestamp(), i);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_retries_failed_deliveries() {
    // A receiver that fails the first two attempts.
    let attempts = Arc::new(AtomicUsize::new(0));
    let seen = attempts.clone();
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(move |headers: http::HeaderMap| {
            let seen = seen.clone();
            async move {
                assert_eq!(headers["x-max-bot-api-secret"], SECRET);
                if seen.fetch_add(1, Ordering::SeqCst) < 2 {
                    http::StatusCode::SERVICE_UNAVAILABLE
                } else {
                    http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let sb = MaxSandbox::start().unwrap();
    sb.updates().set_webhook(Some(WebhookTarget {
        url,
        secret: Some(SECRET.into()),
        retries: 10,
        first_retry: Duration::from_millis(2),
    }));
    sb.updates().push_json(r#"{"update_type":"message_removed","timestamp":1,"message_id":"m","chat_id":1,"user_id":2}"#);
    for _ in 0..500 {
        if sb.updates().delivered() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(sb.updates().delivered(), 1);
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    assert_eq!(sb.updates().pending(), 0);
}
