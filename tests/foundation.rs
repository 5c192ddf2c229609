//! Foundation scenarios on both backends × both APIs against the sandbox: success, wrong token, server error,
//! closed port, TLS failure — and the token never shows up in any error.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use botwire_core_types::max::{BotCommand, BotCommands};
use botwire_sandbox::{Fault, MaxSandbox, OneBotSandbox};
use botwire_tests::*;
use botwire_transport::{Delivery, TransportErrorKind};

fn commands(n: usize) -> BotCommands {
    BotCommands::new(
        (0..n)
            .map(|i| BotCommand::new(format!("cmd{i}"), Some(format!("Command {i}"))).unwrap())
            .collect(),
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------------- MAX

both_backends!(
    max_get_me_and_commands,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let me = run!(client.get_me()).unwrap();
        assert_eq!(me.first_name, "Sandbox Bot");
        assert!(me.is_bot);
        assert_eq!(me.commands, None);

        let set = run!(client.set_my_commands(commands(3))).unwrap();
        assert_eq!(set.commands.as_ref().map(Vec::len), Some(3));
        let me = run!(client.get_me()).unwrap();
        assert_eq!(me.commands.unwrap()[2].name(), "cmd2");

        let cleared = run!(client.set_my_commands(BotCommands::clear())).unwrap();
        assert_eq!(cleared.commands, None);
        assert_eq!(sb.stats().route("PATCH /me/commands"), 2);
    }
);

both_backends!(
    max_wrong_token,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let _ = &client;
        let secret = "wrong-secret-token-123";
        let cfg = max::Config::new(secret).with_base_url(sb.base_url());
        let bad = max::blocking::Client::new(
            cfg.clone(),
            botwire_transport::UreqTransport::new(test_transport_config()),
        );
        let err = bad.get_me().unwrap_err();
        assert!(err.is_unauthorized(), "{err}");
        assert_eq!(err.code(), Some("verify.token"));
        assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
        assert_eq!(
            err.to_string(),
            "MAX API error: HTTP 401 verify.token: Invalid access_token"
        );
        assert_no_leak(&err, secret);
        assert_debug_no_leak(&cfg, secret);
        assert_no_leak(&bad.config().token(), secret);
    }
);

both_backends!(
    max_server_error,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        sb.faults().push(Fault::Status(
            503,
            r#"{"code":"service.unavailable","message":"try later"}"#.into(),
        ));
        let err = run!(client.get_me()).unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
        assert!(err.is_retryable());
        assert_eq!(err.code(), Some("service.unavailable"));
        assert_no_leak(&err, sb.token());
        // the next call is served normally
        assert!(run!(client.get_me()).is_ok());
    }
);

both_backends!(
    max_rate_limited,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        sb.faults().push(Fault::Status(
            429,
            r#"{"code":"too.many.requests","message":"slow down"}"#.into(),
        ));
        let err = run!(client.get_me()).unwrap_err();
        assert!(matches!(err, max::Error::RateLimited { .. }), "{err:?}");
        assert!(err.is_retryable());
    }
);

both_backends!(
    max_commands_validated_before_sending,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        // Build an over-long list the only way possible, by decoding it (constructors refuse it).
        let list: Vec<BotCommand> = serde_json::from_value(serde_json::json!(
            (0..33)
                .map(|i| serde_json::json!({"name": format!("c{i}")}))
                .collect::<Vec<_>>()
        ))
        .unwrap();
        let over: BotCommands =
            serde_json::from_value(serde_json::json!({ "commands": list })).unwrap();
        let err = run!(client.set_my_commands(over)).unwrap_err();
        assert!(matches!(err, max::Error::Validation(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "invalid request, nothing sent: `commands` must be at most 32 items, but has 33 items"
        );
        assert_eq!(sb.stats().requests(), 0, "nothing may reach the server");
    }
);

both_backends!(
    max_closed_port,
    MaxSandbox::start,
    max_blocking,
    max_async,
    |sb, client| {
        let _ = (&sb, &client);
        let secret = "closed-port-secret";
        let cfg = max::Config::new(secret).with_base_url(closed_port_url());
        let blocking = max::blocking::Client::new(
            cfg.clone(),
            botwire_transport::UreqTransport::new(test_transport_config()),
        );
        let err = blocking.get_me().unwrap_err();
        check_connect_error(&err, secret);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let asynchronous = max::Client::new(cfg, reqwest_transport());
        let err = std::thread::spawn(move || rt.block_on(asynchronous.get_me()))
            .join()
            .unwrap()
            .unwrap_err();
        check_connect_error(&err, secret);
    }
);

fn check_connect_error(err: &max::Error, secret: &str) {
    let max::Error::Transport(t) = err else {
        panic!("expected a transport error, got {err:?}")
    };
    assert_eq!(t.kind(), TransportErrorKind::Connect, "{t:?}");
    assert_eq!(t.delivery(), Delivery::NotSent);
    assert!(err.is_retryable());
    assert_no_leak(err, secret);
}

#[test]
fn max_sandbox_rejects_what_the_server_rejects() {
    use botwire_transport::BlockingTransport;
    let sb = MaxSandbox::start().unwrap();
    let transport = botwire_transport::UreqTransport::new(test_transport_config());
    let send = |auth: &str, path: &str, body: &str| {
        let req = http::Request::patch(format!("{}{path}", sb.base_url()))
            .header("authorization", auth)
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .unwrap();
        let resp = transport.execute(req).unwrap();
        (
            resp.status().as_u16(),
            String::from_utf8(resp.into_body()).unwrap(),
        )
    };
    let many = serde_json::json!({"commands": (0..33).map(|i| serde_json::json!({"name": format!("c{i}")})).collect::<Vec<_>>()});
    let (status, body) = send(sb.token(), "/me/commands", &many.to_string());
    assert_eq!(status, 400);
    assert!(body.contains("between 0 and 32"), "{body}");
    let (status, body) = send(sb.token(), "/me/commands", "not json");
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"code":"proto.payload","message":"Can't deserialize body"}"#
        )
    );
    let (status, body) = send("nope", "/me/commands", "{}");
    assert_eq!(
        (status, body.as_str()),
        (
            401,
            r#"{"code":"verify.token","message":"Invalid access_token"}"#
        )
    );
    let (status, body) = send(sb.token(), "/chats", "{}");
    assert_eq!(status, 404);
    assert!(body.contains("method.not.found"), "{body}");
}

