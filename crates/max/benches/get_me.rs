//! `GET /me` against the loopback sandbox: building + sending + parsing with botwire's clients, against the same
//! exchange made with bare ureq / bare reqwest and `serde_json` into the same type (the floor).
//!
//! Groups: `get_me_ureq/{bare,botwire,botwire_layers}` and `get_me_reqwest/{…}`; `botwire_layers` is the client on
//! `Retry<Throttle<_>>` with no limits configured (the cost of the policy layers themselves).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::time::Duration;

use botwire_max::types::BotInfo;
use botwire_sandbox::MaxSandbox;
use botwire_transport::{
    ReqwestTransport, Retry, RetryPolicy, Throttle, ThrottleConfig, TransportConfig, UreqTransport,
};
use criterion::{Criterion, criterion_group};

fn config(sb: &MaxSandbox) -> botwire_max::Config {
    botwire_max::Config::new(sb.token()).with_base_url(sb.base_url())
}

fn layers<T>(inner: T) -> Retry<Throttle<T>> {
    Retry::new(
        Throttle::new(inner, ThrottleConfig::unlimited()),
        RetryPolicy::default(),
    )
}

fn ureq_group(c: &mut Criterion, sb: &MaxSandbox) {
    let url = format!("{}/me", sb.base_url());
    let token = sb.token().to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let client = botwire_max::blocking::Client::new(
        config(sb),
        UreqTransport::new(TransportConfig::default()),
    );
    let layered = botwire_max::blocking::Client::new(
        config(sb),
        layers(UreqTransport::new(TransportConfig::default())),
    );
    let mut g = c.benchmark_group("get_me_ureq");
    g.bench_function("bare", |b| {
        b.iter(|| {
            let mut resp = agent
                .get(&url)
                .header("authorization", &token)
                .call()
                .expect("bare ureq call");
            let body = resp.body_mut().read_to_vec().expect("body");
            let bot: BotInfo = serde_json::from_slice(&body).expect("decode");
            bot
        })
    });
    g.bench_function("botwire", |b| {
        b.iter(|| client.get_me().expect("botwire get_me"))
    });
    g.bench_function("botwire_layers", |b| {
        b.iter(|| layered.get_me().expect("layered get_me"))
    });
    g.finish();
}

fn reqwest_group(c: &mut Criterion, sb: &MaxSandbox) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("{}/me", sb.base_url());
    let token = sb.token().to_owned();
    let bare = reqwest::Client::new();
    let client = botwire_max::Client::new(
        config(sb),
        ReqwestTransport::new(TransportConfig::default()).expect("reqwest"),
    );
    let layered = botwire_max::Client::new(
        config(sb),
        layers(ReqwestTransport::new(TransportConfig::default()).expect("reqwest")),
    );
    let mut g = c.benchmark_group("get_me_reqwest");
    g.bench_function("bare", |b| {
        b.iter(|| {
            rt.block_on(async {
                let resp = bare
                    .get(&url)
                    .header("authorization", &token)
                    .send()
                    .await
                    .expect("bare reqwest call");
                let body = resp.bytes().await.expect("body");
                let bot: BotInfo = serde_json::from_slice(&body).expect("decode");
                bot
            })
        })
    });
    g.bench_function("botwire", |b| {
        b.iter(|| rt.block_on(client.get_me()).expect("botwire get_me"))
    });
    g.bench_function("botwire_layers", |b| {
        b.iter(|| rt.block_on(layered.get_me()).expect("layered get_me"))
    });
    g.finish();
}

fn get_me(c: &mut Criterion) {
    let sb = MaxSandbox::start().expect("sandbox");
    ureq_group(c, &sb);
    reqwest_group(c, &sb);
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).sample_size(100);
    targets = get_me
}

