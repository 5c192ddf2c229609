//! The example bots, run against the embedded sandbox: each plays the scripted conversation and must answer
//! every step (the script fails on a step without an answer). The example files are included as modules, so
//! this is the code `cargo run --example` runs.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
#![allow(clippy::duplicate_mod)] // each example includes the demo script as its own `common` module, as when alone

#[allow(dead_code)]
#[path = "../crates/max/examples/echo_bot.rs"]
mod echo_bot;

#[allow(dead_code)]
#[path = "../crates/max/examples/echo_bot_blocking.rs"]
mod echo_bot_blocking;

#[allow(dead_code)]
#[path = "../crates/max/examples/keyboard_bot.rs"]
mod keyboard_bot;

#[allow(dead_code)]
#[path = "../crates/max/examples/webhook_bot.rs"]
mod webhook_bot;

/// The conversation every example plays, as the transcript shows it.
const EXPECTED: &[&str] = &[
    "Alice presses Start (deep link payload \"demo\")",
    "Alice: hello, bot!",
    "Bot: You said: hello, bot!",
    "Alice presses the \"Ping\" button under the greeting",
    "  (a notification pops up for Alice: \"Pong!\")",
    "Bot: You pressed \"ping\"",
    "MAX sends an update type this SDK does not know (message_reaction_added)",
    "Alice: are you still there?",
    "Bot: You said: are you still there?",
];

fn check(transcript: &[String]) {
    for line in EXPECTED {
        assert!(
            transcript.iter().any(|l| l == line),
            "missing {line:?} in {transcript:#?}"
        );
    }
    assert!(
        transcript[1].starts_with("Bot: Hi Alice!")
            && transcript[1].ends_with("[buttons: Ping | About]")
    );
}

#[test]
fn async_echo_bot() {
    check(&echo_bot::demo().unwrap());
}

#[test]
fn blocking_echo_bot() {
    check(&echo_bot_blocking::demo().unwrap());
}

#[test]
fn keyboard_bot_edits_its_menu() {
    let transcript = keyboard_bot::demo().unwrap();
    check(&transcript);
    assert_eq!(
        transcript.last().unwrap(),
        "(the menu message now reads: \"Menu — pinged 1 time(s). Or write me anything.\")"
    );
}

#[test]
fn webhook_bot() {
    check(&webhook_bot::demo().unwrap());
}
