//! Issue 9, items 1 and 4, on both backends and both APIs against the sandbox.
//!
//! *The token never leaves*: servers that echo the token — MAX's `verify.token` message, a proxy's or OneBot's
//! HTML page quoting the request line, a JSON body holding it where a number belongs — raw, percent-encoded,
//! JSON-escaped or as HTML entities. The token is absent from `Display`, `Debug` and the whole `source()` chain
//! of every error, from decode excerpts, and from what the SDK logs (captured with a `tracing` subscriber).
//!
//! *Honest outcomes for writes*: the sandbox handles a write, sends the response head and drops the
//! connection before the body. On a bare backend the error says the outcome is unknown and the write is not
//! retryable; the same fault on an idempotent read stays retryable.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::net::SocketAddr;
use std::time::Duration;

use botwire_core_types::max::NewMessageBody;
use botwire_max::polling::{Backoff, PollConfig};
use botwire_onebot::endpoints::{MessageTarget, SendMessage};
use botwire_sandbox::max::BotRole;
use botwire_sandbox::{Fault, MaxSandbox, OneBotSandbox};
use botwire_tests::*;
use botwire_transport::{
    BlockingTransport, Delivery, HttpRequest, HttpResponse, Redacted, TransportError,
    TransportErrorKind, UreqTransport,
};

/// A token with characters that every encoding changes (`/`, `+`, `=`), around a marker no encoding touches:
/// if `MARK` shows anywhere, some form of the token leaked.
const TOKEN: &str = "Tk/9+q=Zr~s3cr3tMARK.XY";
const MARK: &str = "s3cr3tMARK";

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn max_sandbox() -> std::io::Result<MaxSandbox> {
    MaxSandbox::start_with(TOKEN, loopback())
}

fn onebot_sandbox() -> std::io::Result<OneBotSandbox> {
    OneBotSandbox::start_with(TOKEN, loopback())
}

/// The token as servers quote it back.
fn echoes() -> Vec<(&'static str, String)> {
    let encode = |lower: bool| -> String {
        TOKEN
            .bytes()
            .map(
                |b| match (b.is_ascii_alphanumeric() || b"-._~".contains(&b), lower) {
                    (true, _) => (b as char).to_string(),
                    (false, false) => format!("%{b:02X}"),
                    (false, true) => format!("%{b:02x}"),
                },
            )
            .collect()
    };
    let percent = encode(false);
    vec![
        ("raw", TOKEN.to_owned()),
        ("percent-encoded", percent.clone()),
        ("percent-encoded, lower-case hex", encode(true)),
        ("JSON-escaped", TOKEN.replace('/', "\\/")),
        (
            "JSON \\u escapes",
            TOKEN.replace('+', "\\u002B").replace('/', "\\u002f"),
        ),
        (
            "HTML entities",
            TOKEN.replace('/', "&#47;").replace('+', "&#x2B;"),
        ),
    ]
}

