//! Instructions per operation, counted by valgrind's callgrind: botwire against the bare backends (the floor).
//!
//! `cargo xtask bench --instructions`, or `cargo bench -p botwire-benches --bench instructions`.
//!
//! # What runs
//!
//! One process serves fixed answers ([`botwire_benches::server`]) natively. For every (backend, client, op) the
//! bench starts this same binary again, in `client` mode, under
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=*callgrind_region*`: the client builds its
//! stack, connects and warms up (not counted), then calls `callgrind_region`, an `#[inline(never)]` function
//! that performs `N` operations; callgrind counts only the instructions executed inside it (on the client's
//! thread: the server is another process). The count divided by `N` is the table's figure; nothing is
//! subtracted. Instruction counts do not depend on the machine's load: a run repeats to within a fraction of a
//! percent, where wall-clock numbers on a shared 2-core machine swing by 2×.
//!
//! * backends: `ureq` (blocking) and `reqwest` (async, on a current-thread tokio runtime; the `N` operations run
//!   inside one `block_on`);
//! * clients: `bare` (the floor: bare ureq 3 / reqwest 0.13, plain `serde_json` into the minimal structs of
//!   [`botwire_benches::floor`]); `bare-set` (the same code on a ureq agent / reqwest client given the
//!   settings botwire's transport applies — connect and request timeouts, no redirects — to show what those
//!   settings cost inside the backend); `botwire` (the client on its default stack, `Retry<Throttle<_>>` with the MAX
//!   preset, on a clock that never really waits: [`botwire_benches::stack::default_stack`]); `no-layers` (the
//!   client straight on the backend, to show what the two policy layers cost);
//! * ops: `GET /me`; `POST /messages` (a short text to one chat); one decoded update, from 100-update
//!   `GET /updates` answers (the floor decodes each answer into `Vec<Update>`; botwire hands updates out through
//!   its long-poll loop, `Polled::Update` after `Polled::Update`); and, without HTTP, one update decoded from the
//!   same body (`UpdateBatch::from_slice` against `serde_json` into the floor's structs).
//!
//! # Reading the table
//!
//! Each cell is instructions per operation (k = 1,000), and for botwire rows the ratio to the floor row of the
//! same backend and column. 1.00× would be "costs exactly what the bare backend costs". Results also go to
//! `target/botwire-bench/instructions.json`.
//!
//! Where the instructions go: every case's profile stays in `target/botwire-bench/callgrind/<case>.out`;
//! `callgrind_annotate --inclusive=yes <file>` lists the functions by inclusive cost (divide by the case's `N`).
//!
//! Knobs: `BOTWIRE_INSTR_OPS` (requests per run, default 200), `BOTWIRE_INSTR_UPDATES` (updates per run,
//! default 2,000 = 20 answers; a multiple of 100), `BOTWIRE_INSTR_ONLY=ureq/bare/me,reqwest/botwire/updates`
//! (run only these cases), `BOTWIRE_VALGRIND` (the valgrind binary, default `valgrind`).

#![allow(clippy::unwrap_used)] // bench code: a panic is the failure report

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use botwire_benches::{fixtures, floor, results_dir, server, stack};
use botwire_core_types::max::{ChatId, NewMessageBody, UpdateBatch};
use botwire_max::polling::{PollConfig, Polled};
use botwire_transport::{ReqwestTransport, TransportConfig, UreqTransport};

/// The function callgrind collects in (the pattern given to `--toggle-collect`).
const REGION: &str = "*callgrind_region*";

/// Requests made before the counted region (connection set up, caches and allocator warm): 20 for the request
/// ops, 2 answers (200 updates) for the update ops.
const WARM_UP_REQUESTS: u64 = 20;
const WARM_UP_ANSWERS: u64 = 2;

/// The backends, clients and ops of the table, in order.
const BACKENDS: &[&str] = &["reqwest", "ureq"];
const CLIENTS: &[&str] = &["bare", "bare-set", "botwire", "no-layers"];
const OPS: &[(&str, &str)] = &[
    ("me", "GET /me"),
    ("messages", "POST /messages"),
    ("updates", "decoded update"),
];

