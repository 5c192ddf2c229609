//! The echo bot on the dispatcher: greets on Start (with two buttons), echoes texts, answers button presses,
//! and ignores the rest (unhandled updates are logged by the dispatcher).
//!
//! ```text
//! cargo run -p botwire-examples --example dispatcher_echo_bot
//! ```
//!
//! Without `MAX_BOT_TOKEN` it plays a short scripted conversation against the embedded sandbox.

use botwire_bot::testing::BotTest;
use botwire_bot::{Context, Dispatcher, HandlerResult, PollConfig, Router, StopHandle, filters};
use botwire_core_types::max::{Button, Keyboard};

fn start(ctx: &Context) -> HandlerResult {
    let name = ctx.sender().map_or("there", |u| u.first_name.as_str());
    let buttons = vec![vec![
        Button::callback("Ping", "ping"),
        Button::callback("About", "about"),
    ]];
    ctx.reply_with_keyboard(
        format!("Hi {name}! Write me anything and I will echo it."),
        Keyboard::new(buttons),
    )
}

fn echo(ctx: &Context) -> HandlerResult {
    ctx.reply(format!("You said: {}", ctx.text().unwrap_or_default()))
}

fn pressed(ctx: &Context) -> HandlerResult {
    let payload = ctx.callback_payload().unwrap_or_default();
    ctx.notify(if payload == "ping" {
        "Pong!"
    } else {
        "A botwire example bot"
    })?;
    ctx.reply(format!("You pressed \"{payload}\""))
}

fn router() -> Router {
    Router::new()
        .command("start", start)
        .on(filters::text() & !filters::from_bot(), echo)
        .on(filters::callback(), pressed)
}

fn main() -> Result<(), botwire_bot::BoxError> {
    if std::env::var_os(botwire_max::TOKEN_ENV).is_some() {
        let client = botwire_max::Client::from_env()?;
        let stop = StopHandle::new();
        return tokio::runtime::Runtime::new()?.block_on(async {
            tokio::spawn(botwire_bot::stop_on_signal(stop.clone()));
            Dispatcher::new(router())
                .run_polling(client, PollConfig::default(), stop)
                .await?;
            Ok(())
        });
    }
    println!("{}", demo()?);
    Ok(())
}

/// The scripted conversation against the embedded sandbox; returns the transcript.
pub fn demo() -> Result<String, botwire_bot::BoxError> {
    let mut demo = BotTest::start(Dispatcher::new(router()))?;
    let alice = demo.user("Alice");
    demo.start_bot(alice, Some("demo"))?;
    demo.send(alice, "hello, bot!")?;
    demo.press(alice, "Ping")?;
    demo.push_unknown(
        "message_reaction_added",
        serde_json::json!({"reaction": "🔥"}),
    );
    demo.send(alice, "are you still there?")?;
    demo.finish()
}
