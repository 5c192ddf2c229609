//! Runs the MAX and OneBot sandboxes standalone until interrupted, for testing a bot written in any language.
//!
//! The first line on stdout is one JSON object for scripts:
//! `{"max":{"base_url":"http://127.0.0.1:…","token":"…"},"onebot":{"base_url":"http://127.0.0.1:…/api/v1","token":"…"}}`;
//! human-readable lines follow. Drive the users through the control API under `/_sandbox/` (see the crate docs).
#![forbid(unsafe_code)]

use std::io::Write;
use std::net::SocketAddr;

use botwire_sandbox::max::MaxOptions;
use botwire_sandbox::onebot::OneBotOptions;
use botwire_sandbox::{Clock, Fault, MaxSandbox, OneBotSandbox, max, onebot};
use clap::Parser;
use clap::builder::BoolishValueParser;

/// Fake MAX Bot API and onebot.tech API servers on loopback, with users a test drives over HTTP.
///
/// Point your bot at the printed base URL and token; act as users with `POST <max base_url>/_sandbox/users`,
/// `/_sandbox/users/{id}/start`, `/messages`, `/callbacks`; read what the bot sent with
/// `GET /_sandbox/chats/{chat_id}/messages`.
#[derive(Debug, Parser)]
#[command(name = "botwire-sandbox", version, about, long_about)]
struct Args {
    /// Port of the MAX server on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    max_port: u16,

    /// Port of the OneBot server on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    onebot_port: u16,

    /// The only token the MAX server accepts (in the `Authorization` header).
    #[arg(long, default_value = max::DEFAULT_TOKEN, value_name = "TOKEN")]
    max_token: String,

    /// The only `api_token` the OneBot server accepts.
    #[arg(long, default_value = onebot::DEFAULT_TOKEN, value_name = "TOKEN")]
    onebot_token: String,

    /// Enforce the platforms' rate limits (MAX: 30 requests/s, 2 messages/s and 2 callback answers/s per chat,
    /// 2 polls/s; OneBot: 2 requests/s), answering 429 like the platforms: on or off.
    #[arg(long, default_value = "on", value_name = "on|off", value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set)]
    limits: bool,

    /// Makes every rate limit this many times faster (2 = twice the requests per second).
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    limit_scale: f64,

    /// Chance per API request of an injected fault, 0..1 (0 = none). Control requests are never faulted.
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    fault_rate: f64,

    /// Seed of the fault generator: the same seed gives the same faults for the same requests.
    #[arg(long, default_value_t = 1, value_name = "SEED")]
    fault_seed: u64,

    /// Kinds of faults to draw from, comma-separated: all, transport, 500, 503, 429, 429-hint, delay,
    /// drop-before, drop-after, drop-after-head, truncated, malformed-json.
    #[arg(long, default_value = "all", value_name = "KINDS", value_parser = parse_faults)]
    fault_kinds: FaultKinds,

    /// How many `POST /messages` attempts after each upload answer `400 attachment.not.ready`.
    #[arg(long, default_value_t = 0, value_name = "N")]
    attachment_not_ready: u64,

    /// Start the MAX clock at this Unix time in milliseconds instead of now (timestamps, webhook retries).
    #[arg(long, value_name = "UNIX_MS")]
    clock_start: Option<i64>,

    /// Run the MAX clock this many times as fast as real time (3600: the 8-hour webhook unsubscribe takes 8 s).
    #[arg(long, value_name = "FACTOR")]
    clock_scale: Option<f64>,

    /// Freeze the MAX clock, advancing it one second per event: the same timestamps on every run.
    #[arg(long, conflicts_with_all = ["clock_start", "clock_scale"])]
    stepped_clock: bool,

    /// Let `POST /subscriptions` name a loopback `http://` URL (127.0.0.1, localhost, [::1], any port) and
    /// deliver webhooks there; without it the URL must be `https://` on port 443, as on the platform.
    #[arg(long)]
    webhook_loopback: bool,
}

/// A list of fault kinds, parsed from one flag value.
#[derive(Debug, Clone)]
struct FaultKinds(Vec<Fault>);

fn parse_faults(list: &str) -> Result<FaultKinds, String> {
    Fault::parse_list(list).map(FaultKinds)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err("--fault-rate must be between 0 and 1".into());
    }
    if !(args.limit_scale.is_finite() && args.limit_scale > 0.0) {
        return Err("--limit-scale must be a positive number".into());
    }
    let clock = if args.stepped_clock {
        Clock::stepped(botwire_sandbox::STEPPED_START_MS)
    } else if args.clock_start.is_some() || args.clock_scale.is_some() {
        let start = args.clock_start.unwrap_or_else(|| Clock::wall().now());
        Clock::fixed(start, args.clock_scale.unwrap_or(1.0))
    } else {
        Clock::wall()
    };
    let kinds = args.fault_kinds.0.clone();
    // Markers from the wall clock: a bot's checkpoint from an earlier run is below every marker of this one,
    // so it commits nothing (no update is skipped).
    let mut max_options = MaxOptions::default()
        .token(args.max_token.clone())
        .addr(SocketAddr::from(([127, 0, 0, 1], args.max_port)))
        .clock(clock)
        .first_marker(Clock::wall().now())
        .limits(args.limits)
        .limit_scale(args.limit_scale)
        .attachment_ready_after(args.attachment_not_ready)
        .loopback_webhooks(args.webhook_loopback);
    let mut onebot_options = OneBotOptions::default()
        .token(args.onebot_token.clone())
        .addr(SocketAddr::from(([127, 0, 0, 1], args.onebot_port)))
        .limits(args.limits)
        .limit_scale(args.limit_scale);
    if args.fault_rate > 0.0 {
        max_options = max_options.random_faults(args.fault_seed, args.fault_rate, kinds.clone());
        onebot_options = onebot_options.random_faults(args.fault_seed, args.fault_rate, kinds);
    }
    let max = MaxSandbox::start_with_options(max_options)?;
    let onebot = OneBotSandbox::start_with_options(onebot_options)?;
    let mut out = std::io::stdout().lock();
    let first = serde_json::json!({
        "max": {"base_url": max.base_url(), "token": max.token()},
        "onebot": {"base_url": onebot.base_url(), "token": onebot.token()},
    });
    writeln!(out, "{first}")?;
    out.flush()?;
    // Human lines: a script that read the first line and closed the pipe must not stop the servers.
    let human = format!(
        "MAX sandbox:    {}  (Authorization: {}; control API: {}/_sandbox/)\n\
         OneBot sandbox: {}  (api_token={}; control API: {}/_sandbox/)\n\
         Rate limits {}; Ctrl-C to stop.\n",
        max.base_url(),
        max.token(),
        max.base_url(),
        onebot.base_url(),
        onebot.token(),
        onebot.base_url().trim_end_matches(onebot::API_PREFIX),
        if args.limits { "on" } else { "off" }
    );
    let _ = out.write_all(human.as_bytes()).and_then(|()| out.flush());
    drop(out);
    loop {
        std::thread::park();
    }
}
