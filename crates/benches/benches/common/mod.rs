//! What the request benchmarks (`get_me`, `send_message`) share: the policy-layer stack they measure, the paired
//! A/B runner, and `main`.

#![allow(dead_code)] // each bench uses the parts it needs

use std::time::{Duration, Instant};

use botwire_transport::{Retry, RetryPolicy, Throttle, ThrottleConfig};

/// A benchmarked variant: its name (`<backend>/<what>`) and one call.
pub type Variant<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// The client's transport on `Retry<Throttle<_>>` with no limits: the cost of the policy layers themselves.
pub fn layers<T>(inner: T) -> Retry<Throttle<T>> {
    Retry::new(
        Throttle::new(inner, ThrottleConfig::unlimited()),
        RetryPolicy::default(),
    )
}

/// Times `iters` calls of `f`.
pub fn timed(iters: u64, f: &mut dyn FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed()
}

/// Interleaved A/B: rounds of `BOTWIRE_AB_CALLS` (200) calls per variant, one variant after the other, for
/// `BOTWIRE_AB_ROUNDS` (31) rounds, so that load from other processes hits every variant alike. Prints the median
/// over rounds of each variant's per-call time and of its ratio to `<backend>/bare` within the same round.
/// `BOTWIRE_AB_ONLY=reqwest/bare,reqwest/botwire` keeps only the named variants (e.g. for a callgrind run).
/// `time` times one batch (a bench that must reset state between batches does it there, untimed).
pub fn interleaved(
    mut variants: Vec<Variant<'_>>,
    mut time: impl FnMut(u64, &mut dyn FnMut()) -> Duration,
) {
    let env = |name: &str, default: u32| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let rounds = env("BOTWIRE_AB_ROUNDS", 31);
    let calls = env("BOTWIRE_AB_CALLS", 200);
    if let Ok(only) = std::env::var("BOTWIRE_AB_ONLY") {
        variants.retain(|(n, _)| only.split(',').any(|o| o == *n));
    }
    let mut per_call: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in variants.iter_mut().enumerate() {
            let elapsed = time(u64::from(calls), f.as_mut());
            per_call[i].push(elapsed.as_secs_f64() * 1e6 / f64::from(calls));
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for (i, (name, _)) in variants.iter().enumerate() {
        let backend = name.split('/').next().unwrap_or_default();
        let bare = variants
            .iter()
            .position(|(n, _)| *n == format!("{backend}/bare"));
        let ratio = bare.map(|b| {
            median(
                per_call[i]
                    .iter()
                    .zip(&per_call[b])
                    .map(|(v, b)| v / b)
                    .collect(),
            )
        });
        println!(
            "{name:<24} median {:>8.2} µs/call   median ratio to bare {}",
            median(per_call[i].clone()),
            ratio
                .map(|r| format!("{r:.3}"))
                .unwrap_or_else(|| "-".into())
        );
    }
}

/// The benches' `main`: the paired A/B run when `BOTWIRE_AB` is set, criterion otherwise.
pub fn main(interleaved: fn(), criterion_benches: fn()) {
    // reqwest::Client::new() (the bare floor) needs a process-wide rustls provider; botwire's transport brings
    // its own and is unaffected.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if std::env::var_os("BOTWIRE_AB").is_some() {
        interleaved();
        return;
    }
    criterion_benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
