//! Example bots on `botwire-bot`, as a package of their own: `cargo run -p botwire-examples --example order_bot`
//! builds only what the example needs, not the framework's test-only dependencies.
//!
//! | example | what it shows |
//! |---|---|
//! | `order_bot` | a multi-step dialogue (an order form) with per-user state, buttons and `/cancel`; three users at once |
//! | `dispatcher_echo_bot` | commands, text and callbacks on the dispatcher (`botwire-max`'s `echo_bot` on a `Router`) |
//! | `dispatcher_keyboard_bot` | a menu edited in place through callback answers |
//!
//! Without `MAX_BOT_TOKEN` each plays a scripted conversation against the embedded sandbox and prints it; with
//! it, each runs on the real API until Ctrl-C. The library itself is empty.
#![forbid(unsafe_code)]
