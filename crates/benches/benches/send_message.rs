//! `POST /messages` against the loopback sandbox: building + sending + parsing with botwire's clients, against the
//! same exchange made with bare ureq / bare reqwest (the same JSON body serialised with `serde_json`, the answer
//! decoded with `serde_json` into the same type): the floor.
//!
//! Groups: `send_message_ureq/{bare,botwire,botwire_layers}` and `send_message_reqwest/{…}`; `botwire_layers` is
//! the client on `Retry<Throttle<_>>` with no limits configured (the cost of the policy layers themselves; the
//! MAX preset would pace a chat at 2 messages/s). The sandbox stores every message it is sent, so each criterion
//! sample and each A/B round starts from an emptied chat, outside the timed part.

#![allow(missing_docs)] // criterion_group! generates undocumented items

mod common;

use std::time::Duration;

use botwire_core_types::max::{ChatId, NewMessageBody, SendMessageResult};
use botwire_sandbox::MaxSandbox;
use botwire_sandbox::max::BotRole;
use botwire_transport::{ReqwestTransport, TransportConfig, UreqTransport};
use criterion::{Criterion, criterion_group};

/// A typical short bot answer.
const TEXT: &str =
    "Hello from the benchmark: your order #12345 has shipped and will arrive on Tuesday.";

/// The sandbox and the chat every variant writes to.
struct Target {
    sb: MaxSandbox,
    chat: ChatId,
    /// `{base}/messages?chat_id={chat}`, for the bare clients.
    url: String,
}

impl Target {
    fn start() -> Self {
        let sb = MaxSandbox::start().expect("sandbox");
        let owner = sb.add_user("Owner");
        let chat = sb.add_group_chat("Bench", owner.user_id, BotRole::full_admin());
        let url = format!("{}/messages?chat_id={chat}", sb.base_url());
        Self { sb, chat, url }
    }

    fn config(&self) -> botwire_max::Config {
        botwire_max::Config::new(self.sb.token()).with_base_url(self.sb.base_url())
    }

    /// Forgets the messages sent so far, so the world does not grow during a run.
    fn clear(&self) {
        if let Some(chat) = self.sb.world().chat_mut(self.chat) {
            chat.messages.clear();
        }
    }

    /// Times `iters` calls of `f` from an emptied chat (criterion's `iter_custom`).
    fn timed(&self, iters: u64, f: &mut dyn FnMut()) -> Duration {
        self.clear();
        common::timed(iters, f)
    }
}

fn bare_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// The floor on ureq: serialise, POST, read, decode.
fn bare_ureq(agent: &ureq::Agent, t: &Target) {
    let body = serde_json::to_vec(&NewMessageBody::text(TEXT)).expect("encode");
    let mut resp = agent
        .post(&t.url)
        .header("authorization", t.sb.token())
        .header("content-type", "application/json")
        .send(&body[..])
        .expect("bare ureq call");
    let bytes = resp.body_mut().read_to_vec().expect("body");
    let sent: SendMessageResult = serde_json::from_slice(&bytes).expect("decode");
    assert!(sent.message.body.is_some());
}

/// The floor on reqwest: serialise, POST, read, decode.
async fn bare_reqwest(client: &reqwest::Client, t: &Target) {
    let body = serde_json::to_vec(&NewMessageBody::text(TEXT)).expect("encode");
    let resp = client
        .post(&t.url)
        .header("authorization", t.sb.token())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("bare reqwest call");
    let bytes = resp.bytes().await.expect("body");
    let sent: SendMessageResult = serde_json::from_slice(&bytes).expect("decode");
    assert!(sent.message.body.is_some());
}

/// Every variant, as a call that blocks until the message is sent and parsed.
use common::Variant;