/// `token` (any form: checked through `MARK`) is absent from the Display and Debug of `err` and of every
/// error in its `source()` chain.
#[track_caller]
fn assert_chain_clean(err: &(dyn std::error::Error + 'static), case: &str) {
    let mut level: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut depth = 0;
    while let Some(e) = level {
        let shown = format!("{e} | {e:?}");
        assert!(
            !shown.contains(MARK),
            "{case}: the token leaked at source depth {depth}: {shown}"
        );
        level = e.source();
        depth += 1;
    }
}

// ------------------------------------------------------------------------------------ captured logs

// ------------------------------------------------------------------------------------ MAX echoes the token

both_backends!(
    max_errors_never_quote_the_token,
    max_sandbox,
    max_blocking,
    max_async,
    |sb, client| {
        let logs = CapturedLog::default();
        let _guard = logs.install("trace");
        let mut checked = 0;
        for (form, echo) in echoes() {
            // The platform's own answer to a bad token, quoting it.
            sb.faults().push(Fault::Status(
                401,
                format!(r#"{{"code":"verify.token","message":"Invalid access_token: {echo}"}}"#),
            ));
            let err = run!(client.get_me()).unwrap_err();
            assert!(err.is_unauthorized(), "{form}: {err:?}");
            assert!(err.to_string().contains("<redacted>"), "{form}: {err}");
            assert_chain_clean(&err, form);

            // A proxy's HTML error page quoting the request line, on a 5xx and on a 200.
            let page = format!(
                "<html><body><h1>502 Bad Gateway</h1><pre>GET /me?access_token={echo} HTTP/1.1\r\nAuthorization: {echo}</pre></body></html>"
            );
            sb.faults().push(Fault::Status(502, page.clone()));
            let err = run!(client.get_me()).unwrap_err();
            assert_eq!(err.status().map(|s| s.as_u16()), Some(502), "{form}");
            assert_chain_clean(&err, form);
            sb.faults().push(Fault::Status(200, page));
            let err = run!(client.get_me()).unwrap_err();
            assert!(
                matches!(err, max::Error::Decode { status: 200, .. }),
                "{form}: {err:?}"
            );
            assert_chain_clean(&err, form);

            // The token where a number belongs: serde's message quotes the value, the excerpt the body.
            sb.faults().push(Fault::Status(
                200,
                format!(r#"{{"user_id":"{echo}","first_name":"{echo}","is_bot":true}}"#),
            ));
            let err = run!(client.get_me()).unwrap_err();
            let max::Error::Decode { source, .. } = &err else {
                panic!("{form}: {err:?}")
            };
            assert!(
                !source.snippet().contains(MARK),
                "{form}: {}",
                source.snippet()
            );
            assert!(
                !source.message().contains(MARK),
                "{form}: {}",
                source.message()
            );
            assert_chain_clean(&err, form);
            checked += 4;
        }
        assert_eq!(checked, 4 * echoes().len());
        // The calls went to the server and were answered (the faults were consumed).
        assert_eq!(sb.stats().route("GET /me"), checked as u64);
        let logged = logs.text();
        assert!(
            !logged.contains(MARK),
            "the token reached the log: {logged}"
        );
    }
);

// ------------------------------------------------------------------------------------ OneBot echoes the token

both_backends!(
    onebot_errors_never_quote_the_token,
    onebot_sandbox,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let logs = CapturedLog::default();
        let _guard = logs.install("trace");
        for (form, echo) in echoes() {
            // OneBot's HTML 404 page quotes the request line, `?api_token=…` with it.
            let page = format!(
                "<!DOCTYPE html><html><head><title>Not Found</title></head><body>\
                 <p>The requested URL /api/v1/getMe?api_token={echo}&amp;page=1 was not found.</p>\
                 <a href=\"/api/v1/getMe?api_token={echo}\">retry</a> token: {echo}</body></html>"
            );
            sb.faults().push(Fault::Status(404, page.clone()));
            let err = run!(client.get_me()).unwrap_err();
            assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{form}");
            assert_chain_clean(&err, form);

            sb.faults().push(Fault::Status(
                401,
                format!(r#"{{"message":"Invalid api_token {echo}"}}"#),
            ));
            let err = run!(client.get_me()).unwrap_err();
            assert!(err.is_unauthorized(), "{form}: {err:?}");
            assert!(err.to_string().contains("<redacted>"), "{form}: {err}");
            assert_chain_clean(&err, form);

            sb.faults().push(Fault::Status(
                422,
                format!(
                    r#"{{"message":"The given data was invalid: {echo}","errors":{{"api_token":["{echo} is wrong"]}}}}"#
                ),
            ));
            let err = run!(client.get_me()).unwrap_err();
            assert!(err.field_errors().is_some(), "{form}: {err:?}");
            assert_chain_clean(&err, form);

            sb.faults().push(Fault::Status(
                200,
                format!(r#"{{"success":false,"error":"bot of {echo} is off"}}"#),
            ));
            let err = run!(client.get_me()).unwrap_err();
            assert_chain_clean(&err, form);

            // A 200 that is the HTML page, and a JSON body with the token where an id belongs.
            sb.faults().push(Fault::Status(200, page));
            let err = run!(client.get_me()).unwrap_err();
            assert!(
                matches!(err, onebot::Error::Decode { status: 200, .. }),
                "{form}: {err:?}"
            );
            assert_chain_clean(&err, form);
            sb.faults().push(Fault::Status(
                200,
                format!(r#"{{"data":{{"id":"{echo}"}}}}"#),
            ));
            let err = run!(client.get_me()).unwrap_err();
            assert!(
                matches!(err, onebot::Error::Decode { .. }),
                "{form}: {err:?}"
            );
            assert_chain_clean(&err, form);
        }
        assert_eq!(sb.stats().route("GET getMe"), 6 * echoes().len() as u64);
        let logged = logs.text();
        assert!(
            !logged.contains(MARK),
            "the token reached the log: {logged}"
        );
    }
);

// ------------------------------------------------------------------------------------ transports and requests

/// A transport (a user's, or a library under it) whose error quotes the URL: the client scrubs it on the way
/// out, whatever transport it is.
#[test]
fn an_error_quoting_the_url_is_scrubbed_by_the_client() {
    for (form, echo) in echoes() {
        let echo2 = echo.clone();
        let transport = move |req: HttpRequest| -> Result<HttpResponse, TransportError> {
            Err(TransportError::new(
                TransportErrorKind::Io,
                Delivery::Unknown,
                format!(
                    "error sending request for url ({}): token {echo2}",
                    req.uri()
                ),
            ))
        };
        let client = onebot::blocking::Client::new(onebot::Config::new(TOKEN), transport);
        let err = client.get_me().unwrap_err();
        assert_chain_clean(&err, form);
        // Drivers that build their own requests (polling, uploads) get the same through `execute`.
        let req = {
            use botwire_onebot::Endpoint as _;
            botwire_onebot::endpoints::GetMe
                .request(client.config())
                .unwrap()
        };
        let err = client.execute(req).unwrap_err();
        assert_chain_clean(&err, form);
        assert_eq!(err.idempotent(), Some(true), "a GET");
        let client =
            max::blocking::Client::new(max::Config::new(TOKEN), move |_req: HttpRequest| {
                Err::<HttpResponse, _>(TransportError::new(
                    TransportErrorKind::Io,
                    Delivery::Unknown,
                    format!("Authorization: {echo} rejected"),
                ))
            });
        let err = client.get_me().unwrap_err();
        assert_chain_clean(&err, form);
    }
}

/// `http::Request`'s `Debug` prints the OneBot URI whole; [`Redacted`] is the way the SDK prints a request.
#[test]
fn a_built_request_prints_only_redacted() {
    use botwire_onebot::Endpoint as _;
    let req = botwire_onebot::endpoints::GetMe
        .request(&onebot::Config::new(TOKEN))
        .unwrap();
    assert!(
        format!("{req:?}").contains("s3cr3tMARK"),
        "http's own Debug shows the token: the reason for Redacted"
    );
    let shown = format!("{:?}\n{}", Redacted(&req), Redacted(&req));
    assert!(!shown.contains(MARK), "{shown}");
    assert!(shown.contains("getMe?api_token=<redacted>"), "{shown}");

    use botwire_max::Endpoint as _;
    let req = botwire_max::endpoints::GetMe
        .request(&max::Config::new(TOKEN))
        .unwrap();
    let shown = format!("{:?}\n{}", Redacted(&req), Redacted(&req));
    assert!(!shown.contains(MARK), "{shown}");
    assert!(shown.contains("authorization"), "{shown}");
}

// ------------------------------------------------------------------------------------ the poller's log

fn fast_poll() -> PollConfig {
    PollConfig::default()
        .timeout_secs(1)
        .min_interval(Duration::ZERO)
        .backoff(Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(5),
        ))
        .jitter_seed(9)
}

fn update_json() -> String {
    r#"{"update_type":"bot_started","timestamp":1,"chat_id":1,"user":{"user_id":5,"first_name":"A","is_bot":false}}"#
        .to_owned()
}

/// The poller logs each transient failure at WARN with the error's Display: a 5xx quoting the token and a
/// broken connection leave it out.
#[test]
fn the_pollers_warnings_never_quote_the_token() {
    let sb = max_sandbox().unwrap();
    let client = max_blocking(&sb);
    let logs = CapturedLog::default();
    let _guard = logs.install("trace");
    for (_, echo) in echoes() {
        sb.faults().push(Fault::Status(
            503,
            format!(r#"{{"code":"internal","message":"upstream said: Authorization {echo}"}}"#),
        ));
    }
    // A proxy's HTML page answered 200, quoting the request: the undecodable list is logged with its snippet.
    for (_, echo) in echoes() {
        sb.faults().push(Fault::Status(
            200,
            format!("<html><body>Bad gateway for GET /updates Authorization: {echo}</body></html>"),
        ));
    }
    sb.faults().push(Fault::DropBeforeHandler);
    sb.updates().push_json(update_json());
    let first = client
        .updates(fast_poll().reporting_after(1_000))
        .next()
        .unwrap();
    assert!(first.is_ok(), "{first:?}");
    let logged = logs.text();
    assert!(
        logged.matches("WARN").count() > 2 * echoes().len(),
        "every failure was logged: {logged}"
    );
    assert!(logged.contains("cannot decode response"), "{logged}");
    assert!(logged.contains("<redacted>"), "{logged}");
    assert!(
        !logged.contains(MARK),
        "the token reached the log: {logged}"
    );
}

// ------------------------------------------------------------------------------------ honest write outcomes

fn max_with_chat(sb: &MaxSandbox) -> botwire_core_types::max::ChatId {
    let owner = sb.add_user("Owner");
    sb.add_group_chat("Team", owner.user_id, BotRole::full_admin())
}

both_backends!(
    max_write_whose_body_was_lost_is_unknown_and_not_retryable,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let chat = max_with_chat(&sb);
        for fault in [Fault::DropAfterHead, Fault::TruncatedBody] {
            let before = sb.stats().route("POST /messages");
            sb.faults().push(fault.clone());
            let err = run!(client.send_message(chat, NewMessageBody::text("once"))).unwrap_err();
            assert!(err.outcome_unknown(), "{fault:?}: {err:?}");
            assert!(
                !err.is_retryable(),
                "{fault:?}: a second send would duplicate: {err:?}"
            );
            assert!(err.to_string().contains("may have received"), "{err}");
            // It was stored: repeating it would have been a second message.
            assert_eq!(sb.stats().route("POST /messages"), before + 1);
        }

        // The same loss on an idempotent read: unknown, harmless, retryable.
        sb.faults().push(Fault::DropAfterHead);
        let err = run!(client.get_me()).unwrap_err();
        assert!(err.outcome_unknown() && err.is_retryable(), "{err:?}");

        // A 5xx answer to the write: unknown, not retryable; to the read: retryable.
        sb.faults().push(Fault::StatusAfterHandler(
            500,
            r#"{"code":"internal","message":"x"}"#.into(),
        ));
        let err = run!(client.send_message(chat, NewMessageBody::text("again"))).unwrap_err();
        assert!(err.outcome_unknown() && !err.is_retryable(), "{err:?}");
        sb.faults().push(Fault::Status(
            500,
            r#"{"code":"internal","message":"x"}"#.into(),
        ));
        assert!(run!(client.get_me()).unwrap_err().is_retryable());
    }
);

both_backends!(
    onebot_write_whose_body_was_lost_is_unknown_and_not_retryable,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let contact = sb.add_contacts(1, 1)[0];
        for fault in [Fault::DropAfterHead, Fault::TruncatedBody] {
            let before = sb.world().sent.len();
            sb.faults().push(fault.clone());
            let err = run!(
                client.send_message(SendMessage::text(MessageTarget::contact(contact), "once"))
            )
            .unwrap_err();
            assert!(err.outcome_unknown(), "{fault:?}: {err:?}");
            assert!(
                !err.is_retryable(),
                "{fault:?}: a second send would duplicate: {err:?}"
            );
            assert_eq!(sb.world().sent.len(), before + 1, "it was sent");
        }
        assert_eq!(sb.stats().route("POST sendMessage"), 2);

        sb.faults().push(Fault::DropAfterHead);
        let err = run!(client.get_me()).unwrap_err();
        assert!(err.outcome_unknown() && err.is_retryable(), "{err:?}");

        sb.faults().push(Fault::StatusAfterHandler(
            500,
            r#"{"message":"Server Error"}"#.into(),
        ));
        let err =
            run!(client.send_message(SendMessage::text(MessageTarget::contact(contact), "again")))
                .unwrap_err();
        assert!(err.outcome_unknown() && !err.is_retryable(), "{err:?}");
        sb.faults()
            .push(Fault::Status(500, r#"{"message":"Server Error"}"#.into()));
        assert!(run!(client.get_me()).unwrap_err().is_retryable());
    }
);

/// A write that never left (nothing listens) is safe to send again.
#[test]
fn a_write_that_never_left_stays_retryable() {
    let transport = UreqTransport::new(test_transport_config());
    let client = max::blocking::Client::new(
        max::Config::new("t").with_base_url(closed_port_url()),
        transport,
    );
    let err = client
        .send_message(
            botwire_core_types::max::ChatId(1),
            NewMessageBody::text("x"),
        )
        .unwrap_err();
    assert!(!err.outcome_unknown() && err.is_retryable(), "{err:?}");
    let req = http::Request::post(format!("{}/messages", closed_port_url()))
        .body(Vec::new())
        .unwrap();
    let err = UreqTransport::new(test_transport_config())
        .execute(req)
        .unwrap_err();
    assert!(err.is_not_sent() && err.is_retryable(), "{err:?}");
}
