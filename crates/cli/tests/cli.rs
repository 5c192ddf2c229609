//! The `botwire` binary against the in-process sandbox: every command, its output, its exit code.
//!
//! Each test starts its own sandbox on a free loopback port and hands the binary the base URL and token through
//! its environment, as a user's shell would.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::collections::HashSet;
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use botwire_core_types::max::{ChatId, UserId};
use botwire_sandbox::max::BotRole;
use botwire_sandbox::{Fault, MaxSandbox, OneBotSandbox};
use serde_json::Value;

/// The binary with a clean environment for the APIs (nothing inherited from the machine's shell).
fn botwire() -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("botwire");
    for var in [
        "MAX_BOT_TOKEN",
        "MAX_BASE_URL",
        "ONEBOT_API_TOKEN",
        "ONEBOT_BASE_URL",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.timeout(Duration::from_secs(120));
    cmd
}

fn max(sandbox: &MaxSandbox) -> assert_cmd::Command {
    let mut cmd = botwire();
    cmd.env("MAX_BOT_TOKEN", sandbox.token())
        .env("MAX_BASE_URL", sandbox.base_url())
        .arg("max");
    cmd
}

fn onebot(sandbox: &OneBotSandbox) -> assert_cmd::Command {
    let mut cmd = botwire();
    cmd.env("ONEBOT_API_TOKEN", sandbox.token())
        .env("ONEBOT_BASE_URL", sandbox.base_url())
        .arg("onebot");
    cmd
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Runs and checks the exit code; returns the output.
fn run(cmd: &mut assert_cmd::Command, code: i32) -> Output {
    let output = cmd.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(&output),
        stderr(&output)
    );
    output
}