fn variants<'a>(t: &'a Target, rt: &'a tokio::runtime::Runtime) -> Vec<Variant<'a>> {
    let agent = bare_agent();
    let ureq_client = botwire_max::blocking::Client::new(
        t.config(),
        UreqTransport::new(TransportConfig::default()),
    );
    let ureq_layers = botwire_max::blocking::Client::new(
        t.config(),
        common::layers(UreqTransport::new(TransportConfig::default())),
    );
    let bare = reqwest::Client::new();
    let reqwest_client = botwire_max::Client::new(
        t.config(),
        ReqwestTransport::new(TransportConfig::default()).expect("reqwest"),
    );
    let reqwest_layers = botwire_max::Client::new(
        t.config(),
        common::layers(ReqwestTransport::new(TransportConfig::default()).expect("reqwest")),
    );
    let chat = t.chat;
    vec![
        ("ureq/bare", Box::new(move || bare_ureq(&agent, t))),
        (
            "ureq/botwire",
            Box::new(move || {
                ureq_client
                    .send_message(chat, NewMessageBody::text(TEXT))
                    .expect("send_message");
            }),
        ),
        (
            "ureq/botwire_layers",
            Box::new(move || {
                ureq_layers
                    .send_message(chat, NewMessageBody::text(TEXT))
                    .expect("send_message");
            }),
        ),
        (
            "reqwest/bare",
            Box::new(move || rt.block_on(bare_reqwest(&bare, t))),
        ),
        (
            "reqwest/botwire",
            Box::new(move || {
                rt.block_on(reqwest_client.send_message(chat, NewMessageBody::text(TEXT)))
                    .expect("send_message");
            }),
        ),
        (
            "reqwest/botwire_layers",
            Box::new(move || {
                rt.block_on(reqwest_layers.send_message(chat, NewMessageBody::text(TEXT)))
                    .expect("send_message");
            }),
        ),
    ]
}

/// A/B-only variants that split the reqwest gap: the bare floor with botwire's default timeouts, botwire without
/// timeouts, and botwire's transport alone (a prebuilt request, decoded by hand: no endpoint, no client).
fn diagnostics<'a>(t: &'a Target, rt: &'a tokio::runtime::Runtime) -> Vec<Variant<'a>> {
    let defaults = TransportConfig::default();
    let bare_timeouts = reqwest::Client::builder()
        .connect_timeout(
            defaults
                .get_connect_timeout()
                .expect("default connect timeout"),
        )
        .timeout(defaults.get_timeout().expect("default timeout"))
        .build()
        .expect("reqwest");
    let untimed = botwire_max::Client::new(
        t.config(),
        ReqwestTransport::new(
            TransportConfig::default()
                .timeout(None)
                .connect_timeout(None),
        )
        .expect("reqwest"),
    );
    let transport = ReqwestTransport::new(TransportConfig::default()).expect("reqwest");
    let chat = t.chat;
    vec![
        (
            "reqwest/bare_timeouts",
            Box::new(move || rt.block_on(bare_reqwest(&bare_timeouts, t))),
        ),
        (
            "reqwest/botwire_untimed",
            Box::new(move || {
                rt.block_on(untimed.send_message(chat, NewMessageBody::text(TEXT)))
                    .expect("send_message");
            }),
        ),
        (
            "reqwest/transport_only",
            Box::new(move || {
                use botwire_transport::AsyncTransport;
                let body = serde_json::to_vec(&NewMessageBody::text(TEXT)).expect("encode");
                let req = http::Request::post(&t.url)
                    .header("authorization", t.sb.token())
                    .header("content-type", "application/json")
                    .body(body)
                    .expect("request");
                let resp = rt.block_on(transport.execute(req)).expect("call");
                let sent: SendMessageResult = serde_json::from_slice(resp.body()).expect("decode");
                assert!(sent.message.body.is_some());
            }),
        ),
    ]
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn send_message(c: &mut Criterion) {
    let t = Target::start();
    let rt = runtime();
    let mut variants = variants(&t, &rt);
    for backend in ["ureq", "reqwest"] {
        let mut g = c.benchmark_group(format!("send_message_{backend}"));
        for (name, f) in variants.iter_mut().filter(|(n, _)| n.starts_with(backend)) {
            let function = name.trim_start_matches(backend).trim_start_matches('/');
            g.bench_function(function, |b| b.iter_custom(|iters| t.timed(iters, f)));
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).sample_size(100);
    targets = send_message
}

/// The paired A/B run ([`common::interleaved`]): `BOTWIRE_AB=1 cargo bench -p botwire-benches --bench send_message`.
fn interleaved() {
    let t = Target::start();
    let rt = runtime();
    let mut variants = variants(&t, &rt);
    variants.extend(diagnostics(&t, &rt));
    common::interleaved(variants, |iters, f| t.timed(iters, f));
}

fn main() {
    common::main(interleaved, benches);
}
