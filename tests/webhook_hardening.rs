//! The webhook server against slow and hostile clients, over raw loopback sockets: trickled headers and
//! unauthenticated slow bodies are closed by `webhook::serve` within its timeouts, the secret is refused before
//! the body is read, a duplicated secret and a non-JSON Content-Type are refused, connections above the bound
//! wait, an undecodable delivery reaches the handler as `Delivery::Malformed` with a 200, and the server shuts
//! down gracefully.
//!
//! Timeouts are short (hundreds of ms) so the test is quick; every wait on the server is bounded by a generous
//! hang guard only, never by a tight deadline.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::net::SocketAddr;
use std::time::Duration;

use botwire_max::webhook::{
    Delivery, ServerLimits, WebhookConfig, delivery_router, serve_with_shutdown,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

const SECRET: &str = "hardening_Secret-1";
/// Hang guard: a server that never closes fails the test here, however loaded the machine.
const GUARD: Duration = Duration::from_secs(60);
const GOOD: &str =
    r#"{"update_type":"message_removed","timestamp":7,"message_id":"m1","chat_id":1,"user_id":2}"#;

struct Server {
    addr: SocketAddr,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(limits: ServerLimits) -> Server {
    let (tx, deliveries) = mpsc::unbounded_channel();
    let app = delivery_router(
        WebhookConfig::with_secret(SECRET).max_body_bytes(64 * 1024),
        move |d| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(d);
            }
        },
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(serve_with_shutdown(listener, app, limits, async {
        let _ = stopped.await;
    }));
    Server {
        addr,
        deliveries,
        stop: Some(stop),
        done,
    }
}

fn short_limits() -> ServerLimits {
    ServerLimits::default()
        .header_read_timeout(Duration::from_millis(300))
        .body_timeout(Duration::from_millis(300))
        .request_timeout(Duration::from_millis(1500))
        .max_connections(256)
}

fn head(extra: &str, content_length: usize) -> String {
    format!("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: {content_length}\r\n{extra}\r\n")
}

/// Sends one request (with `Connection: close`) and reads the answer to the end: (status, body).
async fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    parse_answer(&read_answer(&mut stream).await)
}

/// Reads until the server closes. A reset after the answer (the server closed with request bytes unread) ends
/// the read like a close: what arrived before it is the answer.
async fn read_answer(stream: &mut TcpStream) -> Vec<u8> {
    let mut answer = Vec::new();
    let read = timeout(GUARD, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "hang guard: the server never finished its answer"
    );
    answer
}

fn parse_answer(answer: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

fn request(extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "{}{body}",
        head(&format!("Connection: close\r\n{extra_headers}"), body.len())
    )
    .into_bytes()
}

fn secret_header() -> String {
    format!("X-Max-Bot-Api-Secret: {SECRET}\r\n")
}

