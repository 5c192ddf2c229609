//! The example bots' sandbox demos, snapshotted: the transcripts `cargo run --example …` prints. The example
//! files are included as modules, so this is the code the examples run.

#[allow(dead_code)]
#[path = "../crates/examples/examples/dispatcher_echo_bot.rs"]
mod echo_bot;

#[allow(dead_code)]
#[path = "../crates/examples/examples/dispatcher_keyboard_bot.rs"]
mod keyboard_bot;

#[allow(dead_code)]
#[path = "../crates/examples/examples/order_bot.rs"]
mod order_bot;

#[test]
fn echo_bot_demo() -> Result<(), botwire_bot::BoxError> {
    insta::assert_snapshot!(echo_bot::demo()?);
    Ok(())
}

#[test]
fn keyboard_bot_demo() -> Result<(), botwire_bot::BoxError> {
    insta::assert_snapshot!(keyboard_bot::demo()?);
    Ok(())
}

#[test]
fn order_bot_demo_three_customers_at_once() -> Result<(), botwire_bot::BoxError> {
    insta::assert_snapshot!(order_bot::demo()?);
    Ok(())
}
