//! The echo bot on the blocking client (ureq): same behaviour as `echo_bot`, no async runtime at all.
//!
//! ```text
//! cargo run -p botwire-max --example echo_bot_blocking --features ureq
//! ```
//!
//! Without `MAX_BOT_TOKEN` it plays the scripted conversation against the embedded sandbox; with it, it runs
//! against the real API until stopped.
//!
//! The client is the default stack (`Client::with_config`): the backend under MAX's rate limits (30 requests/s,
//! 2 messages/s and 2 callback answers/s per chat) with bounded retries where repeating is safe. Keep it when
//! you copy this: a bare transport sends as fast as the CPU allows and collects 429s.

mod common;

use std::sync::Arc;

use botwire_core_types::max::Update;
use botwire_max::blocking::Client;
use botwire_max::polling::{PollConfig, Polled, StopHandle, is_fatal};
use botwire_max::{BlockingTransport, Config, Error};

/// Performs the echo bot's replies to one update.
fn handle<T: BlockingTransport>(client: &Client<T>, update: Update) -> Result<(), Error> {
    for reply in common::echo_replies(update) {
        match reply {
            common::Reply::Send(to, body) => drop(client.send_message(to, body)?),
            common::Reply::Answer(id, answer) => client.answer_callback(id, answer)?,
        }
    }
    Ok(())
}

/// Polls and handles updates until `stop` fires or polling fails for good.
pub fn run_bot<T: BlockingTransport>(
    client: &Client<T>,
    poll: PollConfig,
    stop: StopHandle,
) -> Result<(), Error> {
    for item in client.updates_with_stop(poll, stop) {
        match item {
            Ok(Polled::Update(update)) => {
                if let Err(e) = handle(client, update) {
                    eprintln!("bot: could not answer: {e}");
                }
            }
            Ok(Polled::Malformed(bad)) => {
                eprintln!("bot: skipped a malformed update: {}", bad.error)
            }
            // Repeated transient failures are reported and polling goes on; only 401/403/405 end it.
            Err(report) if !is_fatal(&report) => eprintln!("polling: {report} (still trying)"),
            Err(fatal) => return Err(fatal),
        }
    }
    Ok(())
}

/// Plays the scripted conversation against the embedded sandbox; returns the transcript.
pub fn demo() -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let demo = Arc::new(common::Demo::start()?);
    println!(
        "MAX_BOT_TOKEN is not set: talking to the embedded sandbox at {}\n",
        demo.sandbox.base_url()
    );
    let client = Client::with_config(demo.config());
    // A blocking poll can only notice the stop when the held request returns: keep the hold short here.
    let poll = PollConfig::default().timeout_secs(1);
    common::run_demo(&demo, |stop| run_bot(&client, poll, stop))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Config::from_env() {
        Ok(config) => {
            println!(
                "Echo bot (blocking) on {} — Ctrl-C to stop",
                config.base_url()
            );
            let client = Client::with_config(config);
            run_bot(&client, PollConfig::default(), StopHandle::new())?;
        }
        Err(_) => {
            let transcript = demo()?;
            println!(
                "\n{} lines of transcript; the bot handled every update.",
                transcript.len()
            );
        }
    }
    Ok(())
}
