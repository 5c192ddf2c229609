//! A callback-keyboard bot: a menu whose buttons are answered by editing the menu in place (the answer's
//! `message` replaces the message that carried the keyboard) plus a one-time notification.
//!
//! ```text
//! cargo run -p botwire-max --example keyboard_bot --features reqwest
//! ```
//!
//! Without `MAX_BOT_TOKEN` it plays the scripted conversation against the embedded sandbox; with it, it runs
//! against the real API until stopped.
//!
//! The client is the default stack (`Client::with_config`): the backend under MAX's rate limits (30 requests/s,
//! 2 messages/s and 2 callback answers/s per chat) with bounded retries where repeating is safe. Keep it when
//! you copy this: a bare transport sends as fast as the CPU allows and collects 429s.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use botwire_core_types::max::{
    AttachmentRequest, Button, CallbackAnswer, Keyboard, MessageCallback, NewMessageBody,
    ReplyTarget, Update,
};
use botwire_max::endpoints::MessageTarget;
use botwire_max::polling::{PollConfig, Polled, StopHandle, is_fatal};
use botwire_max::{AsyncTransport, Client, Config, Error};

/// Presses per user: the menu shows them.
type Counters = Mutex<HashMap<i64, u32>>;

fn menu(pings: u32) -> NewMessageBody {
    let keyboard = Keyboard::new(vec![
        vec![
            Button::callback("Ping", "ping"),
            Button::callback("About", "about"),
        ],
        vec![Button::link("botwire on MAX", "https://max.ru")],
    ]);
    let mut body = NewMessageBody::text(format!(
        "Menu — pinged {pings} time(s). Or write me anything."
    ));
    body.attachments = Some(vec![AttachmentRequest::inline_keyboard(keyboard)]);
    body
}

/// The keyboard bot: like the echo bot, but a button press edits the menu in place (the answer's `message`) and
/// counts the user's pings.
async fn handle<T: AsyncTransport>(
    client: &Client<T>,
    counters: &Counters,
    update: Update,
) -> Result<(), Error> {
    match update {
        Update::BotStarted(started) => {
            let text = format!(
                "Hi {}! Write me anything and I will echo it.",
                started.user.first_name
            );
            client.send_message(started.chat_id, greeting(text)).await?;
        }
        Update::MessageCreated(created) => {
            // Voice messages have been seen arriving without `message`: nothing to echo then.
            let Some(message) = created.message else {
                return Ok(());
            };
            let from_bot = message.sender.as_ref().is_some_and(|s| s.is_bot);
            if let (Some(chat), Some(text), false) = (message.chat_id(), message.text(), from_bot) {
                let echo = NewMessageBody::text(format!("You said: {text}"));
                client.send_message(chat, echo).await?;
            }
        }
        Update::MessageCallback(pressed) => {
            let payload = pressed.callback.payload.clone().unwrap_or_default();
            let pings = {
                let mut counters = counters.lock().unwrap_or_else(|p| p.into_inner());
                let n = counters
                    .entry(pressed.callback.user.user_id.get())
                    .or_default();
                if payload == "ping" {
                    *n += 1;
                }
                *n
            };
            let mut answer = CallbackAnswer::message(menu(pings));
            answer.notification = Some(if payload == "ping" {
                "Pong!".into()
            } else {
                "A botwire example bot".into()
            });
            client
                .answer_callback(pressed.callback.callback_id.clone(), answer)
                .await?;
            client
                .send_message(reply_target(&pressed), you_pressed(&pressed))
                .await?;
        }
        other => eprintln!("bot: ignoring a `{}` update", other.kind()),
    }
    Ok(())
}

/// A text with two callback buttons, "Ping" and "About".
fn greeting(text: String) -> NewMessageBody {
    let keyboard = Keyboard::new(vec![vec![
        Button::callback("Ping", "ping"),
        Button::callback("About", "about"),
    ]]);
    let mut body = NewMessageBody::text(text);
    body.attachments = Some(vec![AttachmentRequest::inline_keyboard(keyboard)]);
    body
}

/// Where to answer a press: its message's chat, or the presser's dialog when the callback came without a chat id
/// (observed on private dialogs).
fn reply_target(pressed: &MessageCallback) -> MessageTarget {
    match pressed.reply_target() {
        ReplyTarget::Chat(chat) => MessageTarget::Chat(chat),
        ReplyTarget::User(user) => MessageTarget::User(user),
    }
}

/// "You pressed …".
fn you_pressed(pressed: &MessageCallback) -> NewMessageBody {
    let payload = pressed.callback.payload.as_deref().unwrap_or_default();
    NewMessageBody::text(format!("You pressed \"{payload}\""))
}

/// Polls and handles updates until `stop` fires or polling fails for good.
pub async fn run_bot<T: AsyncTransport>(
    client: &Client<T>,
    poll: PollConfig,
    stop: StopHandle,
) -> Result<(), Error> {
    let counters = Counters::default();
    let mut updates = client.updates_with_stop(poll, stop);
    while let Some(item) = updates.next().await {
        match item {
            Ok(Polled::Update(update)) => {
                if let Err(e) = handle(client, &counters, update).await {
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
    let client = Client::with_config(demo.config())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    common::run_demo(&demo, |stop| {
        runtime.block_on(run_bot(&client, PollConfig::default(), stop))
    })?;
    // The press edited the menu in place: show what it says now.
    let chat = demo
        .sandbox
        .world()
        .dialog_with(demo.alice.user_id)
        .ok_or("no dialog")?;
    let menu_now = demo
        .sandbox
        .world()
        .messages(chat)
        .first()
        .and_then(|m| m.message.text().map(str::to_owned));
    demo.say(format!(
        "(the menu message now reads: \"{}\")",
        menu_now.unwrap_or_default()
    ));
    Ok(demo.transcript())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Config::from_env() {
        Ok(config) => {
            println!("Keyboard bot on {} — Ctrl-C to stop", config.base_url());
            let client = Client::with_config(config)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(run_bot(&client, PollConfig::default(), StopHandle::new()))?;
        }
        Err(_) => {
            demo()?;
        }
    }
    Ok(())
}