/// Runs `n` operations; the only function whose instructions are counted.
#[inline(never)]
fn callgrind_region(run: &mut dyn FnMut(u64), n: u64) {
    run(n);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(),
        Some("client") => client(&args[1..]),
        _ if args.iter().any(|a| a == "--bench") => {
            if let Err(e) = orchestrate() {
                eprintln!("instructions: {e}");
                std::process::exit(1);
            }
        }
        // `cargo test --benches` runs bench targets once in test mode: keep that quick.
        _ => println!("instructions: skipped (runs under `cargo bench`)"),
    }
}

/// `serve`: prints `listening <addr>`, serves until stdin closes (the parent went away) or accepting fails.
fn serve() {
    let listener = server::bind().expect("bind");
    println!("listening {}", listener.local_addr().expect("address"));
    std::thread::spawn(move || server::serve(&listener));
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One measured case.
struct Case {
    backend: &'static str,
    client: &'static str,
    op: &'static str,
    ops: u64,
}

impl Case {
    fn name(&self) -> String {
        format!("{}/{}/{}", self.backend, self.client, self.op)
    }
}

fn cases() -> Vec<Case> {
    let requests = env_u64("BOTWIRE_INSTR_OPS", 200).max(1);
    let updates = (env_u64("BOTWIRE_INSTR_UPDATES", 2000) / 100).max(1) * 100;
    let mut cases = Vec::new();
    for backend in BACKENDS {
        for client in CLIENTS {
            for (op, _) in OPS {
                let ops = if *op == "updates" { updates } else { requests };
                cases.push(Case {
                    backend,
                    client,
                    op,
                    ops,
                });
            }
        }
    }
    for client in ["bare", "botwire"] {
        cases.push(Case {
            backend: "none",
            client,
            op: "decode",
            ops: updates,
        });
    }
    if let Ok(only) = std::env::var("BOTWIRE_INSTR_ONLY") {
        cases.retain(|c| only.split(',').any(|o| o == c.name()));
    }
    cases
}

/// The server child: killed when dropped (and it exits by itself when its stdin closes).
struct ServerProcess(std::process::Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn orchestrate() -> Result<(), String> {
    let valgrind = std::env::var("BOTWIRE_VALGRIND").unwrap_or_else(|_| "valgrind".into());
    let version = Command::new(&valgrind)
        .arg("--version")
        .output()
        .map_err(|e| {
            format!("cannot run `{valgrind}` ({e}); install valgrind or set BOTWIRE_VALGRIND")
        })?;
    let exe = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
    let mut child = Command::new(&exe)
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let stdout = child.stdout.take().ok_or("server stdout")?;
    let server = ServerProcess(child);
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .map_err(|e| format!("server: {e}"))?;
    let addr = first
        .trim()
        .strip_prefix("listening ")
        .ok_or_else(|| format!("server said {first:?}"))?
        .to_owned();
    let dir = results_dir().join("callgrind");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    eprintln!(
        "instructions: {} under {}, server at {addr}",
        exe.display(),
        String::from_utf8_lossy(&version.stdout).trim()
    );
    let started = Instant::now();
    let mut results: Vec<(Case, f64)> = Vec::new();
    for case in cases() {
        let out = dir.join(format!("{}.out", case.name().replace('/', "-")));
        let t = Instant::now();
        let run = Command::new(&valgrind)
            .args([
                "--tool=callgrind",
                "--collect-atstart=no",
                &format!("--toggle-collect={REGION}"),
                &format!("--callgrind-out-file={}", out.display()),
            ])
            .arg(&exe)
            .args(["client", case.backend, case.client, case.op, &addr])
            .arg(case.ops.to_string())
            .output()
            .map_err(|e| format!("cannot run valgrind: {e}"))?;
        if !run.status.success() {
            return Err(format!(
                "{} failed ({}):\n{}",
                case.name(),
                run.status,
                String::from_utf8_lossy(&run.stderr)
            ));
        }
        let total = callgrind_total(&out)?;
        let per_op = total as f64 / case.ops as f64;
        eprintln!(
            "  {:<28} {:>12} Ir / {:>5} ops = {:>9.0} per op   ({:.1} s)",
            case.name(),
            total,
            case.ops,
            per_op,
            t.elapsed().as_secs_f64()
        );
        results.push((case, per_op));
    }
    drop(server);
    print!("{}", table(&results));
    eprintln!(
        "instructions: {:.0} s in all",
        started.elapsed().as_secs_f64()
    );
    let rows: Vec<String> = results
        .iter()
        .map(|(c, v)| {
            format!(
                r#"{{"backend":"{}","client":"{}","op":"{}","ops":{},"instructions_per_op":{v:.1}}}"#,
                c.backend, c.client, c.op, c.ops
            )
        })
        .collect();
    let file = results_dir().join("instructions.json");
    std::fs::write(&file, format!("[{}]\n", rows.join(",\n")))
        .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(())
}

/// The event total of a callgrind output file (its `summary:` or `totals:` line; the only event is `Ir`).
fn callgrind_total(file: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("{}: no summary line", file.display()))
}

fn table(results: &[(Case, f64)]) -> String {
    let get = |backend: &str, client: &str, op: &str| {
        results
            .iter()
            .find(|(c, _)| c.backend == backend && c.client == client && c.op == op)
            .map(|(_, v)| *v)
    };
    let k = |v: f64| format!("{:.1}k", v / 1000.0);
    let cell = |v: Option<f64>, floor: Option<f64>, is_floor: bool| match (v, floor) {
        (None, _) => "-".to_owned(),
        (Some(v), Some(f)) if !is_floor => format!("{} ({:.2}x)", k(v), v / f),
        (Some(v), _) => k(v),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\ninstructions per op (callgrind, client side only)   {:>16} {:>16} {:>16}",
        OPS[0].1, OPS[1].1, OPS[2].1
    );
    for backend in BACKENDS {
        for client in CLIENTS {
            let label = match *client {
                "bare" => format!("bare {backend} + structs (floor)"),
                "bare-set" => "  the same, with botwire's timeouts".to_owned(),
                "botwire" => format!("botwire {backend} (default stack)"),
                _ => format!("botwire {backend}, no Retry/Throttle"),
            };
            let _ = write!(out, "{label:<52}");
            for (op, _) in OPS {
                let floor = get(backend, "bare", op);
                let _ = write!(
                    out,
                    " {:>16}",
                    cell(get(backend, client, op), floor, *client == "bare")
                );
            }
            out.push('\n');
        }
    }
    let floor = get("none", "bare", "decode");
    let _ = writeln!(
        out,
        "decoded update without HTTP: serde into structs (floor) {}, botwire UpdateBatch {}",
        cell(floor, None, true),
        cell(get("none", "botwire", "decode"), floor, false)
    );
    out
}

/// `client <backend> <client> <op> <addr> <n>`: warm up, then run `n` ops inside [`callgrind_region`].
fn client(args: &[String]) {
    let [backend, client, op, addr, n] = args else {
        panic!("usage: client <backend> <client> <op> <addr> <n>");
    };
    let n: u64 = n.parse().expect("n");
    let base = format!("http://{addr}");
    // reqwest::Client::new() (the bare floor) needs a process-wide rustls provider; botwire's transport brings
    // its own and is unaffected.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut run = runner(backend, client, op, &base);
    let warm_up = if matches!(op.as_str(), "updates" | "decode") {
        WARM_UP_ANSWERS * fixtures::UPDATES_PER_BODY as u64
    } else {
        WARM_UP_REQUESTS
    };
    run(warm_up);
    callgrind_region(&mut run, n);
    println!("{backend}/{client}/{op}: {n} ops");
}

fn config(base: &str) -> botwire_max::Config {
    botwire_max::Config::new("bench-token").with_base_url(base)
}

fn poll_config() -> PollConfig {
    PollConfig::default()
        .min_interval(std::time::Duration::ZERO)
        .timeout_secs(1)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn bare_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Bare ureq with the settings botwire's transport applies (`TransportConfig::default()`): its connect and
/// per-phase timeouts, no redirects. What the floor costs once it cannot hang forever.
fn configured_agent() -> ureq::Agent {
    let config = TransportConfig::default();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(config.get_connect_timeout())
        .timeout_send_request(config.get_timeout())
        .timeout_recv_response(config.get_timeout())
        .timeout_recv_body(config.get_timeout())
        .build()
        .into()
}

/// Bare reqwest with botwire's settings: connect and whole-request timeouts, no redirects.
fn configured_client() -> reqwest::Client {
    let config = TransportConfig::default();
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if let Some(t) = config.get_connect_timeout() {
        builder = builder.connect_timeout(t);
    }
    if let Some(t) = config.get_timeout() {
        builder = builder.timeout(t);
    }
    builder.build().unwrap()
}

/// Answers per `n` updates (the `updates` and `decode` ops hand out 100 updates per answer).
fn answers(n: u64) -> u64 {
    n / fixtures::UPDATES_PER_BODY as u64
}

fn check_updates(batch: &floor::Updates) {
    assert_eq!(batch.updates.len(), fixtures::UPDATES_PER_BODY);
}

/// The case's operation, as a function that performs `n` of them.
fn runner(backend: &str, client: &str, op: &str, base: &str) -> Box<dyn FnMut(u64)> {
    let token = "bench-token";
    let me_url = format!("{base}/me");
    let messages_url = format!("{base}/messages?chat_id={}", fixtures::CHAT_ID);
    let updates_url = format!(
        "{base}/updates?limit=100&timeout=1&marker={}",
        fixtures::MARKER
    );
    let chat = ChatId::from(fixtures::CHAT_ID);
    match (backend, client, op) {
        ("none", "bare", "decode") => {
            let body = fixtures::updates_body();
            Box::new(move |n| {
                for _ in 0..answers(n) {
                    let batch: floor::Updates = serde_json::from_slice(&body).unwrap();
                    check_updates(&batch);
                }
            })
        }
        ("none", "botwire", "decode") => {
            let body = fixtures::updates_body();
            Box::new(move |n| {
                for _ in 0..answers(n) {
                    let batch = UpdateBatch::from_slice(&body).unwrap();
                    assert_eq!(batch.updates.len(), fixtures::UPDATES_PER_BODY);
                }
            })
        }
        ("ureq", bare @ ("bare" | "bare-set"), op) => {
            let agent = if bare == "bare" {
                bare_agent()
            } else {
                configured_agent()
            };
            match op {
                "me" => Box::new(move |n| {
                    for _ in 0..n {
                        let mut resp = agent
                            .get(&me_url)
                            .header("authorization", token)
                            .call()
                            .unwrap();
                        let body = resp.body_mut().read_to_vec().unwrap();
                        let me: floor::User = serde_json::from_slice(&body).unwrap();
                        assert!(me.is_bot);
                    }
                }),
                "messages" => Box::new(move |n| {
                    for _ in 0..n {
                        let body = serde_json::to_vec(&floor::NewText {
                            text: fixtures::TEXT,
                        })
                        .unwrap();
                        let mut resp = agent
                            .post(&messages_url)
                            .header("authorization", token)
                            .header("content-type", "application/json")
                            .send(&body[..])
                            .unwrap();
                        let body = resp.body_mut().read_to_vec().unwrap();
                        let sent: floor::Sent = serde_json::from_slice(&body).unwrap();
                        assert!(sent.message.body.is_some());
                    }
                }),
                _ => Box::new(move |n| {
                    for _ in 0..answers(n) {
                        let mut resp = agent
                            .get(&updates_url)
                            .header("authorization", token)
                            .call()
                            .unwrap();
                        let body = resp.body_mut().read_to_vec().unwrap();
                        check_updates(&serde_json::from_slice(&body).unwrap());
                    }
                }),
            }
        }
        ("reqwest", bare @ ("bare" | "bare-set"), op) => {
            let rt = runtime();
            let http = if bare == "bare" {
                reqwest::Client::new()
            } else {
                configured_client()
            };
            match op {
                "me" => Box::new(move |n| {
                    rt.block_on(async {
                        for _ in 0..n {
                            let resp = http
                                .get(&me_url)
                                .header("authorization", token)
                                .send()
                                .await
                                .unwrap();
                            let body = resp.bytes().await.unwrap();
                            let me: floor::User = serde_json::from_slice(&body).unwrap();
                            assert!(me.is_bot);
                        }
                    })
                }),
                "messages" => Box::new(move |n| {
                    rt.block_on(async {
                        for _ in 0..n {
                            let body = serde_json::to_vec(&floor::NewText {
                                text: fixtures::TEXT,
                            })
                            .unwrap();
                            let resp = http
                                .post(&messages_url)
                                .header("authorization", token)
                                .header("content-type", "application/json")
                                .body(body)
                                .send()
                                .await
                                .unwrap();
                            let body = resp.bytes().await.unwrap();
                            let sent: floor::Sent = serde_json::from_slice(&body).unwrap();
                            assert!(sent.message.body.is_some());
                        }
                    })
                }),
                _ => Box::new(move |n| {
                    rt.block_on(async {
                        for _ in 0..answers(n) {
                            let resp = http
                                .get(&updates_url)
                                .header("authorization", token)
                                .send()
                                .await
                                .unwrap();
                            let body = resp.bytes().await.unwrap();
                            check_updates(&serde_json::from_slice(&body).unwrap());
                        }
                    })
                }),
            }
        }
        ("ureq", client, op) => {
            let backend = UreqTransport::new(TransportConfig::default());
            if client == "botwire" {
                blocking_runner(
                    botwire_max::blocking::Client::new(config(base), stack::default_stack(backend)),
                    op,
                    chat,
                )
            } else {
                blocking_runner(
                    botwire_max::blocking::Client::new(config(base), backend),
                    op,
                    chat,
                )
            }
        }
        ("reqwest", client, op) => {
            let backend = ReqwestTransport::new(TransportConfig::default()).unwrap();
            if client == "botwire" {
                async_runner(
                    botwire_max::Client::new(config(base), stack::default_stack(backend)),
                    op,
                    chat,
                )
            } else {
                async_runner(botwire_max::Client::new(config(base), backend), op, chat)
            }
        }
        other => panic!("no such case: {other:?}"),
    }
}

fn blocking_runner<T>(
    client: botwire_max::blocking::Client<T>,
    op: &str,
    chat: ChatId,
) -> Box<dyn FnMut(u64)>
where
    T: botwire_transport::BlockingTransport + 'static,
{
    // The update iterator borrows its client for as long as the process runs.
    let client: &'static _ = Box::leak(Box::new(client));
    match op {
        "me" => Box::new(move |n| {
            for _ in 0..n {
                assert!(client.get_me().unwrap().is_bot);
            }
        }),
        "messages" => Box::new(move |n| {
            for _ in 0..n {
                let sent = client
                    .send_message(chat, NewMessageBody::text(fixtures::TEXT))
                    .unwrap();
                assert!(sent.body.is_some());
            }
        }),
        _ => {
            let mut updates = client.updates(poll_config());
            Box::new(move |n| {
                for _ in 0..n {
                    let item = updates.next().unwrap().unwrap();
                    assert!(matches!(item, Polled::Update(_)));
                }
            })
        }
    }
}

fn async_runner<T>(client: botwire_max::Client<T>, op: &str, chat: ChatId) -> Box<dyn FnMut(u64)>
where
    T: botwire_transport::AsyncTransport + 'static,
{
    let rt = runtime();
    // The update stream borrows its client for as long as the process runs.
    let client: &'static _ = Box::leak(Box::new(client));
    match op {
        "me" => Box::new(move |n| {
            rt.block_on(async {
                for _ in 0..n {
                    assert!(client.get_me().await.unwrap().is_bot);
                }
            })
        }),
        "messages" => Box::new(move |n| {
            rt.block_on(async {
                for _ in 0..n {
                    let sent = client
                        .send_message(chat, NewMessageBody::text(fixtures::TEXT))
                        .await
                        .unwrap();
                    assert!(sent.body.is_some());
                }
            })
        }),
        _ => {
            let mut updates = client.updates(poll_config());
            Box::new(move |n| {
                rt.block_on(async {
                    for _ in 0..n {
                        let item = updates.next().await.unwrap().unwrap();
                        assert!(matches!(item, Polled::Update(_)));
                    }
                })
            })
        }
    }
}