// ---------------------------------------------------------------------------------------------- OneBot

both_backends!(
    onebot_get_me,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let me = run!(client.get_me()).unwrap();
        assert_eq!(me.id.0, 1);
        assert_eq!(me.name.as_deref(), Some("Sandbox account"));
        assert_eq!(sb.stats().route("GET getMe"), 1);
    }
);

both_backends!(
    onebot_wrong_token,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let _ = &client;
        let secret = "wrong-onebot-secret-456";
        let cfg = onebot::Config::new(secret).with_base_url(sb.base_url());
        let bad = onebot::Client::new(cfg.clone(), reqwest_transport());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = std::thread::spawn(move || rt.block_on(bad.get_me()))
            .join()
            .unwrap()
            .unwrap_err();
        assert!(err.is_unauthorized(), "{err}");
        assert_eq!(
            err.to_string(),
            "OneBot API error: HTTP 401: Unauthenticated."
        );
        assert_no_leak(&err, secret);
        let bad = onebot::blocking::Client::new(
            cfg.clone(),
            botwire_transport::UreqTransport::new(test_transport_config()),
        );
        let err = bad.get_me().unwrap_err();
        assert!(err.is_unauthorized(), "{err}");
        assert_no_leak(&err, secret);
        assert_debug_no_leak(&cfg, secret);
    }
);

both_backends!(
    onebot_server_error,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        sb.faults()
            .push(Fault::Status(500, r#"{"message":"Server Error"}"#.into()));
        let err = run!(client.get_me()).unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
        assert!(err.is_retryable());
        assert_no_leak(&err, sb.token());
        assert!(run!(client.get_me()).is_ok());
    }
);

both_backends!(
    onebot_closed_port_and_tls_failure,
    OneBotSandbox::start,
    onebot_blocking,
    onebot_async,
    |sb, client| {
        let _ = &client;
        let secret = "closed-port-onebot-secret";
        // Closed port: the URL (with api_token in its query) must not reach the error.
        let cfg =
            onebot::Config::new(secret).with_base_url(format!("{}/api/v1", closed_port_url()));
        check_both_onebot(cfg, secret, TransportErrorKind::Connect);
        // TLS failure: speak https to the sandbox's plain-HTTP port.
        let https = sb.base_url().replacen("http://", "https://", 1);
        let cfg = onebot::Config::new(secret).with_base_url(https);
        check_both_onebot(cfg, secret, TransportErrorKind::Tls);
    }
);

fn check_both_onebot(cfg: onebot::Config, secret: &str, kind: TransportErrorKind) {
    let blocking = onebot::blocking::Client::new(
        cfg.clone(),
        botwire_transport::UreqTransport::new(test_transport_config()),
    );
    let err = blocking.get_me().unwrap_err();
    check_onebot_transport(&err, secret, kind, "ureq");
    let asynchronous = onebot::Client::new(cfg, reqwest_transport());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = std::thread::spawn(move || rt.block_on(asynchronous.get_me()))
        .join()
        .unwrap()
        .unwrap_err();
    check_onebot_transport(&err, secret, kind, "reqwest");
}

fn check_onebot_transport(
    err: &onebot::Error,
    secret: &str,
    kind: TransportErrorKind,
    backend: &str,
) {
    let onebot::Error::Transport(t) = err else {
        panic!("{backend}: expected a transport error, got {err:?}")
    };
    assert_eq!(t.kind(), kind, "{backend}: {t:?}");
    assert_eq!(t.delivery(), Delivery::NotSent, "{backend}: {t:?}");
    assert_no_leak(err, secret);
}

#[test]
fn onebot_sandbox_without_ajax_header_redirects_like_laravel() {
    use botwire_transport::BlockingTransport;
    let sb = OneBotSandbox::start().unwrap();
    let transport = botwire_transport::UreqTransport::new(test_transport_config());
    let req = http::Request::get(format!("{}/getMe?api_token=bad", sb.base_url()))
        .body(Vec::new())
        .unwrap();
    let resp = transport.execute(req).unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], "/login");
}
