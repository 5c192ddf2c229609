//! Memory of the throttle's per-chat state: sends to 1,000,000 distinct chats through
//! `botwire_transport::Throttle` with the MAX preset, on a mocked clock, to a no-op transport.
//!
//! Every send is `POST /messages?chat_id=<i>` for a new chat `i`, so every send creates the state of a new
//! (rule, chat) key; the clock ([`botwire_benches::stack::instant_timer`]) jumps by each wait the throttle
//! takes, so 1,000,000 sends at the global 30 requests/s take ~9 hours of mocked time and a few seconds of real
//! time. Prints the process's resident memory (`VmRSS`) and `throttle.tracked_keys()` at checkpoints, the peak
//! (`VmHWM`) and the largest `tracked_keys()` seen after any send at the end, and writes them to `target/botwire-bench/throttle_memory.json`.
//!
//! `cargo xtask bench --memory`, or `cargo bench -p botwire-benches --bench throttle_memory`.
//! `BOTWIRE_MEMORY_CHATS` changes the number of chats.

use std::fmt::Write as _;
use std::time::Instant;

use botwire_benches::{memory_kib, results_dir, stack};
use botwire_transport::{
    BlockingTransport, HttpRequest, HttpResponse, Throttle, ThrottleConfig, TransportError,
};

fn main() {
    // `cargo test --benches` runs bench targets once in test mode: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("throttle_memory: skipped (runs under `cargo bench`)");
        return;
    }
    let chats: u64 = std::env::var("BOTWIRE_MEMORY_CHATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let noop = |_req: HttpRequest| -> Result<HttpResponse, TransportError> {
        Ok(http::Response::new(Vec::new()))
    };
    let throttle = Throttle::new(noop, ThrottleConfig::max()).with_timer(stack::instant_timer());
    // Reused: the URL buffer is not what is measured.
    let mut url = String::with_capacity(64);
    let before = memory_kib();
    let started = Instant::now();
    let mut checkpoints = Vec::new();
    let mut next = 1_000;
    let mut max_keys = 0;
    println!(
        "throttle_memory: MAX preset, mocked clock, no-op transport; {chats} distinct chats\n{:>10} {:>12} {:>13}",
        "sends", "RSS KiB", "tracked_keys"
    );
    println!("{:>10} {:>12} {:>13}", 0, before.0, throttle.tracked_keys());
    for i in 1..=chats {
        url.clear();
        let _ = write!(url, "https://botapi.max.ru/messages?chat_id={i}");
        let request = http::Request::post(url.as_str())
            .body(Vec::new())
            .expect("a valid request");
        throttle
            .execute(request)
            .expect("the no-op transport answers");
        max_keys = max_keys.max(throttle.tracked_keys());
        if i == next || i == chats {
            let (rss, _) = memory_kib();
            println!("{i:>10} {rss:>12} {:>13}", throttle.tracked_keys());
            checkpoints.push(format!(
                r#"{{"sends":{i},"rss_kib":{rss},"tracked_keys":{}}}"#,
                throttle.tracked_keys()
            ));
            next *= 10;
        }
    }
    let after = memory_kib();
    println!(
        "RSS {} KiB before, {} KiB after {chats} chats ({:+} KiB), peak {} KiB; tracked_keys {} at the end, at most {max_keys}; {:.1} s",
        before.0,
        after.0,
        after.0 as i64 - before.0 as i64,
        after.1,
        throttle.tracked_keys(),
        started.elapsed().as_secs_f64()
    );
    let dir = results_dir();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("throttle_memory.json"),
        format!(
            r#"{{"chats":{chats},"rss_before_kib":{},"rss_after_kib":{},"peak_kib":{},"tracked_keys_end":{},"tracked_keys_max":{max_keys},"checkpoints":[{}]}}
"#,
            before.0,
            after.0,
            after.1,
            throttle.tracked_keys(),
            checkpoints.join(",")
        ),
    );
}
