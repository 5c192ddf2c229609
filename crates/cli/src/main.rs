//! `botwire`: the command line for MAX and onebot.tech bot developers, built on the SDK's public API.
//!
//! ```text
//! botwire max me                                  # who the token belongs to
//! botwire max updates --follow                    # tail updates (long polling)
//! botwire max forward --to http://127.0.0.1:8080/hook --secret S   # deliver them to a local webhook
//! botwire max send 123 "hello" --button "Yes=yes"
//! botwire onebot contacts export --bot-id 29454 --format csv      # resumable, at 2 requests/s
//! botwire sandbox                                 # fake MAX and OneBot servers on loopback
//! ```
//!
//! Tokens come from `MAX_BOT_TOKEN` / `ONEBOT_API_TOKEN` or `--token-file`, never from a flag (shell history).
//! Exit codes: 0 ok, 1 other failure, 2 usage, 3 API error, 4 network, 5 rate limited.
#![forbid(unsafe_code)]

mod cli;
mod error;
mod export;
mod max;
mod onebot;
mod output;
mod poll;
mod settings;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::error::CliError;
use crate::output::Out;

fn main() -> ExitCode {
    // A bug must still read like every other error: one line, no backtrace (whatever RUST_BACKTRACE says).
    std::panic::set_hook(Box::new(|info| {
        // `botwire max updates --follow | head`: the reader went away. Not a bug: stop quietly, as a shell tool
        // killed by SIGPIPE would (print!/println! panic on a closed stdout instead).
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("Broken pipe") {
            std::process::exit(141);
        }
        eprintln!(
            "error: internal error: {info}\nhint: this is a bug in botwire; please report it with the command you ran"
        );
    }));
    // clap exits 2 on a usage error and 0 for --help / --version.
    let cli = Cli::parse();
    if cli.verbose {
        init_tracing();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            e.exit.into()
        }
    }
}

/// `--verbose`: the SDK's spans and events (method, path, status, duration, retries, throttle waits) on stderr.
/// The SDK never logs a token; ureq's own `log` records (which would print URLs and headers at TRACE) are not
/// collected at all.
fn init_tracing() {
    let spec = std::env::var("RUST_LOG")
        .ok()
        .filter(|spec| tracing_subscriber::EnvFilter::try_new(spec).is_ok())
        .unwrap_or_else(|| {
            "botwire_transport=debug,botwire_max=debug,botwire_onebot=debug".to_owned()
        });
    // Whatever RUST_LOG says: the HTTP backends' own records print full URLs (OneBot's api_token) and
    // headers (MAX's Authorization) at TRACE, so they stay off.
    let filter = tracing_subscriber::EnvFilter::new(format!(
        "{spec},ureq=off,ureq_proto=off,hyper=off,reqwest=off"
    ));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .try_init();
}

fn run(cli: Cli) -> Result<(), CliError> {
    let out = Out { json: cli.json };
    let env = |name: &str| std::env::var(name).ok();
    match cli.command {
        Command::Max(args) => max::run(args, out, &env),
        Command::OneBot(args) => onebot::run(args, out, &env),
        Command::Sandbox(command) => match botwire_sandbox::cli::run(&command.args) {
            Ok(never) => match never {},
            // The flag checks say which flag (`--fault-rate must be …`); anything else is the system's answer
            // (a port in use).
            Err(e) if e.to_string().starts_with("--") => {
                Err(CliError::usage(format!("sandbox: {e}")))
            }
            Err(e) => Err(CliError::failure(format!("sandbox: {e}"))),
        },
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "botwire", &mut script);
            use std::io::Write as _;
            match std::io::stdout().write_all(&script) {
                // `botwire completions bash | head`: the reader took what it wanted.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::failure(
                    format!("writing the completion script: {e}"),
                )),
                _ => Ok(()),
            }
        }
    }
}
