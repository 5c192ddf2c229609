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
use criterion::{Criterion, criterion_group, criterion_main};

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
criterion_main!(benches);
