//! A multi-step dialogue bot: an order form (name → quantity with buttons → confirm / cancel), with per-user
//! state and `/cancel` at any step.
//!
//! ```text
//! cargo run -p botwire-examples --example order_bot
//! ```
//!
//! With `MAX_BOT_TOKEN` set it runs on the real API until Ctrl-C. Without it, three users order at once
//! against the embedded sandbox and the example prints the conversation (the same on every run).

use std::str::FromStr;

use botwire_bot::testing::BotTest;
use botwire_bot::{Context, Dispatcher, HandlerResult, PollConfig, Router, StopHandle, filters};
use botwire_core_types::max::{Button, Keyboard};
use serde::{Deserialize, Serialize};

/// Where a user's order stands: the dialogue state, stored per (chat, user).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Order {
    Name,
    Quantity { name: String },
    Confirmation { name: String, quantity: u32 },
}

/// The payload of a quantity button: `qty:<n>`.
struct Count(u32);

impl FromStr for Count {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.strip_prefix("qty:").unwrap_or(s).parse().map(Count)
    }
}

fn start(ctx: &Context) -> HandlerResult {
    ctx.reply("Welcome to the botwire shop! Send /order to order, /cancel to stop at any time.")
}

fn order(ctx: &Context) -> HandlerResult {
    ctx.dialogue().set(Order::Name)?;
    ctx.reply("What name should the order be under?")
}

fn name(ctx: &Context) -> HandlerResult {
    let name = ctx.text().unwrap_or_default().trim().to_owned();
    let buttons = (1..=3).map(|n| Button::callback(n.to_string(), format!("qty:{n}")));
    ctx.reply_with_keyboard(
        format!("Thanks, {name}. How many?"),
        Keyboard::new(vec![buttons.collect()]),
    )?;
    ctx.dialogue().set(Order::Quantity { name })?;
    Ok(())
}

fn quantity(ctx: &Context) -> HandlerResult {
    let Some(Order::Quantity { name }) = ctx.dialogue().get() else {
        return Ok(());
    };
    let Some(Count(quantity)) = ctx.callback_data() else {
        return Ok(());
    };
    ctx.notify(format!("{quantity} it is"))?;
    ctx.reply_with_keyboard(
        format!("{quantity} × botwire mug for {name}. Confirm?"),
        Keyboard::new(vec![vec![
            Button::callback("Confirm", "confirm"),
            Button::callback("Cancel", "cancel"),
        ]]),
    )?;
    ctx.dialogue().set(Order::Confirmation { name, quantity })?;
    Ok(())
}

fn confirm(ctx: &Context) -> HandlerResult {
    let Some(Order::Confirmation { name, quantity }) = ctx.dialogue().get() else {
        return Ok(());
    };
    ctx.dialogue::<Order>().reset();
    ctx.notify("Ordered!")?;
    ctx.reply(format!(
        "Order placed: {quantity} × botwire mug for {name}. Thank you!"
    ))
}

fn cancel(ctx: &Context) -> HandlerResult {
    let was_ordering = ctx.dialogue::<Order>().get().is_some();
    ctx.dialogue::<Order>().reset();
    if ctx.callback().is_some() {
        ctx.notify("Cancelled")?;
    }
    ctx.reply(if was_ordering {
        "Order cancelled."
    } else {
        "Nothing to cancel."
    })
}

fn use_buttons(ctx: &Context) -> HandlerResult {
    ctx.reply("Please choose with the buttons above (or /cancel).")
}

fn fallback(ctx: &Context) -> HandlerResult {
    if ctx.text().is_some() {
        ctx.reply("Send /order to place an order.")?;
    }
    Ok(())
}

/// The bot: first match wins, so `/cancel` is seen at every step before the step handlers.
fn router() -> Router {
    let asked_name = filters::state(|s: &Order| *s == Order::Name);
    let asked_quantity = filters::state(|s: &Order| matches!(s, Order::Quantity { .. }));
    let asked_confirmation = filters::state(|s: &Order| matches!(s, Order::Confirmation { .. }));
    Router::new()
        .on(
            filters::command("cancel") | filters::callback_eq("cancel"),
            cancel,
        )
        .command("start", start)
        .command("order", order)
        .on(asked_name & filters::text() & !filters::any_command(), name)
        .on(
            asked_quantity.clone() & filters::callback_data::<Count>(),
            quantity,
        )
        .on(
            asked_confirmation.clone() & filters::callback_eq("confirm"),
            confirm,
        )
        .on(
            (asked_quantity | asked_confirmation) & filters::text(),
            use_buttons,
        )
        .fallback(fallback)
}

/// Three customers at once against the embedded sandbox; returns the transcript.
pub fn demo() -> Result<String, botwire_bot::BoxError> {
    let mut shop = BotTest::start(Dispatcher::new(router()))?;
    let (alice, bob, carol) = (shop.user("Alice"), shop.user("Bob"), shop.user("Carol"));
    for user in [alice, bob, carol] {
        shop.start_bot(user, None)?;
    }
    shop.send(alice, "/order")?;
    shop.send(bob, "/order")?;
    shop.send(carol, "hello?")?;
    shop.settle()?;
    shop.send(alice, "Alice")?;
    shop.send(bob, "Bob")?;
    shop.send(carol, "/order")?;
    shop.press(alice, "2")?;
    shop.send(bob, "three, please")?;
    shop.send(carol, "Carol")?;
    shop.press(bob, "3")?;
    shop.press(carol, "1")?;
    shop.press(alice, "Confirm")?;
    shop.send(bob, "/cancel")?;
    shop.press(carol, "Cancel")?;
    shop.send(carol, "/cancel")?;
    shop.finish()
}

fn main() -> Result<(), botwire_bot::BoxError> {
    if std::env::var_os(botwire_max::TOKEN_ENV).is_none() {
        println!(
            "MAX_BOT_TOKEN is not set: three users order from the bot in the embedded sandbox\n"
        );
        println!("{}", demo()?);
        return Ok(());
    }
    let client = botwire_max::Client::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let stop = StopHandle::new();
        tokio::spawn(botwire_bot::stop_on_signal(stop.clone()));
        println!("Order bot running — Ctrl-C to stop");
        let summary = Dispatcher::new(router())
            .run_polling(client, PollConfig::default(), stop)
            .await?;
        println!("stopped after {} updates", summary.received);
        Ok(())
    })
}
