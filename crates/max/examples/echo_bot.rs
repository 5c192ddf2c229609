//! An async echo bot over long polling — the README's main job.
//!
//! ```text
//! cargo run -p botwire-max --example echo_bot --features reqwest
//! ```
//!
//! Without `MAX_BOT_TOKEN` it starts the embedded sandbox, plays a short scripted conversation (Start, texts, a
//! button press, an update type the SDK does not know), prints the transcript and exits. With `MAX_BOT_TOKEN` it
//! runs against the real API until stopped (Ctrl-C).

mod common;

use std::sync::Arc;

use botwire_core_types::max::{CallbackAnswer, NewMessageBody, ReplyTarget, Update};
use botwire_max::endpoints::MessageTarget;
use botwire_max::polling::{PollConfig, Polled, StopHandle};
use botwire_max::{AsyncTransport, Client, Config, Error};
use botwire_transport::{ReqwestTransport, TransportConfig};
use futures_util::StreamExt;

/// What the bot does with one update.
async fn handle<T: AsyncTransport>(client: &Client<T>, update: Update) -> Result<(), Error> {
    match update {
        Update::BotStarted(started) => {
            let text = format!(
                "Hi {}! Write me anything and I will echo it.",
                started.user.first_name
            );
            client
                .send_message(started.chat_id, common::greeting_with_buttons(text))
                .await?;
        }
        Update::MessageCreated(created) => {
            // Voice messages have been seen arriving without `message`; there is nothing to echo then.
            let Some(message) = created.message else {
                return Ok(());
            };
            let from_bot = message.sender.as_ref().is_some_and(|s| s.is_bot);
            if let (Some(chat), Some(text), false) = (message.chat_id(), message.text(), from_bot) {
                client
                    .send_message(chat, NewMessageBody::text(format!("You said: {text}")))
                    .await?;
            }
        }
        Update::MessageCallback(pressed) => {
            let payload = pressed.callback.payload.clone().unwrap_or_default();
            let note = if payload == "ping" {
                "Pong!"
            } else {
                "botwire echo bot"
            };
            client
                .answer_callback(
                    pressed.callback.callback_id.clone(),
                    CallbackAnswer::notification(note),
                )
                .await?;
            let target = match pressed.reply_target() {
                ReplyTarget::Chat(chat) => MessageTarget::Chat(chat),
                ReplyTarget::User(user) => MessageTarget::User(user),
            };
            client
                .send_message(
                    target,
                    NewMessageBody::text(format!("You pressed \"{payload}\"")),
                )
                .await?;
        }
        other => {
            // New update types arrive as `Update::Unknown` with their JSON; a bot can ignore what it does not use.
            eprintln!("bot: ignoring a `{}` update", other.kind());
        }
    }
    Ok(())
}

/// Polls and handles updates until `stop` fires or polling fails for good.
pub async fn run_bot<T: AsyncTransport>(
    client: &Client<T>,
    poll: PollConfig,
    stop: StopHandle,
) -> Result<(), Error> {
    let mut updates = client.updates(poll, stop);
    while let Some(item) = updates.next().await {
        match item {
            Ok(Polled::Update(update)) => {
                if let Err(e) = handle(client, update).await {
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
        ReqwestTransport::new(TransportConfig::default())?,
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run_bot(&client, PollConfig::default(), stop))?;
    script.join().map_err(|_| "the script panicked")??;
    Ok(demo.transcript())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Config::from_env() {
        Ok(config) => {
            println!("Echo bot on {} — Ctrl-C to stop", config.base_url());
            let client = Client::new(config, ReqwestTransport::new(TransportConfig::default())?);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(run_bot(&client, PollConfig::default(), StopHandle::new()))?;
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