fn json_lines(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn max_me_prints_the_bot_for_people_and_for_scripts() {
    let sandbox = MaxSandbox::start().unwrap();
    let text = stdout(&run(max(&sandbox).arg("me"), 0));
    assert!(text.starts_with("Sandbox Bot"), "{text}");
    assert!(text.contains("id:"), "{text}");
    let json = json_lines(&run(max(&sandbox).args(["me", "--json"]), 0));
    assert_eq!(json.len(), 1);
    assert_eq!(json[0]["first_name"], "Sandbox Bot");
    assert_eq!(sandbox.stats().route("GET /me"), 2);
}

#[test]
fn token_from_a_file_and_verbose_tracing_never_print_the_token() {
    let sandbox = MaxSandbox::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{}\n", sandbox.token())).unwrap();
    let output = run(
        botwire()
            .env("MAX_BASE_URL", sandbox.base_url())
            .args(["--verbose", "max", "me", "--token-file"])
            .arg(&file),
        0,
    );
    let log = stderr(&output);
    assert!(log.contains("/me"), "the call is traced: {log}");
    assert!(
        !log.contains(sandbox.token()) && !stdout(&output).contains(sandbox.token()),
        "{log}"
    );
}

#[test]
fn exit_codes_say_what_went_wrong_in_one_line_and_a_hint() {
    let sandbox = MaxSandbox::start().unwrap();
    // 2: usage — no token at all, an unknown flag (there is no --token).
    let err = stderr(&run(botwire().args(["max", "me"]), 2));
    assert!(
        err.starts_with("error: ") && err.contains("MAX_BOT_TOKEN") && err.contains("hint: "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 2, "{err}");
    run(botwire().args(["max", "me", "--token", "x"]), 2);
    // 3: the API refused the token.
    let err = stderr(&run(
        botwire()
            .env("MAX_BOT_TOKEN", "wrong")
            .env("MAX_BASE_URL", sandbox.base_url())
            .args(["max", "me"]),
        3,
    ));
    assert!(
        err.contains("verify.token") && err.contains("hint: the token was refused"),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    // 3: an unknown chat.
    run(max(&sandbox).args(["chats", "get", "-999"]), 3);
    // 4: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = stderr(&run(
        botwire().env("MAX_BOT_TOKEN", "t").args([
            "max",
            "me",
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
        ]),
        4,
    ));
    assert!(err.contains("hint: check the base URL"), "{err}");
    // 5: rate limited, after the client's own retries.
    sandbox
        .faults()
        .push_burst(Fault::TooManyRequests { retry_after: None }, 50);
    let err = stderr(&run(max(&sandbox).arg("me"), 5));
    assert!(err.contains("rate limit"), "{err}");
    sandbox.faults().clear();
    // 2: a value over a documented limit, nothing sent.
    let chat = sandbox.add_dialog(sandbox.add_user("Ann").user_id);
    run(
        max(&sandbox).args(["send", &chat.get().to_string(), &"x".repeat(4001)]),
        2,
    );
    assert_eq!(sandbox.stats().route("POST /messages"), 0);
}

#[test]
fn chats_get_and_members_list_every_page() {
    let sandbox = MaxSandbox::start().unwrap();
    let owner = sandbox.add_user("Olga");
    let chat = sandbox.add_group_chat("Team", owner.user_id, BotRole::full_admin());
    let names: Vec<String> = (1..=5).map(|i| format!("User{i}")).collect();
    for name in &names {
        sandbox.add_member(chat, sandbox.add_user(name).user_id);
    }
    let id = chat.get().to_string();
    let text = stdout(&run(max(&sandbox).args(["chats", "get", &id]), 0));
    assert!(
        text.starts_with("Team") && text.contains("type:         chat"),
        "{text}"
    );
    let json = json_lines(&run(max(&sandbox).args(["--json", "chats", "get", &id]), 0));
    assert_eq!(json[0]["chat_id"].as_i64(), Some(chat.get()));
    let members = json_lines(&run(max(&sandbox).args(["members", &id, "--json"]), 0));
    let seen: HashSet<String> = members
        .iter()
        .map(|m| m["first_name"].as_str().unwrap().to_owned())
        .collect();
    for name in names.iter().chain([&"Olga".to_owned()]) {
        assert!(seen.contains(name), "{name} missing from {seen:?}");
    }
    let text = stdout(&run(max(&sandbox).args(["members", &id]), 0));
    assert!(
        text.lines()
            .any(|l| l.contains("owner") && l.contains("Olga")),
        "{text}"
    );
}

#[test]
fn commands_set_and_clear() {
    let sandbox = MaxSandbox::start().unwrap();
    let text = stdout(&run(
        max(&sandbox).args([
            "commands",
            "set",
            "start=Start over",
            "/help=What I can do",
            "ping",
        ]),
        0,
    ));
    assert!(
        text.contains("/start — Start over") && text.contains("/help — What I can do"),
        "{text}"
    );
    let me = json_lines(&run(max(&sandbox).args(["me", "--json"]), 0));
    let names: Vec<&str> = me[0]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["start", "help", "ping"]);
    run(max(&sandbox).args(["commands", "clear"]), 0);
    let me = json_lines(&run(max(&sandbox).args(["me", "--json"]), 0));
    assert!(
        me[0]["commands"].as_array().is_none_or(Vec::is_empty),
        "{}",
        me[0]
    );
    // 33 commands break the documented limit: nothing is sent.
    let many: Vec<String> = (0..33).map(|i| format!("c{i}")).collect();
    let before = sandbox.stats().route("PATCH /me/commands");
    run(max(&sandbox).args(["commands", "set"]).args(&many), 2);
    assert_eq!(sandbox.stats().route("PATCH /me/commands"), before);
}

