//! The sandbox binary's flags and main loop (feature `cli`), shared by `botwire-sandbox` and `botwire sandbox`.

use std::io::Write;
use std::net::SocketAddr;

use clap::builder::BoolishValueParser;

use crate::max::MaxOptions;
use crate::onebot::OneBotOptions;
use crate::{Clock, Fault, MaxSandbox, OneBotSandbox, max, onebot};

/// The flags of the `botwire-sandbox` binary (and of `botwire sandbox`): ports, tokens, limits, faults, the
/// clock and loopback webhooks. Parse them with clap (`#[command(flatten)]`) and hand them to [`run`].
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
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

/// Starts both servers with these flags, prints the JSON line and the human lines to stdout, and serves until the
/// process is interrupted (it never returns `Ok`). A flag value out of range is an `Err` before anything starts.
pub fn run(args: &SandboxArgs) -> Result<std::convert::Infallible, Box<dyn std::error::Error>> {
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err("--fault-rate must be between 0 and 1".into());
    }
    if !(args.limit_scale.is_finite() && args.limit_scale > 0.0) {
        return Err("--limit-scale must be a positive number".into());
    }
    let clock = if args.stepped_clock {
        Clock::stepped(crate::STEPPED_START_MS)
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
