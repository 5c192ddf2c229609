//! An echo bot that receives updates by webhook (`webhook::delivery_router`, served by `webhook::serve` with its
//! header/body timeouts and connection bound) instead of long polling.
//!
//! ```text
//! cargo run -p botwire-max --example webhook_bot --features reqwest,webhook
//! ```
//!
//! Without `MAX_BOT_TOKEN` it serves the router on loopback, points the embedded sandbox's webhook delivery at
//! it, and plays the scripted conversation. With `MAX_BOT_TOKEN` it subscribes `WEBHOOK_URL` (an `https://` URL on
//! port 443 that reaches this process) with `WEBHOOK_SECRET`, serves on `PORT` (default 8080) and runs until
//! stopped (Ctrl-C: the server stops accepting, finishes open requests, and the subscription is removed).
//!
//! The client is the default stack (`Client::with_config`): the backend under MAX's rate limits (30 requests/s,
//! 2 messages/s and 2 callback answers/s per chat) with bounded retries where repeating is safe. Keep it when
//! you copy this: a bare transport sends as fast as the CPU allows and collects 429s.

mod common;

use std::sync::Arc;
use std::time::Duration;

use botwire_core_types::max::{
    AttachmentRequest, Button, CallbackAnswer, Keyboard, MessageCallback, NewMessageBody,
    ReplyTarget, SubscriptionRequestBody, Update,
};
use botwire_max::endpoints::MessageTarget;
use botwire_max::webhook::{
    Delivery, ServerLimits, WebhookConfig, delivery_router, serve, serve_with_shutdown,
};
use botwire_max::{Client, Config, Error};
use botwire_sandbox::updates::WebhookTarget;

type Bot = Client<botwire_max::DefaultTransport>;

/// The echo bot: greets on Start (with two buttons), echoes texts, answers a button press with a notification
/// and a message, and ignores the rest (including update types this SDK does not know, which arrive as
/// `Update::Unknown` with their JSON).
async fn handle(client: &Bot, update: Update) -> Result<(), Error> {
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
            let note = if pressed.callback.payload.as_deref() == Some("ping") {
                "Pong!"
            } else {
                "A botwire example bot"
            };
            let answer = CallbackAnswer::notification(note);
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

/// The axum app: the webhook router handing each update to [`handle`] (after the 200 went out). A delivery
/// with the right secret that is not an update was answered 200 too (MAX would redeliver it otherwise): the bot
/// keeps a trace of it.
fn app(client: Arc<Bot>, secret: &str) -> axum::Router {
    delivery_router(WebhookConfig::with_secret(secret), move |delivery| {
        let client = client.clone();
        async move {
            match delivery {
                Delivery::Update(update) => {
                    if let Err(e) = handle(&client, update).await {
                        eprintln!("bot: could not answer: {e}");
                    }
                }
                Delivery::Malformed(m) => {
                    eprintln!(
                        "bot: {} bytes that are not an update: {}",
                        m.body.len(),
                        m.error
                    );
                }
                _ => {}
            }
        }
    })
}

/// Plays the scripted conversation with the sandbox delivering by webhook; returns the transcript.
pub fn demo() -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let demo = Arc::new(common::Demo::start()?);
    println!(
        "MAX_BOT_TOKEN is not set: the embedded sandbox at {} delivers by webhook\n",
        demo.sandbox.base_url()
    );
    let client = Arc::new(Client::with_config(demo.config())?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let secret = "demo_webhook_secret";
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}/", listener.local_addr()?);
    runtime.spawn(serve(
        listener,
        app(client, secret),
        ServerLimits::default(),
    ));
    // The platform only delivers to https:// on port 443; the sandbox delivers to this loopback server instead.
    demo.sandbox.updates().set_webhook(Some(WebhookTarget {
        url,
        secret: Some(secret.into()),
        retries: 3,
        first_retry: Duration::from_millis(50),
    }));
    let played = std::thread::spawn({
        let demo = demo.clone();
        move || demo.play()
    })
    .join()
    .map_err(|_| "the script panicked")?;
    played?;
    Ok(demo.transcript())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(config) = Config::from_env() else {
        let transcript = demo()?;
        println!(
            "\n{} lines of transcript; every update arrived by webhook.",
            transcript.len()
        );
        return Ok(());
    };
    let url = std::env::var("WEBHOOK_URL")
        .map_err(|_| "set WEBHOOK_URL (https://…, port 443) to run for real")?;
    let secret = std::env::var("WEBHOOK_SECRET")
        .map_err(|_| "set WEBHOOK_SECRET (5–256 of A-Z a-z 0-9 _ -)")?;
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let client = Arc::new(Client::with_config(config)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // URL and secret rules are checked before anything is sent.
        client
            .subscribe(SubscriptionRequestBody::new(url.clone()).with_secret(secret.clone()))
            .await?;
        println!("Subscribed {url}; serving on port {port} — Ctrl-C to stop");
        let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
        // The internet-facing server: header-read, body and request timeouts and a connection bound.
        let stop = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let served = serve_with_shutdown(
            listener,
            app(client.clone(), &secret),
            ServerLimits::default(),
            stop,
        )
        .await;
        client.unsubscribe(url).await?;
        served.map_err(Box::<dyn std::error::Error>::from)
    })
}