#[test]
fn send_text_markdown_buttons_and_a_file() {
    let sandbox = MaxSandbox::start().unwrap();
    let ann = sandbox.add_user("Ann");
    let dialog = sandbox.add_dialog(ann.user_id);
    let out = stdout(&run(
        max(&sandbox).args([
            "send",
            &dialog.get().to_string(),
            "**Order** ready",
            "--markdown",
            "--button",
            "Track=track:1",
            "--button",
            "Site=https://example.com",
        ]),
        0,
    ));
    assert!(out.starts_with("sent "), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.txt");
    std::fs::write(&file, "the report").unwrap();
    let json = json_lines(&run(
        max(&sandbox)
            .args([
                "send",
                "--json",
                "--user",
                &ann.user_id.get().to_string(),
                "here it is",
                "--file",
            ])
            .arg(&file),
        0,
    ));
    assert_eq!(json[0]["body"]["text"], "here it is");
    let world = sandbox.world();
    let messages = world.messages(dialog);
    assert_eq!(messages.len(), 2);
    let first = serde_json::to_value(&messages[0].message).unwrap();
    assert_eq!(
        first["body"]["text"], "Order ready",
        "markdown is stored without its syntax: {first}"
    );
    let attachments = first["body"]["attachments"].to_string();
    assert!(
        attachments.contains("track:1") && attachments.contains("https://example.com"),
        "{attachments}"
    );
    let second = serde_json::to_value(&messages[1].message).unwrap();
    assert_eq!(second["body"]["attachments"][0]["type"], "file", "{second}");
    drop(world);
    run(
        max(&sandbox).args([
            "send",
            &dialog.get().to_string(),
            "<b>Bold</b> move",
            "--html",
            "--silent",
        ]),
        0,
    );
    let third = serde_json::to_value(&sandbox.world().messages(dialog)[2].message).unwrap();
    assert_eq!(third["body"]["text"], "Bold move", "{third}");
    // A group chat id is negative: it still reads as a chat id, not a flag.
    let owner = sandbox.add_user("Olga");
    let group = sandbox.add_group_chat("Team", owner.user_id, BotRole::full_admin());
    run(
        max(&sandbox).args(["send", &group.get().to_string(), "hi all"]),
        0,
    );
    assert_eq!(sandbox.world().messages(group).len(), 1);
}

fn user_writes(sandbox: &MaxSandbox, user: UserId, chat: ChatId, text: &str) {
    sandbox.user_sends_text(user, chat, text).unwrap();
}

#[test]
fn updates_resume_from_the_checkpoint_without_loss_or_repeats() {
    let sandbox = MaxSandbox::start().unwrap();
    let ann = sandbox.add_user("Ann");
    let dialog = sandbox.user_starts_bot(ann.user_id, Some("ref-1")).unwrap();
    user_writes(&sandbox, ann.user_id, dialog, "one");
    user_writes(&sandbox, ann.user_id, dialog, "two");
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("max.checkpoint");
    let cp = checkpoint.to_str().unwrap();
    // Human lines, stopping after two updates: the checkpoint sits between "one" and "two".
    let text = stdout(&run(
        max(&sandbox).args(["updates", "--checkpoint", cp, "--exit-after", "2"]),
        0,
    ));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains("bot_started") && lines[0].contains("payload ref-1"),
        "{text}"
    );
    assert!(
        lines[1].contains("message_created") && lines[1].contains("Ann: one"),
        "{text}"
    );
    // JSON: the rest, exactly once.
    let json = json_lines(&run(
        max(&sandbox).args(["updates", "--json", "--checkpoint", cp]),
        0,
    ));
    assert_eq!(json.len(), 1, "{json:?}");
    assert_eq!(json[0]["message"]["body"]["text"], "two");
    assert!(
        run(
            max(&sandbox).args(["updates", "--json", "--checkpoint", cp]),
            0
        )
        .stdout
        .is_empty()
    );
    // A new update, filtered by type.
    user_writes(&sandbox, ann.user_id, dialog, "three");
    sandbox.user_stops_bot(ann.user_id).unwrap();
    let json = json_lines(&run(
        max(&sandbox).args([
            "updates",
            "--json",
            "--types",
            "bot_stopped",
            "--checkpoint",
            cp,
        ]),
        0,
    ));
    assert_eq!(json.len(), 1, "{json:?}");
    assert_eq!(json[0]["update_type"], "bot_stopped");
    // --json prints each update exactly as the API sent it: an unknown type, its spacing and fields kept.
    let raw = r#"{"update_type":"message_reaction_added", "timestamp":5,"chat_id":-7,"reaction":{"emoji":"🔥"}}"#;
    sandbox.updates().push_json(raw);
    let out = stdout(&run(
        max(&sandbox).args(["updates", "--json", "--checkpoint", cp]),
        0,
    ));
    assert_eq!(out.lines().last(), Some(raw), "{out}");
}

