//! Issue 12.3: every request is observable through `tracing` — method, path, status, duration, bytes, the
//! throttle's wait and the retry decisions — on both clients of both APIs, and the token never appears.

#![allow(clippy::unwrap_used)]

use botwire_max::types::{ChatId, NewMessageBody};
use botwire_sandbox::{Fault, MaxSandbox, OneBotSandbox};
use botwire_tests::CapturedLog;

/// Runs `f` with the filter the README documents, `botwire=debug`, and returns the log lines.
fn logged(f: impl FnOnce()) -> String {
    let log = CapturedLog::default();
    {
        let _guard = log.install("botwire=debug");
        f();
    }
    log.text()
}

fn assert_no_token(log: &str, token: &str) {
    assert!(!token.is_empty());
    assert!(
        !log.contains(token),
        "the token leaked into the log:\n{log}"
    );
}

#[test]
fn max_blocking_requests_show_status_duration_and_retries() {
    let sandbox = MaxSandbox::start().unwrap();
    let alice = sandbox.add_user("Alice");
    let dialog = sandbox.user_starts_bot(alice.user_id, None).unwrap();
    let config = botwire_max::Config::new(sandbox.token()).with_base_url(sandbox.base_url());
    let client = botwire_max::blocking::Client::with_config(config);
    sandbox.faults().push(Fault::Status(503, String::new()));
    let log = logged(|| {
        client.get_me().unwrap();
        client
            .send_message(ChatId(dialog.0), NewMessageBody::text("hi"))
            .unwrap();
    });
    assert!(
        log.contains(r#"request{api="botwire-max" method=GET path="/me""#),
        "{log}"
    );
    assert!(log.contains("retrying attempt=1"), "{log}");
    assert!(log.contains(r#"reason=HTTP 503"#), "{log}");
    assert!(log.contains("attempts=2"), "{log}");
    assert!(log.contains(r#"method=POST path="/messages""#), "{log}");
    let answered: Vec<&str> = log.lines().filter(|l| l.contains("answered")).collect();
    assert_eq!(answered.len(), 2, "{log}");
    assert!(
        answered
            .iter()
            .all(|l| l.contains("status=200") && l.contains(" ms=") && l.contains("bytes="))
    );
    assert_no_token(&log, sandbox.token());
}

#[test]
fn max_async_requests_are_traced_the_same() {
    let sandbox = MaxSandbox::start().unwrap();
    let config = botwire_max::Config::new(sandbox.token()).with_base_url(sandbox.base_url());
    let client = botwire_max::Client::with_config(config).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let log = logged(|| {
        runtime.block_on(async {
            client.get_me().await.unwrap();
        });
    });
    assert!(log.contains(r#"method=GET path="/me""#), "{log}");
    assert!(log.contains("answered status=200"), "{log}");
    assert_no_token(&log, sandbox.token());
}

#[test]
fn onebot_requests_show_the_path_but_never_the_query_token() {
    let sandbox = OneBotSandbox::start().unwrap();
    let config = botwire_onebot::Config::new(sandbox.token()).with_base_url(sandbox.base_url());
    let client = botwire_onebot::blocking::Client::with_config(config);
    let wrong = botwire_onebot::blocking::Client::with_config(
        botwire_onebot::Config::new("wrong-secret-token").with_base_url(sandbox.base_url()),
    );
    let log = logged(|| {
        client.get_me().unwrap();
        client.get_me().unwrap();
        assert!(wrong.get_me().is_err());
    });
    assert!(
        log.contains(r#"api="botwire-onebot" method=GET path="/api/v1/getMe""#)
            || log.contains(r#"api="botwire-onebot" method=POST path="/api/v1/getMe""#),
        "{log}"
    );
    // Two calls at 2 requests/s: the second one waited for the throttle, and the span says how long.
    assert!(log.contains("throttle_ms="), "{log}");
    assert!(log.contains("status=401"), "{log}");
    assert_no_token(&log, sandbox.token());
    assert_no_token(&log, "wrong-secret-token");
}
