//! The HTTP control API, the platform behaviours the sandbox now has (webhooks, limits keyed like the
//! platform's, JSON errors, safe markers) and the binary, driven over plain HTTP as a bot in any language would.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::time::Duration;

use botwire_sandbox::max::MaxOptions;
use botwire_sandbox::{Clock, MaxSandbox, OneBotSandbox};
use common::{call, eventually, ok, receiver};
use serde_json::{Value, json};

fn poll(sb: &MaxSandbox, query: &str) -> Value {
    ok(
        "GET",
        &format!("{}/updates?timeout=0{query}", sb.base_url()),
        Some(sb.token()),
        None,
    )
}

fn kinds(batch: &Value) -> Vec<String> {
    batch["updates"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| u["update_type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_conversation_driven_through_the_control_api() {
    let sb = MaxSandbox::start().unwrap();
    let base = sb.base_url();
    let token = Some(sb.token());
    let alice = ok(
        "POST",
        &format!("{base}/_sandbox/users"),
        None,
        Some(r#"{"name":"Alice","last_name":"Smith"}"#),
    );
    assert_eq!(alice["name"], "Alice Smith");
    let uid = alice["user_id"].as_i64().unwrap();
    let started = ok(
        "POST",
        &format!("{base}/_sandbox/users/{uid}/start"),
        None,
        Some(r#"{"payload":"ref-1"}"#),
    );
    let chat = started["chat_id"].as_i64().unwrap();
    let said = ok(
        "POST",
        &format!("{base}/_sandbox/users/{uid}/messages"),
        None,
        Some(r#"{"text":"hi"}"#),
    );
    assert_eq!(said["body"]["text"], "hi");

    let batch = poll(&sb, "");
    assert_eq!(kinds(&batch), ["bot_started", "message_created"]);
    assert_eq!(batch["updates"][0]["payload"], "ref-1");
    // The wall clock: timestamps are real Unix ms, not 2026-03-31.
    let ts = batch["updates"][1]["timestamp"].as_i64().unwrap();
    let now = Clock::wall().now();
    assert!((now - ts).abs() < 600_000, "{ts} vs {now}");

    let keyboard = json!({"text": "You said hi", "attachments": [{"type": "inline_keyboard", "payload": {"buttons": [[{"type": "callback", "text": "Ping", "payload": "ping"}]]}}]});
    let sent = ok(
        "POST",
        &format!("{base}/messages?chat_id={chat}"),
        token,
        Some(&keyboard.to_string()),
    );
    let mid = sent["message"]["body"]["mid"].as_str().unwrap().to_owned();
    let pressed = ok(
        "POST",
        &format!("{base}/_sandbox/users/{uid}/callbacks"),
        None,
        Some(&json!({"message_id": mid, "payload": "ping"}).to_string()),
    );
    let callback_id = pressed["callback_id"].as_str().unwrap().to_owned();
    let marker = batch["marker"].as_i64().unwrap();
    let next = poll(&sb, &format!("&marker={marker}"));
    assert_eq!(kinds(&next), ["message_callback"]);
    ok(
        "POST",
        &format!("{base}/answers?callback_id={callback_id}"),
        token,
        Some(r#"{"notification":"Pong!"}"#),
    );

    let bot_said = ok(
        "GET",
        &format!("{base}/_sandbox/chats/{chat}/messages"),
        None,
        None,
    );
    assert_eq!(bot_said["messages"].as_array().unwrap().len(), 1);
    assert_eq!(bot_said["messages"][0]["body"]["text"], "You said hi");
    let everything = ok(
        "GET",
        &format!("{base}/_sandbox/chats/{chat}/messages?all=true"),
        None,
        None,
    );
    assert_eq!(everything["messages"].as_array().unwrap().len(), 2);
    let answered = ok(
        "GET",
        &format!("{base}/_sandbox/callbacks/{callback_id}"),
        None,
        None,
    );
    assert_eq!(answered["answers"], 1);
    assert_eq!(answered["notifications"], json!(["Pong!"]));
    // One implementation: the in-process API sees the same world.
    assert_eq!(sb.world().callback(&callback_id).unwrap().answers, 1);

    // Groups with members, the bot added and removed, a stop, raw updates.
    let bob = ok(
        "POST",
        &format!("{base}/_sandbox/users"),
        None,
        Some(r#"{"name":"Bob"}"#),
    );
    let bob = bob["user_id"].as_i64().unwrap();
    let group = ok(
        "POST",
        &format!("{base}/_sandbox/chats"),
        None,
        Some(
            &json!({"type": "chat", "title": "Team", "owner_id": uid, "bot": "absent"}).to_string(),
        ),
    )["chat_id"]
        .as_i64()
        .unwrap();
    ok(
        "POST",
        &format!("{base}/_sandbox/chats/{group}/bot"),
        None,
        Some(&json!({"user_id": uid}).to_string()),
    );
    ok(
        "POST",
        &format!("{base}/_sandbox/chats/{group}/members"),
        None,
        Some(&json!({"user_id": bob, "inviter_id": uid}).to_string()),
    );
    ok(
        "DELETE",
        &format!("{base}/_sandbox/chats/{group}/members/{bob}?admin_id={uid}"),
        None,
        None,
    );
    ok(
        "DELETE",
        &format!("{base}/_sandbox/chats/{group}/bot?user_id={uid}"),
        None,
        None,
    );
    ok(
        "POST",
        &format!("{base}/_sandbox/users/{uid}/stop"),
        None,
        None,
    );
    ok(
        "POST",
        &format!("{base}/_sandbox/updates"),
        None,
        Some(r#"{"update_type":"brand_new","timestamp":1,"x":[1]}"#),
    );
    let later = poll(&sb, &format!("&marker={}", next["marker"]));
    assert_eq!(
        kinds(&later),
        [
            "bot_added",
            "user_added",
            "user_removed",
            "bot_removed",
            "bot_stopped",
            "brand_new"
        ]
    );
    assert_eq!(later["updates"][1]["inviter_id"], uid);
    // The stopped dialog refuses the bot's messages, as on the platform.
    let (status, _) = call(
        "POST",
        &format!("{base}/messages?chat_id={chat}"),
        token,
        Some(r#"{"text":"still there?"}"#),
    );
    assert_eq!(status, 403);

    let stats = ok("GET", &format!("{base}/_sandbox/stats"), None, None);
    assert_eq!(stats["by_route"]["POST /answers"], 1);
    // Control requests are not the bot's: not counted.
    assert!(
        stats["by_route"]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !k.contains("_sandbox"))
    );
    ok("POST", &format!("{base}/_sandbox/reset"), None, None);
    assert!(
        ok("GET", &format!("{base}/_sandbox/users"), None, None)["users"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(sb.stats().requests(), 0);
    assert_eq!(sb.updates().pending(), 0);
}

#[test]
fn every_error_is_a_code_and_message() {
    let sb = MaxSandbox::start().unwrap();
    let base = sb.base_url();
    let token = Some(sb.token());
    for (method, url, body, status) in [
        ("GET", format!("{base}/updates?timeout=abc"), None, 400),
        ("GET", format!("{base}/updates?limit=0"), None, 400),
        ("DELETE", format!("{base}/me"), None, 404),
        ("PUT", format!("{base}/updates"), None, 404),
        ("POST", format!("{base}/_sandbox/users/1/start"), None, 404),
        (
            "POST",
            format!("{base}/_sandbox/users"),
            Some("not json"),
            400,
        ),
        ("POST", format!("{base}/_sandbox/users"), Some("{}"), 400),
        (
            "GET",
            format!("{base}/_sandbox/chats/42/messages"),
            None,
            404,
        ),
    ] {
        let (got, v) = call(method, &url, token, body);
        assert_eq!(got, status, "{method} {url}: {v}");
        assert!(
            v["code"].is_string() && v["message"].is_string(),
            "{method} {url}: {v}"
        );
    }
}

#[test]
fn a_marker_past_the_end_commits_nothing() {
    let sb = MaxSandbox::start().unwrap();
    sb.push_unknown_update("one", json!({}));
    sb.push_unknown_update("two", json!({}));
    // A checkpoint from another run, far ahead of this one's markers.
    let batch = poll(&sb, "&marker=999999999999");
    assert_eq!(kinds(&batch), ["one", "two"]);
    assert_eq!(sb.updates().pending(), 2);
}

fn limited_sandbox() -> MaxSandbox {
    // Windows 100 times longer than the platform's: no request in the test can fall out of one, however
    // loaded the machine.
    MaxSandbox::start_with_options(MaxOptions::default().limits(true).limit_scale(0.01)).unwrap()
}

#[test]
fn callback_answers_are_limited_per_chat_of_the_callback() {
    let sb = limited_sandbox();
    let (base, token) = (sb.base_url(), Some(sb.token()));
    let keyboard = json!({"text": "pick", "attachments": [{"type": "inline_keyboard", "payload": {"buttons": [[{"type": "callback", "text": "A", "payload": "a"}]]}}]});
    let mut callbacks = Vec::new();
    for name in ["Alice", "Bob"] {
        let user = sb.add_user(name).user_id;
        let chat = sb.user_starts_bot(user, None).unwrap();
        let sent = ok(
            "POST",
            &format!("{base}/messages?chat_id={chat}"),
            token,
            Some(&keyboard.to_string()),
        );
        let mid = sent["message"]["body"]["mid"].as_str().unwrap().to_owned();
        let ids: Vec<String> = (0..3)
            .map(|_| sb.user_presses_button(user, &mid, "a").unwrap().callback_id)
            .collect();
        callbacks.push(ids);
    }
    let answer = |id: &str| {
        call(
            "POST",
            &format!("{base}/answers?callback_id={id}"),
            token,
            Some(r#"{"notification":"ok"}"#),
        )
        .0
    };
    // The request names no chat; the sandbox knows each callback's chat, as the platform does.
    assert_eq!(answer(&callbacks[0][0]), 200);
    assert_eq!(answer(&callbacks[0][1]), 200);
    assert_eq!(answer(&callbacks[0][2]), 429);
    // Another chat has its own window.
    assert_eq!(answer(&callbacks[1][0]), 200);
}

#[test]
fn a_dialog_reached_by_user_id_and_by_chat_id_is_one_chat() {
    let sb = limited_sandbox();
    let (base, token) = (sb.base_url(), Some(sb.token()));
    let user = sb.add_user("Alice").user_id;
    let chat = sb.user_starts_bot(user, None).unwrap();
    let send = |target: String| {
        call(
            "POST",
            &format!("{base}/messages?{target}"),
            token,
            Some(r#"{"text":"hi"}"#),
        )
        .0
    };
    assert_eq!(send(format!("user_id={user}")), 200);
    assert_eq!(send(format!("chat_id={chat}")), 200);
    assert_eq!(send(format!("user_id={user}")), 429);
    assert_eq!(send(format!("chat_id={chat}")), 429);
}

#[test]
fn subscriptions_need_https_unless_loopback_webhooks_are_allowed() {
    let strict = MaxSandbox::start().unwrap();
    let body = r#"{"url":"http://127.0.0.1:9/hook"}"#;
    let (status, v) = call(
        "POST",
        &format!("{}/subscriptions", strict.base_url()),
        Some(strict.token()),
        Some(body),
    );
    assert_eq!(status, 400, "{v}");
    let open =
        MaxSandbox::start_with_options(MaxOptions::default().loopback_webhooks(true)).unwrap();
    ok(
        "POST",
        &format!("{}/subscriptions", open.base_url()),
        Some(open.token()),
        Some(body),
    );
    let (status, _) = call(
        "POST",
        &format!("{}/subscriptions", open.base_url()),
        Some(open.token()),
        Some(r#"{"url":"http://example.com/hook"}"#),
    );
    assert_eq!(status, 400, "only loopback hosts are let through over http");
}

#[test]
fn webhooks_filter_types_and_retarget_at_once() {
    let sb = MaxSandbox::start_with_options(MaxOptions::default().loopback_webhooks(true)).unwrap();
    let (base, token) = (sb.base_url(), Some(sb.token()));
    // A target nobody listens on: the first delivery fails, the next try is 60 s away on the wall clock.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    ok(
        "POST",
        &format!("{base}/subscriptions"),
        token,
        Some(&json!({"url": dead, "update_types": ["message_created", "bot_started"]}).to_string()),
    );
    let user = sb.add_user("Alice").user_id;
    let chat = sb.user_starts_bot(user, None).unwrap();
    eventually("a failed delivery", || {
        sb.updates().failed_deliveries() >= 1
    });
    // Retargeting takes effect at once: the waiting update goes to the new URL now, not after the 60 s wait.
    let live = receiver();
    ok(
        "POST",
        &format!("{base}/subscriptions"),
        token,
        Some(
            &json!({"url": live.url, "update_types": ["message_created", "bot_started"]})
                .to_string(),
        ),
    );
    let first = live.bodies.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(first["update_type"], "bot_started");
    // Types the subscription did not ask for are not delivered.
    sb.push_unknown_update("dialog_muted", json!({"chat_id": chat}));
    sb.user_sends_text(user, chat, "hi").unwrap();
    let second = live.bodies.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(second["update_type"], "message_created");
    // The receiver hands the body over as it answers 200; the sandbox counts it a moment later.
    eventually("the delivery to count", || sb.updates().delivered() == 2);
    // Unsubscribing takes effect at once too: long polling gets the next update.
    ok(
        "DELETE",
        &format!("{base}/subscriptions?url={}", live.url),
        token,
        None,
    );
    sb.user_sends_text(user, chat, "again").unwrap();
    assert_eq!(kinds(&poll(&sb, "")), ["message_created"]);
}

#[test]
fn a_webhook_failing_for_8_hours_of_sandbox_time_is_unsubscribed_and_nothing_is_lost() {
    // 36,000 sandbox seconds per real second: 60 s waits take 1.7 ms, 8 hours 0.8 s.
    let sb = MaxSandbox::start_with_options(
        MaxOptions::default()
            .loopback_webhooks(true)
            .clock(Clock::fixed(1_775_000_000_000, 36_000.0)),
    )
    .unwrap();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    ok(
        "POST",
        &format!("{}/subscriptions", sb.base_url()),
        Some(sb.token()),
        Some(&json!({"url": dead}).to_string()),
    );
    sb.push_unknown_update("something", json!({}));
    eventually("the unsubscribe", || sb.world().subscriptions().is_empty());
    assert!(sb.updates().webhook().is_none());
    assert!(sb.updates().failed_deliveries() >= 2);
    // Back in the long-polling queue, not dropped.
    assert_eq!(kinds(&poll(&sb, "")), ["something"]);
}

#[test]
fn onebot_control_api() {
    let sb = OneBotSandbox::start().unwrap();
    let root = sb.base_url().trim_end_matches("/api/v1").to_owned();
    let bot = ok(
        "POST",
        &format!("{root}/_sandbox/bots"),
        None,
        Some(r#"{"name":"Shop","messenger":"vk"}"#),
    )["bot_id"]
        .as_i64()
        .unwrap();
    let ids = ok(
        "POST",
        &format!("{root}/_sandbox/contacts"),
        None,
        Some(&json!({"bot_id": bot, "count": 2}).to_string()),
    );
    let id = ids["contact_ids"][0].as_i64().unwrap();
    ok(
        "POST",
        &format!("{root}/_sandbox/contacts/{id}/variables"),
        None,
        Some(r#"{"name":"city","value":"Kazan"}"#),
    );
    ok(
        "POST",
        &format!("{root}/_sandbox/contacts/{id}/tags"),
        None,
        Some(r#"{"name":"vip"}"#),
    );
    let contact = ok("GET", &format!("{root}/_sandbox/contacts/{id}"), None, None);
    assert!(
        contact.to_string().contains("Kazan") && contact.to_string().contains("vip"),
        "{contact}"
    );
    let sent = ok(
        "POST",
        &format!("{}/sendMessage?api_token={}", sb.base_url(), sb.token()),
        None,
        Some(&json!({"contact_id": id, "text": "hello"}).to_string()),
    );
    assert!(!sent.is_null());
    let out = ok("GET", &format!("{root}/_sandbox/sent"), None, None);
    assert_eq!(out["messages"][0]["text"], "hello");
    assert_eq!(
        ok("GET", &format!("{root}/_sandbox/stats"), None, None)["requests"],
        1
    );
    let (status, v) = call(
        "GET",
        &format!("{root}/_sandbox/contacts/999999"),
        None,
        None,
    );
    assert_eq!(status, 404);
    assert!(v["code"].is_string());
    ok("POST", &format!("{root}/_sandbox/reset"), None, None);
    assert!(sb.sent().is_empty());
}

/// A raw upload request with headers.
fn upload_chunk(url: &str, range: Option<&str>, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    let mut head = format!(
        "POST /{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Type: application/x-binary; charset=x-user-defined\r\nX-File-Name: clip.mp4\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(r) = range {
        head.push_str(&format!("Content-Range: {r}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw[9..12].parse().unwrap();
    (status, raw.split_once("\r\n\r\n").unwrap().1.to_owned())
}

#[test]
fn resumable_uploads_with_content_range() {
    let sb = MaxSandbox::start().unwrap();
    let slot = ok(
        "POST",
        &format!("{}/uploads?type=video", sb.base_url()),
        Some(sb.token()),
        None,
    );
    let (url, token) = (
        slot["url"].as_str().unwrap(),
        slot["token"].as_str().unwrap(),
    );
    let bytes = vec![7u8; 10_000];
    let (status, text) = upload_chunk(url, Some("bytes 0-3999/10000"), &bytes[..4000]);
    assert_eq!((status, text.as_str()), (200, "0-3999/10000"));
    let progress = ok("GET", url, None, None);
    assert_eq!(progress["next"], 4000);
    // A chunk that lies about its length, or does not fit the total, is refused and changes nothing.
    assert_eq!(
        upload_chunk(url, Some("bytes 4000-4999/10000"), &bytes[..10]).0,
        400
    );
    assert_eq!(
        upload_chunk(url, Some("bytes 4000-10000/10000"), &bytes[..6001]).0,
        416
    );
    // Out of order, as X-Uploading-Mode: parallel sends them.
    assert_eq!(
        upload_chunk(url, Some("bytes 8000-9999/10000"), &bytes[..2000]).0,
        200
    );
    assert!(
        sb.world()
            .media(token)
            .unwrap()
            .uploaded_at_attempt
            .is_none()
    );
    let (status, done) = upload_chunk(url, Some("bytes 4000-7999/10000"), &bytes[..4000]);
    assert_eq!(status, 200);
    assert!(done.contains("<retval>1</retval>"), "{done}");
    let media = sb.world().media(token).cloned().unwrap();
    assert_eq!(
        (media.size, media.filename.as_deref()),
        (10_000, Some("clip.mp4"))
    );
    assert_eq!(ok("GET", url, None, None)["status"], "done");
    // A raw body without Content-Range is the whole file.
    let file = ok(
        "POST",
        &format!("{}/uploads?type=file", sb.base_url()),
        Some(sb.token()),
        None,
    );
    let (status, answer) = upload_chunk(file["url"].as_str().unwrap(), None, b"hello");
    assert_eq!(status, 200);
    assert!(answer.contains("token"), "{answer}");
}

#[test]
fn formatted_texts_get_markup() {
    let sb = MaxSandbox::start().unwrap();
    let user = sb.add_user("Alice").user_id;
    let chat = sb.user_starts_bot(user, None).unwrap();
    let (base, token) = (sb.base_url(), Some(sb.token()));
    let sent = ok(
        "POST",
        &format!("{base}/messages?chat_id={chat}"),
        token,
        Some(r#"{"text":"**Hi** [site](https://x.ru)","format":"markdown"}"#),
    );
    assert_eq!(sent["message"]["body"]["text"], "Hi site");
    assert_eq!(
        sent["message"]["body"]["markup"],
        json!([{"type":"strong","from":0,"length":2},{"type":"link","from":3,"length":4,"url":"https://x.ru"}])
    );
    let (status, v) = call(
        "POST",
        &format!("{base}/messages?chat_id={chat}"),
        token,
        Some(r#"{"text":"<a href=\"\">x</a>","format":"html"}"#),
    );
    assert_eq!(status, 400, "{v}");
    // The legacy `chat` button is gone from the platform.
    let (status, v) = call(
        "POST",
        &format!("{base}/messages?chat_id={chat}"),
        token,
        Some(
            r#"{"text":"t","attachments":[{"type":"inline_keyboard","payload":{"buttons":[[{"type":"chat","text":"Chat","chat_title":"T"}]]}}]}"#,
        ),
    );
    assert_eq!(
        (status, v["message"].as_str()),
        (400, Some("Can't deserialize body"))
    );
}

#[test]
fn the_binary_prints_its_urls_first_and_enforces_limits() {
    use std::io::BufRead;
    let exe = env!("CARGO_BIN_EXE_botwire-sandbox");
    let bad = std::process::Command::new(exe)
        .arg("--no-such-flag")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let mut child = std::process::Command::new(exe)
        .args(["--limit-scale", "0.01", "--max-token", "t-123"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    // The reader lives as long as the child: a closed pipe must not matter, but this test is not about that.
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap());
    lines.read_line(&mut first).unwrap();
    let info: Value = serde_json::from_str(&first).unwrap();
    let base = info["max"]["base_url"].as_str().unwrap().to_owned();
    assert_eq!(info["max"]["token"], "t-123");
    assert!(
        info["onebot"]["base_url"]
            .as_str()
            .unwrap()
            .ends_with("/api/v1")
    );
    // Limits are on by default: 30 per (scaled) window, then 429.
    let statuses: Vec<u16> = (0..35)
        .map(|_| call("GET", &format!("{base}/me"), Some("t-123"), None).0)
        .collect();
    child.kill().unwrap();
    let _ = child.wait();
    drop(lines);
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        30,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 5);
}

#[test]
fn the_stepped_clock_gives_the_same_timestamps_on_every_run() {
    let run = || {
        let sb = MaxSandbox::start_with_options(
            MaxOptions::default().clock(Clock::stepped(botwire_sandbox::STEPPED_START_MS)),
        )
        .unwrap();
        let user = sb.add_user("Alice").user_id;
        let chat = sb.user_starts_bot(user, None).unwrap();
        let m = sb.user_sends_text(user, chat, "hi").unwrap();
        (
            m.timestamp,
            kinds(&poll(&sb, "")),
            poll(&sb, "")["updates"][1]["timestamp"].clone(),
        )
    };
    let first = run();
    assert_eq!(first, run());
    assert_eq!(first.0, botwire_sandbox::STEPPED_START_MS + 2000);
}

#[test]
fn a_held_poll_shows_in_flight() {
    let sb = MaxSandbox::start().unwrap();
    let (base, token) = (sb.base_url(), sb.token().to_owned());
    let poller = std::thread::spawn(move || {
        ok(
            "GET",
            &format!("{base}/updates?timeout=90"),
            Some(&token),
            None,
        )
    });
    let stats = |sb: &MaxSandbox| {
        ok(
            "GET",
            &format!("{}/_sandbox/stats", sb.base_url()),
            None,
            None,
        )
    };
    eventually("the held poll", || {
        stats(&sb)["in_flight"]["GET /updates"] == 1
    });
    sb.push_unknown_update("wake", json!({}));
    assert_eq!(kinds(&poller.join().unwrap()), ["wake"]);
    assert!(sb.stats().in_flight().is_empty());
}
