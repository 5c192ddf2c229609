//! Helpers shared by the workspace integration tests.
//!
//! The README is included below so that its Rust snippets compile (and the runnable one runs) with the tests.
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![allow(missing_docs)]

use std::path::PathBuf;

use botwire_sandbox::{MaxSandbox, OneBotSandbox};
use botwire_transport::{ReqwestTransport, TransportConfig, UreqTransport};

pub use botwire_max as max;
pub use botwire_onebot as onebot;

/// The bytes of a fixture under `tests/fixtures/`.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = fixtures_dir().join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("fixture {}: {e}", full.display()))
}

/// `tests/fixtures/`.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Transport settings for loopback tests: short timeouts, so a hang fails fast instead of stalling CI.
pub fn test_transport_config() -> TransportConfig {
    TransportConfig::default()
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(20))
}

pub fn max_blocking(sb: &MaxSandbox) -> max::blocking::Client<UreqTransport> {
    max::blocking::Client::new(max_config(sb), UreqTransport::new(test_transport_config()))
}

pub fn max_async(sb: &MaxSandbox) -> max::Client<ReqwestTransport> {
    max::Client::new(max_config(sb), reqwest_transport())
}

pub fn max_config(sb: &MaxSandbox) -> max::Config {
    max::Config::new(sb.token()).with_base_url(sb.base_url())
}

pub fn onebot_blocking(sb: &OneBotSandbox) -> onebot::blocking::Client<UreqTransport> {
    onebot::blocking::Client::new(
        onebot_config(sb),
        UreqTransport::new(test_transport_config()),
    )
}

pub fn onebot_async(sb: &OneBotSandbox) -> onebot::Client<ReqwestTransport> {
    onebot::Client::new(onebot_config(sb), reqwest_transport())
}

pub fn onebot_config(sb: &OneBotSandbox) -> onebot::Config {
    onebot::Config::new(sb.token()).with_base_url(sb.base_url())
}

pub fn reqwest_transport() -> ReqwestTransport {
    ReqwestTransport::new(test_transport_config()).expect("reqwest transport builds")
}

/// A loopback URL where nothing listens (bound, then released).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

/// Asserts that `token` appears in neither the `Display` nor the `Debug` of `value`.
#[track_caller]
pub fn assert_no_leak(value: &(impl std::fmt::Display + std::fmt::Debug), token: &str) {
    let shown = format!("{value}");
    let debugged = format!("{value:?}");
    assert!(!shown.contains(token), "token leaked in Display: {shown}");
    assert!(
        !debugged.contains(token),
        "token leaked in Debug: {debugged}"
    );
}

/// Runs one scenario body on both backends: as a blocking test over ureq and as an async test over reqwest.
///
/// Inside the body, `run!(expr)` is `expr` on the blocking side and `expr.await` on the async side, and
/// `$client` is built by the given constructor pair from the sandbox.
///
/// ```ignore
/// both_backends!(get_me, MaxSandbox::start, max_blocking, max_async, |sb, client| {
///     let me = run!(client.get_me()).unwrap();
/// });
/// ```
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $start:expr, $blocking:path, $async:path, |$sb:ident, $client:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn ureq() {
                #[allow(unused_macros)]
                macro_rules! run {
                    ($e:expr) => {
                        $e
                    };
                }
                let $sb = ($start)().expect("sandbox starts");
                let $client = $blocking(&$sb);
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn reqwest() {
                #[allow(unused_macros)]
                macro_rules! run {
                    ($e:expr) => {
                        $e.await
                    };
                }
                let $sb = ($start)().expect("sandbox starts");
                let $client = $async(&$sb);
                $body
            }
        }
    };
}

/// Asserts that `token` does not appear in the `Debug` of `value`.
#[track_caller]
pub fn assert_debug_no_leak(value: &impl std::fmt::Debug, token: &str) {
    let debugged = format!("{value:?}");
    assert!(
        !debugged.contains(token),
        "token leaked in Debug: {debugged}"
    );
}

/// Everything a `tracing` subscriber writes while its guard lives on this thread, kept for assertions (the log
/// tests check what is logged and that no token is).
#[derive(Clone, Default)]
pub struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLog {
    /// Installs a plain-text subscriber on this thread that writes here, filtered by an `EnvFilter` directive
    /// (`"trace"` for everything, `"botwire=debug"` as the README documents).
    pub fn install(&self, filter: &str) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(self.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLog {
    type Writer = CapturedLog;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