#[test]
fn updates_follow_prints_updates_as_they_arrive() {
    let sandbox = MaxSandbox::start().unwrap();
    let ann = sandbox.add_user("Ann");
    let dialog = sandbox.user_starts_bot(ann.user_id, None).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_botwire"))
        .env("MAX_BOT_TOKEN", sandbox.token())
        .env("MAX_BASE_URL", sandbox.base_url())
        .args(["--json", "max", "updates", "--follow", "--exit-after", "2"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The second update arrives while the next long poll is held: the first poll was answered (counted when
    // done) and another one is open.
    let deadline = Instant::now() + Duration::from_secs(60);
    let held = || {
        sandbox.stats().route("GET /updates") >= 1
            && sandbox
                .stats()
                .in_flight()
                .get("GET /updates")
                .copied()
                .unwrap_or(0)
                >= 1
    };
    while !held() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    user_writes(&sandbox, ann.user_id, dialog, "late");
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let json = json_lines(&output);
    assert_eq!(json.len(), 2);
    assert_eq!(json[1]["message"]["body"]["text"], "late");
}

/// What the handler received: the secret header (if any) and the body, per request.
type Deliveries = Arc<Mutex<Vec<(Option<String>, String)>>>;

/// A webhook handler on a free port: answers `statuses` in turn (then 200), records secret headers and bodies.
struct Hook {
    url: String,
    bodies: Deliveries,
    _runtime: tokio::runtime::Runtime,
}

fn hook(statuses: Vec<u16>) -> Hook {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let bodies: Deliveries = Arc::default();
    let statuses = Arc::new(Mutex::new(statuses));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let recorded = bodies.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let recorded = recorded.clone();
            let statuses = statuses.clone();
            async move {
                let secret = headers
                    .get(botwire_max::webhook::SECRET_HEADER)
                    .map(|v| v.to_str().unwrap().to_owned());
                assert_eq!(headers.get("content-type").unwrap(), "application/json");
                recorded.lock().unwrap().push((secret.clone(), body));
                let mut statuses = statuses.lock().unwrap();
                let status = if statuses.is_empty() {
                    200
                } else {
                    statuses.remove(0)
                };
                // The handler checks the secret as a real bot would.
                let status = if secret.as_deref() == Some("s3cret_hook") {
                    status
                } else {
                    401
                };
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    runtime.spawn(async move { axum::serve(listener, app).await });
    Hook {
        url,
        bodies,
        _runtime: runtime,
    }
}

#[test]
fn forward_posts_each_update_as_max_would_retrying_until_accepted() {
    let sandbox = MaxSandbox::start().unwrap();
    // Spacing, an unknown field and a float: the body must be the update exactly as the API sent it.
    let raw = r#"{"update_type":"message_removed", "timestamp":1700000000000,"message_id":"mid.1","chat_id":5,"user_id":7,"future_field":{"x":1.50}}"#;
    sandbox.updates().push_json(raw);
    let ann = sandbox.add_user("Ann");
    sandbox.user_starts_bot(ann.user_id, Some("go")).unwrap();
    // The handler fails the first delivery twice (500, 503) and accepts the third.
    let hook = hook(vec![500, 503]);
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("fwd.checkpoint");
    let output = run(
        max(&sandbox)
            .args([
                "forward",
                "--to",
                &hook.url,
                "--secret",
                "s3cret_hook",
                "--once",
                "--retry-first",
                "10ms",
                "--checkpoint",
            ])
            .arg(&checkpoint),
        0,
    );
    let log = stderr(&output);
    assert!(
        log.contains("HTTP 500; retry 1/10") && log.contains("HTTP 503; retry 2/10"),
        "{log}"
    );
    let bodies = hook.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 4, "{bodies:?}");
    assert!(
        bodies
            .iter()
            .all(|(secret, _)| secret.as_deref() == Some("s3cret_hook"))
    );
    assert_eq!(bodies[0].1, raw);
    assert_eq!(bodies[2].1, raw);
    let started: Value = serde_json::from_str(&bodies[3].1).unwrap();
    assert_eq!(started["update_type"], "bot_started");
    assert_eq!(started["payload"], "go");
    // Nothing is forwarded twice.
    run(
        max(&sandbox)
            .args([
                "forward",
                "--to",
                &hook.url,
                "--secret",
                "s3cret_hook",
                "--once",
                "--checkpoint",
            ])
            .arg(&checkpoint),
        0,
    );
    assert_eq!(hook.bodies.lock().unwrap().len(), 4);
}

#[test]
fn forward_keeps_an_update_it_could_not_deliver_for_the_next_run() {
    let sandbox = MaxSandbox::start().unwrap();
    let ann = sandbox.add_user("Ann");
    let dialog = sandbox.user_starts_bot(ann.user_id, None).unwrap();
    user_writes(&sandbox, ann.user_id, dialog, "important");
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("fwd.checkpoint");
    // A handler that refuses the wrong secret every time: the first update is never accepted.
    let hook = hook(Vec::new());
    let err = stderr(&run(
        max(&sandbox)
            .args([
                "forward",
                "--to",
                &hook.url,
                "--secret",
                "wrong_secret",
                "--once",
                "--retries",
                "2",
                "--retry-first",
                "1ms",
                "--checkpoint",
            ])
            .arg(&checkpoint),
        1,
    ));
    assert!(
        err.contains("did not accept a bot_started update after 3 attempts (last: HTTP 401)"),
        "{err}"
    );
    assert!(
        err.contains("hint: the checkpoint still points at this update"),
        "{err}"
    );
    assert_eq!(hook.bodies.lock().unwrap().len(), 3);
    // The right secret: both updates arrive, the undelivered one first.
    let json = json_lines(&run(
        max(&sandbox)
            .args([
                "forward",
                "--json",
                "--to",
                &hook.url,
                "--secret",
                "s3cret_hook",
                "--once",
                "--checkpoint",
            ])
            .arg(&checkpoint),
        0,
    ));
    assert_eq!(json.len(), 2, "{json:?}");
    assert_eq!(json[0]["update_type"], "bot_started");
    assert_eq!(json[1]["update_type"], "message_created");
    // A secret MAX would refuse is refused here too.
    run(
        max(&sandbox).args([
            "forward",
            "--to",
            &hook.url,
            "--secret",
            "bad secret!",
            "--once",
        ]),
        2,
    );
}

#[test]
fn webhook_set_list_delete() {
    let sandbox = MaxSandbox::start().unwrap();
    let text = stdout(&run(max(&sandbox).args(["webhook", "list"]), 0));
    assert!(text.contains("no webhook subscriptions"), "{text}");
    run(
        max(&sandbox).args([
            "webhook",
            "set",
            "https://bot.example.com/hook",
            "--secret",
            "abc_12345",
            "--types",
            "message_created",
        ]),
        0,
    );
    let json = json_lines(&run(max(&sandbox).args(["webhook", "list", "--json"]), 0));
    assert_eq!(
        json[0]["subscriptions"][0]["url"],
        "https://bot.example.com/hook"
    );
    // Polling is off now, and the error says what to do.
    let err = stderr(&run(max(&sandbox).arg("updates"), 3));
    assert!(err.contains("botwire max webhook delete"), "{err}");
    run(
        max(&sandbox).args(["webhook", "delete", "https://bot.example.com/hook"]),
        0,
    );
    assert!(
        json_lines(&run(max(&sandbox).args(["webhook", "list", "--json"]), 0))[0]["subscriptions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Not https on 443: refused before sending.
    run(
        max(&sandbox).args(["webhook", "set", "http://127.0.0.1:8080/hook"]),
        2,
    );
}

#[test]
fn sandbox_subcommand_serves_both_apis_with_the_sandbox_binary_flags() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_botwire"))
        .args([
            "sandbox",
            "--limits",
            "off",
            "--max-token",
            "cli-test-token",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let urls: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(urls["max"]["token"], "cli-test-token");
    let me = run(
        botwire()
            .env("MAX_BOT_TOKEN", "cli-test-token")
            .env("MAX_BASE_URL", urls["max"]["base_url"].as_str().unwrap())
            .args(["max", "me"]),
        0,
    );
    assert!(stdout(&me).starts_with("Sandbox Bot"));
    let account = run(
        botwire()
            .env(
                "ONEBOT_API_TOKEN",
                urls["onebot"]["token"].as_str().unwrap(),
            )
            .env(
                "ONEBOT_BASE_URL",
                urls["onebot"]["base_url"].as_str().unwrap(),
            )
            .args(["onebot", "me", "--json"]),
        0,
    );
    assert!(json_lines(&account)[0]["id"].is_i64());
    child.kill().unwrap();
    child.wait().unwrap();
    // A bad flag value is a usage error; a port in use is a plain failure, said in one line.
    run(botwire().args(["sandbox", "--fault-rate", "2"]), 2);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let err = stderr(&run(botwire().args(["sandbox", "--max-port", &port]), 1));
    assert!(err.starts_with("error: sandbox: "), "{err}");
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&run(botwire().args(["completions", shell]), 0));
        assert!(
            script.contains("botwire") && script.contains("forward"),
            "{shell}: {script}"
        );
    }
    run(botwire().args(["completions", "tcsh"]), 2);
}

#[test]
fn onebot_me_send_variables_and_tags() {
    let sandbox = OneBotSandbox::start().unwrap();
    let bot = sandbox.add_bot("Shop", "telegram");
    let contact = sandbox.add_contacts(bot, 1)[0];
    let id = contact.to_string();
    let text = stdout(&run(onebot(&sandbox).arg("me"), 0));
    assert!(text.contains("account id:"), "{text}");
    run(
        onebot(&sandbox).args(["send", "Привет!", "--contact", &id]),
        0,
    );
    let external = sandbox.world().contacts[&contact].external_id().unwrap();
    run(
        onebot(&sandbox).args([
            "send",
            "--image",
            "https://example.com/a.png",
            "--to",
            &external,
            "--bot-id",
            &bot.to_string(),
            "--messenger",
            "telegram",
        ]),
        0,
    );
    let sent = sandbox.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].text.as_deref(), Some("Привет!"));
    assert_eq!(sent[1].contact_id, Some(contact));
    // Exactly one content.
    run(
        onebot(&sandbox).args([
            "send",
            "hi",
            "--image",
            "https://example.com/a.png",
            "--contact",
            &id,
        ]),
        2,
    );
    run(
        onebot(&sandbox).args(["variable", "set", &id, "Город", "Москва"]),
        0,
    );
    assert_eq!(
        stdout(&run(
            onebot(&sandbox).args(["variable", "get", &id, "Город"]),
            0
        ))
        .trim(),
        "Москва"
    );
    let all = stdout(&run(onebot(&sandbox).args(["variable", "get", &id]), 0));
    assert!(all.contains("Город = Москва"), "{all}");
    run(onebot(&sandbox).args(["variable", "get", &id, "Нет"]), 3);
    run(
        onebot(&sandbox).args(["variable", "delete", &id, "Город"]),
        0,
    );
    run(onebot(&sandbox).args(["tag", "attach", &id, "VIP"]), 0);
    assert_eq!(
        stdout(&run(onebot(&sandbox).args(["tag", "list", &id]), 0)).trim(),
        "VIP"
    );
    run(onebot(&sandbox).args(["tag", "detach", &id, "VIP"]), 0);
    assert!(
        stdout(&run(onebot(&sandbox).args(["tag", "list", &id]), 0))
            .trim()
            .is_empty()
    );
    // A platform preset sends to its host: the sandbox is not it, so the token is refused there… unless the
    // base URL wins, as documented.
    run(
        onebot(&sandbox).args([
            "--platform",
            "watbot",
            "--base-url",
            &sandbox.base_url(),
            "me",
        ]),
        0,
    );
}

/// The contact ids of an export file (CSV: the first column after the header; JSONL: `id`).
fn exported_ids(path: &Path) -> Vec<i64> {
    let text = std::fs::read_to_string(path).unwrap();
    if path.extension().is_some_and(|e| e == "csv") {
        text.lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().parse().unwrap())
            .collect()
    } else {
        text.lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect()
    }
}

#[test]
fn export_over_several_pages_survives_a_stop_and_an_api_error_and_resumes() {
    let sandbox = OneBotSandbox::start().unwrap();
    let bot = sandbox.add_bot("Shop", "telegram");
    let mut expected = sandbox.add_contacts(bot, 7);
    expected.sort_unstable();
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("contacts.csv");
    let export = |extra: &[&str]| {
        let mut cmd = onebot(&sandbox);
        cmd.args([
            "contacts",
            "export",
            "--bot-id",
            &bot.to_string(),
            "--format",
            "csv",
            "--page-size",
            "2",
            "--output",
        ])
        .arg(&output)
        .args(extra);
        cmd
    };
    // Interrupted on purpose after two pages.
    let text = stdout(&run(&mut export(&["--max-pages", "2"]), 0));
    assert!(text.contains("stopped after 2 pages: 4 contacts"), "{text}");
    assert!(dir.path().join("contacts.csv.export-state").exists());
    // Interrupted by the API on page 3.
    sandbox
        .faults()
        .push(Fault::Status(403, r#"{"message":"Forbidden"}"#.into()));
    let err = stderr(&run(&mut export(&[]), 3));
    assert!(err.contains("resume at page 3"), "{err}");
    // Resumed to the end: every contact exactly once.
    let done = run(&mut export(&[]), 0);
    assert!(stderr(&done).contains("resuming"), "{}", stderr(&done));
    assert!(
        stdout(&done).contains("exported 7 contacts (4 pages)"),
        "{}",
        stdout(&done)
    );
    let mut ids = exported_ids(&output);
    ids.sort_unstable();
    assert_eq!(ids, expected);
    assert!(!dir.path().join("contacts.csv.export-state").exists());
    // Other arguments against an unfinished export are refused rather than mixed in.
    run(&mut export(&["--max-pages", "1"]), 0);
    let mut other = onebot(&sandbox);
    other
        .args([
            "contacts",
            "export",
            "--bot-id",
            &bot.to_string(),
            "--format",
            "csv",
            "--page-size",
            "3",
            "--output",
        ])
        .arg(&output);
    let err = stderr(&run(&mut other, 2));
    assert!(err.contains("--restart"), "{err}");
    run(other.arg("--restart"), 0);
    assert_eq!(exported_ids(&output).len(), 7);
}

#[test]
fn export_killed_midway_resumes_with_each_contact_once_and_carries_tags_and_variables() {
    let sandbox = OneBotSandbox::start().unwrap();
    let bot = sandbox.add_bot("Shop", "whatsapp");
    let mut expected = sandbox.add_contacts(bot, 8);
    {
        let mut world = sandbox.world();
        world.attach_tag(expected[0], "VIP");
        world.set_variable(expected[0], "Город", "Москва", None);
    }
    expected.sort_unstable();
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("contacts.jsonl");
    let state = dir.path().join("contacts.jsonl.export-state");
    let args = |cmd: &mut std::process::Command| {
        cmd.env("ONEBOT_API_TOKEN", sandbox.token())
            .env("ONEBOT_BASE_URL", sandbox.base_url())
            .args([
                "onebot",
                "contacts",
                "export",
                "--bot-id",
                &bot.to_string(),
                "--format",
                "jsonl",
                "--with",
                "tags,variables",
                "--page-size",
                "1",
                "--output",
            ])
            .arg(&output);
    };
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_botwire"));
    args(&mut cmd);
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once a page or two are saved (8 pages at 2 requests/s take about 4 s).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let saved = std::fs::read(&state)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| v["contacts"].as_u64());
        if saved.is_some_and(|n| n >= 2) || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut resume = std::process::Command::new(env!("CARGO_BIN_EXE_botwire"));
    args(&mut resume);
    let done = resume.output().unwrap();
    assert!(done.status.success(), "{}", stderr(&done));
    let mut ids = exported_ids(&output);
    ids.sort_unstable();
    assert_eq!(ids, expected, "each contact exactly once");
    let lines: Vec<Value> = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let vip = lines
        .iter()
        .find(|c| c["tags"].to_string().contains("VIP"))
        .expect("the tagged contact");
    assert!(vip["variables"].to_string().contains("Москва"), "{vip}");
}
