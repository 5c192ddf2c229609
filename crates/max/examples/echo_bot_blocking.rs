//! The echo bot on the blocking client (ureq): same behaviour as `echo_bot`, no async runtime at all.
//!
//! ```text
//! cargo run -p botwire-max --example echo_bot_blocking --features ureq
//! ```
//!
//! Without `MAX_BOT_TOKEN` it plays the scripted conversation against the embedded sandbox; with it, it runs
//! against the real API until stopped.

mod common;

use std::sync::Arc;

use botwire_core_types::max::{CallbackAnswer, NewMessageBody, ReplyTarget, Update};
use botwire_max::blocking::Client;
use botwire_max::endpoints::MessageTarget;
use botwire_max::polling::{PollConfig, Polled, StopHandle};
use botwire_max::{BlockingTransport, Config, Error};
use botwire_transport::{TransportConfig, UreqTransport};

fn handle<T: BlockingTransport>(client: &Client<T>, update: Update) -> Result<(), Error> {
    match update {
        Update::BotStarted(started) => {
            let text = format!(
                "Hi {}! Write me anything and I will echo it.",
                started.user.first_name
            );
            client.send_message(started.chat_id, common::greeting_with_buttons(text))?;
        }
        Update::MessageCreated(created) => {
            let Some(message) = created.message else {
                return Ok(());
            };
            let from_bot = message.sender.as_ref().is_some_and(|s| s.is_bot);
            if let (Some(chat), Some(text), false) = (message.chat_id(), message.text(), from_bot) {
                client.send_message(chat, NewMessageBody::text(format!("You said: {text}")))?;
            }
        }
        Update::MessageCallback(pressed) => {
            let payload = pressed.callback.payload.clone().unwrap_or_default();
            let note = if payload == "ping" {
                "Pong!"
            } else {
                "botwire echo bot"
            };
            client.answer_callback(
                pressed.callback.callback_id.clone(),
                CallbackAnswer::notification(note),
            )?;
            let target = match pressed.reply_target() {
                ReplyTarget::Chat(chat) => MessageTarget::Chat(chat),
                ReplyTarget::User(user) => MessageTarget::User(user),
            };
            client.send_message(
                target,
                NewMessageBody::text(format!("You pressed \"{payload}\"")),
            )?;
        }
        other => eprintln!("bot: ignoring a `{}` update", other.kind()),
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
    let client = Client::new(
        demo.config(),
        UreqTransport::new(TransportConfig::default()),
    );
    let stop = StopHandle::new();
    let script = {
        let (demo, stop) = (demo.clone(), stop.clone());
        std::thread::spawn(move || {
            let played = demo.play();
            stop.stop();
            played
        })
    };
    // A blocking poll can only notice the stop when the held request returns: keep the hold short here.
    let poll = PollConfig {
        timeout_secs: 1,
        ..PollConfig::default()
    };
    run_bot(&client, poll, stop)?;
    script.join().map_err(|_| "the script panicked")??;
    Ok(demo.transcript())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Config::from_env() {
        Ok(config) => {
            println!(
                "Echo bot (blocking) on {} — Ctrl-C to stop",
                config.base_url()
            );
            let client = Client::new(config, UreqTransport::new(TransportConfig::default()));
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
