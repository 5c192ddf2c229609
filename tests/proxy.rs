//! Issue 12.4: a proxy in `TransportConfig` (not only through the environment), and your own
//! `reqwest::Client` / `ureq::Agent`, on both backends.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use botwire_max::Config;
use botwire_transport::{Proxy, ReqwestTransport, TransportConfig, UreqTransport};

/// A forward proxy on loopback that answers every request itself with a bot, recording each request line. It
/// speaks both forms a client may use: an absolute-form request (`GET http://host/me`), or `CONNECT host:port`
/// followed by the request inside the tunnel.
fn proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let read_head = |reader: &mut BufReader<std::net::TcpStream>| -> Option<String> {
                let mut line = String::new();
                if reader.read_line(&mut line).ok()? == 0 {
                    return None;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                Some(line.trim_end().to_owned())
            };
            let Some(mut line) = read_head(&mut reader) else {
                continue;
            };
            log.lock().unwrap().push(line.clone());
            if line.starts_with("CONNECT ") {
                let _ = write!(stream, "HTTP/1.1 200 Connection established\r\n\r\n");
                let Some(inner) = read_head(&mut reader) else {
                    continue;
                };
                log.lock().unwrap().push(inner.clone());
                line = inner;
            }
            assert!(line.starts_with("GET "), "{line}");
            let body = r#"{"user_id":7,"first_name":"Via Proxy","is_bot":true}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (address, seen)
}

/// A base URL nothing listens on: an answer can only have come through the proxy.
const UNREACHABLE: &str = "http://127.0.0.1:9";

#[test]
fn the_blocking_backend_goes_through_the_configured_proxy() {
    let (address, seen) = proxy();
    let config =
        TransportConfig::default().proxy(Proxy::new(format!("http://u:p4ss@{address}")).unwrap());
    assert!(!format!("{config:?}").contains("p4ss"));
    let client = botwire_max::blocking::Client::new(
        Config::new("t0ken").with_base_url(UNREACHABLE),
        UreqTransport::new(config),
    );
    assert_eq!(client.get_me().unwrap().first_name, "Via Proxy");
    // ureq tunnels through HTTP proxies.
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            "CONNECT 127.0.0.1:9 HTTP/1.1".to_owned(),
            "GET /me HTTP/1.1".to_owned()
        ]
    );
}

#[test]
fn the_async_backend_goes_through_the_configured_proxy() {
    let (address, seen) = proxy();
    let config = TransportConfig::default().proxy(Proxy::new(format!("http://{address}")).unwrap());
    let client = botwire_max::Client::new(
        Config::new("t0ken").with_base_url(UNREACHABLE),
        ReqwestTransport::new(config).unwrap(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let me = runtime.block_on(client.get_me()).unwrap();
    assert_eq!(me.first_name, "Via Proxy");
    assert_eq!(
        *seen.lock().unwrap(),
        vec![format!("GET {UNREACHABLE}/me HTTP/1.1")]
    );
}

#[test]
fn bad_proxies_are_refused_without_quoting_their_credentials() {
    for url in ["ftp://a:b@127.0.0.1:21", "not a url", "http://"] {
        let err = Proxy::new(url).unwrap_err();
        assert!(!err.to_string().contains(":b@"), "{err}");
    }
    let socks = Proxy::new("socks5h://127.0.0.1:1080");
    // --all-features (how the suite runs) includes `socks`.
    assert!(socks.is_ok(), "{socks:?}");
}

#[test]
fn your_own_client_or_agent() {
    let sandbox = botwire_sandbox::MaxSandbox::start().unwrap();
    let config = Config::new(sandbox.token()).with_base_url(sandbox.base_url());

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let blocking = botwire_max::blocking::Client::new(
        config.clone(),
        UreqTransport::from_agent(agent).unwrap(),
    );
    assert_eq!(blocking.get_me().unwrap().first_name, "Sandbox Bot");
    // A default agent would turn API errors into bare ureq errors and follow redirects: refused, with the fix.
    let err = UreqTransport::from_agent(ureq::Agent::new_with_defaults()).unwrap_err();
    assert!(
        err.to_string().contains("http_status_as_error(false)"),
        "{err}"
    );

    // With only botwire's reqwest features (rustls without a provider) a client you build yourself needs a
    // process-wide crypto provider, as ReqwestTransport::from_client documents.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let reqwest_client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let client = botwire_max::Client::new(config, ReqwestTransport::from_client(reqwest_client));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(
        runtime.block_on(client.get_me()).unwrap().first_name,
        "Sandbox Bot"
    );
}