/// Keeps writing `chunk` every 50 ms until the server closes the connection; returns what the server said
/// (possibly nothing) and how many chunks went out. Fails at the hang guard if the server never closes.
async fn trickle_until_closed(mut stream: TcpStream, chunk: &'static [u8]) -> (Vec<u8>, usize) {
    let mut said = Vec::new();
    let mut sent = 0;
    let trickled = timeout(GUARD, async {
        loop {
            if stream.write_all(chunk).await.is_err() {
                return;
            }
            sent += 1;
            let mut buf = [0u8; 1024];
            // A pause between chunks, not a deadline: whichever comes first, the loop goes on.
            match timeout(Duration::from_millis(50), stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                Ok(Ok(n)) => said.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
    })
    .await;
    assert!(
        trickled.is_ok(),
        "hang guard: the server kept a trickling connection open"
    );
    (said, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickled_headers_are_closed_by_the_header_timeout() {
    let server = start(short_limits()).await;
    let mut clients = Vec::new();
    for _ in 0..50 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nHost: test\r\n")
            .await
            .unwrap();
        clients.push(tokio::spawn(trickle_until_closed(stream, b"X-Slow: 1\r\n")));
    }
    for client in clients {
        let (said, _) = client.await.unwrap();
        // hyper closes without an answer (or with a 408 in some versions); it never serves the request.
        assert!(
            said.is_empty() || said.starts_with(b"HTTP/1.1 408"),
            "{:?}",
            String::from_utf8_lossy(&said)
        );
    }
    // A connection that says nothing at all is closed too.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let mut buf = [0u8; 64];
    let read = timeout(GUARD, silent.read(&mut buf))
        .await
        .expect("hang guard: silent connection kept open");
    assert!(matches!(read, Ok(0) | Err(_)));
    // And the server still serves.
    let (status, _) = exchange(server.addr, &request(&secret_header(), GOOD)).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_slow_bodies_are_answered_401_and_closed() {
    let mut server = start(short_limits()).await;
    let mut clients = Vec::new();
    for i in 0..50 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let secret = if i % 2 == 0 {
            String::new()
        } else {
            "X-Max-Bot-Api-Secret: wrong_secret\r\n".to_owned()
        };
        stream
            .write_all(
                head(
                    &format!("Content-Type: application/json\r\n{secret}"),
                    60_000,
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        clients.push(tokio::spawn(trickle_until_closed(stream, b"{\"a\":1}   ")));
    }
    for client in clients {
        let (said, sent) = client.await.unwrap();
        assert!(
            said.starts_with(b"HTTP/1.1 401"),
            "{:?}",
            String::from_utf8_lossy(&said)
        );
        // 10 bytes a chunk against 60,000 announced: the answer came long before the body.
        assert!(
            sent * 10 < 60_000,
            "{sent} chunks went out before the server closed"
        );
    }
    assert!(
        server.deliveries.try_recv().is_err(),
        "nothing reached the handler"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_is_refused_before_the_body_is_read() {
    let server = start(short_limits()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // 60,000 bytes announced: below the 64 KiB cap, so only the secret can refuse it.
    let announced = 60_000;
    stream
        .write_all(
            head(
                "Content-Type: application/json\r\nX-Max-Bot-Api-Secret: not_the_secret\r\n",
                announced,
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    stream.write_all(&[b' '; 100]).await.unwrap();
    // The client now holds the other 59,900 bytes back and waits for the answer.
    let mut buf = [0u8; 512];
    let n = timeout(GUARD, stream.read(&mut buf))
        .await
        .expect("hang guard: the server waited for the body")
        .unwrap();
    let (status, body) = parse_answer(&buf[..n]);
    assert_eq!(status, 401);
    assert!(body.contains("does not match"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_and_trickled_authenticated_bodies_get_408() {
    let mut server = start(short_limits()).await;
    // Stalled: 10 bytes of 1,000, then nothing; the body timeout (300 ms between chunks) answers.
    let mut stalled = TcpStream::connect(server.addr).await.unwrap();
    stalled
        .write_all(format!("{}{{\"update_t", head(&secret_header(), 1000)).as_bytes())
        .await
        .unwrap();
    assert_eq!(parse_answer(&read_answer(&mut stalled).await).0, 408);
    // Trickled just under the body timeout (a byte every 50 ms): the request deadline (1.5 s) answers.
    let mut trickled = TcpStream::connect(server.addr).await.unwrap();
    trickled
        .write_all(head(&secret_header(), 50_000).as_bytes())
        .await
        .unwrap();
    let (said, sent) = trickle_until_closed(trickled, b" ").await;
    assert!(
        said.starts_with(b"HTTP/1.1 408"),
        "{:?}",
        String::from_utf8_lossy(&said)
    );
    assert!(sent < 50_000);
    assert!(
        server.deliveries.try_recv().is_err(),
        "nothing reached the handler"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_above_the_cap_gets_413() {
    let mut server = start(short_limits()).await;
    // No Content-Length to refuse up front: the cap (64 KiB) stops the read itself.
    let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, " ".repeat(16 * 1024));
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: test\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n{}\r\n",
        secret_header()
    );
    for _ in 0..5 {
        request.push_str(&chunk);
    }
    request.push_str("0\r\n\r\n");
    let (status, _) = exchange(server.addr, request.as_bytes()).await;
    assert_eq!(status, 413);
    assert!(server.deliveries.try_recv().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicated_secret_is_refused() {
    let mut server = start(short_limits()).await;
    let right_first = format!("{}X-Max-Bot-Api-Secret: other_value\r\n", secret_header());
    let right_second = format!("X-Max-Bot-Api-Secret: other_value\r\n{}", secret_header());
    let twice = format!("{}{}", secret_header(), secret_header());
    for headers in [right_first, right_second, twice] {
        let (status, body) = exchange(server.addr, &request(&headers, GOOD)).await;
        assert_eq!(status, 401, "{headers}");
        assert!(body.contains("2 X-Max-Bot-Api-Secret headers"), "{body}");
    }
    assert!(server.deliveries.try_recv().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_type_must_be_json_when_present() {
    let mut server = start(short_limits()).await;
    let cases = [
        ("Content-Type: text/plain\r\n", 415),
        ("Content-Type: application/x-www-form-urlencoded\r\n", 415),
        (
            "Content-Type: application/json; charset=windows-1251\r\n",
            415,
        ),
        ("Content-Type: application/json\r\n", 200),
        ("Content-Type: application/json; charset=UTF-8\r\n", 200),
        ("", 200),
    ];
    let mut accepted = 0;
    for (content_type, expected) in cases {
        let headers = format!("{content_type}{}", secret_header());
        let (status, _) = exchange(server.addr, &request(&headers, GOOD)).await;
        assert_eq!(status, expected, "{content_type:?}");
        accepted += usize::from(expected == 200);
    }
    for _ in 0..accepted {
        let d = timeout(GUARD, server.deliveries.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(d.update().unwrap().kind(), "message_removed");
    }
    assert!(server.deliveries.try_recv().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_delivery_reaches_the_handler_with_200() {
    let mut server = start(short_limits()).await;
    let broken = r#"{"update_type":"message_created","timestamp":17,"message":{"#;
    let (status, _) = exchange(
        server.addr,
        &request(
            &format!("Content-Type: application/json\r\n{}", secret_header()),
            broken,
        ),
    )
    .await;
    assert_eq!(
        status, 200,
        "answered 200 so that MAX does not redeliver it"
    );
    let delivery = timeout(GUARD, server.deliveries.recv())
        .await
        .unwrap()
        .unwrap();
    let malformed = delivery.malformed().expect("handed on as malformed");
    assert_eq!(malformed.body, broken.as_bytes());
    assert!(
        malformed.error.message().contains("EOF"),
        "{}",
        malformed.error
    );
    // A wrong shape (a field of the wrong type) says where it broke.
    let wrong = r#"{"update_type":"message_removed","timestamp":"soon","message_id":"m","chat_id":1,"user_id":2}"#;
    let (status, _) = exchange(server.addr, &request(&secret_header(), wrong)).await;
    assert_eq!(status, 200);
    let delivery = timeout(GUARD, server.deliveries.recv())
        .await
        .unwrap()
        .unwrap();
    let malformed = delivery.malformed().expect("handed on as malformed");
    assert!(
        malformed.error.to_string().contains("at `timestamp`"),
        "{}",
        malformed.error
    );
    // A wrong secret with the same body never reaches it.
    let (status, _) = exchange(
        server.addr,
        &request("X-Max-Bot-Api-Secret: nope_nope\r\n", broken),
    )
    .await;
    assert_eq!(status, 401);
    assert!(server.deliveries.try_recv().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_above_the_bound_wait_until_a_slot_frees() {
    let mut server = start(
        ServerLimits::default()
            .header_read_timeout(Duration::from_secs(120))
            .max_connections(2),
    )
    .await;
    // Two clients hold both slots with unfinished heads (the long header timeout keeps them open).
    let mut holders = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"POST / HTTP/1.1\r\nHost: test\r\n")
            .await
            .unwrap();
        holders.push(s);
    }
    // The third connects (the kernel's backlog takes it) and sends a complete delivery.
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    third
        .write_all(&request(&secret_header(), GOOD))
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    // It is not served while the bound is reached. (A wait that can only make this check pass more easily on a
    // slow machine, never fail it.)
    assert!(
        timeout(Duration::from_millis(300), third.read(&mut buf))
            .await
            .is_err(),
        "served above the bound"
    );
    assert!(server.deliveries.try_recv().is_err());
    // One holder leaves: the third is accepted and answered.
    drop(holders.pop());
    assert_eq!(parse_answer(&read_answer(&mut third).await).0, 200);
    let d = timeout(GUARD, server.deliveries.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(d.update().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_stops_accepting_and_returns() {
    let mut server = start(short_limits()).await;
    let (status, _) = exchange(server.addr, &request(&secret_header(), GOOD)).await;
    assert_eq!(status, 200);
    // An idle keep-alive connection does not hold the shutdown up.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(format!("{}{GOOD}", head(&secret_header(), GOOD.len())).as_bytes())
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    let n = timeout(GUARD, idle.read(&mut buf)).await.unwrap().unwrap();
    assert_eq!(parse_answer(&buf[..n]).0, 200);
    server.stop.take().unwrap().send(()).unwrap();
    timeout(GUARD, &mut server.done)
        .await
        .expect("hang guard: serve_with_shutdown did not return")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(server.addr).await.is_err(),
        "still accepting after shutdown"
    );
}
