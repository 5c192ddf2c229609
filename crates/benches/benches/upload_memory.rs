//! Memory of an upload: a 1 GiB file from a path through each client's default stack (`Retry<Throttle<_>>`)
//! to a loopback sink, streamed, against the whole-file-in-memory path uploads used before (the file read
//! into a `Vec`, then sent as bytes).
//!
//! Each case runs in a process of its own (this binary re-runs itself), so each starts from a fresh peak: the
//! sink ([`botwire_benches::server`], which reads and drops the body in an 8 KiB buffer and answers with the
//! byte count it received) and the client are set up (no request sent yet, so connection and TLS-free HTTP
//! buffers count against the upload), then the baseline `VmRSS` is read, the peak is reset to it (`/proc/self/clear_refs`), and after the big upload the peak
//! (`VmHWM`) is read again. The figure is the peak above the baseline. The file is sparse (no disk is used; the
//! kernel hands out zeros), and the received count is checked against the body length.
//!
//! `cargo xtask bench --upload`, or `cargo bench -p botwire-benches --bench upload_memory`. `BOTWIRE_UPLOAD_MIB`
//! changes the size (default 1024); `BOTWIRE_UPLOAD_CASES` picks cases (comma-separated; default all four).
//! Writes `target/botwire-bench/upload_memory.json`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use botwire_benches::{memory_kib, results_dir, server};
use botwire_core_types::max::{AttachmentRequest, UploadType};
use botwire_max::Config;
use botwire_max::upload::{UploadFlow, UploadSource};

/// (name, client, how the file is handed over).
const CASES: &[(&str, &str, &str)] = &[
    (
        "ureq-stream",
        "blocking (ureq)",
        "UploadSource::path, streamed",
    ),
    (
        "reqwest-stream",
        "async (reqwest)",
        "UploadSource::path, streamed",
    ),
    (
        "ureq-in-memory",
        "blocking (ureq)",
        "std::fs::read + UploadSource::bytes (before)",
    ),
    (
        "reqwest-in-memory",
        "async (reqwest)",
        "std::fs::read + UploadSource::bytes (before)",
    ),
];

const CASE_VAR: &str = "BOTWIRE_UPLOAD_CASE";

fn main() {
    // `cargo test --benches` runs bench targets once in test mode: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("upload_memory: skipped (runs under `cargo bench`)");
        return;
    }
    let mib: u64 = std::env::var("BOTWIRE_UPLOAD_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let dir = results_dir();
    std::fs::create_dir_all(&dir).expect("results dir");
    let path = dir.join(format!("upload-{mib}mib.sparse"));
    if let Ok(case) = std::env::var(CASE_VAR) {
        println!("{}", run_case(&case, &path));
        return;
    }
    let file = std::fs::File::create(&path).expect("create the sparse file");
    file.set_len(mib * 1024 * 1024)
        .expect("size the sparse file");
    drop(file);
    let wanted = std::env::var("BOTWIRE_UPLOAD_CASES").unwrap_or_default();
    let exe = std::env::current_exe().expect("this binary");
    println!(
        "upload_memory: a {mib} MiB file from a path to a loopback sink, default stack; peak RSS above the baseline\n\
         {:<18} {:<16} {:<46} {:>12} {:>12} {:>10} {:>9}",
        "case", "client", "source", "baseline KiB", "peak KiB", "above MiB", "seconds"
    );
    let mut results = Vec::new();
    for &(name, client, source) in CASES {
        if !wanted.is_empty() && !wanted.split(',').any(|w| w.trim() == name) {
            continue;
        }
        let out = Command::new(&exe)
            .arg("--bench")
            .env(CASE_VAR, name)
            .output()
            .expect("run a case");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().last().unwrap_or_default().to_owned();
        let parsed: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) if out.status.success() => v,
            _ => panic!(
                "case {name} failed ({}):\n{text}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ),
        };
        let (base, peak) = (
            parsed["baseline_kib"].as_u64().unwrap_or(0),
            parsed["peak_kib"].as_u64().unwrap_or(0),
        );
        println!(
            "{name:<18} {client:<16} {source:<46} {base:>12} {peak:>12} {:>10.1} {:>9.1}",
            peak.saturating_sub(base) as f64 / 1024.0,
            parsed["seconds"].as_f64().unwrap_or(0.0)
        );
        results.push(line);
    }
    let _ = std::fs::remove_file(&path);
    println!("target: streamed ≤ 32 MiB above the baseline");
    let _ = std::fs::write(
        dir.join("upload_memory.json"),
        format!(r#"{{"mib":{mib},"cases":[{}]}}"#, results.join(",")),
    );
}

