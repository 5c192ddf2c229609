//! The keyboard bot on the dispatcher: a menu whose "Ping" button edits the menu in place (the callback
//! answer's message) and counts each user's pings; texts are echoed.
//!
//! ```text
//! cargo run -p botwire-examples --example dispatcher_keyboard_bot
//! ```
//!
//! Without `MAX_BOT_TOKEN` it plays a short scripted conversation against the embedded sandbox.

use std::collections::HashMap;
use std::sync::Mutex;

use botwire_bot::testing::BotTest;
use botwire_bot::{Context, Dispatcher, HandlerResult, PollConfig, Router, StopHandle, filters};
use botwire_core_types::max::{AttachmentRequest, Button, Keyboard, NewMessageBody};

/// Pings per user, injected into handlers by type.
#[derive(Default)]
struct Pings(Mutex<HashMap<i64, u32>>);

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

fn pings_of(ctx: &Context, add: u32) -> u32 {
    let (Some(pings), Some(user)) = (ctx.state::<Pings>(), ctx.sender_id()) else {
        return 0;
    };
    let mut map = pings.0.lock().unwrap_or_else(|p| p.into_inner());
    let n = map.entry(user.get()).or_default();
    *n += add;
    *n
}

fn start(ctx: &Context) -> HandlerResult {
    ctx.reply_with(menu(pings_of(ctx, 0)))
}

fn ping(ctx: &Context) -> HandlerResult {
    let mut answer = botwire_core_types::max::CallbackAnswer::message(menu(pings_of(ctx, 1)));
    answer.notification = Some("Pong!".into());
    ctx.answer(answer)
}

fn about(ctx: &Context) -> HandlerResult {
    ctx.notify("A botwire example bot")
}

fn router() -> Router {
    Router::new()
        .command("start", start)
        .callback("ping", ping)
        .callback("about", about)
        .on(filters::text() & !filters::from_bot(), |ctx| {
            ctx.reply(format!("You said: {}", ctx.text().unwrap_or_default()))
        })
}

fn main() -> Result<(), botwire_bot::BoxError> {
    if std::env::var_os(botwire_max::TOKEN_ENV).is_some() {
        let client = botwire_max::Client::from_env()?;
        let stop = StopHandle::new();
        return tokio::runtime::Runtime::new()?.block_on(async {
            tokio::spawn(botwire_bot::stop_on_signal(stop.clone()));
            dispatcher()
                .run_polling(client, PollConfig::default(), stop)
                .await?;
            Ok(())
        });
    }
    println!("{}", demo()?);
    Ok(())
}

fn dispatcher() -> Dispatcher {
    Dispatcher::new(router()).state(Pings::default())
}

/// The scripted conversation against the embedded sandbox; returns the transcript.
pub fn demo() -> Result<String, botwire_bot::BoxError> {
    let mut demo = BotTest::start(dispatcher())?;
    let alice = demo.user("Alice");
    demo.start_bot(alice, None)?;
    demo.press(alice, "Ping")?;
    demo.press(alice, "Ping")?;
    demo.press(alice, "About")?;
    demo.send(alice, "nice menu")?;
    demo.finish()
}
