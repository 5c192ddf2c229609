//! Runs the MAX and OneBot sandboxes standalone until interrupted, for testing a bot written in any language.
//!
//! The first line on stdout is one JSON object for scripts:
//! `{"max":{"base_url":"http://127.0.0.1:…","token":"…"},"onebot":{"base_url":"http://127.0.0.1:…/api/v1","token":"…"}}`;
//! human-readable lines follow. Drive the users through the control API under `/_sandbox/` (see the crate docs).
//! The flags live in the library ([`botwire_sandbox::cli::SandboxArgs`]) so that `botwire sandbox` offers the same.
#![forbid(unsafe_code)]

use botwire_sandbox::cli::{SandboxArgs, run};
use clap::Parser;

/// Fake MAX Bot API and onebot.tech API servers on loopback, with users a test drives over HTTP.
///
/// Point your bot at the printed base URL and token; act as users with `POST <max base_url>/_sandbox/users`,
/// `/_sandbox/users/{id}/start`, `/messages`, `/callbacks`; read what the bot sent with
/// `GET /_sandbox/chats/{chat_id}/messages`.
#[derive(Debug, Parser)]
#[command(name = "botwire-sandbox", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    args: SandboxArgs,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match run(&Cli::parse().args)? {}
}