/// One case in this process: prints a JSON line with the baseline, the peak and the time.
fn run_case(case: &str, path: &Path) -> String {
    let addr = server::spawn().expect("the sink starts");
    let config = Config::new("bench-token").with_base_url(format!("http://{addr}"));
    let len = std::fs::metadata(path).expect("the file").len();
    let progress_calls = Arc::new(AtomicU64::new(0));
    let (baseline, peak, seconds, attachment) = if case.starts_with("ureq") {
        let client = botwire_max::blocking::Client::with_config(config);
        let upload = |source: UploadSource| {
            client
                .upload_flow(flow(case, source, &progress_calls))
                .expect("upload")
        };
        let baseline = reset_peak();
        let started = Instant::now();
        let attachment = upload(source(case, path));
        (
            baseline,
            memory_kib().1,
            started.elapsed().as_secs_f64(),
            attachment,
        )
    } else {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let client = botwire_max::Client::with_config(config).expect("client");
            let upload = async |source: UploadSource| {
                client
                    .upload_flow(flow(case, source, &progress_calls))
                    .await
                    .expect("upload")
            };
            let baseline = reset_peak();
            let started = Instant::now();
            let attachment = upload(source(case, path)).await;
            (
                baseline,
                memory_kib().1,
                started.elapsed().as_secs_f64(),
                attachment,
            )
        })
    };
    let AttachmentRequest::File(file) = &attachment else {
        panic!("not a file attachment: {attachment:?}")
    };
    let token = file.payload.token.clone();
    let received: u64 = token
        .strip_prefix("received-")
        .and_then(|n| n.parse().ok())
        .expect("the sink's byte count");
    // The multipart envelope is a few hundred bytes around the file.
    assert!(
        received > len && received < len + 1024,
        "the sink received {received} bytes for a {len}-byte file"
    );
    format!(
        r#"{{"case":"{case}","file_bytes":{len},"received_bytes":{received},"baseline_kib":{baseline},"peak_kib":{peak},"above_kib":{},"seconds":{seconds:.2},"progress_calls":{}}}"#,
        peak.saturating_sub(baseline),
        progress_calls.load(Ordering::Relaxed)
    )
}

/// The upload of `source`; streamed cases count progress calls, the in-memory ones take the old path
/// exactly (no progress callback existed: the bytes go as one `Vec` body).
fn flow(case: &str, source: UploadSource, calls: &Arc<AtomicU64>) -> UploadFlow {
    let flow = UploadFlow::from_source(UploadType::File, source)
        .expect("flow")
        .upload_timeout(Duration::from_secs(600));
    if case.ends_with("in-memory") {
        return flow;
    }
    let calls = Arc::clone(calls);
    flow.on_progress(move |_, _| {
        calls.fetch_add(1, Ordering::Relaxed);
    })
}

/// The big upload's source: the path itself (streamed), or its bytes read first (the old path; through the
/// default stack the `Retry` layer also copies a `Vec` body before its first attempt, so that path peaks at
/// twice the file).
fn source(case: &str, path: &Path) -> UploadSource {
    if case.ends_with("in-memory") {
        let data = std::fs::read(path).expect("read the file");
        UploadSource::bytes(file_name(path), data)
    } else {
        UploadSource::path(path)
    }
}

fn file_name(path: &Path) -> String {
    PathBuf::from(path.file_name().unwrap_or_default())
        .display()
        .to_string()
}

/// Resets the peak (`VmHWM`) to the current RSS and returns that RSS: the baseline.
fn reset_peak() -> u64 {
    // "5" resets the peak resident set size (Linux ≥ 4.0). Where it cannot be written, the peak keeps the set-up's
    // high-water mark, which only overstates the figure.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    memory_kib().0
}
