//! Sustained send rate through the throttle at the real limits, over 10 s, against sandboxes that enforce the
//! same limits: how close to the limit the client gets, and how many 429s it sees.
//!
//! MAX: the default blocking client (`Retry<Throttle<ureq>>`, `ThrottleConfig::max()`) calling `GET /me`, 30 rps.
//! OneBot: `Throttle<ureq>` with `ThrottleConfig::onebot()` sending raw `GET getMe`, 2 rps. Both run at once on
//! their own threads. Results are printed and written to `target/botwire-bench/sustained_rate.json` (under
//! `$CARGO_TARGET_DIR` when set) for `cargo xtask bench`.

use std::time::{Duration, Instant};

use botwire_sandbox::{MaxSandbox, OneBotSandbox};
use botwire_transport::{
    BlockingTransport, Throttle, ThrottleConfig, TransportConfig, UreqTransport,
};

const RUN: Duration = Duration::from_secs(10);

struct Outcome {
    name: &'static str,
    limit: f64,
    sent: u64,
    ok: u64,
    seconds: f64,
    rejected: u64,
}

fn max_run() -> Outcome {
    let sb = MaxSandbox::start().expect("sandbox");
    sb.faults().limits().enforce(true);
    let client = botwire_max::blocking::Client::with_config(
        botwire_max::Config::new(sb.token()).with_base_url(sb.base_url()),
    );
    let start = Instant::now();
    let mut ok = 0;
    while start.elapsed() < RUN {
        if client.get_me().is_ok() {
            ok += 1;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    Outcome {
        name: "max_get_me_30rps",
        limit: 30.0,
        sent: sb.stats().requests(),
        ok,
        seconds,
        rejected: sb.stats().status(429),
    }
}

fn onebot_run() -> Outcome {
    let sb = OneBotSandbox::start().expect("sandbox");
    sb.faults().limits().enforce(true);
    let throttle = Throttle::new(
        UreqTransport::new(TransportConfig::default()),
        ThrottleConfig::onebot(),
    );
    let url = format!("{}/getMe?api_token={}", sb.base_url(), sb.token());
    let start = Instant::now();
    let mut ok = 0;
    while start.elapsed() < RUN {
        let req = http::Request::get(&url)
            .header("x-requested-with", "XMLHttpRequest")
            .body(Vec::new())
            .expect("request");
        if throttle.execute(req).is_ok_and(|r| r.status() == 200) {
            ok += 1;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    Outcome {
        name: "onebot_get_me_2rps",
        limit: 2.0,
        sent: sb.stats().requests(),
        ok,
        seconds,
        rejected: sb.stats().status(429),
    }
}

fn main() {
    // `cargo test --benches` runs bench targets once in test mode: keep that quick.
    if std::env::args().any(|a| a == "--test" || a == "--list")
        || !std::env::args().any(|a| a == "--bench")
    {
        println!("sustained_rate: skipped (runs under `cargo bench`)");
        return;
    }
    let onebot = std::thread::spawn(onebot_run);
    let max = max_run();
    let onebot = onebot.join().expect("onebot run");
    let mut rows = Vec::new();
    for o in [max, onebot] {
        // n requests paced from t = 0 span n - 1 gaps: count gaps, or a 10 s run would credit one request extra.
        let rate = o.ok.saturating_sub(1) as f64 / o.seconds;
        println!(
            "{:<22} {:>6.2} req/s = {:>5.1}% of {} rps limit; {} sent, {} ok, {} x 429 over {:.1} s",
            o.name,
            rate,
            100.0 * rate / o.limit,
            o.limit,
            o.sent,
            o.ok,
            o.rejected,
            o.seconds
        );
        rows.push(format!(
            r#"{{"name":"{}","limit_rps":{},"rate_rps":{:.3},"percent_of_limit":{:.2},"sent":{},"ok":{},"status_429":{},"seconds":{:.3}}}"#,
            o.name,
            o.limit,
            rate,
            100.0 * rate / o.limit,
            o.sent,
            o.ok,
            o.rejected,
            o.seconds
        ));
    }
    let dir = botwire_benches::results_dir();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("sustained_rate.json"),
        format!("[{}]\n", rows.join(",")),
    );
}
