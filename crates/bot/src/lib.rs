//! A bot framework for MAX on top of [`botwire_max`]: routers with composable filters, a [`Context`] that
//! knows where to answer, typed dialogues with pluggable storage, and runtimes — long polling, webhook (axum)
//! and a blocking runner — that keep each chat's updates in order while chats run concurrently.
//!
//! ```
//! use botwire_bot::{Context, Dispatcher, HandlerResult, Router, filters};
//!
//! fn start(ctx: &Context) -> HandlerResult {
//!     let name = ctx.sender().map_or("there", |u| u.first_name.as_str());
//!     ctx.reply(format!("Hi {name}! Write me anything."))
//! }
//!
//! fn echo(ctx: &Context) -> HandlerResult {
//!     ctx.reply(format!("You said: {}", ctx.text().unwrap_or_default()))
//! }
//!
//! let router = Router::new()
//!     .command("start", start)
//!     .on(filters::text() & !filters::any_command(), echo);
//! let dispatcher = Dispatcher::new(router);
//! // dispatcher.run_polling(Client::from_env()?, PollConfig::default(), stop).await?;
//! # let _ = dispatcher;
//! ```
//!
//! # Pieces
//!
//! * [`Router`]: routes are tried **in registration order, first match wins**; routers nest; middleware runs
//!   before a router's routes; a fallback takes the rest; unhandled updates reach
//!   [`Dispatcher::on_unhandled`] and a `tracing` event ([`router`] explains the order).
//! * [`filters`]: kind, `/command` (arguments, `/cmd@bot`, `bot_started` deep links), callback payload (exact,
//!   prefix, `FromStr`, JSON), text (exact, prefix, regex), attachment kind, chat type, sender, dialogue state;
//!   `&`, `|`, `!`; your own with [`Filter::new`].
//! * [`Context`]: the update, typed accessors, the client, user state by type ([`Dispatcher::state`]), reply
//!   helpers that queue replies (sent in order after the handler returned `Ok`), and [`Context::dialogue`].
//! * [`dialogue`]: per (chat, user) typed state with a timeout; the async, object-safe [`Storage`] trait
//!   (get / set / remove / compare-and-set, JSON values, TTL) and the bounded [`MemoryStorage`].
//! * Runtime: at most [`DEFAULT_MAX_IN_FLIGHT`] (64) updates in flight, with backpressure; graceful
//!   shutdown through a [`StopHandle`] (see [`stop_on_signal`] for Ctrl-C/SIGTERM) that lets handlers finish
//!   within [`Dispatcher::shutdown_deadline`]. Long polling is **at least once** ([`Dispatcher::run_polling`]).
//! * Errors: handlers return `Result`; errors and panics go to [`Dispatcher::on_error`] with the update and
//!   the bot goes on. Every update runs in a `tracing` span `update` with `kind`, `chat`, `update_id`,
//!   `outcome` and `duration_us`.
//!
//! # Sync and async handlers
//!
//! Plain-function handlers (`fn(&Context) -> HandlerResult`) do no I/O themselves: they queue replies, which
//! the runner sends. So one router definition runs on the async runners and on the blocking runner
//! ([`Dispatcher::run_blocking`], no tokio runtime). Async handlers ([`Router::on_async`]) may call the API directly
//! ([`Context::api`]) and run on the async runners only.
//!
//! # Testing a bot with insta (feature `testing`)
//!
//! [`testing::BotTest`] runs your dispatcher against the in-process MAX sandbox; the test acts as users and
//! snapshots the transcript (what each user did, what the bot sent; no ids or timestamps):
//!
//! ```no_run
//! # #[cfg(feature = "testing")] fn main() -> Result<(), botwire_bot::BoxError> {
//! # use botwire_bot::{Dispatcher, Router};
//! # let router = Router::new();
//! use botwire_bot::testing::BotTest;
//!
//! let mut test = BotTest::start(Dispatcher::new(router))?;
//! let alice = test.user("Alice");
//! test.start_bot(alice, None)?;
//! test.send(alice, "hello")?;
//! insta::assert_snapshot!(test.finish()?);
//! # Ok(()) }
//! # #[cfg(not(feature = "testing"))] fn main() {}
//! ```
//!
//! `BotTest::start_blocking` (with `ureq`) runs the same router on the blocking runner; a router of
//! plain-function handlers gives the same transcript on both.
//!
//! Features: `reqwest` / `ureq` (default clients of botwire-max), `webhook` (the axum runtime), `testing`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod blocking;
pub mod context;
pub mod dialogue;
mod error;
pub mod filter;
pub mod router;
mod runtime;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "webhook")]
pub mod webhook;

/// The built-in filters (`filters::command("start") & !filters::from_bot()`).
pub mod filters {
    pub use crate::filter::*;
}

pub use botwire_max::polling::{PollConfig, StopHandle};
pub use context::{Action, Command, Context, Dialogue, Extensions};
pub use dialogue::{DialogueKey, MemoryStorage, Storage, StorageError};
pub use error::{BoxError, HandlerError, HandlerResult, RunError};
pub use filter::Filter;
pub use router::{Flow, Router};
pub use runtime::{
    CAS_ATTEMPTS, DEFAULT_DIALOGUE_TIMEOUT, DEFAULT_MAX_IN_FLIGHT, DEFAULT_SHUTDOWN_DEADLINE,
    DispatchStats, Dispatcher, Outcome, RunSummary, stop_on_signal, stop_on_signal_in_background,
    update_identity,
};
