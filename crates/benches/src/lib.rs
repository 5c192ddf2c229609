//! What botwire's benchmarks share (the benchmarks themselves are the `benches/` targets of this crate).
//!
//! * [`fixtures`]: the response bodies every benchmark uses (a bot, a sent message, a 100-update batch).
//! * [`floor`]: minimal hand-written serde structs, what a user of a bare HTTP client would decode into: the
//!   floor the SDK is compared with.
//! * [`server`]: a tiny fixed-response HTTP/1.1 server (keep-alive, one thread per connection), so that the
//!   instruction counts do not depend on the sandbox's state.
//! * [`stack`]: botwire's default transport stack (`Retry<Throttle<_>>` with the MAX preset) on a clock that
//!   never really waits.
//! * [`memory_kib`]: the process's resident memory.
//!
//! The crate is not published and is not a default workspace member: `cargo bench -p botwire-benches` (or
//! `cargo xtask bench`) runs it.

pub mod fixtures;
pub mod floor;
pub mod server;
pub mod stack;

/// Resident and peak resident memory of this process, in KiB (`VmRSS`, `VmHWM` from `/proc/self/status`; zeros
/// where that file does not exist).
pub fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Where benchmarks write their results for `cargo xtask bench`: `$CARGO_TARGET_DIR/botwire-bench`, or the
/// workspace's `target/botwire-bench`.
pub fn results_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("botwire-bench")
}