/// Interleaved A/B: rounds of `CALLS` calls per variant, one after the other, so that load from other processes
/// hits every variant alike; prints the median over rounds of each variant's per-call time and its ratio to bare
/// within the same round. Run with `BOTWIRE_AB=1 cargo bench -p botwire-max --all-features --bench get_me`.
fn interleaved() {
    // Overridable for profiling runs (e.g. under callgrind with BOTWIRE_AB_ROUNDS=1).
    let env = |name: &str, default: u32| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let rounds = env("BOTWIRE_AB_ROUNDS", 31);
    let calls = env("BOTWIRE_AB_CALLS", 200);
    let sb = MaxSandbox::start().expect("sandbox");
    let url = format!("{}/me", sb.base_url());
    let token = sb.token().to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let ureq_client = botwire_max::blocking::Client::new(
        config(&sb),
        UreqTransport::new(TransportConfig::default()),
    );
    let ureq_layers = botwire_max::blocking::Client::new(
        config(&sb),
        layers(UreqTransport::new(TransportConfig::default())),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bare = reqwest::Client::new();
    let reqwest_client = botwire_max::Client::new(
        config(&sb),
        ReqwestTransport::new(TransportConfig::default()).expect("reqwest"),
    );
    let reqwest_layers = botwire_max::Client::new(
        config(&sb),
        layers(ReqwestTransport::new(TransportConfig::default()).expect("reqwest")),
    );
    let raw_transport = UreqTransport::new(TransportConfig::default());
    let agent_timeouts: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let agent_redirects: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_recv_body(Some(Duration::from_secs(60)))
        .build()
        .into();
    let raw_request = || {
        http::Request::get(&url)
            .header("authorization", &token)
            .body(Vec::new())
            .expect("request")
    };
    type Variant<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let variants: Vec<Variant<'_>> = vec![
        (
            "ureq/bare",
            Box::new(|| {
                let mut resp = agent
                    .get(&url)
                    .header("authorization", &token)
                    .call()
                    .expect("call");
                let body = resp.body_mut().read_to_vec().expect("body");
                let _: BotInfo = serde_json::from_slice(&body).expect("decode");
            }),
        ),
        (
            "ureq/bare_run_http_vec",
            Box::new(|| {
                let mut resp = agent.run(raw_request()).expect("call");
                let body = resp.body_mut().read_to_vec().expect("body");
                let _: BotInfo = serde_json::from_slice(&body).expect("decode");
            }),
        ),
        (
            "ureq/bare_timeout_global",
            Box::new(|| {
                let mut resp = agent_timeouts.run(raw_request()).expect("call");
                let body = resp.body_mut().read_to_vec().expect("body");
                let _: BotInfo = serde_json::from_slice(&body).expect("decode");
            }),
        ),
        (
            "ureq/bare_phase_timeouts",
            Box::new(|| {
                let mut resp = agent_redirects.run(raw_request()).expect("call");
                let body = resp.body_mut().read_to_vec().expect("body");
                let _: BotInfo = serde_json::from_slice(&body).expect("decode");
            }),
        ),
        (
            "ureq/transport_only",
            Box::new(|| {
                use botwire_transport::BlockingTransport;
                let resp = raw_transport.execute(raw_request()).expect("call");
                let _: BotInfo = serde_json::from_slice(resp.body()).expect("decode");
            }),
        ),
        (
            "ureq/botwire",
            Box::new(|| {
                ureq_client.get_me().expect("get_me");
            }),
        ),
        (
            "ureq/botwire_layers",
            Box::new(|| {
                ureq_layers.get_me().expect("get_me");
            }),
        ),
        (
            "reqwest/bare",
            Box::new(|| {
                rt.block_on(async {
                    let resp = bare
                        .get(&url)
                        .header("authorization", &token)
                        .send()
                        .await
                        .expect("call");
                    let body = resp.bytes().await.expect("body");
                    let _: BotInfo = serde_json::from_slice(&body).expect("decode");
                })
            }),
        ),
        (
            "reqwest/botwire",
            Box::new(|| {
                rt.block_on(reqwest_client.get_me()).expect("get_me");
            }),
        ),
        (
            "reqwest/botwire_layers",
            Box::new(|| {
                rt.block_on(reqwest_layers.get_me()).expect("get_me");
            }),
        ),
    ];
    let mut per_call: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in variants.iter().enumerate() {
            let start = std::time::Instant::now();
            for _ in 0..calls {
                f();
            }
            per_call[i].push(start.elapsed().as_secs_f64() * 1e6 / f64::from(calls));
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for (i, (name, _)) in variants.iter().enumerate() {
        let bare_index = if name.starts_with("ureq") {
            0
        } else {
            variants
                .iter()
                .position(|(n, _)| *n == "reqwest/bare")
                .unwrap_or(0)
        };
        let mut ratios: Vec<f64> = per_call[i]
            .iter()
            .zip(&per_call[bare_index])
            .map(|(v, b)| v / b)
            .collect();
        let mut times = per_call[i].clone();
        println!(
            "{name:<24} median {:>8.2} µs/call   median ratio to bare {:.3}",
            median(&mut times),
            median(&mut ratios)
        );
    }
}

fn main() {
    // reqwest::Client::new() (the bare floor) needs a process-wide rustls provider; botwire's transport brings
    // its own and is unaffected.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if std::env::var_os("BOTWIRE_AB").is_some() {
        interleaved();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
