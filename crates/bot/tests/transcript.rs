//! The recipe for testing your own bot: run it against the in-process sandbox with `BotTest`, act as users,
//! and snapshot the transcript with insta (ids and timestamps never appear in it).

use botwire_bot::testing::BotTest;
use botwire_bot::{Context, Dispatcher, HandlerResult, Router, filters};
use botwire_core_types::max::{Button, Keyboard};
use serde::{Deserialize, Serialize};

/// A two-question quiz with a per-user score: the bot under test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Quiz {
    Capital { score: u32 },
    Colour { score: u32 },
}

fn ask_capital(ctx: &Context) -> HandlerResult {
    ctx.dialogue().set(Quiz::Capital { score: 0 })?;
    ctx.reply_with_keyboard(
        "Capital of France?",
        Keyboard::new(vec![vec![
            Button::callback("Paris", "a:paris"),
            Button::callback("Rome", "a:rome"),
        ]]),
    )
}

fn answer(ctx: &Context) -> HandlerResult {
    let dialogue = ctx.dialogue::<Quiz>();
    let given = ctx.callback_payload().unwrap_or_default();
    match dialogue.get() {
        Some(Quiz::Capital { score }) => {
            let score = score + u32::from(given == "a:paris");
            ctx.notify(if given == "a:paris" { "Right" } else { "Wrong" })?;
            dialogue.set(Quiz::Colour { score })?;
            ctx.reply("Type the colour of the sky.")
        }
        _ => ctx.notify("No question is open"),
    }
}

fn colour(ctx: &Context) -> HandlerResult {
    let dialogue = ctx.dialogue::<Quiz>();
    let Some(Quiz::Colour { score }) = dialogue.get() else {
        return Ok(());
    };
    let right = ctx.text().is_some_and(|t| t.eq_ignore_ascii_case("blue"));
    dialogue.reset();
    ctx.reply(format!("Done: {} of 2.", score + u32::from(right)))
}

fn quiz() -> Dispatcher {
    Dispatcher::new(
        Router::new()
            .command("quiz", ask_capital)
            .on(filters::callback_prefix("a:"), answer)
            .on(
                filters::state(|q: &Quiz| matches!(q, Quiz::Colour { .. })) & filters::text(),
                colour,
            )
            .fallback(|ctx| ctx.reply("Send /quiz")),
    )
}

fn play(mut test: BotTest) -> Result<String, botwire_bot::BoxError> {
    let (ann, ben) = (test.user("Ann"), test.user("Ben"));
    test.start_bot(ann, Some("from-ad"))?;
    test.send(ann, "/quiz")?;
    test.send(ben, "/quiz")?;
    test.press(ann, "Paris")?;
    test.press(ben, "Rome")?;
    test.send(ann, "blue")?;
    test.send(ben, "Blue")?;
    test.press(ben, "Paris")?; // the old keyboard: no question is open any more
    test.finish()
}

#[test]
fn two_players_at_once() -> Result<(), botwire_bot::BoxError> {
    insta::assert_snapshot!(play(BotTest::start(quiz())?)?);
    Ok(())
}

/// The same router on the blocking runner tells the same story.
#[cfg(feature = "ureq")]
#[test]
fn two_players_at_once_on_the_blocking_runner() -> Result<(), botwire_bot::BoxError> {
    insta::assert_snapshot!(
        "two_players_at_once",
        play(BotTest::start_blocking(quiz())?)?
    );
    Ok(())
}
