//! `GET /me` against the loopback sandbox: building + sending + parsing with botwire's clients, against the same
//! exchange made with bare ureq / bare reqwest and `serde_json` into the same type (the floor).
//!
//! Groups: `get_me_ureq/{bare,botwire,botwire_layers}` and `get_me_reqwest/{…}`; `botwire_layers` is the client on
//! `Retry<Throttle<_>>` with no limits configured (the cost of the policy layers themselves).

#![allow(missing_docs)] // criterion_group! generates undocumented items

mod common;

use std::time::Duration;

use botwire_max::types::BotInfo;
use botwire_sandbox::MaxSandbox;
use botwire_transport::{ReqwestTransport, TransportConfig, UreqTransport};
use criterion::{Criterion, criterion_group};

fn config(sb: &MaxSandbox) -> botwire_max::Config {
    botwire_max::Config::new(sb.token()).with_base_url(sb.base_url())
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
        common::layers(UreqTransport::new(TransportConfig::default())),
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
        common::layers(ReqwestTransport::new(TransportConfig::default()).expect("reqwest")),
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

/// The paired A/B run ([`common::interleaved`]): `BOTWIRE_AB=1 cargo bench -p botwire-benches --bench get_me`.
fn interleaved() {
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
        common::layers(UreqTransport::new(TransportConfig::default())),
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
        common::layers(ReqwestTransport::new(TransportConfig::default()).expect("reqwest")),
    );
    let raw_transport = UreqTransport::new(TransportConfig::default());
    let agent_timeouts: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let agent_phase_timeouts: ureq::Agent = ureq::Agent::config_builder()
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
    // The same bare exchange through a given agent: only the agent's configuration differs between variants.
    let run_with = |agent: &ureq::Agent| {
        let mut resp = agent.run(raw_request()).expect("call");
        let body = resp.body_mut().read_to_vec().expect("body");
        let _: BotInfo = serde_json::from_slice(&body).expect("decode");
    };
    let variants: Vec<common::Variant<'_>> = vec![
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
        ("ureq/bare_run_http_vec", Box::new(|| run_with(&agent))),
        (
            "ureq/bare_timeout_global",
            Box::new(|| run_with(&agent_timeouts)),
        ),
        (
            "ureq/bare_phase_timeouts",
            Box::new(|| run_with(&agent_phase_timeouts)),
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
    common::interleaved(variants, common::timed);
}

fn main() {
    common::main(interleaved, benches);
}
